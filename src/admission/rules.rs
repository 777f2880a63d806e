//! The rule checks of an application (准入审批表), as one pure function that explains
//! itself. The same checks run at precheck, submit, review and decision, so nothing
//! blocked can slip through by a later edit or a direct API call.
//!
//! Sources: negative list, seed 001 §二(四) (nothing on it enters a community, "购买服务"
//! included); the qualification/enforcement ban, 001 §二(六); funds follow the task,
//! 001 §三(二) and 004 Yingjiang (an application states time, requirements and budget);
//! duty/assist items need no admission, 001 §二(一)(三).
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::lists::ListKind;
use crate::money::Money;
use crate::screening::{Engine, Evidence, ItemTerms, Strength};

/// What the checks look at in an application.
#[derive(Clone, Debug, Default)]
pub struct Application {
    pub title: String,
    pub description: String,
    pub basis: String,
    pub work_plan: String,
    pub staffing: String,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub budget: Option<Money>,
    pub needs_professional_qualification: bool,
    pub needs_enforcement_authority: bool,
    pub list_item_id: Option<i64>,
    /// An assignment of the assist-list item `list_item_id` (协助事项派单): being on the
    /// lists is its ground, not a reason to refuse it (rule 4 does not apply).
    pub assist: bool,
}

impl Application {
    /// Everything the department wrote, by field: all of it is screened.
    pub fn fields(&self) -> [(&'static str, &str); 5] {
        [
            ("title", &self.title),
            ("description", &self.description),
            ("basis", &self.basis),
            ("work_plan", &self.work_plan),
            ("staffing", &self.staffing),
        ]
    }
}

/// The Chinese name of a scanned field.
pub fn field_label(field: &str) -> String {
    match field {
        "title" => "事项名称".into(),
        "description" => "事项内容".into(),
        "basis" => "文件依据".into(),
        "work_plan" => "工作方案".into(),
        "staffing" => "人员配备".into(),
        "list_item_id" => "所列清单事项".into(),
        f => match f.split_once('.') {
            Some(("variables", v)) => format!("合同变量“{v}”"),
            Some(("clauses", n)) => format!("合同第{n}条"),
            _ => f.to_string(),
        },
    }
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The finding stands: it keeps blocking.
    Confirmed,
    /// Not what the rule forbids, with the reviewer's written reason.
    Overridden,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Confirmed => "confirmed",
            Decision::Overridden => "overridden",
        }
    }
    pub fn parse(s: &str) -> Option<Decision> {
        [Decision::Confirmed, Decision::Overridden].into_iter().find(|d| d.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Decision::Confirmed => "确认",
            Decision::Overridden => "推翻",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Finding {
    /// NEGATIVE_LIST, NEEDS_PROFESSIONAL_QUALIFICATION, NEEDS_ENFORCEMENT_AUTHORITY,
    /// TARGET_ASSESSMENT, ON_DUTY_LIST, ON_ASSIST_LIST, NO_BUDGET, MISSING_BASIS,
    /// INVALID_PERIOD, POSSIBLE_DUPLICATE.
    pub code: &'static str,
    pub blocking: bool,
    pub message: String,
    /// The list item the finding rests on.
    pub list_item_id: Option<i64>,
    /// What a decision is about: the screening concept (e.g. `demolition`), or the code.
    pub key: String,
    /// The screening concept that raised it, if one did.
    pub concept: Option<String>,
    pub strength: Option<Strength>,
    /// The words that triggered it, and where.
    pub evidence: Vec<Evidence>,
    pub decision: Option<Decision>,
    pub reason: Option<String>,
    /// The reviewer who decided it.
    pub decided_by: Option<String>,
}

impl Finding {
    fn new(code: &'static str, blocking: bool, message: String, item: Option<i64>) -> Finding {
        Finding {
            code,
            blocking,
            // The seeds cited by their documents' titles: a clerk reads this.
            message: crate::citation::human(&message),
            list_item_id: item,
            key: code.to_string(),
            concept: None,
            strength: blocking.then_some(Strength::Strong),
            evidence: vec![],
            decision: None,
            reason: None,
            decided_by: None,
        }
    }

    /// A doubtful finding the reviewer has not decided yet: it goes to the reviewer with
    /// the application, and blocks every step towards admission after that.
    pub fn awaits_decision(&self) -> bool {
        self.strength == Some(Strength::Doubtful) && self.decision.is_none()
    }

    /// What a clerk reads instead of the code (issue 29: codes such as `NO_BUDGET` were shown).
    pub fn label(&self) -> &'static str {
        match self.code {
            "NEGATIVE_LIST" => "负面清单事项",
            "NEEDS_PROFESSIONAL_QUALIFICATION" => "需专业资质",
            "NEEDS_ENFORCEMENT_AUTHORITY" => "需执法资格",
            "TARGET_ASSESSMENT" => "目标考核",
            "ON_DUTY_LIST" => "依法履职事项",
            "ON_ASSIST_LIST" => "协助办理事项",
            "NO_BUDGET" => "未配套经费",
            "MISSING_BASIS" => "缺少文件依据",
            "INVALID_PERIOD" => "工作期限有误",
            "POSSIBLE_DUPLICATE" => "疑似重复申请",
            _ => "筛查意见",
        }
    }

    pub fn overridden(&self) -> bool {
        self.decision == Some(Decision::Overridden)
    }

    /// Applies the reviewer's decision. Only doubtful findings can be decided; a strong one
    /// keeps blocking whatever was decided on it before.
    pub fn decide(&mut self, decision: Decision, reason: &str, by: &str) {
        if self.strength != Some(Strength::Doubtful) {
            return;
        }
        self.decision = Some(decision);
        self.reason = Some(reason.to_string());
        self.decided_by = Some(by.to_string());
        self.blocking = decision == Decision::Confirmed;
    }
}

fn name(i: &RuleItem) -> String {
    format!("{} {}", i.code, i.title)
}

fn words_of(evidence: &[Evidence]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for e in evidence {
        let w = format!("{}“{}”", field_label(&e.field), e.text);
        if !seen.contains(&w) {
            seen.push(w);
        }
    }
    seen.into_iter().take(3).collect::<Vec<_>>().join("、")
}

fn ban_label(code: &str) -> &'static str {
    match code {
        "NEEDS_ENFORCEMENT_AUTHORITY" => "执法资格",
        _ => "专业资质",
    }
}

/// The message of a finding raised by a screening concept.
fn screening_message(code: &str, label: &str, basis: &str, strength: Strength, evidence: &[Evidence]) -> String {
    let what = match code {
        "NEGATIVE_LIST" => format!("属于工作负面事项“{label}”，不得以任何名义（包括购买服务）进入社区"),
        "TARGET_ASSESSMENT" => "属于以目标考核、排名或“一票否决”评价社区，只能依据合同条款评定满意度".to_string(),
        c => format!("涉及“{label}”，需要{}，不得向社区购买此类服务", ban_label(c)),
    };
    let tail = if strength == Strength::Doubtful { "（存疑：须由民政部门审核认定）" } else { "" };
    let basis = if basis.is_empty() { "001 §二(四)".to_string() } else { basis.to_string() };
    format!("{}{what}{tail}。依据：{basis}", words_of(evidence))
}

/// The screening findings of what was scanned: one per concept found and finding code.
/// A concept linked to the county's negative item also raises NEGATIVE_LIST, and the
/// qualification or enforcement ban the item carries.
pub fn screening_findings(engine: &Engine, items: &[RuleItem], fields: &[(&str, &str)]) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for hit in engine.scan(fields) {
        let Some(c) = engine.concept(&hit.concept) else { continue };
        let item = c.item_id.and_then(|id| items.iter().find(|i| i.id == id));
        let mut codes = vec![c.code];
        if let Some(i) = item {
            if i.kind == ListKind::Negative {
                codes.push("NEGATIVE_LIST");
            }
            if i.needs_enforcement_authority {
                codes.push("NEEDS_ENFORCEMENT_AUTHORITY");
            }
            if i.needs_professional_qualification {
                codes.push("NEEDS_PROFESSIONAL_QUALIFICATION");
            }
        }
        let mut seen = Vec::new();
        for code in codes {
            if seen.contains(&code) {
                continue;
            }
            seen.push(code);
            let basis = match item {
                Some(i) if i.kind == ListKind::Negative => format!("本区工作负面事项清单（{}）；{}", name(i), if c.basis.is_empty() { "001 §二(四)" } else { &c.basis }),
                _ => c.basis.clone(),
            };
            out.push(Finding {
                key: c.key.clone(),
                concept: Some(c.key.clone()),
                strength: Some(hit.strength),
                evidence: hit.evidence.clone(),
                ..Finding::new(code, true, screening_message(code, &c.label, &basis, hit.strength, &hit.evidence), c.item_id)
            });
        }
    }
    out
}

/// The county's screening engine: the seeded concepts, the county's own words, and its
/// negative items joined to their concepts.
pub fn county_engine(mut engine: Engine, items: &[RuleItem]) -> Engine {
    for i in items.iter().filter(|i| i.kind == ListKind::Negative) {
        engine.link_item(&ItemTerms { id: i.id, code: "NEGATIVE_LIST", category: i.category.clone(), title: i.title.clone(), keywords: i.keywords.clone() });
    }
    engine
}

/// Runs every check. Findings come in a stable order: by rule, then by list item.
/// `engine` is the county's screening engine (its negative items linked).
pub fn check(app: &Application, engine: &Engine, items: &[RuleItem], others: &[OtherApplication]) -> Vec<Finding> {
    let mut out = Vec::new();
    let named = app.list_item_id.and_then(|id| items.iter().find(|i| i.id == id));

    // 1. The named list item: on the negative list, or of a negative item's category.
    let mut named_negative: Vec<(&RuleItem, String)> = Vec::new();
    if let Some(n) = named {
        if n.kind == ListKind::Negative {
            named_negative.push((n, "申请表所列事项".to_string()));
        } else if !n.category.trim().is_empty() {
            for neg in items.iter().filter(|i| i.kind == ListKind::Negative && i.category.trim() == n.category.trim()) {
                named_negative.push((neg, format!("申请表所列事项属于“{}”类", n.category.trim())));
            }
        }
    }
    for (i, why) in &named_negative {
        out.push(Finding {
            evidence: vec![Evidence { field: "list_item_id".into(), text: name(named.expect("named")), context: String::new() }],
            ..Finding::new(
                "NEGATIVE_LIST",
                true,
                format!("{why}，属于工作负面事项清单（{}），不得以任何名义（包括购买服务）进入社区（001 §二(四)）", name(i)),
                Some(i.id),
            )
        });
    }

    // 2. Everything the department wrote, screened by meaning.
    out.extend(screening_findings(engine, items, &app.fields()));

    // 3. The department's own declaration of a qualification or enforcement need, and the
    // needs of the named item.
    for (code, declared, carried) in [
        ("NEEDS_PROFESSIONAL_QUALIFICATION", app.needs_professional_qualification, named.is_some_and(|n| n.needs_professional_qualification)),
        ("NEEDS_ENFORCEMENT_AUTHORITY", app.needs_enforcement_authority, named.is_some_and(|n| n.needs_enforcement_authority)),
    ] {
        if declared {
            out.push(Finding {
                key: format!("{code}:declared"),
                ..Finding::new(code, true, format!("申请表声明该任务需要{}，不得向社区购买此类服务（001 §二(六)）", ban_label(code)), None)
            });
        }
        if let (true, Some(n)) = (carried, named) {
            out.push(Finding {
                key: format!("{code}:item-{}", n.id),
                ..Finding::new(code, true, format!("申请表所列事项（{}）需要{}，不得向社区购买此类服务（001 §二(六)）", name(n), ban_label(code)), Some(n.id))
            });
        }
    }

    // 4. Already on the duty or assist list: no admission needed, nor possible. Recognised
    // by the item named, or by its title or keywords in the task's title or description.
    let listed: Vec<&RuleItem> = if app.assist { Vec::new() } else { items.iter().filter(|i| i.kind != ListKind::Negative).collect() };
    let list_engine = engine.with_concepts(
        listed
            .iter()
            .map(|i| {
                ItemTerms {
                    id: i.id,
                    code: if i.kind == ListKind::Duty { "ON_DUTY_LIST" } else { "ON_ASSIST_LIST" },
                    category: i.category.clone(),
                    title: i.title.clone(),
                    keywords: i.keywords.clone(),
                }
                .concept()
            })
            .collect(),
    );
    let recognised = list_engine.scan(&[("title", &app.title), ("description", &app.description)]);
    for i in &listed {
        let hit = recognised.iter().find(|h| h.concept == format!("item-{}", i.id));
        let is_named = named.is_some_and(|n| n.id == i.id);
        if !is_named && hit.is_none() {
            continue;
        }
        let code = if i.kind == ListKind::Duty { "ON_DUTY_LIST" } else { "ON_ASSIST_LIST" };
        let evidence = hit.map(|h| h.evidence.clone()).unwrap_or_default();
        let why = if is_named { "申请表所列事项".to_string() } else { format!("{}含该事项用语", words_of(&evidence)) };
        out.push(Finding {
            key: format!("{code}:item-{}", i.id),
            evidence,
            ..Finding::new(code, true, format!("{why}，该事项已在{}中（{}），按清单办理，无需也不能申请准入", i.kind.label(), name(i)), Some(i.id))
        });
        // An item that needs a qualification or enforcement cannot be bought either.
        for (code, needs) in [
            ("NEEDS_PROFESSIONAL_QUALIFICATION", i.needs_professional_qualification),
            ("NEEDS_ENFORCEMENT_AUTHORITY", i.needs_enforcement_authority),
        ] {
            if needs && !is_named {
                out.push(Finding {
                    key: format!("{code}:item-{}", i.id),
                    ..Finding::new(code, true, format!("{why}，对应清单事项（{}）需要{}，不得向社区购买此类服务（001 §二(六)）", name(i), ban_label(code)), Some(i.id))
                });
            }
        }
    }

    // 5. Funds follow the task: a budget above zero.
    if !app.budget.is_some_and(Money::is_positive) {
        out.push(Finding::new("NO_BUDGET", true, "未列明经费预算或预算不大于零：费随事转，进入社区的事项须同步配套工作经费（001 §三(二)）".into(), None));
    }
    // 6. A basis document.
    if app.basis.trim().is_empty() {
        out.push(Finding::new("MISSING_BASIS", true, "未提供文件依据（001 §二(一)；004 迎江区：提供文件依据、工作方案等资料）".into(), None));
    }
    // 7. A period that exists and runs forward.
    match (app.period_start, app.period_end) {
        (Some(s), Some(e)) if e < s => out.push(Finding::new("INVALID_PERIOD", true, format!("结束日期 {e} 早于开始日期 {s}"), None)),
        (Some(s), Some(e)) if (e - s).num_days() > crate::platform::input::MAX_PERIOD_DAYS => {
            out.push(Finding::new("INVALID_PERIOD", true, format!("工作期限{s}至{e}超过5年：长期事项请按年度重新申请准入"), None))
        }
        (Some(_), Some(_)) => {}
        _ => out.push(Finding::new("INVALID_PERIOD", true, "请填写工作期限的开始和结束日期".into(), None)),
    }
    // 8. Warning: a similar application is already active in the county.
    for o in others.iter().filter(|o| similar(&o.title, &app.title)) {
        out.push(Finding {
            key: format!("POSSIBLE_DUPLICATE:{}", o.id),
            ..Finding::new(
                "POSSIBLE_DUPLICATE",
                false,
                format!("本区/县已有相似的在办申请：“{}”（{}，编号{}），请核实是否重复", o.title, o.department, o.id),
                None,
            )
        });
    }
    out
}

/// What stops the department from submitting: every blocking finding except the doubtful
/// ones, which go to the reviewer with the application.
pub fn blocking_submission(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| f.blocking && !f.awaits_decision()).collect()
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

    fn engine() -> Engine {
        county_engine(crate::screening::base().clone(), &items())
    }

    fn check(a: &Application, items: &[RuleItem], others: &[OtherApplication]) -> Vec<Finding> {
        super::check(a, &engine(), items, others)
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
    fn an_assist_assignment_is_on_its_list_but_screened_like_an_application() {
        // Assigning the assist item is its ground: no ON_ASSIST_LIST.
        let mut a = good();
        a.title = "食品安全协管".into();
        a.list_item_id = Some(3);
        a.assist = true;
        assert_eq!(codes(&check(&a, &items(), &[])), []);
        // Negative-list work under the assist title is caught in what the department wrote.
        a.work_plan = "协助做好违章建筑拆迁的劝导".into();
        assert!(codes(&check(&a, &items(), &[])).contains(&("NEGATIVE_LIST", true, Some(1))));
        // An assist item of a negative item's category, or one needing a qualification,
        // cannot be bought, assigned or not.
        let mut a = good();
        (a.list_item_id, a.assist) = (Some(5), true);
        assert_eq!(codes(&check(&a, &items(), &[])), [("NEGATIVE_LIST", true, Some(2))]);
        (a.list_item_id, a.title) = (Some(6), "特种设备巡检".into());
        assert!(codes(&check(&a, &items(), &[])).contains(&("NEEDS_PROFESSIONAL_QUALIFICATION", true, Some(6))));
        // Money and period as for any application.
        a.list_item_id = Some(3);
        a.title = "食品安全协管".into();
        a.budget = None;
        assert_eq!(codes(&check(&a, &items(), &[])), [("NO_BUDGET", true, None)]);
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
        assert!(blocking_submission(&f).is_empty());
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
