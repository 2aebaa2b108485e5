//! What `gclab list` prints.

use gclab_workloads::WorkloadId;

use crate::backend::Backend;

/// One line per backend built in, then one per workload: a kind (`backend` or `workload`), a
/// name and a description; workloads add their sizes.
///
/// ```text
/// backend   marksweep     non-moving stop-the-world mark-sweep over size-class pools
/// workload  binary-trees  Benchmarks Game binary-trees: … (sizes 1 to 24, default 18, quick 17: …)
/// ```
pub fn listing() -> String {
    let mut rows: Vec<(&str, &str, String)> = Vec::new();
    for &b in Backend::ALL {
        rows.push(("backend", b.name(), b.description().to_owned()));
    }
    for &w in WorkloadId::ALL {
        let info = w.info();
        rows.push((
            "workload",
            info.name,
            format!(
                "{} (sizes {} to {}, default {}, quick {}: {})",
                info.description, info.min_size, info.max_size, info.default_size, info.quick_size, info.size_meaning
            ),
        ));
    }
    let width = rows.iter().map(|(_, name, _)| name.len()).max().unwrap_or(0);
    rows.iter().map(|(kind, name, text)| format!("{kind:<8}  {name:<width$}  {text}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_backend_and_workload() {
        let text = listing();
        assert_eq!(text.lines().count(), Backend::ALL.len() + WorkloadId::ALL.len());
        assert!(text.lines().any(|l| l.starts_with("workload  binary-trees") && l.contains("sizes 1 to 24")));
    }
}
