//! The capacity curve of `gatecheck capacity`: latency (p50, p99; log scale) and error
//! rate against the offered rate, one point per step (green held, red failed on the
//! target's side, orange the generator's limit), the knee (the highest rate that held)
//! marked with a dashed line. Inline SVG like the other plots (`plots.rs`).

use plotters::prelude::*;

use super::ReportError;
use crate::engine::load::capacity::{Capacity, StepVerdict};

const SIZE: (u32, u32) = (1100, 560);
const FONT: &str = "sans-serif";
const TITLE: &str = "Capacity: latency and errors against offered rate";
const P50: RGBColor = RGBColor(37, 99, 235);
const P99: RGBColor = RGBColor(147, 51, 234);
const ERRORS: RGBColor = RGBColor(220, 38, 38);
const HELD: RGBColor = RGBColor(22, 163, 74);
const GENERATOR: RGBColor = RGBColor(234, 88, 12);
const GRID: RGBColor = RGBColor(229, 231, 235);
const AXIS: RGBColor = RGBColor(107, 114, 128);

/// The curve; `None` without steps.
pub fn knee_svg(capacity: &Capacity) -> Result<Option<String>, ReportError> {
    if capacity.steps.is_empty() {
        return Ok(None);
    }
    let err = |e: String| ReportError::Plot {
        plot: TITLE,
        message: e,
    };
    let mut steps: Vec<_> = capacity.steps.iter().collect();
    steps.sort_by(|a, b| a.offered_rate.total_cmp(&b.offered_rate));
    let ms = |us: u64| (us as f64 / 1000.0).max(0.01);
    let max_x = steps.last().map_or(1.0, |s| s.offered_rate) * 1.05;
    let max_ms = steps
        .iter()
        .map(|s| ms(s.measure.p99_us))
        .fold(1.0_f64, f64::max)
        * 2.0;
    let min_ms = steps
        .iter()
        .map(|s| ms(s.measure.p50_us))
        .fold(f64::INFINITY, f64::min)
        .min(max_ms / 10.0)
        / 2.0;
    let max_err = steps
        .iter()
        .map(|s| s.measure.error_rate * 100.0)
        .fold(1.0_f64, f64::max)
        * 1.2;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let _ = root.fill(&WHITE);
        let root = root
            .titled(TITLE, (FONT, 16))
            .map_err(|e| err(e.to_string()))?;
        let (top, bottom) = root.split_vertically(360);

        let mut lat = ChartBuilder::on(&top)
            .margin(12)
            .margin_right(28)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..max_x, (min_ms..max_ms).log_scale())
            .map_err(|e| err(e.to_string()))?;
        lat.configure_mesh()
            .y_desc("latency (ms, log)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y}"))
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .axis_style(AXIS)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        let p50: Vec<(f64, f64)> = steps
            .iter()
            .map(|s| (s.offered_rate, ms(s.measure.p50_us)))
            .collect();
        let p99: Vec<(f64, f64)> = steps
            .iter()
            .map(|s| (s.offered_rate, ms(s.measure.p99_us)))
            .collect();
        for (label, color, points) in [("p50", P50, p50), ("p99", P99, p99)] {
            lat.draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(|e| err(e.to_string()))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        lat.draw_series(steps.iter().map(|s| {
            Circle::new(
                (s.offered_rate, ms(s.measure.p99_us)),
                5,
                verdict_color(s.verdict).filled(),
            )
        }))
        .map_err(|e| err(e.to_string()))?;
        if let Some(knee) = capacity.capacity_rate {
            lat.draw_series(DashedLineSeries::new(
                [(knee, min_ms), (knee, max_ms)],
                6,
                4,
                HELD.stroke_width(2),
            ))
            .map_err(|e| err(e.to_string()))?
            .label(format!("knee {knee:.0}/s"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], HELD.stroke_width(2)));
        }
        lat.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(GRID)
            .label_font((FONT, 12))
            .draw()
            .map_err(|e| err(e.to_string()))?;

        let mut errs = ChartBuilder::on(&bottom)
            .margin(12)
            .margin_right(28)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..max_x, 0.0..max_err)
            .map_err(|e| err(e.to_string()))?;
        errs.configure_mesh()
            .x_desc("offered rate (transactions/s)")
            .y_desc("errors (%)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .axis_style(AXIS)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        errs.draw_series(LineSeries::new(
            steps
                .iter()
                .map(|s| (s.offered_rate, s.measure.error_rate * 100.0)),
            ERRORS.stroke_width(2),
        ))
        .map_err(|e| err(e.to_string()))?;
        if let Some(knee) = capacity.capacity_rate {
            errs.draw_series(DashedLineSeries::new(
                [(knee, 0.0), (knee, max_err)],
                6,
                4,
                HELD.stroke_width(2),
            ))
            .map_err(|e| err(e.to_string()))?;
        }
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(Some(
        svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
            .replacen(
                "<svg ",
                &format!("<svg class=\"plot\" role=\"img\" aria-label=\"{TITLE}\" "),
                1,
            ),
    ))
}

fn verdict_color(v: StepVerdict) -> RGBColor {
    match v {
        StepVerdict::Held => HELD,
        StepVerdict::TargetLimit => ERRORS,
        StepVerdict::GeneratorLimit => GENERATOR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::load::capacity::{Ending, Step, StepMeasure};

    #[test]
    fn the_curve_is_inline_svg_with_the_knee() {
        let step = |rate: f64, p99: u64, verdict| Step {
            offered_rate: rate,
            measure: StepMeasure {
                achieved_rate: rate,
                p50_us: 2_000,
                p99_us: p99,
                error_rate: 0.0,
                failed_thresholds: vec![],
                generator_late: 0,
                generator_lag_max_us: 0,
                transactions: 100,
                sent: 140,
            },
            verdict,
        };
        let c = Capacity {
            capacity_rate: Some(200.0),
            failed_rate: Some(220.0),
            ending: Ending::Converged,
            precision: 0.1,
            steps: vec![
                step(100.0, 5_000, StepVerdict::Held),
                step(400.0, 900_000, StepVerdict::TargetLimit),
                step(200.0, 8_000, StepVerdict::Held),
                step(220.0, 400_000, StepVerdict::TargetLimit),
            ],
        };
        let svg = knee_svg(&c).unwrap().unwrap();
        assert!(svg.starts_with("<svg class=\"plot\""));
        assert!(svg.contains("knee 200/s"), "the knee is labelled");
        assert!(!svg.contains("http"));
    }
}
