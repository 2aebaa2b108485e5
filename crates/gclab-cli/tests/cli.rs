//! The built `gclab` binary, run as a user would run it.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The Benchmarks Game's output for n = 10 (from gc-facts.md).
const OUTPUT_10: &str = "stretch tree of depth 11\t check: 4095\n\
                         1024\t trees of depth 4\t check: 31744\n\
                         256\t trees of depth 6\t check: 32512\n\
                         64\t trees of depth 8\t check: 32704\n\
                         16\t trees of depth 10\t check: 32752\n\
                         long lived tree of depth 10\t check: 2047\n";

fn gclab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gclab")).args(args).output().expect("the gclab binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn run_binary_trees(extra: &[&str]) -> Output {
    let mut args = vec!["run", "--backend", "marksweep", "--workload", "binary-trees"];
    args.extend_from_slice(extra);
    gclab(&args)
}

fn report_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("gclab-cli-{name}.json"))
}

#[test]
fn run_prints_exactly_the_workload_output() {
    let out = run_binary_trees(&["--size", "10"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), OUTPUT_10);
    assert_eq!(stderr(&out), "");
}

#[test]
fn json_report_has_every_field() {
    let path = report_path("report");
    let _ = std::fs::remove_file(&path);
    let out = run_binary_trees(&["--size", "10", "--initial-trigger", "64K", "--json", path.to_str().unwrap()]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), OUTPUT_10, "the report goes to the file only");

    let text = std::fs::read_to_string(&path).expect("the report was written");
    let json: serde_json::Value = serde_json::from_str(&text).expect("the report is JSON");
    assert_eq!(json["backend"], "marksweep");
    assert_eq!(json["workload"], "binary-trees");
    assert_eq!(json["size"], 10);
    assert_eq!(json["checksum"], 135_854);
    assert_eq!(json["initial_trigger"], 64 << 10);
    for field in [
        "wall_ms",
        "gc_ms",
        "mutator_ms",
        "pause_max_us",
        "pause_p50_us",
        "pause_p90_us",
        "pause_p99_us",
        "growth_factor",
        "mmu_1ms",
        "mmu_10ms",
        "mmu_100ms",
    ] {
        assert!(json[field].as_f64().is_some(), "{field} is a number: {text}");
    }
    for field in [
        "collections",
        "minor_collections",
        "full_collections",
        "allocated_objects",
        "allocated_bytes",
        "peak_heap_bytes",
        "heap_bytes",
        "live_objects_after_gc",
        "live_bytes_after_gc",
        "live_objects_at_end",
        "heap_limit",
        "heap_end_bytes",
        "peak_rss_bytes",
    ] {
        assert!(json[field].as_u64().is_some(), "{field} is a count: {text}");
    }
    assert!(json["counters"].is_object());
    let log = json["pause_log"].as_array().expect("the pause log is an array");
    assert_eq!(log.len() as u64, json["collections"].as_u64().unwrap());
    assert!(log.iter().all(|p| p["kind"] == "full" && p["duration_us"].as_f64().is_some()));
    if cfg!(target_os = "linux") {
        assert!(json["peak_rss_bytes"].as_u64().unwrap() > 1 << 20, "a peak RSS: {text}");
    }
    let mmu = |f: &str| json[f].as_f64().unwrap();
    // MMU is not monotonic in the window (two 1 ms pauses 0.5 ms apart: a 1.5 ms window
    // holds one of them and 0.5 ms of mutator, a 2.5 ms window both), so each is only bounded.
    for f in ["mmu_1ms", "mmu_10ms", "mmu_100ms"] {
        assert!((0.0..=1.0).contains(&mmu(f)), "{f} is a fraction: {text}");
    }

    let count = |f: &str| json[f].as_u64().unwrap();
    assert!(count("collections") > 0, "a 64 KiB trigger collects: {text}");
    assert_eq!(count("collections"), count("minor_collections") + count("full_collections"));
    // Every node is one allocation: the checks count every node built.
    assert_eq!(count("allocated_objects"), 135_854);
    assert!(count("allocated_bytes") >= 135_854 * 32);
    let ms = |f: &str| json[f].as_f64().unwrap();
    assert!(ms("wall_ms") >= ms("gc_ms"));
    assert!((ms("wall_ms") - ms("gc_ms") - ms("mutator_ms")).abs() < 1e-6);
    assert!(ms("pause_p50_us") <= ms("pause_p90_us"));
    assert!(ms("pause_p90_us") <= ms("pause_p99_us"));
    assert!(ms("pause_p99_us") <= ms("pause_max_us"));
    assert!(ms("pause_max_us") > 0.0);
}

fn assert_usage_error(out: &Output, needles: &[&str]) {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(out));
    assert_eq!(stdout(out), "", "nothing on stdout for a usage error");
    let err = stderr(out);
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in stderr: {err}");
    }
}

#[test]
fn unknown_backend_names_the_valid_ones() {
    let out = gclab(&["run", "--backend", "copying", "--workload", "binary-trees"]);
    assert_usage_error(&out, &["copying", "possible values", "marksweep"]);
}

#[test]
fn unknown_workload_names_the_valid_ones() {
    let out = gclab(&["run", "--backend", "marksweep", "--workload", "binarytrees"]);
    assert_usage_error(&out, &["binarytrees", "possible values", "binary-trees"]);
}

#[test]
fn bad_sizes_name_the_valid_range() {
    for size in ["0", "25", "1000000"] {
        let out = run_binary_trees(&["--size", size]);
        assert_usage_error(&out, &[&format!("size {size} is out of range"), "binary-trees", "1 to 24"]);
    }
    let out = run_binary_trees(&["--size", "ten"]);
    assert_usage_error(&out, &["ten", "--size"]);
}

#[test]
fn bad_heap_configuration_is_a_usage_error() {
    let out = run_binary_trees(&["--size", "6", "--heap-limit", "4K"]);
    assert_usage_error(&out, &["heap_limit"]);
    let out = run_binary_trees(&["--size", "6", "--growth-factor", "0.5"]);
    assert_usage_error(&out, &["growth_factor"]);
}

#[test]
fn an_exhausted_heap_fails_with_code_1() {
    let out = run_binary_trees(&["--size", "16", "--heap-limit", "1M"]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    assert!(stderr(&out).contains("heap exhausted"), "{}", stderr(&out));
}

#[test]
fn list_shows_backends_and_workloads() {
    let out = gclab(&["list"]);
    assert!(out.status.success());
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with("backend ") && l.contains("marksweep") && l.contains("mark-sweep")),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("workload ") && l.contains("binary-trees") && l.contains("sizes 1 to 24")),
        "{text}"
    );
    assert!(lines.iter().all(|l| l.starts_with("backend ") || l.starts_with("workload ")));
}

#[test]
fn every_workload_runs_on_every_backend() {
    let list = stdout(&gclab(&["list"]));
    let backends: Vec<&str> =
        list.lines().filter(|l| l.starts_with("backend ")).map(|l| l.split_whitespace().nth(1).unwrap()).collect();
    assert_eq!(backends, built_backends());
    let sizes = [
        ("binary-trees", "8"),
        ("gcbench", "8"),
        ("cycles", "300"),
        ("lists", "300"),
        ("pyobjects", "500"),
        ("large", "3"),
        ("churn", "3000"),
    ];
    for (workload, size) in sizes {
        let mut outputs = Vec::new();
        for backend in &backends {
            let out = gclab(&["run", "--backend", backend, "--workload", workload, "--size", size]);
            assert!(out.status.success(), "{workload} on {backend}: {}", stderr(&out));
            outputs.push(stdout(&out));
        }
        assert!(outputs.windows(2).all(|w| w[0] == w[1]), "{workload}: outputs differ: {outputs:?}");
    }
}

#[test]
fn gclab_log_prints_one_line_per_collection() {
    let path = report_path("logged");
    let out = Command::new(env!("CARGO_BIN_EXE_gclab"))
        .args(["run", "--backend", "marksweep", "--workload", "binary-trees", "--size", "10"])
        .args(["--initial-trigger", "64K", "--json", path.to_str().unwrap()])
        .env("GCLAB_LOG", "gc")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(stdout(&out), OUTPUT_10, "the log goes to stderr only");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    // One line per collection of the workload, and one for the collection after it that
    // measures the bytes in objects at the end.
    assert_eq!(lines.len() as u64, json["collections"].as_u64().unwrap() + 1, "{err}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("gc ") && l.contains(" full ") && l.contains("KiB ->") && l.contains("pause")),
        "{err}"
    );
}

fn report_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("gclab-compare-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The backends this test binary's `gclab` was built with, in listing order (the CLI's
/// default features: every backend, the no-GC baseline last).
fn built_backends() -> Vec<&'static str> {
    let mut backends = vec!["marksweep", "refcount"];
    if cfg!(feature = "generational") {
        backends.push("generational");
    }
    if cfg!(feature = "concurrent") {
        backends.push("concurrent");
    }
    backends.push("nogc");
    backends
}

fn compare(args: &[&str]) -> Output {
    let mut all = vec!["compare"];
    all.extend_from_slice(args);
    gclab(&all)
}

#[test]
fn compare_prints_tables_and_writes_a_parseable_report() {
    let dir = report_dir("report");
    // A chart of an earlier comparison, and a file of the user's, in the folder.
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pauses-lists.svg"), "<svg/>").unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let out = compare(&[
        "--workloads",
        "gcbench,cycles",
        "--sizes",
        "gcbench=8,cycles=400",
        "--initial-trigger",
        "256K",
        "--repeat",
        "2",
        "--op-time",
        "10",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "gcbench (size 8, median of 2 runs)",
        "cycles (size 400, median of 2 runs)",
        "per-operation costs (ns per operation, median of 2 runs)",
        "×best",
        "×nogc",
    ] {
        assert!(text.contains(needle), "{needle:?} not in: {text}");
    }
    for needle in ["MMU 1ms", "peak heap", "±", "bursts", "refcount's pauses:", "report.html"] {
        assert!(text.contains(needle), "{needle:?} not in: {text}");
    }
    let backends = built_backends();
    for backend in &backends {
        let rows: Vec<&str> = text.lines().filter(|l| l.starts_with(&format!("{backend} "))).collect();
        assert_eq!(rows.len(), 3, "{backend} has a row per table, the per-operation one too: {text}");
        // The per-operation row: a median and a spread for each of the six operations.
        assert_eq!(rows[2].matches(" ±").count(), 6, "{text}");
    }
    for op in ["allocate", "allocate_from_roots", "load", "live_load", "store", "push_pop_root"] {
        assert!(text.contains(&format!("{op}: ")), "the legend says what {op} times: {text}");
    }
    // Piped, the progress is one plain line per run (2 workloads × 2 repetitions per backend),
    // then one per backend and repetition of the per-operation costs.
    let err = stderr(&out);
    let runs = backends.len() * 4;
    let all = runs + backends.len() * 2;
    let last_run = format!("[{runs}/{all}] cycles (400) on nogc, repetition 2 of 2: ");
    assert!(err.lines().any(|l| l.starts_with(&last_run)), "{err}");
    let last = format!("[{all}/{all}] per-operation costs on nogc, repetition 2 of 2: done");
    assert!(err.lines().any(|l| l == last), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with('[')).count(), all, "{err}");

    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap())
        .expect("results.json is JSON");
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), backends.len() * 4, "every repetition is kept");
    assert_eq!(json["repeat"], 2);
    assert_eq!(json["workloads"], serde_json::json!(["gcbench", "cycles"]));
    assert!(json["machine"]["cores"].as_u64().unwrap() > 0);
    assert!(json["mismatches"].as_array().unwrap().is_empty());
    for run in runs {
        assert_eq!(run["status"], "ok", "{run}");
        let report = &run["report"];
        assert_eq!(report["backend"], run["backend"]);
        assert!(report["pause_log"].is_array());
        assert!(run["ratio_to_best"].as_f64().unwrap() > 0.0);
        assert!(report["peak_rss_bytes"].as_u64().is_some());
    }
    let repetitions: Vec<u64> = runs.iter().map(|r| r["repetition"].as_u64().unwrap()).collect();
    let n = backends.len();
    let interleaved: Vec<u64> = [1, 2, 1, 2].iter().flat_map(|&r| std::iter::repeat_n(r, n)).collect();
    assert_eq!(repetitions, interleaved, "interleaved repetitions");
    let summaries = json["summaries"].as_array().unwrap();
    assert_eq!(summaries.len(), 2 * n);
    for summary in summaries {
        let wall = &summary["wall_ms"];
        let (min, median, max) =
            (wall["min"].as_f64().unwrap(), wall["median"].as_f64().unwrap(), wall["max"].as_f64().unwrap());
        assert!(min <= median && median <= max && wall["n"] == 2, "{summary}");
        let walls: Vec<f64> = runs
            .iter()
            .filter(|r| r["workload"] == summary["workload"] && r["backend"] == summary["backend"])
            .map(|r| r["report"]["wall_ms"].as_f64().unwrap())
            .collect();
        assert_eq!(walls.len(), 2);
        assert!((median - (walls[0] + walls[1]) / 2.0).abs() < 1e-9, "the median of two is their mean");
    }
    assert!(summaries.iter().any(|s| s["ratio_to_best"] == 1.0));
    let op_costs = json["op_costs"].as_array().unwrap();
    assert_eq!(op_costs.len(), 2 * n * 6, "every repetition of every operation on every backend");
    assert!(op_costs.iter().all(|c| c["ns"].as_f64().unwrap() > 0.0 && c["error"].is_null()), "{op_costs:?}");
    let op_summaries = json["op_summaries"].as_array().unwrap();
    assert_eq!(op_summaries.len(), n * 6);
    assert!(op_summaries.iter().all(|s| s["ns"]["n"] == 2), "{op_summaries:?}");
    let checksums: Vec<u64> =
        runs.iter().filter(|r| r["workload"] == "cycles").map(|r| r["report"]["checksum"].as_u64().unwrap()).collect();
    assert_eq!(checksums, vec![400 * 21 + 400 * 21 * (400 * 21 - 1) / 2; 2 * n]);

    let mut csv = csv::Reader::from_path(dir.join("results.csv")).expect("results.csv opens");
    let headers = csv.headers().unwrap().clone();
    assert_eq!(&headers[0], "backend");
    assert_eq!(&headers[3], "repetition");
    assert!(headers.iter().any(|h| h == "mmu_10ms") && headers.iter().any(|h| h == "peak_rss_bytes"));
    let rows: Vec<csv::StringRecord> = csv.records().map(|r| r.expect("a well-formed row")).collect();
    assert_eq!(rows.len(), 4 * n);
    assert!(rows.iter().all(|r| r.len() == headers.len() && &r[4] == "ok"));
    for row in &rows {
        for cell in row.iter().skip(5) {
            if let Some((_, decimals)) = cell.split_once('.') {
                assert!(decimals.len() <= 10 && !decimals.contains(';'), "no float noise: {cell}");
            }
        }
    }

    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(
        files,
        [
            "heap-cycles.svg",
            "heap-gcbench.svg",
            "notes.txt",
            "pauses-cycles.svg",
            "pauses-gcbench.svg",
            "report.html",
            "results.csv",
            "results.json",
            "times.svg"
        ],
        "the earlier chart is gone, the user's file stays"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    for chart in files.iter().filter(|f| f.ends_with(".svg")) {
        let svg = std::fs::read_to_string(dir.join(chart)).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{chart}");
        assert!(svg.contains("marksweep"), "{chart} has a legend");
        let id = format!("id=\"chart-{}\"", chart.trim_end_matches(".svg"));
        assert!(html.contains(&id), "report.html has {chart}");
    }
    for reference in ["src=", "<link", "@import", "url("] {
        assert!(!html.contains(reference), "report.html loads nothing: {reference}");
    }
    assert!(html.contains("id=\"machine\"") && html.contains("What the figures mean"));
    assert!(html.contains("<section id=\"op-costs\">") && html.contains("<th>push_pop_root</th>"));
}

#[test]
fn compare_keeps_the_order_of_workloads_given() {
    let dir = report_dir("order");
    let out = compare(&[
        "--workloads",
        "lists,gcbench",
        "--sizes",
        "lists=50,gcbench=6",
        "--backends",
        "marksweep",
        "--repeat",
        "1",
        "--op-time",
        "0",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("per-operation"), "--op-time 0 leaves the per-operation table out: {text}");
    let lists = text.find("lists (size 50)").expect("a lists table");
    let gcbench = text.find("gcbench (size 6)").expect("a gcbench table");
    assert!(lists < gcbench, "{text}");
    let header = text.lines().find(|l| l.starts_with("backend ")).unwrap();
    assert!(!header.contains('±'), "one run has no spread: {text}");
}

#[test]
fn compare_reports_a_heap_too_small_as_did_not_fit() {
    let dir = report_dir("did-not-fit");
    let out = compare(&[
        "--workloads",
        "gcbench",
        "--sizes",
        "gcbench=10",
        "--backends",
        "nogc,marksweep",
        "--heap-limit",
        "2M",
        "--repeat",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "not fitting is not an error: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().any(|l| l.starts_with("marksweep ") && l.contains("1.00")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("nogc ") && l.contains("did not fit")), "{text}");
    assert!(text.contains("heap exhausted"), "the reason is given: {text}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["backends"], serde_json::json!(["marksweep", "nogc"]), "listing order");
    assert_eq!(json["runs"][1]["status"], "did_not_fit");
    assert!(json["runs"][0]["ratio_to_nogc"].is_null());
}

#[test]
fn compare_fails_on_a_checksum_mismatch_and_names_it() {
    let dir = report_dir("mismatch");
    let out = Command::new(env!("CARGO_BIN_EXE_gclab"))
        .args([
            "compare",
            "--workloads",
            "lists",
            "--sizes",
            "lists=50",
            "--repeat",
            "1",
            "--out",
            dir.to_str().unwrap(),
        ])
        .env("GCLAB_FAULT_CHECKSUM", "refcount")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("workload `lists`") && err.contains("checksums differ") && err.contains("refcount"), "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    assert_eq!(json["mismatches"].as_array().unwrap().len(), 1, "the report is still written");
}

#[test]
fn compare_usage_errors_exit_with_code_2() {
    let dir = report_dir("usage");
    let out_arg = dir.to_str().unwrap();
    let out = compare(&["--backends", "marksweep,copying", "--out", out_arg]);
    assert_usage_error(&out, &["copying", "possible values", "marksweep"]);
    let out = compare(&["--workloads", "gcbench,gcbench2", "--out", out_arg]);
    assert_usage_error(&out, &["gcbench2", "possible values", "binary-trees"]);
    let out = compare(&["--sizes", "churn=0", "--out", out_arg]);
    assert_usage_error(&out, &["size 0 is out of range", "churn"]);
    let out = compare(&["--sizes", "churn=99999999999", "--out", out_arg]);
    assert_usage_error(&out, &["99999999999"]);
    let out = compare(&["--sizes", "nope=3", "--out", out_arg]);
    assert_usage_error(&out, &["unknown workload `nope`"]);
    let out = compare(&["--growth-factor", "0.5", "--out", out_arg]);
    assert_usage_error(&out, &["growth_factor"]);
    // A folder that cannot be made: its parent is a file.
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = compare(&["--workloads", "gcbench", "--out", file.join("report").to_str().unwrap()]);
    assert_usage_error(&out, &["cannot write the report to", "a-file"]);
}

#[test]
fn run_json_path_is_checked_before_the_run() {
    let dir = report_dir("json-path");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = run_binary_trees(&["--size", "10", "--json", file.join("report.json").to_str().unwrap()]);
    assert_usage_error(&out, &["cannot write the report to", "a-file"]);
}

#[test]
fn run_json_dash_writes_the_report_to_stdout() {
    let out = run_binary_trees(&["--size", "10", "--json", "-"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("stdout is the JSON report alone");
    assert_eq!(json["checksum"], 135_854);
    assert!(!std::path::Path::new("-").exists(), "no file named -");
}

#[test]
fn binary_trees_reports_the_size_it_ran() {
    let out = run_binary_trees(&["--size", "1", "--json", "-"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["size"], 6, "size 1 runs depth 6");
    assert!(stderr(&out).contains("size 1 runs as size 6"), "{}", stderr(&out));
}

#[test]
fn unknown_gclab_log_values_are_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_gclab"))
        .args(["run", "--backend", "marksweep", "--workload", "binary-trees", "--size", "6"])
        .env("GCLAB_LOG", "gc,gctrace")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stderr(&out).contains("unknown value `gctrace`"), "{}", stderr(&out));
}

#[test]
fn compare_prefixes_forwarded_gc_lines_with_their_run() {
    let dir = report_dir("log-prefix");
    let out = Command::new(env!("CARGO_BIN_EXE_gclab"))
        .args(["compare", "--workloads", "gcbench", "--sizes", "gcbench=8", "--backends", "marksweep"])
        .args(["--initial-trigger", "64K", "--repeat", "1", "--out", dir.to_str().unwrap()])
        .env("GCLAB_LOG", "gc")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let gc_lines: Vec<&str> = err.lines().filter(|l| l.contains("] gc ")).collect();
    assert!(!gc_lines.is_empty(), "{err}");
    assert!(gc_lines.iter().all(|l| l.starts_with("[gcbench marksweep #1] gc ")), "{err}");
}

#[test]
fn refcount_logs_its_free_bursts_as_pauses() {
    let path = report_path("refcount-bursts");
    let out = gclab(&[
        "run",
        "--backend",
        "refcount",
        "--workload",
        "binary-trees",
        "--size",
        "16",
        "--json",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let log = json["pause_log"].as_array().unwrap();
    // binary-trees builds immutable trees (never tracked): no cycle collection runs, and every
    // pause is a burst of frees, each tree of depth 16 (131,071 nodes) dropped at once.
    assert_eq!(json["collections"], 0, "{json}");
    assert!(!log.is_empty() && log.iter().all(|p| p["kind"] == "free-burst"), "{json}");
    assert!(log.iter().all(|p| p["duration_us"].as_f64().unwrap() >= 50.0), "the threshold holds");
    assert!(log.iter().all(|p| p["bytes_before"].as_u64() > p["bytes_after"].as_u64()), "bursts free memory");
    let total_us: f64 = log.iter().map(|p| p["duration_us"].as_f64().unwrap()).sum();
    assert!((json["gc_ms"].as_f64().unwrap() * 1000.0 - total_us).abs() < 1.0, "bursts count as GC time");
    assert!(json["pause_max_us"].as_f64().unwrap() > 0.0 && json["mmu_1ms"].as_f64().unwrap() < 1.0);
    // One definition of the bytes in objects at the end: the long-lived tree (depth 16, 32-byte
    // nodes), still counted when the workload returned, as its objects are.
    let live = json["live_objects_at_end"].as_u64().unwrap();
    assert_eq!(live, (1 << 17) - 1, "{json}");
    assert_eq!(json["heap_end_bytes"].as_u64().unwrap(), live * 32, "{json}");
}
