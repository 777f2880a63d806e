//! Pages of admission: the application form with its rule checks shown before
//! submitting, each step of the procedure per role, the approval document, the
//! half-year assessment, refusals and reports, notices.
use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::api::{self, AdmissionOut, ApplicationIn, NoticeOut, ReportOut};
use super::rules::Finding;
use super::store::{self, NewReport, Opinion, StepInput, ViolationCount};
use super::{Action, Status};
use crate::platform::page::{ListFilter, PageQuery};
use crate::lists::{store as lists, ListKind};
use crate::orgs::{store as orgs, OrgKind, Role};
use crate::platform::auth::{Caller, ALL_ROLES};
use crate::platform::error::AppError;
use crate::web::{self, form_errors, render, Layout, PageError, PageResult};
use crate::AppState;

pub fn public_routes() -> Router<AppState> {
    Router::new().route("/public/{county_id}/notices", get(public_notices)).merge(super::public::page_routes())
}

pub fn routes() -> Router<AppState> {
    let everyone = Router::new()
        .route("/admissions", get(list_page))
        .route("/admissions/{id}", get(detail_page))
        .route("/admissions/{id}/document", get(document_page))
        .route("/admissions/{id}/document.pdf", get(document_pdf))
        .route("/reports", get(reports_page));
    // The roles that take a step of the procedure; the store checks which step is whose.
    // Admin, finance, community and the read-only supervisor post nothing here.
    let procedure = Router::new().route("/admissions/{id}/step", post(step_submit));
    let reviewer = Router::new()
        .route("/admissions/{id}/findings", post(finding_submit))
        .route("/reports/{id}/handle", post(handle_submit))
        .route("/notices", post(notice_submit));
    let department = Router::new()
        .route("/admissions/new", get(new_form).post(form_submit))
        .route("/admissions/precheck", post(live_precheck))
        .route("/admissions/{id}/edit", get(edit_form).post(edit_submit));
    let community = Router::new().route("/reports/new", post(report_submit));
    web::open(ALL_ROLES, everyone)
        .merge(web::open(&[Role::Department, Role::Reviewer, Role::Approver], procedure))
        .merge(web::open(&[Role::Reviewer], reviewer))
        .merge(web::open(&[Role::Department], department))
        .merge(web::open(&[Role::Community], community))
}


#[derive(Template)]
#[template(path = "admissions/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<AdmissionOut>,
    role: Role,
    filter: ListFilter,
    pager: web::Pager,
}

impl ListPage {
    fn can_apply(&self) -> bool {
        self.role == Role::Department
    }
    fn sees_assessment(&self) -> bool {
        !matches!(self.role, Role::Department | Role::Community)
    }
    fn statuses(&self) -> &'static [Status] {
        &Status::ALL
    }
    fn status_is(&self, s: &str) -> bool {
        self.filter.status.as_deref() == Some(s)
    }
}

async fn list_page(State(st): State<AppState>, caller: Caller, Query(f): Query<ListFilter>, Query(p): Query<PageQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let page = store::page(&st.db, &caller, &f, p.parse()?).await?;
    let pager = web::Pager::new("/admissions", raw.as_deref(), page.next_cursor.as_deref());
    let rows = api::admissions_out(&st.db, caller.county_id, page.items, false).await?;
    let title = if caller.role == Role::Community { "进入本社区的准入事项" } else { "准入事项" };
    let page = ListPage { layout: Layout::for_caller(&st, &caller, title).await?, rows, role: caller.role, filter: f, pager };
    render(StatusCode::OK, &page)
}

/// The application form as the page posts it (checkboxes, a list of communities).
#[derive(Deserialize, Default, Clone)]
struct AppForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    work_plan: String,
    #[serde(default)]
    staffing: String,
    #[serde(default)]
    period_start: String,
    #[serde(default)]
    period_end: String,
    #[serde(default)]
    budget: String,
    emergency: Option<String>,
    needs_professional_qualification: Option<String>,
    needs_enforcement_authority: Option<String>,
    #[serde(default)]
    list_item_id: String,
    #[serde(default)]
    target_community_ids: Vec<i64>,
    #[serde(default)]
    action: String,
}

impl AppForm {
    fn to_api(&self) -> ApplicationIn {
        ApplicationIn {
            title: self.title.clone(),
            description: self.description.clone(),
            basis: self.basis.clone(),
            work_plan: self.work_plan.clone(),
            target_community_ids: self.target_community_ids.clone(),
            period_start: Some(self.period_start.clone()),
            period_end: Some(self.period_end.clone()),
            staffing: self.staffing.clone(),
            budget: Some(serde_json::Value::String(self.budget.clone())),
            emergency: self.emergency.is_some(),
            needs_professional_qualification: self.needs_professional_qualification.is_some(),
            needs_enforcement_authority: self.needs_enforcement_authority.is_some(),
            list_item_id: self.list_item_id.trim().parse().ok(),
        }
    }

    fn from_out(a: &AdmissionOut) -> AppForm {
        AppForm {
            title: a.title.clone(),
            description: a.description.clone(),
            basis: a.basis.clone(),
            work_plan: a.work_plan.clone(),
            staffing: a.staffing.clone(),
            period_start: a.period_start.map(|d| d.to_string()).unwrap_or_default(),
            period_end: a.period_end.map(|d| d.to_string()).unwrap_or_default(),
            budget: a.budget.map(|m| m.to_string()).unwrap_or_default(),
            emergency: a.emergency.then(|| "on".into()),
            needs_professional_qualification: a.needs_professional_qualification.then(|| "on".into()),
            needs_enforcement_authority: a.needs_enforcement_authority.then(|| "on".into()),
            list_item_id: a.list_item_id.map(|i| i.to_string()).unwrap_or_default(),
            target_community_ids: a.target_community_ids.clone(),
            action: String::new(),
        }
    }
}

struct Choice {
    id: i64,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "admissions/form.html")]
struct FormPage {
    layout: Layout,
    action_url: String,
    f: AppForm,
    communities: Vec<Choice>,
    items: Vec<Choice>,
    findings: Option<Vec<Finding>>,
    errors: Vec<String>,
}

impl FormPage {
    fn blocked(&self) -> bool {
        self.findings.as_ref().is_some_and(|f| f.iter().any(|x| x.blocking))
    }
}

async fn form_render(
    st: &AppState,
    caller: &Caller,
    action_url: String,
    f: AppForm,
    findings: Option<Vec<Finding>>,
    errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let orgs = orgs::list_orgs(&st.db, caller.county_id).await?;
    let communities = orgs
        .iter()
        .filter(|o| o.kind == OrgKind::Community.as_str())
        .map(|o| Choice { id: o.id, label: o.name.clone(), checked: f.target_community_ids.contains(&o.id) })
        .collect();
    let chosen: Option<i64> = f.list_item_id.trim().parse().ok();
    let items = lists::current_items(&st.db, caller.county_id, None)
        .await?
        .iter()
        .map(|m| Choice {
            id: m.id,
            label: format!("{}·{} {}", ListKind::parse(&m.kind).map(|k| k.short_label()).unwrap_or(""), m.code, m.title),
            checked: Some(m.id) == chosen,
        })
        .collect();
    let title = if action_url.ends_with("/edit") { "修改准入申请" } else { "新建准入申请" };
    let page = FormPage { layout: Layout::for_caller(st, caller, title).await?, action_url, f, communities, items, findings, errors };
    render(status, &page)
}

async fn new_form(State(st): State<AppState>, caller: Caller) -> PageResult {
    form_render(&st, &caller, "/admissions/new".into(), AppForm::default(), None, vec![], StatusCode::OK).await
}

async fn edit_form(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> PageResult {
    let a = api::admission_out(&st, caller.county_id, store::find(&st.db, &caller, id).await?).await?;
    form_render(&st, &caller, format!("/admissions/{id}/edit"), AppForm::from_out(&a), None, vec![], StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "admissions/findings.html")]
struct FindingsFragment {
    findings: Vec<Finding>,
}

/// The form's findings as the department types (the page script posts the form here):
/// an HTML fragment; incomplete input shows what can be checked so far.
async fn live_precheck(State(st): State<AppState>, caller: Caller, Form(f): Form<AppForm>) -> PageResult {
    let Ok(draft) = f.to_api().parse() else {
        return Ok((StatusCode::NO_CONTENT, ()).into_response());
    };
    let findings = store::findings(&st.db, caller.county_id, &draft.app, None).await?;
    render(StatusCode::OK, &FindingsFragment { findings })
}

#[derive(Deserialize)]
struct FindingForm {
    key: String,
    decision: String,
    #[serde(default)]
    reason: String,
}

/// The reviewer confirms or overrides a doubtful finding.
async fn finding_submit(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<FindingForm>) -> PageResult {
    let result = match super::rules::Decision::parse(&f.decision) {
        Some(d) => store::decide_finding(&st.db, &caller, id, &f.key, d, &f.reason).await.map(|_| ()),
        None => Err(crate::platform::error::AppError::invalid("decision", "请选择确认或推翻")),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/admissions/{id}?done=decided")).into_response()),
        Err(e) => detail_render(&st, &caller, id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

/// Check (show the findings), save the draft, or save and submit.
async fn save(st: &AppState, caller: &Caller, existing: Option<i64>, f: AppForm) -> PageResult {
    let url = existing.map(|id| format!("/admissions/{id}/edit")).unwrap_or_else(|| "/admissions/new".into());
    let draft = match f.to_api().parse() {
        Ok(d) => d,
        Err(e) => return form_render(st, caller, url, f, None, form_errors(e)?, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    if f.action == "precheck" {
        if let Err(e) = store::check_draft(&st.db, caller.county_id, &draft).await {
            return form_render(st, caller, url, f, None, form_errors(e)?, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let findings = store::findings(&st.db, caller.county_id, &draft.app, existing).await?;
        return form_render(st, caller, url, f, Some(findings), vec![], StatusCode::OK).await;
    }
    let saved = match existing {
        Some(id) => store::update(&st.db, caller, id, &draft).await,
        None => store::create(&st.db, caller, &draft).await,
    };
    let m = match saved {
        Ok(m) => m,
        Err(e) => return form_render(st, caller, url, f, None, form_errors(e)?, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    if f.action == "submit" {
        return step_and_show(st, caller, m.id, Action::Submit, StepInput::default()).await;
    }
    Ok(Redirect::to(&format!("/admissions/{}?done=saved", m.id)).into_response())
}

async fn form_submit(State(st): State<AppState>, caller: Caller, Form(f): Form<AppForm>) -> PageResult {
    save(&st, &caller, None, f).await
}

async fn edit_submit(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<AppForm>) -> PageResult {
    save(&st, &caller, Some(id), f).await
}

#[derive(Template)]
#[template(path = "admissions/detail.html")]
struct DetailPage {
    layout: Layout,
    a: AdmissionOut,
    role: Role,
    own: bool,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

impl DetailPage {
    fn is(&self, s: &str) -> bool {
        self.a.status.as_str() == s
    }
    fn can_edit(&self) -> bool {
        self.own && self.is("draft")
    }
    fn awaiting(&self) -> Vec<&Finding> {
        let mut seen = Vec::new();
        self.a.findings().iter().filter(|f| f.awaits_decision() && !seen.contains(&f.key) && { seen.push(f.key.clone()); true }).collect()
    }
    fn overridden(&self) -> Vec<&Finding> {
        self.a.findings().iter().filter(|f| f.decision == Some(super::rules::Decision::Overridden)).collect()
    }
    fn can_decide_findings(&self) -> bool {
        self.role == Role::Reviewer
            && (self.is("submitted") || self.is("entered_pending_approval") || self.is("reviewed"))
            && !self.awaiting().is_empty()
    }
    fn can_review(&self) -> bool {
        self.role == Role::Reviewer && (self.is("submitted") || self.is("entered_pending_approval"))
    }
    fn can_decide(&self) -> bool {
        self.role == Role::Approver && self.is("reviewed")
    }
    fn can_contract(&self) -> bool {
        self.own && (self.is("admitted") || self.is("in_progress") || (self.a.in_communities && self.a.emergency))
    }
    fn can_start(&self) -> bool {
        self.own && self.is("admitted")
    }
    fn can_complete(&self) -> bool {
        self.own && self.is("in_progress")
    }
    fn can_revoke(&self) -> bool {
        self.role == Role::Reviewer && (self.is("admitted") || self.is("in_progress") || self.is("completed"))
    }
    fn has_document(&self) -> bool {
        self.a.approval_number.is_some()
    }
    fn target_label(s: &str) -> &'static str {
        crate::lifecycle::TargetStatus::parse(s).map_or("未知", |t| t.label())
    }
}

async fn detail_render(
    st: &AppState,
    caller: &Caller,
    id: i64,
    status: StatusCode,
    errors: Vec<String>,
    notice: Option<&'static str>,
) -> PageResult {
    let a = api::admission_out(st, caller.county_id, store::find(&st.db, caller, id).await?).await?;
    let page = DetailPage {
        layout: Layout::for_caller(st, caller, a.title.clone()).await?,
        own: caller.role == Role::Department && a.department_id == caller.org_id,
        role: caller.role,
        a,
        errors,
        notice,
    };
    render(status, &page)
}


async fn detail_page(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Query(q): Query<web::DoneQuery>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("saved") => Some("草稿已保存"),
        Some("step") => Some("已办理"),
        Some("decided") => Some("筛查结论已认定"),
        _ => None,
    };
    detail_render(&st, &caller, id, StatusCode::OK, vec![], notice).await
}

async fn step_and_show(st: &AppState, caller: &Caller, id: i64, action: Action, input: StepInput) -> PageResult {
    match store::step(&st.db, caller, id, action, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/admissions/{id}?done=step")).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            detail_render(st, caller, id, StatusCode::UNPROCESSABLE_ENTITY, errors, None).await
        }
    }
}

#[derive(Deserialize)]
struct StepForm {
    action: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    opinion: String,
    #[serde(default)]
    opinion_body: Vec<String>,
    #[serde(default)]
    opinion_text: Vec<String>,
}

async fn step_submit(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<StepForm>) -> PageResult {
    let action = match f.action.as_str() {
        "submit" => Action::Submit,
        "review" => Action::Review,
        "approve" => Action::Decide { approve: true },
        "reject" => Action::Decide { approve: false },
        "start" => Action::Start,
        "complete" => Action::Complete,
        "revoke" => Action::Revoke,
        _ => return Err(PageError(AppError::invalid("action", "未知操作"))),
    };
    let opinions = f
        .opinion_body
        .iter()
        .zip(f.opinion_text.iter())
        .filter(|(b, _)| !b.trim().is_empty())
        .map(|(b, o)| Opinion { body: b.trim().into(), opinion: o.trim().into() })
        .collect();
    let approve = match f.opinion.as_str() {
        "approve" => Some(true),
        "reject" => Some(false),
        _ => None,
    };
    step_and_show(&st, &caller, id, action, StepInput { comment: f.comment, approve, opinions }).await
}

#[derive(Template)]
#[template(path = "admissions/document.html")]
struct DocumentPage {
    layout: Layout,
    a: AdmissionOut,
    county: String,
    decided_on: String,
}

/// 准入批准文书: the printable approval document of an admitted task.
async fn document_page(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> PageResult {
    let m = store::find(&st.db, &caller, id).await?;
    if m.approval_number.is_none() {
        return Err(PageError(AppError::not_found()));
    }
    let decided_on = m.decided_at.map(|d| d.format("%Y年%m月%d日").to_string()).unwrap_or_default();
    let a = api::admission_out(&st, caller.county_id, m).await?;
    let county = crate::lists::api::county_name(&st, caller.county_id).await?;
    let layout = Layout { title: format!("准入批准文书 {}", a.approval_number.clone().unwrap_or_default()), user: None };
    render(StatusCode::OK, &DocumentPage { layout, a, county, decided_on })
}

async fn document_pdf(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> PageResult {
    Ok(api::document_pdf_response(&st, &caller, id).await?)
}

#[derive(Template)]
#[template(path = "admissions/reports.html")]
struct ReportsPage {
    layout: Layout,
    role: Role,
    reports: Vec<ReportOut>,
    departments: Vec<Choice>,
    /// The assist items in force, for refusing assist work that came without money.
    assist_items: Vec<Choice>,
    summary: Vec<ViolationCount>,
    notices: Vec<NoticeOut>,
    county_id: i64,
    today: String,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

impl ReportsPage {
    fn is_community(&self) -> bool {
        self.role == Role::Community
    }
    fn is_reviewer(&self) -> bool {
        self.role == Role::Reviewer
    }
    fn can_publish(&self) -> bool {
        self.role == Role::Reviewer
    }
}

async fn reports_render(st: &AppState, caller: &Caller, status: StatusCode, errors: Vec<String>, notice: Option<&'static str>) -> PageResult {
    let reports = api::report_outs(st, caller.county_id, store::reports(&st.db, caller).await?).await?;
    let departments = orgs::list_orgs(&st.db, caller.county_id)
        .await?
        .into_iter()
        .filter(|o| !matches!(OrgKind::parse(&o.kind), Some(OrgKind::Community | OrgKind::County)))
        .map(|o| Choice { id: o.id, label: o.name, checked: false })
        .collect();
    let assist_items = lists::current_items(&st.db, caller.county_id, Some(ListKind::Assist))
        .await?
        .into_iter()
        .map(|i| Choice { id: i.id, label: format!("{} {}", i.code, i.title), checked: false })
        .collect();
    let page = ReportsPage {
        layout: Layout::for_caller(st, caller, "擅自下沉报告与通报").await?,
        role: caller.role,
        reports,
        departments,
        assist_items,
        summary: store::violation_counts(&st.db, caller.county_id).await?,
        notices: store::notices(&st.db, caller.county_id).await?.into_iter().map(Into::into).collect(),
        county_id: caller.county_id,
        today: chrono::Utc::now().date_naive().to_string(),
        errors,
        notice,
    };
    render(status, &page)
}

async fn reports_page(State(st): State<AppState>, caller: Caller, Query(q): Query<web::DoneQuery>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("reported") => Some("已报告，民政局将核查处理"),
        Some("handled") => Some("已处理"),
        Some("published") => Some("已发布通报"),
        _ => None,
    };
    reports_render(&st, &caller, StatusCode::OK, vec![], notice).await
}

#[derive(Deserialize)]
struct ReportForm {
    department_id: i64,
    #[serde(default)]
    task: String,
    #[serde(default)]
    occurred_on: String,
    #[serde(default)]
    evidence: String,
    /// Blank: unadmitted work; an assist item: assist work that came without money.
    #[serde(default, deserialize_with = "crate::platform::input::blank_as_none")]
    assist_item_id: Option<i64>,
}

async fn report_submit(State(st): State<AppState>, caller: Caller, Form(f): Form<ReportForm>) -> PageResult {
    let r = match crate::platform::input::parse_date(&f.occurred_on) {
        Ok(occurred_on) => {
            store::file_report(&st.db, &caller, NewReport { department_id: f.department_id, task: f.task, occurred_on, evidence: f.evidence, assist_item_id: f.assist_item_id })
                .await
                .map(|_| ())
        }
        Err(_) => Err(AppError::invalid("occurred_on", "请填写发生日期")),
    };
    match r {
        Ok(()) => Ok(Redirect::to("/reports?done=reported").into_response()),
        Err(e) => reports_render(&st, &caller, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

#[derive(Deserialize)]
struct HandleForm {
    outcome: String,
    #[serde(default)]
    reason: String,
}

async fn handle_submit(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<HandleForm>) -> PageResult {
    match store::handle_report(&st.db, &caller, id, f.outcome == "confirmed", &f.reason).await {
        Ok(_) => Ok(Redirect::to("/reports?done=handled").into_response()),
        Err(e) => reports_render(&st, &caller, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

#[derive(Deserialize)]
struct NoticeForm {
    #[serde(default)]
    title: String,
}

async fn notice_submit(State(st): State<AppState>, caller: Caller, Form(f): Form<NoticeForm>) -> PageResult {
    match store::publish_notice(&st.db, &caller, &f.title).await {
        Ok(_) => Ok(Redirect::to("/reports?done=published").into_response()),
        Err(e) => reports_render(&st, &caller, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

#[derive(Template)]
#[template(path = "admissions/public_notices.html")]
struct PublicNoticesPage {
    layout: Layout,
    county: String,
    county_id: i64,
    notices: Vec<NoticeOut>,
}

async fn public_notices(State(st): State<AppState>, Path(county_id): Path<i64>) -> PageResult {
    let county = crate::lists::api::county_name(&st, county_id).await?;
    let notices = store::notices(&st.db, county_id).await?.into_iter().map(Into::into).collect();
    let layout = Layout { title: format!("{county}通报"), user: None };
    render(StatusCode::OK, &PublicNoticesPage { layout, county, county_id, notices })
}
