//! Charts, drawn on the server with plotters: SVG for the pages (readable without
//! JavaScript) and PNG for the PDF report, from one description so both agree. Figures
//! arrive as exact money and counts; only the drawing uses floating point.
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

/// A bar chart: one bar per category and series. With `stacked` the series are parts of
/// a whole (list items by kind); without, each series is part of the one before (budget ⊇
/// committed ⊇ paid ⊇ confirmed) and is drawn inside it, narrower, so nothing hides.
#[derive(Clone, Debug)]
pub struct BarChart {
    pub title: String,
    pub unit: String,
    pub categories: Vec<String>,
    pub series: Vec<(String, Vec<f64>)>,
    pub stacked: bool,
}

/// List sizes per year, the three lists stacked (dashboards and the county report).
pub fn list_sizes(years: &[crate::lists::store::YearCount]) -> BarChart {
    BarChart {
        title: "清单事项数（按年度）".into(),
        unit: "项".into(),
        categories: years.iter().map(|y| format!("{}年", y.year)).collect(),
        series: vec![
            ("履职事项".into(), years.iter().map(|y| y.duty as f64).collect()),
            ("协助事项".into(), years.iter().map(|y| y.assist as f64).collect()),
            ("负面清单".into(), years.iter().map(|y| y.negative as f64).collect()),
        ],
        stacked: true,
    }
}

/// A year's budget, committed, disbursed and confirmed money per department (those with
/// any), each inside the one before.
pub fn department_funds(year: i32, departments: &[crate::funds::store::DepartmentFunds]) -> BarChart {
    let with_money: Vec<_> = departments.iter().filter(|x| x.budget.is_positive() || x.disbursed.is_positive()).collect();
    let money = |f: fn(&crate::funds::store::DepartmentFunds) -> crate::money::Money| with_money.iter().map(|x| super::yuan(f(x))).collect();
    BarChart {
        title: format!("{year}年各部门经费"),
        unit: "元".into(),
        categories: with_money.iter().map(|x| x.department.clone()).collect(),
        series: vec![("预算".into(), money(|x| x.budget)), ("已承诺".into(), money(|x| x.committed)), ("已拨付".into(), money(|x| x.disbursed)), ("已确认".into(), money(|x| x.confirmed))],
        stacked: false,
    }
}

const COLOURS: [RGBColor; 4] = [RGBColor(0x9e, 0xc5, 0xe8), RGBColor(0x3d, 0x85, 0xc6), RGBColor(0x0b, 0x53, 0x94), RGBColor(0xe6, 0x91, 0x38)];

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The shipped font measures the Chinese labels; a failure leaves plotters' own error.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, crate::pdf::FONT);
    });
}

/// Category names short enough to sit under a bar.
fn short(s: &str) -> String {
    let s = s.strip_prefix("区").unwrap_or(s);
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 7 { s.to_string() } else { chars[..6].iter().collect::<String>() + "…" }
}

/// Axis figures: 12000 → "1.2万".
fn figure(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        format!("{:.1}万", v / 10_000.0)
    } else if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The layers to draw, first drawn first, with their colours and values.
fn layers(c: &BarChart) -> Vec<(String, RGBColor, Vec<f64>)> {
    let mut out: Vec<(String, RGBColor, Vec<f64>)> = c.series.iter().enumerate().map(|(i, (name, v))| (name.clone(), COLOURS[i % COLOURS.len()], v.clone())).collect();
    if c.stacked {
        // Drawn as cumulative bars, largest first, so each part shows as its own band.
        let mut sums = vec![0.0; c.categories.len()];
        for l in out.iter_mut() {
            for (s, v) in sums.iter_mut().zip(l.2.iter_mut()) {
                *s += *v;
                *v = *s;
            }
        }
        out.reverse();
    }
    out
}

/// `px`: pixels per unit of the layout; `text`: how much larger the text is drawn (a page
/// shows the SVG shrunk to a card, a PDF prints the bitmap at full width).
fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, c: &BarChart, px: f64, text: f64) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let font = |size: f64| ("sans-serif", size * px * text).into_font();
    let s = |v: f64| (v * px) as u32;
    let n = c.categories.len();
    if n == 0 {
        root.titled(&c.title, font(15.0)).map_err(e)?.draw(&Text::new("暂无数据", (s(20.0) as i32, s(30.0) as i32), font(12.0))).map_err(e)?;
        return root.present().map_err(e);
    }
    let layers = layers(c);
    let max = layers.iter().flat_map(|l| l.2.iter().copied()).fold(0.0_f64, f64::max);
    let top = if max > 0.0 { max * 1.15 } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, font(15.0))
        .margin(s(8.0))
        .x_label_area_size(s(28.0 * text))
        .y_label_area_size(s(52.0 * text))
        .build_cartesian_2d((0..n as i32 - 1).into_segmented(), 0f64..top)
        .map_err(e)?;
    let names: Vec<String> = c.categories.iter().map(|x| short(x)).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_labels(5)
        .y_label_formatter(&|v| figure(*v))
        .y_desc(c.unit.as_str())
        .label_style(font(11.0))
        .axis_desc_style(font(11.0))
        .draw()
        .map_err(e)?;
    let bar = s(34.0).min(s(420.0) / n as u32).max(s(4.0));
    let slot = s(560.0) / n as u32;
    for (k, (name, colour, values)) in layers.iter().enumerate() {
        let inset = if c.stacked { 0 } else { k as u32 * bar / 5 };
        let margin = slot.saturating_sub(bar) / 2 + inset;
        let colour = *colour;
        chart
            .draw_series(Histogram::vertical(&chart).style(colour.filled()).margin(margin).data(values.iter().enumerate().map(|(i, v)| (i as i32, *v))))
            .map_err(e)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(font(11.0))
        .draw()
        .map_err(e)?;
    root.present().map_err(e)
}

pub const SVG_SIZE: (u32, u32) = (640, 300);

/// The chart as an SVG document for a page.
pub fn svg(c: &BarChart) -> Result<String, String> {
    register_font();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SVG_SIZE).into_drawing_area();
        draw(&root, c, 1.0, 1.35)?;
    }
    Ok(out)
}

/// The chart as an `<svg>` element to put inside a page (HTML needs no namespace).
pub fn inline_svg(c: &BarChart) -> Result<String, String> {
    Ok(svg(c)?.replacen(r#" xmlns="http://www.w3.org/2000/svg""#, "", 1))
}

/// The chart as a PNG for print: 2.5 times the page's size (about 300 dpi at 13 cm).
pub fn png(c: &BarChart) -> Result<Vec<u8>, String> {
    register_font();
    const PX: f64 = 2.5;
    let (w, h) = ((SVG_SIZE.0 as f64 * PX) as u32, (SVG_SIZE.1 as f64 * PX) as u32);
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(&root, c, PX, 1.0)?;
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> BarChart {
        BarChart {
            title: "各部门经费".into(),
            unit: "元".into(),
            categories: vec!["区市场监督管理局".into(), "区卫生健康局".into()],
            series: vec![("预算".into(), vec![30000.0, 12000.0]), ("已拨付".into(), vec![9000.0, 0.0])],
            stacked: false,
        }
    }

    #[test]
    fn the_svg_carries_title_categories_legend_and_one_bar_per_value() {
        let s = svg(&sample()).unwrap();
        assert!(s.starts_with("<svg"), "{}", &s[..80]);
        for text in ["各部门经费", "市场监督管理局", "卫生健康局", "预算", "已拨付", "3.0万"] {
            assert!(s.contains(text), "{text} missing");
        }
        assert!(s.matches("<rect").count() >= 4 + 2, "bars and legend marks");
    }

    #[test]
    fn an_empty_chart_says_so() {
        let c = BarChart { categories: vec![], series: vec![], ..sample() };
        assert!(svg(&c).unwrap().contains("暂无数据"));
    }

    #[test]
    fn the_png_is_a_png() {
        let p = png(&sample()).unwrap();
        assert!(p.starts_with(b"\x89PNG"));
    }

    #[test]
    fn stacked_series_are_drawn_as_running_totals_biggest_first() {
        let c = BarChart { stacked: true, series: vec![("履职".into(), vec![3.0, 2.0]), ("协助".into(), vec![1.0, 1.0])], ..sample() };
        let l = layers(&c);
        assert_eq!((l[0].0.as_str(), l[0].2.clone()), ("协助", vec![4.0, 3.0]));
        assert_eq!((l[1].0.as_str(), l[1].2.clone()), ("履职", vec![3.0, 2.0]));
    }
}
