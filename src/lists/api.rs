//! JSON API of the three lists (API.md "Lists"), their versions, changes, diff, Excel.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use entity::{list_change, list_item};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::store::{self, ImportSummary, Snapshot, YearCount};
use super::{diff, workbook, ChangeAction, ChangeBasis, ItemFields, ItemStatus, ListKind, VersionItem};
use crate::orgs::Role;
use crate::platform::auth::{self, Caller, ALL_ROLES};
use crate::platform::error::{AppError, AppResult, ErrorBody};
use crate::platform::extract::ApiJson;
use crate::platform::page::{self, Page, PageQuery};
use crate::AppState;

pub const REVIEWER: &[Role] = &[Role::Reviewer];

pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(public_list)).routes(routes!(public_export)).routes(routes!(public_pdf))
}

pub fn routes() -> OpenApiRouter<AppState> {
    let everyone = OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_item))
        .routes(routes!(list_versions))
        .routes(routes!(version_diff))
        .routes(routes!(list_changes))
        .routes(routes!(export));
    let reviewer = OpenApiRouter::new()
        .routes(routes!(add_item))
        .routes(routes!(adjust_item))
        .routes(routes!(cancel_item))
        .routes(routes!(set_funding))
        .routes(routes!(start_year))
        .routes(routes!(import))
        .layer(DefaultBodyLimit::max(10 * 1024 * 1024));
    auth::open(ALL_ROLES, everyone).merge(auth::open(REVIEWER, reviewer))
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ListItemOut {
    pub id: i64,
    pub kind: ListKind,
    pub year: i32,
    pub code: String,
    pub title: String,
    pub description: String,
    pub basis: String,
    pub department: String,
    pub category: String,
    pub keywords: Vec<String>,
    pub needs_professional_qualification: bool,
    pub needs_enforcement_authority: bool,
    pub negative_reason: String,
    pub status: ItemStatus,
    /// Inherited from the baseline negative list above the county: cannot be cancelled or
    /// weakened, only added to.
    pub baseline: bool,
    /// An assist item's funding standard: what an assignment gets when it names no budget.
    pub funding: Option<super::funding::Funding>,
}

impl ListItemOut {
    /// The legal basis as a reader needs it: seed references named by their documents.
    pub fn basis_text(&self) -> String {
        crate::citation::human(&self.basis)
    }


    pub fn new(m: &list_item::Model, year: i32) -> Self {
        let f = store::fields_of(m);
        ListItemOut {
            id: m.id,
            kind: store::kind_of(m),
            year,
            code: f.code,
            title: f.title,
            description: f.description,
            basis: f.basis,
            department: f.department,
            category: f.category,
            keywords: f.keywords,
            needs_professional_qualification: f.needs_professional_qualification,
            needs_enforcement_authority: f.needs_enforcement_authority,
            negative_reason: f.negative_reason,
            status: ItemStatus::parse(&m.status),
            baseline: m.baseline,
            funding: super::funding::Funding::of(m),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ListOut {
    /// The version shown; null when the county has no lists yet.
    pub year: Option<i32>,
    pub items: Vec<ListItemOut>,
    /// Paging as on every list (`?limit=&cursor=`); null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// A past year's version; the current one when absent.
    pub year: Option<i32>,
    /// Text to look for in code, title, description, department or keywords.
    pub q: Option<String>,
}

fn parse_kind(kind: &str) -> AppResult<ListKind> {
    ListKind::parse(kind).ok_or_else(AppError::not_found)
}

/// Whether an item matches a search text.
pub fn matches(m: &list_item::Model, q: &str) -> bool {
    let q = q.trim();
    q.is_empty()
        || [&m.code, &m.title, &m.description, &m.department, &m.category, &m.keywords, &m.basis]
            .iter()
            .any(|s| s.contains(q))
}

/// The items of one list and year, for any page or API caller of the county.
pub async fn load_list(
    st: &AppState,
    county_id: i64,
    kind: Option<ListKind>,
    q: &ListQuery,
) -> AppResult<ListOut> {
    let Some(v) = store::resolve_version(&st.db, county_id, q.year).await? else {
        return Ok(ListOut { year: None, items: vec![], next_cursor: None });
    };
    let items = store::items_of(&st.db, county_id, v.id, kind).await?;
    let q = q.q.as_deref().unwrap_or("");
    let items = items.iter().filter(|m| matches(m, q)).map(|m| ListItemOut::new(m, v.year)).collect();
    Ok(ListOut { year: Some(v.year), items, next_cursor: None })
}

/// One list of the caller's county: the current version (cancelled items included, with
/// their status), or a past year's.
#[utoipa::path(get, path = "/lists/{kind}", tag = "lists", security(("bearer" = [])),
    params(("kind" = String, Path, description = "duty | assist | negative"), ListQuery, PageQuery),
    responses((status = 200, body = ListOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(State(st): State<AppState>, caller: Caller, Path(kind): Path<String>, Query(q): Query<ListQuery>, Query(pq): Query<PageQuery>) -> AppResult<Json<ListOut>> {
    let kind = parse_kind(&kind)?;
    let req = pq.parse()?;
    let out = load_list(&st, caller.county_id, Some(kind), &q).await?;
    // Items keep their list order (by code); the cursor is the last item's id.
    let page = page::of_slice(out.items, req, |x| x.id);
    Ok(Json(ListOut { year: out.year, items: page.items, next_cursor: page.next_cursor }))
}

#[derive(Serialize, ToSchema)]
pub struct PublicListOut {
    pub county: String,
    pub year: Option<i32>,
    /// Only items in force.
    pub items: Vec<ListItemOut>,
}

pub async fn county_name(st: &AppState, county_id: i64) -> AppResult<String> {
    county_name_in(&st.db, county_id).await
}

pub async fn county_name_in(db: &impl sea_orm::ConnectionTrait, county_id: i64) -> AppResult<String> {
    use sea_orm::EntityTrait;
    Ok(entity::county::Entity::find_by_id(county_id).one(db).await?.ok_or_else(AppError::not_found)?.name)
}

/// The items in force of one list, for the public (上墙公示). No token.
#[utoipa::path(get, path = "/public/{county_id}/lists/{kind}", tag = "lists",
    params(("county_id" = i64, Path), ("kind" = String, Path, description = "duty | assist | negative")),
    responses((status = 200, body = PublicListOut), (status = 404, body = ErrorBody)))]
async fn public_list(State(st): State<AppState>, Path((county_id, kind)): Path<(i64, String)>) -> AppResult<Json<PublicListOut>> {
    let kind = parse_kind(&kind)?;
    let county = county_name(&st, county_id).await?;
    let year = store::current_version(&st.db, county_id).await?.map(|v| v.year);
    let items = store::current_items(&st.db, county_id, Some(kind)).await?;
    let items = items.iter().map(|m| ListItemOut::new(m, year.unwrap_or_default())).collect();
    Ok(Json(PublicListOut { county, year, items }))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The workbook of a county's lists in force (or of a past year): active items only, the
/// format import reads. A logged-in caller's copy goes to the audit trail (the public one
/// is public anyway).
pub async fn export_workbook(st: &AppState, county_id: i64, year: Option<i32>, caller: Option<&Caller>) -> AppResult<Response> {
    let county = county_name(st, county_id).await?;
    let (items, year) = match store::resolve_version(&st.db, county_id, year).await? {
        Some(v) => (store::items_of(&st.db, county_id, v.id, None).await?, v.year),
        None => (vec![], 0),
    };
    let rows: Vec<(ListKind, ItemFields)> = items
        .iter()
        .filter(|m| m.status == ItemStatus::Active.as_str())
        .map(|m| (store::kind_of(m), store::fields_of(m)))
        .collect();
    let bytes = crate::platform::cpu::run(move || workbook::write(&rows)).await?.map_err(AppError::internal)?;
    if let Some(caller) = caller {
        crate::platform::audit::exported(&st.db, caller, "lists_xlsx", "list_version", None).await?;
    }
    Ok(crate::web::file_download(bytes, XLSX, &format!("{county}城乡社区三个清单（{year}年）.xlsx"), false))
}

#[derive(Deserialize, IntoParams)]
pub struct YearQuery {
    pub year: Option<i32>,
}

/// The county's three lists as an Excel workbook (one sheet per list).
#[utoipa::path(get, path = "/lists/export.xlsx", tag = "lists", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))]
async fn export(State(st): State<AppState>, caller: Caller, Query(q): Query<YearQuery>) -> AppResult<Response> {
    export_workbook(&st, caller.county_id, q.year, Some(&caller)).await
}

/// The lists in force as an Excel workbook, for the public. No token.
#[utoipa::path(get, path = "/public/{county_id}/lists.xlsx", tag = "lists", params(("county_id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody)))]
async fn public_export(State(st): State<AppState>, Path(county_id): Path<i64>) -> AppResult<Response> {
    export_workbook(&st, county_id, None, None).await
}

#[derive(Serialize, ToSchema)]
pub struct ChangeOut {
    pub id: i64,
    pub item_id: i64,
    pub action: ChangeAction,
    pub action_label: &'static str,
    pub reason: String,
    pub document: String,
    pub before: Option<Snapshot>,
    pub after: Snapshot,
    /// The fields that changed (for an adjustment).
    pub changed: Vec<&'static str>,
    pub user_id: i64,
    pub user_name: String,
    pub created_at: DateTime<Utc>,
}

pub async fn change_outs(st: &AppState, county_id: i64, changes: Vec<list_change::Model>) -> AppResult<Vec<ChangeOut>> {
    let names = crate::orgs::store::user_names(&st.db, county_id).await?;
    Ok(changes
        .into_iter()
        .filter_map(|c| {
            let after: Snapshot = serde_json::from_str(&c.after).ok()?;
            let before: Option<Snapshot> = c.before.as_deref().and_then(|b| serde_json::from_str(b).ok());
            let action = ChangeAction::parse(&c.action)?;
            let mut changed = before.as_ref().map(|b| b.fields.changed_fields(&after.fields)).unwrap_or_default();
            if before.as_ref().is_some_and(|b| b.funding != after.funding) {
                changed.push("经费标准");
            }
            Some(ChangeOut {
                id: c.id,
                item_id: c.item_id,
                action,
                action_label: action.label(),
                reason: c.reason,
                document: c.document,
                before,
                after,
                changed,
                user_id: c.user_id,
                user_name: names.get(&c.user_id).cloned().unwrap_or_default(),
                created_at: c.created_at,
            })
        })
        .collect())
}

#[derive(Serialize, ToSchema)]
pub struct ItemDetail {
    pub item: ListItemOut,
    /// Whether the item belongs to the version in force (only those can change).
    pub current: bool,
    pub history: Vec<ChangeOut>,
}

pub async fn item_detail(st: &AppState, county_id: i64, id: i64) -> AppResult<ItemDetail> {
    let m = store::find_item(&st.db, county_id, id).await?;
    let v = crate::platform::db::by_id_in_county::<entity::list_version::Entity>(county_id, m.version_id).one(&st.db).await?.ok_or_else(AppError::not_found)?;
    let current = store::current_version(&st.db, county_id).await?.map(|c| c.id) == Some(v.id);
    let history = change_outs(st, county_id, store::changes_of_item(&st.db, county_id, id).await?).await?;
    Ok(ItemDetail { item: ListItemOut::new(&m, v.year), current, history })
}

/// A list item with its change history.
#[utoipa::path(get, path = "/lists/items/{id}", tag = "lists", security(("bearer" = [])),
    responses((status = 200, body = ItemDetail), (status = 404, body = ErrorBody)))]
async fn get_item(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<ItemDetail>> {
    Ok(Json(item_detail(&st, caller.county_id, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ChangeRequest {
    #[serde(flatten)]
    pub fields: ItemFields,
    #[serde(flatten)]
    pub basis: ChangeBasis,
}

/// 新增: add an item to the current year's list (reviewer).
#[utoipa::path(post, path = "/lists/{kind}/items", tag = "lists", security(("bearer" = [])), request_body = ChangeRequest,
    params(("kind" = String, Path, description = "duty | assist | negative")),
    responses((status = 201, body = ListItemOut), (status = 409, description = "ITEM_CODE_TAKEN", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_item(
    State(st): State<AppState>,
    caller: Caller,
    Path(kind): Path<String>,
    ApiJson(body): ApiJson<ChangeRequest>,
) -> AppResult<(StatusCode, Json<ListItemOut>)> {
    let kind = parse_kind(&kind)?;
    let req = body;
    let m = store::add_item(&st.db, &caller, kind, req.fields, &req.basis).await?;
    let year = store::current_version(&st.db, caller.county_id).await?.map(|v| v.year).unwrap_or_default();
    Ok((StatusCode::CREATED, Json(ListItemOut::new(&m, year))))
}

/// 调整: change an item of the current year's lists; code and list stay (reviewer).
#[utoipa::path(put, path = "/lists/items/{id}", tag = "lists", security(("bearer" = [])), request_body = ChangeRequest,
    responses((status = 200, body = ListItemOut), (status = 409, description = "LIST_VERSION_CLOSED | ITEM_CANCELLED", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn adjust_item(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ChangeRequest>,
) -> AppResult<Json<ListItemOut>> {
    // The code may be left out; a different one is refused (adjusting keeps the code).
    let m = store::adjust_item(&st.db, &caller, id, req.fields, &req.basis).await?;
    let year = store::current_version(&st.db, caller.county_id).await?.map(|v| v.year).unwrap_or_default();
    Ok(Json(ListItemOut::new(&m, year)))
}

#[derive(Deserialize, ToSchema)]
pub struct FundingRequest {
    /// Per unit; leave out (or null) to clear the standard.
    #[serde(default)]
    pub amount: Option<crate::money::Money>,
    /// month | task
    #[serde(default)]
    pub unit: Option<super::funding::FundingUnit>,
    #[serde(flatten)]
    pub basis: ChangeBasis,
}

/// Sets or clears an assist item's funding standard (reviewer): an assignment of the item
/// without a budget of its own gets the amount per month of its period, or per task.
#[utoipa::path(put, path = "/lists/items/{id}/funding", tag = "lists", security(("bearer" = [])), request_body = FundingRequest,
    responses((status = 200, body = ListItemOut), (status = 409, description = "LIST_VERSION_CLOSED | ITEM_CANCELLED", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_funding(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(req): ApiJson<FundingRequest>) -> AppResult<Json<ListItemOut>> {
    let funding = match (req.amount, req.unit) {
        (Some(amount), Some(unit)) => Some(super::funding::Funding { amount, unit }),
        (None, None) => None,
        (Some(_), None) => return Err(AppError::invalid("unit", "请选择经费标准的单位：month（每月）或 task（每项任务）")),
        (None, Some(_)) => return Err(AppError::invalid("amount", "请填写经费标准的金额")),
    };
    let m = store::set_funding(&st.db, &caller, id, funding, &req.basis).await?;
    let year = store::current_version(&st.db, caller.county_id).await?.map(|v| v.year).unwrap_or_default();
    Ok(Json(ListItemOut::new(&m, year)))
}

/// 取消: take an item out of the lists in force; it stays readable (reviewer).
#[utoipa::path(post, path = "/lists/items/{id}/cancel", tag = "lists", security(("bearer" = [])), request_body = ChangeBasis,
    responses((status = 200, body = ListItemOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn cancel_item(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ChangeBasis>,
) -> AppResult<Json<ListItemOut>> {
    let basis = body;
    let m = store::cancel_item(&st.db, &caller, id, &basis).await?;
    let year = store::current_version(&st.db, caller.county_id).await?.map(|v| v.year).unwrap_or_default();
    Ok(Json(ListItemOut::new(&m, year)))
}

#[derive(Serialize, ToSchema)]
#[schema(as = ListVersionOut)]
pub struct VersionOut {
    pub year: i32,
    pub based_on_year: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub current: bool,
    pub counts: YearCount,
}

/// Every year's version with the number of items in force per list: the annual review
/// report (the aim is fewer each year).
#[utoipa::path(get, path = "/lists/versions", tag = "lists", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<VersionOut>)))]
async fn list_versions(State(st): State<AppState>, caller: Caller, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<VersionOut>>> {
    Ok(Json(page::of_positions(versions_report(&st, caller.county_id).await?, pq.parse()?)))
}

pub async fn versions_report(st: &AppState, county_id: i64) -> AppResult<Vec<VersionOut>> {
    let vs = store::versions(&st.db, county_id).await?;
    let counts = store::year_report(&st.db, county_id).await?;
    let last = vs.last().map(|v| v.id);
    Ok(vs
        .into_iter()
        .zip(counts)
        .map(|(v, c)| VersionOut { year: v.year, based_on_year: v.based_on_year, created_at: v.created_at, current: Some(v.id) == last, counts: c })
        .collect())
}

#[derive(Deserialize, ToSchema)]
pub struct StartYearRequest {
    pub year: i32,
}

/// Start a new year's version for the annual review; it begins with the items in force.
#[utoipa::path(post, path = "/lists/versions", tag = "lists", security(("bearer" = [])), request_body = StartYearRequest,
    responses((status = 201, body = VersionOut), (status = 409, description = "YEAR_NOT_AFTER_CURRENT", body = ErrorBody)))]
async fn start_year(
    State(st): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<StartYearRequest>,
) -> AppResult<(StatusCode, Json<VersionOut>)> {
    let req = body;
    store::start_year(&st.db, &caller, req.year).await?;
    let out = versions_report(&st, caller.county_id).await?.pop().ok_or_else(|| AppError::internal("no version"))?;
    Ok((StatusCode::CREATED, Json(out)))
}

#[derive(Serialize, ToSchema)]
pub struct AdjustedOut {
    pub from: ListItemOut,
    pub to: ListItemOut,
    pub changed: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub struct DiffOut {
    pub from: i32,
    pub to: i32,
    pub added: Vec<ListItemOut>,
    pub adjusted: Vec<AdjustedOut>,
    pub cancelled: Vec<ListItemOut>,
}

#[derive(Deserialize, IntoParams)]
pub struct DiffQuery {
    pub from: i32,
    pub to: i32,
}

pub async fn diff_years(st: &AppState, county_id: i64, from: i32, to: i32) -> AppResult<DiffOut> {
    let a = store::version_of_year(&st.db, county_id, from).await?;
    let b = store::version_of_year(&st.db, county_id, to).await?;
    let ma = store::items_of(&st.db, county_id, a.id, None).await?;
    let mb = store::items_of(&st.db, county_id, b.id, None).await?;
    let va: Vec<VersionItem> = ma.iter().map(store::version_item).collect();
    let vb: Vec<VersionItem> = mb.iter().map(store::version_item).collect();
    let model = |id: i64, ms: &[list_item::Model], year: i32| {
        ms.iter().find(|m| m.id == id).map(|m| ListItemOut::new(m, year)).expect("item of its version")
    };
    let d = diff(&va, &vb);
    Ok(DiffOut {
        from,
        to,
        added: d.added.iter().map(|i| model(i.id, &mb, to)).collect(),
        adjusted: d
            .adjusted
            .iter()
            .map(|(x, y, c)| AdjustedOut { from: model(x.id, &ma, from), to: model(y.id, &mb, to), changed: c.clone() })
            .collect(),
        cancelled: d.cancelled.iter().map(|i| model(i.id, &ma, from)).collect(),
    })
}

/// What was added, adjusted and cancelled between two years' lists.
#[utoipa::path(get, path = "/lists/diff", tag = "lists", security(("bearer" = [])), params(DiffQuery),
    responses((status = 200, body = DiffOut), (status = 404, body = ErrorBody)))]
async fn version_diff(State(st): State<AppState>, caller: Caller, Query(q): Query<DiffQuery>) -> AppResult<Json<DiffOut>> {
    Ok(Json(diff_years(&st, caller.county_id, q.from, q.to).await?))
}

/// The change log of a year's lists (the current year when absent), newest first.
#[utoipa::path(get, path = "/lists/changes", tag = "lists", security(("bearer" = [])), params(YearQuery, PageQuery),
    responses((status = 200, body = Page<ChangeOut>)))]
async fn list_changes(State(st): State<AppState>, caller: Caller, Query(q): Query<YearQuery>, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<ChangeOut>>> {
    let req = pq.parse()?;
    let Some(v) = store::resolve_version(&st.db, caller.county_id, q.year).await? else { return Ok(Json(page::of_slice(vec![], req, |x: &ChangeOut| x.id))) };
    let changes = store::changes_of_version(&st.db, caller.county_id, v.id).await?;
    Ok(Json(page::of_slice(change_outs(&st, caller.county_id, changes).await?, req, |x| x.id)))
}

/// A workbook upload with the reason and document every change needs.
pub struct ImportUpload {
    pub file: Bytes,
    pub basis: ChangeBasis,
    /// The page's "preview only" box (the API takes `?dry_run=true` instead).
    pub dry_run: bool,
}

/// Reads the multipart fields `file`, `reason`, `document` (and the page's `dry_run`).
pub async fn read_upload(mut mp: Multipart) -> AppResult<ImportUpload> {
    let bad = |m: &str| AppError::invalid("file", m);
    let (mut file, mut reason, mut document, mut dry_run) = (None, String::new(), String::new(), false);
    while let Some(field) = mp.next_field().await.map_err(|e| bad(&format!("上传内容无法读取：{e}")))? {
        match field.name().unwrap_or("") {
            "file" => file = Some(field.bytes().await.map_err(|e| bad(&format!("文件无法读取：{e}")))?),
            "reason" => reason = field.text().await.unwrap_or_default(),
            "document" => document = field.text().await.unwrap_or_default(),
            "dry_run" => dry_run = true,
            _ => {}
        }
    }
    let file = file.filter(|f| !f.is_empty()).ok_or_else(|| bad("请选择要导入的 .xlsx 文件"))?;
    Ok(ImportUpload { file, basis: ChangeBasis { reason, document }, dry_run })
}

/// Parses and applies (or previews) an uploaded workbook.
pub async fn import_upload(st: &AppState, caller: &Caller, up: ImportUpload, dry_run: bool) -> AppResult<ImportSummary> {
    up.basis.check().map_err(AppError::validation)?;
    let file = up.file;
    let sheets = crate::platform::cpu::run(move || workbook::read(&file)).await?.map_err(|e| store::import_errors(vec![e]))?;
    let incoming = workbook::parse(&sheets).map_err(store::import_errors)?;
    store::import(&st.db, caller, &incoming, &up.basis, dry_run).await
}

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// Only report what would change.
    #[serde(default)]
    pub dry_run: bool,
}

/// Import the county's lists from an .xlsx workbook (multipart: `file`, `reason`,
/// `document`). All or nothing: any bad row → 422 `IMPORT_INVALID` with every
/// `{sheet, row, message}` in `details`.
#[utoipa::path(post, path = "/lists/import", tag = "lists", security(("bearer" = [])), params(ImportQuery),
    request_body(content_type = "multipart/form-data", description = "file (.xlsx), reason, document"),
    responses((status = 200, body = ImportSummary), (status = 422, description = "IMPORT_INVALID | VALIDATION_FAILED", body = ErrorBody)))]
async fn import(State(st): State<AppState>, caller: Caller, Query(q): Query<ImportQuery>, mp: Multipart) -> AppResult<Json<ImportSummary>> {
    let up = read_upload(mp).await?;
    let dry_run = q.dry_run || up.dry_run;
    Ok(Json(import_upload(&st, &caller, up, dry_run).await?))
}

/// The county's lists in force as a PDF to print and put on the wall (上墙公示).
pub async fn public_pdf_response(st: &AppState, county_id: i64) -> AppResult<Response> {
    let county = county_name(st, county_id).await?;
    let year = store::current_version(&st.db, county_id).await?.map(|v| v.year);
    let items = store::current_items(&st.db, county_id, None).await?;
    let sections: Vec<(ListKind, Vec<ListItemOut>)> = ListKind::ALL
        .iter()
        .map(|k| (*k, items.iter().filter(|m| store::kind_of(m) == *k).map(|m| ListItemOut::new(m, year.unwrap_or_default())).collect()))
        .collect();
    let doc = super::pdf::public_lists_doc(&county, year, &sections);
    let title = doc.title.clone();
    let bytes = crate::pdf::render_off_thread(doc).await?;
    Ok(crate::web::file_download(bytes, "application/pdf", &format!("{title}.pdf"), true))
}

/// The lists in force as a PDF, for the public. No token.
#[utoipa::path(get, path = "/public/{county_id}/lists.pdf", tag = "lists", params(("county_id" = i64, Path)),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ErrorBody)))]
async fn public_pdf(State(st): State<AppState>, Path(county_id): Path<i64>) -> AppResult<Response> {
    public_pdf_response(&st, county_id).await
}
