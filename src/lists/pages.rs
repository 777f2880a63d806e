//! Pages of the three lists: browse and search (everyone), change, compare and import
//! (reviewer), and the public notice page (no login, fit to print and put on the wall).
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api::{self, ChangeOut, DiffOut, ListItemOut, ListQuery, VersionOut, REVIEWER};
use super::store::{self, ImportSummary};
use super::{ChangeBasis, ItemFields, ItemStatus, ListKind, RowError};
use crate::orgs::Role;
use crate::platform::auth::{Caller, ALL_ROLES};
use crate::platform::error::AppError;
use crate::web::{self, form_errors, render, Layout, PageError, PageResult};
use crate::AppState;

pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/public/{county_id}", get(portal))
        .route("/public/{county_id}/lists", get(public_page))
        .route("/public/{county_id}/lists.xlsx", get(public_xlsx))
        .route("/public/{county_id}/lists.pdf", get(public_pdf))
}

pub fn routes() -> Router<AppState> {
    let everyone = Router::new()
        .route("/lists", get(browse))
        .route("/lists/items/{id}", get(item_page))
        .route("/lists/versions", get(versions_page))
        .route("/lists/diff", get(diff_page))
        .route("/lists/export.xlsx", get(export_xlsx));
    let reviewer = Router::new()
        .route("/lists/new", get(new_form).post(new_submit))
        .route("/lists/items/{id}/adjust", post(adjust_submit))
        .route("/lists/items/{id}/cancel", post(cancel_submit))
        .route("/lists/items/{id}/funding", post(funding_submit))
        .route("/lists/versions/start", post(start_year_submit))
        .route("/lists/import", get(import_form).post(import_submit))
        .layer(DefaultBodyLimit::max(10 * 1024 * 1024));
    web::open(ALL_ROLES, everyone).merge(web::open(REVIEWER, reviewer))
}


pub struct KindTab {
    pub kind: &'static str,
    pub label: &'static str,
    pub active: bool,
}

fn tabs(current: ListKind) -> Vec<KindTab> {
    ListKind::ALL.iter().map(|k| KindTab { kind: k.as_str(), label: k.label(), active: *k == current }).collect()
}

#[derive(Template)]
#[template(path = "lists/browse.html")]
struct BrowsePage {
    layout: Layout,
    tabs: Vec<KindTab>,
    kind: ListKind,
    year: Option<i32>,
    /// Every year with whether it is the one shown, newest first.
    years: Vec<(i32, bool)>,
    is_current: bool,
    q: String,
    items: Vec<ListItemOut>,
    reviewer: bool,
    county_id: i64,
    /// Negative items the levels above publish that the county's version shown does not
    /// hold yet (by title): in force for the screening already.
    above: Vec<(String, String, String)>,
}

#[derive(Deserialize)]
struct BrowseQuery {
    kind: Option<String>,
    year: Option<i32>,
    q: Option<String>,
}

async fn browse(State(st): State<AppState>, caller: Caller, Query(bq): Query<BrowseQuery>) -> PageResult {
    let kind = bq.kind.as_deref().and_then(ListKind::parse).unwrap_or(ListKind::Duty);
    let lq = ListQuery { year: bq.year, q: bq.q.clone() };
    let out = api::load_list(&st, caller.county_id, Some(kind), &lq).await?;
    let years: Vec<i32> = store::versions(&st.db, caller.county_id).await?.iter().map(|v| v.year).rev().collect();
    let mut above: Vec<(String, String, String)> = Vec::new();
    if kind == ListKind::Negative {
        let mut names = std::collections::HashMap::new();
        for m in crate::region::store::inherited_negative(&st.db, caller.county_id).await? {
            if out.items.iter().any(|i| i.title == m.title) || above.iter().any(|(_, t, _)| *t == m.title) {
                continue;
            }
            if !names.contains_key(&m.county_id) {
                names.insert(m.county_id, crate::region::store::jurisdiction(&st.db, m.county_id).await?.name);
            }
            above.push((names[&m.county_id].clone(), m.title.clone(), store::fields_of(&m).keywords.join("、")));
        }
    }
    let page = BrowsePage {
        above,
        layout: Layout::for_caller(&st, &caller, kind.label()).await?,
        tabs: tabs(kind),
        kind,
        is_current: out.year.is_none() || out.year == years.first().copied(),
        year: out.year,
        years: years.iter().map(|y| (*y, Some(*y) == out.year)).collect(),
        q: bq.q.unwrap_or_default(),
        items: out.items,
        reviewer: caller.role == Role::Reviewer,
        county_id: caller.county_id,
    };
    render(StatusCode::OK, &page)
}

/// The item form as the page shows it: keywords as one text, flags as checkboxes.
#[derive(Deserialize, Default)]
struct ItemForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    keywords: String,
    needs_professional_qualification: Option<String>,
    needs_enforcement_authority: Option<String>,
    #[serde(default)]
    negative_reason: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    document: String,
}

impl ItemForm {
    fn fields(&self) -> ItemFields {
        ItemFields {
            code: self.code.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            basis: self.basis.clone(),
            department: self.department.clone(),
            category: self.category.clone(),
            keywords: super::split_keywords(&self.keywords),
            needs_professional_qualification: self.needs_professional_qualification.is_some(),
            needs_enforcement_authority: self.needs_enforcement_authority.is_some(),
            negative_reason: self.negative_reason.clone(),
        }
    }

    fn basis(&self) -> ChangeBasis {
        ChangeBasis { reason: self.reason.clone(), document: self.document.clone() }
    }

    fn from_item(i: &ListItemOut) -> ItemForm {
        ItemForm {
            kind: i.kind.as_str().into(),
            code: i.code.clone(),
            title: i.title.clone(),
            description: i.description.clone(),
            basis: i.basis.clone(),
            department: i.department.clone(),
            category: i.category.clone(),
            keywords: i.keywords.join("、"),
            needs_professional_qualification: i.needs_professional_qualification.then(|| "on".into()),
            needs_enforcement_authority: i.needs_enforcement_authority.then(|| "on".into()),
            negative_reason: i.negative_reason.clone(),
            ..Default::default()
        }
    }
}

#[derive(Template)]
#[template(path = "lists/new.html")]
struct NewPage {
    layout: Layout,
    kinds: Vec<KindTab>,
    f: ItemForm,
    errors: Vec<String>,
}

#[derive(Deserialize)]
struct NewQuery {
    kind: Option<String>,
}

async fn new_form(State(st): State<AppState>, caller: Caller, Query(q): Query<NewQuery>) -> PageResult {
    let kind = q.kind.as_deref().and_then(ListKind::parse).unwrap_or(ListKind::Duty);
    let f = ItemForm { kind: kind.as_str().into(), ..Default::default() };
    let page = NewPage { layout: Layout::for_caller(&st, &caller, "新增清单事项").await?, kinds: tabs(kind), f, errors: vec![] };
    render(StatusCode::OK, &page)
}

async fn new_submit(State(st): State<AppState>, caller: Caller, Form(f): Form<ItemForm>) -> PageResult {
    let result = match ListKind::parse(&f.kind) {
        Some(kind) => store::add_item(&st.db, &caller, kind, f.fields(), &f.basis()).await,
        None => Err(AppError::invalid("kind", "请选择清单")),
    };
    match result {
        Ok(item) => Ok(Redirect::to(&format!("/lists/items/{}?done=add", item.id)).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            let kind = ListKind::parse(&f.kind).unwrap_or(ListKind::Duty);
            let page = NewPage { layout: Layout::for_caller(&st, &caller, "新增清单事项").await?, kinds: tabs(kind), f, errors };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "lists/item.html")]
struct ItemPage {
    layout: Layout,
    item: ListItemOut,
    current: bool,
    history: Vec<ChangeOut>,
    can_change: bool,
    f: ItemForm,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

impl ItemPage {
    fn kind_label(&self) -> &'static str {
        self.item.kind.label()
    }
    fn status_label(&self) -> &'static str {
        self.item.status.label()
    }
}


async fn item_render(
    st: &AppState,
    caller: &Caller,
    id: i64,
    status: StatusCode,
    form: Option<ItemForm>,
    errors: Vec<String>,
    notice: Option<&'static str>,
) -> PageResult {
    let d = api::item_detail(st, caller.county_id, id).await?;
    let can_change = caller.role == Role::Reviewer && d.current && d.item.status == ItemStatus::Active;
    let page = ItemPage {
        layout: Layout::for_caller(st, caller, format!("{} {}", d.item.code, d.item.title)).await?,
        f: form.unwrap_or_else(|| ItemForm::from_item(&d.item)),
        item: d.item,
        current: d.current,
        history: d.history,
        can_change,
        errors,
        notice,
    };
    render(status, &page)
}

async fn item_page(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Query(q): Query<web::DoneQuery>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("add") => Some("已新增事项"),
        Some("adjust") => Some("已调整事项"),
        Some("cancel") => Some("已取消事项，往年版本和本页仍可查阅"),
        Some("funding") => Some("已更新经费标准"),
        _ => None,
    };
    item_render(&st, &caller, id, StatusCode::OK, None, vec![], notice).await
}

async fn adjust_submit(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<ItemForm>) -> PageResult {
    match store::adjust_item(&st.db, &caller, id, f.fields(), &f.basis()).await {
        Ok(_) => Ok(Redirect::to(&format!("/lists/items/{id}?done=adjust")).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            item_render(&st, &caller, id, StatusCode::UNPROCESSABLE_ENTITY, Some(f), errors, None).await
        }
    }
}

#[derive(Deserialize)]
struct FundingForm {
    /// Blank clears the standard.
    #[serde(default)]
    amount: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    document: String,
}

async fn funding_submit(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<FundingForm>) -> PageResult {
    let basis = ChangeBasis { reason: f.reason, document: f.document };
    let funding = match f.amount.trim() {
        "" => Ok(None),
        a => a
            .parse::<crate::money::Money>()
            .map_err(|e| AppError::invalid("amount", e.to_string()))
            .and_then(|amount| {
                let unit = super::funding::FundingUnit::parse(&f.unit).ok_or_else(|| AppError::invalid("unit", "请选择经费标准的单位"))?;
                Ok(Some(super::funding::Funding { amount, unit }))
            }),
    };
    let result = match funding {
        Ok(funding) => store::set_funding(&st.db, &caller, id, funding, &basis).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/lists/items/{id}?done=funding")).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            item_render(&st, &caller, id, StatusCode::UNPROCESSABLE_ENTITY, None, errors, None).await
        }
    }
}

#[derive(Deserialize)]
struct CancelForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    document: String,
}

async fn cancel_submit(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<CancelForm>) -> PageResult {
    let basis = ChangeBasis { reason: f.reason, document: f.document };
    match store::cancel_item(&st.db, &caller, id, &basis).await {
        Ok(_) => Ok(Redirect::to(&format!("/lists/items/{id}?done=cancel")).into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            item_render(&st, &caller, id, StatusCode::UNPROCESSABLE_ENTITY, None, errors, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "lists/versions.html")]
struct VersionsPage {
    layout: Layout,
    versions: Vec<VersionOut>,
    reviewer: bool,
    next_year: i32,
    changes: Vec<ChangeOut>,
    errors: Vec<String>,
}

async fn versions_render(st: &AppState, caller: &Caller, status: StatusCode, errors: Vec<String>) -> PageResult {
    let versions = api::versions_report(st, caller.county_id).await?;
    let next_year = versions.last().map(|v| v.year + 1).unwrap_or_else(|| chrono::Datelike::year(&chrono::Utc::now()));
    let changes = match store::current_version(&st.db, caller.county_id).await? {
        Some(v) => api::change_outs(st, caller.county_id, store::changes_of_version(&st.db, caller.county_id, v.id).await?).await?,
        None => vec![],
    };
    let page = VersionsPage {
        layout: Layout::for_caller(st, caller, "清单年度与变更").await?,
        versions,
        reviewer: caller.role == Role::Reviewer,
        next_year,
        changes,
        errors,
    };
    render(status, &page)
}

async fn versions_page(State(st): State<AppState>, caller: Caller) -> PageResult {
    versions_render(&st, &caller, StatusCode::OK, vec![]).await
}

#[derive(Deserialize)]
struct StartYearForm {
    year: String,
}

async fn start_year_submit(State(st): State<AppState>, caller: Caller, Form(f): Form<StartYearForm>) -> PageResult {
    let result = match f.year.trim().parse::<i32>() {
        Ok(year) => store::start_year(&st.db, &caller, year).await.map(|_| ()),
        Err(_) => Err(AppError::invalid("year", "请填写年度，如2027")),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/lists/versions").into_response()),
        Err(e) => {
            let errors = form_errors(e)?;
            versions_render(&st, &caller, StatusCode::UNPROCESSABLE_ENTITY, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "lists/diff.html")]
struct DiffPage {
    layout: Layout,
    d: DiffOut,
}

#[derive(Deserialize)]
struct DiffForm {
    from: i32,
    to: i32,
}

async fn diff_page(State(st): State<AppState>, caller: Caller, Query(q): Query<DiffForm>) -> PageResult {
    let d = api::diff_years(&st, caller.county_id, q.from, q.to).await?;
    let layout = Layout::for_caller(&st, &caller, format!("{}年与{}年清单对比", q.from, q.to)).await?;
    render(StatusCode::OK, &DiffPage { layout, d })
}

#[derive(Template)]
#[template(path = "lists/import.html")]
struct ImportPage {
    layout: Layout,
    errors: Vec<String>,
    rows: Vec<RowError>,
    summary: Option<ImportSummary>,
}

async fn import_form(State(st): State<AppState>, caller: Caller) -> PageResult {
    let layout = Layout::for_caller(&st, &caller, "从 Excel 导入清单").await?;
    render(StatusCode::OK, &ImportPage { layout, errors: vec![], rows: vec![], summary: None })
}

async fn import_submit(State(st): State<AppState>, caller: Caller, mp: Multipart) -> PageResult {
    let layout = Layout::for_caller(&st, &caller, "从 Excel 导入清单").await?;
    let result = match api::read_upload(mp).await {
        Ok(up) => {
            let dry_run = up.dry_run;
            api::import_upload(&st, &caller, up, dry_run).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(summary) => render(StatusCode::OK, &ImportPage { layout, errors: vec![], rows: vec![], summary: Some(summary) }),
        Err(e) if e.code == "IMPORT_INVALID" => {
            let rows = e.details.iter().filter_map(|d| serde_json::from_value::<RowErrorIn>(d.clone()).ok()).map(Into::into).collect();
            render(StatusCode::UNPROCESSABLE_ENTITY, &ImportPage { layout, errors: vec![e.message], rows, summary: None })
        }
        Err(e) => {
            let errors = form_errors(e)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &ImportPage { layout, errors, rows: vec![], summary: None })
        }
    }
}

#[derive(Deserialize)]
struct RowErrorIn {
    sheet: String,
    row: usize,
    message: String,
}

impl From<RowErrorIn> for RowError {
    fn from(r: RowErrorIn) -> Self {
        RowError { sheet: r.sheet, row: r.row, message: r.message }
    }
}

async fn export_xlsx(State(st): State<AppState>, caller: Caller, Query(q): Query<api::YearQuery>) -> Result<Response, PageError> {
    Ok(api::export_workbook(&st, caller.county_id, q.year, Some(&caller)).await?)
}

async fn public_pdf(State(st): State<AppState>, Path(county_id): Path<i64>) -> Result<Response, PageError> {
    Ok(api::public_pdf_response(&st, county_id).await?)
}

async fn public_xlsx(State(st): State<AppState>, Path(county_id): Path<i64>) -> Result<Response, PageError> {
    Ok(api::export_workbook(&st, county_id, None, None).await?)
}

pub struct PublicSection {
    pub label: &'static str,
    pub items: Vec<ListItemOut>,
}

#[derive(Template)]
#[template(path = "lists/public.html")]
struct PublicPage {
    layout: Layout,
    county: String,
    county_id: i64,
    year: Option<i32>,
    sections: Vec<PublicSection>,
}

#[derive(Template)]
#[template(path = "lists/portal.html")]
struct PortalPage {
    layout: Layout,
    county: String,
    county_id: i64,
}

/// The county's public entry page: what is published, where, and the publication policy
/// (the open data's `publicationPolicy` points here).
async fn portal(State(st): State<AppState>, Path(county_id): Path<i64>) -> PageResult {
    let county = api::county_name(&st, county_id).await?;
    let title = format!("{county}城乡社区工作事项公开");
    render(StatusCode::OK, &PortalPage { layout: Layout { title, user: None }, county, county_id })
}

/// 上墙公示: the county's lists in force, without login, laid out for printing.
async fn public_page(State(st): State<AppState>, Path(county_id): Path<i64>) -> PageResult {
    let county = api::county_name(&st, county_id).await?;
    let year = store::current_version(&st.db, county_id).await?.map(|v| v.year);
    let items = store::current_items(&st.db, county_id, None).await?;
    let sections = ListKind::ALL
        .iter()
        .map(|k| PublicSection {
            label: k.label(),
            items: items.iter().filter(|m| store::kind_of(m) == *k).map(|m| ListItemOut::new(m, year.unwrap_or_default())).collect(),
        })
        .collect();
    let title = format!("{county}城乡社区工作事项清单");
    render(StatusCode::OK, &PublicPage { layout: Layout { title, user: None }, county, county_id, year, sections })
}
