//! The report folder's SVG charts, drawn with plotters' SVG backend (text as SVG `<text>`
//! elements, so no font files are needed):
//!
//! - `pauses-WORKLOAD.svg`: the pause-time distribution per backend, as cumulative curves
//!   (the share of pauses at most x long, x on a log scale);
//! - `heap-WORKLOAD.svg`: bytes in objects over the run per backend, from the pause log (before
//!   and after each collection) and the bytes in objects at the end;
//! - `times.svg`: wall time per workload as grouped bars, one bar per backend.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::compare::Comparison;
use crate::report::RunReport;

/// The most points a heap curve gets; longer pause logs are thinned (keeping each stretch's
/// highest point).
const MAX_HEAP_POINTS: usize = 4_000;

const SIZE: (u32, u32) = (900, 540);

/// One colour per backend, in order.
fn colour(index: usize) -> RGBColor {
    const COLOURS: [RGBColor; 6] = [
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0x7f, 0x7f, 0x7f),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0x94, 0x67, 0xbd),
    ];
    COLOURS[index % COLOURS.len()]
}

type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A backend's curve: its index (for its colour), its name and its points.
type Curve<'a> = (usize, &'a str, Vec<(f64, f64)>);

/// Writes every chart of `comparison` into `dir`; returns the files written.
pub fn write_charts(comparison: &Comparison, dir: &Path) -> DrawResult<Vec<PathBuf>> {
    let mut written = Vec::new();
    let backends = comparison.backends();
    for workload in comparison.workloads() {
        let runs: Vec<(usize, &RunReport)> = comparison
            .runs_of(workload)
            .filter_map(|r| Some((backends.iter().position(|&b| b == r.backend)?, r.report()?)))
            .collect();
        let path = dir.join(format!("pauses-{workload}.svg"));
        pause_chart(&path, workload, &runs)?;
        written.push(path);
        let path = dir.join(format!("heap-{workload}.svg"));
        heap_chart(&path, workload, &runs)?;
        written.push(path);
    }
    let path = dir.join("times.svg");
    time_chart(&path, comparison)?;
    written.push(path);
    Ok(written)
}

/// The cumulative share of pauses up to each duration: `(duration_us, share)` points of a step
/// curve.
pub fn pause_cdf(report: &RunReport) -> Vec<(f64, f64)> {
    let mut durations: Vec<f64> = report.pause_log.iter().map(|p| p.duration_us.max(0.01)).collect();
    durations.sort_by(f64::total_cmp);
    let n = durations.len() as f64;
    let mut points = Vec::with_capacity(2 * durations.len());
    for (i, &d) in durations.iter().enumerate() {
        points.push((d, i as f64 / n));
        points.push((d, (i + 1) as f64 / n));
    }
    points
}

fn pause_chart(path: &Path, workload: &str, runs: &[(usize, &RunReport)]) -> DrawResult<()> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let curves: Vec<Curve<'_>> =
        runs.iter().map(|&(i, r)| (i, r.backend.as_str(), pause_cdf(r))).filter(|(_, _, c)| !c.is_empty()).collect();
    let title = format!("{workload}: pause-time distribution");
    if curves.is_empty() {
        return note(&root, &title, "no backend paused on this workload");
    }
    let lo = curves.iter().flat_map(|(_, _, c)| c.iter().map(|p| p.0)).fold(f64::INFINITY, f64::min);
    let hi = curves.iter().flat_map(|(_, _, c)| c.iter().map(|p| p.0)).fold(0.0, f64::max);
    let (lo, hi) = (lo / 1.5, hi * 1.5);
    let mut chart = ChartBuilder::on(&root)
        .caption(&title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("pause (µs, log scale)")
        .y_desc("share of pauses ≤ x")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
        .draw()?;
    for (i, backend, points) in curves {
        let count = points.len() / 2;
        chart
            .draw_series(LineSeries::new(points, colour(i).stroke_width(2)))?
            .label(format!("{backend} ({count} pauses)"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour(i).stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Bytes in objects over the run, in (seconds, MiB): 0 at the start, before and after each
/// pause, and the bytes in objects at the end; thinned to at most `MAX_HEAP_POINTS` points.
pub fn heap_series(report: &RunReport) -> Vec<(f64, f64)> {
    const MIB: f64 = (1 << 20) as f64;
    let log = &report.pause_log;
    let mut points = vec![(0.0, 0.0)];
    let per_point = log.len().div_ceil(MAX_HEAP_POINTS / 2).max(1);
    for stretch in log.chunks(per_point) {
        let highest = stretch.iter().max_by_key(|p| p.bytes_before).expect("chunks are not empty");
        let last = stretch.last().expect("chunks are not empty");
        points.push((highest.start_us / 1e6, highest.bytes_before as f64 / MIB));
        points.push(((last.start_us + last.duration_us) / 1e6, last.bytes_after as f64 / MIB));
    }
    points.push((report.wall_ms / 1e3, report.heap_end_bytes as f64 / MIB));
    points
}

fn heap_chart(path: &Path, workload: &str, runs: &[(usize, &RunReport)]) -> DrawResult<()> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let title = format!("{workload}: bytes in objects over time");
    if runs.is_empty() {
        return note(&root, &title, "no backend finished this workload");
    }
    let series: Vec<Curve<'_>> = runs.iter().map(|&(i, r)| (i, r.backend.as_str(), heap_series(r))).collect();
    let x_max = series.iter().flat_map(|(_, _, s)| s.iter().map(|p| p.0)).fold(0.0, f64::max).max(1e-3);
    let y_max = series.iter().flat_map(|(_, _, s)| s.iter().map(|p| p.1)).fold(0.0, f64::max).max(1.0) * 1.08;
    let mut chart = ChartBuilder::on(&root)
        .caption(&title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max * 1.02, 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("MiB in objects")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (i, backend, points) in series {
        chart
            .draw_series(LineSeries::new(points, colour(i).stroke_width(2)))?
            .label(backend.to_owned())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour(i).stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn time_chart(path: &Path, comparison: &Comparison) -> DrawResult<()> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let title = "wall time per workload";
    let workloads = comparison.workloads();
    let backends = comparison.backends();
    let y_max = comparison.results.iter().filter_map(|r| r.report()).map(|r| r.wall_ms / 1e3).fold(0.0, f64::max);
    if workloads.is_empty() || y_max == 0.0 {
        return note(&root, title, "no run finished");
    }
    let n = workloads.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5..n - 0.5, 0.0..y_max * 1.1)?;
    let names = workloads.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(workloads.len())
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                names.get(i as usize).map_or(String::new(), |s| s.to_string())
            } else {
                String::new()
            }
        })
        .y_desc("seconds")
        .draw()?;
    let width = 0.8 / backends.len().max(1) as f64;
    for (bi, &backend) in backends.iter().enumerate() {
        let bars: Vec<Rectangle<(f64, f64)>> = workloads
            .iter()
            .enumerate()
            .filter_map(|(wi, &workload)| {
                let report = comparison.runs_of(workload).find(|r| r.backend == backend)?.report()?;
                let x0 = wi as f64 - 0.4 + bi as f64 * width;
                Some(Rectangle::new([(x0, 0.0), (x0 + width * 0.9, report.wall_ms / 1e3)], colour(bi).filled()))
            })
            .collect();
        chart
            .draw_series(bars)?
            .label(backend.to_owned())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour(bi).filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// A chart with nothing to plot: its title and a line saying why.
fn note(root: &DrawingArea<SVGBackend<'_>, Shift>, title: &str, text: &str) -> DrawResult<()> {
    let style = ("sans-serif", 22).into_font().color(&BLACK);
    root.draw(&Text::new(title.to_owned(), (20, 20), style.clone()))?;
    root.draw(&Text::new(text.to_owned(), (20, 60), ("sans-serif", 16).into_font().color(&BLACK)))?;
    root.present()?;
    Ok(())
}
