//! The PDF machinery: a small document model (title, paragraphs, key–value lines,
//! tables, signature blocks) rendered in Chinese with genpdf. Kept behind this boundary
//! because genpdf 0.2 / printpdf 0.3 are old and may have to be replaced.
//!
//! What this module does about the known pitfalls of that stack:
//! - genpdf breaks lines only at spaces and silently drops a word wider than a line, so
//!   Chinese is laid out here, line by line, in breakable units (`units`), and each line
//!   handed to genpdf already fits;
//! - the font (WenQuanYi Micro Hei, `assets/fonts/`) is subset per document to the
//!   characters it uses (allsorts), and embedded once: the other family slots point at a
//!   builtin font, since zhunru never uses bold or italic;
//! - the minimal conformance avoids the 488 KB ICC profile;
//! - a character the font lacks would print as a blank box, so `missing` finds such
//!   characters first and callers refuse the input.
use std::sync::OnceLock;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData as AllsortsFont;
use allsorts::subset::{subset, CmapTarget, SubsetProfile};
use genpdf::elements::{Break, FrameCellDecorator, LinearLayout, Paragraph, TableLayout};
use genpdf::fonts::{FontData, FontFamily};
use genpdf::style::Style;
use genpdf::{Alignment, Element, Mm};

pub(crate) static FONT: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");

fn face() -> &'static ttf_parser::Face<'static> {
    static FACE: OnceLock<ttf_parser::Face<'static>> = OnceLock::new();
    FACE.get_or_init(|| ttf_parser::Face::parse(FONT, 0).expect("the shipped font parses"))
}

/// Characters of `text` the font cannot print (control characters aside), in order, once.
pub fn missing(text: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    for c in text.chars() {
        if !c.is_control() && face().glyph_index(c).is_none() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

#[derive(Debug)]
pub enum PdfError {
    /// Characters the font lacks.
    Unsupported(Vec<char>),
    Render(String),
}

impl std::fmt::Display for PdfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PdfError::Unsupported(cs) => write!(f, "以下字符无法打印：{}", cs.iter().collect::<String>()),
            PdfError::Render(e) => write!(f, "PDF 生成失败：{e}"),
        }
    }
}

/// A block of a document.
#[derive(Clone, Debug)]
pub enum Block {
    /// The document's title, large and centred.
    Title(String),
    /// A centred line under the title (a document number, for instance).
    Subtitle(String),
    Heading(String),
    /// Body text; the first line is indented by two characters.
    Paragraph(String),
    /// Lines of "label: value".
    Fields(Vec<(String, String)>),
    /// A table with a header row; `weights` are the relative column widths.
    Table { weights: Vec<usize>, header: Vec<String>, rows: Vec<Vec<String>> },
    /// Right-aligned lines (a signature at the end of a letter).
    Right(Vec<String>),
    /// A chart: a PNG drawn by `reports::charts`, centred, about 13 cm wide.
    Chart(Vec<u8>),
    Space,
}

#[derive(Clone, Debug)]
pub struct Doc {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Doc {
    fn all_text(&self) -> String {
        let mut s = format!("{}第页0123456789", self.title);
        for b in &self.blocks {
            match b {
                Block::Title(t) | Block::Subtitle(t) | Block::Heading(t) | Block::Paragraph(t) => s.push_str(t),
                Block::Fields(f) => f.iter().for_each(|(k, v)| {
                    s.push_str(k);
                    s.push_str(v)
                }),
                Block::Table { header, rows, .. } => header.iter().chain(rows.iter().flatten()).for_each(|c| s.push_str(c)),
                Block::Right(lines) => lines.iter().for_each(|l| s.push_str(l)),
                Block::Chart(_) | Block::Space => {}
            }
        }
        s
    }
}

fn is_closing(c: char) -> bool {
    "，。、；：？！）》」』”’%,.;:?!)]".contains(c)
}

fn is_opening(c: char) -> bool {
    "（《「『“‘([¥￥".contains(c)
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/@#+&".contains(c)
}

/// Splits text into the units a line may break between: one CJK character each, runs of
/// digits and Latin letters together, closing punctuation kept with what precedes it,
/// opening punctuation and ¥ with what follows.
pub fn units(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending_open = String::new();
    for c in text.chars() {
        if is_opening(c) {
            pending_open.push(c);
            continue;
        }
        let prev: Vec<char> = out.last().map(|u| u.chars().rev().take(2).collect()).unwrap_or_default();
        // "3,000.00": a separator between digits does not end the number.
        let in_number = c.is_ascii_digit() && prev.len() == 2 && ",.".contains(prev[0]) && prev[1].is_ascii_digit();
        let joins_previous = is_closing(c) || in_number || (is_word(c) && prev.first().is_some_and(|p| is_word(*p)));
        if joins_previous && pending_open.is_empty() && !out.is_empty() {
            out.last_mut().expect("not empty").push(c);
        } else {
            let mut u = std::mem::take(&mut pending_open);
            u.push(c);
            out.push(u);
        }
    }
    if !pending_open.is_empty() {
        out.push(pending_open);
    }
    out
}

/// Lays text out into lines no wider than `width`, measured with the document's font.
fn lines(text: &str, style: &Style, cache: &genpdf::fonts::FontCache, width: Mm, indent: usize) -> Vec<String> {
    let fits = |s: &str| style.str_width(cache, s) <= width;
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = INDENT.to_string().repeat(indent);
        for u in units(para) {
            let candidate = format!("{line}{u}");
            if fits(&candidate) || line.trim().is_empty() && !fits(&u) && line.is_empty() {
                line = candidate;
                continue;
            }
            if !line.trim().is_empty() {
                out.push(std::mem::take(&mut line));
            }
            // A unit wider than a line on its own (a very long number) is cut by character.
            if fits(u.trim_start()) {
                line = u.trim_start().to_string();
            } else {
                for c in u.chars() {
                    if !fits(&format!("{line}{c}")) && !line.is_empty() {
                        out.push(std::mem::take(&mut line));
                    }
                    line.push(c);
                }
            }
        }
        if !line.trim().is_empty() || out.is_empty() {
            out.push(line);
        }
    }
    out
}

/// The indent of a paragraph's first line, per character (in `DRAWN_BY_LAYOUT`).
const INDENT: char = '\u{3000}';

const MARGIN: f64 = 20.0;
const TEXT_WIDTH: f64 = 210.0 - 2.0 * MARGIN;
const BODY: u8 = 11;
/// The document's line spacing (set on the document, used to measure blocks).
const LINE_SPACING: f64 = 1.4;

/// A block of text and the height it takes (its lines times the line height).
fn text_block(text: &str, style: Style, cache: &genpdf::fonts::FontCache, width: f64, indent: usize, align: Alignment) -> (LinearLayout, Mm) {
    let mut col = LinearLayout::vertical();
    // Keep a little slack: genpdf measures the same way, but must never wrap again.
    let ls = lines(text, &style, cache, Mm::from(width * 0.98), indent);
    let height = style.with_line_spacing(LINE_SPACING).line_height(cache) * ls.len() as f64;
    for l in ls {
        col.push(Paragraph::new(l).aligned(align).styled(style));
    }
    (col, height)
}

/// The height of the page's body, below the page header: a block taller than this is
/// split (or drawn) wherever it falls, since no page could hold it whole.
const PAGE_BODY: f64 = 297.0 - 2.0 * MARGIN - 12.0;

/// An element moved whole to the next page when what is left of this one cannot hold it.
/// genpdf splits a table between any two rows and draws an image past the page foot;
/// a signature block, a chart or a heading with its first lines must not be cut.
struct Keep {
    inner: Box<dyn Element>,
    height: Mm,
    moved: bool,
}

impl Element for Keep {
    fn render(&mut self, context: &genpdf::Context, area: genpdf::render::Area<'_>, style: Style) -> Result<genpdf::RenderResult, genpdf::error::Error> {
        if !self.moved && area.size().height < self.height && self.height < Mm::from(PAGE_BODY) {
            // Once only: on the next page it is drawn whatever room it finds.
            self.moved = true;
            return Ok(genpdf::RenderResult { has_more: true, ..Default::default() });
        }
        self.moved = true;
        self.inner.render(context, area, style)
    }
}

/// The size of a PNG as genpdf places it (300 dpi), read from its header.
fn png_height(png: &[u8]) -> Mm {
    let px = png.get(20..24).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])).unwrap_or(0);
    Mm::from(25.4 * px as f64 / 300.0)
}

/// Renders a document to PDF bytes.
/// Renders on the blocking pool, one document per core at a time (`platform::cpu`): a
/// burst of downloads does not stall the server.
pub async fn render_off_thread(doc: Doc) -> Result<Vec<u8>, crate::platform::error::AppError> {
    crate::platform::cpu::run(move || render(&doc)).await?.map_err(crate::contracts::pdf::pdf_error)
}

pub fn render(doc: &Doc) -> Result<Vec<u8>, PdfError> {
    let text = doc.all_text();
    let lacking = missing(&text);
    if !lacking.is_empty() {
        return Err(PdfError::Unsupported(lacking));
    }
    let font = subset_font(&text).map_err(PdfError::Render)?;
    let regular = FontData::new(font.clone(), None).map_err(|e| PdfError::Render(e.to_string()))?;
    // Only the regular slot is embedded; the others are never used for text.
    let unused = || FontData::new(font.clone(), Some(printpdf_builtin())).map_err(|e| PdfError::Render(e.to_string()));
    let family = FontFamily { regular, bold: unused()?, italic: unused()?, bold_italic: unused()? };
    let mut d = genpdf::Document::new(family);
    // A placeholder of the UTF-16 title's length, replaced in place after rendering.
    let placeholder = title_placeholder(&doc.title);
    d.set_title(placeholder.clone());
    d.set_minimal_conformance();
    d.set_paper_size(genpdf::PaperSize::A4);
    d.set_font_size(BODY);
    d.set_line_spacing(LINE_SPACING);
    let mut decorator = genpdf::SimplePageDecorator::new();
    decorator.set_margins(MARGIN as i32);
    decorator.set_header(|page| {
        let mut l = LinearLayout::vertical();
        l.push(Paragraph::new(format!("第 {page} 页")).aligned(Alignment::Right).styled(Style::new().with_font_size(9)));
        l.push(Break::new(0.5));
        l
    });
    d.set_page_decorator(decorator);

    let content = layout(doc, d.font_cache())?;
    d.push(content);
    let mut out = Vec::new();
    d.render(&mut out).map_err(|e| PdfError::Render(e.to_string()))?;
    utf16_title(&mut out, &placeholder, &doc.title)?;
    Ok(out)
}

/// The Info dictionary's title as PDF text strings are meant to be written beyond Latin-1:
/// UTF-16BE with a byte-order mark. printpdf writes the UTF-8 bytes, which viewers and
/// browser tabs show garbled (issue 26). The document is rendered with an ASCII placeholder
/// as long as the hex string of the real title, which then takes its place byte for byte,
/// so no offset of the file moves and nothing is parsed again.
const TITLE_MARK: &str = "ZHUNRU-TITLE-";

fn title_placeholder(title: &str) -> String {
    let hex_len = 4 * (title.encode_utf16().count() + 1); // with the byte-order mark
    format!("{TITLE_MARK:x<width$}", width = hex_len.max(TITLE_MARK.len()))
}

fn utf16_title(pdf: &mut [u8], placeholder: &str, title: &str) -> Result<(), PdfError> {
    let literal = format!("/Title({placeholder})");
    let at = pdf.windows(literal.len()).position(|w| w == literal.as_bytes()).ok_or_else(|| PdfError::Render("PDF title not found".into()))?;
    let hex: String = std::iter::once(0xFEFF).chain(title.encode_utf16()).map(|u| format!("{u:04X}")).collect();
    // Hex strings ignore white space: the padding keeps the length.
    let text = format!("/Title<{hex:<width$}>", width = placeholder.len());
    pdf[at..at + literal.len()].copy_from_slice(text.as_bytes());
    Ok(())
}

/// One block laid out, with its height (as far as it is known before the page).
fn element(b: &Block, cache: &genpdf::fonts::FontCache) -> Result<(Box<dyn Element>, Mm), PdfError> {
    let body = Style::new().with_font_size(BODY);
    let break_height = |lines: f64| body.with_line_spacing(LINE_SPACING).line_height(cache) * lines;
    Ok(match b {
        Block::Title(t) => {
            let (mut col, h) = text_block(t, Style::new().with_font_size(20), cache, TEXT_WIDTH, 0, Alignment::Center);
            col.push(Break::new(0.5));
            (Box::new(col), h + break_height(0.5))
        }
        Block::Subtitle(t) => {
            let (col, h) = text_block(t, body, cache, TEXT_WIDTH, 0, Alignment::Center);
            (Box::new(col), h)
        }
        Block::Heading(t) => {
            let mut col = LinearLayout::vertical();
            col.push(Break::new(0.4));
            let (text, h) = text_block(t, Style::new().with_font_size(13), cache, TEXT_WIDTH, 0, Alignment::Left);
            col.push(text);
            (Box::new(col), h + break_height(0.4))
        }
        Block::Paragraph(t) => {
            let (col, h) = text_block(t, body, cache, TEXT_WIDTH, 2, Alignment::Left);
            (Box::new(col), h)
        }
        Block::Fields(fields) => {
            let mut table = TableLayout::new(vec![1, 3]);
            let mut height = Mm::from(0.0);
            for (k, v) in fields {
                let (kb, kh) = text_block(k, body, cache, TEXT_WIDTH / 4.0 - 2.0, 0, Alignment::Left);
                let (vb, vh) = text_block(v, body, cache, TEXT_WIDTH * 3.0 / 4.0 - 2.0, 0, Alignment::Left);
                height += if kh > vh { kh } else { vh };
                table.row().element(kb).element(vb).push().map_err(|e| PdfError::Render(e.to_string()))?;
            }
            (Box::new(table), height)
        }
        Block::Table { weights, header, rows } => {
            let total: usize = weights.iter().sum::<usize>().max(1);
            let width = |i: usize| TEXT_WIDTH * weights[i] as f64 / total as f64 - 3.0;
            let mut table = TableLayout::new(weights.clone());
            table.set_cell_decorator(FrameCellDecorator::new(true, true, false));
            let mut height = Mm::from(0.0);
            for (r, cells) in std::iter::once(header).chain(rows.iter()).enumerate() {
                let mut row = table.row();
                let mut tallest = Mm::from(0.0);
                for (i, c) in cells.iter().enumerate() {
                    let size = if r == 0 { 10 } else { BODY };
                    let (cell, h) = text_block(c, Style::new().with_font_size(size), cache, width(i), 0, Alignment::Left);
                    tallest = if h > tallest { h } else { tallest };
                    row = row.element(cell.padded(1));
                }
                // 1 mm of padding above and below each cell.
                height += tallest + Mm::from(2.0);
                row.push().map_err(|e| PdfError::Render(e.to_string()))?;
            }
            (Box::new(table), height)
        }
        Block::Right(lines_) => {
            let mut col = LinearLayout::vertical();
            let mut height = Mm::from(0.0);
            for l in lines_ {
                let (line, h) = text_block(l, body, cache, TEXT_WIDTH, 0, Alignment::Right);
                col.push(line);
                height += h;
            }
            (Box::new(col), height)
        }
        Block::Chart(png) => {
            let image = genpdf::elements::Image::from_reader(std::io::Cursor::new(png)).map_err(|e| PdfError::Render(e.to_string()))?;
            let mut col = LinearLayout::vertical();
            col.push(Break::new(0.3));
            col.push(image.with_alignment(Alignment::Center));
            col.push(Break::new(0.3));
            (Box::new(col), png_height(png) + break_height(0.6))
        }
        Block::Space => (Box::new(Break::new(1.0)), break_height(1.0)),
    })
}

/// How much of what follows a heading stays on its page: the heading is never left alone
/// at a page foot.
const WITH_HEADING: f64 = 25.0;
/// Tables, fields and signature lines no taller than this are never split.
const KEEP_WHOLE: f64 = 60.0;

/// Lays the blocks out, measuring text with the document's font; headings keep their first
/// lines, and short tables, signature lines and charts stay whole on one page.
fn layout(doc: &Doc, cache: &genpdf::fonts::FontCache) -> Result<LinearLayout, PdfError> {
    let mut col = LinearLayout::vertical();
    let laid: Vec<(Box<dyn Element>, Mm)> = doc.blocks.iter().map(|b| element(b, cache)).collect::<Result<_, _>>()?;
    let heights: Vec<Mm> = laid.iter().map(|(_, h)| *h).collect();
    let next_height = |i: usize| heights.get(i + 1).copied().unwrap_or_default();
    for (i, ((e, h), b)) in laid.into_iter().zip(&doc.blocks).enumerate() {
        let keep = match b {
            Block::Heading(_) => Some(h + {
                let n = next_height(i);
                if n < Mm::from(WITH_HEADING) { n } else { Mm::from(WITH_HEADING) }
            }),
            Block::Table { .. } | Block::Fields(_) | Block::Right(_) if h <= Mm::from(KEEP_WHOLE) => Some(h),
            Block::Chart(_) => Some(h),
            _ => None,
        };
        match keep {
            Some(height) => col.push(Keep { inner: e, height, moved: false }),
            None => col.push(Boxed(e)),
        }
    }
    Ok(col)
}

/// A boxed element as an element (genpdf takes elements by value).
struct Boxed(Box<dyn Element>);

impl Element for Boxed {
    fn render(&mut self, context: &genpdf::Context, area: genpdf::render::Area<'_>, style: Style) -> Result<genpdf::RenderResult, genpdf::error::Error> {
        self.0.render(context, area, style)
    }
}

fn printpdf_builtin() -> printpdf::BuiltinFont {
    printpdf::BuiltinFont::Helvetica
}

/// What the layout draws besides the document's text: the space, the two-character indent
/// of paragraphs (U+3000) and the page header "第 N 页". Left out of the subset, each
/// printed as a blank box (issue 29: □□ before every indented paragraph).
const DRAWN_BY_LAYOUT: &str = " \u{3000}第页0123456789";

/// The font cut down to the glyphs of `text` (and .notdef), with a Unicode cmap, so that
/// the PDF carries only what it shows.
fn subset_font(text: &str) -> Result<Vec<u8>, String> {
    let mut glyphs: Vec<u16> = vec![0];
    for c in text.chars().chain(DRAWN_BY_LAYOUT.chars()) {
        if let Some(g) = face().glyph_index(c) {
            if !glyphs.contains(&g.0) {
                glyphs.push(g.0);
            }
        }
    }
    let scope = ReadScope::new(FONT);
    let font = scope.read::<AllsortsFont<'_>>().map_err(|e| e.to_string())?;
    let provider = font.table_provider(0).map_err(|e| e.to_string())?;
    subset(&provider, &glyphs, &SubsetProfile::Minimal, CmapTarget::Unicode).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_keep_punctuation_and_numbers_together() {
        assert_eq!(units("甲方（盖章）："), ["甲", "方", "（盖", "章）：".to_string().as_str()]);
        assert_eq!(units("金额¥3,000.00元。"), ["金", "额", "¥3,000.00", "元。"]);
        assert_eq!(units("第2026号"), ["第", "2026", "号"]);
        assert_eq!(units("“好”"), ["“好”"]);
    }

    #[test]
    fn the_subset_holds_every_glyph_the_layout_adds() {
        let font = subset_font("甲方").unwrap();
        let face = ttf_parser::Face::parse(&font, 0).unwrap();
        assert!(DRAWN_BY_LAYOUT.contains(INDENT));
        for c in DRAWN_BY_LAYOUT.chars().chain("甲方".chars()) {
            assert!(face.glyph_index(c).is_some_and(|g| g.0 != 0), "{c:?} ({:04X}) is not in the subset", c as u32);
        }
        // And the layout draws nothing else: a paragraph's lines are its text and the indent.
        let doc = Doc { title: "t".into(), blocks: vec![Block::Paragraph("第一段。".repeat(40))] };
        let mut d = genpdf::Document::new(FontFamily { regular: FontData::new(font.clone(), None).unwrap(), bold: FontData::new(font.clone(), None).unwrap(), italic: FontData::new(font.clone(), None).unwrap(), bold_italic: FontData::new(font, None).unwrap() });
        d.set_font_size(BODY);
        let Block::Paragraph(para) = &doc.blocks[0] else { unreachable!() };
        let drawn: String = lines(para, &Style::new().with_font_size(BODY), d.font_cache(), Mm::from(TEXT_WIDTH), 2).concat();
        assert!(drawn.chars().all(|c| doc.all_text().contains(c) || DRAWN_BY_LAYOUT.contains(c)), "{drawn}");
        assert!(drawn.starts_with("\u{3000}\u{3000}第"));
    }

    /// Issue 29: wherever the page foot falls, the signature table stays on one page and the
    /// payment plan's heading stays with its table. Filler text moves both down line by line
    /// across a whole page; each position is rendered and read back page by page.
    #[test]
    fn signatures_and_a_heading_with_its_table_are_never_split_across_pages() {
        let mut split = Vec::new();
        for filler in 0..48 {
            let row = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
            let doc = Doc {
                title: "合同".into(),
                blocks: vec![
                    Block::Title("政府购买服务合同".into()),
                    Block::Paragraph("文".repeat(44 * filler + 1)),
                    Block::Heading("付款计划".into()),
                    Block::Table { weights: vec![1, 3], header: row("期次", "应付日期"), rows: vec![row("1", "2026-03-01"), row("2", "2026-04-30")] },
                    Block::Paragraph("以上各期合计。".into()),
                    Block::Space,
                    Block::Table { weights: vec![1, 1], header: row("甲方（盖章）", "乙方（盖章）"), rows: vec![row("区市场监督管理局", "幸福社区"), row("代表人签字：", "代表人签字："), row("签署日期：", "签署日期：")] },
                ],
            };
            let pdf = render(&doc).unwrap();
            let pages: Vec<String> = pdf_extract::extract_text_from_mem_by_pages(&pdf).unwrap().into_iter().map(|p| p.chars().filter(|c| !c.is_whitespace()).collect()).collect();
            let page_of = |needle: &str| pages.iter().position(|p| p.contains(needle));
            if page_of("甲方（盖章）") != page_of("签署日期：签署日期：").or(page_of("签署日期：")) || page_of("付款计划") != page_of("期次") {
                split.push((filler, pages.len(), page_of("付款计划"), page_of("期次"), page_of("甲方（盖章）"), page_of("签署日期：")));
            }
        }
        assert!(split.is_empty(), "split at (filler, pages, heading, table, signature top, signature foot): {split:?}");
    }

    /// Issue 26: the title a viewer shows is the document's, in Chinese.
    #[test]
    fn the_title_is_written_as_utf16_with_a_byte_order_mark() {
        let pdf = render(&Doc { title: "政府购买服务合同 ZR-2026-0001".into(), blocks: vec![Block::Paragraph("正文".into())] }).unwrap();
        let doc = lopdf::Document::load_mem(&pdf).unwrap();
        let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
        let title = doc.get_object(info).unwrap().as_dict().unwrap().get(b"Title").unwrap().as_str().unwrap().to_vec();
        assert_eq!(&title[..2], &[0xFE, 0xFF]);
        let units: Vec<u16> = title[2..].chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        assert_eq!(String::from_utf16(&units).unwrap(), "政府购买服务合同 ZR-2026-0001");
        assert!(pdf_extract::extract_text_from_mem(&pdf).unwrap().contains("正文"), "still readable");
        assert!(!pdf.windows(TITLE_MARK.len()).any(|w| w == TITLE_MARK.as_bytes()), "no placeholder left anywhere");
        // A one-character title: the placeholder is longer than its hex, padded.
        let short = render(&Doc { title: "单".into(), blocks: vec![] }).unwrap();
        let doc = lopdf::Document::load_mem(&short).unwrap();
        let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
        assert_eq!(doc.get_object(info).unwrap().as_dict().unwrap().get(b"Title").unwrap().as_str().unwrap(), [0xFE, 0xFF, 0x53, 0x55]);
    }

    #[test]
    fn finds_characters_the_font_lacks() {
        assert!(missing("政府购买服务合同¥3,000.00人民币叁仟元整").is_empty());
        assert_eq!(missing("社区😀𠀀"), vec!['😀', '𠀀']);
    }
}
