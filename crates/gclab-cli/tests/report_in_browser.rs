//! `report.html` opened in a real browser: headless Chromium renders it with no console
//! message, every chart is there and laid out at a visible size, and a screenshot is kept as
//! an artifact (`target/tmp/gclab-report-in-chromium.png`).
//!
//! Skipped, with the reason printed, when no Chromium is installed (`.ci/run` installs
//! Debian's `chromium`); `GCLAB_CHROMIUM=PATH` names another binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The Chromium to use, if any.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GCLAB_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// Runs headless Chromium on `page` with `extra` arguments, in a fresh profile, with console
/// messages logged to stderr. Flags keep it off the network and quiet.
fn headless(chromium: &Path, profile: &Path, page: &Path, extra: &[&str]) -> Output {
    Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts")
}

/// Appended to a copy of the page: writes, into the body's `data-rendered` attribute, the id
/// and laid-out size of every chart's SVG, so that the dumped DOM says what was rendered.
const PROBE: &str = "<script>document.body.dataset.rendered = Array.from(document.querySelectorAll('figure.chart'))\
    .map(f => { const r = f.querySelector('svg').getBoundingClientRect(); \
    return f.id + ':' + Math.round(r.width) + 'x' + Math.round(r.height); }).join(' ');</script>";

#[test]
fn report_renders_in_chromium_with_every_chart() {
    let Some(chromium) = chromium() else {
        println!(
            "skipped: no Chromium found (/usr/bin/chromium; `apt-get install -y chromium`, or GCLAB_CHROMIUM=PATH)"
        );
        return;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.join("gclab-report-in-browser");
    let _ = std::fs::remove_dir_all(&dir);
    let out = Command::new(env!("CARGO_BIN_EXE_gclab"))
        .args([
            "compare",
            "--workloads",
            "gcbench,lists,binary-trees",
            "--sizes",
            "gcbench=8,lists=2000,binary-trees=8",
        ])
        .args(["--initial-trigger", "256K", "--repeat", "2", "--out", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = dir.join("report.html");
    let html = std::fs::read_to_string(&report).unwrap();
    let expected: Vec<String> = ["gcbench", "lists", "binary-trees"]
        .iter()
        .flat_map(|w| [format!("chart-pauses-{w}"), format!("chart-heap-{w}")])
        .chain(["chart-times".to_owned()])
        .collect();

    // The page as it is: no console message at all (it has no script, so any message is a
    // load or parse error).
    let profile = tmp.join("gclab-chromium-profile-1");
    let _ = std::fs::remove_dir_all(&profile);
    let dumped = headless(&chromium, &profile, &report, &["--dump-dom"]);
    if !dumped.status.success() && dumped.stdout.is_empty() {
        println!("skipped: {} did not run: {}", chromium.display(), String::from_utf8_lossy(&dumped.stderr));
        return;
    }
    let console: Vec<String> =
        String::from_utf8_lossy(&dumped.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(String::from).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let dom = String::from_utf8_lossy(&dumped.stdout);
    for id in &expected {
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id} is in the rendered page");
    }

    // A copy with a probe: every chart is laid out at a visible size.
    let probed = dir.join("report-probed.html");
    std::fs::write(&probed, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
    let profile = tmp.join("gclab-chromium-profile-2");
    let _ = std::fs::remove_dir_all(&profile);
    let dumped = headless(&chromium, &profile, &probed, &["--window-size=1280,900", "--dump-dom"]);
    let dom = String::from_utf8_lossy(&dumped.stdout);
    let rendered = dom
        .split("data-rendered=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the probe ran: {}", String::from_utf8_lossy(&dumped.stderr)));
    let sizes: Vec<(&str, u32, u32)> = rendered
        .split_whitespace()
        .map(|entry| {
            let (id, size) = entry.rsplit_once(':').unwrap();
            let (w, h) = size.split_once('x').unwrap();
            (id, w.parse().unwrap(), h.parse().unwrap())
        })
        .collect();
    let ids: Vec<&str> = sizes.iter().map(|s| s.0).collect();
    assert_eq!(ids, expected, "every chart, in order");
    assert!(sizes.iter().all(|&(_, w, h)| w >= 400 && h >= 200), "charts are laid out visibly: {rendered}");

    // The artifact.
    let screenshot = tmp.join("gclab-report-in-chromium.png");
    let _ = std::fs::remove_file(&screenshot);
    let profile = tmp.join("gclab-chromium-profile-3");
    let _ = std::fs::remove_dir_all(&profile);
    let shot = format!("--screenshot={}", screenshot.display());
    headless(&chromium, &profile, &report, &["--window-size=1280,2400", "--hide-scrollbars", &shot]);
    let png = std::fs::read(&screenshot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a PNG of the page");
    println!("screenshot: {}", screenshot.display());
}
