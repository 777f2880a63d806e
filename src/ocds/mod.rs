//! Open data in the Open Contracting Data Standard 1.1 (OCDS): each signed contract as a
//! chain of releases, release packages (one contract, or a county page by page) and a
//! record package that compiles a contract's releases.
//!
//! The mapping (plain functions over what the API already shows, so it is tested without
//! HTTP or a database):
//! - buyer and procuring entity: the department; supplier and payee: the community; the
//!   department is also the payer of each disbursement;
//! - tender: a direct award (`procurementMethod: "direct"`) whose rationale is the
//!   admission (its approval number and basis, 001 §二(二));
//! - award and contract: the value in CNY and the period of the version in force;
//!   `contract.milestones` are the payment instalments (`payment`), met once paid in full;
//!   `contract.implementation.transactions` are the disbursements; each signed amendment is
//!   in `contract.amendments` with its rationale; the signed contract's PDF is a document;
//! - releases: one when the contract was signed (`award`, `contract`), one per amendment
//!   (`contractAmendment`), one per payment (`implementation`) and one when it ended
//!   (`contractTermination`). Each release is the contract's whole state at its date
//!   (a snapshot), so the compiled release is the last snapshot.
//!
//! Only what the public may see: contracts both parties signed, never drafts or pending
//! amendments; no user names.
pub mod api;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{json, Value};

use crate::contracts::api::{ContractOut, VersionOut};
use crate::money::Money;

/// The OCDS version this module writes.
pub const VERSION: &str = "1.1";

/// Where the documents live and whose ocids these are.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The county's registered prefix, e.g. `ocds-213czf`.
    pub prefix: String,
    /// The server's public address, e.g. `https://zhunru.example.gov.cn` (no slash at the end).
    pub base: String,
    pub county_id: i64,
    pub county: String,
}

/// A disbursement as the public sees it.
#[derive(Clone, Debug)]
pub struct Payment {
    pub id: i64,
    /// The instalment's identity across versions (`contract_milestones.key`).
    pub milestone_key: i32,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
}

/// Everything one contract's releases are made from.
#[derive(Clone)]
pub struct ContractFacts {
    pub contract: ContractOut,
    /// This contract's milestone row ids → their keys, for every version's milestones.
    pub milestone_keys: std::collections::HashMap<i64, i32>,
    /// The admission that justifies the direct award.
    pub rationale: String,
    pub payments: Vec<Payment>,
    /// When the contract ended (completed, closed or terminated).
    pub ended_at: Option<DateTime<Utc>>,
}

pub fn ocid(ctx: &Ctx, contract_id: i64) -> String {
    format!("{}-zhunru-{}-{}", ctx.prefix, ctx.county_id, contract_id)
}

/// An amount as a JSON number. The shortest decimal that reads back as the same binary
/// value is the two-place yuan figure itself for any amount below 10^11 yuan (tested), so
/// the JSON text is exact.
fn amount(m: Money) -> Value {
    serde_json::Number::from_f64(m.fen() as f64 / 100.0).map(Value::Number).unwrap_or(Value::Null)
}

fn value(m: Money) -> Value {
    json!({"amount": amount(m), "currency": "CNY"})
}

/// An instant to the microsecond, as stored: releases made within one second (a payment
/// and its confirmation, a batch) keep their order for a tool that sorts by date.
fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A calendar day of the county (China Standard Time) as its first or last second.
fn day(d: NaiveDate, end: bool) -> String {
    format!("{}T{}+08:00", d.format("%Y-%m-%d"), if end { "23:59:59" } else { "00:00:00" })
}

/// When a version took effect: when the second party signed it.
fn signed_at(v: &VersionOut) -> Option<DateTime<Utc>> {
    match (v.department_signed_at, v.community_signed_at) {
        (Some(a), Some(b)) if matches!(v.status.as_str(), "effective" | "superseded") => Some(a.max(b)),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// Version n took effect.
    Version(i32),
    /// Payment (index into `payments`).
    Payment(usize),
    End,
}

fn release_id(ocid: &str, e: &Event, facts: &ContractFacts) -> String {
    match e {
        Event::Version(n) => format!("{ocid}-v{n}"),
        Event::Payment(i) => format!("{ocid}-payment-{}", facts.payments[*i].id),
        Event::End => format!("{ocid}-end"),
    }
}

/// The contract's releases, oldest first; none for a contract never signed.
pub fn releases(facts: &ContractFacts, ctx: &Ctx) -> Vec<Value> {
    let mut events: Vec<(DateTime<Utc>, Event)> = facts.contract.versions.iter().filter_map(|v| signed_at(v).map(|t| (t, Event::Version(v.version)))).collect();
    let Some(first) = events.iter().map(|(t, _)| *t).min() else { return Vec::new() };
    for (i, p) in facts.payments.iter().enumerate() {
        events.push((p.paid_at.max(first), Event::Payment(i)));
    }
    if let Some(t) = facts.ended_at {
        events.push((t.max(first), Event::End));
    }
    events.sort();
    let id = ocid(ctx, facts.contract.id);
    events
        .iter()
        .map(|(at, e)| {
            let mut r = snapshot(facts, ctx, &id, *at, e, &events);
            leave_out_empty(&mut r);
            r
        })
        .collect()
}

/// OCDS leaves out a field with nothing in it rather than publishing `[]` or `{}` (the Data Review
/// Tool warns on empty arrays). Safe for the standard merge here: every array of a release
/// (amendments, transactions, milestones, parties…) only grows from one release to the next.
fn leave_out_empty(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.values_mut().for_each(leave_out_empty);
            o.retain(|_, x| !matches!(x, Value::Array(a) if a.is_empty()) && !matches!(x, Value::Object(m) if m.is_empty()));
        }
        Value::Array(a) => a.iter_mut().for_each(leave_out_empty),
        _ => {}
    }
}

/// The contract as it stood at `at`, as the release of event `e`.
fn snapshot(facts: &ContractFacts, ctx: &Ctx, ocid: &str, at: DateTime<Utc>, e: &Event, events: &[(DateTime<Utc>, Event)]) -> Value {
    let c = &facts.contract;
    let tag = match e {
        Event::Version(1) => json!(["award", "contract"]),
        Event::Version(_) => json!(["contractAmendment"]),
        Event::Payment(_) => json!(["implementation"]),
        Event::End => json!(["contractTermination"]),
    };
    let in_force: Vec<&VersionOut> = c.versions.iter().filter(|v| signed_at(v).is_some_and(|t| t <= at)).collect();
    let v = in_force.iter().max_by_key(|v| v.version).copied().unwrap_or(&c.versions[0]);
    let first_signed = in_force.iter().filter_map(|v| signed_at(v)).min();
    let paid: Vec<&Payment> = facts.payments.iter().filter(|p| p.paid_at <= at).collect();
    let ended = events.iter().any(|(t, ev)| *ev == Event::End && *t <= at);
    let dept = json!({"id": format!("org-{}", c.department_id), "name": c.department});
    let community = json!({"id": format!("org-{}", c.community_id), "name": c.community});
    let period = json!({"startDate": day(v.period_start, false), "endDate": day(v.period_end, true)});
    let release_of = |n: i32| {
        events.iter().find(|(_, ev)| *ev == Event::Version(n)).map(|(_, ev)| release_id(ocid, ev, facts))
    };
    let amendments: Vec<Value> = in_force
        .iter()
        .filter(|a| a.version > 1)
        .map(|a| {
            let mut m = json!({
                "id": format!("amendment-{}", a.version),
                "date": signed_at(a).map(instant),
                "rationale": if a.rationale.is_empty() { a.rationale_label.to_string() } else { format!("{}：{}", a.rationale_label, a.rationale) },
                "description": format!("第{}版：金额 {}，期限 {} 至 {}", a.version, a.amount.grouped(), a.period_start, a.period_end),
            });
            if let Some(r) = release_of(a.version) {
                m["releaseID"] = json!(r);
            }
            if let Some(r) = release_of(a.version - 1) {
                m["amendsReleaseID"] = json!(r);
            }
            m
        })
        .collect();
    let milestones: Vec<Value> = v
        .milestones
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let key = facts.milestone_keys.get(&m.id).copied().unwrap_or(i as i32 + 1);
            let of_key: Vec<&&Payment> = paid.iter().filter(|p| p.milestone_key == key).collect();
            let got: i64 = of_key.iter().map(|p| p.amount.fen()).sum();
            // A contract that ended leaves an instalment never paid `notMet`, not scheduled for ever.
            let status = if got >= m.amount.fen() && got > 0 {
                "met"
            } else if got > 0 {
                "partiallyMet"
            } else if ended {
                "notMet"
            } else {
                "scheduled"
            };
            let mut out = json!({
                "id": format!("instalment-{key}"),
                "title": format!("第{}期付款 {}", i + 1, m.amount.grouped()),
                "type": "payment",
                "dueDate": day(m.due, true),
                "status": status,
            });
            if m.clause_id.is_some() {
                out["description"] = json!("对应履约条款的服务成果验收合格后支付");
            }
            if status == "met" {
                out["dateMet"] = json!(of_key.iter().map(|p| p.paid_at).max().map(instant));
            }
            out
        })
        .collect();
    let transactions: Vec<Value> = paid
        .iter()
        .map(|p| {
            json!({
                "id": format!("payment-{}", p.id),
                "source": format!("{}/api/v1/public/{}/ocds/contracts/{}", ctx.base, ctx.county_id, c.id),
                "date": instant(p.paid_at),
                "value": value(p.amount),
                "payer": dept,
                "payee": community,
            })
        })
        .collect();
    let status = if ended { "terminated" } else { "active" };
    json!({
        "ocid": ocid,
        "id": release_id(ocid, e, facts),
        "date": instant(at),
        "tag": tag,
        "initiationType": "tender",
        "language": "zh",
        "parties": [
            {"id": dept["id"], "name": c.department, "roles": ["buyer", "procuringEntity", "payer"]},
            {"id": community["id"], "name": c.community, "roles": ["supplier", "payee"]},
        ],
        "buyer": dept,
        "tender": {
            "id": format!("{ocid}-tender"),
            "title": c.task,
            "status": "complete",
            "procuringEntity": dept,
            "procurementMethod": "direct",
            "procurementMethodDetails": "政府购买服务：经准入审批的社区工作事项，直接委托社区承接",
            "procurementMethodRationale": facts.rationale,
            "mainProcurementCategory": "services",
        },
        "awards": [{
            "id": format!("{ocid}-award"),
            "title": c.task,
            "status": "active",
            "date": first_signed.map(instant),
            "value": value(v.amount),
            "suppliers": [community],
            "contractPeriod": period,
        }],
        "contracts": [{
            "id": format!("{ocid}-contract"),
            "awardID": format!("{ocid}-award"),
            "title": format!("{} {}", c.number, c.task),
            "status": status,
            "period": period,
            "value": value(v.amount),
            "dateSigned": first_signed.map(instant),
            "milestones": milestones,
            "amendments": amendments,
            "implementation": {"transactions": transactions},
            "documents": [{
                "id": format!("{ocid}-pdf"),
                "documentType": "contractSigned",
                "title": format!("政府购买服务合同 {}", c.number),
                "url": format!("{}/api/v1/public/{}/contracts/{}/pdf", ctx.base, ctx.county_id, c.id),
                "format": "application/pdf",
                "language": "zh",
            }],
        }],
    })
}

/// The compiled release: the last snapshot, as the state of the contract now.
pub fn compiled(releases: &[Value]) -> Option<Value> {
    let mut last = releases.last()?.clone();
    let ocid = last["ocid"].as_str().unwrap_or_default().to_string();
    last["id"] = json!(format!("{ocid}-compiled"));
    last["tag"] = json!(["compiled"]);
    Some(last)
}

fn publisher(ctx: &Ctx) -> Value {
    json!({"name": format!("{}政府购买社区服务准入系统", ctx.county), "uri": format!("{}/api/v1/public/{}/ocds/releases", ctx.base, ctx.county_id)})
}

/// The county's public page, whose #policy section says what is published and when.
fn publication_policy(ctx: &Ctx) -> String {
    format!("{}/public/{}#policy", ctx.base, ctx.county_id)
}

/// A release package: `uri` is where it is served.
pub fn release_package(ctx: &Ctx, uri: String, releases: Vec<Value>, now: DateTime<Utc>, next: Option<String>) -> Value {
    let mut p = json!({
        "uri": uri,
        "version": VERSION,
        "publishedDate": instant(now),
        "publisher": publisher(ctx),
        "publicationPolicy": publication_policy(ctx),
        "releases": releases,
    });
    // Pagination as the OCDS guidance on APIs describes it.
    if let Some(n) = next {
        p["links"] = json!({"next": n});
    }
    p
}

/// A record package of one contract: every release embedded, and the compiled release.
pub fn record_package(ctx: &Ctx, uri: String, package_uri: String, ocid: &str, releases: Vec<Value>, now: DateTime<Utc>) -> Value {
    let compiled = compiled(&releases);
    json!({
        "uri": uri,
        "version": VERSION,
        "publishedDate": instant(now),
        "publisher": publisher(ctx),
        "publicationPolicy": publication_policy(ctx),
        "packages": [package_uri],
        "records": [{"ocid": ocid, "releases": releases, "compiledRelease": compiled}],
    })
}

/// A registered OCDS prefix: `ocds-` and six letters or digits.
pub fn valid_prefix(p: &str) -> bool {
    p.len() == 11 && p.starts_with("ocds-") && p[5..].chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// Until the county registers its own prefix with the OCDS helpdesk.
pub const DEFAULT_PREFIX: &str = "ocds-zhunru";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_as_their_two_place_yuan_figure() {
        for fen in [0i64, 1, 10, 99, 100, 101, 30_000_000, 123_456_789, 999_999_999_999, 9_999_999_999_999] {
            let text = amount(Money::from_fen(fen)).to_string();
            let back = rust_decimal::Decimal::from_str_exact(&text).unwrap();
            assert_eq!(back, Money::from_fen(fen).to_decimal(), "{fen} fen printed as {text}");
        }
    }

    #[test]
    fn prefixes_are_ocds_and_six_characters() {
        assert!(valid_prefix("ocds-213czf"));
        assert!(valid_prefix(DEFAULT_PREFIX));
        for bad in ["ocds-213cz", "ocds-213czfx", "OCDS-213czf", "ocds_213czf", "ocds-213CZF", ""] {
            assert!(!valid_prefix(bad), "{bad}");
        }
    }
}
