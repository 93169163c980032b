//! Charts, drawn by `plotters` into SVG on the server: the page needs no
//! script or asset to show them, and they scale with the page (the SVG has
//! a viewBox; the stylesheet sets its width). docs/pages.md says why
//! plotters.

use plotters::prelude::*;

/// A chart's SVG markup, as plotters drew it (plotters escapes every text
/// it writes), with how many data points it marks.
#[derive(Clone, Debug)]
pub struct Chart {
    svg: String,
    points: usize,
}

impl Chart {
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// Data points marked with a dot (one `<circle>` each).
    pub fn points(&self) -> usize {
        self.points
    }
}

/// Drawing failed (plotters' SVG backend only fails on a bad range).
#[derive(Debug, PartialEq, Eq)]
pub struct ChartError(pub String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chart: {}", self.0)
    }
}

impl std::error::Error for ChartError {}

fn failed(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

/// The colours of the pages' series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Earned,
    Slashed,
    Total,
}

impl Tone {
    fn color(self) -> RGBColor {
        match self {
            Self::Earned => RGBColor(0x1f, 0x77, 0xb4),
            Self::Slashed => RGBColor(0xc6, 0x28, 0x28),
            Self::Total => RGBColor(0x55, 0x55, 0x55),
        }
    }
}

/// One series over rounds: a dot per point, or a line through them.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: &'static str,
    pub tone: Tone,
    pub dots: bool,
    /// (round, value), in round order.
    pub points: Vec<(u64, f64)>,
}

const WIDTH: u32 = 640;
const HEIGHT: u32 = 240;

/// A chart of values per round: x is the round, y the value in `unit`.
pub fn rounds(title: &str, unit: &str, series: &[Series]) -> Result<Chart, ChartError> {
    let all = || series.iter().flat_map(|s| s.points.iter());
    let first = all().map(|p| p.0).min().unwrap_or(0);
    let last = all().map(|p| p.0).max().unwrap_or(0).max(first + 1);
    let top = all().map(|p| p.1).fold(0.0f64, f64::max);
    let top = if top > 0.0 { top * 1.1 } else { 1.0 };
    let mut svg = String::new();
    let mut points = 0;
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(32)
            .y_label_area_size(64)
            .build_cartesian_2d(first..last, 0.0..top)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .x_desc("round")
            .y_desc(unit)
            .x_labels(10)
            .y_labels(5)
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .draw()
            .map_err(failed)?;
        for s in series {
            let color = s.tone.color();
            let drawn = if s.dots {
                points += s.points.len();
                chart
                    .draw_series(
                        s.points
                            .iter()
                            .map(|&(x, y)| Circle::new((x, y), 4, color.filled())),
                    )
                    .map_err(failed)?
            } else {
                chart
                    .draw_series(LineSeries::new(
                        s.points.iter().copied(),
                        color.stroke_width(2),
                    ))
                    .map_err(failed)?
            };
            // Square legend marks: a page's dots are its data, nothing else.
            drawn.label(s.name).legend(move |(x, y)| {
                Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
            });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(RGBColor(0xcc, 0xcc, 0xcc))
            .draw()
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(Chart { svg, points })
}

/// One window of a round's schedule on a timeline.
#[derive(Clone, Debug)]
pub struct Window {
    pub name: &'static str,
    pub start: u64,
    pub end: u64,
}

/// A round's windows as bars over slots, with a line at `now`: one row
/// per window, top down, named on the axis.
pub fn timeline(title: &str, windows: &[Window], now: u64) -> Result<Chart, ChartError> {
    let first = windows
        .iter()
        .map(|w| w.start)
        .min()
        .unwrap_or(now)
        .min(now);
    let last = windows
        .iter()
        .map(|w| w.end)
        .max()
        .unwrap_or(now)
        .max(now)
        .max(first + 1);
    let rows = windows.len().max(1) as u32;
    // Row r (counted from the bottom) shows window `rows - 1 - r`.
    let name_of = |row: u32| {
        windows
            .get((rows - 1).saturating_sub(row) as usize)
            .map(|w| w.name)
            .unwrap_or_default()
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 80 + 28 * rows)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(70)
            .build_cartesian_2d(first..last, (0..rows - 1).into_segmented())
            .map_err(failed)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("slot")
            .y_labels(rows as usize)
            .y_label_formatter(&|value| match value {
                SegmentValue::CenterOf(row) => name_of(*row).to_string(),
                _ => String::new(),
            })
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .draw()
            .map_err(failed)?;
        let bar = Tone::Earned.color();
        chart
            .draw_series(windows.iter().enumerate().map(|(i, w)| {
                let row = rows - 1 - i as u32;
                Rectangle::new(
                    [
                        (w.start, SegmentValue::Exact(row)),
                        (w.end, SegmentValue::Exact(row + 1)),
                    ],
                    bar.mix(0.35).filled(),
                )
            }))
            .map_err(failed)?;
        chart
            .draw_series(LineSeries::new(
                [
                    (now, SegmentValue::Exact(0)),
                    (now, SegmentValue::Exact(rows)),
                ],
                Tone::Slashed.color().stroke_width(2),
            ))
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(Chart { svg, points: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_dot_per_point_and_no_other_circles() {
        let per_round: Vec<(u64, f64)> = (3..10).map(|r| (r, r as f64 * 0.5)).collect();
        let total: Vec<(u64, f64)> = per_round
            .iter()
            .scan(0.0, |sum, &(r, v)| {
                *sum += v;
                Some((r, *sum))
            })
            .collect();
        let chart = rounds(
            "earned",
            "SOL",
            &[
                Series {
                    name: "per round",
                    tone: Tone::Earned,
                    dots: true,
                    points: per_round,
                },
                Series {
                    name: "cumulative",
                    tone: Tone::Total,
                    dots: false,
                    points: total,
                },
            ],
        )
        .unwrap();
        assert_eq!(chart.points(), 7);
        assert_eq!(chart.svg().matches("<circle").count(), 7);
        assert!(chart.svg().starts_with("<svg"));
        assert!(chart.svg().contains("viewBox"));
        assert!(chart.svg().contains("cumulative"));
    }

    #[test]
    fn empty_and_single_point_charts_draw() {
        assert_eq!(rounds("nothing yet", "SOL", &[]).unwrap().points(), 0);
        let one = Series {
            name: "per round",
            tone: Tone::Slashed,
            dots: true,
            points: vec![(4, 0.0)],
        };
        assert_eq!(rounds("one", "SOL", &[one]).unwrap().points(), 1);
    }

    #[test]
    fn a_timeline_marks_now() {
        let windows = [
            Window {
                name: "submit",
                start: 100,
                end: 120,
            },
            Window {
                name: "reveal",
                start: 120,
                end: 130,
            },
            Window {
                name: "audit",
                start: 130,
                end: 150,
            },
        ];
        let chart = timeline("round 3", &windows, 125).unwrap();
        assert!(chart.svg().contains("reveal"));
        assert!(chart.svg().matches("<rect").count() >= 3);
    }
}
