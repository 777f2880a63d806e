//! The county report for a period (半年或全年工作报告): what the leading group, civil
//! affairs and the finance bureau now assemble by hand. Gathered once (`gather`), then laid
//! out as a PDF with charts (`pdf`) and as a workbook of one sheet per section (`sheets`),
//! so both carry the same figures.
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{admission, contract, disbursement, evaluation, list_change, notice, objection, screening_decision, violation_report};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use utoipa::IntoParams;

use super::charts::{self, BarChart};
use super::yuan;
use crate::admission::Status;
use crate::funds::store::DepartmentFunds;
use crate::lists::store::YearCount;
use crate::money::Money;
use crate::pdf::{Block, Doc};
use crate::platform::db::in_county;
use crate::platform::error::{AppError, AppResult};
use crate::registers::{col, Cell, Kind, Register};

#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day of the period (YYYY-MM-DD), e.g. 2026-01-01; default: 1 January of `to`'s year.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last day of the period, e.g. 2026-06-30 (half year) or 2026-12-31; default: today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// pdf (default) | xlsx
    pub format: Option<String>,
}

impl ReportQuery {
    /// The period, checked: in order, at most two years; by default from the first of
    /// January of `to`'s year to `to`, and `to` today.
    pub fn period(&self, today: NaiveDate) -> AppResult<(NaiveDate, NaiveDate)> {
        let to = self.to.unwrap_or(today);
        let from = self.from.or_else(|| NaiveDate::from_ymd_opt(to.year(), 1, 1)).unwrap_or(to);
        for (field, d) in [("from", from), ("to", to)] {
            crate::platform::input::check_date(d).map_err(|m| AppError::invalid(field, m))?;
        }
        if from > to {
            return Err(AppError::invalid("to", "截止日期不能早于起始日期"));
        }
        if (to - from).num_days() > 731 {
            return Err(AppError::invalid("to", "报告期最长两年"));
        }
        Ok((from, to))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub admitted: i64,
    pub rejected: i64,
    pub pending: i64,
    pub expired: i64,
}

impl Outcomes {
    fn total(&self) -> i64 {
        self.admitted + self.rejected + self.pending + self.expired
    }
}

#[derive(Clone, Debug)]
pub struct Override {
    pub title: String,
    pub concept: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct Emergency {
    pub title: String,
    pub department: String,
    pub deadline: Option<NaiveDate>,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Default)]
pub struct Paid {
    pub paid: Money,
    pub confirmed: Money,
    pub unconfirmed: Money,
    pub disputed: Money,
}

/// Everything the report shows.
#[derive(Clone, Debug)]
pub struct CountyReport {
    pub county: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub lists: Vec<YearCount>,
    /// List changes in the period: (action, count).
    pub list_changes: Vec<(String, i64)>,
    /// Applications made in the period, by department.
    pub admissions: BTreeMap<String, Outcomes>,
    pub findings_confirmed: i64,
    pub overrides: Vec<Override>,
    pub emergencies: Vec<Emergency>,
    /// Contracts signed in the period by department: (count, amount).
    pub contracts: BTreeMap<String, (i64, Money)>,
    /// The budget year of `to`, per department, from the ledger.
    pub departments: Vec<DepartmentFunds>,
    /// Payments made in the period, per department and per community.
    pub paid_by_department: BTreeMap<String, Paid>,
    pub paid_by_community: BTreeMap<String, Paid>,
    /// Evaluations made in the period by overall result, and objections to them.
    pub evaluations: BTreeMap<&'static str, i64>,
    pub objections: i64,
    /// Reports of unadmitted work made in the period by status, and notices published.
    pub violations: BTreeMap<&'static str, i64>,
    pub notices: i64,
}

fn plus(a: Money, b: Money) -> Money {
    Money::from_fen(a.fen() + b.fen())
}

fn outcome(s: Status) -> Option<fn(&mut Outcomes) -> &mut i64> {
    match s {
        Status::Draft => None,
        Status::Submitted | Status::EnteredPendingApproval | Status::Reviewed => Some(|o| &mut o.pending),
        Status::Rejected => Some(|o| &mut o.rejected),
        Status::Expired => Some(|o| &mut o.expired),
        Status::Admitted | Status::InProgress | Status::Completed | Status::Revoked => Some(|o| &mut o.admitted),
    }
}

fn action_label(a: &str) -> String {
    match a {
        "add" => "新增".into(),
        "adjust" => "调整".into(),
        "cancel" => "取消".into(),
        "carry_over" | "carry" => "结转".into(),
        other => other.to_string(),
    }
}

/// The period as UTC instants: from its first day's midnight, before the day after its last.
fn bounds(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = from.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let end = (to + chrono::Days::new(1)).and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    (start, end)
}

/// `col` within the period, in SQL: the report reads the period's rows, not the history.
fn during<C: ColumnTrait>(col: C, from: NaiveDate, to: NaiveDate) -> Condition {
    let (start, end) = bounds(from, to);
    Condition::all().add(col.gte(start)).add(col.lt(end))
}

/// Reads the county's records for the period (the county's own, whoever asks).
pub async fn gather(db: &DatabaseConnection, county_id: i64, from: NaiveDate, to: NaiveDate) -> AppResult<CountyReport> {
    let county = crate::lists::api::county_name_in(db, county_id).await?;
    let names = crate::admission::store::org_names(db, county_id).await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();

    let mut list_changes: BTreeMap<String, i64> = BTreeMap::new();
    for c in in_county::<list_change::Entity>(county_id).filter(during(list_change::Column::CreatedAt, from, to)).all(db).await? {
        *list_changes.entry(action_label(&c.action)).or_default() += 1;
    }

    let mut admissions: BTreeMap<String, Outcomes> = BTreeMap::new();
    let mut emergencies = Vec::new();
    for a in in_county::<admission::Entity>(county_id).filter(during(admission::Column::CreatedAt, from, to)).order_by_asc(admission::Column::Id).all(db).await? {
        let status = crate::admission::store::status_of(&a);
        if let Some(slot) = outcome(status) {
            *slot(admissions.entry(name(a.department_id)).or_default()) += 1;
        }
        if a.entered_at.is_some() {
            let ended = match status {
                Status::Expired => "逾期未批，已撤出",
                Status::Rejected => "未获批准，已撤出",
                Status::EnteredPendingApproval | Status::Reviewed => "待批准",
                _ => "已补办批准",
            };
            emergencies.push(Emergency { title: a.title.clone(), department: name(a.department_id), deadline: a.approval_deadline, outcome: ended });
        }
    }

    let decisions = in_county::<screening_decision::Entity>(county_id).filter(during(screening_decision::Column::DecidedAt, from, to)).all(db).await?;
    let findings_confirmed = decisions.iter().filter(|d| d.decision == "confirmed").count() as i64;
    let overridden: Vec<&screening_decision::Model> = decisions.iter().filter(|d| d.decision == "overridden").collect();
    // An override may concern an application made before the period.
    let titles: BTreeMap<i64, String> = in_county::<admission::Entity>(county_id)
        .filter(admission::Column::Id.is_in(overridden.iter().map(|d| d.admission_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.title))
        .collect();
    let overrides = overridden
        .iter()
        .map(|d| Override { title: titles.get(&d.admission_id).cloned().unwrap_or_default(), concept: concept_label(&d.concept), reason: d.reason.clone(), at: d.decided_at })
        .collect();

    // Contracts signed in the period: the second signature of their first version.
    let (start, end) = bounds(from, to);
    use entity::contract_version::Column as V;
    let signed: Vec<i64> = in_county::<entity::contract_version::Entity>(county_id)
        .filter(V::Version.eq(1))
        .filter(V::DepartmentSignedAt.lt(end))
        .filter(V::CommunitySignedAt.lt(end))
        .filter(Condition::any().add(V::DepartmentSignedAt.gte(start)).add(V::CommunitySignedAt.gte(start)))
        .all(db)
        .await?
        .into_iter()
        .map(|v| v.contract_id)
        .collect();
    let payments = in_county::<disbursement::Entity>(county_id).filter(during(disbursement::Column::PaidAt, from, to)).all(db).await?;
    let wanted: BTreeSet<i64> = signed.iter().copied().chain(payments.iter().map(|d| d.contract_id)).collect();
    let mut by_id: BTreeMap<i64, contract::Model> = BTreeMap::new();
    for ids in wanted.into_iter().collect::<Vec<_>>().chunks(500) {
        by_id.extend(in_county::<contract::Entity>(county_id).filter(contract::Column::Id.is_in(ids.to_vec())).all(db).await?.into_iter().map(|c| (c.id, c)));
    }
    let signed_contracts: Vec<contract::Model> = signed.iter().filter_map(|id| by_id.get(id).cloned()).collect();
    let funds = crate::funds::store::funds_of(db, county_id, &signed_contracts).await?;
    let mut contracts: BTreeMap<String, (i64, Money)> = BTreeMap::new();
    for c in &signed_contracts {
        let held = funds.get(&c.id).copied().unwrap_or_default().held(crate::lifecycle::store::contract_status(c)?);
        let e = contracts.entry(name(c.department_id)).or_insert((0, Money::from_fen(0)));
        e.0 += 1;
        e.1 = plus(e.1, held.amount);
    }
    let (mut paid_by_department, mut paid_by_community): (BTreeMap<String, Paid>, BTreeMap<String, Paid>) = Default::default();
    for d in payments {
        let Some(c) = by_id.get(&d.contract_id) else { continue };
        let amount = Money::from_fen(d.amount_fen);
        for p in [paid_by_department.entry(name(c.department_id)).or_default(), paid_by_community.entry(name(c.community_id)).or_default()] {
            p.paid = plus(p.paid, amount);
            match d.status.as_str() {
                "confirmed" => p.confirmed = plus(p.confirmed, amount),
                "disputed" => p.disputed = plus(p.disputed, amount),
                _ => p.unconfirmed = plus(p.unconfirmed, amount),
            }
        }
    }

    let evals: Vec<evaluation::Model> = in_county::<evaluation::Entity>(county_id).filter(during(evaluation::Column::CreatedAt, from, to)).all(db).await?;
    let mut evaluations: BTreeMap<&'static str, i64> = BTreeMap::new();
    for e in &evals {
        *evaluations.entry(crate::evaluation::Rating::parse(&e.overall).map(|r| r.label()).unwrap_or("其他")).or_default() += 1;
    }
    let eval_ids: Vec<i64> = evals.iter().map(|e| e.id).collect();
    let objections = in_county::<objection::Entity>(county_id).filter(objection::Column::EvaluationId.is_in(eval_ids)).all(db).await?.len() as i64;
    let mut violations: BTreeMap<&'static str, i64> = BTreeMap::new();
    for r in in_county::<violation_report::Entity>(county_id).filter(during(violation_report::Column::CreatedAt, from, to)).all(db).await? {
        let label = match r.status.as_str() {
            "confirmed" => "经核查属实",
            "dismissed" => "经核查不属实",
            _ => "待核查",
        };
        *violations.entry(label).or_default() += 1;
    }
    let notices = in_county::<notice::Entity>(county_id).filter(during(notice::Column::PublishedAt, from, to)).count(db).await? as i64;

    Ok(CountyReport {
        county,
        from,
        to,
        lists: crate::lists::store::year_report(db, county_id).await?,
        list_changes: list_changes.into_iter().collect(),
        admissions,
        findings_confirmed,
        overrides,
        emergencies,
        contracts,
        departments: crate::funds::store::department_funds(db, county_id, to.year(), &crate::funds::store::contract_years(db, county_id).await?).await?,
        paid_by_department,
        paid_by_community,
        evaluations,
        objections,
        violations,
        notices,
    })
}

impl CountyReport {
    pub fn title(&self) -> String {
        format!("{}社区工作事项准入与政府购买服务情况报告（{}至{}）", self.county, self.from, self.to)
    }

    /// List sizes this year and last, and the reduction (the annual review aims at fewer).
    pub fn list_reduction(&self) -> Option<(YearCount, YearCount)> {
        let year = self.to.year();
        let now = self.lists.iter().find(|y| y.year == year)?;
        let before = self.lists.iter().find(|y| y.year == year - 1)?;
        Some((before.clone(), now.clone()))
    }

    fn admissions_total(&self) -> Outcomes {
        self.admissions.values().fold(Outcomes::default(), |mut t, o| {
            t.admitted += o.admitted;
            t.rejected += o.rejected;
            t.pending += o.pending;
            t.expired += o.expired;
            t
        })
    }

    fn paid_total(m: &BTreeMap<String, Paid>) -> Paid {
        m.values().fold(Paid::default(), |t, p| Paid { paid: plus(t.paid, p.paid), confirmed: plus(t.confirmed, p.confirmed), unconfirmed: plus(t.unconfirmed, p.unconfirmed), disputed: plus(t.disputed, p.disputed) })
    }

    /// The charts of the PDF.
    pub fn charts(&self) -> Vec<BarChart> {
        vec![
            charts::list_sizes(&self.lists),
            BarChart {
                title: "准入申请（按部门与结果）".into(),
                unit: "项".into(),
                categories: self.admissions.keys().cloned().collect(),
                series: vec![
                    ("准入".into(), self.admissions.values().map(|o| o.admitted as f64).collect()),
                    ("未通过".into(), self.admissions.values().map(|o| o.rejected as f64).collect()),
                    ("审理中".into(), self.admissions.values().map(|o| o.pending as f64).collect()),
                    ("逾期撤出".into(), self.admissions.values().map(|o| o.expired as f64).collect()),
                ],
                stacked: true,
            },
            charts::department_funds(self.to.year(), &self.departments),
            BarChart {
                title: "报告期内各社区收到的经费".into(),
                unit: "元".into(),
                categories: self.paid_by_community.keys().cloned().collect(),
                series: vec![
                    ("已拨付".into(), self.paid_by_community.values().map(|p| yuan(p.paid)).collect()),
                    ("已确认".into(), self.paid_by_community.values().map(|p| yuan(p.confirmed)).collect()),
                ],
                stacked: false,
            },
        ]
    }

    /// The report as a document for the PDF machinery.
    pub fn pdf(&self) -> Result<Doc, String> {
        let mut b = vec![Block::Title(format!("{}社区工作事项准入与政府购买服务情况报告", self.county)), Block::Subtitle(format!("报告期：{} 至 {}", self.from, self.to)), Block::Space];
        let charts: Vec<Vec<u8>> = self.charts().iter().map(charts::png).collect::<Result<_, _>>()?;
        let t = self.admissions_total();
        b.push(Block::Heading("一、三个清单".into()));
        match self.list_reduction() {
            Some((before, now)) => {
                let change = now.total - before.total;
                let pct = if before.total > 0 { format!("{:.1}%", change.abs() as f64 * 100.0 / before.total as f64) } else { "—".into() };
                let word = if change <= 0 { "减少" } else { "增加" };
                b.push(Block::Paragraph(format!("{}年清单共{}项（履职{}项、协助{}项、负面{}项），较{}年{}{}项（{}）。", now.year, now.total, now.duty, now.assist, now.negative, before.year, word, change.abs(), pct)));
            }
            None => b.push(Block::Paragraph("尚无可比较的上一年度清单。".into())),
        }
        b.push(Block::Table {
            weights: vec![2, 2, 2, 2, 2],
            header: vec!["年度".into(), "履职事项".into(), "协助事项".into(), "负面清单".into(), "合计".into()],
            rows: self.lists.iter().map(|y| vec![y.year.to_string(), y.duty.to_string(), y.assist.to_string(), y.negative.to_string(), y.total.to_string()]).collect(),
        });
        if !self.list_changes.is_empty() {
            b.push(Block::Paragraph(format!("报告期内清单变动：{}。", self.list_changes.iter().map(|(a, n)| format!("{a}{n}项")).collect::<Vec<_>>().join("，"))));
        }
        b.push(Block::Chart(charts[0].clone()));

        b.push(Block::Heading("二、准入申请与审批".into()));
        b.push(Block::Paragraph(format!(
            "报告期内各部门共提出准入申请{}项：准入{}项，未通过{}项，审理中{}项，先进后批逾期撤出{}项。筛查提示经民政部门确认{}项，经说明理由后不予采纳{}项。",
            t.total(), t.admitted, t.rejected, t.pending, t.expired, self.findings_confirmed, self.overrides.len()
        )));
        b.push(Block::Table {
            weights: vec![4, 2, 2, 2, 2, 2],
            header: vec!["部门".into(), "准入".into(), "未通过".into(), "审理中".into(), "逾期撤出".into(), "合计".into()],
            rows: self.admissions.iter().map(|(d, o)| vec![d.clone(), o.admitted.to_string(), o.rejected.to_string(), o.pending.to_string(), o.expired.to_string(), o.total().to_string()]).collect(),
        });
        b.push(Block::Chart(charts[1].clone()));
        if !self.overrides.is_empty() {
            b.push(Block::Paragraph("不予采纳的筛查提示：".into()));
            b.push(Block::Table {
                weights: vec![4, 3, 5, 2],
                header: vec!["事项".into(), "提示".into(), "理由".into(), "日期".into()],
                rows: self.overrides.iter().map(|o| vec![o.title.clone(), o.concept.clone(), o.reason.clone(), o.at.date_naive().to_string()]).collect(),
            });
        }
        b.push(Block::Heading("三、先进后批事项".into()));
        if self.emergencies.is_empty() {
            b.push(Block::Paragraph("报告期内无先进后批事项。".into()));
        } else {
            b.push(Block::Table {
                weights: vec![5, 4, 3, 3],
                header: vec!["事项".into(), "部门".into(), "审批期限".into(), "结果".into()],
                rows: self.emergencies.iter().map(|e| vec![e.title.clone(), e.department.clone(), e.deadline.map(|d| d.to_string()).unwrap_or_default(), e.outcome.into()]).collect(),
            });
        }

        b.push(Block::Heading("四、购买服务合同与经费".into()));
        let (n, amount) = self.contracts.values().fold((0, Money::from_fen(0)), |(n, a), (k, m)| (n + k, plus(a, *m)));
        let p = Self::paid_total(&self.paid_by_department);
        b.push(Block::Paragraph(format!(
            "报告期内签订购买服务合同{}份，金额{}（已终止的合同按已拨付计）；拨付经费{}，其中社区已确认到账{}、待确认{}、有异议{}。",
            n, amount.grouped(), p.paid.grouped(), p.confirmed.grouped(), p.unconfirmed.grouped(), p.disputed.grouped()
        )));
        b.push(Block::Table {
            weights: vec![4, 2, 3],
            header: vec!["部门".into(), "合同数".into(), "计入经费（终止的按已拨付）".into()],
            rows: self.contracts.iter().map(|(d, (k, m))| vec![d.clone(), k.to_string(), m.grouped()]).collect(),
        });
        b.push(Block::Paragraph(format!("{}年度各部门预算与执行（截至报告日）：", self.to.year())));
        b.push(Block::Table {
            weights: vec![4, 3, 3, 3, 3],
            header: vec!["部门".into(), "预算".into(), "已承诺".into(), "已拨付".into(), "已确认".into()],
            rows: self.departments.iter().map(|d| vec![d.department.clone(), d.budget.grouped(), d.committed.grouped(), d.disbursed.grouped(), d.confirmed.grouped()]).collect(),
        });
        b.push(Block::Chart(charts[2].clone()));
        b.push(Block::Paragraph("报告期内各社区收到的经费：".into()));
        b.push(Block::Table {
            weights: vec![4, 3, 3, 3, 3],
            header: vec!["社区".into(), "已拨付".into(), "已确认".into(), "待确认".into(), "有异议".into()],
            rows: self.paid_by_community.iter().map(|(c, p)| vec![c.clone(), p.paid.grouped(), p.confirmed.grouped(), p.unconfirmed.grouped(), p.disputed.grouped()]).collect(),
        });
        b.push(Block::Chart(charts[3].clone()));

        b.push(Block::Heading("五、服务评价".into()));
        let evals: i64 = self.evaluations.values().sum();
        b.push(Block::Paragraph(format!(
            "报告期内按合同条款评价{}次（{}），社区提出异议{}件。",
            evals,
            if self.evaluations.is_empty() { "无".to_string() } else { self.evaluations.iter().map(|(k, v)| format!("{k}{v}次")).collect::<Vec<_>>().join("，") },
            self.objections
        )));
        b.push(Block::Heading("六、擅自下沉与通报".into()));
        let reports: i64 = self.violations.values().sum();
        b.push(Block::Paragraph(format!(
            "报告期内社区报告擅自下沉事项{}件（{}），发布通报{}期。",
            reports,
            if self.violations.is_empty() { "无".to_string() } else { self.violations.iter().map(|(k, v)| format!("{k}{v}件")).collect::<Vec<_>>().join("，") },
            self.notices
        )));
        Ok(Doc { title: self.title(), blocks: b })
    }

    /// The report as registers, one sheet per section, for the workbook.
    pub fn sheets(&self) -> Vec<Register> {
        let scope = format!("报告期：{} 至 {}", self.from, self.to);
        let sheet = |title: &str, columns, rows| Register { title: title.to_string(), scope: scope.clone(), columns, rows };
        let int = |n: i64| Cell::Int(n);
        vec![
            sheet(
                "清单规模",
                vec![col("年度", Kind::Int, 8.0), col("履职事项", Kind::Int, 10.0), col("协助事项", Kind::Int, 10.0), col("负面清单", Kind::Int, 10.0), col("合计", Kind::Int, 10.0)],
                self.lists.iter().map(|y| vec![int(y.year as i64), int(y.duty), int(y.assist), int(y.negative), int(y.total)]).collect(),
            ),
            sheet(
                "准入申请",
                vec![col("部门", Kind::Text, 24.0), col("准入", Kind::Count, 8.0), col("未通过", Kind::Count, 8.0), col("审理中", Kind::Count, 8.0), col("逾期撤出", Kind::Count, 10.0), col("合计", Kind::Count, 8.0)],
                self.admissions.iter().map(|(d, o)| vec![d.as_str().into(), int(o.admitted), int(o.rejected), int(o.pending), int(o.expired), int(o.total())]).collect(),
            ),
            sheet(
                "筛查提示不予采纳",
                vec![col("事项", Kind::Text, 30.0), col("提示", Kind::Text, 20.0), col("理由", Kind::Text, 40.0), col("日期", Kind::Date, 12.0)],
                self.overrides.iter().map(|o| vec![o.title.as_str().into(), o.concept.as_str().into(), o.reason.as_str().into(), o.at.date_naive().into()]).collect(),
            ),
            sheet(
                "先进后批事项",
                vec![col("事项", Kind::Text, 30.0), col("部门", Kind::Text, 24.0), col("审批期限", Kind::Date, 12.0), col("结果", Kind::Text, 16.0)],
                self.emergencies.iter().map(|e| vec![e.title.as_str().into(), e.department.as_str().into(), e.deadline.into(), e.outcome.into()]).collect(),
            ),
            sheet(
                "购买服务合同",
                vec![col("部门", Kind::Text, 24.0), col("合同数", Kind::Count, 8.0), col("计入经费（元，终止的按已拨付）", Kind::Money, 16.0)],
                self.contracts.iter().map(|(d, (k, m))| vec![d.as_str().into(), int(*k), (*m).into()]).collect(),
            ),
            sheet(
                "部门经费",
                vec![col("部门", Kind::Text, 24.0), col("预算（元）", Kind::Money, 15.0), col("已承诺（元）", Kind::Money, 15.0), col("已拨付（元）", Kind::Money, 15.0), col("已确认（元）", Kind::Money, 15.0)],
                self.departments.iter().map(|d| vec![d.department.as_str().into(), d.budget.into(), d.committed.into(), d.disbursed.into(), d.confirmed.into()]).collect(),
            ),
            sheet(
                "社区经费",
                vec![col("社区", Kind::Text, 20.0), col("已拨付（元）", Kind::Money, 15.0), col("已确认（元）", Kind::Money, 15.0), col("待确认（元）", Kind::Money, 15.0), col("有异议（元）", Kind::Money, 15.0)],
                self.paid_by_community.iter().map(|(c, p)| vec![c.as_str().into(), p.paid.into(), p.confirmed.into(), p.unconfirmed.into(), p.disputed.into()]).collect(),
            ),
            sheet(
                "评价与通报",
                vec![col("项目", Kind::Text, 24.0), col("数量", Kind::Int, 10.0)],
                self.evaluations
                    .iter()
                    .map(|(k, v)| vec![format!("评价：{k}").into(), int(*v)])
                    .chain(std::iter::once(vec!["评价异议".into(), int(self.objections)]))
                    .chain(self.violations.iter().map(|(k, v)| vec![format!("擅自下沉报告：{k}").into(), int(*v)]))
                    .chain(std::iter::once(vec!["通报".into(), int(self.notices)]))
                    .collect(),
            ),
        ]
    }
}

/// A screening decision's concept as the report's reader knows it ("行政执法", not the
/// concept's key `enforcement`); a county's own concept keeps its key.
fn concept_label(key: &str) -> String {
    crate::screening::base().concept(key).map(|c| c.label.clone()).unwrap_or_else(|| key.to_string())
}
