//! The source documents by their real titles (issue 29). The code and the stored lists cite
//! the seeds by file number and section ("001 §二(四)"), which means nothing to a resident
//! or a clerk; every text a person reads goes through `human`, which names the document
//! and its part instead. Pure: no database, no HTTP.

/// A source document: its seed number, issuing bodies, title and document number.
pub struct Source {
    pub seed: &'static str,
    pub issuer: &'static str,
    pub title: &'static str,
    /// 文号, where the document has one; otherwise its date.
    pub number: &'static str,
}

pub const SOURCES: [Source; 5] = [
    Source { seed: "000", issuer: "攀枝花市民政局、中共攀枝花市委组织部", title: "关于开展社区减负提升社区治理水平的实施意见", number: "攀民政〔2016〕83号" },
    Source { seed: "001", issuer: "四川省民政厅等四部门", title: "关于建立城乡社区工作事项准入备案制度的指导意见", number: "2021年3月24日" },
    Source { seed: "002", issuer: "中共攀枝花市委、攀枝花市人民政府", title: "关于全面提升城乡社区建设水平的意见", number: "攀委发〔2015〕10号" },
    // 003 is 000 as republished on the city's website (2023-02-27).
    Source { seed: "003", issuer: "攀枝花市民政局、中共攀枝花市委组织部", title: "关于开展社区减负提升社区治理水平的实施意见", number: "攀民政〔2016〕83号" },
    Source { seed: "004", issuer: "", title: "社区减负增效", number: "安徽省安庆市迎江区经验做法" },
];

fn source(seed: &str) -> Option<&'static Source> {
    SOURCES.iter().find(|s| s.seed == seed)
}

/// How a document is named in running text: 《title》（number）.
pub fn name(s: &Source) -> String {
    format!("{}《{}》（{}）", s.issuer, s.title, s.number)
}

const NUMERALS: &str = "一二三四五六七八九十";

/// "§二(四)" → "第二部分第（四）项", "§二(三)3" → "第二部分第（三）项第3点", "§二(四)(六)" →
/// "第二部分第（四）（六）项".
fn section(part: &str) -> String {
    let mut chars = part.chars().peekable();
    let head: String = std::iter::from_fn(|| chars.next_if(|c| NUMERALS.contains(*c))).collect();
    let mut items = Vec::new();
    while chars.next_if_eq(&'(').is_some() {
        let item: String = std::iter::from_fn(|| chars.next_if(|c| *c != ')')).collect();
        chars.next();
        items.push(format!("（{item}）"));
    }
    let point: String = chars.collect();
    let mut out = format!("第{head}部分");
    if !items.is_empty() {
        out.push_str(&format!("第{}项", items.concat()));
    }
    if !point.is_empty() {
        out.push_str(&format!("第{point}点"));
    }
    out
}

/// The text with every seed reference ("001 §二(四)", "001 §二(四)、§二(六)", "004 迎江区做法")
/// replaced by the document's name and part. Anything else is left as it is.
pub fn human(text: &str) -> String {
    if !may_cite(text) {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        let seed: String = chars[i..chars.len().min(i + 3)].iter().collect();
        let boundary = i == 0 || !chars[i - 1].is_ascii_digit();
        let ends = chars.get(i + 3).is_none_or(|c| !c.is_ascii_digit());
        let Some(src) = source(&seed).filter(|_| boundary && ends && seed.len() == 3) else {
            out.push(chars[i]);
            i += 1;
            continue;
        };
        let mut j = i + 3;
        // Sections: " §二(四)", then "、§二(六)" more.
        let mut parts = Vec::new();
        loop {
            let k = match (parts.is_empty(), chars.get(j), chars.get(j + 1)) {
                (true, Some(' '), _) => j + 1,
                (true, _, _) => j,
                (false, Some('、'), Some('§')) => j + 1,
                _ => break,
            };
            if chars.get(k) != Some(&'§') {
                break;
            }
            let start = k + 1;
            let mut end = start;
            while end < chars.len() && (NUMERALS.contains(chars[end]) || "()".contains(chars[end]) || chars[end].is_ascii_digit()) {
                end += 1;
            }
            if end == start {
                break;
            }
            parts.push(section(&chars[start..end].iter().collect::<String>()));
            j = end;
        }
        // "004 迎江区做法" / "004 迎江区": the document names the district already.
        let mut tail = false;
        if parts.is_empty() && src.seed == "004" {
            for t in [" 迎江区做法", " 迎江区"] {
                let t: Vec<char> = t.chars().collect();
                if chars[j..].starts_with(&t) {
                    j += t.len();
                    tail = true;
                    break;
                }
            }
        }
        // A number that cites nothing ("第001号") stays.
        if parts.is_empty() && !tail {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        out.push_str(&name(src));
        out.push_str(&parts.join("、"));
        i = j;
    }
    out
}

/// Whether a text may cite a seed at all: a cheap test before `human` walks it.
fn may_cite(text: &str) -> bool {
    text.contains('§') || text.contains(" 迎江区")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_references_become_the_documents_titles_and_parts() {
        assert_eq!(human("001 §二(四)"), "四川省民政厅等四部门《关于建立城乡社区工作事项准入备案制度的指导意见》（2021年3月24日）第二部分第（四）项");
        assert_eq!(
            human("费随事转（001 §三(二)）"),
            "费随事转（四川省民政厅等四部门《关于建立城乡社区工作事项准入备案制度的指导意见》（2021年3月24日）第三部分第（二）项）"
        );
        assert_eq!(human("001 §二(四)、§二(六)：x"), format!("{}第二部分第（四）项、第二部分第（六）项：x", name(&SOURCES[1])));
        assert_eq!(human("000 §二(三)3"), format!("{}第二部分第（三）项第3点", name(&SOURCES[0])));
        assert_eq!(human("001 §二(四)(六)"), format!("{}第二部分第（四）（六）项", name(&SOURCES[1])));
        assert_eq!(human("001 §二(四)；000 §二(三)"), format!("{}第二部分第（四）项；{}第二部分第（三）项", name(&SOURCES[1]), name(&SOURCES[0])));
        assert_eq!(human("《中华人民共和国食品安全法》第七条；004 迎江区做法"), "《中华人民共和国食品安全法》第七条；《社区减负增效》（安徽省安庆市迎江区经验做法）");
        assert!(!human("004 迎江区做法").contains("004"));
    }

    #[test]
    fn other_numbers_are_left_alone() {
        for s in ["示范区市场监管局〔2026〕12号", "合同ZR-2026-0001", "金额3,000.00元", "第001号", "10010 §", "电话 0010", "001号文件", "004 项"] {
            assert_eq!(human(s), s);
        }
    }
}
