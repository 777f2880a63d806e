//! The baseline negative list (工作负面清单基线): the eight kinds of work 001 §二(四) bars
//! from communities, published above the county. Every county's lists inherit it when a
//! year's lists start; a county may add negative items and add words to these, but cannot
//! cancel or weaken them (000 §二(三) repeats them for the townships' communities).
use super::{ItemFields, ListKind};

/// (code, title, description, basis, category, keywords, professional, enforcement)
type Row = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static str, bool, bool);

const REASON: &str = "属于有关部门职责范围的行政工作，城乡社区不具有主体资格和专业资质，由有关部门及其执法机构或经依法授权的乡镇（街道）负责（001 §二(四)）";

const ITEMS: &[Row] = &[
    ("FM-01", "行政执法", "以社区为主体开展的各类行政执法", "001 §二(四)", "行政执法", "行政执法、行政处罚、罚款、执法检查", false, true),
    ("FM-02", "拆迁拆违", "房屋征收拆迁、违法建设拆除", "001 §二(四)", "拆迁拆违", "拆迁、拆违、违章建筑、违法建设", false, true),
    ("FM-03", "环境整治", "以社区为责任主体的环境整治", "001 §二(四)", "环境整治", "环境整治、污染整治", false, true),
    ("FM-04", "城市管理", "以社区为责任主体的城市管理", "001 §二(四)", "城市管理", "城市管理、城管、占道经营", false, true),
    ("FM-05", "招商引资", "下达招商引资任务", "001 §二(四)；000 §二(三)", "招商引资", "招商引资、招商、引资", false, false),
    ("FM-06", "协税护税", "协助征收税款、清缴欠税", "001 §二(四)；000 §二(三)", "协税护税", "协税护税、协税、护税、征税", false, false),
    ("FM-07", "经济创收", "下达经济创收指标", "001 §二(四)；000 §二(三)", "经济创收", "经济创收、创收", false, false),
    ("FM-08", "生产安全", "以社区为责任主体的安全生产监管", "001 §二(四)", "生产安全", "安全生产、生产安全、安全生产检查", true, true),
];

/// The baseline's items, as a county's negative list holds them.
pub fn items() -> Vec<ItemFields> {
    ITEMS
        .iter()
        .map(|r| ItemFields {
            code: r.0.into(),
            title: r.1.into(),
            description: r.2.into(),
            basis: r.3.into(),
            department: String::new(),
            category: r.4.into(),
            keywords: super::split_keywords(r.5),
            needs_professional_qualification: r.6,
            needs_enforcement_authority: r.7,
            negative_reason: REASON.into(),
        })
        .collect()
}

pub const KIND: ListKind = ListKind::Negative;

/// One baseline item strengthened by another of the same title (a higher level's, or a
/// county's own copy): the words of both, and every ban either sets.
pub fn strengthen(base: &ItemFields, more: &ItemFields) -> ItemFields {
    let mut out = base.clone();
    for k in &more.keywords {
        if !out.keywords.contains(k) {
            out.keywords.push(k.clone());
        }
    }
    out.needs_professional_qualification |= more.needs_professional_qualification;
    out.needs_enforcement_authority |= more.needs_enforcement_authority;
    out
}

/// The baseline a jurisdiction inherits: the eight items of 001, then the negative items
/// in force of each level above it (nearest first). An item of a title already there
/// strengthens it; a new title is added.
pub fn merge(base: Vec<ItemFields>, above: impl IntoIterator<Item = ItemFields>) -> Vec<ItemFields> {
    let mut out = base;
    for item in above {
        match out.iter_mut().find(|i| i.title == item.title) {
            Some(i) => *i = strengthen(i, &item),
            None => out.push(item),
        }
    }
    out
}

/// Why a change of a baseline item is refused, if it is: the county may add words, set a
/// ban, reword the description or reason, but not rename it, move it to another category,
/// change its basis, drop a word or lift a ban.
pub fn weakening(old: &ItemFields, new: &ItemFields) -> Option<String> {
    if new.title != old.title {
        return Some("不能修改名称".into());
    }
    if new.category != old.category {
        return Some("不能修改类别".into());
    }
    if new.basis != old.basis {
        return Some("不能修改依据".into());
    }
    let dropped: Vec<&str> = old.keywords.iter().filter(|k| !new.keywords.contains(k)).map(String::as_str).collect();
    if !dropped.is_empty() {
        return Some(format!("不能删去关键词：{}", dropped.join("、")));
    }
    if (old.needs_professional_qualification && !new.needs_professional_qualification) || (old.needs_enforcement_authority && !new.needs_enforcement_authority) {
        return Some("不能取消专业资质或执法资格的标记".into());
    }
    None
}

/// The message of a refused change of a baseline item.
pub fn refusal(title: &str, why: &str) -> String {
    format!("“{title}”属于上级发布的工作负面清单基线（001 §二(四)），区/县只能增补，{why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_holds_the_eight_items_of_001() {
        let items = items();
        assert_eq!(items.len(), 8);
        assert!(items.iter().all(|i| !i.keywords.is_empty() && i.basis.contains("001")));
    }

    #[test]
    fn a_higher_level_adds_items_and_strengthens_the_eight() {
        let mut stronger = items().remove(5);
        stronger.keywords = vec!["代征".into()];
        stronger.needs_enforcement_authority = true;
        let mut new = items().remove(0);
        new.title = "摊派捐款".into();
        new.code = "SJ-01".into();
        new.keywords = vec!["摊派".into(), "捐款任务".into()];
        let merged = merge(items(), [stronger, new.clone()]);
        assert_eq!(merged.len(), 9);
        let tax = merged.iter().find(|i| i.title == "协税护税").unwrap();
        assert!(tax.keywords.contains(&"代征".to_string()) && tax.keywords.contains(&"协税护税".to_string()));
        assert!(tax.needs_enforcement_authority);
        assert_eq!(merged.last(), Some(&new));
        // What the higher level gives, a county's copy cannot drop.
        assert!(weakening(tax, &items()[5]).is_some());
    }

    #[test]
    fn a_county_may_add_to_a_baseline_item_but_not_weaken_it() {
        let old = items().remove(1);
        let mut more = old.clone();
        more.keywords.push("强拆".into());
        more.description = "房屋征收拆迁、违法建设拆除及相关劝导".into();
        more.needs_professional_qualification = true;
        assert_eq!(weakening(&old, &more), None);
        let mut fewer = old.clone();
        fewer.keywords.retain(|k| k != "违章建筑");
        assert_eq!(weakening(&old, &fewer).as_deref(), Some("不能删去关键词：违章建筑"));
        let mut renamed = old.clone();
        renamed.title = "房屋征收协助".into();
        assert!(weakening(&old, &renamed).is_some());
        let mut lifted = old.clone();
        lifted.needs_enforcement_authority = false;
        assert!(weakening(&old, &lifted).is_some());
        let mut moved = old.clone();
        moved.category = "社区服务".into();
        assert!(weakening(&old, &moved).is_some());
    }
}
