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
        let mut line = "\u{3000}".repeat(indent);
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

const MARGIN: f64 = 20.0;
const TEXT_WIDTH: f64 = 210.0 - 2.0 * MARGIN;
const BODY: u8 = 11;

fn text_block(text: &str, style: Style, cache: &genpdf::fonts::FontCache, width: f64, indent: usize, align: Alignment) -> LinearLayout {
    let mut col = LinearLayout::vertical();
    // Keep a little slack: genpdf measures the same way, but must never wrap again.
    for l in lines(text, &style, cache, Mm::from(width * 0.98), indent) {
        col.push(Paragraph::new(l).aligned(align).styled(style));
    }
    col
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
    d.set_title(doc.title.clone());
    d.set_minimal_conformance();
    d.set_paper_size(genpdf::PaperSize::A4);
    d.set_font_size(BODY);
    d.set_line_spacing(1.4);
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
    Ok(out)
}

/// Lays the blocks out, measuring text with the document's font.
fn layout(doc: &Doc, cache: &genpdf::fonts::FontCache) -> Result<LinearLayout, PdfError> {
    let mut col = LinearLayout::vertical();
    let body = Style::new().with_font_size(BODY);
    for b in &doc.blocks {
        match b {
            Block::Title(t) => {
                col.push(text_block(t, Style::new().with_font_size(20), cache, TEXT_WIDTH, 0, Alignment::Center));
                col.push(Break::new(0.5));
            }
            Block::Subtitle(t) => col.push(text_block(t, body, cache, TEXT_WIDTH, 0, Alignment::Center)),
            Block::Heading(t) => {
                col.push(Break::new(0.4));
                col.push(text_block(t, Style::new().with_font_size(13), cache, TEXT_WIDTH, 0, Alignment::Left));
            }
            Block::Paragraph(t) => col.push(text_block(t, body, cache, TEXT_WIDTH, 2, Alignment::Left)),
            Block::Fields(fields) => {
                let mut table = TableLayout::new(vec![1, 3]);
                for (k, v) in fields {
                    let row = table.row();
                    row.element(text_block(k, body, cache, TEXT_WIDTH / 4.0 - 2.0, 0, Alignment::Left))
                        .element(text_block(v, body, cache, TEXT_WIDTH * 3.0 / 4.0 - 2.0, 0, Alignment::Left))
                        .push()
                        .map_err(|e| PdfError::Render(e.to_string()))?;
                }
                col.push(table);
            }
            Block::Table { weights, header, rows } => {
                let total: usize = weights.iter().sum::<usize>().max(1);
                let width = |i: usize| TEXT_WIDTH * weights[i] as f64 / total as f64 - 3.0;
                let mut table = TableLayout::new(weights.clone());
                table.set_cell_decorator(FrameCellDecorator::new(true, true, false));
                for (r, cells) in std::iter::once(header).chain(rows.iter()).enumerate() {
                    let mut row = table.row();
                    for (i, c) in cells.iter().enumerate() {
                        let size = if r == 0 { 10 } else { BODY };
                        row = row.element(text_block(c, Style::new().with_font_size(size), cache, width(i), 0, Alignment::Left).padded(1));
                    }
                    row.push().map_err(|e| PdfError::Render(e.to_string()))?;
                }
                col.push(table);
            }
            Block::Right(lines_) => {
                for l in lines_ {
                    col.push(text_block(l, body, cache, TEXT_WIDTH, 0, Alignment::Right));
                }
            }
            Block::Chart(png) => {
                let image = genpdf::elements::Image::from_reader(std::io::Cursor::new(png)).map_err(|e| PdfError::Render(e.to_string()))?;
                col.push(Break::new(0.3));
                col.push(image.with_alignment(Alignment::Center));
                col.push(Break::new(0.3));
            }
            Block::Space => col.push(Break::new(1.0)),
        }
    }
    Ok(col)
}

fn printpdf_builtin() -> printpdf::BuiltinFont {
    printpdf::BuiltinFont::Helvetica
}

/// The font cut down to the glyphs of `text` (and .notdef), with a Unicode cmap, so that
/// the PDF carries only what it shows.
fn subset_font(text: &str) -> Result<Vec<u8>, String> {
    let mut glyphs: Vec<u16> = vec![0];
    for c in text.chars().chain(" ".chars()) {
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
    fn finds_characters_the_font_lacks() {
        assert!(missing("政府购买服务合同¥3,000.00人民币叁仟元整").is_empty());
        assert_eq!(missing("社区😀𠀀"), vec!['😀', '𠀀']);
    }
}
