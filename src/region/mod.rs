//! Levels above the county (001's title: 备案; issue 15). A city or province is a
//! jurisdiction like a county (a `counties` row with its own organisations, lists and
//! admission procedure: a city department applies to the city's leading group the same
//! way), with counties under it. Above a county it:
//! - reads: its reviewers, leading group, supervisors and admins look into a county under
//!   it as that county's supervisor (read-only), so every read and refusal of the county
//!   applies unchanged;
//! - receives filings (备案): a county files its lists each year and its admissions as they
//!   are decided; the filing keeps what was filed and when;
//! - sets the baseline: its negative list in force is inherited by every jurisdiction under
//!   it, which cannot cancel or weaken those items (only add to them).
pub mod api;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::orgs::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    County,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Province, Level::City, Level::County];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Province => "省",
            Level::City => "市",
            Level::County => "区/县",
        }
    }

    /// A jurisdiction sits under one of a higher level only (a county under a city or a
    /// province, a city under a province).
    pub fn may_sit_under(self, parent: Level) -> bool {
        (parent as u8) < (self as u8)
    }
}

/// The roles of a higher level that may look into the jurisdictions under it.
pub fn oversees(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Reviewer | Role::Approver | Role::Supervisor)
}

/// The jurisdictions under `root` (not itself), nearest first, from (id, parent) pairs.
/// A cycle in the data cannot loop: each id is visited once.
pub fn under(tree: &[(i64, Option<i64>)], root: i64) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &(id, parent) in tree {
            if parent == Some(p) && id != root && !out.contains(&id) {
                out.push(id);
                frontier.insert(0, id);
            }
        }
    }
    out
}

/// The jurisdictions above `id`, nearest first.
pub fn above(tree: &[(i64, Option<i64>)], id: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut at = id;
    while let Some(p) = tree.iter().find(|(i, _)| *i == at).and_then(|(_, p)| *p) {
        if p == id || out.contains(&p) {
            break;
        }
        out.push(p);
        at = p;
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilingKind {
    /// A year's three lists.
    Lists,
    /// An admission as decided (approved, not approved, or exited).
    Admission,
}

impl FilingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FilingKind::Lists => "lists",
            FilingKind::Admission => "admission",
        }
    }

    pub fn parse(s: &str) -> Option<FilingKind> {
        [FilingKind::Lists, FilingKind::Admission].into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            FilingKind::Lists => "年度清单备案",
            FilingKind::Admission => "准入事项备案",
        }
    }
}

/// SHA-256 of what is filed, in hex: the level above can tell whether what it holds is
/// what the county has in force now.
pub fn digest(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_nest_downwards_only() {
        assert!(Level::County.may_sit_under(Level::City));
        assert!(Level::County.may_sit_under(Level::Province));
        assert!(Level::City.may_sit_under(Level::Province));
        assert!(!Level::City.may_sit_under(Level::County));
        assert!(!Level::City.may_sit_under(Level::City));
        assert!(!Level::Province.may_sit_under(Level::City));
    }

    #[test]
    fn the_tree_is_walked_both_ways_and_cycles_stop() {
        // province 1 > city 2 > counties 3, 4; city 5 > county 6; 7 alone
        let tree = [(1, None), (2, Some(1)), (3, Some(2)), (4, Some(2)), (5, Some(1)), (6, Some(5)), (7, None)];
        let mut all = under(&tree, 1);
        all.sort();
        assert_eq!(all, vec![2, 3, 4, 5, 6]);
        assert_eq!(under(&tree, 2), vec![3, 4]);
        assert!(under(&tree, 3).is_empty());
        assert_eq!(above(&tree, 3), vec![2, 1]);
        assert!(above(&tree, 7).is_empty());
        let cycle = [(1, Some(2)), (2, Some(1))];
        assert_eq!(above(&cycle, 1), vec![2]);
        assert_eq!(under(&cycle, 1), vec![2]);
    }

    #[test]
    fn only_the_reading_and_deciding_roles_look_below() {
        assert!(oversees(Role::Reviewer) && oversees(Role::Approver) && oversees(Role::Supervisor) && oversees(Role::Admin));
        assert!(!oversees(Role::Department) && !oversees(Role::Community) && !oversees(Role::Finance));
    }

    #[test]
    fn a_digest_changes_with_the_content() {
        assert_eq!(digest("a").len(), 64);
        assert_ne!(digest("a"), digest("b"));
        assert_eq!(digest("a"), digest("a"));
    }
}
