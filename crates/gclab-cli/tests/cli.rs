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
    ] {
        assert!(json[field].as_u64().is_some(), "{field} is a count: {text}");
    }
    assert!(json["counters"].is_object());

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
