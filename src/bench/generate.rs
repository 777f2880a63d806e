//! A realistic data set from a seed, loaded in bulk (multi-row inserts in a few
//! transactions), bypassing the HTTP API and the audited domain steps: counties × streets ×
//! communities × departments × admissions × contracts (version, clauses, monthly
//! milestones) × payments, with a balanced ledger (budget → commitment → disbursement →
//! receipt) that passes `verify-ledger`. Each active contract keeps some due milestones
//! unpaid: the pool the write benchmark pays.
use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use entity::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};

use crate::contracts::template::Schedule;
use crate::money::Money;

pub const DEFAULT_SEED: u64 = 20261125;
/// Every generated user's password (one argon2 hash, shared).
pub const BENCH_PASSWORD: &str = "zhunru-bench";
/// The clause whose accepted deliverable releases clause-linked milestones.
const REPORT_CLAUSE: i32 = 4;

/// How much to generate: the number of contracts, and how many of them a county holds
/// (~1,000 purchase contracts a year by default); the rest follows from these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    pub contracts: usize,
    pub per_county: usize,
}

impl Scale {
    pub const SMOKE: Scale = Scale { contracts: 40, per_county: 40 };
    pub const LAPTOP: Scale = Scale::of(1_500);

    pub const fn of(contracts: usize) -> Scale {
        Scale { contracts, per_county: 1_000 }
    }

    /// `smoke`, `laptop`, or a number with an optional k/m suffix (`15000`, `100k`, `1m`).
    pub fn parse(s: &str) -> Result<Scale, String> {
        let s = s.trim().to_ascii_lowercase().replace(['_', ','], "");
        let n = match s.as_str() {
            "smoke" => return Ok(Scale::SMOKE),
            "laptop" | "default" => return Ok(Scale::LAPTOP),
            _ if s.ends_with('k') => s[..s.len() - 1].parse::<usize>().map(|n| n * 1_000),
            _ if s.ends_with('m') => s[..s.len() - 1].parse::<usize>().map(|n| n * 1_000_000),
            _ => s.parse::<usize>(),
        }
        .map_err(|_| format!("scale {s:?}: smoke, laptop, or a number of contracts such as 15000, 100k, 1m"))?;
        if n == 0 {
            return Err("scale must be at least one contract".into());
        }
        Ok(Scale::of(n))
    }

    fn small(self) -> bool {
        self.contracts < 200
    }
    fn per_county(self) -> usize {
        if self.small() { self.contracts } else { self.per_county.max(1) }
    }
    pub fn counties(self) -> usize {
        self.contracts.div_ceil(self.per_county())
    }
    fn streets(self) -> usize {
        if self.small() { 1 } else { 5 }
    }
    fn communities_per_street(self) -> usize {
        if self.small() { 4 } else { 8 }
    }
    fn departments(self) -> usize {
        if self.small() { 2 } else { 8 }
    }
    /// Communities one admission targets (one contract with each).
    fn targets(self) -> usize {
        if self.small() { 4 } else { 5 }
    }
}

/// A due milestone left unpaid, for the write benchmark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub county: usize,
    pub contract_id: i64,
    pub milestone_id: i64,
    pub amount: Money,
}

/// What the benchmark needs to know about what was generated.
#[derive(Clone, Debug, Default)]
pub struct Generated {
    /// Per county: its id and its finance user's name.
    pub counties: Vec<(i64, String)>,
    /// (county index, contract id) of every contract.
    pub contracts: Vec<(usize, i64)>,
    pub pool: Vec<Due>,
    /// Rows per table.
    pub rows: BTreeMap<&'static str, u64>,
}

const DEPARTMENTS: &[(&str, &str)] = &[
    ("区卫生健康局", "健康"),
    ("区市场监督管理局", "食品安全"),
    ("区人力资源和社会保障局", "就业"),
    ("区退役军人事务局", "优抚"),
    ("区应急管理局", "安全"),
    ("区司法局", "调解"),
    ("区统计局", "统计"),
    ("区农业农村局", "农技"),
];
const TASKS: &[&str] = &["信息采集", "协管巡查", "宣传引导", "入户走访", "数据报送", "隐患排查"];
const CLAUSES: &[(&str, bool)] =
    &[("服务事项", false), ("服务期限", false), ("服务标准", true), ("信息报送", true), ("服务经费", false), ("甲方责任", false), ("评价方式", false)];

/// Ids for one table, continuing after what is there.
struct Ids(i64);
impl Ids {
    fn next(&mut self) -> i64 {
        self.0 += 1;
        self.0
    }
}

/// Rows waiting to be inserted, flushed in foreign-key order.
#[derive(Default)]
struct Batch {
    counties: Vec<county::ActiveModel>,
    orgs: Vec<organisation::ActiveModel>,
    users: Vec<user::ActiveModel>,
    admissions: Vec<admission::ActiveModel>,
    targets: Vec<admission_target::ActiveModel>,
    events: Vec<admission_event::ActiveModel>,
    contracts: Vec<contract::ActiveModel>,
    versions: Vec<contract_version::ActiveModel>,
    clauses: Vec<contract_clause::ActiveModel>,
    milestones: Vec<contract_milestone::ActiveModel>,
    deliverables: Vec<deliverable::ActiveModel>,
    entries: Vec<ledger_entry::ActiveModel>,
    lines: Vec<ledger_line::ActiveModel>,
    disbursements: Vec<disbursement::ActiveModel>,
}

impl Batch {
    fn len(&self) -> usize {
        self.counties.len() + self.orgs.len() + self.users.len() + self.admissions.len() + self.targets.len() + self.events.len() + self.contracts.len()
            + self.versions.len() + self.clauses.len() + self.milestones.len() + self.deliverables.len() + self.entries.len() + self.lines.len()
            + self.disbursements.len()
    }
}

/// Multi-row inserts of at most ~30,000 bound values each (under SQLite's and
/// PostgreSQL's parameter limits).
async fn insert_all<A>(db: &impl ConnectionTrait, rows: Vec<A>, columns: usize, table: &'static str, counts: &mut BTreeMap<&'static str, u64>) -> Result<(), sea_orm::DbErr>
where
    A: sea_orm::ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    *counts.entry(table).or_default() += rows.len() as u64;
    let per = (30_000 / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per).collect();
        A::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

async fn flush(db: &DatabaseConnection, b: Batch, counts: &mut BTreeMap<&'static str, u64>) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    insert_all(&txn, b.counties, 4, "counties", counts).await?;
    insert_all(&txn, b.orgs, 6, "organisations", counts).await?;
    insert_all(&txn, b.users, 11, "users", counts).await?;
    insert_all(&txn, b.admissions, 31, "admissions", counts).await?;
    insert_all(&txn, b.targets, 6, "admission_targets", counts).await?;
    insert_all(&txn, b.events, 9, "admission_events", counts).await?;
    insert_all(&txn, b.contracts, 17, "contracts", counts).await?;
    insert_all(&txn, b.versions, 16, "contract_versions", counts).await?;
    insert_all(&txn, b.clauses, 8, "contract_clauses", counts).await?;
    insert_all(&txn, b.milestones, 10, "contract_milestones", counts).await?;
    insert_all(&txn, b.deliverables, 12, "deliverables", counts).await?;
    insert_all(&txn, b.entries, 9, "ledger_entries", counts).await?;
    insert_all(&txn, b.lines, 6, "ledger_lines", counts).await?;
    insert_all(&txn, b.disbursements, 13, "disbursements", counts).await?;
    txn.commit().await
}

const TABLES: &[&str] = &[
    "counties", "organisations", "users", "admissions", "admission_targets", "admission_events", "contracts", "contract_versions", "contract_clauses",
    "contract_milestones", "deliverables", "ledger_entries", "ledger_lines", "disbursements",
];

async fn max_id(db: &DatabaseConnection, table: &str) -> Result<i64, sea_orm::DbErr> {
    let sql = format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM {table}");
    let row = db.query_one(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await?;
    Ok(row.map(|r| r.try_get::<i64>("", "m")).transpose()?.unwrap_or(0))
}

fn at(d: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(hour, 0, 0).expect("time"))
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1")
}

/// One contract as planned before its rows are written.
struct Planned {
    community: usize,
    amount: Money,
    /// Milestones paid, of those due; the rest of the due ones stay in the pool.
    paid: usize,
    confirmed: usize,
    clause_linked: bool,
}

/// Generates `scale` into `db` (migrated, holding no county yet) from `seed`, with the
/// data's dates relative to `today`. `progress` is told the number of contracts written.
pub async fn generate(db: &DatabaseConnection, scale: Scale, seed: u64, today: NaiveDate, progress: &dyn Fn(u64)) -> anyhow::Result<Generated> {
    use entity::county::Entity as County;
    use sea_orm::PaginatorTrait;
    anyhow::ensure!(County::find().count(db).await? == 0, "the database already holds a county: generate into an empty one");
    let mut ids = BTreeMap::new();
    for t in TABLES {
        ids.insert(*t, Ids(max_id(db, t).await?));
    }
    let mut id = |t: &'static str| ids.get_mut(t).expect("table").next();
    let hash = crate::platform::auth::hash_password(BENCH_PASSWORD);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Generated::default();
    let mut b = Batch::default();
    let mut written = 0u64;
    // Numbers are sequential per county and year, like the server's.
    for ci in 0..scale.counties() {
        let n_contracts = scale.per_county().min(scale.contracts - ci * scale.per_county());
        let county_name = format!("基准{}区", ci + 1);
        let county_id = id("counties");
        let founded = at(today - Days::new(800), 8);
        b.counties.push(county::ActiveModel { id: Set(county_id), name: Set(county_name.clone()), emergency_approval_days: Set(crate::admission::DEFAULT_EMERGENCY_DAYS), ocid_prefix: Set(None), parent_id: Set(None), level: Set("county".into()), created_at: Set(founded) });
        let mut org = |b: &mut Batch, parent: Option<i64>, kind: crate::orgs::OrgKind, name: String| {
            let oid = id("organisations");
            b.orgs.push(organisation::ActiveModel { id: Set(oid), county_id: Set(county_id), parent_id: Set(parent), kind: Set(kind.as_str().into()), name: Set(name), created_at: Set(founded) });
            oid
        };
        use crate::orgs::{OrgKind as K, Role as R};
        let root = org(&mut b, None, K::County, county_name.clone());
        let civil = org(&mut b, Some(root), K::CivilAffairs, "区民政局".into());
        let group = org(&mut b, Some(root), K::LeadingGroup, "区城乡社区建设领导小组".into());
        let finance = org(&mut b, Some(root), K::Finance, "区财政局".into());
        let depts: Vec<(i64, &str)> = DEPARTMENTS[..scale.departments()].iter().map(|(name, topic)| (org(&mut b, Some(root), K::Department, (*name).into()), *topic)).collect();
        let mut communities = Vec::new();
        for s in 0..scale.streets() {
            let street = org(&mut b, Some(root), K::Street, format!("第{}街道", s + 1));
            for k in 0..scale.communities_per_street() {
                communities.push((org(&mut b, Some(street), K::Community, format!("第{}街道第{}社区", s + 1, k + 1)), format!("第{}街道第{}社区", s + 1, k + 1)));
            }
        }
        let n = ci + 1;
        let mut user = |b: &mut Batch, org_id: i64, username: String, display: &str, role: R| {
            let uid = id("users");
            b.users.push(user::ActiveModel {
                id: Set(uid),
                county_id: Set(county_id),
                org_id: Set(org_id),
                username: Set(username),
                display_name: Set(display.into()),
                role: Set(role.as_str().into()),
                password_hash: Set(hash.clone()),
                active: Set(true),
                failed_logins: Set(0),
                locked_until: Set(None),
                created_at: Set(founded),
            });
            uid
        };
        user(&mut b, root, format!("admin-{n}"), "系统管理员", R::Admin);
        let reviewer = user(&mut b, civil, format!("minzheng-{n}"), "民政局审核员", R::Reviewer);
        let approver = user(&mut b, group, format!("lingdao-{n}"), "领导小组审批人", R::Approver);
        let payer = user(&mut b, finance, format!("caizheng-{n}"), "财政局经办人", R::Finance);
        user(&mut b, root, format!("ducha-{n}"), "督查专员", R::Supervisor);
        let dept_users: Vec<i64> = depts.iter().enumerate().map(|(i, (d, _))| user(&mut b, *d, format!("bumen-{n}-{}", i + 1), "部门经办人", R::Department)).collect();
        let comm_users: Vec<i64> = communities.iter().enumerate().map(|(i, (c, _))| user(&mut b, *c, format!("shequ-{n}-{}", i + 1), "社区书记", R::Community)).collect();
        out.counties.push((county_id, format!("caizheng-{n}")));

        // Plan: admissions of `targets` contracts each, starting 1–10 months ago and
        // running a year, so that some monthly milestones are due.
        let mut plans: Vec<(usize, NaiveDate, Vec<Planned>)> = Vec::new();
        let mut left = n_contracts;
        while left > 0 {
            let take = scale.targets().min(left).min(communities.len());
            left -= take;
            let dept = rng.gen_range(0..depts.len());
            let start = month_start(today) - Months::new(rng.gen_range(1..=10));
            let first = rng.gen_range(0..communities.len());
            let contracts = (0..take)
                .map(|k| {
                    let due = (today.year() * 12 + today.month0() as i32 - (start.year() * 12 + start.month0() as i32)) as usize;
                    let paid = due.saturating_sub(rng.gen_range(1..=3));
                    Planned {
                        community: (first + k) % communities.len(),
                        amount: Money::from_yuan(rng.gen_range(10..=60) * 1_200),
                        paid,
                        confirmed: rng.gen_range(0..=paid),
                        clause_linked: rng.gen_bool(0.5),
                    }
                })
                .collect();
            plans.push((dept, start, contracts));
        }
        // Budgets: what is committed in each department and year, plus some room.
        let mut committed: BTreeMap<(usize, i32), i64> = BTreeMap::new();
        for (dept, start, cs) in &plans {
            *committed.entry((*dept, start.year())).or_default() += cs.iter().map(|c| c.amount.fen()).sum::<i64>();
        }
        for ((dept, year), fen) in &committed {
            let amount = Money::from_fen(fen + fen / 5);
            let d = depts[*dept].0;
            let lines = crate::funds::transfer(&crate::funds::approp(d, *year), &crate::funds::budget(d, *year), amount);
            let when = at(NaiveDate::from_ymd_opt(*year, 1, 1).expect("date").min(today), 9) - chrono::Duration::days(60);
            post(&mut b, &mut id, county_id, "budget", (None, Some(d), Some(*year)), format!("下达{year}年度购买服务预算"), payer, when, &lines);
        }
        let mut approval_seq: BTreeMap<i32, i32> = BTreeMap::new();
        let mut number_seq: BTreeMap<i32, i32> = BTreeMap::new();
        for (ai, (dept, start, cs)) in plans.iter().enumerate() {
            let (dept_id, topic) = depts[*dept];
            let dept_user = dept_users[*dept];
            let end = start.checked_add_months(Months::new(12)).expect("date") - Days::new(1);
            let task = TASKS[ai % TASKS.len()];
            let aid = id("admissions");
            let created = at(*start - Days::new(40), 9);
            let decided = at(*start - Days::new(25), 15);
            let budget = Money::from_fen(cs.iter().map(|c| c.amount.fen()).sum::<i64>() * 11 / 10);
            let ay = decided.year();
            let seq = approval_seq.entry(ay).or_default();
            *seq += 1;
            b.admissions.push(admission::ActiveModel {
                id: Set(aid),
                county_id: Set(county_id),
                department_id: Set(dept_id),
                created_by: Set(dept_user),
                title: Set(format!("{topic}{task}")),
                description: Set(format!("社区协助开展{topic}{task}工作，按月报送情况。")),
                basis: Set("《关于加强社区工作事项准入管理的意见》".into()),
                work_plan: Set("按合同约定开展，部门每月指导".into()),
                staffing: Set("每社区网格员2名".into()),
                period_start: Set(Some(*start)),
                period_end: Set(Some(end)),
                budget_fen: Set(Some(budget.fen())),
                emergency: Set(false),
                needs_professional_qualification: Set(false),
                needs_enforcement_authority: Set(false),
                list_item_id: Set(None),
                status: Set("admitted".into()),
                entered_at: Set(None),
                approval_deadline: Set(None),
                review_opinion: Set(Some("approve".into())),
                review_comment: Set(Some("依据充分，经费落实，同意准入".into())),
                opinions: Set("[]".into()),
                decision_comment: Set(Some("同意".into())),
                approval_year: Set(Some(ay)),
                approval_seq: Set(Some(*seq)),
                approval_number: Set(Some(crate::admission::approval_number(&county_name, ay, *seq))),
                decided_at: Set(Some(decided)),
                created_at: Set(created),
                updated_at: Set(decided),
                origin: Set("application".into()),
                budget_reason: Set(None),
            });
            let steps = [
                ("create", None, "draft", dept_user, 0),
                ("submit", Some("draft"), "submitted", dept_user, 5),
                ("review", Some("submitted"), "reviewed", reviewer, 10),
                ("approve", Some("reviewed"), "admitted", approver, 15),
            ];
            for (action, from, to, who, days) in steps {
                b.events.push(admission_event::ActiveModel {
                    id: Set(id("admission_events")),
                    county_id: Set(county_id),
                    admission_id: Set(aid),
                    user_id: Set(who),
                    action: Set(action.into()),
                    from_status: Set(from.map(Into::into)),
                    to_status: Set(to.into()),
                    comment: Set(String::new()),
                    created_at: Set(created + chrono::Duration::days(days)),
                });
            }
            for c in cs {
                let (community_id, community_name) = &communities[c.community];
                let comm_user = comm_users[c.community];
                b.targets.push(admission_target::ActiveModel { id: Set(id("admission_targets")), county_id: Set(county_id), admission_id: Set(aid), community_id: Set(*community_id), status: Set("entered".into()), updated_at: Set(decided) });
                let cid = id("contracts");
                let drafted = at(*start - Days::new(20), 10);
                let signed = at(*start - Days::new(10), 16);
                let ny = drafted.year();
                let seq = number_seq.entry(ny).or_default();
                *seq += 1;
                let number = format!("{county_name}购服〔{ny}〕{seq}号");
                let vars = serde_json::json!({"service_content": format!("{topic}{task}"), "monthly_visits": "4", "report_day": "每月5日前"});
                b.contracts.push(contract::ActiveModel {
                    id: Set(cid),
                    county_id: Set(county_id),
                    admission_id: Set(aid),
                    department_id: Set(dept_id),
                    community_id: Set(*community_id),
                    template_id: Set("monthly-co-management".into()),
                    number: Set(number.clone()),
                    number_year: Set(ny),
                    number_seq: Set(*seq),
                    status: Set("active".into()),
                    current_version: Set(1),
                    variables: Set(vars.to_string()),
                    termination_reason: Set(None),
                    termination_code: Set(None),
                    termination_reason_code: Set(None),
                    created_by: Set(dept_user),
                    created_at: Set(drafted),
                    updated_at: Set(signed),
                });
                b.versions.push(contract_version::ActiveModel {
                    id: Set(id("contract_versions")),
                    county_id: Set(county_id),
                    contract_id: Set(cid),
                    version: Set(1),
                    amount_fen: Set(c.amount.fen()),
                    period_start: Set(*start),
                    period_end: Set(end),
                    status: Set("effective".into()),
                    rationale_code: Set(None),
                    rationale: Set(String::new()),
                    department_signed_by: Set(Some(dept_user)),
                    department_signed_at: Set(Some(signed - chrono::Duration::hours(2))),
                    community_signed_by: Set(Some(comm_user)),
                    community_signed_at: Set(Some(signed)),
                    created_by: Set(dept_user),
                    created_at: Set(drafted),
                });
                let mut report_clause = 0;
                for (i, (title, performance)) in CLAUSES.iter().enumerate() {
                    let clause_id = id("contract_clauses");
                    if i as i32 + 1 == REPORT_CLAUSE {
                        report_clause = clause_id;
                    }
                    b.clauses.push(contract_clause::ActiveModel {
                        id: Set(clause_id),
                        county_id: Set(county_id),
                        contract_id: Set(cid),
                        version: Set(1),
                        number: Set(i as i32 + 1),
                        title: Set((*title).into()),
                        text: Set(format!("{}：甲方委托乙方{community_name}承担“{topic}{task}”工作，服务期限自{start}起至{end}止，按月拨付经费。", title)),
                        performance: Set(*performance),
                    });
                }
                // Commitment when both signed: budget → commit.
                let year = start.year();
                let lines = crate::funds::transfer(&crate::funds::budget(dept_id, year), &crate::funds::commit(cid), c.amount);
                post(&mut b, &mut id, county_id, "commitment", (Some(cid), Some(dept_id), Some(year)), format!("合同{number}生效，承诺经费"), comm_user, signed, &lines);
                if c.clause_linked {
                    b.deliverables.push(deliverable::ActiveModel {
                        id: Set(id("deliverables")),
                        county_id: Set(county_id),
                        contract_id: Set(cid),
                        clause_id: Set(report_clause),
                        summary: Set("首月工作记录：走访户数、发现问题及报告时间".into()),
                        status: Set("accepted".into()),
                        decision_comment: Set(Some("验收合格".into())),
                        submitted_by: Set(comm_user),
                        decided_by: Set(Some(dept_user)),
                        created_at: Set(at(*start + Days::new(27), 10)),
                        decided_at: Set(Some(at(*start + Days::new(28), 10))),
                    });
                }
                let plan = crate::contracts::instalments(&Schedule::Monthly { clause: None }, c.amount, *start, end);
                for (k, inst) in plan.iter().enumerate() {
                    let mid = id("contract_milestones");
                    b.milestones.push(contract_milestone::ActiveModel {
                        id: Set(mid),
                        county_id: Set(county_id),
                        contract_id: Set(cid),
                        version: Set(1),
                        seq: Set(k as i32 + 1),
                        key: Set(k as i32 + 1),
                        due: Set(inst.due),
                        amount_fen: Set(inst.amount.fen()),
                        clause_id: Set(c.clause_linked.then_some(report_clause)),
                    });
                    if inst.due >= today {
                        continue;
                    }
                    if k >= c.paid {
                        out.pool.push(Due { county: ci, contract_id: cid, milestone_id: mid, amount: inst.amount });
                        continue;
                    }
                    // Paid a few days after it fell due (never after today's start).
                    let paid_at = at(inst.due + Days::new(3), 10).min(at(today, 0) - chrono::Duration::minutes(k as i64 + 1));
                    let lines = crate::funds::transfer(&crate::funds::commit(cid), &crate::funds::paid(cid), inst.amount);
                    let entry = post(&mut b, &mut id, county_id, "disbursement", (Some(cid), Some(dept_id), None), format!("拨付合同{number}第{}期", k + 1), payer, paid_at, &lines);
                    let confirmed = k < c.confirmed;
                    let receipt_at = paid_at + chrono::Duration::hours(20);
                    let receipt_at = receipt_at.min(at(today, 0) - chrono::Duration::seconds(k as i64 + 1));
                    if confirmed {
                        let lines = crate::funds::confirm(cid, inst.amount);
                        post(&mut b, &mut id, county_id, "receipt", (Some(cid), Some(dept_id), None), format!("社区确认收到合同{number}拨款"), comm_user, receipt_at, &lines);
                    }
                    b.disbursements.push(disbursement::ActiveModel {
                        id: Set(id("disbursements")),
                        county_id: Set(county_id),
                        contract_id: Set(cid),
                        milestone_id: Set(mid),
                        amount_fen: Set(inst.amount.fen()),
                        status: Set(if confirmed { "confirmed" } else { "paid" }.into()),
                        entry_id: Set(entry),
                        paid_by: Set(payer),
                        paid_at: Set(paid_at),
                        receipt_by: Set(confirmed.then_some(comm_user)),
                        receipt_at: Set(confirmed.then_some(receipt_at)),
                        dispute_reason: Set(None),
                        answer: Set(None),
                        answered_by: Set(None),
                        answered_at: Set(None),
                        voucher: Set(None),
                    });
                }
                out.contracts.push((ci, cid));
                written += 1;
                if b.len() >= 100_000 {
                    flush(db, std::mem::take(&mut b), &mut out.rows).await?;
                    progress(written);
                }
            }
        }
    }
    flush(db, b, &mut out.rows).await?;
    progress(written);
    after_load(db).await?;
    Ok(out)
}

/// One balanced journal entry and its lines; returns the entry's id.
#[allow(clippy::too_many_arguments)]
fn post(
    b: &mut Batch,
    id: &mut impl FnMut(&'static str) -> i64,
    county_id: i64,
    kind: &str,
    refs: (Option<i64>, Option<i64>, Option<i32>),
    memo: String,
    by: i64,
    when: DateTime<Utc>,
    lines: &[crate::funds::Line],
) -> i64 {
    debug_assert_eq!(lines.iter().map(|l| l.fen).sum::<i64>(), 0);
    let entry = id("ledger_entries");
    b.entries.push(ledger_entry::ActiveModel {
        id: Set(entry),
        county_id: Set(county_id),
        kind: Set(kind.into()),
        contract_id: Set(refs.0),
        department_id: Set(refs.1),
        year: Set(refs.2),
        memo: Set(memo),
        created_by: Set(by),
        created_at: Set(when),
    });
    for l in lines.iter().filter(|l| l.fen != 0) {
        b.lines.push(ledger_line::ActiveModel {
            id: Set(id("ledger_lines")),
            county_id: Set(county_id),
            entry_id: Set(entry),
            account: Set(l.account.clone()),
            debit_fen: Set(l.fen.max(0)),
            credit_fen: Set((-l.fen).max(0)),
        });
    }
    entry
}

/// After a bulk load with explicit ids: PostgreSQL's sequences continue after them,
/// statistics are fresh, and the balances are rebuilt from the lines.
async fn after_load(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        for t in TABLES {
            let sql = format!("SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {t}), false)");
            db.execute_unprepared(&sql).await?;
        }
        db.execute_unprepared("ANALYZE").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    // The running balances every money check reads, from the lines loaded above.
    crate::funds::store::rebuild_balances(db).await.map_err(|e| anyhow::anyhow!("{}", e.message))?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE ledger_balances").await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fresh() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("g.db").display());
        let db = crate::platform::db::connect(&url).await.unwrap();
        crate::platform::db::migrate(&db).await.unwrap();
        (dir, db)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    /// Counts, money sums and a hash of contract numbers and amounts: equal data.
    async fn fingerprint(db: &DatabaseConnection) -> String {
        let q = |sql: &str| sea_orm::Statement::from_string(db.get_database_backend(), sql.to_string());
        let mut out = String::new();
        for t in TABLES {
            let r = db.query_one(q(&format!("SELECT COUNT(*) AS n FROM {t}"))).await.unwrap().unwrap();
            out.push_str(&format!("{t}={} ", r.try_get::<i64>("", "n").unwrap()));
        }
        for sql in [
            "SELECT CAST(SUM(debit_fen) AS BIGINT) AS n FROM ledger_lines",
            "SELECT CAST(SUM(amount_fen) AS BIGINT) AS n FROM contract_versions",
            "SELECT CAST(SUM(amount_fen) AS BIGINT) AS n FROM disbursements",
        ] {
            out.push_str(&format!("{}; ", db.query_one(q(sql)).await.unwrap().unwrap().try_get::<i64>("", "n").unwrap()));
        }
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for r in db.query_all(q("SELECT c.number, v.amount_fen, v.period_start FROM contracts c JOIN contract_versions v ON v.contract_id = c.id ORDER BY c.id")).await.unwrap() {
            h.update(format!("{}|{}|{:?};", r.try_get::<String>("", "number").unwrap(), r.try_get::<i64>("", "amount_fen").unwrap(), r.try_get::<NaiveDate>("", "period_start").unwrap()));
        }
        out + &hex::encode(h.finalize())
    }

    #[tokio::test]
    async fn smoke_data_passes_verify_ledger_and_audit() {
        let (_dir, db) = fresh().await;
        let g = generate(&db, Scale::SMOKE, DEFAULT_SEED, today(), &|_| {}).await.unwrap();
        let breaches = crate::funds::store::verify_ledger(&db, None).await.unwrap();
        assert!(breaches.is_empty(), "{breaches:?}");
        let audit = crate::platform::audit::verify(&db, None).await.unwrap();
        assert!(audit.ok, "{:?}", audit.breaches);
        assert!(!g.pool.is_empty(), "no due milestone left to pay");
        assert_eq!(g.counties.len(), 1);
    }

    #[tokio::test]
    async fn the_same_seed_gives_the_same_data_and_sizes_are_as_asked() {
        let (_d1, a) = fresh().await;
        let (_d2, b) = fresh().await;
        let (_d3, c) = fresh().await;
        let scale = Scale::of(230);
        let ga = generate(&a, scale, 7, today(), &|_| {}).await.unwrap();
        let gb = generate(&b, scale, 7, today(), &|_| {}).await.unwrap();
        generate(&c, scale, 8, today(), &|_| {}).await.unwrap();
        assert_eq!(fingerprint(&a).await, fingerprint(&b).await);
        assert_ne!(fingerprint(&a).await, fingerprint(&c).await, "another seed, other data");
        assert_eq!(ga.pool, gb.pool);
        assert_eq!(ga.rows["contracts"], 230);
        assert_eq!(ga.contracts.len(), 230);
        assert_eq!(ga.counties.len(), 1);
        assert_eq!(Scale::parse("15k").unwrap().counties(), 15);
        assert_eq!(Scale::parse("1m").unwrap(), Scale::of(1_000_000));
        assert_eq!(Scale { contracts: 3_000, per_county: 3_000 }.counties(), 1);
        assert_eq!(Scale::parse("smoke").unwrap(), Scale::SMOKE);
        assert!(Scale::parse("lots").is_err());
    }
}
