//! The three lists (三个清单) of a county: duty (依法履职), assist (协助办理) and negative
//! (工作负面) items, versioned by year and changed only by procedure: add, adjust or
//! cancel, each with a reason and the document it rests on (seed 001 §二(一)(四),
//! "该进则进、该退则退，宜并则并、宜分则分"; 004 Yingjiang: reviewed every year, aiming at
//! fewer items). Plain types and functions; storage in `store.rs`, Excel in `workbook.rs`.
pub mod api;
pub mod baseline;
pub mod funding;
pub mod demo;
pub mod pages;
pub mod pdf;
pub mod store;
pub mod workbook;

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::platform::error::FieldError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    Duty,
    Assist,
    Negative,
}

impl ListKind {
    pub const ALL: [ListKind; 3] = [ListKind::Duty, ListKind::Assist, ListKind::Negative];

    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Duty => "duty",
            ListKind::Assist => "assist",
            ListKind::Negative => "negative",
        }
    }

    pub fn parse(s: &str) -> Option<ListKind> {
        ListKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The list's Chinese name, also the sheet name in the Excel workbook.
    pub fn label(self) -> &'static str {
        match self {
            ListKind::Duty => "依法履职事项清单",
            ListKind::Assist => "协助办理事项清单",
            ListKind::Negative => "工作负面事项清单",
        }
    }

    pub fn short_label(self) -> &'static str {
        match self {
            ListKind::Duty => "依法履职",
            ListKind::Assist => "协助办理",
            ListKind::Negative => "工作负面",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Active,
    Cancelled,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Active => "active",
            ItemStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> ItemStatus {
        if s == "cancelled" {
            ItemStatus::Cancelled
        } else {
            ItemStatus::Active
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Active => "有效",
            ItemStatus::Cancelled => "已取消",
        }
    }
}

/// The content of a list item, as entered, imported and compared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItemFields {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Legal or document basis (法律/文件依据).
    #[serde(default)]
    pub basis: String,
    /// Responsible department (责任部门).
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub category: String,
    /// Words that recognise a task as this item when they appear in its title or description.
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub needs_professional_qualification: bool,
    #[serde(default)]
    pub needs_enforcement_authority: bool,
    /// Why a negative item is never the community's job.
    #[serde(default)]
    pub negative_reason: String,
}

impl ItemFields {
    /// Trims every text, drops empty and repeated keywords.
    pub fn normalised(mut self) -> ItemFields {
        for s in [
            &mut self.code,
            &mut self.title,
            &mut self.description,
            &mut self.basis,
            &mut self.department,
            &mut self.category,
            &mut self.negative_reason,
        ] {
            *s = s.trim().to_string();
        }
        let mut seen = HashSet::new();
        self.keywords = self
            .keywords
            .iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty() && seen.insert(k.clone()))
            .collect();
        self
    }

    /// Checks an item of the given list; messages are Chinese, per field.
    pub fn check(&self, kind: ListKind) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut err = |field: &str, message: &str| {
            errs.push(FieldError { field: field.into(), message: message.into() })
        };
        if self.code.is_empty() {
            err("code", "请填写编号");
        } else if self.code.chars().count() > 32 || self.code.chars().any(char::is_whitespace) {
            err("code", "编号不能含空格，且不超过32个字符");
        }
        if self.title.is_empty() {
            err("title", "请填写事项名称");
        } else if self.title.chars().count() > 200 {
            err("title", "事项名称不超过200个字符");
        }
        if kind == ListKind::Negative && self.negative_reason.is_empty() {
            err("negative_reason", "负面清单事项须写明列入理由");
        }
        if self.keywords.iter().any(|k| k.chars().count() > 50) {
            err("keywords", "每个关键词不超过50个字符");
        }
        if self.keywords.iter().any(|k| split_keywords(k).len() != 1) {
            err("keywords", "关键词不能含空格或、，；等分隔符");
        }
        // A workbook brings text past the JSON gate (`_x0000_` is a NUL to calamine).
        let fields = [("code", &self.code), ("title", &self.title), ("description", &self.description), ("basis", &self.basis), ("department", &self.department), ("category", &self.category), ("negative_reason", &self.negative_reason)];
        for (field, value) in fields.into_iter().chain(self.keywords.iter().map(|k| ("keywords", k))) {
            if let Some(why) = crate::platform::input::hidden_characters(value) {
                err(field, why);
            }
        }
        // Published lists are printed (上墙公示): every character must print.
        let text = [&self.title, &self.description, &self.basis, &self.department, &self.category, &self.negative_reason].map(|s| s.as_str()).concat();
        let text: String = text.chars().filter(|c| !crate::platform::input::is_hidden(*c)).collect();
        let lacking = crate::pdf::missing(&text); // hidden characters are named above
        if !lacking.is_empty() {
            errs.push(FieldError { field: "title".into(), message: format!("以下字符无法打印：{}", lacking.iter().collect::<String>()) });
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }

    /// The names of the fields that differ, in Chinese, for a diff or a change log.
    pub fn changed_fields(&self, other: &ItemFields) -> Vec<&'static str> {
        let mut out = Vec::new();
        let pairs: [(&'static str, bool); 10] = [
            ("编号", self.code != other.code),
            ("事项名称", self.title != other.title),
            ("事项说明", self.description != other.description),
            ("依据", self.basis != other.basis),
            ("责任部门", self.department != other.department),
            ("类别", self.category != other.category),
            ("识别关键词", self.keywords != other.keywords),
            ("需专业资质", self.needs_professional_qualification != other.needs_professional_qualification),
            ("需执法资格", self.needs_enforcement_authority != other.needs_enforcement_authority),
            ("列入负面清单理由", self.negative_reason != other.negative_reason),
        ];
        for (name, differs) in pairs {
            if differs {
                out.push(name);
            }
        }
        out
    }
}

/// Splits keywords as clerks type them: 、 ， , ； ; or spaces.
pub fn split_keywords(s: &str) -> Vec<String> {
    s.split(|c: char| matches!(c, '、' | '，' | ',' | '；' | ';') || c.is_whitespace())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect()
}

/// Why a change is made (every change needs both).
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ChangeBasis {
    /// 调整理由.
    #[serde(default)]
    pub reason: String,
    /// The document the change rests on (文件依据), e.g. a decision's number.
    #[serde(default)]
    pub document: String,
}

impl ChangeBasis {
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errs = Vec::new();
        if self.reason.trim().is_empty() {
            errs.push(FieldError { field: "reason".into(), message: "请写明变更理由".into() });
        }
        if self.document.trim().is_empty() {
            errs.push(FieldError { field: "document".into(), message: "请写明变更所依据的文件".into() });
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    Add,
    Adjust,
    Cancel,
}

impl ChangeAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeAction::Add => "add",
            ChangeAction::Adjust => "adjust",
            ChangeAction::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeAction> {
        [ChangeAction::Add, ChangeAction::Adjust, ChangeAction::Cancel].into_iter().find(|a| a.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ChangeAction::Add => "新增",
            ChangeAction::Adjust => "调整",
            ChangeAction::Cancel => "取消",
        }
    }
}

/// An item as one version holds it: what the diff and import compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionItem {
    pub id: i64,
    pub kind: ListKind,
    pub status: ItemStatus,
    pub fields: ItemFields,
}

/// What changed between two versions of a county's lists, keyed by item code.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Diff<'a> {
    pub added: Vec<&'a VersionItem>,
    pub adjusted: Vec<(&'a VersionItem, &'a VersionItem, Vec<&'static str>)>,
    pub cancelled: Vec<&'a VersionItem>,
}

/// Compares the active items of two versions. An item counts as added when it is active
/// only in `to`, cancelled when active only in `from`, adjusted when active in both with
/// different content (a move to another list counts as an adjustment of "清单").
pub fn diff<'a>(from: &'a [VersionItem], to: &'a [VersionItem]) -> Diff<'a> {
    let active = |items: &'a [VersionItem]| -> BTreeMap<&'a str, &'a VersionItem> {
        items
            .iter()
            .filter(|i| i.status == ItemStatus::Active)
            .map(|i| (i.fields.code.as_str(), i))
            .collect()
    };
    let (a, b) = (active(from), active(to));
    let mut d = Diff::default();
    for (code, new) in &b {
        match a.get(code) {
            None => d.added.push(*new),
            Some(old) => {
                let mut changed = old.fields.changed_fields(&new.fields);
                if old.kind != new.kind {
                    changed.insert(0, "清单");
                }
                if !changed.is_empty() {
                    d.adjusted.push((*old, *new, changed));
                }
            }
        }
    }
    for (code, old) in &a {
        if !b.contains_key(code) {
            d.cancelled.push(*old);
        }
    }
    d
}

/// One step an import would take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Planned {
    Add(ListKind, ItemFields),
    Adjust { item_id: i64, fields: ItemFields },
    Cancel { item_id: i64 },
}

/// A workbook row that cannot be imported, or a sheet that is wrong as a whole (`row` 1
/// is the header row).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    pub sheet: String,
    pub row: usize,
    pub message: String,
}

/// An item read from a workbook, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingItem {
    pub kind: ListKind,
    pub fields: ItemFields,
    pub sheet: String,
    pub row: usize,
}

/// Plans an import: the workbook holds the county's whole lists, so a code it lacks is
/// cancelled, a new code added, a changed item adjusted. A code that was cancelled this
/// year or sits in another list cannot be reused silently: those rows are errors.
pub fn plan_import(current: &[VersionItem], incoming: &[IncomingItem]) -> Result<Vec<Planned>, Vec<RowError>> {
    let by_code: BTreeMap<&str, &VersionItem> = current.iter().map(|i| (i.fields.code.as_str(), i)).collect();
    let mut plan = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for inc in incoming {
        seen.insert(inc.fields.code.as_str());
        match by_code.get(inc.fields.code.as_str()) {
            None => plan.push(Planned::Add(inc.kind, inc.fields.clone())),
            Some(cur) if cur.status == ItemStatus::Cancelled => errors.push(RowError {
                sheet: inc.sheet.clone(),
                row: inc.row,
                message: format!("编号“{}”的事项本年度已取消，重新列入请使用新编号", inc.fields.code),
            }),
            Some(cur) if cur.kind != inc.kind => errors.push(RowError {
                sheet: inc.sheet.clone(),
                row: inc.row,
                message: format!(
                    "编号“{}”已在{}中，不能直接移到{}：请先取消原事项，再以新编号新增",
                    inc.fields.code,
                    cur.kind.label(),
                    inc.kind.label()
                ),
            }),
            Some(cur) if cur.fields != inc.fields => {
                plan.push(Planned::Adjust { item_id: cur.id, fields: inc.fields.clone() })
            }
            Some(_) => {}
        }
    }
    for cur in current.iter().filter(|c| c.status == ItemStatus::Active) {
        if !seen.contains(cur.fields.code.as_str()) {
            plan.push(Planned::Cancel { item_id: cur.id });
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(code: &str, title: &str) -> ItemFields {
        ItemFields { code: code.into(), title: title.into(), negative_reason: "理由".into(), ..Default::default() }
    }

    fn item(id: i64, kind: ListKind, status: ItemStatus, f: ItemFields) -> VersionItem {
        VersionItem { id, kind, status, fields: f }
    }

    fn incoming(kind: ListKind, f: ItemFields, row: usize) -> IncomingItem {
        IncomingItem { kind, fields: f, sheet: kind.label().into(), row }
    }

    #[test]
    fn checks_fields() {
        assert!(fields("A-1", "食品安全协管").check(ListKind::Assist).is_ok());
        let e = ItemFields { code: "".into(), title: "".into(), ..Default::default() }.check(ListKind::Negative).unwrap_err();
        let names: Vec<_> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["code", "title", "negative_reason"]);
        assert!(fields("A 1", "x").check(ListKind::Duty).is_err());
    }

    #[test]
    fn normalises_keywords_and_text() {
        let f = ItemFields { code: " A1 ".into(), keywords: vec![" 拆迁 ".into(), "".into(), "拆迁".into(), "违建".into()], ..Default::default() }
            .normalised();
        assert_eq!(f.code, "A1");
        assert_eq!(f.keywords, ["拆迁", "违建"]);
        assert_eq!(split_keywords("拆迁、拆违，违章建筑, 违建;  强拆"), ["拆迁", "拆违", "违章建筑", "违建", "强拆"]);
    }

    #[test]
    fn change_basis_needs_reason_and_document() {
        assert!(ChangeBasis { reason: "依据变化".into(), document: "示范区委办〔2026〕3号".into() }.check().is_ok());
        assert_eq!(ChangeBasis { reason: " ".into(), document: "".into() }.check().unwrap_err().len(), 2);
    }

    #[test]
    fn diff_sees_added_adjusted_cancelled_and_moved() {
        let from = vec![
            item(1, ListKind::Assist, ItemStatus::Active, fields("X1", "人口监测")),
            item(2, ListKind::Assist, ItemStatus::Active, fields("X2", "民宗信息联络")),
            item(3, ListKind::Duty, ItemStatus::Active, fields("D1", "居民会议")),
            item(4, ListKind::Duty, ItemStatus::Cancelled, fields("D9", "旧事项")),
        ];
        let to = vec![
            item(11, ListKind::Assist, ItemStatus::Active, fields("X1", "人口监测与统计")),
            item(12, ListKind::Assist, ItemStatus::Cancelled, fields("X2", "民宗信息联络")),
            item(13, ListKind::Assist, ItemStatus::Active, fields("D1", "居民会议")),
            item(14, ListKind::Duty, ItemStatus::Active, fields("D2", "人民调解")),
        ];
        let d = diff(&from, &to);
        assert_eq!(d.added.iter().map(|i| i.id).collect::<Vec<_>>(), [14]);
        assert_eq!(d.cancelled.iter().map(|i| i.id).collect::<Vec<_>>(), [2]);
        let adj: Vec<_> = d.adjusted.iter().map(|(a, b, f)| (a.id, b.id, f.clone())).collect();
        assert_eq!(adj, [(3, 13, vec!["清单"]), (1, 11, vec!["事项名称"])]);
        assert_eq!(diff(&from, &from), Diff::default());
    }

    #[test]
    fn import_plan_adds_adjusts_and_cancels() {
        let current = vec![
            item(1, ListKind::Assist, ItemStatus::Active, fields("X1", "人口监测")),
            item(2, ListKind::Assist, ItemStatus::Active, fields("X2", "民宗信息联络")),
            item(3, ListKind::Duty, ItemStatus::Active, fields("D1", "居民会议")),
        ];
        let inc = vec![
            incoming(ListKind::Assist, fields("X1", "人口监测与统计"), 2),
            incoming(ListKind::Duty, fields("D1", "居民会议"), 2),
            incoming(ListKind::Duty, fields("D2", "人民调解"), 3),
        ];
        let plan = plan_import(&current, &inc).unwrap();
        assert_eq!(
            plan,
            vec![
                Planned::Adjust { item_id: 1, fields: fields("X1", "人口监测与统计") },
                Planned::Add(ListKind::Duty, fields("D2", "人民调解")),
                Planned::Cancel { item_id: 2 },
            ]
        );
        // The same lists again: nothing to do.
        let same: Vec<_> = current.iter().map(|c| incoming(c.kind, c.fields.clone(), 2)).collect();
        assert_eq!(plan_import(&current, &same).unwrap(), vec![]);
    }

    #[test]
    fn import_plan_refuses_reused_or_moved_codes() {
        let current = vec![
            item(1, ListKind::Assist, ItemStatus::Cancelled, fields("X1", "人口监测")),
            item(2, ListKind::Assist, ItemStatus::Active, fields("X2", "民宗信息联络")),
        ];
        let inc = vec![
            incoming(ListKind::Assist, fields("X1", "人口监测"), 2),
            incoming(ListKind::Duty, fields("X2", "民宗信息联络"), 5),
        ];
        let errs = plan_import(&current, &inc).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!((errs[0].row, errs[1].row), (2, 5));
        assert!(errs[0].message.contains("已取消"));
        assert!(errs[1].message.contains("协助办理事项清单"));
    }
}
