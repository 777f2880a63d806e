//! Organisations and roles: who may exist where in a county's tree (../shared/DOMAIN.md
//! "Who uses it"). Plain types and functions; storage is in `store.rs`.
pub mod api;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The kinds of organisation in a county's tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 区/县: the root, owner of the three lists.
    County,
    /// 职能部门, e.g. 卫健局, 市场监管局.
    Department,
    /// 民政局: runs the admission desk.
    CivilAffairs,
    /// 财政局.
    Finance,
    /// 城乡社区建设领导小组 / 县委: approves admissions.
    LeadingGroup,
    /// 乡镇/街道.
    Street,
    /// 社区居委会 / 村委会.
    Community,
}

impl OrgKind {
    pub const ALL: [OrgKind; 7] = [
        OrgKind::County,
        OrgKind::CivilAffairs,
        OrgKind::LeadingGroup,
        OrgKind::Finance,
        OrgKind::Department,
        OrgKind::Street,
        OrgKind::Community,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::County => "county",
            OrgKind::Department => "department",
            OrgKind::CivilAffairs => "civil_affairs",
            OrgKind::Finance => "finance",
            OrgKind::LeadingGroup => "leading_group",
            OrgKind::Street => "street",
            OrgKind::Community => "community",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgKind::County => "区/县",
            OrgKind::Department => "职能部门",
            OrgKind::CivilAffairs => "民政局",
            OrgKind::Finance => "财政局",
            OrgKind::LeadingGroup => "领导小组",
            OrgKind::Street => "乡镇/街道",
            OrgKind::Community => "社区/村",
        }
    }

    /// Organisations that assign work to communities and may apply for its admission, buy
    /// it and hold a budget: the county's departments and the streets and townships
    /// (乡镇/街道), which push the most work down (issue 15).
    pub fn assigns_work(self) -> bool {
        matches!(self, OrgKind::Department | OrgKind::Street)
    }

    /// Whether a stored kind name assigns work (see `assigns_work`).
    pub fn name_assigns_work(kind: &str) -> bool {
        OrgKind::parse(kind).is_some_and(OrgKind::assigns_work)
    }

    /// The kind an organisation of this kind must hang under; `None` for the root.
    /// Communities sit under their street or township; everything else under the county.
    pub fn parent_kind(self) -> Option<OrgKind> {
        match self {
            OrgKind::County => None,
            OrgKind::Community => Some(OrgKind::Street),
            _ => Some(OrgKind::County),
        }
    }
}

/// A user's one role. Each role is bound to one organisation (DOMAIN.md role table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Reviewer,
    Approver,
    Finance,
    Department,
    Community,
    Supervisor,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Reviewer,
        Role::Approver,
        Role::Finance,
        Role::Department,
        Role::Community,
        Role::Supervisor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
            Role::Approver => "approver",
            Role::Finance => "finance",
            Role::Department => "department",
            Role::Community => "community",
            Role::Supervisor => "supervisor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Reviewer => "民政审核",
            Role::Approver => "领导小组审批",
            Role::Finance => "财政",
            Role::Department => "职能部门",
            Role::Community => "社区",
            Role::Supervisor => "督查",
        }
    }

    /// What the role does, as shown on its home page (DOMAIN.md role table).
    pub fn duties(self) -> &'static [&'static str] {
        match self {
            Role::Admin => &["维护本区/县的组织架构", "开设、停用用户账号，重置密码"],
            Role::Reviewer => &[
                "维护三个清单（依法履职、协助办理、工作负面）",
                "审核准入申请的内容、依据和经费，征求意见并提出初审意见",
                "受理社区对擅自下沉事项的报告",
            ],
            Role::Approver => &["审批或否决准入申请", "签发准入批准文书"],
            Role::Finance => &["下达各部门购买服务预算指标", "向社区拨付资金并对账"],
            Role::Department => &[
                "申请清单外事项准入",
                "起草政府购买服务合同",
                "验收社区交付成果，按合同条款评价",
            ],
            Role::Community => &[
                "查看已准入本社区的事项",
                "签订购买服务合同、提交交付成果、确认资金到账",
                "拒绝未经准入的工作并报告",
            ],
            Role::Supervisor => &["查看全区/县情况（只读）", "跟踪擅自下沉报告与通报"],
        }
    }

    /// The organisation kinds a user of this role may belong to.
    pub fn fits(self, kind: OrgKind) -> bool {
        match self {
            Role::Admin => kind == OrgKind::County,
            Role::Reviewer => kind == OrgKind::CivilAffairs,
            Role::Approver => kind == OrgKind::LeadingGroup,
            Role::Finance => kind == OrgKind::Finance,
            Role::Department => kind.assigns_work(),
            Role::Community => kind == OrgKind::Community,
            Role::Supervisor => {
                matches!(kind, OrgKind::County | OrgKind::CivilAffairs | OrgKind::LeadingGroup)
            }
        }
    }

    /// Roles that see every organisation's users in their county; the others see only
    /// their own organisation's (a community sees only its own records).
    pub fn sees_whole_county(self) -> bool {
        matches!(self, Role::Admin | Role::Supervisor)
    }
}

/// Why an organisation cannot be placed where it was asked to go.
pub fn check_parent(kind: OrgKind, parent: Option<OrgKind>) -> Result<(), &'static str> {
    match (kind.parent_kind(), parent) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err("区/县是组织树的根，不能有上级组织"),
        (Some(_), None) => Err("必须指定上级组织"),
        (Some(want), Some(got)) if want == got => Ok(()),
        (Some(OrgKind::Street), Some(_)) => Err("社区/村的上级组织必须是乡镇/街道"),
        (Some(_), Some(_)) => Err("该类组织的上级组织必须是区/县"),
    }
}

/// A username: 3–32 characters of lower-case ASCII letters, digits, `.`, `_` or `-`,
/// starting with a letter. Kept plain so clerks can type it on any keyboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Username, &'static str> {
        let s = s.trim();
        let ok_len = (3..=32).contains(&s.len());
        let ok_first = s.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        let ok_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if ok_len && ok_first && ok_chars {
            Ok(Username(s.to_string()))
        } else {
            Err("用户名须为3至32位小写字母、数字或 . _ -，以字母开头")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: at least 10 characters, not all of one kind. Long enough to resist
/// guessing; no composition theatre beyond that.
pub fn check_new_password(p: &str) -> Result<(), &'static str> {
    if p.chars().count() < 10 {
        return Err("密码至少10个字符");
    }
    if p.chars().count() > 128 {
        return Err("密码不能超过128个字符");
    }
    let first = p.chars().next();
    if p.chars().all(|c| Some(c) == first) {
        return Err("密码不能由同一个字符重复组成");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(OrgKind::parse("village"), None);
    }

    #[test]
    fn every_role_fits_some_kind() {
        for r in Role::ALL {
            assert!(OrgKind::ALL.iter().any(|k| r.fits(*k)), "{r:?}");
        }
        assert!(!Role::Finance.fits(OrgKind::Department));
        assert!(!Role::Department.fits(OrgKind::Finance));
        assert!(!Role::Community.fits(OrgKind::Street));
        assert!(Role::Department.fits(OrgKind::Street), "a street applies like a department");
        assert!(!Role::Department.fits(OrgKind::CivilAffairs));
        assert!(Role::Community.fits(OrgKind::Community));
    }

    #[test]
    fn tree_shape() {
        assert!(check_parent(OrgKind::County, None).is_ok());
        assert!(check_parent(OrgKind::County, Some(OrgKind::County)).is_err());
        assert!(check_parent(OrgKind::Department, Some(OrgKind::County)).is_ok());
        assert!(check_parent(OrgKind::Department, None).is_err());
        assert!(check_parent(OrgKind::Community, Some(OrgKind::Street)).is_ok());
        assert!(check_parent(OrgKind::Community, Some(OrgKind::County)).is_err());
        assert!(check_parent(OrgKind::Street, Some(OrgKind::Community)).is_err());
    }

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" weijian ").unwrap().as_str(), "weijian");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("1abc").is_err());
        assert!(Username::parse("Admin").is_err());
        assert!(Username::parse("张三").is_err());
        assert!(Username::parse("a.b-c_d9").is_ok());
    }

    #[test]
    fn passwords() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("aaaaaaaaaaaa").is_err());
        assert!(check_new_password("zhunru-demo-2026").is_ok());
        assert!(check_new_password("社区减负准入备案制度").is_ok());
    }
}
