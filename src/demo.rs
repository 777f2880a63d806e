//! The demo county of API.md, loaded by `zhunru serve --demo` into an empty database.
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::orgs::store::{create_county, create_jurisdiction, insert_org, insert_user};
use crate::region::Level;
use crate::orgs::{OrgKind, Role, Username};
use crate::platform::auth::{hash_password, Caller};
use crate::platform::db::begin_write;
use crate::platform::error::{AppError, AppResult};

pub const DEMO_PASSWORD: &str = "zhunru-demo";
pub const DEMO_COUNTY: &str = "示范区";

/// (username, display name, role, organisation) of every demo user but `admin`.
pub const DEMO_USERS: &[(&str, &str, Role, &str)] = &[
    ("minzheng", "民政局审核员", Role::Reviewer, "区民政局"),
    ("lingdao", "领导小组审批人", Role::Approver, "区城乡社区建设领导小组"),
    ("caizheng", "财政局经办人", Role::Finance, "区财政局"),
    ("weijian", "卫健局经办人", Role::Department, "区卫生健康局"),
    ("shijian", "市场监管局经办人", Role::Department, "区市场监督管理局"),
    ("xingfu", "幸福社区书记", Role::Community, "幸福社区"),
    ("hexie", "和谐社区主任", Role::Community, "和谐社区"),
    ("ducha", "督查专员", Role::Supervisor, DEMO_COUNTY),
];

/// The city above the demo county (备案 goes there; it publishes a baseline item).
pub const DEMO_CITY: &str = "示范市";

/// (username, display name, role, organisation) of the city's demo users.
pub const DEMO_CITY_USERS: &[(&str, &str, Role, &str)] = &[
    ("shi-minzheng", "市民政局审核员", Role::Reviewer, "市民政局"),
    ("shi-lingdao", "市领导小组审批人", Role::Approver, "市城乡社区治理领导小组"),
    ("shi-ducha", "市督查专员", Role::Supervisor, DEMO_CITY),
];

/// Loads the demo county if the database holds no county yet. Returns whether it did.
pub async fn load(db: &DatabaseConnection) -> AppResult<bool> {
    if entity::county::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    // One hash for all demo users: they share the published demo password anyway, and
    // hashing nine times would only slow down start-up and tests.
    let hash = hash_password(DEMO_PASSWORD);
    let txn = begin_write(db).await?;
    let admin = Username::parse("admin").map_err(AppError::internal)?;
    let (county, root, _) = create_county(&txn, DEMO_COUNTY, &admin, &hash).await?;
    let c = county.id;
    let mut ids = std::collections::HashMap::new();
    ids.insert(DEMO_COUNTY, root.id);
    for (name, kind) in [
        ("区民政局", OrgKind::CivilAffairs),
        ("区城乡社区建设领导小组", OrgKind::LeadingGroup),
        ("区财政局", OrgKind::Finance),
        ("区卫生健康局", OrgKind::Department),
        ("区市场监督管理局", OrgKind::Department),
        ("示范街道", OrgKind::Street),
    ] {
        ids.insert(name, insert_org(&txn, c, Some(root.id), kind, name).await?.id);
    }
    let street = ids["示范街道"];
    for name in ["幸福社区", "和谐社区"] {
        ids.insert(name, insert_org(&txn, c, Some(street), OrgKind::Community, name).await?.id);
    }
    for (username, display, role, org) in DEMO_USERS {
        let u = Username::parse(username).map_err(AppError::internal)?;
        insert_user(&txn, c, ids[org], &u, display, *role, &hash).await?;
    }
    // The city after the county, so that the county keeps the id API.md's examples use.
    let city_admin = Username::parse("shi-admin").map_err(AppError::internal)?;
    let (city, city_root, _) = create_jurisdiction(&txn, DEMO_CITY, Level::City, None, &city_admin, &hash).await?;
    entity::county::Entity::update_many()
        .col_expr(entity::county::Column::ParentId, sea_orm::sea_query::Expr::value(city.id))
        .filter(entity::county::Column::Id.eq(c))
        .exec(&txn)
        .await?;
    ids.insert(DEMO_CITY, city_root.id);
    for (name, kind) in [("市民政局", OrgKind::CivilAffairs), ("市城乡社区治理领导小组", OrgKind::LeadingGroup)] {
        ids.insert(name, insert_org(&txn, city.id, Some(city_root.id), kind, name).await?.id);
    }
    for (username, display, role, org) in DEMO_CITY_USERS {
        let u = Username::parse(username).map_err(AppError::internal)?;
        insert_user(&txn, city.id, ids[org], &u, display, *role, &hash).await?;
    }
    let reviewer = crate::platform::db::in_county::<entity::user::Entity>(c)
        .filter(entity::user::Column::Username.eq("minzheng"))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal("demo reviewer missing"))?;
    let caller = Caller {
        user_id: reviewer.id,
        username: reviewer.username,
        display_name: reviewer.display_name,
        role: Role::Reviewer,
        org_id: reviewer.org_id,
        county_id: c,
        home_county_id: c,
        home_role: Role::Reviewer,
        session_id: 0,
    };
    crate::lists::demo::load(&txn, &caller).await?;
    txn.commit(vec![crate::platform::audit::Entry::new(c, None, "county.load_demo", "county", c).after(&county)]).await?;
    tracing::info!("demo county {DEMO_COUNTY} loaded; every demo user's password is {DEMO_PASSWORD}");
    Ok(true)
}

async fn demo_caller(db: &DatabaseConnection, username: &str) -> AppResult<Caller> {
    let u = entity::user::Entity::find()
        .filter(entity::user::Column::Username.eq(username))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(format!("demo user {username} missing")))?;
    let role = Role::parse(&u.role).unwrap_or(Role::Community);
    Ok(Caller {
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        role,
        org_id: u.org_id,
        county_id: u.county_id,
        home_county_id: u.county_id,
        home_role: role,
        session_id: 0,
    })
}

/// The Yingjiang cases of seed 004, run through the real procedure: budgets; a monthly
/// subsidy for food-safety information reporting in both communities; a short-term
/// 3,000-yuan enterprise survey; payments made, some confirmed. Loaded by
/// `serve --demo` after the county (the tests start from the county alone).
pub async fn load_cases(db: &DatabaseConnection, templates: &[crate::contracts::template::Template]) -> AppResult<()> {
    use chrono::{Datelike, NaiveDate, Utc};
    use std::collections::HashMap;

    use crate::admission::store::{self as admissions, Draft, StepInput};
    use crate::admission::{rules::Application, Action};
    use crate::contracts::store::{self as contracts, NewContract};
    use crate::funds::store as funds;
    use crate::money::Money;

    let (finance, reviewer, approver) = (demo_caller(db, "caizheng").await?, demo_caller(db, "minzheng").await?, demo_caller(db, "lingdao").await?);
    let (dept, xingfu, hexie) = (demo_caller(db, "shijian").await?, demo_caller(db, "xingfu").await?, demo_caller(db, "hexie").await?);
    let health = demo_caller(db, "weijian").await?;
    let today = Utc::now().date_naive();
    let year = today.year();
    let date = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).expect("date");
    funds::set_budget(db, &finance, dept.org_id, year, Money::from_yuan(300_000), "").await?;
    funds::set_budget(db, &finance, health.org_id, year, Money::from_yuan(200_000), "").await?;

    let admit = |title: &'static str, description: &'static str, basis: &'static str, start: NaiveDate, end: NaiveDate, budget: i64, targets: Vec<i64>| {
        let dept = dept.clone();
        let (reviewer, approver) = (reviewer.clone(), approver.clone());
        async move {
            let d = Draft {
                app: Application {
                    title: title.into(),
                    description: description.into(),
                    basis: basis.into(),
                    period_start: Some(start),
                    period_end: Some(end),
                    budget: Some(Money::from_yuan(budget)),
                    work_plan: "按合同约定开展，部门每月指导".into(),
                    staffing: "每社区网格员2名".into(),
                    ..Default::default()
                },
                target_community_ids: targets,
                emergency: false,
            };
            let a = admissions::create(db, &dept, &d).await?;
            admissions::step(db, &dept, a.id, Action::Submit, &StepInput::default()).await?;
            let review = StepInput { comment: "依据充分，经费落实，同意准入".into(), approve: Some(true), opinions: vec![] };
            admissions::step(db, &reviewer, a.id, Action::Review, &review).await?;
            let decide = StepInput { comment: "同意".into(), ..Default::default() };
            admissions::step(db, &approver, a.id, Action::Decide { approve: true }, &decide).await?;
            Ok::<_, AppError>(a.id)
        }
    };
    let monthly = admit(
        "小餐饮食品安全隐患信息报告",
        "每月入户了解辖区小餐饮经营情况，发现隐患及时报告市场监管所，不承担执法",
        "示范区市场监管局〔2026〕3号",
        date(1, 1),
        date(12, 31),
        14_400,
        vec![xingfu.org_id, hexie.org_id],
    )
    .await?;
    // The survey runs in March–April, paid at once below; before March (January and
    // February, when nothing of March is due yet) it runs in the year's first two months,
    // so that the demo loads on any day of the year.
    let (s_start, s_end, s_delivery) = if today < date(3, 1) { (date(1, 1), date(2, 28), date(2, 20)) } else { (date(3, 1), date(4, 30), date(4, 25)) };
    let survey = admit("辖区企业基本情况摸底", "入户登记辖区企业名称、地址、联系人", "示范区市场监管局〔2026〕12号", s_start, s_end, 3_000, vec![hexie.org_id]).await?;

    let sign = |id: i64| {
        let (dept, xingfu, hexie) = (dept.clone(), xingfu.clone(), hexie.clone());
        async move {
            let c = contracts::sign(db, templates, &dept, id).await?;
            let community = if c.community_id == xingfu.org_id { xingfu } else { hexie };
            contracts::sign(db, templates, &community, id).await
        }
    };
    let mut vars = HashMap::new();
    vars.insert("service_content".to_string(), "每月入户了解小餐饮经营情况，发现隐患及时报告".to_string());
    let mut paid_contracts = Vec::new();
    for community in [xingfu.org_id, hexie.org_id] {
        let new = NewContract {
            source: crate::contracts::store::Source::Admission(monthly),
            community_id: community,
            template_id: "monthly-co-management".into(),
            amount: Money::from_yuan(7_200),
            period_start: None,
            period_end: None,
            variables: vars.clone(),
        };
        let c = contracts::draft(db, templates, &dept, new).await?;
        paid_contracts.push(sign(c.id).await?);
    }
    let mut svars = HashMap::new();
    svars.insert("scope".to_string(), "和谐社区辖区全部企业".to_string());
    svars.insert("delivery_date".to_string(), s_delivery.to_string());
    let new = NewContract {
        source: crate::contracts::store::Source::Admission(survey),
        community_id: hexie.org_id,
        template_id: "short-term-task".into(),
        amount: Money::from_yuan(3_000),
        period_start: None,
        period_end: None,
        variables: svars,
    };
    let sc = sign(contracts::draft(db, templates, &dept, new).await?.id).await?;

    // Payments: the monthly subsidies due so far for 幸福社区 (all but the last confirmed),
    // and the survey's advance, delivery and final payment for 和谐社区.
    let xc = &paid_contracts[0];
    let ms = contracts::milestones(db, xc, xc.current_version).await?;
    let due: Vec<_> = ms.iter().filter(|m| m.due <= today).collect();
    for (i, m) in due.iter().enumerate() {
        let key = format!("demo-{}-{}", xc.id, m.id);
        let d = funds::disburse(db, &finance, &key, xc.id, m.id, Money::from_fen(m.amount_fen), None, |d| d.id.to_string()).await?;
        if i + 1 < due.len() {
            let id: i64 = d.body.parse().unwrap_or_default();
            funds::receipt(db, &xingfu, id, None).await?;
        }
    }
    let sms = contracts::milestones(db, &sc, sc.current_version).await?;
    let advance = funds::disburse(db, &finance, "demo-survey-advance", sc.id, sms[0].id, Money::from_fen(sms[0].amount_fen), None, |d| d.id.to_string()).await?;
    funds::receipt(db, &hexie, advance.body.parse().unwrap_or_default(), None).await?;
    let clause = sms[1].clause_id.unwrap_or_default();
    let d = funds::submit_deliverable(db, &hexie, sc.id, clause, "企业摸底汇总表（共86户）及工作说明").await?;
    funds::decide_deliverable(db, &dept, d.id, true, "").await?;
    funds::disburse(db, &finance, "demo-survey-final", sc.id, sms[1].id, Money::from_fen(sms[1].amount_fen), None, |d| d.id.to_string()).await?;
    tracing::info!("demo cases loaded: monthly food-safety reporting and the 3,000-yuan enterprise survey (seed 004)");
    Ok(())
}

/// The rest of the procedure, for `serve --demo` (issue 15): funded assist work (人口监测
/// assigned by 区卫生健康局 to 幸福社区 with its money, signed), a deliverable rejected twice
/// and taken to arbitration, and this half's assessment of the monthly food-safety task
/// recorded by civil affairs and sent to the leading group. Loaded after `load_cases`.
pub async fn load_procedure(db: &DatabaseConnection, templates: &[crate::contracts::template::Template]) -> AppResult<()> {
    use chrono::{Datelike, NaiveDate, Utc};
    use std::collections::HashMap;

    use crate::admission::assist::Assignment;
    use crate::assessment::{store as assessments, Conclusion, Period, View};
    use crate::contracts::store::{self as contracts, NewContract, Source};
    use crate::funds::store as funds;
    use crate::money::Money;

    let (health, xingfu, hexie) = (demo_caller(db, "weijian").await?, demo_caller(db, "xingfu").await?, demo_caller(db, "hexie").await?);
    let (reviewer, dept) = (demo_caller(db, "minzheng").await?, demo_caller(db, "shijian").await?);
    let today = Utc::now().date_naive();
    let year = today.year();
    let end = NaiveDate::from_ymd_opt(year, 12, 31).expect("date");
    let monitoring = crate::lists::store::current_items(db, health.county_id, Some(crate::lists::ListKind::Assist))
        .await?
        .into_iter()
        .find(|i| i.code == "XB-02")
        .ok_or_else(|| AppError::internal("demo assist item XB-02 missing"))?;
    let mut vars = HashMap::new();
    vars.insert("scope".to_string(), "幸福社区辖区出生、死亡、迁移人口信息".to_string());
    vars.insert("delivery_date".to_string(), end.to_string());
    let new = NewContract {
        source: Source::Assist(Assignment { item_id: monitoring.id, guidance: "卫健局每月到社区核对一次".into(), staffing: "社区人口信息员1名".into(), budget: None, budget_reason: String::new() }),
        community_id: xingfu.org_id,
        template_id: "short-term-task".into(),
        amount: Money::from_yuan(1_800),
        period_start: Some(today),
        period_end: Some(end),
        variables: vars,
    };
    let c = contracts::draft(db, templates, &health, new).await?;
    contracts::sign(db, templates, &health, c.id).await?;
    contracts::sign(db, templates, &xingfu, c.id).await?;

    // A clause of 和谐社区's survey rejected twice and taken to civil affairs.
    let cs = contracts::list(db, &hexie).await?;
    if let Some(survey) = cs.iter().find(|c| c.template_id == "short-term-task") {
        let clauses = contracts::clauses(db, survey, survey.current_version).await?;
        if let Some(k) = clauses.iter().filter(|k| k.performance).nth(1).or(clauses.iter().find(|k| k.performance)) {
            let first = funds::submit_deliverable(db, &hexie, survey.id, k.id, "企业名录（初稿）").await?;
            funds::decide_deliverable(db, &dept, first.id, false, "缺少企业联系人").await?;
            let second = funds::submit_deliverable(db, &hexie, survey.id, k.id, "企业名录（补充联系人）").await?;
            funds::decide_deliverable(db, &dept, second.id, false, "格式与部门系统不一致").await?;
            crate::disputes::store::request_arbitration(db, &hexie, second.id, "合同第三条只要求列明企业名称、地址、联系人，未约定格式").await?;
        }
    }

    // This half's assessment of the monthly task, sent up for the leading group to decide.
    let period = Period::of(today);
    let all = crate::admission::store::list(db, &reviewer).await?;
    if let Some(a) = all.iter().find(|a| a.title == "小餐饮食品安全隐患信息报告") {
        let views = vec![
            View { community_id: xingfu.org_id, residents: Some(crate::evaluation::Rating::Satisfied), deputies: "隐患报告及时，建议保留".into() },
            View { community_id: hexie.org_id, residents: Some(crate::evaluation::Rating::BasicallySatisfied), deputies: "报表可再简化".into() },
        ];
        let r = assessments::Record { effect: "两个社区按月报告小餐饮隐患，市场监管所据此检查".into(), views, conclusion: Some(Conclusion::Improve), comment: "简化月报表格后保留".into() };
        assessments::record(db, &reviewer, period, a.id, &r).await?;
        assessments::send(db, &reviewer, period, a.id).await?;
    }
    // The city publishes a negative item of its own (its counties inherit it), and the
    // county files its lists with the city (its decided admissions were filed as decided).
    let city_reviewer = demo_caller(db, "shi-minzheng").await?;
    let fundraising = crate::lists::ItemFields {
        code: "SJ-01".into(),
        title: "摊派募捐".into(),
        description: "向社区下达募捐、捐款指标或摊派费用".into(),
        basis: "示范市城乡社区工作负面清单".into(),
        category: "摊派募捐".into(),
        keywords: vec!["摊派".into(), "募捐指标".into(), "捐款指标".into()],
        negative_reason: "募捐应当自愿，不得向社区下达指标或摊派（示范市城乡社区工作负面清单）".into(),
        ..Default::default()
    };
    let basis = crate::lists::ChangeBasis { reason: "发布本市城乡社区工作负面清单".into(), document: format!("示范市城乡社区治理领导小组〔{year}〕2号") };
    crate::lists::store::add_item(db, &city_reviewer, crate::lists::ListKind::Negative, fundraising, &basis).await?;
    // 食品安全协管 gets a funding standard: assignments without a budget get 200 a month.
    let food = crate::lists::store::current_items(db, reviewer.county_id, Some(crate::lists::ListKind::Assist))
        .await?
        .into_iter()
        .find(|i| i.code == "XB-01")
        .ok_or_else(|| AppError::internal("demo assist item XB-01 missing"))?;
    let standard = crate::lists::funding::Funding { amount: Money::from_yuan(200), unit: crate::lists::funding::FundingUnit::Month };
    let basis = crate::lists::ChangeBasis { reason: "核定食品安全协管工作经费".into(), document: format!("示范区财政局〔{year}〕3号") };
    crate::lists::store::set_funding(db, &reviewer, food.id, Some(standard), &basis).await?;
    crate::region::store::file_lists(db, &reviewer).await?;
    tracing::info!("demo procedure loaded: funded assist work, an arbitration, this half's assessment, the city's baseline item and the county's filing");
    Ok(())
}
