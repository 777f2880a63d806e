//! Screening by meaning: what a department writes (an application, a contract's variables,
//! an amended clause) is read for the negative list, the qualification and enforcement
//! bans and target assessment, however it is worded.
//!
//! Each rule is a **concept** (`concepts.toml`, seeded from 001 §二(四)(六) and 000
//! §二(三)): *actions* that do the forbidden thing (罚款, 拆除, 劝离 …), *topics* that name
//! it (违建, 门前三包 …), *doubtful* words the reviewer decides, and combinations
//! (`整治+环境|河道`: both in one sentence). Texts are normalised first (`normalise.rs`).
//! A word does not count when it is negated in its clause (不承担行政执法), attributed to
//! another body (由城管部门负责), only mentioned (谨防冒充城管罚款的诈骗), straddles two
//! words (领取证件 is not 取证), or is excluded (招商银行). A topic in a clause that only
//! reports or publicises (发现违建及时上报, permitted help of 001 §二(三)) and anything
//! cited inside 《》 is doubtful rather than strong.
//!
//! Counties extend the concepts with their own words (`store.rs`, with a change log) and
//! their negative list items add their titles and keywords.
pub mod api;
pub mod corpus;
pub mod pages;
pub mod normalise;
pub mod store;

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use normalise::{normalise, word, Norm};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Blocks until the civil affairs reviewer decides it.
    Doubtful,
    /// Blocks.
    Strong,
}

/// How a word of a concept counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// Doing the forbidden thing: strong wherever it is not negated.
    Action,
    /// Naming it: strong, doubtful where the clause only reports or publicises.
    Topic,
    /// Doubtful: the reviewer decides.
    Doubtful,
    /// A phrase in which the concept's words do not count (招商银行).
    Exclude,
}

impl TermKind {
    pub const ALL: [TermKind; 4] = [TermKind::Action, TermKind::Topic, TermKind::Doubtful, TermKind::Exclude];
    pub fn as_str(self) -> &'static str {
        match self {
            TermKind::Action => "action",
            TermKind::Topic => "topic",
            TermKind::Doubtful => "doubtful",
            TermKind::Exclude => "exclude",
        }
    }
    pub fn parse(s: &str) -> Option<TermKind> {
        TermKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            TermKind::Action => "行为词（明确）",
            TermKind::Topic => "事项词（明确；仅报告、宣传时存疑）",
            TermKind::Doubtful => "存疑词（由民政审核认定）",
            TermKind::Exclude => "排除短语（其中的词不计）",
        }
    }
}

/// A pattern: groups of alternatives that must all occur in one sentence.
/// Written `整治+环境|河道|乱堆乱放`.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub source: String,
    pub kind: TermKind,
    groups: Vec<Vec<Vec<char>>>,
}

impl Pattern {
    pub fn parse(source: &str, kind: TermKind) -> Result<Pattern, String> {
        let groups: Vec<Vec<Vec<char>>> = source
            .split('+')
            .map(|g| g.split('|').map(word).filter(|w| !w.is_empty()).collect::<Vec<_>>())
            .collect();
        if source.trim().is_empty() || groups.iter().any(Vec::is_empty) {
            return Err(format!("“{source}”不是有效的词或组合（组合写作 词+词|词）"));
        }
        if groups.len() > 4 || groups.iter().flatten().any(|w| w.len() > 20) {
            return Err(format!("“{source}”过长：组合最多4组，每个词不超过20个字"));
        }
        Ok(Pattern { source: source.trim().to_string(), kind, groups })
    }
}

/// One rule read by meaning.
#[derive(Clone, Debug)]
pub struct Concept {
    pub key: String,
    pub label: String,
    /// The finding it raises: NEGATIVE_LIST, NEEDS_ENFORCEMENT_AUTHORITY,
    /// NEEDS_PROFESSIONAL_QUALIFICATION or TARGET_ASSESSMENT.
    pub code: &'static str,
    /// The negative-list category it belongs to, linking it to the county's item.
    pub category: String,
    /// The seed the rule rests on.
    pub basis: String,
    pub patterns: Vec<Pattern>,
    /// The county's list item the concept stands for, once linked.
    pub item_id: Option<i64>,
}

impl Concept {
    pub fn add(&mut self, source: &str, kind: TermKind) -> Result<(), String> {
        let p = Pattern::parse(source, kind)?;
        if !self.patterns.iter().any(|q| q.source == p.source && q.kind == p.kind) {
            self.patterns.push(p);
        }
        Ok(())
    }
}

/// Words that change how a concept's word counts, for every concept.
#[derive(Clone, Debug, Default)]
pub struct Cues {
    /// Before the word in its clause: 不承担, 不得, 严禁 ….
    negation: Vec<Vec<char>>,
    /// After the word in its clause: 不作为, 不纳入 ….
    negation_after: Vec<Vec<char>>,
    /// Between a negation and the word, undoes it: 不得拒绝配合拆违.
    flip: Vec<Vec<char>>,
    /// Ends a negation's reach: 不承担执法但需配合罚款.
    breaker: Vec<Vec<char>>,
    /// The clause only mentions the word: 谨防冒充城管罚款的诈骗.
    mention: Vec<Vec<char>>,
    /// The clause reports or publicises (001 §二(三)): topics become doubtful.
    soften: Vec<Vec<char>>,
    /// 由…负责: the work is someone else's, unless that someone is the community.
    attribution_verbs: Vec<Vec<char>>,
    community: Vec<Vec<char>>,
    /// Names of the bodies that do the work (区城管局): words inside them name who.
    names: Vec<Vec<char>>,
}

#[derive(Deserialize)]
struct Data {
    cues: CueData,
    concept: Vec<ConceptData>,
}

#[derive(Deserialize)]
struct CueData {
    negation: Vec<String>,
    negation_after: Vec<String>,
    flip: Vec<String>,
    breaker: Vec<String>,
    mention: Vec<String>,
    soften: Vec<String>,
    attribution_verbs: Vec<String>,
    community: Vec<String>,
    names: Vec<String>,
}

#[derive(Deserialize)]
struct ConceptData {
    key: String,
    label: String,
    code: String,
    #[serde(default)]
    category: String,
    basis: String,
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    doubtful: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

pub fn finding_code(code: &str) -> Option<&'static str> {
    ["NEGATIVE_LIST", "NEEDS_ENFORCEMENT_AUTHORITY", "NEEDS_PROFESSIONAL_QUALIFICATION", "TARGET_ASSESSMENT"]
        .into_iter()
        .find(|c| *c == code)
}

/// The concepts and cues, ready to scan.
#[derive(Clone, Debug)]
pub struct Engine {
    pub concepts: Vec<Concept>,
    cues: Cues,
}

const DATA: &str = include_str!("concepts.toml");

static BASE: LazyLock<Engine> = LazyLock::new(|| Engine::parse(DATA).expect("src/screening/concepts.toml is valid"));

/// The seeded concepts, as every county starts with them.
pub fn base() -> &'static Engine {
    &BASE
}

/// A list item as a concept: its title and keywords.
#[derive(Clone, Debug)]
pub struct ItemTerms {
    pub id: i64,
    pub code: &'static str,
    pub category: String,
    pub title: String,
    pub keywords: Vec<String>,
}

impl ItemTerms {
    pub fn concept(&self) -> Concept {
        let mut c = Concept {
            key: format!("item-{}", self.id),
            label: self.title.clone(),
            code: self.code,
            category: self.category.clone(),
            basis: String::new(),
            patterns: vec![],
            item_id: Some(self.id),
        };
        for w in std::iter::once(&self.title).chain(&self.keywords) {
            let _ = c.add(w, TermKind::Action);
        }
        c
    }
}

/// A word found, where, and in what words of the original text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    /// The field it was written in (title, description, work_plan, variables.scope,
    /// clauses.3 …).
    pub field: String,
    /// The words that triggered the finding, as written.
    pub text: String,
    /// The clause around them, as written.
    pub context: String,
}

impl Evidence {
    /// The field's Chinese name, for pages.
    pub fn field_label(&self) -> String {
        crate::admission::rules::field_label(&self.field)
    }
    /// The context before and after the words, for highlighting them in it.
    pub fn around(&self) -> (String, String) {
        match self.context.find(&self.text) {
            Some(i) if !self.text.is_empty() => (self.context[..i].to_string(), self.context[i + self.text.len()..].to_string()),
            _ => (String::new(), String::new()),
        }
    }
}

/// A concept found in what was scanned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub concept: String,
    pub strength: Strength,
    pub evidence: Vec<Evidence>,
}

impl Engine {
    pub fn parse(src: &str) -> Result<Engine, String> {
        let d: Data = toml::from_str(src).map_err(|e| e.to_string())?;
        let words = |v: &[String]| v.iter().map(|s| word(s)).filter(|w| !w.is_empty()).collect::<Vec<_>>();
        let cues = Cues {
            negation: words(&d.cues.negation),
            negation_after: words(&d.cues.negation_after),
            flip: words(&d.cues.flip),
            breaker: words(&d.cues.breaker),
            mention: words(&d.cues.mention),
            soften: words(&d.cues.soften),
            attribution_verbs: words(&d.cues.attribution_verbs),
            community: words(&d.cues.community),
            names: words(&d.cues.names),
        };
        let mut concepts = Vec::new();
        for c in d.concept {
            let code = finding_code(&c.code).ok_or_else(|| format!("concept {}: unknown code {}", c.key, c.code))?;
            let mut concept = Concept {
                key: c.key.clone(),
                label: c.label,
                code,
                category: c.category,
                basis: c.basis,
                patterns: vec![],
                item_id: None,
            };
            for (list, kind) in [(&c.actions, TermKind::Action), (&c.topics, TermKind::Topic), (&c.doubtful, TermKind::Doubtful), (&c.exclude, TermKind::Exclude)] {
                for s in list {
                    concept.add(s, kind).map_err(|e| format!("concept {}: {e}", c.key))?;
                }
            }
            concepts.push(concept);
        }
        Ok(Engine { concepts, cues })
    }

    /// The same cues with other concepts: for the duty and assist lists' own items.
    pub fn with_concepts(&self, concepts: Vec<Concept>) -> Engine {
        Engine { concepts, cues: self.cues.clone() }
    }

    /// Joins a county's negative-list item to the concept of its category (or title); an
    /// item no concept covers stands as a concept of its own. Its title and keywords count
    /// as topics.
    pub fn link_item(&mut self, item: &ItemTerms) {
        let same = |c: &Concept| {
            let k = |s: &str| s.trim().to_string();
            (!item.category.trim().is_empty() && k(&c.category) == k(&item.category)) || k(&c.label) == k(&item.title)
        };
        let i = match self.concepts.iter().position(|c| c.code != "TARGET_ASSESSMENT" && same(c)) {
            Some(i) => i,
            None => {
                self.concepts.push(item.concept());
                self.concepts.len() - 1
            }
        };
        let c = &mut self.concepts[i];
        c.item_id = c.item_id.or(Some(item.id));
        for w in std::iter::once(&item.title).chain(&item.keywords) {
            // A keyword the data cannot read (only punctuation) is skipped, not fatal.
            let _ = c.add(w, TermKind::Topic);
        }
    }

    pub fn concept(&self, key: &str) -> Option<&Concept> {
        self.concepts.iter().find(|c| c.key == key)
    }

    pub fn concept_mut(&mut self, key: &str) -> Option<&mut Concept> {
        self.concepts.iter_mut().find(|c| c.key == key)
    }

    /// Reads every field; one hit per concept found, at its greatest strength, with the
    /// words that raised it.
    pub fn scan(&self, fields: &[(&str, &str)]) -> Vec<Hit> {
        let texts: Vec<(&str, &str, Norm)> = fields.iter().filter(|(_, t)| !t.trim().is_empty()).map(|(f, t)| (*f, *t, normalise(t))).collect();
        let mut hits = Vec::new();
        for c in &self.concepts {
            let mut best: Option<Strength> = None;
            let mut evidence: Vec<(Strength, Evidence)> = Vec::new();
            for (field, text, n) in &texts {
                for (strength, spans) in self.matches(c, n) {
                    best = best.max(Some(strength));
                    for (s, e) in spans {
                        let (cs, ce) = n.clause_at(s);
                        let ev = Evidence { field: field.to_string(), text: n.original(text, s, e), context: n.original(text, cs, ce) };
                        if !evidence.iter().any(|(_, x)| *x == ev) {
                            evidence.push((strength, ev));
                        }
                    }
                }
            }
            if let Some(strength) = best {
                // The evidence of the finding's strength first; a few words are enough.
                evidence.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
                hits.push(Hit { concept: c.key.clone(), strength, evidence: evidence.into_iter().map(|(_, e)| e).take(6).collect() });
            }
        }
        hits
    }

    /// Every pattern of the concept that matches, with its strength and the spans of its
    /// words.
    fn matches(&self, c: &Concept, n: &Norm) -> Vec<(Strength, Vec<(usize, usize)>)> {
        // The concept's excluded phrases and the names of bodies: a word strictly inside one
        // does not count (the phrase itself may be a word of its own).
        let excluded: Vec<(usize, usize)> = c
            .patterns
            .iter()
            .filter(|p| p.kind == TermKind::Exclude)
            .flat_map(|p| p.groups.iter().flatten())
            .chain(&self.cues.names)
            .flat_map(|w| n.find(w).into_iter().map(move |s| (s, s + w.len())))
            .collect();
        let mut out = Vec::new();
        for p in c.patterns.iter().filter(|p| p.kind != TermKind::Exclude) {
            // Occurrences of each group that count, by sentence.
            let occ: Vec<Vec<(usize, usize)>> = p
                .groups
                .iter()
                .map(|alts| {
                    alts.iter()
                        .flat_map(|w| n.find(w).into_iter().map(move |s| (s, s + w.len())))
                        .filter(|&(s, e)| !excluded.iter().any(|&(xs, xe)| xs <= s && e <= xe && (xs, xe) != (s, e)) && self.counts(n, s, e))
                        .collect()
                })
                .collect();
            // The sentences where the first group counts and every other group too.
            for &(s, e) in &occ[0] {
                let (ss, se) = n.sentence_at(s);
                let mut spans = vec![(s, e)];
                let all = occ[1..].iter().all(|g| match g.iter().find(|&&(gs, ge)| ss <= gs && ge <= se) {
                    Some(&span) => {
                        spans.push(span);
                        true
                    }
                    None => false,
                });
                if all {
                    out.push((self.strength(p.kind, n, &spans), spans));
                }
            }
        }
        out
    }

    /// The strength of a match: doubtful words are doubtful; anything cited in 《》 is
    /// doubtful; a topic in a clause that reports or publicises is doubtful.
    fn strength(&self, kind: TermKind, n: &Norm, spans: &[(usize, usize)]) -> Strength {
        let (s, e) = spans[0];
        if kind == TermKind::Doubtful || (s..e).all(|i| n.cited[i]) {
            return Strength::Doubtful;
        }
        if kind == TermKind::Topic {
            let (cs, ce) = n.clause_at(s);
            if any_in(n, cs, ce, &self.cues.soften) {
                return Strength::Doubtful;
            }
        }
        Strength::Strong
    }

    /// Whether an occurrence at `[s, e)` counts at all.
    fn counts(&self, n: &Norm, s: usize, e: usize) -> bool {
        // Word boundaries: a two-character word straddling two words does not count
        // (领取/证件 is not 取证, 相关/停车 is not 关停).
        if e - s < 3 && !n.boundary[s] && !n.boundary[e] {
            return false;
        }
        let (cs, ce) = n.clause_at(s);
        if any_in(n, cs, ce, &self.cues.mention) {
            return false;
        }
        !self.negated(n, cs, ce, s, e) && !self.attributed(n, cs, ce, s)
    }

    /// 不承担行政执法 / 罚款不作为考核 — unless undone (不得拒绝) or ended (但、并需).
    fn negated(&self, n: &Norm, cs: usize, ce: usize, s: usize, e: usize) -> bool {
        // The nearest negation that starts before the word (it may share a character with
        // it: 不与经费挂钩).
        let before = self
            .cues
            .negation
            .iter()
            .flat_map(|w| find_in(n, cs, e, w).into_iter().map(move |p| (p, p + w.len())))
            .filter(|&(p, end)| p < s && end <= e)
            .map(|(_, end)| end)
            .max();
        if let Some(end) = before {
            if end >= s || (!any_in(n, end, s, &self.cues.flip) && !any_in(n, end, s, &self.cues.breaker)) {
                return true;
            }
        }
        self.cues.negation_after.iter().any(|w| find_in(n, e, ce, w).into_iter().any(|p| !any_in(n, e, p, &self.cues.breaker)))
    }

    /// 拆违工作由城管部门负责: another body's work (the word before the verb). 由社区负责
    /// is the community's.
    fn attributed(&self, n: &Norm, cs: usize, ce: usize, s: usize) -> bool {
        for by in find_in(n, cs, ce, &['由']) {
            for v in &self.cues.attribution_verbs {
                for at in find_in(n, by + 1, ce, v) {
                    let agent = (by + 1, at);
                    if s < at && agent.1 > agent.0 && agent.1 - agent.0 <= 12 && !any_in(n, agent.0, agent.1, &self.cues.community) {
                        return true;
                    }
                }
            }
        }
        false
    }
}

fn find_in(n: &Norm, from: usize, to: usize, w: &[char]) -> Vec<usize> {
    if to <= from || w.len() > to - from {
        return vec![];
    }
    (from..=to - w.len()).filter(|&i| n.chars[i..i + w.len()] == *w).collect()
}

fn any_in(n: &Norm, from: usize, to: usize, words: &[Vec<char>]) -> bool {
    words.iter().any(|w| !find_in(n, from, to, w).is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(String, Strength)> {
        base().scan(&[("description", text)]).into_iter().map(|h| (h.concept, h.strength)).collect()
    }

    fn strong(text: &str, concept: &str) {
        let f = found(text);
        assert!(f.contains(&(concept.to_string(), Strength::Strong)), "{text}: expected strong {concept}, got {f:?}");
    }

    fn doubtful(text: &str, concept: &str) {
        let f = found(text);
        assert!(f.contains(&(concept.to_string(), Strength::Doubtful)), "{text}: expected doubtful {concept}, got {f:?}");
    }

    fn clean(text: &str) {
        let f = found(text);
        assert!(f.is_empty(), "{text}: expected nothing, got {f:?}");
    }

    #[test]
    fn the_seeded_data_parses() {
        let keys: Vec<&str> = base().concepts.iter().map(|c| c.key.as_str()).collect();
        for k in ["enforcement", "demolition", "environment", "city_management", "investment", "tax", "revenue", "production_safety", "qualification", "target_assessment"] {
            assert!(keys.contains(&k), "{k}");
        }
    }

    #[test]
    fn rewordings_of_the_negative_list() {
        strong("协助街道清理辖区违建", "demolition");
        strong("配合做好房屋征收工作", "demolition");
        strong("开展安全生产大检查", "production_safety");
        strong("完成年度增收任务", "revenue");
        strong("督促沿街商户落实门前三包", "city_management");
        strong("劝离流动摊贩", "city_management");
        strong("对违规经营行为拍照取证", "enforcement");
        strong("协助税务部门催缴税费", "tax");
        strong("每个社区跟踪两个在谈项目", "investment");
        strong("推动落地项目签约", "investment");
    }

    #[test]
    fn traditional_characters_and_spacing() {
        strong("協助拆遷違建", "demolition");
        strong("完成招 商 引 資指标", "investment");
        strong("对占道经营罚　款", "enforcement");
    }

    #[test]
    fn combinations_meet_in_one_sentence() {
        strong("牵头整治辖区河道", "environment");
        clean("整理辖区居民档案。做好河道沿线的志愿服务登记");
    }

    #[test]
    fn negation_attribution_and_mention() {
        clean("社区仅负责入户宣传，不承担行政执法");
        clean("本任务不含罚款、查封等执法事项");
        strong("社区不得拒绝配合拆违", "demolition");
        strong("不承担执法但需对商户罚款", "enforcement");
        clean("拆违工作由区城管执法局负责");
        strong("拆违工作由社区负责", "demolition");
        clean("开展防范冒充城管罚款诈骗宣传");
        clean("提醒居民谨防招商加盟骗局");
        clean("评价不设一票否决");
    }

    #[test]
    fn word_boundaries_and_exclusions() {
        clean("协助居民领取证件");
        clean("整理相关停车位信息");
        clean("为老年人办理招商银行社保卡激活");
        clean("采集辖区人口特征收集表");
    }

    #[test]
    fn reporting_and_citing_are_doubtful() {
        doubtful("发现违建线索及时上报城管部门", "demolition");
        doubtful("宣传《行政处罚法》", "enforcement");
        strong("发现违建后组织拆除并上报", "demolition");
    }

    #[test]
    fn target_assessment() {
        strong("完成率100%，全区排名前三，否则一票否决并扣回经费", "target_assessment");
        strong("考核排名末位的社区予以通报批评", "target_assessment");
        clean("甲方仅依据本合同条款评定满意度，不以目标考核方式评价");
        clean("不设一票否决，不以排名评价");
    }

    #[test]
    fn evidence_names_field_and_original_words() {
        let h = base().scan(&[("title", "社区环境提升"), ("work_plan", "第二阶段：对辖区違 建进行拆除")]);
        let d = h.iter().find(|h| h.concept == "demolition").expect("demolition");
        assert_eq!(d.strength, Strength::Strong);
        assert!(d.evidence.iter().any(|e| e.field == "work_plan" && e.text == "違 建"), "{:?}", d.evidence);
        assert!(d.evidence.iter().all(|e| e.context.contains("拆除")));
    }

    #[test]
    fn patterns_parse_or_explain() {
        assert!(Pattern::parse("整治+环境|河道", TermKind::Topic).is_ok());
        assert!(Pattern::parse("整治+", TermKind::Topic).is_err());
        assert!(Pattern::parse("  ", TermKind::Topic).is_err());
    }
}
