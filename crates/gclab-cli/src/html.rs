//! `report.html`: the whole comparison on one self-contained page — the machine, each
//! workload's table with its two charts, the per-operation costs, the time chart, and what
//! every figure means. The
//! charts are inline SVG and the style is inline: the page loads nothing, so it can be mailed
//! or archived as one file and opened offline.

use std::fmt::Write as _;

use crate::backend::Backend;
use crate::charts::Chart;
use crate::compare::Comparison;
use crate::machine::Machine;
use crate::op_costs::{op_legend, op_rows};
use crate::table::{workload_rows, Table, TIE};

const STYLE: &str = "body{font-family:sans-serif;margin:2em auto;max-width:1000px;color:#222;line-height:1.4}\
table{border-collapse:collapse;margin:.5em 0;font-size:90%}\
th,td{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:right;white-space:nowrap}\
th:first-child,td:first-child{text-align:left}\
figure{margin:1em 0}figure svg{max-width:100%;height:auto}\
.notes{color:#555;font-size:90%}dt{font-weight:bold}dd{margin:0 0 .4em 1.5em}\
.problem{color:#b00}";

/// What the report needs besides the comparison.
pub struct Page<'a> {
    /// The comparison.
    pub comparison: &'a Comparison,
    /// Its charts (from [`crate::charts::draw_charts`]).
    pub charts: &'a [Chart],
    /// The machine it ran on.
    pub machine: &'a Machine,
    /// The command line that ran it.
    pub command: &'a str,
    /// Checksum mismatches and failed runs, one message each.
    pub problems: &'a [String],
}

/// The id of a chart's `<figure>`: `chart-` and its file name without `.svg`.
///
/// ```
/// assert_eq!(gclab_cli::html::chart_id("pauses-gcbench.svg"), "chart-pauses-gcbench");
/// ```
pub fn chart_id(file_name: &str) -> String {
    format!("chart-{}", file_name.trim_end_matches(".svg"))
}

/// The page.
pub fn report_html(page: &Page<'_>) -> String {
    let comparison = page.comparison;
    let mut html = String::new();
    let runs = if comparison.repeat > 1 {
        format!("each pair run {} times; figures are medians", comparison.repeat)
    } else {
        "each pair run once (use --repeat N to see the spread)".to_owned()
    };
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>gclab comparison</title>\
         <style>{STYLE}</style></head><body>\n<h1>gclab comparison</h1>\n\
         <p id=\"machine\"><b>Machine:</b> {}<br><b>Run:</b> {}, gclab {}, {}{}<br><b>Command:</b> <code>{}</code></p>\n",
        escape(&page.machine.summary()),
        escape(&page.machine.date),
        env!("CARGO_PKG_VERSION"),
        runs,
        if comparison.quick { ", quick sizes" } else { "" },
        escape(page.command),
    );
    if !page.problems.is_empty() {
        html.push_str("<ul class=\"problem\">");
        for problem in page.problems {
            let _ = write!(html, "<li>{}</li>", escape(problem));
        }
        html.push_str("</ul>\n");
    }
    for workload in comparison.workloads() {
        let table = workload_rows(comparison, workload);
        let _ = writeln!(html, "<section id=\"workload-{}\">\n<h2>{}</h2>", escape(workload), escape(&table.title));
        html.push_str(&table_html(&table));
        for prefix in ["pauses-", "heap-"] {
            if let Some(chart) = page.charts.iter().find(|c| c.file_name == format!("{prefix}{workload}.svg")) {
                html.push_str(&figure(chart));
            }
        }
        html.push_str("</section>\n");
    }
    if !comparison.op_costs.is_empty() {
        let table = op_rows(&comparison.op_costs, comparison.repeat);
        let _ = writeln!(html, "<section id=\"op-costs\">\n<h2>{}</h2>", escape(&table.title));
        html.push_str(&table_html(&table));
        html.push_str("</section>\n");
    }
    if let Some(chart) = page.charts.iter().find(|c| c.file_name == "times.svg") {
        html.push_str("<section id=\"times\"><h2>Wall time per workload</h2>\n");
        html.push_str(&figure(chart));
        html.push_str("</section>\n");
    }
    html.push_str(&legend_html(comparison));
    html.push_str("</body></html>\n");
    html
}

fn table_html(table: &Table) -> String {
    let mut html = String::from("<table><thead><tr>");
    for h in &table.header {
        let _ = write!(html, "<th>{}</th>", escape(h));
    }
    html.push_str("</tr></thead><tbody>\n");
    for row in &table.rows {
        html.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            // A row that did not finish says why across the remaining columns.
            let span = if i + 1 == row.len() && row.len() < table.header.len() {
                format!(" colspan=\"{}\" style=\"text-align:left\"", table.header.len() - i)
            } else {
                String::new()
            };
            let _ = write!(html, "<td{span}>{}</td>", escape(cell));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody></table>\n");
    if !table.notes.is_empty() {
        html.push_str("<p class=\"notes\">");
        html.push_str(&table.notes.iter().map(|n| escape(n)).collect::<Vec<_>>().join("<br>"));
        html.push_str("</p>\n");
    }
    html
}

fn figure(chart: &Chart) -> String {
    // The SVG document's own XML declaration, if any, is not allowed inside HTML.
    let svg = chart.svg.trim_start_matches(|c| c != '<');
    let svg = if svg.starts_with("<?xml") { &svg[svg.find("?>").map_or(0, |i| i + 2)..] } else { svg };
    format!(
        "<figure class=\"chart\" id=\"{}\">{}<figcaption>{} (<a href=\"{}\">{}</a>)</figcaption></figure>\n",
        chart_id(&chart.file_name),
        svg.trim(),
        escape(&chart.caption),
        escape(&chart.file_name),
        escape(&chart.file_name)
    )
}

/// What each figure means, and what each backend's pauses are.
fn legend_html(comparison: &Comparison) -> String {
    let items: [(&str, &str); 12] = [
        ("time", "the workload's wall time, collections included (with repetitions, the median)"),
        ("±", "the spread of the wall time over the repetitions: the farther of the fastest and slowest from the median, as a share of it"),
        ("×best", "the median time over the fastest backend's"),
        ("×nogc", "the median time over the no-GC baseline's; nogc never collects but pays for a fresh page for every byte, so it is a baseline, not a lower bound"),
        (TIE, "after a ratio: a tie, the two backends' time ranges overlap, so the repetitions did not separate them"),
        ("GC", "the share of the time the mutator was stopped: the sum of the pause log over the wall time"),
        ("minor, full", "collections of each kind (refcount: generations 0 and 1 are minor, 2 full)"),
        ("bursts", "refcount's free bursts: cascades of frees by reference count that took 50 µs or more, logged as pauses"),
        ("p99, max", "pause percentiles (nearest rank) and the longest pause"),
        ("MMU", "minimum mutator utilisation: the least share of any window of 1, 10 or 100 ms in which the mutator ran (— when the window is longer than the run)"),
        ("peak heap", "the most memory the heap held from the system"),
        ("peak RSS", "the run's process's peak resident set size"),
    ];
    let mut html = String::from("<section id=\"legend\"><h2>What the figures mean</h2><dl>\n");
    for (term, meaning) in items {
        let _ = writeln!(html, "<dt>{}</dt><dd>{}</dd>", escape(term), escape(meaning));
    }
    for name in comparison.backends() {
        if let Some(backend) = Backend::from_name(name) {
            let _ = writeln!(html, "<dt>{} pauses</dt><dd>{}</dd>", escape(name), escape(backend.pauses()));
        }
    }
    if !comparison.op_costs.is_empty() {
        for (op, meaning) in op_legend() {
            let _ = writeln!(html, "<dt>{}</dt><dd>per-operation costs: {}</dd>", escape(op), escape(meaning));
        }
    }
    html.push_str("</dl>\n<p>Charts: the pause distribution shows, for each pause length x (log scale), the share of \
                   pauses no longer than x; the heap chart shows bytes in objects (log scale), measured before and after \
                   each pause and at the end of the run, held flat between measurements. With repetitions, both draw each \
                   backend's median run.</p></section>\n");
    html
}

/// Escapes text for HTML.
///
/// ```
/// assert_eq!(gclab_cli::html::escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
/// ```
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}
