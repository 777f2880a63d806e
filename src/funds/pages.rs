//! Pages of funds: the finance bureau's overview (budgets, a chart, disputes, payments
//! unconfirmed too long, admitted tasks without money), the community's view of what it
//! is owed and has received, and the money actions of the contract page.
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use chrono::{Datelike, Utc};
use serde::Deserialize;

use super::store::{self, DepartmentFunds};
use crate::contracts::pages::detail_render;
use crate::money::Money;
use crate::orgs::{store as orgs, OrgKind, Role};
use crate::platform::auth::{Caller, ALL_ROLES};
use crate::platform::error::AppError;
use crate::web::{self, form_errors, render, Layout, PageResult};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    let everyone = Router::new().route("/funds", get(overview));
    let finance = Router::new().route("/contracts/{id}/pay", post(pay)).route("/disbursements/{id}/answer", post(answer)).route("/funds/budget", post(set_budget));
    let community = Router::new().route("/disbursements/{id}/receipt", post(receipt)).route(
        "/contracts/{id}/deliverables",
        post(submit_deliverable).layer(axum::extract::DefaultBodyLimit::max(super::photo::MAX_PHOTO + 256 * 1024)),
    );
    let everyone = everyone.route("/attachments/{id}", get(download));
    let department = Router::new().route("/deliverables/{id}/decide", post(decide));
    web::open(ALL_ROLES, everyone)
        .merge(web::open(&[Role::Finance], finance))
        .merge(web::open(&[Role::Community], community))
        .merge(web::open(&[Role::Department], department))
}

/// One bar of the chart: widths in per mille of the largest budget.
pub struct Bar {
    pub f: DepartmentFunds,
    pub budget_w: i64,
    pub committed_w: i64,
    pub paid_w: i64,
    pub confirmed_w: i64,
}

#[derive(Template)]
#[template(path = "funds/overview.html")]
struct OverviewPage {
    layout: Layout,
    year: i32,
    days: i64,
    bars: Vec<Bar>,
    o: store::Overview,
    departments: Vec<(i64, String)>,
    is_finance: bool,
    is_community: bool,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct OverviewQuery {
    year: Option<i32>,
    days: Option<i64>,
    done: Option<String>,
}

async fn overview_render(st: &AppState, caller: &Caller, q: OverviewQuery, status: StatusCode, errors: Vec<String>) -> PageResult {
    let year = q.year.unwrap_or_else(|| Utc::now().year());
    let days = q.days.unwrap_or(7).clamp(1, 365);
    let years = store::contract_years(&st.db, caller.county_id).await?;
    let mut depts = if caller.role == Role::Community { vec![] } else { store::department_funds(&st.db, caller.county_id, year, &years).await? };
    if caller.role == Role::Department {
        depts.retain(|d| d.department_id == caller.org_id);
    }
    let max = depts.iter().map(|d| d.budget.fen()).max().unwrap_or(0).max(1);
    let w = |m: Money| m.fen() * 1000 / max;
    let bars = depts
        .into_iter()
        .map(|f| Bar { budget_w: w(f.budget), committed_w: w(f.committed), paid_w: w(f.disbursed), confirmed_w: w(f.confirmed), f })
        .collect();
    // A community has no budget years to read by: what it is owed, from any year, unless it
    // asks for one year.
    let of_year = if caller.role == Role::Community && q.year.is_none() { None } else { Some((year, &years)) };
    let overview = store::overview(&st.db, caller, days, of_year).await?;
    let departments = orgs::list_orgs(&st.db, caller.county_id)
        .await?
        .into_iter()
        .filter(|o| OrgKind::name_assigns_work(&o.kind))
        .map(|o| (o.id, o.name))
        .collect();
    let notice = match q.done.as_deref() {
        Some("budget") => Some("预算已保存"),
        _ => None,
    };
    let title = if caller.role == Role::Community { "本社区经费" } else { "经费总览" };
    let page = OverviewPage {
        layout: Layout::for_caller(st, caller, title).await?,
        year,
        days,
        bars,
        o: overview,
        departments,
        is_finance: caller.role == Role::Finance,
        is_community: caller.role == Role::Community,
        errors,
        notice,
    };
    render(status, &page)
}

async fn overview(State(st): State<AppState>, caller: Caller, Query(q): Query<OverviewQuery>) -> PageResult {
    overview_render(&st, &caller, q, StatusCode::OK, vec![]).await
}

#[derive(Deserialize)]
struct BudgetForm {
    department_id: i64,
    year: i32,
    amount: String,
    #[serde(default)]
    reason: String,
}

async fn set_budget(State(st): State<AppState>, caller: Caller, Form(f): Form<BudgetForm>) -> PageResult {
    let r = match Money::parse_amount(&f.amount) {
        Ok(a) => store::set_budget(&st.db, &caller, f.department_id, f.year, a, &f.reason).await.map(|_| ()),
        Err(e) => Err(AppError::invalid("amount", e.to_string())),
    };
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/funds?year={}&done=budget", f.year)).into_response()),
        Err(e) => {
            let q = OverviewQuery { year: Some(f.year), days: None, done: None };
            overview_render(&st, &caller, q, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?).await
        }
    }
}

#[derive(Deserialize)]
struct PayForm {
    milestone_id: i64,
    amount: String,
    key: String,
    #[serde(default)]
    voucher: String,
    /// "1" once the clerk has seen the confirmation page.
    #[serde(default)]
    confirmed: String,
}

/// The page that asks before money leaves: what is paid, to whom, under which contract
/// (issue 29: no money action asked for confirmation).
#[derive(Template)]
#[template(path = "funds/confirm_pay.html")]
struct ConfirmPayPage {
    layout: Layout,
    contract_id: i64,
    number: String,
    community: String,
    seq: i32,
    due: chrono::NaiveDate,
    amount: Money,
    milestone_id: i64,
    key: String,
    voucher: String,
}

/// Pays from the contract page; the form carries its own idempotency key, so pressing
/// the button twice or resubmitting the page pays once.
async fn pay(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<PayForm>) -> PageResult {
    if f.confirmed != "1" {
        // First the question; the same key goes with the answer, so it still pays once.
        let amount = match Money::parse_amount(&f.amount) {
            Ok(a) => a,
            Err(e) => return detail_render(&st, &caller, id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(AppError::invalid("amount", e.to_string()))?, None).await,
        };
        let c = crate::contracts::store::find(&st.db, &caller, id).await?;
        let m = crate::platform::db::by_id_in_county::<entity::contract_milestone::Entity>(caller.county_id, f.milestone_id)
            .one(&st.db)
            .await?
            .filter(|m| m.contract_id == c.id)
            .ok_or_else(|| AppError::invalid("milestone_id", "没有这一期"))?;
        let community = orgs::find_org(&st.db, caller.county_id, c.community_id).await?.name;
        let page = ConfirmPayPage {
            layout: Layout::for_caller(&st, &caller, "确认拨付").await?,
            contract_id: c.id,
            number: c.number,
            community,
            seq: m.seq,
            due: m.due,
            amount,
            milestone_id: m.id,
            key: f.key,
            voucher: f.voucher,
        };
        return render(StatusCode::OK, &page);
    }
    let r = match Money::parse_amount(&f.amount) {
        Ok(a) => store::disburse(&st.db, &caller, &f.key, id, f.milestone_id, a, Some(f.voucher.as_str()), |d| d.id.to_string()).await.map(|_| ()),
        Err(e) => Err(AppError::invalid("amount", e.to_string())),
    };
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/contracts/{id}?done=paid")).into_response()),
        Err(e) => detail_render(&st, &caller, id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

#[derive(Deserialize)]
struct ReceiptForm {
    action: String,
    #[serde(default)]
    reason: String,
    /// `home`: back to the home page's list of payments to confirm.
    #[serde(default)]
    back: String,
}

async fn receipt(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<ReceiptForm>) -> PageResult {
    let d = store::find_disbursement(&st.db, &caller, id).await?;
    let dispute = (f.action == "dispute").then_some(f.reason.as_str());
    let done = if dispute.is_some() { "disputed" } else { "receipt" };
    match store::receipt(&st.db, &caller, id, dispute).await {
        Ok(_) if f.back == "home" => Ok(Redirect::to(&format!("/?done={done}")).into_response()),
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{}?done={done}#disbursement-{id}", d.contract_id)).into_response()),
        Err(e) => detail_render(&st, &caller, d.contract_id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

#[derive(Deserialize)]
struct AnswerForm {
    #[serde(default)]
    answer: String,
}

/// The finance bureau answers a disputed payment from the contract page.
async fn answer(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<AnswerForm>) -> PageResult {
    let d = store::find_disbursement(&st.db, &caller, id).await?;
    match store::answer_dispute(&st.db, &caller, id, &f.answer).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{}?done=answered#disbursement-{id}", d.contract_id)).into_response()),
        Err(e) => detail_render(&st, &caller, d.contract_id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

/// Downloads an attachment (those who may see its contract).
async fn download(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> PageResult {
    let a = store::find_attachment(&st.db, &caller, id).await?;
    Ok(crate::funds::api::file_response(a))
}

async fn submit_deliverable(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, mut mp: Multipart) -> PageResult {
    let (mut clause_id, mut summary, mut files, mut unreadable) = (0i64, String::new(), Vec::new(), false);
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => match field.name().unwrap_or("") {
                "clause_id" => clause_id = field.text().await.unwrap_or_default().trim().parse().unwrap_or(0),
                "summary" => summary = field.text().await.unwrap_or_default(),
                // "photo": the camera input on a phone; "file": any document.
                "file" | "photo" => {
                    let name = field.file_name().unwrap_or("").to_string();
                    match field.bytes().await {
                        Ok(data) if !name.is_empty() && !data.is_empty() => files.push((name, data.to_vec())),
                        Ok(_) => {}
                        Err(_) => unreadable = true,
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                unreadable = true;
                break;
            }
        }
    }
    let r = async {
        // The file is checked before anything is saved: no deliverable without its file.
        store::may_deliver(&st.db, &caller, id).await?;
        if unreadable {
            return Err(AppError::invalid("file", format!("附件无法读取，请重新选择。{}", store::TOO_LARGE)));
        }
        let mut uploads = Vec::new();
        for (name, data) in files {
            uploads.push(store::prepare_upload(&name, data).await?);
        }
        let d = store::submit_deliverable(&st.db, &caller, id, clause_id, &summary).await?;
        for upload in uploads {
            store::attach(&st.db, &caller, d.id, upload).await?;
        }
        Ok::<_, AppError>(())
    }
    .await;
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/contracts/{id}?done=delivered")).into_response()),
        Err(e) => detail_render(&st, &caller, id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

#[derive(Deserialize)]
struct DecideForm {
    action: String,
    #[serde(default)]
    comment: String,
}

async fn decide(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<DecideForm>) -> PageResult {
    let (_, c) = store::find_deliverable(&st.db, &caller, id).await?;
    match store::decide_deliverable(&st.db, &caller, id, f.action == "accept", &f.comment).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{}?done=decided", c.id)).into_response()),
        Err(e) => detail_render(&st, &caller, c.id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}
