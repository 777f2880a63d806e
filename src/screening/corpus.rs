//! The labelled corpus (`tests/screening/cases.toml`) read against an engine: which cases
//! come out as labelled, and precision and recall per concept. Used by the corpus test and
//! by `zhunru screening-report`.
use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Engine, Strength};

#[derive(Debug, Deserialize)]
pub struct Corpus {
    #[serde(default)]
    pub task: Vec<Case>,
    #[serde(default)]
    pub clause: Vec<Case>,
}

#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub work_plan: String,
    #[serde(default)]
    pub staffing: String,
    #[serde(default)]
    pub basis: String,
    /// A contract sentence.
    #[serde(default)]
    pub text: String,
    pub expect: Vec<String>,
    /// block, review or pass.
    pub outcome: String,
    #[serde(default)]
    pub note: String,
}

impl Corpus {
    pub fn parse(src: &str) -> Result<Corpus, String> {
        toml::from_str(src).map_err(|e| e.to_string())
    }
}

/// One case as the engine read it.
#[derive(Debug)]
pub struct Outcome<'a> {
    pub case: &'a Case,
    pub is_clause: bool,
    pub found: Vec<(String, Strength)>,
    /// Why it did not come out as labelled, if it did not.
    pub wrong: Option<String>,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

fn judge(case: &Case, is_clause: bool, found: &[(String, Strength)]) -> Option<String> {
    let has = |k: &str, strong: bool| found.iter().any(|(c, s)| c == k && (!strong || *s == Strength::Strong));
    let any_strong = found.iter().any(|(_, s)| *s == Strength::Strong);
    match case.outcome.as_str() {
        // A contract is refused on any finding; an application is blocked by a strong one.
        "block" => case
            .expect
            .iter()
            .find(|k| !has(k, !is_clause))
            .map(|k| format!("expected {} {k}, found {found:?}", if is_clause { "a finding of" } else { "strong" })),
        "review" => match case.expect.iter().find(|k| !has(k, false)) {
            Some(k) => Some(format!("expected a doubtful {k}, found {found:?}")),
            None if any_strong => Some(format!("expected review only, found strong {found:?}")),
            None => None,
        },
        "pass" if !found.is_empty() => Some(format!("expected nothing, found {found:?}")),
        "pass" => None,
        o => Some(format!("unknown outcome {o}")),
    }
}

/// Reads every case.
pub fn run<'a>(engine: &Engine, corpus: &'a Corpus) -> Vec<Outcome<'a>> {
    let tasks = corpus.task.iter().map(|c| (c, false));
    let clauses = corpus.clause.iter().map(|c| (c, true));
    tasks
        .chain(clauses)
        .map(|(case, is_clause)| {
            let fields: Vec<(&str, &str)> = if is_clause {
                vec![("clause", &case.text)]
            } else {
                vec![
                    ("title", &case.title),
                    ("description", &case.description),
                    ("basis", &case.basis),
                    ("work_plan", &case.work_plan),
                    ("staffing", &case.staffing),
                ]
            };
            let found: Vec<(String, Strength)> = engine.scan(&fields).into_iter().map(|h| (h.concept, h.strength)).collect();
            let wrong = judge(case, is_clause, &found);
            Outcome { case, is_clause, found, wrong }
        })
        .collect()
}

/// Precision and recall per concept: a concept found where the label expects it is a true
/// positive, found where it does not a false positive, missing where it does a false
/// negative.
pub fn per_concept(engine: &Engine, outcomes: &[Outcome]) -> BTreeMap<String, Counts> {
    let mut m: BTreeMap<String, Counts> = engine.concepts.iter().map(|c| (c.key.clone(), Counts::default())).collect();
    for o in outcomes {
        for (key, c) in m.iter_mut() {
            let expected = o.case.expect.contains(key);
            let found = o.found.iter().any(|(k, _)| k == key);
            match (expected, found) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                (false, false) => {}
            }
        }
    }
    m
}

/// The report `zhunru screening-report` prints.
pub fn report(engine: &Engine, corpus: &Corpus) -> String {
    let outcomes = run(engine, corpus);
    let mut out = String::new();
    let count = |clause: bool, outcome: &str| outcomes.iter().filter(|o| o.is_clause == clause && o.case.outcome == outcome).count();
    let right = |clause: bool, outcome: &str| {
        outcomes.iter().filter(|o| o.is_clause == clause && o.case.outcome == outcome && o.wrong.is_none()).count()
    };
    out.push_str(&format!("screening corpus: {} tasks, {} contract sentences\n\n", corpus.task.len(), corpus.clause.len()));
    out.push_str("outcome as labelled\n");
    for (clause, kind) in [(false, "task"), (true, "clause")] {
        for outcome in ["block", "review", "pass"] {
            let n = count(clause, outcome);
            if n > 0 {
                out.push_str(&format!("  {kind:<6} {outcome:<6} {:>3}/{:<3}\n", right(clause, outcome), n));
            }
        }
    }
    out.push_str(&format!("\n{:<18} {:>4} {:>4} {:>4} {:>9} {:>7}\n", "concept", "tp", "fp", "fn", "precision", "recall"));
    for (k, c) in per_concept(engine, &outcomes) {
        out.push_str(&format!("{k:<18} {:>4} {:>4} {:>4} {:>9.3} {:>7.3}\n", c.tp, c.fp, c.fn_, c.precision(), c.recall()));
    }
    let wrong: Vec<&Outcome> = outcomes.iter().filter(|o| o.wrong.is_some()).collect();
    if !wrong.is_empty() {
        out.push_str(&format!("\nnot as labelled ({}):\n", wrong.len()));
        for o in wrong {
            out.push_str(&format!("  {} [{}] {} — {}\n", o.case.id, o.case.outcome, o.case.note, o.wrong.as_deref().unwrap_or("")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases the engine does not read as labelled, each with the reason it is tolerated.
    const KNOWN_MISSES: &[(&str, &str)] = &[(
        "T114",
        "labelled review (a village river chief reports problems), but its last clause \
         \"配合做好河道整治\" gives the village a share of river remediation with nothing that \
         softens it; the engine blocks, which we think the stricter and safer reading",
    )];

    #[test]
    fn the_corpus_comes_out_as_labelled() {
        let corpus = Corpus::parse(include_str!("../../tests/screening/cases.toml")).expect("corpus parses");
        assert!(corpus.task.len() >= 150 && corpus.clause.len() >= 40, "the corpus keeps its size");
        let outcomes = run(super::super::base(), &corpus);
        let mut wrong = Vec::new();
        for o in &outcomes {
            let known = KNOWN_MISSES.iter().any(|(id, _)| *id == o.case.id);
            match (&o.wrong, known) {
                (Some(why), false) => wrong.push(format!("{} ({}): {why}", o.case.id, o.case.note)),
                (None, true) => wrong.push(format!("{} is listed as a known miss but now comes out as labelled: take it off the list", o.case.id)),
                _ => {}
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        // Every blocking case blocks and every honest case passes (the outcomes above), and
        // no concept's recall falls below what the corpus shows today.
        for (k, c) in per_concept(super::super::base(), &outcomes) {
            assert!(c.recall() >= 0.95, "{k}: recall {:.3}", c.recall());
        }
    }
}
