//! Bounds on what any request may carry, so that bad input is a 422 with a code, never a
//! panic, a 5xx or an unbounded amount of work.
use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use crate::platform::error::{AppError, FieldError};

/// Dates of this system's work: periods, deadlines, deliveries.
pub fn min_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date")
}
pub fn max_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2100, 12, 31).expect("valid date")
}
/// The longest work period (and so contract) accepted: five years.
pub const MAX_PERIOD_DAYS: i64 = 5 * 366;
/// Any one text value in a JSON body.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Any one array in a JSON body (targets, clauses, evaluation items …).
pub const MAX_ITEMS: usize = 1_000;

/// A date within 2000–2100, or the message saying why not.
pub fn check_date(d: NaiveDate) -> Result<NaiveDate, String> {
    if d < min_date() || d > max_date() {
        Err(format!("日期{d}超出范围：须在2000年至2100年之间"))
    } else {
        Ok(d)
    }
}

/// Parses `YYYY-MM-DD` within the window.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("日期“{s}”格式应为 YYYY-MM-DD")).and_then(check_date)
}

/// Invisible characters that reorder how text is shown (U+202A–U+202E embeddings and
/// overrides, U+2066–U+2069 isolates): a text shown reversed reads one way to a clerk
/// and another to the screening (issue 28), so no text field takes them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Control characters other than tab and line breaks (NUL above all: PostgreSQL refuses
/// it in text, so it must be a 422 before any store sees it).
pub fn is_c0_control(c: char) -> bool {
    c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// A character no text field takes (`hidden_characters` says why).
pub fn is_hidden(c: char) -> bool {
    is_bidi_control(c) || is_c0_control(c)
}

/// Why a text is refused for the invisible characters it carries, if it is.
pub fn hidden_characters(s: &str) -> Option<&'static str> {
    if s.chars().any(is_bidi_control) {
        Some("内容含有改变文字显示方向的不可见控制字符，请删除后重新输入")
    } else if s.chars().any(is_c0_control) {
        Some("内容含有不可见的控制字符（如空字符），请删除后重新输入")
    } else {
        None
    }
}

/// Walks a JSON body: every string at most `MAX_TEXT_CHARS`, every array at most
/// `MAX_ITEMS`. (Dates are checked where they are parsed: `parse_date`, the template's
/// date variables, and contract periods that must lie inside their admission's.)
pub fn check_json(v: &Value) -> Result<(), AppError> {
    let mut errs = Vec::new();
    walk(v, String::new(), &mut errs);
    if errs.is_empty() {
        Ok(())
    } else {
        errs.truncate(20);
        Err(AppError::validation(errs))
    }
}

fn walk(v: &Value, path: String, errs: &mut Vec<FieldError>) {
    match v {
        Value::String(s) => {
            if s.chars().count() > MAX_TEXT_CHARS {
                errs.push(FieldError { field: path, message: format!("内容过长：不超过{MAX_TEXT_CHARS}个字符") });
            } else if let Some(why) = hidden_characters(s) {
                errs.push(FieldError { field: path, message: why.into() });
            }
        }
        Value::Array(a) => {
            if a.len() > MAX_ITEMS {
                errs.push(FieldError { field: path.clone(), message: format!("条目过多：不超过{MAX_ITEMS}项") });
                return;
            }
            for (i, x) in a.iter().enumerate() {
                walk(x, format!("{path}[{i}]"), errs);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                walk(x, if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, errs);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_the_window_are_refused() {
        assert!(parse_date("2026-03-01").is_ok());
        assert!(parse_date("1999-12-31").unwrap_err().contains("2000年至2100年"));
        assert!(parse_date("+262142-01-01").is_err());
        assert!(parse_date("2101-01-01").is_err());
        assert!(parse_date("2026-02-30").unwrap_err().contains("格式"));
    }

    #[test]
    fn long_texts_and_big_arrays_in_a_body_are_named() {
        let body = serde_json::json!({"title": "a".repeat(MAX_TEXT_CHARS + 1), "ok": "短",
            "items": vec![1; MAX_ITEMS + 1], "variables": {"scope": "范".repeat(MAX_TEXT_CHARS + 1)}});
        let e = check_json(&body).unwrap_err();
        let fields: Vec<String> = e.details.iter().map(|d| d["field"].as_str().unwrap().to_string()).collect();
        assert_eq!(fields, ["items", "title", "variables.scope"]);
        assert!(check_json(&serde_json::json!({"title": "a".repeat(MAX_TEXT_CHARS), "items": vec![1; MAX_ITEMS]})).is_ok());
    }

    #[test]
    fn texts_that_reorder_themselves_are_refused() {
        let e = check_json(&serde_json::json!({"title": "社区\u{202E}法执管城\u{202C}", "items": [{"clause": "按时\u{2067}报送"}]})).unwrap_err();
        let fields: Vec<String> = e.details.iter().map(|d| d["field"].as_str().unwrap().to_string()).collect();
        assert_eq!(fields, ["items[0].clause", "title"]);
        assert!(check_json(&serde_json::json!({"title": "社区环境卫生宣传"})).is_ok());
    }

    #[test]
    fn a_nul_or_other_control_character_is_refused_and_line_breaks_are_not() {
        let e = check_json(&serde_json::json!({"basis": "\u{0}", "title": "a\u{1b}[31m", "plan": "第一步\r\n\t第二步"})).unwrap_err();
        let fields: Vec<String> = e.details.iter().map(|d| d["field"].as_str().unwrap().to_string()).collect();
        assert_eq!(fields, ["basis", "title"]);
        assert!(e.details[0]["message"].as_str().unwrap().contains("控制字符"));
    }
}

/// A query-string number that a form may send empty (`?year=`): empty is "not given".
pub fn blank_as_none<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A year a clerk may ask about: the same window as every date.
pub fn check_year(y: i32) -> crate::platform::error::AppResult<i32> {
    if (min_date().year()..=max_date().year()).contains(&y) {
        Ok(y)
    } else {
        Err(crate::platform::error::AppError::invalid("year", "年度须在2000至2100之间"))
    }
}
