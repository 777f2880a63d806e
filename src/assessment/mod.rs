//! The half-year assessment (每半年评估, 004 Yingjiang; 001 §三(二)): for each admitted
//! task, civil affairs records the effect, the funds delivered (from the ledger), the
//! residents' ratings and the deputies' opinions gathered in each community, and a
//! conclusion — keep, improve or exit — which it sends to the leading group. The leading
//! group decides; a task it decides to exit leaves the communities (the admission is
//! revoked and its unpaid contracts end).
pub mod api;
pub mod pages;
pub mod store;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::evaluation::Rating;

/// A half year: `2026-H1` (January–June) or `2026-H2` (July–December).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    pub second: bool,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        let (y, h) = s.split_once("-H")?;
        let year: i32 = y.parse().ok().filter(|y| (2000..=2100).contains(y))?;
        match h {
            "1" => Some(Period { year, second: false }),
            "2" => Some(Period { year, second: true }),
            _ => None,
        }
    }

    pub fn of(date: NaiveDate) -> Period {
        Period { year: date.year(), second: date.month() > 6 }
    }

    pub fn start(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, if self.second { 7 } else { 1 }, 1).expect("valid")
    }

    pub fn end(self) -> NaiveDate {
        if self.second { NaiveDate::from_ymd_opt(self.year, 12, 31) } else { NaiveDate::from_ymd_opt(self.year, 6, 30) }.expect("valid")
    }

    /// Whether a task's period overlaps this half.
    pub fn covers(self, start: Option<NaiveDate>, end: Option<NaiveDate>) -> bool {
        start.is_some_and(|s| s <= self.end()) && end.is_some_and(|e| e >= self.start())
    }

    pub fn label(self) -> String {
        format!("{}年{}", self.year, if self.second { "下半年" } else { "上半年" })
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-H{}", self.year, if self.second { 2 } else { 1 })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    /// 保留
    Keep,
    /// 改进
    Improve,
    /// 退出: the task leaves the communities.
    Exit,
}

impl Conclusion {
    pub const ALL: [Conclusion; 3] = [Conclusion::Keep, Conclusion::Improve, Conclusion::Exit];

    pub fn as_str(self) -> &'static str {
        match self {
            Conclusion::Keep => "keep",
            Conclusion::Improve => "improve",
            Conclusion::Exit => "exit",
        }
    }

    pub fn parse(s: &str) -> Option<Conclusion> {
        Conclusion::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Conclusion::Keep => "保留",
            Conclusion::Improve => "改进后保留",
            Conclusion::Exit => "退出社区",
        }
    }
}

/// Where an assessment stands: recorded by civil affairs, sent to the leading group,
/// decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AssessmentStage)]
pub enum Stage {
    Draft,
    Sent,
    Decided,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Sent => "sent",
            Stage::Decided => "decided",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        [Stage::Draft, Stage::Sent, Stage::Decided].into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Draft => "民政部门评估中",
            Stage::Sent => "已报领导小组",
            Stage::Decided => "领导小组已决定",
        }
    }
}

/// What was gathered in one community.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = AssessmentView)]
pub struct View {
    pub community_id: i64,
    /// The residents' rating (居民评议).
    pub residents: Option<Rating>,
    /// The opinions of the deputies (人大代表、政协委员、居民代表).
    #[serde(default)]
    pub deputies: String,
}

/// What is needed before an assessment goes to the leading group.
pub fn ready_to_send(effect: &str, conclusion: Option<Conclusion>, views: &[View]) -> Result<(), &'static str> {
    if effect.trim().is_empty() {
        return Err("请填写实施效果");
    }
    if conclusion.is_none() {
        return Err("请选择评估结论：保留、改进或退出");
    }
    if !views.iter().any(|v| v.residents.is_some() || !v.deputies.trim().is_empty()) {
        return Err("请至少录入一个社区的居民评议或代表意见");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_parse_and_cover_task_periods() {
        let h2 = Period::parse("2026-H2").unwrap();
        assert_eq!((h2.start().to_string(), h2.end().to_string(), h2.to_string()), ("2026-07-01".into(), "2026-12-31".into(), "2026-H2".to_string()));
        assert_eq!(Period::of("2026-06-30".parse().unwrap()).to_string(), "2026-H1");
        for bad in ["2026", "2026-H3", "26-H1", "1900-H1", "2026-h1"] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        let d = |s: &str| Some(s.parse::<NaiveDate>().unwrap());
        assert!(h2.covers(d("2026-03-01"), d("2026-07-01")));
        assert!(!h2.covers(d("2026-03-01"), d("2026-06-30")));
        assert!(!h2.covers(None, d("2026-12-01")));
    }

    #[test]
    fn an_assessment_goes_up_with_effect_conclusion_and_views() {
        let view = View { community_id: 1, residents: Some(Rating::Satisfied), deputies: String::new() };
        assert_eq!(ready_to_send(" ", Some(Conclusion::Keep), &[view.clone()]), Err("请填写实施效果"));
        assert!(ready_to_send("按期完成", None, &[view.clone()]).is_err());
        assert!(ready_to_send("按期完成", Some(Conclusion::Keep), &[View { residents: None, ..view.clone() }]).is_err());
        assert_eq!(ready_to_send("按期完成", Some(Conclusion::Exit), &[view]), Ok(()));
    }
}
