//! The load plots of the HTML report, drawn with `plotters` into inline SVG strings:
//!
//! ```text
//! <svg class="plot" role="img" aria-label="Throughput over time" width="540" height="300" viewBox="0 0 540 300">
//!   <rect … /> <polyline … /> <text …>requests/s</text> …
//! </svg>
//! ```
//!
//! - throughput over time (requests and errors per second, from `LoadSummary.timeline`);
//! - p50 and p99 latency over time (same source);
//! - the latency distribution per transaction (from `TransactionStats.distribution`), on the
//!   HdrHistogram x axis: `log10(1 / (1 − q))`, so 90 %, 99 %, 99.9 % are evenly spaced.
//!
//! The SVG carries no `xmlns` (inline SVG in HTML needs none) and no external reference;
//! plotters escapes every label it draws.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::ReportError;
use crate::engine::model::{LoadInterval, TransactionStats};

const SMALL: (u32, u32) = (540, 300);
const WIDE: (u32, u32) = (1100, 380);
const FONT: &str = "sans-serif";
/// Series colours, in order: blue, red, green, purple, orange, teal.
const SERIES: [RGBColor; 6] = [
    RGBColor(37, 99, 235),
    RGBColor(220, 38, 38),
    RGBColor(22, 163, 74),
    RGBColor(147, 51, 234),
    RGBColor(234, 88, 12),
    RGBColor(13, 148, 136),
];
const GRID: RGBColor = RGBColor(229, 231, 235);
const FAINT_GRID: RGBColor = RGBColor(243, 244, 246);
const AXIS: RGBColor = RGBColor(107, 114, 128);
/// The furthest percentile plotted: 99.9999 % (the 100th is infinitely far on this axis).
const MAX_NINES: f64 = 6.0;

/// Requests and errors per second over the run; `None` without a timeline.
pub fn throughput_svg(timeline: &[LoadInterval]) -> Result<Option<String>, ReportError> {
    if timeline.is_empty() {
        return Ok(None);
    }
    let series = vec![
        Series {
            label: "requests/s".into(),
            points: timeline
                .iter()
                .map(|i| (i.second as f64, i.requests as f64))
                .collect(),
        },
        Series {
            label: "errors/s".into(),
            points: timeline
                .iter()
                .map(|i| (i.second as f64, i.errors as f64))
                .collect(),
        },
    ];
    let plot = TimePlot {
        title: "Throughput over time",
        y_desc: "requests per second",
    };
    plot.draw(&series).map(Some)
}

/// p50 and p99 latency (ms) over the run; `None` without a timeline.
pub fn latency_svg(timeline: &[LoadInterval]) -> Result<Option<String>, ReportError> {
    if timeline.is_empty() {
        return Ok(None);
    }
    let ms = |us: u64| us as f64 / 1000.0;
    let series = vec![
        Series {
            label: "p50".into(),
            points: timeline
                .iter()
                .map(|i| (i.second as f64, ms(i.p50_us)))
                .collect(),
        },
        Series {
            label: "p99".into(),
            points: timeline
                .iter()
                .map(|i| (i.second as f64, ms(i.p99_us)))
                .collect(),
        },
    ];
    let plot = TimePlot {
        title: "Latency over time",
        y_desc: "latency (ms)",
    };
    plot.draw(&series).map(Some)
}

/// Latency by percentile, one line per transaction; `None` when no transaction has a
/// distribution. Percentiles are on the 0–100 scale.
pub fn distribution_svg(transactions: &[TransactionStats]) -> Result<Option<String>, ReportError> {
    let series: Vec<Series> = transactions
        .iter()
        .filter(|t| !t.distribution.is_empty())
        .map(|t| Series {
            label: t.name.clone(),
            points: t
                .distribution
                .iter()
                .filter_map(|&(percentile, us)| nines(percentile).map(|x| (x, us as f64 / 1000.0)))
                .collect(),
        })
        .collect();
    if series.iter().all(|s| s.points.is_empty()) {
        return Ok(None);
    }
    let max_x = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(3.0_f64, f64::max)
        .ceil();
    let max_y = max_value(&series);
    let plot_error = |e: String| ReportError::Plot {
        plot: "latency distribution",
        message: e,
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, WIDE).into_drawing_area();
        let mut chart = canvas(&root, "Latency by percentile")
            .build_cartesian_2d(0.0..max_x, 0.0..max_y)
            .map_err(|e| plot_error(e.to_string()))?;
        let label = |x: &f64| percentile_label(*x);
        let y_label = |y: &f64| value_label(*y, max_y);
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc("latency (ms)")
            .x_labels(max_x as usize + 1)
            .x_label_formatter(&label)
            .y_label_formatter(&y_label)
            .light_line_style(FAINT_GRID)
            .bold_line_style(GRID)
            .max_light_lines(1)
            .axis_style(AXIS)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .draw()
            .map_err(|e| plot_error(e.to_string()))?;
        // Latency rises to the right, so the upper left stays free for the legend.
        draw_lines(&mut chart, &series, SeriesLabelPosition::UpperLeft).map_err(plot_error)?;
        root.present().map_err(|e| plot_error(e.to_string()))?;
    }
    Ok(Some(finish(svg, "Latency by percentile")))
}

/// `log10(1 / (1 − q))` for a percentile on the 0–100 scale; `None` at or above 100 and
/// for values outside the scale.
pub fn nines(percentile: f64) -> Option<f64> {
    if !(0.0..100.0).contains(&percentile) {
        return None;
    }
    let q = percentile / 100.0;
    Some((1.0 / (1.0 - q)).log10().min(MAX_NINES))
}

/// The tick label at a whole number of nines: `0%`, `90%`, `99%`, `99.9%`; none between.
pub fn percentile_label(x: f64) -> String {
    let whole = x.round();
    if (x - whole).abs() > 1e-6 || whole < 0.0 {
        return String::new();
    }
    let percent = 100.0 - 100.0 * 10f64.powf(-whole);
    let decimals = (whole as usize).saturating_sub(2);
    format!("{percent:.decimals$}%")
}

struct Series {
    label: String,
    points: Vec<(f64, f64)>,
}

/// A line plot over the seconds of a run.
struct TimePlot {
    title: &'static str,
    y_desc: &'static str,
}

impl TimePlot {
    fn draw(&self, series: &[Series]) -> Result<String, ReportError> {
        let plot_error = |e: String| ReportError::Plot {
            plot: self.title,
            message: e,
        };
        let max_x = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .fold(1.0_f64, f64::max);
        // Extra headroom keeps the lines clear of the legend in the upper right.
        let max_y = max_value(series) * 1.25;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, SMALL).into_drawing_area();
            let mut chart = canvas(&root, self.title)
                .build_cartesian_2d(0.0..max_x, 0.0..max_y)
                .map_err(|e| plot_error(e.to_string()))?;
            let whole = |x: &f64| format!("{x:.0}");
            let y_label = |y: &f64| value_label(*y, max_y);
            chart
                .configure_mesh()
                .x_desc("seconds since start")
                .y_desc(self.y_desc)
                .x_label_formatter(&whole)
                .y_label_formatter(&y_label)
                .light_line_style(FAINT_GRID)
                .bold_line_style(GRID)
                .max_light_lines(1)
                .axis_style(AXIS)
                .label_style((FONT, 12))
                .axis_desc_style((FONT, 13))
                .draw()
                .map_err(|e| plot_error(e.to_string()))?;
            draw_lines(&mut chart, series, SeriesLabelPosition::UpperRight).map_err(plot_error)?;
            root.present().map_err(|e| plot_error(e.to_string()))?;
        }
        Ok(finish(svg, self.title))
    }
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn canvas<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    // Filling a fresh SVG canvas cannot fail in a way worth reporting; the chart calls
    // that follow report any backend error.
    let _ = root.fill(&WHITE);
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, (FONT, 16))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(44)
        .y_label_area_size(60);
    builder
}

fn draw_lines<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    series: &[Series],
    legend_at: SeriesLabelPosition,
) -> Result<(), String> {
    for (index, s) in series.iter().enumerate() {
        let color = SERIES[index % SERIES.len()];
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(s.label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(legend_at)
        .background_style(WHITE.mix(0.9))
        .border_style(GRID)
        .label_font((FONT, 12))
        .draw()
        .map_err(|e| e.to_string())
}

/// A y tick: whole numbers once the axis reaches 10.
fn value_label(y: f64, max_y: f64) -> String {
    if max_y >= 10.0 {
        format!("{y:.0}")
    } else {
        format!("{y:.1}")
    }
}

/// The y range's top: 10 % above the largest value, at least 1.
fn max_value(series: &[Series]) -> f64 {
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    (max * 1.1).max(1.0)
}

/// Drops the `xmlns` (and with it the only URL plotters writes) and labels the image.
fn finish(svg: String, title: &str) -> String {
    svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen(
            "<svg ",
            &format!("<svg class=\"plot\" role=\"img\" aria-label=\"{title}\" "),
            1,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nines_spaces_90_99_and_99_9_evenly() {
        assert_eq!(nines(0.0), Some(0.0));
        let at = |p: f64| nines(p).map(|x| (x * 1000.0).round() / 1000.0);
        assert_eq!(at(90.0), Some(1.0));
        assert_eq!(at(99.0), Some(2.0));
        assert_eq!(at(99.9), Some(3.0));
        assert_eq!(nines(100.0), None);
        assert_eq!(nines(-1.0), None);
    }

    #[test]
    fn ticks_are_labelled_only_at_whole_nines() {
        assert_eq!(percentile_label(0.0), "0%");
        assert_eq!(percentile_label(1.0), "90%");
        assert_eq!(percentile_label(2.0), "99%");
        assert_eq!(percentile_label(3.0), "99.9%");
        assert_eq!(percentile_label(4.0), "99.99%");
        assert_eq!(percentile_label(1.5), "");
    }

    #[test]
    fn plots_are_inline_svg_without_urls() {
        let timeline: Vec<LoadInterval> = (0..5)
            .map(|s| LoadInterval {
                second: s,
                requests: 100 + s,
                errors: s % 2,
                p50_us: 10_000,
                p99_us: 40_000,
            })
            .collect();
        let svg = throughput_svg(&timeline).unwrap().unwrap();
        assert!(svg.starts_with("<svg class=\"plot\""));
        assert!(!svg.contains("http"));
        assert!(throughput_svg(&[]).unwrap().is_none());
    }
}
