//! The lists as an Excel workbook, the way counties keep them today: one sheet per list,
//! named after it, with a header row in Chinese. Reading is all-or-nothing: every bad
//! row is reported with its sheet and row number, and nothing is imported.
use std::collections::HashMap;
use std::io::{Cursor, Read};

use calamine::{open_workbook_from_rs, Reader, Xlsx};
use rust_xlsxwriter::{Format, Workbook};

use super::{split_keywords, IncomingItem, ItemFields, ListKind, RowError};

/// The columns, in the order export writes them.
pub const HEADERS: [&str; 10] = [
    "编号",
    "事项名称",
    "事项说明",
    "法律/文件依据",
    "责任部门",
    "类别",
    "识别关键词",
    "需专业资质",
    "需执法资格",
    "列入负面清单理由",
];

fn row_of(f: &ItemFields) -> [String; 10] {
    let yes_no = |b: bool| if b { "是" } else { "否" }.to_string();
    [
        f.code.clone(),
        f.title.clone(),
        f.description.clone(),
        f.basis.clone(),
        f.department.clone(),
        f.category.clone(),
        f.keywords.join("、"),
        yes_no(f.needs_professional_qualification),
        yes_no(f.needs_enforcement_authority),
        f.negative_reason.clone(),
    ]
}

/// Writes the three lists, each sheet with all its items in the given order.
pub fn write(items: &[(ListKind, ItemFields)]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("#F2F2F2");
    let widths = [10.0, 28.0, 40.0, 36.0, 18.0, 12.0, 30.0, 10.0, 10.0, 36.0];
    for kind in ListKind::ALL {
        let ws = wb.add_worksheet();
        ws.set_name(kind.label())?;
        for (c, h) in HEADERS.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
            ws.set_column_width(c as u16, widths[c])?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (r, (_, f)) in items.iter().filter(|(k, _)| *k == kind).enumerate() {
            for (c, v) in row_of(f).iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, v)?;
            }
        }
    }
    wb.save_to_buffer()
}

/// A sheet as read: its name, the Excel row number of its first row, and its cells as text.
pub struct RawSheet {
    pub name: String,
    pub first_row: usize,
    pub rows: Vec<Vec<String>>,
}

/// The largest sheet an import reads: far above any county's lists (a few hundred items),
/// far below what could exhaust memory. Checked cell by cell while streaming, before any
/// grid is allocated (a sheet with cells at A1 and XFD1048576 would otherwise ask for 10^10).
pub const MAX_ROWS: u32 = 5_000;
pub const MAX_COLS: u32 = 50;
pub const MAX_SHEETS: usize = 10;

/// An .xlsx file is a zip archive: a small upload can unpack to gigabytes (a compression
/// bomb), and calamine holds the whole shared-strings table in memory. So the archive is
/// unpacked once into a counting sink, never into memory, and refused before calamine
/// sees it when it is larger than any county's lists could be: the limits sit far above a
/// real workbook (a few hundred items unpack to well under 1 MB) and keep the memory an
/// import can take to a few tens of MB.
pub const MAX_ENTRIES: usize = 200;
pub const MAX_UNPACKED: u64 = 64 << 20;
pub const MAX_PART: u64 = 32 << 20;
pub const MAX_SHARED_STRINGS: u64 = 16 << 20;
/// More distinct strings than cells a workbook may have are of no use to anyone.
pub const MAX_STRINGS: u64 = (MAX_ROWS * MAX_COLS) as u64;

/// Bytes and `<si>` elements (shared strings) seen by a sink; the last bytes of the previous
/// chunk are kept so that an element split across two writes is still counted once.
#[derive(Default)]
struct Counter {
    bytes: u64,
    strings: u64,
    tail: Vec<u8>,
}

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len() as u64;
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(buf);
        self.strings += memchr::memmem::find_iter(&window, b"</si>").count() as u64;
        let keep = window.len().min(4);
        self.tail = window[window.len() - keep..].to_vec();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Refuses an archive that unpacks beyond the limits, reading it as a stream.
fn check_archive(bytes: &[u8]) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    if zip.len() > MAX_ENTRIES {
        return Err(format!("文件内含部件过多（超过{MAX_ENTRIES}个），不像清单工作簿"));
    }
    let too_big = || format!("文件解压后过大（上限{} MB），请只保留三张清单工作表后重新导出", MAX_UNPACKED >> 20);
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| e.to_string())?;
        let shared = part.name().is_ok_and(|n| n.ends_with("sharedStrings.xml"));
        let cap = if shared { MAX_SHARED_STRINGS } else { MAX_PART };
        // The declared size may lie; it is only a first, cheap refusal.
        if part.size() > cap || total + part.size() > MAX_UNPACKED {
            return Err(too_big());
        }
        let mut sink = Counter::default();
        std::io::copy(&mut part.by_ref().take(cap + 1), &mut sink).map_err(|e| e.to_string())?;
        total += sink.bytes;
        if sink.bytes > cap || total > MAX_UNPACKED {
            return Err(too_big());
        }
        if shared && sink.strings > MAX_STRINGS {
            return Err(format!("文件内的文字条目过多（超过{MAX_STRINGS}条），不像清单工作簿"));
        }
    }
    Ok(())
}

/// Reads the cells of every sheet of an .xlsx file.
pub fn read(bytes: &[u8]) -> Result<Vec<RawSheet>, RowError> {
    let unreadable = |e: String| RowError { sheet: String::new(), row: 0, message: format!("无法读取 Excel 文件（须为 .xlsx）：{e}") };
    check_archive(bytes).map_err(unreadable)?;
    let mut wb: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsxError| unreadable(e.to_string()))?;
    let names = wb.sheet_names();
    if names.len() > MAX_SHEETS {
        return Err(unreadable(format!("工作表不超过{MAX_SHEETS}个")));
    }
    let mut out = Vec::new();
    for name in names {
        let too_big = |row: u32| RowError {
            sheet: name.clone(),
            row: row as usize + 1,
            message: format!("工作表过大：最多{MAX_ROWS}行、{MAX_COLS}列"),
        };
        let mut cells: Vec<(u32, u32, String)> = Vec::new();
        let mut reader = wb.worksheet_cells_reader(&name).map_err(|e| unreadable(e.to_string()))?;
        while let Some(cell) = reader.next_cell().map_err(|e| unreadable(e.to_string()))? {
            let (r, c) = cell.get_position();
            if r >= MAX_ROWS || c >= MAX_COLS {
                return Err(too_big(r));
            }
            let text = calamine::Data::from(cell.get_value().clone()).to_string().trim().to_string();
            if !text.is_empty() {
                cells.push((r, c, text));
            }
        }
        drop(reader);
        let first = cells.iter().map(|(r, _, _)| *r).min().unwrap_or(0);
        let last = cells.iter().map(|(r, _, _)| *r).max().unwrap_or(0);
        // Absolute columns, so that headers and cells line up however the sheet starts.
        let mut rows = vec![Vec::<String>::new(); if cells.is_empty() { 0 } else { (last - first + 1) as usize }];
        for (r, c, text) in cells {
            let row = &mut rows[(r - first) as usize];
            if row.len() <= c as usize {
                row.resize(c as usize + 1, String::new());
            }
            row[c as usize] = text;
        }
        out.push(RawSheet { name, first_row: first as usize + 1, rows });
    }
    Ok(out)
}

/// Which list a sheet holds, by its name: the full list name, or a name containing the
/// short one (e.g. "示范区协助办理事项清单（2026年）").
pub fn kind_of_sheet(name: &str) -> Option<ListKind> {
    let name = name.trim();
    ListKind::ALL.into_iter().find(|k| name == k.label() || name.contains(k.short_label()))
}

fn flag(value: &str, header: &str) -> Result<bool, String> {
    match value {
        "是" => Ok(true),
        "否" | "" => Ok(false),
        other => Err(format!("“{header}”须填“是”或“否”，而不是“{other}”")),
    }
}

/// Turns sheets into items, or reports every problem found. Columns are found by their
/// header, so extra columns (序号, 备注, ...) are ignored; rows with no text are skipped.
pub fn parse(sheets: &[RawSheet]) -> Result<Vec<IncomingItem>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut items = Vec::new();
    let mut seen_kind: HashMap<ListKind, String> = HashMap::new();
    let mut seen_code: HashMap<String, (String, usize)> = HashMap::new();
    for sheet in sheets {
        let sheet_err = |row: usize, message: String| RowError { sheet: sheet.name.clone(), row, message };
        let Some(kind) = kind_of_sheet(&sheet.name) else {
            errors.push(sheet_err(
                sheet.first_row,
                format!("未知的清单名称“{}”：工作表须为依法履职事项清单、协助办理事项清单或工作负面事项清单", sheet.name),
            ));
            continue;
        };
        if let Some(other) = seen_kind.insert(kind, sheet.name.clone()) {
            errors.push(sheet_err(sheet.first_row, format!("与工作表“{other}”是同一个清单")));
            continue;
        }
        let Some(header) = sheet.rows.first() else { continue };
        let col: HashMap<&str, usize> = header.iter().enumerate().map(|(i, h)| (h.as_str(), i)).collect();
        let missing: Vec<&str> = ["编号", "事项名称"].into_iter().filter(|h| !col.contains_key(h)).collect();
        if !missing.is_empty() {
            errors.push(sheet_err(sheet.first_row, format!("表头缺少列：{}", missing.join("、"))));
            continue;
        }
        for (i, cells) in sheet.rows.iter().enumerate().skip(1) {
            let row = sheet.first_row + i;
            if cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            let get = |h: &str| col.get(h).and_then(|&c| cells.get(c)).cloned().unwrap_or_default();
            let mut row_errors = Vec::new();
            let mut flag_of = |h: &str| flag(&get(h), h).unwrap_or_else(|m| {
                row_errors.push(m);
                false
            });
            let needs_q = flag_of("需专业资质");
            let needs_e = flag_of("需执法资格");
            let fields = ItemFields {
                code: get("编号"),
                title: get("事项名称"),
                description: get("事项说明"),
                basis: get("法律/文件依据"),
                department: get("责任部门"),
                category: get("类别"),
                keywords: split_keywords(&get("识别关键词")),
                needs_professional_qualification: needs_q,
                needs_enforcement_authority: needs_e,
                negative_reason: get("列入负面清单理由"),
            }
            .normalised();
            if let Err(fs) = fields.check(kind) {
                row_errors.extend(fs.into_iter().map(|f| f.message));
            }
            if !fields.code.is_empty() {
                if let Some((s, r)) = seen_code.get(&fields.code) {
                    row_errors.push(format!("编号“{}”与工作表“{s}”第{r}行重复", fields.code));
                } else {
                    seen_code.insert(fields.code.clone(), (sheet.name.clone(), row));
                }
            }
            if row_errors.is_empty() {
                items.push(IncomingItem { kind, fields, sheet: sheet.name.clone(), row });
            } else {
                errors.extend(row_errors.into_iter().map(|m| sheet_err(row, m)));
            }
        }
    }
    for kind in ListKind::ALL {
        if !seen_kind.contains_key(&kind) {
            errors.push(RowError {
                sheet: kind.label().into(),
                row: 0,
                message: format!("缺少工作表“{}”（没有事项也请保留表头）", kind.label()),
            });
        }
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(name: &str, rows: &[&[&str]]) -> RawSheet {
        RawSheet {
            name: name.into(),
            first_row: 1,
            rows: rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect(),
        }
    }

    const H: &[&str] = &["编号", "事项名称", "需专业资质", "需执法资格", "列入负面清单理由"];

    fn good() -> Vec<RawSheet> {
        vec![
            sheet("依法履职事项清单", &[H, &["D1", "居民会议", "否", "否", ""]]),
            sheet("示范区协助办理事项清单（2026年）", &[H, &["A1", "人口监测", "", "", ""], &["", "", "", "", ""]]),
            sheet("工作负面事项清单", &[H, &["N1", "行政执法", "否", "是", "社区不具有执法主体资格"]]),
        ]
    }

    /// A sheet with cells at A1 and XFD1048576 is refused as read, without a grid of 10^10.
    #[test]
    fn a_sheet_spanning_the_whole_grid_is_refused_without_allocating_it() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet().set_name("依法履职事项清单").unwrap();
        ws.write_string(0, 0, "编号").unwrap();
        ws.write_string(1_048_575, 16_383, "x").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let err = read(&bytes).err().expect("refused");
        assert!(err.message.contains("工作表过大"), "{}", err.message);
        assert_eq!(err.row, 1_048_576);
        // Within the limits the same reader keeps cells where they are.
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet().set_name("依法履职事项清单").unwrap();
        ws.write_string(2, 1, "编号").unwrap();
        ws.write_string(3, 3, "D1").unwrap();
        let sheets = read(&wb.save_to_buffer().unwrap()).unwrap();
        assert_eq!(sheets[0].first_row, 3);
        assert_eq!(sheets[0].rows[0], ["", "编号"]);
        assert_eq!(sheets[0].rows[1], ["", "", "", "D1"]);
    }

    #[test]
    fn parses_a_good_workbook() {
        let items = parse(&good()).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].kind, ListKind::Assist);
        assert_eq!(items[1].row, 2);
        assert!(items[2].fields.needs_enforcement_authority);
        assert!(!items[2].fields.needs_professional_qualification);
    }

    #[test]
    fn a_hidden_character_in_a_cell_is_named_with_its_row() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        for (name, row) in [("依法履职事项清单", ["D1", "居民\u{0}会议"]), ("协助办理事项清单", ["A1", "人口监测"]), ("工作负面事项清单", ["N1", "行政\u{202E}执法"])] {
            let ws = wb.add_worksheet().set_name(name).unwrap();
            ws.write_string(0, 0, "编号").unwrap();
            ws.write_string(0, 1, "事项名称").unwrap();
            ws.write_string(0, 2, "列入负面清单理由").unwrap();
            ws.write_string(1, 0, row[0]).unwrap();
            ws.write_string(1, 1, row[1]).unwrap();
            ws.write_string(1, 2, "社区不具有执法主体资格").unwrap();
        }
        let errors = parse(&read(&wb.save_to_buffer().unwrap()).unwrap()).unwrap_err();
        let found: Vec<(&str, usize, bool)> = errors.iter().map(|e| (e.sheet.as_str(), e.row, e.message.contains("控制字符"))).collect();
        assert_eq!(found, [("依法履职事项清单", 2, true), ("工作负面事项清单", 2, true)], "{errors:?}");
    }

    #[test]
    fn reports_every_bad_row_with_sheet_and_row() {
        let mut wb = good();
        wb[0].rows.push(vec!["D2".into(), "".into(), "否".into(), "否".into(), "".into()]);
        wb[0].rows.push(vec!["A1".into(), "重复编号".into(), "否".into(), "否".into(), "".into()]);
        wb[2].rows.push(vec!["N2".into(), "拆迁拆违".into(), "需要".into(), "否".into(), "理由".into()]);
        wb[2].rows.push(vec!["N3".into(), "招商引资".into(), "否".into(), "否".into(), "".into()]);
        wb.push(sheet("其他事项", &[H]));
        let errs = parse(&wb).unwrap_err();
        let got: Vec<(String, usize)> = errs.iter().map(|e| (e.sheet.clone(), e.row)).collect();
        assert_eq!(
            got,
            vec![
                ("依法履职事项清单".to_string(), 3),
                // The second A1 met, reading sheet by sheet, is the duplicate.
                ("示范区协助办理事项清单（2026年）".to_string(), 2),
                ("工作负面事项清单".to_string(), 3),
                ("工作负面事项清单".to_string(), 4),
                ("其他事项".to_string(), 1),
            ]
        );
        assert_eq!(errs[0].message, "请填写事项名称");
        assert!(errs[1].message.contains("重复"), "{}", errs[1].message);
        assert!(errs[2].message.contains("“需专业资质”须填“是”或“否”"));
        assert_eq!(errs[3].message, "负面清单事项须写明列入理由");
        assert!(errs[4].message.contains("未知的清单名称"));
    }

    #[test]
    fn a_missing_sheet_or_column_is_an_error() {
        let wb = vec![good().remove(0), good().remove(1)];
        let errs = parse(&wb).unwrap_err();
        assert!(errs[0].message.contains("缺少工作表“工作负面事项清单”"));
        let mut wb = good();
        wb[0].rows[0][1] = "名称".into();
        let errs = parse(&wb).unwrap_err();
        assert_eq!((errs[0].row, errs[0].message.as_str()), (1, "表头缺少列：事项名称"));
    }

    #[test]
    fn write_then_read_gives_the_same_items() {
        let items = vec![
            (ListKind::Duty, ItemFields { code: "D1".into(), title: "居民会议".into(), basis: "《城市居民委员会组织法》第十条".into(), ..Default::default() }),
            (
                ListKind::Negative,
                ItemFields {
                    code: "N1".into(),
                    title: "拆迁拆违".into(),
                    keywords: vec!["拆迁".into(), "违建".into()],
                    needs_enforcement_authority: true,
                    negative_reason: "属有关部门职责".into(),
                    ..Default::default()
                },
            ),
        ];
        let bytes = write(&items).unwrap();
        let back = parse(&read(&bytes).unwrap()).unwrap();
        let back: Vec<_> = back.into_iter().map(|i| (i.kind, i.fields)).collect();
        assert_eq!(back, items);
    }

    /// A good workbook with one part replaced by `body` repeated `times` (compressed).
    fn with_part(name: &str, head: &str, body: &str, times: usize) -> Vec<u8> {
        use std::io::Write;
        let good = write(&[]).unwrap();
        let mut src = zip::ZipArchive::new(Cursor::new(good)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for i in 0..src.len() {
            let part = src.by_index(i).unwrap();
            if part.name().unwrap() != name {
                out.raw_copy_file(part).unwrap();
            }
        }
        out.start_file(name, opts).unwrap();
        out.write_all(head.as_bytes()).unwrap();
        for _ in 0..times {
            out.write_all(body.as_bytes()).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_compression_bomb_is_refused_before_it_is_unpacked_into_memory() {
        // 40 MB of shared strings in about 40 KB.
        let bomb = with_part("xl/sharedStrings.xml", "<sst>", &"<si><t>a</t></si>".repeat(1024), 2400);
        assert!(bomb.len() < 200_000, "{}", bomb.len());
        let e = read(&bomb).err().unwrap();
        assert!(e.message.contains("解压后过大"), "{}", e.message);
        // A worksheet part that unpacks beyond the limit, whatever its declared size.
        let sheet = with_part("xl/worksheets/sheet1.xml", "<worksheet>", &" ".repeat(1 << 20), 40);
        assert!(read(&sheet).err().unwrap().message.contains("解压后过大"));
    }

    #[test]
    fn more_shared_strings_than_cells_are_refused() {
        // Within the byte limit (about 5 MB) but 300,000 strings for at most 250,000 cells.
        let many = with_part("xl/sharedStrings.xml", "<sst>", &"<si><t>a</t></si>".repeat(1000), 300);
        let e = read(&many).err().unwrap();
        assert!(e.message.contains("文字条目过多"), "{}", e.message);
        // One fewer thousand than the limit passes the check (and reads as an empty workbook).
        let fewer = with_part("xl/sharedStrings.xml", "<sst>", &"<si><t>a</t></si>".repeat(1000), 250);
        assert!(check_archive(&fewer).is_ok());
    }

    #[test]
    fn garbage_is_not_a_workbook() {
        let e = read(b"not an xlsx").err().unwrap();
        assert!(e.message.contains("无法读取"));
    }
}
