//! Admission (准入) of extra-list tasks: the application, its rule checks (`rules.rs`),
//! and the procedure of seed 001 §二(一) and 004 Yingjiang: department applies → civil
//! affairs reviews (opinions gathered, preliminary opinion) → the leading group approves
//! with a numbered approval document or rejects → the task enters the communities → done,
//! the admission is revoked (工作完成后撤销). Urgent work may enter first and be approved
//! afterwards (先进后批), within a deadline, or it is withdrawn.
pub mod api;
pub mod assist;
pub mod pages;
pub mod pdf;
pub mod public;
pub mod rules;
pub mod store;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::orgs::Role;

/// Days an emergency entry has to be approved unless the county sets otherwise.
pub const DEFAULT_EMERGENCY_DAYS: i32 = 15;

/// Where a task of the admissions table comes from: an application for admission, or an
/// assignment of an assist-list item (协助事项派单, 001 §二(三)), which needs no admission.
pub const ORIGIN_APPLICATION: &str = "application";
pub const ORIGIN_ASSIST: &str = "assist";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AdmissionStatus)]
pub enum Status {
    Draft,
    Submitted,
    /// Emergency: in the communities already, awaiting review and approval.
    EnteredPendingApproval,
    Reviewed,
    Admitted,
    Rejected,
    InProgress,
    Completed,
    /// Exited the communities (工作完成后撤销, or stopped).
    Revoked,
    /// An emergency entry whose approval deadline passed unapproved: withdrawn.
    Expired,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Draft,
        Status::Submitted,
        Status::EnteredPendingApproval,
        Status::Reviewed,
        Status::Admitted,
        Status::Rejected,
        Status::InProgress,
        Status::Completed,
        Status::Revoked,
        Status::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::EnteredPendingApproval => "entered_pending_approval",
            Status::Reviewed => "reviewed",
            Status::Admitted => "admitted",
            Status::Rejected => "rejected",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Revoked => "revoked",
            Status::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "草稿",
            Status::Submitted => "已提交待审核",
            Status::EnteredPendingApproval => "先进后批·待审批",
            Status::Reviewed => "已初审待审批",
            Status::Admitted => "已准入",
            Status::Rejected => "未准入",
            Status::InProgress => "实施中",
            Status::Completed => "已完成",
            Status::Revoked => "已撤销",
            Status::Expired => "先进后批逾期未批·已撤出",
        }
    }

    /// Still being worked on somewhere in the procedure or in the communities: what the
    /// duplicate warning compares against.
    pub fn is_active(self) -> bool {
        !matches!(self, Status::Draft | Status::Rejected | Status::Revoked | Status::Completed | Status::Expired)
    }

    /// Approved and not yet exited.
    pub fn is_admitted(self) -> bool {
        matches!(self, Status::Admitted | Status::InProgress | Status::Completed)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Submit,
    Review,
    Decide { approve: bool },
    Start,
    Complete,
    Revoke,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Review => "review",
            Action::Decide { approve: true } => "approve",
            Action::Decide { approve: false } => "reject",
            Action::Start => "start",
            Action::Complete => "complete",
            Action::Revoke => "revoke",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Submit => "提交申请",
            Action::Review => "初审",
            Action::Decide { approve: true } => "批准准入",
            Action::Decide { approve: false } => "不予准入",
            Action::Start => "开始实施",
            Action::Complete => "完成",
            Action::Revoke => "撤销（退出社区）",
        }
    }

    /// Who may take the step.
    pub fn role(self) -> Role {
        match self {
            Action::Submit | Action::Start | Action::Complete => Role::Department,
            Action::Review | Action::Revoke => Role::Reviewer,
            Action::Decide { .. } => Role::Approver,
        }
    }
}

/// The history label of a recorded action name (also "create", "edit", "withdraw").
pub fn action_label(name: &str) -> &'static str {
    match name {
        "create" => "起草申请",
        "edit" => "修改草稿",
        "submit" => "提交申请",
        "enter" => "先进后批·进入社区",
        "review" => "初审",
        "approve" => "批准准入",
        "reject" => "不予准入",
        "withdraw" => "撤出社区",
        "start" => "开始实施",
        "complete" => "完成",
        "revoke" => "撤销（退出社区）",
        "expire" => "逾期未批·撤出社区",
        "period_end" => "工作期限届满",
        "finding_override" => "推翻存疑筛查结论",
        "finding_confirm" => "确认存疑筛查结论",
        _ => "其他",
    }
}

/// The state a step leads to, or why it cannot be taken now.
pub fn next(status: Status, action: Action, emergency: bool) -> Result<Status, String> {
    use Status::*;
    let to = match (status, action) {
        (Draft, Action::Submit) if emergency => EnteredPendingApproval,
        (Draft, Action::Submit) => Submitted,
        (Submitted | EnteredPendingApproval, Action::Review) => Reviewed,
        (Reviewed, Action::Decide { approve: true }) => Admitted,
        (Reviewed, Action::Decide { approve: false }) => Rejected,
        (Admitted, Action::Start) => InProgress,
        (InProgress, Action::Complete) => Completed,
        (Admitted | InProgress | Completed, Action::Revoke) => Revoked,
        (s, a) => return Err(format!("申请当前为“{}”，不能{}", s.label(), a.label())),
    };
    Ok(to)
}

/// 准入批准文书 number: sequential per county and year, e.g. 示范区准字〔2026〕7号.
pub fn approval_number(county: &str, year: i32, seq: i32) -> String {
    format!("{county}准字〔{year}〕{seq}号")
}

/// An emergency entry is overdue when it is still unapproved after its deadline.
pub fn overdue(status: Status, deadline: Option<NaiveDate>, today: NaiveDate) -> bool {
    matches!(status, Status::EnteredPendingApproval | Status::Reviewed) && deadline.is_some_and(|d| today > d)
}

/// The task is in the communities: entered early, or admitted and not yet exited.
pub fn in_communities(status: Status, entered: bool) -> bool {
    match status {
        Status::EnteredPendingApproval | Status::Reviewed => entered,
        s => s.is_admitted(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_procedure() {
        assert_eq!(next(Status::Draft, Action::Submit, false), Ok(Status::Submitted));
        assert_eq!(next(Status::Draft, Action::Submit, true), Ok(Status::EnteredPendingApproval));
        assert_eq!(next(Status::EnteredPendingApproval, Action::Review, true), Ok(Status::Reviewed));
        assert_eq!(next(Status::Reviewed, Action::Decide { approve: true }, false), Ok(Status::Admitted));
        assert_eq!(next(Status::Reviewed, Action::Decide { approve: false }, false), Ok(Status::Rejected));
        assert_eq!(next(Status::Admitted, Action::Start, false), Ok(Status::InProgress));
        assert_eq!(next(Status::InProgress, Action::Complete, false), Ok(Status::Completed));
        assert_eq!(next(Status::Completed, Action::Revoke, false), Ok(Status::Revoked));
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        assert!(next(Status::Draft, Action::Decide { approve: true }, false).is_err());
        assert!(next(Status::Submitted, Action::Decide { approve: true }, false).is_err(), "review first");
        assert!(next(Status::Admitted, Action::Submit, false).is_err());
        assert!(next(Status::Rejected, Action::Review, false).is_err());
        assert!(next(Status::Revoked, Action::Start, false).is_err());
        let e = next(Status::Admitted, Action::Decide { approve: true }, false).unwrap_err();
        assert_eq!(e, "申请当前为“已准入”，不能批准准入");
    }

    #[test]
    fn numbering_and_overdue() {
        assert_eq!(approval_number("示范区", 2026, 7), "示范区准字〔2026〕7号");
        let d = NaiveDate::from_ymd_opt(2026, 5, 15).unwrap();
        let day = |n| NaiveDate::from_ymd_opt(2026, 5, n).unwrap();
        assert!(!overdue(Status::EnteredPendingApproval, Some(d), day(15)));
        assert!(overdue(Status::EnteredPendingApproval, Some(d), day(16)));
        assert!(overdue(Status::Reviewed, Some(d), day(16)));
        assert!(!overdue(Status::Admitted, Some(d), day(16)));
        assert!(!overdue(Status::Submitted, None, day(16)));
    }

    #[test]
    fn roles_of_steps() {
        assert_eq!(Action::Submit.role(), Role::Department);
        assert_eq!(Action::Review.role(), Role::Reviewer);
        assert_eq!(Action::Decide { approve: false }.role(), Role::Approver);
        assert!(in_communities(Status::EnteredPendingApproval, true));
        assert!(!in_communities(Status::Reviewed, false));
        assert!(!in_communities(Status::Rejected, true));
    }
}
