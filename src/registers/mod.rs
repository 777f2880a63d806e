//! Registers (台账): what clerks now copy by hand into Excel, as a workbook formatted for
//! printing and as CSV. A register is plain data (columns, rows of cells); `xlsx` and
//! `csv` lay it out, so each register is written once and both formats agree.
pub mod api;
pub mod pages;
pub mod store;

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::money::Money;

/// The most rows one register holds: a county's year of records is a few thousand; beyond
/// this the clerk is asked to narrow the filters rather than wait for a file Excel
/// struggles to open (Excel's own limit is 1,048,576).
pub const MAX_ROWS: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Money,
    Date,
    /// A number that does not add up (a year, a voucher number).
    Int,
    /// A count that adds up: the total row sums it (applications per outcome …).
    Count,
}

#[derive(Clone, Debug)]
pub struct Column {
    pub header: &'static str,
    pub kind: Kind,
    /// Width in Excel's character units.
    pub width: f64,
}

pub const fn col(header: &'static str, kind: Kind, width: f64) -> Column {
    Column { header, kind, width }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Money(Money),
    Date(NaiveDate),
    Int(i64),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}
impl From<Money> for Cell {
    fn from(m: Money) -> Cell {
        Cell::Money(m)
    }
}
impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Cell {
        Cell::Date(d)
    }
}
/// Nothing known is an empty cell.
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Cell {
        v.map(Into::into).unwrap_or(Cell::Empty)
    }
}
impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

/// One register: a title (the sheet's header when printed), what it covers, its columns
/// and rows.
#[derive(Clone, Debug)]
pub struct Register {
    pub title: String,
    /// The filters it was made with, in words (printed under the title).
    pub scope: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Register {
    /// The total of each money column (exact, in fen); `None` for the others.
    pub fn totals(&self) -> Vec<Option<Money>> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (c.kind == Kind::Money).then(|| {
                    Money::from_fen(self.rows.iter().map(|r| if let Some(Cell::Money(m)) = r.get(i) { m.fen() } else { 0 }).sum())
                })
            })
            .collect()
    }

    /// The total of a `Count` column; None for any other.
    pub fn count_total(&self, i: usize) -> Option<i64> {
        (self.columns.get(i)?.kind == Kind::Count).then(|| self.rows.iter().map(|r| if let Some(Cell::Int(n)) = r.get(i) { *n } else { 0 }).sum())
    }

    /// The file name a download gets.
    pub fn file_name(&self, ext: &str) -> String {
        format!("{}.{ext}", self.title)
    }
}

const TOTAL_LABEL: &str = "合计";

/// Money as Excel shows it: a number with two decimals and thousands separators. The
/// value is the fen divided by 100, exact for any amount below 90 trillion yuan.
fn money_number(m: Money) -> f64 {
    m.fen() as f64 / 100.0
}

/// The register as an .xlsx workbook for printing: title and scope above a frozen header
/// row, money with two decimals and a total row, column widths, the header repeated on
/// every printed page, A4 landscape, fitted to the page width. Rows go to a temporary
/// file as they are written (constant memory), so a long register does not sit in memory
/// twice.
pub fn xlsx(r: &Register) -> Result<Vec<u8>, XlsxError> {
    workbook(&[r])
}

/// Several registers as the sheets of one workbook (the county report), each laid out
/// as `xlsx` lays out one.
pub fn workbook(sheets: &[&Register]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    for r in sheets {
        sheet(&mut wb, r)?;
    }
    wb.save_to_buffer()
}

fn sheet(wb: &mut Workbook, r: &Register) -> Result<(), XlsxError> {
    let title_f = Format::new().set_bold().set_font_size(14);
    let head = Format::new().set_bold().set_background_color("#F2F2F2").set_border(FormatBorder::Thin).set_align(FormatAlign::Center).set_text_wrap();
    let text = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    let money = Format::new().set_border(FormatBorder::Thin).set_num_format("#,##0.00");
    let date = Format::new().set_border(FormatBorder::Thin).set_num_format("yyyy-mm-dd");
    let int = Format::new().set_border(FormatBorder::Thin);
    let total_text = Format::new().set_bold().set_border(FormatBorder::Thin);
    let total_money = Format::new().set_bold().set_border(FormatBorder::Thin).set_num_format("#,##0.00");

    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(sheet_name(&r.title))?;
    ws.set_landscape().set_paper_size(9).set_print_fit_to_pages(1, 0);
    ws.set_header(format!("&C{}", r.title.replace('&', "&&")));
    ws.set_footer("&C第 &P 页，共 &N 页");
    for (c, col) in r.columns.iter().enumerate() {
        ws.set_column_width(c as u16, col.width)?;
    }
    ws.write_string_with_format(0, 0, &r.title, &title_f)?;
    ws.write_string(1, 0, &r.scope)?;
    const HEAD: u32 = 2;
    for (c, col) in r.columns.iter().enumerate() {
        ws.write_string_with_format(HEAD, c as u16, col.header, &head)?;
    }
    ws.set_freeze_panes(HEAD + 1, 0)?;
    ws.set_repeat_rows(HEAD, HEAD)?;
    let mut row = HEAD + 1;
    for cells in &r.rows {
        for (c, cell) in cells.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => ws.write_string_with_format(row, c, s, &text)?,
                Cell::Money(m) => ws.write_number_with_format(row, c, money_number(*m), &money)?,
                // A date Excel cannot hold (before 1900: a row saved before dates were
                // bounded) is written as text, so one old row never breaks the register.
                Cell::Date(d) => match excel_date(d) {
                    Some(x) => ws.write_datetime_with_format(row, c, x, &date)?,
                    None => ws.write_string_with_format(row, c, d.to_string(), &text)?,
                },
                Cell::Int(n) => ws.write_number_with_format(row, c, *n as f64, &int)?,
                Cell::Empty => ws.write_blank(row, c, &text)?,
            };
        }
        row += 1;
    }
    ws.write_string_with_format(row, 0, TOTAL_LABEL, &total_text)?;
    for (c, t) in r.totals().into_iter().enumerate().skip(1) {
        match (t, r.count_total(c)) {
            (Some(m), _) => ws.write_number_with_format(row, c as u16, money_number(m), &total_money)?,
            (None, Some(n)) => ws.write_number_with_format(row, c as u16, n as f64, &total_text)?,
            (None, None) => ws.write_blank(row, c as u16, &total_text)?,
        };
    }
    Ok(())
}

/// Excel refuses sheet names over 31 characters or with `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect()
}

/// The register as CSV: UTF-8 with a byte-order mark (without it Excel reads Chinese as
/// mojibake), the header row, money as plain decimals with two places, dates as
/// YYYY-MM-DD, and the total row.
pub fn csv(r: &Register) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(r.columns.iter().map(|c| c.header))?;
        for cells in &r.rows {
            w.write_record(cells.iter().map(cell_text))?;
        }
        let totals = r.totals();
        let mut last: Vec<String> =
            totals.iter().enumerate().map(|(i, t)| t.map(|m| m.to_string()).or_else(|| r.count_total(i).map(|n| n.to_string())).unwrap_or_default()).collect();
        if let Some(first) = last.first_mut() {
            *first = TOTAL_LABEL.into();
        }
        w.write_record(&last)?;
        w.flush()?;
    }
    Ok(out)
}

fn cell_text(c: &Cell) -> String {
    match c {
        // A text starting like a formula would be run by a spreadsheet that opens the CSV
        // (an application titled `=1+2…`): a leading apostrophe keeps it text (OWASP).
        Cell::Text(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        Cell::Text(s) => s.clone(),
        Cell::Money(m) => m.to_string(),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::Int(n) => n.to_string(),
        Cell::Empty => String::new(),
    }
}

/// The date as Excel holds it, or None for one it cannot (before 1900).
fn excel_date(d: &NaiveDate) -> Option<rust_xlsxwriter::ExcelDateTime> {
    use chrono::Datelike;
    let year = u16::try_from(d.year()).ok().filter(|y| (1900..=9999).contains(y))?;
    rust_xlsxwriter::ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Register {
        Register {
            title: "合同台账".into(),
            scope: "全部".into(),
            columns: vec![col("合同编号", Kind::Text, 20.0), col("金额", Kind::Money, 14.0), col("签订日期", Kind::Date, 12.0), col("期数", Kind::Int, 6.0)],
            rows: vec![
                vec!["示范区购服〔2026〕1号".into(), Money::from_fen(300_000).into(), NaiveDate::from_ymd_opt(2026, 3, 1).into(), 3i64.into()],
                vec!["含,逗号\"引号".into(), Money::from_fen(1).into(), Cell::Empty, 1i64.into()],
            ],
        }
    }

    #[test]
    fn totals_are_exact_in_fen_and_only_for_money() {
        assert_eq!(sample().totals(), vec![None, Some(Money::from_fen(300_001)), None, None]);
        assert_eq!(sample().count_total(3), None, "期数 is a number, not a count");
    }

    #[test]
    fn count_columns_add_up_in_the_total_row() {
        let mut r = sample();
        r.columns[3] = col("件数", Kind::Count, 6.0);
        assert_eq!(r.count_total(3), Some(4));
        let text = String::from_utf8(csv(&r).unwrap()[3..].to_vec()).unwrap();
        assert_eq!(text.lines().last().unwrap(), "合计,3000.01,,4");
    }

    #[test]
    fn csv_has_a_bom_quotes_what_needs_it_and_ends_with_the_total() {
        let bytes = csv(&sample()).unwrap();
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "合同编号,金额,签订日期,期数");
        assert_eq!(lines[1], "示范区购服〔2026〕1号,3000.00,2026-03-01,3");
        assert_eq!(lines[2], "\"含,逗号\"\"引号\",0.01,,1");
        assert_eq!(lines[3], "合计,3000.01,,");
    }

    #[test]
    fn csv_keeps_a_formula_like_text_as_text() {
        let mut r = sample();
        r.rows = vec![
            vec!["=1+2".into(), Money::from_fen(1).into(), Cell::Empty, 1i64.into()],
            vec!["@SUM(A1)".into(), Money::from_fen(1).into(), Cell::Empty, 1i64.into()],
            vec!["社区=居委会".into(), Money::from_fen(1).into(), Cell::Empty, 1i64.into()],
        ];
        let text = String::from_utf8(csv(&r).unwrap()[3..].to_vec()).unwrap();
        let first: Vec<&str> = text.lines().skip(1).take(3).map(|l| l.split(',').next().unwrap()).collect();
        assert_eq!(first, ["'=1+2", "'@SUM(A1)", "社区=居委会"]);
    }

    #[test]
    fn a_date_excel_cannot_hold_is_written_as_text_and_the_rest_stays_typed() {
        use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
        let mut r = sample();
        r.rows[1][2] = NaiveDate::from_ymd_opt(-1, 1, 1).into();
        let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(xlsx(&r).unwrap())).unwrap();
        let range = wb.worksheet_range("合同台账").unwrap();
        assert_eq!(range.get_value((4, 2)), Some(&Data::String("-0001-01-01".into())));
        assert!(matches!(range.get_value((3, 2)), Some(Data::DateTime(_))));
    }

    #[test]
    fn xlsx_reads_back_with_header_rows_and_total() {
        use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
        let bytes = xlsx(&sample()).unwrap();
        let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = wb.worksheet_range("合同台账").unwrap();
        assert_eq!(range.get_value((0, 0)), Some(&Data::String("合同台账".into())));
        assert_eq!(range.get_value((2, 1)), Some(&Data::String("金额".into())));
        assert_eq!(range.get_value((3, 1)), Some(&Data::Float(3000.0)));
        assert_eq!(range.get_value((5, 0)), Some(&Data::String("合计".into())));
        assert_eq!(range.get_value((5, 1)), Some(&Data::Float(3000.01)));
    }
}
