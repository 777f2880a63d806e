//! Contract templates: one TOML file per template in `contract-templates/`, edited by
//! civil affairs clerks. Parsed and checked when the server starts; every error names
//! the file and line (see contract-templates/README.md for the format).
use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use utoipa::ToSchema;

use crate::money::Money;

/// Variables the system fills in; a template may use them without declaring them.
pub const SYSTEM_VARIABLES: [&str; 11] = [
    "county",
    "ground",
    "department",
    "community",
    "task",
    "approval_number",
    "contract_number",
    "amount",
    "amount_capitals",
    "period_start",
    "period_end",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VarType {
    Text,
    Date,
    Money,
    Integer,
    Choice,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Variable {
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub ty: VarType,
    pub required: bool,
    pub default: Option<String>,
    pub choices: Vec<String>,
}

impl Variable {
    /// Checks one value of this variable; returns it normalised.
    pub fn check(&self, value: &str) -> Result<String, String> {
        let v = value.trim();
        let bad = |what: &str| Err(format!("“{}”须为{what}", self.label));
        match self.ty {
            VarType::Text if v.chars().count() > 2000 => bad("不超过2000个字符的文字"),
            VarType::Text => Ok(v.to_string()),
            VarType::Date => match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) => crate::platform::input::check_date(d).map(|d| d.to_string()),
                Err(_) => bad("日期（YYYY-MM-DD）"),
            },
            VarType::Money => Money::parse_amount(v).map(|m| m.to_string()).or_else(|_| bad("金额，如 3000.00")),
            VarType::Integer => v.parse::<i64>().map(|i| i.to_string()).or_else(|_| bad("整数")),
            VarType::Choice => {
                if self.choices.iter().any(|c| c == v) {
                    Ok(v.to_string())
                } else {
                    bad(&format!("以下之一：{}", self.choices.join("、")))
                }
            }
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ClauseTemplate {
    pub number: u32,
    pub title: String,
    pub text: String,
    pub performance: bool,
    pub needs_professional_qualification: bool,
    pub needs_enforcement_authority: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Due {
    Start,
    End,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Part {
    pub percent: u32,
    pub due: Due,
    pub clause: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Schedule {
    /// Equal monthly instalments, remainder on the last; each may wait for a clause.
    Monthly { clause: Option<u32> },
    /// Parts in whole percents adding up to 100.
    Parts { parts: Vec<Part> },
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Template {
    pub id: String,
    pub title: String,
    /// The file it was read from.
    pub file: String,
    pub needs_professional_qualification: bool,
    pub needs_enforcement_authority: bool,
    pub variables: Vec<Variable>,
    pub clauses: Vec<ClauseTemplate>,
    pub schedule: Schedule,
}

impl Template {
    /// A template (or one of its clauses) that needs a professional qualification or
    /// enforcement authority cannot be used for a community (001 §二(六)).
    pub fn barred_for_community(&self) -> Option<String> {
        if self.needs_professional_qualification || self.needs_enforcement_authority {
            return Some(crate::citation::human(&format!("模板“{}”所含服务需要专业资质或执法资格，不得向社区购买（001 §二(六)）", self.title)));
        }
        self.clauses
            .iter()
            .find(|c| c.needs_professional_qualification || c.needs_enforcement_authority)
            .map(|c| crate::citation::human(&format!("模板“{}”第{}条（{}）需要专业资质或执法资格，不得向社区购买（001 §二(六)）", self.title, c.number, c.title)))
    }
}

/// A template error: file, line, message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The template a draft starts from, by the task's period: a task of up to three months is
/// short-term work paid once on delivery; a longer one is co-management paid by the month
/// (issue 29: drafting preselected the monthly template for a two-month survey).
pub fn suggested(start: NaiveDate, end: NaiveDate) -> &'static str {
    if (end - start).num_days() < 92 {
        "short-term-task"
    } else {
        "monthly-co-management"
    }
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    needs_professional_qualification: bool,
    #[serde(default)]
    needs_enforcement_authority: bool,
    #[serde(default)]
    variables: Vec<Spanned<RawVariable>>,
    #[serde(default)]
    clauses: Vec<Spanned<RawClause>>,
    schedule: Spanned<RawSchedule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    name: String,
    label: String,
    #[serde(rename = "type")]
    ty: VarType,
    #[serde(default)]
    required: bool,
    default: Option<String>,
    #[serde(default)]
    choices: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClause {
    number: u32,
    title: String,
    text: Spanned<String>,
    #[serde(default)]
    performance: bool,
    #[serde(default)]
    needs_professional_qualification: bool,
    #[serde(default)]
    needs_enforcement_authority: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    rule: String,
    clause: Option<u32>,
    #[serde(default)]
    parts: Vec<RawPart>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPart {
    percent: u32,
    due: Due,
    clause: Option<u32>,
}

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

/// The `{name}` placeholders of a text, with their byte offsets.
pub fn placeholders(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut base = 0;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        out.push((base + open, &rest[open + 1..open + close]));
        base += open + close + 1;
        rest = &rest[open + close + 1..];
    }
    out
}

/// Replaces every `{name}` with its value (unknown names stay as they are).
pub fn fill(text: &str, values: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (at, name) in placeholders(text) {
        out.push_str(&text[last..at]);
        match values.get(name) {
            Some(v) => out.push_str(v),
            None => out.push_str(&text[at..at + name.len() + 2]),
        }
        last = at + name.len() + 2;
    }
    out.push_str(&text[last..]);
    // A value that ends a sentence itself must not double the template's full stop.
    out.replace("。。", "。")
}

/// Parses and checks one template file's text. All errors are reported, each with its line.
pub fn parse(file: &str, src: &str) -> Result<Template, Vec<TemplateError>> {
    let t = parse_shape(file, src)?;
    let errors = screen(&t, file, src);
    if errors.is_empty() {
        Ok(t)
    } else {
        Err(errors)
    }
}

/// A template cannot carry what a department may not write either: its clause texts,
/// titles and variable defaults are screened like a contract (negation is read, so "不以目标
/// 考核方式评价" is fine).
fn screen(t: &Template, file: &str, src: &str) -> Vec<TemplateError> {
    let engine = crate::screening::base();
    let mut out = Vec::new();
    for c in &t.clauses {
        let text: String = {
            // Placeholders are filled by the system or by screened variables.
            let mut s = c.text.clone();
            for (_, name) in placeholders(&c.text).into_iter().rev() {
                s = s.replace(&format!("{{{name}}}"), "");
            }
            s
        };
        let line = src.find(&format!("number = {}", c.number)).map_or(0, |o| line_of(src, o));
        for h in engine.scan(&[("title", &c.title), ("text", &text)]) {
            let words: Vec<String> = h.evidence.iter().map(|e| format!("“{}”", e.text)).collect();
            out.push(TemplateError {
                file: file.to_string(),
                line,
                message: format!("第{}条含有不得写入购买服务合同的内容（{}）：{}", c.number, h.concept, words.join("、")),
            });
        }
    }
    for v in &t.variables {
        let values: Vec<&str> = v.default.iter().map(String::as_str).chain(v.choices.iter().map(String::as_str)).collect();
        for h in engine.scan(&values.iter().map(|x| ("default", *x)).collect::<Vec<_>>()) {
            out.push(TemplateError { file: file.to_string(), line: 0, message: format!("变量“{}”的默认值或选项含有不得写入合同的内容（{}）", v.name, h.concept) });
        }
    }
    out
}

fn parse_shape(file: &str, src: &str) -> Result<Template, Vec<TemplateError>> {
    let err = |line: usize, message: String| TemplateError { file: file.to_string(), line, message };
    let raw: RawTemplate = toml::from_str(src).map_err(|e| {
        let line = e.span().map(|s| line_of(src, s.start)).unwrap_or(1);
        vec![err(line, format!("TOML 格式错误：{}", e.message()))]
    })?;
    let mut errors = Vec::new();
    let id_line = line_of(src, raw.id.span().start);
    let id = raw.id.into_inner();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        errors.push(err(id_line, format!("模板编号“{id}”只能由小写字母、数字和 - 组成")));
    }

    let mut variables = Vec::new();
    let mut names: HashSet<String> = HashSet::new();
    for v in raw.variables {
        let line = line_of(src, v.span().start);
        let v = v.into_inner();
        let valid_name = !v.name.is_empty() && v.name.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if !valid_name {
            errors.push(err(line, format!("变量名“{}”只能由小写字母和 _ 组成", v.name)));
        }
        if SYSTEM_VARIABLES.contains(&v.name.as_str()) || !names.insert(v.name.clone()) {
            errors.push(err(line, format!("变量名“{}”重复或与系统变量重名", v.name)));
        }
        if v.ty == VarType::Choice && v.choices.is_empty() {
            errors.push(err(line, format!("选择型变量“{}”须列出 choices", v.name)));
        }
        let var = Variable { name: v.name, label: v.label, ty: v.ty, required: v.required, default: v.default, choices: v.choices };
        if let Some(d) = &var.default {
            if let Err(m) = var.check(d) {
                errors.push(err(line, format!("默认值不合适：{m}")));
            }
        }
        variables.push(var);
    }

    let mut clauses: Vec<ClauseTemplate> = Vec::new();
    for (i, c) in raw.clauses.into_iter().enumerate() {
        let line = line_of(src, c.span().start);
        let c = c.into_inner();
        let expected = i as u32 + 1;
        if c.number != expected {
            errors.push(err(line, format!("条款编号应为第{expected}条，而不是第{}条（缺少第{expected}条或顺序不对）", c.number)));
        }
        let text_start = c.text.span().start;
        let text = c.text.into_inner();
        for (_, name) in placeholders(&text) {
            if !names.contains(name) && !SYSTEM_VARIABLES.contains(&name) {
                errors.push(err(line_of(src, text_start), format!("第{}条使用了未知变量“{{{name}}}”", c.number)));
            }
        }
        clauses.push(ClauseTemplate {
            number: c.number,
            title: c.title,
            text,
            performance: c.performance,
            needs_professional_qualification: c.needs_professional_qualification,
            needs_enforcement_authority: c.needs_enforcement_authority,
        });
    }
    if clauses.is_empty() {
        errors.push(err(1, "模板没有条款".into()));
    } else if !clauses.iter().any(|c| c.performance) {
        errors.push(err(1, "模板须至少有一条履约条款（performance = true），满意度评定只依据履约条款".into()));
    }

    let sched_line = line_of(src, raw.schedule.span().start);
    let s = raw.schedule.into_inner();
    let performance_clause = |n: u32| clauses.iter().any(|c| c.number == n && c.performance);
    let schedule = match s.rule.as_str() {
        "monthly" => Schedule::Monthly { clause: s.clause },
        "parts" => {
            let total: u32 = s.parts.iter().map(|p| p.percent).sum();
            if s.parts.is_empty() || total != 100 {
                errors.push(err(sched_line, format!("付款计划各期比例合计须为100%，现为{total}%")));
            }
            Schedule::Parts { parts: s.parts.into_iter().map(|p| Part { percent: p.percent, due: p.due, clause: p.clause }).collect() }
        }
        other => {
            errors.push(err(sched_line, format!("未知的付款规则“{other}”，须为 monthly 或 parts")));
            Schedule::Monthly { clause: None }
        }
    };
    let referenced: Vec<u32> = match &schedule {
        Schedule::Monthly { clause } => clause.iter().copied().collect(),
        Schedule::Parts { parts } => parts.iter().filter_map(|p| p.clause).collect(),
    };
    for n in referenced {
        if !performance_clause(n) {
            errors.push(err(sched_line, format!("付款计划引用的第{n}条不是本模板的履约条款")));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Template {
        id,
        title: raw.title,
        file: file.to_string(),
        needs_professional_qualification: raw.needs_professional_qualification,
        needs_enforcement_authority: raw.needs_enforcement_authority,
        variables,
        clauses,
        schedule,
    })
}

/// The templates built into the binary (the files of `contract-templates/`), so that
/// `zhunru serve` works from any directory; `ZHUNRU_TEMPLATES` names a folder instead.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("monthly-co-management.toml", include_str!("../../contract-templates/monthly-co-management.toml")),
    ("short-term-task.toml", include_str!("../../contract-templates/short-term-task.toml")),
];

/// The built-in templates.
pub fn load_embedded() -> Result<Vec<Template>, Vec<TemplateError>> {
    load_sources("（内置模板）", EMBEDDED.iter().map(|(n, s)| (n.to_string(), s.to_string())).collect())
}

/// Loads every `*.toml` of a directory, sorted by file name; any error fails the whole load.
pub fn load_dir(dir: &Path) -> Result<Vec<Template>, Vec<TemplateError>> {
    let read_err = |m: String| vec![TemplateError { file: dir.display().to_string(), line: 0, message: m }];
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| read_err(format!("无法读取合同模板目录：{e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut sources = Vec::new();
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let src = std::fs::read_to_string(&path).map_err(|e| read_err(format!("{name}: {e}")))?;
        sources.push((name, src));
    }
    load_sources(&dir.display().to_string(), sources)
}

fn load_sources(origin: &str, sources: Vec<(String, String)>) -> Result<Vec<Template>, Vec<TemplateError>> {
    let mut templates: Vec<Template> = Vec::new();
    let mut errors = Vec::new();
    for (name, src) in sources {
        match parse(&name, &src) {
            Ok(t) if templates.iter().any(|o| o.id == t.id) => {
                errors.push(TemplateError { file: name, line: 1, message: format!("模板编号“{}”与其他模板重复", t.id) })
            }
            Ok(t) => templates.push(t),
            Err(es) => errors.extend(es),
        }
    }
    if templates.is_empty() && errors.is_empty() {
        return Err(vec![TemplateError { file: origin.to_string(), line: 0, message: "没有合同模板（*.toml）".into() }]);
    }
    if errors.is_empty() {
        Ok(templates)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_binary_carries_every_template_of_the_folder() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contract-templates");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        files.sort();
        let embedded: Vec<String> = super::EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(embedded, files, "add each new template file to EMBEDDED");
        let ids = |ts: Vec<super::Template>| ts.into_iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(super::load_embedded().unwrap()), ids(super::load_dir(&dir).unwrap()));
    }

    use super::*;

    const GOOD: &str = r#"
id = "t"
title = "测试模板"

[[variables]]
name = "scope"
label = "范围"
type = "text"
required = true

[[clauses]]
number = 1
title = "事项"
text = "{department}委托{community}：{scope}"

[[clauses]]
number = 2
title = "成果"
performance = true
text = "交付成果"

[schedule]
rule = "parts"

[[schedule.parts]]
percent = 40
due = "start"

[[schedule.parts]]
percent = 60
due = "end"
clause = 2
"#;

    fn errors(src: &str) -> Vec<(usize, String)> {
        parse("t.toml", src).unwrap_err().into_iter().map(|e| (e.line, e.message)).collect()
    }

    #[test]
    fn a_template_cannot_carry_target_assessment() {
        let bad = GOOD.replace("text = \"交付成果\"", "text = \"交付成果，完成率低于100%的一票否决\"");
        let e = errors(&bad);
        assert!(e.iter().any(|(_, m)| m.contains("第2条") && m.contains("一票否决")), "{e:?}");
        let fine = GOOD.replace("text = \"交付成果\"", "text = \"交付成果，不设一票否决，不以排名评价\"");
        assert!(parse("t.toml", &fine).is_ok());
    }

    #[test]
    fn a_good_template() {
        let t = parse("t.toml", GOOD).unwrap();
        assert_eq!(t.clauses.len(), 2);
        assert!(t.clauses[1].performance);
        assert_eq!(t.schedule, Schedule::Parts { parts: vec![
            Part { percent: 40, due: Due::Start, clause: None },
            Part { percent: 60, due: Due::End, clause: Some(2) },
        ] });
        assert_eq!(t.barred_for_community(), None);
    }

    #[test]
    fn an_unknown_variable_names_its_line() {
        let e = errors(&GOOD.replace("：{scope}", "：{scope}{budget_code}"));
        assert_eq!(e, vec![(14, "第1条使用了未知变量“{budget_code}”".to_string())]);
    }

    #[test]
    fn a_missing_clause_number_names_its_line() {
        let e = errors(&GOOD.replace("number = 2", "number = 3"));
        assert_eq!(e[0].0, 16, "the [[clauses]] of the misnumbered clause");
        assert!(e[0].1.contains("缺少第2条"), "{e:?}");
    }

    #[test]
    fn a_schedule_that_does_not_add_up() {
        let e = errors(&GOOD.replace("percent = 60", "percent = 50"));
        assert_eq!(e, vec![(22, "付款计划各期比例合计须为100%，现为90%".to_string())]);
        let e = errors(&GOOD.replace("clause = 2", "clause = 1"));
        assert!(e[0].1.contains("不是本模板的履约条款"));
    }

    #[test]
    fn other_mistakes() {
        assert!(errors(&GOOD.replace("type = \"text\"", "type = \"number\""))[0].1.contains("TOML"));
        assert!(errors(&GOOD.replace("performance = true", "performance = false")).iter().any(|e| e.1.contains("履约条款")));
        assert!(errors(&GOOD.replace("name = \"scope\"", "name = \"county\"")).iter().any(|e| e.1.contains("系统变量")));
        assert!(errors("id = \"x\"\ntitle = \"x\"\n[schedule]\nrule = \"weekly\"\n").iter().any(|e| e.1.contains("weekly")));
    }

    #[test]
    fn variables_check_their_values() {
        let v = |ty, choices: &[&str]| Variable { name: "x".into(), label: "某项".into(), ty, required: true, default: None, choices: choices.iter().map(|s| s.to_string()).collect() };
        assert_eq!(v(VarType::Money, &[]).check("3000").unwrap(), "3000.00");
        assert!(v(VarType::Money, &[]).check("三千").is_err());
        assert_eq!(v(VarType::Date, &[]).check("2026-03-01").unwrap(), "2026-03-01");
        assert!(v(VarType::Date, &[]).check("2026/03/01").is_err());
        assert!(v(VarType::Integer, &[]).check("4.5").is_err());
        assert!(v(VarType::Choice, &["甲", "乙"]).check("丙").unwrap_err().contains("甲、乙"));
    }

    #[test]
    fn fills_placeholders() {
        let mut m = HashMap::new();
        m.insert("a".to_string(), "甲".to_string());
        assert_eq!(fill("{a}和{b}", &m), "甲和{b}");
        assert_eq!(placeholders("x{a}y{bb}"), vec![(1, "a"), (5, "bb")]);
    }

    #[test]
    fn the_shipped_templates_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("contract-templates");
        let ts = load_dir(&dir).unwrap_or_else(|e| panic!("{}", e.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")));
        let ids: Vec<&str> = ts.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["monthly-co-management", "short-term-task"]);
    }
}

#[cfg(test)]
mod suggested_tests {
    use super::*;

    #[test]
    fn short_tasks_start_from_the_short_term_template() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(suggested(d("2026-03-01"), d("2026-04-30")), "short-term-task");
        assert_eq!(suggested(d("2026-03-01"), d("2026-05-31")), "short-term-task");
        assert_eq!(suggested(d("2026-01-01"), d("2026-12-31")), "monthly-co-management");
    }
}
