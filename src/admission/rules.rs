//! The rule checks of an application (准入审批表), as one pure function that explains
//! itself. The same checks run at precheck, submit, review and decision, so nothing
//! blocked can slip through by a later edit or a direct API call.
//!
//! Sources: negative list, seed 001 §二(四) (nothing on it enters a community, "购买服务"
//! included); the qualification/enforcement ban, 001 §二(六); funds follow the task,
//! 001 §三(二) and 004 Yingjiang (an application states time, requirements and budget);
//! duty/assist items need no admission, 001 §二(一)(三).
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::lists::ListKind;
use crate::money::Money;

/// What the checks look at in an application.
#[derive(Clone, Debug, Default)]
pub struct Application {
    pub title: String,
    pub description: String,
    pub basis: String,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub budget: Option<Money>,
    pub needs_professional_qualification: bool,
    pub needs_enforcement_authority: bool,
    pub list_item_id: Option<i64>,
}

/// A list item in force, as the checks need it.
#[derive(Clone, Debug)]
pub struct RuleItem {
    pub id: i64,
    pub kind: ListKind,
    pub code: String,
    pub title: String,
    pub category: String,
    pub keywords: Vec<String>,
    pub needs_professional_qualification: bool,
    pub needs_enforcement_authority: bool,
}

/// Another active application of the county, for the duplicate warning.
#[derive(Clone, Debug)]
pub struct OtherApplication {
    pub id: i64,
    pub title: String,
    pub department: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Finding {
    /// NEGATIVE_LIST, NEEDS_PROFESSIONAL_QUALIFICATION, NEEDS_ENFORCEMENT_AUTHORITY,
    /// ON_DUTY_LIST, ON_ASSIST_LIST, NO_BUDGET, MISSING_BASIS, INVALID_PERIOD,
    /// POSSIBLE_DUPLICATE.
    pub code: &'static str,
    pub blocking: bool,
    pub message: String,
    /// The list item the finding rests on.
    pub list_item_id: Option<i64>,
}

fn finding(code: &'static str, blocking: bool, message: String, item: Option<&RuleItem>) -> Finding {
    Finding { code, blocking, message, list_item_id: item.map(|i| i.id) }
}

fn name(i: &RuleItem) -> String {
    format!("{} {}", i.code, i.title)
}

/// The word by which an item is recognised in a text: its title or one of its keywords.
fn recognised_by<'a>(item: &'a RuleItem, text: &str) -> Option<&'a str> {
    std::iter::once(item.title.as_str())
        .chain(item.keywords.iter().map(String::as_str))
        .find(|w| !w.trim().is_empty() && text.contains(w.trim()))
}

/// Runs every check. Findings come in a stable order: by rule, then by list item.
pub fn check(app: &Application, items: &[RuleItem], others: &[OtherApplication]) -> Vec<Finding> {
    let mut out = Vec::new();
    let text = format!("{}\n{}", app.title, app.description);
    let named = app.list_item_id.and_then(|id| items.iter().find(|i| i.id == id));

    // Items the task is recognised as: the one the department names, and every item whose
    // title or keyword appears in the task's title or description.
    let mut matched: Vec<(&RuleItem, String)> = Vec::new();
    if let Some(n) = named {
        matched.push((n, "申请表所列事项".to_string()));
    }
    for i in items {
        if matched.iter().any(|(m, _)| m.id == i.id) {
            continue;
        }
        if let Some(w) = recognised_by(i, &text) {
            matched.push((i, format!("任务名称或内容含“{w}”")));
        }
    }

    // 1. The negative list: by the named item, by its category, by keywords.
    let mut negative: Vec<(&RuleItem, String)> = matched.iter().filter(|(i, _)| i.kind == ListKind::Negative).cloned().collect();
    if let Some(n) = named.filter(|n| n.kind != ListKind::Negative && !n.category.trim().is_empty()) {
        for neg in items.iter().filter(|i| i.kind == ListKind::Negative && i.category.trim() == n.category.trim()) {
            if !negative.iter().any(|(m, _)| m.id == neg.id) {
                negative.push((neg, format!("申请表所列事项属于“{}”类", n.category.trim())));
            }
        }
    }
    for (i, why) in &negative {
        out.push(finding(
            "NEGATIVE_LIST",
            true,
            format!("{why}，属于工作负面事项清单（{}），不得以任何名义（包括购买服务）进入社区（001 §二(四)）", name(i)),
            Some(i),
        ));
    }

    // 2. Services needing a professional qualification or enforcement authority.
    let ban = |code: &'static str, what: &str, declared: bool, carried: &dyn Fn(&RuleItem) -> bool, out: &mut Vec<Finding>| {
        if declared {
            out.push(finding(code, true, format!("申请表声明该任务需要{what}，不得向社区购买此类服务（001 §二(六)）"), None));
        }
        for (i, why) in matched.iter().filter(|(i, _)| carried(i)) {
            out.push(finding(
                code,
                true,
                format!("{why}，对应清单事项（{}）需要{what}，不得向社区购买此类服务（001 §二(六)）", name(i)),
                Some(i),
            ));
        }
    };
    ban(
        "NEEDS_PROFESSIONAL_QUALIFICATION",
        "专业资质",
        app.needs_professional_qualification,
        &|i: &RuleItem| i.needs_professional_qualification,
        &mut out,
    );
    ban(
        "NEEDS_ENFORCEMENT_AUTHORITY",
        "执法资格",
        app.needs_enforcement_authority,
        &|i: &RuleItem| i.needs_enforcement_authority,
        &mut out,
    );

    // 3. Already on the duty or assist list: no admission needed, nor possible.
    for (i, why) in matched.iter().filter(|(i, _)| i.kind != ListKind::Negative) {
        let code = if i.kind == ListKind::Duty { "ON_DUTY_LIST" } else { "ON_ASSIST_LIST" };
        out.push(finding(
            code,
            true,
            format!("{why}，该事项已在{}中（{}），按清单办理，无需也不能申请准入", i.kind.label(), name(i)),
            Some(i),
        ));
    }

    // 4. Funds follow the task: a budget above zero.
    if !app.budget.is_some_and(Money::is_positive) {
        out.push(finding("NO_BUDGET", true, "未列明经费预算或预算不大于零：费随事转，进入社区的事项须同步配套工作经费（001 §三(二)）".into(), None));
    }
    // 5. A basis document.
    if app.basis.trim().is_empty() {
        out.push(finding("MISSING_BASIS", true, "未提供文件依据（001 §二(一)；004 迎江区：提供文件依据、工作方案等资料）".into(), None));
    }
    // 6. A period that exists and runs forward.
    match (app.period_start, app.period_end) {
        (Some(s), Some(e)) if e < s => {
            out.push(finding("INVALID_PERIOD", true, format!("结束日期 {e} 早于开始日期 {s}"), None))
        }
        (Some(_), Some(_)) => {}
        _ => out.push(finding("INVALID_PERIOD", true, "请填写工作期限的开始和结束日期".into(), None)),
    }
    // 7. Warning: a similar application is already active in the county.
    for o in others.iter().filter(|o| similar(&o.title, &app.title)) {
        out.push(finding(
            "POSSIBLE_DUPLICATE",
            false,
            format!("本区/县已有相似的在办申请：“{}”（{}，编号{}），请核实是否重复", o.title, o.department, o.id),
            None,
        ));
    }
    out
}

pub fn blocking(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| f.blocking).collect()
}

fn normalise(s: &str) -> Vec<char> {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Two titles name the same task: equal, one containing the other (4+ characters), or
/// sharing most of their character pairs (Dice coefficient of bigrams ≥ 0.7).
pub fn similar(a: &str, b: &str) -> bool {
    let (a, b) = (normalise(a), normalise(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let (sa, sb): (String, String) = (a.iter().collect(), b.iter().collect());
    if sa == sb || (a.len().min(b.len()) >= 4 && (sa.contains(&sb) || sb.contains(&sa))) {
        return true;
    }
    let pairs = |v: &[char]| v.windows(2).map(|w| (w[0], w[1])).collect::<Vec<_>>();
    let (pa, mut pb) = (pairs(&a), pairs(&b));
    if pa.is_empty() || pb.is_empty() {
        return false;
    }
    let total = pa.len() + pb.len();
    let mut common = 0;
    for p in &pa {
        if let Some(pos) = pb.iter().position(|q| q == p) {
            pb.swap_remove(pos);
            common += 1;
        }
    }
    (2 * common) as f64 / total as f64 >= 0.7
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<RuleItem> {
        let it = |id, kind, code: &str, title: &str, category: &str, kw: &[&str], q, e| RuleItem {
            id,
            kind,
            code: code.into(),
            title: title.into(),
            category: category.into(),
            keywords: kw.iter().map(|s| s.to_string()).collect(),
            needs_professional_qualification: q,
            needs_enforcement_authority: e,
        };
        vec![
            it(1, ListKind::Negative, "FM-02", "拆迁拆违", "拆迁拆违", &["拆迁", "违章建筑"], false, true),
            it(2, ListKind::Negative, "FM-05", "招商引资", "招商引资", &["招商"], false, false),
            it(3, ListKind::Assist, "XB-01", "食品安全协管", "食品安全", &["食品安全协管"], false, false),
            it(4, ListKind::Duty, "LZ-04", "调解民间纠纷", "人民调解", &["人民调解"], false, false),
            it(5, ListKind::Assist, "XB-09", "招商服务信息登记", "招商引资", &[], false, false),
            it(6, ListKind::Assist, "XB-10", "特种设备巡检", "设备", &["特种设备"], true, false),
        ]
    }

    fn good() -> Application {
        Application {
            title: "2026年辖区企业基本情况摸底".into(),
            description: "入户登记辖区企业名称、地址、联系人".into(),
            basis: "示范区经信局〔2026〕12号".into(),
            period_start: NaiveDate::from_ymd_opt(2026, 3, 1),
            period_end: NaiveDate::from_ymd_opt(2026, 4, 30),
            budget: Some(Money::from_yuan(3000)),
            ..Default::default()
        }
    }

    fn codes(f: &[Finding]) -> Vec<(&'static str, bool, Option<i64>)> {
        f.iter().map(|f| (f.code, f.blocking, f.list_item_id)).collect()
    }

    #[test]
    fn a_good_application_has_no_findings() {
        assert_eq!(check(&good(), &items(), &[]), vec![]);
    }

    #[test]
    fn negative_by_named_item_category_and_keyword() {
        let mut a = good();
        a.list_item_id = Some(1);
        assert_eq!(codes(&check(&a, &items(), &[])), [("NEGATIVE_LIST", true, Some(1)), ("NEEDS_ENFORCEMENT_AUTHORITY", true, Some(1))]);

        // An assist item of the same category as a negative one: 招商 in disguise.
        let mut a = good();
        a.list_item_id = Some(5);
        let f = check(&a, &items(), &[]);
        assert!(codes(&f).contains(&("NEGATIVE_LIST", true, Some(2))), "{f:?}");
        assert!(f[0].message.contains("招商引资"));

        // A keyword in the description, whatever the title says ("购买服务" included).
        let mut a = good();
        a.title = "社区环境提升购买服务".into();
        a.description = "协助清理违章建筑".into();
        let f = check(&a, &items(), &[]);
        assert_eq!(f[0].code, "NEGATIVE_LIST");
        assert!(f[0].message.contains("违章建筑") && f[0].message.contains("FM-02"), "{}", f[0].message);
    }

    #[test]
    fn qualification_and_enforcement_declared_or_carried() {
        let mut a = good();
        a.needs_professional_qualification = true;
        a.needs_enforcement_authority = true;
        assert_eq!(
            codes(&check(&a, &items(), &[])),
            [("NEEDS_PROFESSIONAL_QUALIFICATION", true, None), ("NEEDS_ENFORCEMENT_AUTHORITY", true, None)]
        );
        let mut a = good();
        a.title = "电梯等特种设备安全巡查".into();
        let f = codes(&check(&a, &items(), &[]));
        assert!(f.contains(&("NEEDS_PROFESSIONAL_QUALIFICATION", true, Some(6))), "{f:?}");
    }

    #[test]
    fn on_duty_or_assist_list_points_to_the_item() {
        let mut a = good();
        a.list_item_id = Some(4);
        assert_eq!(codes(&check(&a, &items(), &[])), [("ON_DUTY_LIST", true, Some(4))]);
        let mut a = good();
        a.title = "食品安全协管".into();
        let f = check(&a, &items(), &[]);
        assert_eq!(codes(&f), [("ON_ASSIST_LIST", true, Some(3))]);
        assert!(f[0].message.contains("协助办理事项清单"));
    }

    #[test]
    fn budget_basis_and_period() {
        for budget in [None, Some(Money::ZERO), Some(Money::from_fen(-100))] {
            let mut a = good();
            a.budget = budget;
            assert_eq!(codes(&check(&a, &items(), &[])), [("NO_BUDGET", true, None)], "{budget:?}");
        }
        let mut a = good();
        a.basis = "  ".into();
        assert_eq!(codes(&check(&a, &items(), &[])), [("MISSING_BASIS", true, None)]);
        let mut a = good();
        a.period_end = NaiveDate::from_ymd_opt(2026, 2, 1);
        assert_eq!(codes(&check(&a, &items(), &[])), [("INVALID_PERIOD", true, None)]);
        a.period_end = None;
        assert_eq!(codes(&check(&a, &items(), &[])), [("INVALID_PERIOD", true, None)]);
        a.period_end = a.period_start;
        assert_eq!(check(&a, &items(), &[]), vec![], "a one-day task is a period");
    }

    #[test]
    fn a_similar_active_application_is_a_warning() {
        let others = vec![
            OtherApplication { id: 7, title: "2026年辖区企业基本情况摸底调查".into(), department: "区经信局".into() },
            OtherApplication { id: 8, title: "老年人防诈骗宣传".into(), department: "区公安分局".into() },
        ];
        let f = check(&good(), &items(), &others);
        assert_eq!(codes(&f), [("POSSIBLE_DUPLICATE", false, None)]);
        assert!(f[0].message.contains("编号7"));
        assert!(blocking(&f).is_empty());
    }

    #[test]
    fn similarity() {
        assert!(similar("企业摸底", "企业摸底"));
        assert!(similar("2026年企业摸底", "企业摸底调查（2026年）"));
        assert!(similar("辖区企业基本情况摸底", "辖区企业基本情况摸查"));
        assert!(!similar("企业摸底", "人口监测"));
        assert!(!similar("", "人口监测"));
        assert!(!similar("摸底", "企业摸底调查"), "too short to count as contained");
    }
}
