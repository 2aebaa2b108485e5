//! Byte sizes on the command line: `1048576`, `64K`, `64KiB`, `8M`, `4G`.

/// Parses a byte count with an optional binary suffix: `K`/`KB`/`KiB` (1024), `M`/`MB`/`MiB`,
/// `G`/`GB`/`GiB`, or `B`; case-insensitive. Every suffix is a power of 1024.
///
/// ```
/// use gclab_cli::byte_size::parse_byte_size;
/// assert_eq!(parse_byte_size("64K"), Ok(64 << 10));
/// assert_eq!(parse_byte_size("4GiB"), Ok(4 << 30));
/// assert!(parse_byte_size("4X").is_err());
/// ```
pub fn parse_byte_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}`; use a number of bytes, optionally followed \
                 by K, M or G (powers of 1024)"
            ))
        }
    };
    let number: usize =
        digits.parse().map_err(|_| format!("`{text}` is not a byte size such as 1048576, 64K, 8M or 4G"))?;
    number.checked_mul(1 << shift).ok_or_else(|| format!("`{text}` is too large"))
}

/// Writes a byte count in the largest unit that divides it exactly: `4G`, `64M`, `1536K`,
/// `1000`; what [`parse_byte_size`] reads back.
///
/// ```
/// use gclab_cli::byte_size::format_byte_size;
/// assert_eq!(format_byte_size(64 << 20), "64M");
/// ```
pub fn format_byte_size(bytes: usize) -> String {
    for (shift, unit) in [(30, "G"), (20, "M"), (10, "K")] {
        if bytes != 0 && bytes % (1 << shift) == 0 {
            return format!("{}{unit}", bytes >> shift);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip() {
        for (bytes, text) in
            [(0, "0"), (1000, "1000"), (1536 << 10, "1536K"), (8 << 20, "8M"), (4 << 30, "4G"), (3 << 40, "3072G")]
        {
            assert_eq!(format_byte_size(bytes), text);
            assert_eq!(parse_byte_size(text), Ok(bytes));
        }
    }

    #[test]
    fn units() {
        assert_eq!(parse_byte_size("0"), Ok(0));
        assert_eq!(parse_byte_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_byte_size("12b"), Ok(12));
        assert_eq!(parse_byte_size("64k"), Ok(64 << 10));
        assert_eq!(parse_byte_size("64 KB"), Ok(64 << 10));
        assert_eq!(parse_byte_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_byte_size("2g"), Ok(2 << 30));
    }

    #[test]
    fn errors() {
        assert!(parse_byte_size("").is_err());
        assert!(parse_byte_size("K").is_err());
        assert!(parse_byte_size("1.5M").is_err());
        assert!(parse_byte_size("-1").is_err());
        assert!(parse_byte_size("3T").unwrap_err().contains("unknown unit `t`"));
        assert!(parse_byte_size("99999999999999999999G").is_err());
    }
}
