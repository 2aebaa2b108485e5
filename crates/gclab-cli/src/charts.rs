//! The report's SVG charts, drawn with plotters' SVG backend (text as SVG `<text>` elements,
//! so no font files are needed), written as files and embedded in `report.html`:
//!
//! - `pauses-WORKLOAD.svg`: the pause-time distribution per backend, as cumulative curves
//!   (the share of pauses at most x long, x on a log scale whose ends are whole decades, so
//!   both ends are labelled); a backend with no pauses is named in the legend all the same;
//! - `heap-WORKLOAD.svg`: bytes in objects over the run per backend, on a log scale (the
//!   no-GC baseline's climb to everything allocated would flatten the collectors on a linear
//!   one), measured before and after each pause and at the end; between two measurements the
//!   line holds the last value (a step), since nothing was measured there;
//! - `times.svg`: the median wall time per workload as grouped bars, one per backend, with a
//!   whisker from the fastest to the slowest repetition.
//!
//! With repetitions, the pause and heap charts draw each backend's median run (by wall time).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::compare::Comparison;
use crate::report::RunReport;

/// The most points a heap curve gets; longer pause logs are thinned (keeping each stretch's
/// highest point).
const MAX_HEAP_POINTS: usize = 4_000;

const SIZE: (u32, u32) = (900, 540);

/// The floor of the heap chart's log axis, in MiB: an empty heap is drawn here.
const HEAP_FLOOR_MIB: f64 = 1.0 / 16.0;

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

/// One chart: its file name, a caption, and its SVG text.
#[derive(Clone, Debug)]
pub struct Chart {
    /// `pauses-gcbench.svg`.
    pub file_name: String,
    /// What it shows, for the HTML report.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
}

/// Draws every chart of `comparison`: for each workload its pause and heap charts, then the
/// time chart.
pub fn draw_charts(comparison: &Comparison) -> DrawResult<Vec<Chart>> {
    let mut charts = Vec::new();
    let backends = comparison.backends();
    for workload in comparison.workloads() {
        let cells = comparison.cells(workload);
        let all: Vec<(usize, &str)> =
            cells.iter().filter_map(|c| Some((backends.iter().position(|&b| b == c.backend)?, c.backend))).collect();
        let runs: Vec<(usize, &RunReport)> = cells
            .iter()
            .filter_map(|c| Some((backends.iter().position(|&b| b == c.backend)?, c.median_report()?)))
            .collect();
        charts.push(Chart {
            file_name: format!("pauses-{workload}.svg"),
            caption: format!("{workload}: pause-time distribution"),
            svg: draw(|area| pause_chart(area, workload, &runs, &all))?,
        });
        charts.push(Chart {
            file_name: format!("heap-{workload}.svg"),
            caption: format!("{workload}: bytes in objects over time"),
            svg: draw(|area| heap_chart(area, workload, &runs))?,
        });
    }
    charts.push(Chart {
        file_name: "times.svg".to_owned(),
        caption: "wall time per workload".to_owned(),
        svg: draw(|area| time_chart(area, comparison))?,
    });
    Ok(charts)
}

/// Writes `charts` into `dir`.
pub fn write_charts(charts: &[Chart], dir: &Path) -> std::io::Result<()> {
    for chart in charts {
        std::fs::write(dir.join(&chart.file_name), &chart.svg)?;
    }
    Ok(())
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn draw(f: impl FnOnce(&Area<'_>) -> DrawResult<()>) -> DrawResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        f(&root)?;
        root.present()?;
    }
    Ok(svg)
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

/// The whole decades around `lo..hi` (both positive): a log axis over them has a labelled
/// tick at each end, however narrow the data.
///
/// ```
/// use gclab_cli::charts::decades;
/// assert_eq!(decades(150.0, 700.0), (100.0, 1000.0));
/// assert_eq!(decades(100.0, 100.0), (100.0, 1000.0));
/// assert_eq!(decades(0.5, 20.0), (0.1, 100.0));
/// ```
pub fn decades(lo: f64, hi: f64) -> (f64, f64) {
    let lo = 10f64.powf(lo.log10().floor());
    let hi = 10f64.powf(hi.log10().ceil()).max(lo * 10.0);
    (lo, hi)
}

/// An axis label for a value on a decade scale: `0.1`, `10`, `1000`, `1e5`.
fn decade_label(x: f64) -> String {
    if x >= 1e5 {
        format!("{x:.0e}")
    } else if x >= 1.0 {
        format!("{x:.0}")
    } else {
        let text = format!("{x:.4}");
        text.trim_end_matches('0').to_owned()
    }
}

fn pause_chart(root: &Area<'_>, workload: &str, runs: &[(usize, &RunReport)], all: &[(usize, &str)]) -> DrawResult<()> {
    let curves: Vec<Curve<'_>> =
        runs.iter().map(|&(i, r)| (i, r.backend.as_str(), pause_cdf(r))).filter(|(_, _, c)| !c.is_empty()).collect();
    let title = format!("{workload}: pause-time distribution");
    let silent: Vec<&str> = all.iter().filter(|(i, _)| !curves.iter().any(|c| c.0 == *i)).map(|(_, b)| *b).collect();
    if curves.is_empty() {
        return note(root, &title, &format!("no pauses on this workload ({})", silent.join(", ")));
    }
    let lo = curves.iter().flat_map(|(_, _, c)| c.iter().map(|p| p.0)).fold(f64::INFINITY, f64::min);
    let hi = curves.iter().flat_map(|(_, _, c)| c.iter().map(|p| p.0)).fold(0.0, f64::max);
    let (lo, hi) = decades(lo, hi);
    let mut chart = ChartBuilder::on(root)
        .caption(&title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("pause (µs, log scale)")
        .y_desc("share of pauses ≤ x")
        .x_label_formatter(&|&x| decade_label(x))
        .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
        .draw()?;
    for (i, backend, points) in curves {
        let count = points.len() / 2;
        chart
            .draw_series(LineSeries::new(points, colour(i).stroke_width(2)))?
            .label(format!("{backend} ({count} pauses)"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour(i).stroke_width(2)));
    }
    for (i, backend) in all.iter().filter(|(_, b)| silent.contains(b)) {
        let i = *i;
        // Nothing to draw, but the legend says so rather than leaving the backend out.
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label(format!("{backend} (no pauses)"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour(i).stroke_width(1)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Bytes in objects over the run, in (seconds, MiB), as a step line: 0 at the start; before
/// and after each pause; the bytes in objects at the end (`heap_end_bytes`). Between two
/// measurements the line holds the earlier value. Thinned to at most `MAX_HEAP_POINTS` pauses'
/// worth of points (each stretch keeps its highest point).
pub fn heap_series(report: &RunReport) -> Vec<(f64, f64)> {
    const MIB: f64 = (1 << 20) as f64;
    let log = &report.pause_log;
    let mut measured = vec![(0.0, 0.0)];
    let per_point = log.len().div_ceil(MAX_HEAP_POINTS / 2).max(1);
    for stretch in log.chunks(per_point) {
        let highest = stretch.iter().max_by_key(|p| p.bytes_before).expect("chunks are not empty");
        let last = stretch.last().expect("chunks are not empty");
        measured.push((highest.start_us / 1e6, highest.bytes_before as f64 / MIB));
        measured.push(((last.start_us + last.duration_us) / 1e6, last.bytes_after as f64 / MIB));
    }
    measured.push((report.wall_ms / 1e3, report.heap_end_bytes as f64 / MIB));
    let mut steps: Vec<(f64, f64)> = Vec::with_capacity(2 * measured.len());
    for &(t, v) in &measured {
        if let Some(&(_, held)) = steps.last() {
            steps.push((t, held));
        }
        steps.push((t, v));
    }
    steps
}

fn heap_chart(root: &Area<'_>, workload: &str, runs: &[(usize, &RunReport)]) -> DrawResult<()> {
    let title = format!("{workload}: bytes in objects over time");
    if runs.is_empty() {
        return note(root, &title, "no backend finished this workload");
    }
    let series: Vec<Curve<'_>> = runs
        .iter()
        .map(|&(i, r)| {
            let points = heap_series(r).into_iter().map(|(t, v)| (t, v.max(HEAP_FLOOR_MIB))).collect();
            (i, r.backend.as_str(), points)
        })
        .collect();
    let x_max = series.iter().flat_map(|s| s.2.iter().map(|p| p.0)).fold(0.0, f64::max).max(1e-3);
    let y_max = series.iter().flat_map(|s| s.2.iter().map(|p| p.1)).fold(0.0, f64::max);
    let (y_lo, y_hi) = decades(HEAP_FLOOR_MIB, y_max.max(1.0));
    let mut chart = ChartBuilder::on(root)
        .caption(&title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max * 1.02, (y_lo..y_hi).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("MiB in objects (log scale)")
        .y_label_formatter(&|&y| decade_label(y))
        .draw()?;
    for ((i, backend, points), &(_, report)) in series.into_iter().zip(runs) {
        let label = if report.pause_log.is_empty() {
            // No pause, so no measurement between the start and the end: a dashed line
            // joins the two rather than a step that would claim the heap stayed empty.
            let ends = vec![points[0], *points.last().expect("a start and an end")];
            chart.draw_series(DashedLineSeries::new(ends, 6, 4, colour(i).stroke_width(2)))?;
            format!("{backend} (no pauses: start and end only)")
        } else {
            chart.draw_series(LineSeries::new(points, colour(i).stroke_width(2)))?;
            backend.to_owned()
        };
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour(i).stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

fn time_chart(root: &Area<'_>, comparison: &Comparison) -> DrawResult<()> {
    let title = "wall time per workload (median; whisker: fastest to slowest run)";
    let workloads = comparison.workloads();
    let backends = comparison.backends();
    let y_max = comparison.results.iter().filter_map(|r| r.report()).map(|r| r.wall_ms / 1e3).fold(0.0, f64::max);
    if workloads.is_empty() || y_max == 0.0 {
        return note(root, title, "no run finished");
    }
    let n = workloads.len() as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
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
        let mut bars: Vec<Rectangle<(f64, f64)>> = Vec::new();
        let mut whiskers: Vec<PathElement<(f64, f64)>> = Vec::new();
        for (wi, &workload) in workloads.iter().enumerate() {
            let Some(wall) = comparison.cells(workload).iter().find(|c| c.backend == backend).and_then(|c| c.wall())
            else {
                continue;
            };
            let x0 = wi as f64 - 0.4 + bi as f64 * width;
            bars.push(Rectangle::new([(x0, 0.0), (x0 + width * 0.9, wall.median / 1e3)], colour(bi).filled()));
            if wall.n > 1 {
                let x = x0 + width * 0.45;
                whiskers.push(PathElement::new([(x, wall.min / 1e3), (x, wall.max / 1e3)], BLACK.stroke_width(1)));
            }
        }
        chart
            .draw_series(bars)?
            .label(backend.to_owned())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour(bi).filled()));
        chart.draw_series(whiskers)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// A chart with nothing to plot: its title and a line saying why.
fn note(root: &Area<'_>, title: &str, text: &str) -> DrawResult<()> {
    let style = ("sans-serif", 22).into_font().color(&BLACK);
    root.draw(&Text::new(title.to_owned(), (20, 20), style))?;
    root.draw(&Text::new(text.to_owned(), (20, 60), ("sans-serif", 16).into_font().color(&BLACK)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::PauseRecord;

    fn report(pauses: &[(f64, f64, usize, usize)], wall_ms: f64, end: u64) -> RunReport {
        let mut report: RunReport = serde_json::from_str(include_str!("../tests/data/report.json")).unwrap();
        report.pause_log = pauses
            .iter()
            .map(|&(start_us, duration_us, bytes_before, bytes_after)| PauseRecord {
                kind: "full".into(),
                start_us,
                duration_us,
                bytes_before,
                bytes_after,
            })
            .collect();
        report.wall_ms = wall_ms;
        report.heap_end_bytes = end;
        report
    }

    #[test]
    fn heap_series_steps_between_measurements() {
        const MIB: usize = 1 << 20;
        let r = report(&[(1e6, 1e5, 4 * MIB, MIB), (2e6, 1e5, 5 * MIB, 2 * MIB)], 3000.0, 3 * MIB as u64);
        let points = heap_series(&r);
        assert_eq!(
            points,
            [
                (0.0, 0.0),
                (1.0, 0.0),
                (1.0, 4.0),
                (1.1, 4.0),
                (1.1, 1.0),
                (2.0, 1.0),
                (2.0, 5.0),
                (2.1, 5.0),
                (2.1, 2.0),
                (3.0, 2.0),
                (3.0, 3.0)
            ]
        );
    }

    #[test]
    fn every_backend_is_in_the_pause_legend() {
        let paused = report(&[(10.0, 150.0, 100, 50), (20.0, 400.0, 100, 50)], 5.0, 0);
        let mut silent = paused.clone();
        silent.backend = "nogc".into();
        silent.pause_log.clear();
        let svg = draw(|area| pause_chart(area, "w", &[(0, &paused), (2, &silent)], &[(0, "marksweep"), (2, "nogc")]))
            .unwrap();
        assert!(svg.contains("marksweep (2 pauses)"), "{svg}");
        assert!(svg.contains("nogc (no pauses)"), "{svg}");
        // 150 and 400 µs span no power of ten: the axis runs from 100 to 1000, both labelled.
        let text = svg.replace('\n', "");
        assert!(text.contains(">100<") && text.contains(">1000<"), "{svg}");
    }
}
