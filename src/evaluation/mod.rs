//! Satisfaction rated against the contract's clauses only (seed 001 §二(六):
//! 满意度评定以合同条款为依据，不得以目标考核方式进行工作评价), and no one-vote veto
//! (001 §二(四); 000 §二(三)3). The form is the contract's performance clauses, nothing
//! more; anything else a client sends is refused.
pub mod api;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::BasicallySatisfied => "basically_satisfied",
            Rating::Unsatisfied => "unsatisfied",
        }
    }
    pub fn parse(s: &str) -> Option<Rating> {
        [Rating::Satisfied, Rating::BasicallySatisfied, Rating::Unsatisfied].into_iter().find(|r| r.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::BasicallySatisfied => "基本满意",
            Rating::Unsatisfied => "不满意",
        }
    }
}

/// One item of the evaluation form: a performance clause of the contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FormItem {
    pub clause_id: i64,
    pub number: i32,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRating {
    pub clause_id: i64,
    pub rating: Rating,
    pub comment: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// Anything that is not a clause of this contract: an unknown or foreign clause id, a
    /// free-text criterion, weights, scores, vetoes.
    NotInContract(String),
    Invalid { field: String, message: String },
}

/// The keys an item may have. Weights, scores or veto flags would turn the evaluation into
/// a target assessment, so they are refused as criteria the contract does not contain.
const ITEM_KEYS: [&str; 3] = ["clause_id", "rating", "comment"];

/// Reads the submitted items against the form: exactly one rating per form item, each
/// below "satisfied" with a comment.
pub fn check(form: &[FormItem], items: &[serde_json::Value]) -> Result<Vec<ItemRating>, EvalError> {
    let mut out: Vec<ItemRating> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            return Err(EvalError::NotInContract(format!("第{}项不是对合同条款的评价", i + 1)));
        };
        if let Some(extra) = obj.keys().find(|k| !ITEM_KEYS.contains(&k.as_str())) {
            return Err(EvalError::NotInContract(crate::citation::human(&format!(
                "第{}项含有合同以外的评价内容“{extra}”：只能按合同履约条款评定满意度，不得设权重、分值或一票否决（001 §二(六)）",
                i + 1
            ))));
        }
        let Some(clause_id) = obj.get("clause_id").and_then(|v| v.as_i64()) else {
            return Err(EvalError::NotInContract(format!("第{}项没有指明合同条款：不能以条款以外的标准评价", i + 1)));
        };
        if !form.iter().any(|f| f.clause_id == clause_id) {
            return Err(EvalError::NotInContract(format!("条款{clause_id}不是本合同的履约条款，不能作为评价标准")));
        }
        if out.iter().any(|r| r.clause_id == clause_id) {
            return Err(EvalError::Invalid { field: format!("items[{i}]"), message: "同一条款只能评价一次".into() });
        }
        let rating = obj.get("rating").and_then(|v| v.as_str()).and_then(Rating::parse).ok_or_else(|| EvalError::Invalid {
            field: format!("items[{i}].rating"),
            message: "评价须为满意（satisfied）、基本满意（basically_satisfied）或不满意（unsatisfied）".into(),
        })?;
        let comment = obj.get("comment").and_then(|v| v.as_str()).unwrap_or("").trim().to_string();
        if rating != Rating::Satisfied && comment.is_empty() {
            return Err(EvalError::Invalid {
                field: format!("items[{i}].comment"),
                message: "评价为基本满意或不满意时，须写明该条款要求什么、实际交付了什么".into(),
            });
        }
        out.push(ItemRating { clause_id, rating, comment });
    }
    if let Some(missing) = form.iter().find(|f| !out.iter().any(|r| r.clause_id == f.clause_id)) {
        return Err(EvalError::Invalid { field: "items".into(), message: format!("第{}条（{}）尚未评价：每条履约条款都要评价", missing.number, missing.title) });
    }
    Ok(out)
}

/// The overall result, by one rule: **satisfied** when every clause is rated satisfied;
/// **unsatisfied** only when more than half of the clauses are rated unsatisfied;
/// otherwise **basically satisfied**. No single clause decides the whole contract unless
/// it is the only one: there is no one-vote veto.
pub fn overall(ratings: &[ItemRating]) -> Rating {
    let n = ratings.len();
    let unsatisfied = ratings.iter().filter(|r| r.rating == Rating::Unsatisfied).count();
    if n > 0 && ratings.iter().all(|r| r.rating == Rating::Satisfied) {
        Rating::Satisfied
    } else if unsatisfied * 2 > n {
        Rating::Unsatisfied
    } else {
        Rating::BasicallySatisfied
    }
}

/// The rule as the form and README state it.
pub const OVERALL_RULE: &str = "总体评定：各履约条款均为“满意”的，总体为满意；评为“不满意”的条款超过条款总数一半的，总体为不满意；其余为基本满意。任何单一条款都不能否决整个合同（不设一票否决）。";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> Vec<FormItem> {
        vec![
            FormItem { clause_id: 11, number: 3, title: "服务标准".into() },
            FormItem { clause_id: 12, number: 4, title: "信息报送".into() },
        ]
    }

    #[test]
    fn a_complete_evaluation() {
        let r = check(&form(), &[json!({"clause_id": 11, "rating": "satisfied"}), json!({"clause_id": 12, "rating": "unsatisfied", "comment": "要求每月5日前报送，3月未报"})]).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(overall(&r), Rating::BasicallySatisfied, "one clause cannot fail the contract");
    }

    #[test]
    fn foreign_criteria_in_every_shape_are_refused() {
        let nic = |items: Vec<serde_json::Value>| matches!(check(&form(), &items), Err(EvalError::NotInContract(_)));
        assert!(nic(vec![json!({"clause_id": 99, "rating": "satisfied"})]), "unknown or foreign clause");
        assert!(nic(vec![json!({"criterion": "台账是否齐全", "rating": "unsatisfied", "comment": "x"})]), "free text");
        assert!(nic(vec![json!({"clause_id": 11, "rating": "satisfied", "weight": 0.5})]), "weight");
        assert!(nic(vec![json!({"clause_id": 11, "rating": "satisfied", "score": 90})]), "score");
        assert!(nic(vec![json!({"clause_id": 11, "rating": "unsatisfied", "comment": "x", "veto": true})]), "veto");
        assert!(nic(vec![json!("满意")]), "not an object");
    }

    #[test]
    fn comments_and_completeness() {
        let e = check(&form(), &[json!({"clause_id": 11, "rating": "basically_satisfied"}), json!({"clause_id": 12, "rating": "satisfied"})]).unwrap_err();
        assert!(matches!(e, EvalError::Invalid { ref field, .. } if field == "items[0].comment"));
        let e = check(&form(), &[json!({"clause_id": 11, "rating": "satisfied"})]).unwrap_err();
        assert!(matches!(e, EvalError::Invalid { ref message, .. } if message.contains("第4条")));
        let e = check(&form(), &[json!({"clause_id": 11, "rating": "good"}), json!({"clause_id": 12, "rating": "satisfied"})]).unwrap_err();
        assert!(matches!(e, EvalError::Invalid { .. }));
    }

    #[test]
    fn the_overall_rule() {
        let r = |ratings: &[Rating]| ratings.iter().enumerate().map(|(i, r)| ItemRating { clause_id: i as i64, rating: *r, comment: "c".into() }).collect::<Vec<_>>();
        use Rating::*;
        assert_eq!(overall(&r(&[Satisfied, Satisfied])), Satisfied);
        assert_eq!(overall(&r(&[Satisfied, Unsatisfied])), BasicallySatisfied);
        assert_eq!(overall(&r(&[Unsatisfied, Unsatisfied, Satisfied])), Unsatisfied);
        assert_eq!(overall(&r(&[Unsatisfied, BasicallySatisfied, Satisfied])), BasicallySatisfied);
        assert_eq!(overall(&r(&[BasicallySatisfied])), BasicallySatisfied);
        assert_eq!(overall(&r(&[Unsatisfied])), Unsatisfied);
    }
}
