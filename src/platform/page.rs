//! Paging for every list (API.md "Lists of records"): `?limit=` (default 50, at most 500)
//! and `?cursor=`, answered as `{"items", "next_cursor"}`. Lists run newest first by id and
//! the cursor is the last id shown, so a page never shifts when records are added: new
//! ones have larger ids and appear on the first page only.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Records per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// `next_cursor` of the page before.
    pub cursor: Option<String>,
}

/// What a clerk narrows a list by: the application and contract lists, and the registers
/// built on them. Integer filters left blank (a page's filter form sends every field) mean
/// "no filter", so they are published as digit strings.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilter {
    /// The record's status. Applications: draft | submitted | entered_pending_approval |
    /// reviewed | admitted | rejected | in_progress | completed | revoked | expired; contracts:
    /// draft | active | completed | closed | terminated; reports: reported | confirmed | dismissed.
    pub status: Option<String>,
    #[param(value_type = Option<String>, pattern = "^[0-9]*$")]
    #[serde(default, deserialize_with = "crate::platform::input::blank_as_none")]
    pub department_id: Option<i64>,
    /// Contracts with this community; applications that name it.
    #[param(value_type = Option<String>, pattern = "^[0-9]*$")]
    #[serde(default, deserialize_with = "crate::platform::input::blank_as_none")]
    pub community_id: Option<i64>,
    /// Applications: the year they were made; contracts: the year in their number.
    #[param(value_type = Option<String>, pattern = "^([0-9]{4})?$")]
    #[serde(default, deserialize_with = "crate::platform::input::blank_as_none")]
    pub year: Option<i32>,
    /// Words in an application's title; in a contract's number or its task's title.
    pub q: Option<String>,
}

/// A checked page request: how many, and below which id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageReq {
    pub limit: u64,
    pub before: Option<i64>,
}

impl PageQuery {
    pub fn parse(&self) -> AppResult<PageReq> {
        parse(self.limit, self.cursor.as_deref())
    }
}

pub fn parse(limit: Option<u64>, cursor: Option<&str>) -> AppResult<PageReq> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::invalid("limit", "每页条数须为1至500"));
    }
    let before = match cursor.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(c) => Some(c.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| AppError::invalid("cursor", "翻页标记无效"))?),
    };
    Ok(PageReq { limit, before })
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

/// Cuts `rows` (fetched with one more than the limit, newest first) to a page.
pub fn cut<T>(mut rows: Vec<T>, req: PageReq, id: impl Fn(&T) -> i64) -> Page<T> {
    let next_cursor = if rows.len() as u64 > req.limit {
        rows.truncate(req.limit as usize);
        rows.last().map(|r| id(r).to_string())
    } else {
        None
    };
    Page { items: rows, next_cursor }
}

/// One page of a query, newest first by `id_col`: one query, `limit + 1` rows.
pub async fn fetch<E>(db: &impl ConnectionTrait, q: Select<E>, id_col: E::Column, req: PageReq, id: impl Fn(&E::Model) -> i64) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
{
    let q = match req.before {
        Some(b) => q.filter(id_col.lt(b)),
        None => q,
    };
    let rows = q.order_by_desc(id_col).limit(req.limit + 1).all(db).await?;
    Ok(cut(rows, req, id))
}

/// A page of a list already in memory (short lists: organisations, concepts, versions),
/// in the list's own order; the cursor is still the last id shown, so it survives inserts.
pub fn of_slice<T>(items: Vec<T>, req: PageReq, id: impl Fn(&T) -> i64) -> Page<T> {
    let start = match req.before {
        Some(b) => items.iter().position(|x| id(x) == b).map(|i| i + 1).unwrap_or(items.len()),
        None => 0,
    };
    let rows: Vec<T> = items.into_iter().skip(start).take(req.limit as usize + 1).collect();
    cut(rows, req, id)
}

/// A page of a short list whose items have no id of their own (templates, concepts,
/// counts): the cursor is how many items came before.
pub fn of_positions<T>(items: Vec<T>, req: PageReq) -> Page<T> {
    let skip = req.before.unwrap_or(0) as usize;
    let total = items.len();
    let rows: Vec<T> = items.into_iter().skip(skip).take(req.limit as usize).collect();
    let end = skip + rows.len();
    Page { items: rows, next_cursor: (end < total).then(|| end.to_string()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors_are_checked() {
        assert_eq!(parse(None, None).unwrap(), PageReq { limit: 50, before: None });
        assert_eq!(parse(Some(500), Some("17")).unwrap(), PageReq { limit: 500, before: Some(17) });
        for (limit, cursor) in [(Some(0), None), (Some(501), None), (None, Some("abc")), (None, Some("-3")), (None, Some("1e3"))] {
            let e = parse(limit, cursor).unwrap_err();
            assert_eq!(e.code, "VALIDATION_FAILED", "{limit:?} {cursor:?}");
        }
    }

    #[test]
    fn a_page_of_a_slice_continues_after_the_last_id_shown() {
        let ids: Vec<i64> = vec![9, 7, 5, 3, 1];
        let p = of_slice(ids.clone(), parse(Some(2), None).unwrap(), |x| *x);
        assert_eq!((p.items, p.next_cursor.as_deref()), (vec![9, 7], Some("7")));
        let p = of_slice(ids.clone(), parse(Some(2), Some("7")).unwrap(), |x| *x);
        assert_eq!((p.items, p.next_cursor.as_deref()), (vec![5, 3], Some("3")));
        let p = of_slice(ids.clone(), parse(Some(2), Some("3")).unwrap(), |x| *x);
        assert_eq!((p.items, p.next_cursor), (vec![1], None));
        let p = of_positions(ids.clone(), parse(Some(3), None).unwrap());
        assert_eq!((p.items, p.next_cursor.as_deref()), (vec![9, 7, 5], Some("3")));
        let p = of_positions(ids, parse(Some(3), Some("3")).unwrap());
        assert_eq!((p.items, p.next_cursor), (vec![3, 1], None));
    }
}
