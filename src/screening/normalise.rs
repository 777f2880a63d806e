//! Text as the screening reads it: simplified Chinese, half-width, no spaces or
//! punctuation inside words, sentences and clauses marked, each character traced back to
//! the text the department wrote (for the evidence and its highlighting).
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

/// Ends a sentence: the window in which the words of one pattern must meet.
pub const SENTENCE: char = '。';
/// Ends a clause: the reach of a negation, an attribution or a softening word.
pub const CLAUSE: char = '，';

#[derive(Clone, Debug, Default)]
pub struct Norm {
    /// The normalised characters, with `SENTENCE` and `CLAUSE` marks.
    pub chars: Vec<char>,
    /// For each of `chars`, the index of the character of the original text it came from.
    pub orig: Vec<usize>,
    /// Inside 《》 (the name of a law or document): cited, not done.
    pub cited: Vec<bool>,
    /// A token of the word segmentation starts (or the previous one ends) here: `len + 1`
    /// entries.
    pub boundary: Vec<bool>,
}

/// Traditional to simplified (a maintained converter, MediaWiki and OpenCC tables). The
/// converter works on phrases; when that changes the length, characters are converted one
/// by one so that every character keeps its place in the original.
fn simplified(chars: &[char]) -> Vec<char> {
    let s: String = chars.iter().collect();
    let whole: Vec<char> = zhconv::zhconv(&s, zhconv::Variant::ZhHans).chars().collect();
    if whole.len() == chars.len() {
        return whole;
    }
    chars
        .iter()
        .map(|c| {
            let one: Vec<char> = zhconv::zhconv(&c.to_string(), zhconv::Variant::ZhHans).chars().collect();
            if one.len() == 1 {
                one[0]
            } else {
                *c
            }
        })
        .collect()
}

fn mark_of(c: char) -> Option<char> {
    match c {
        '。' | '.' | '!' | '?' | ';' | '\n' | '\r' | '…' => Some(SENTENCE),
        ',' | ':' | '，' | '：' => Some(CLAUSE),
        _ => None,
    }
}

/// Normalises a text for matching and segments it into words.
pub fn normalise(text: &str) -> Norm {
    let original: Vec<char> = text.chars().collect();
    let simple = simplified(&original);
    let mut n = Norm::default();
    let mut depth = 0usize;
    for (i, c) in simple.iter().enumerate() {
        // NFKC: full-width letters, digits and spaces to half-width, compatibility forms
        // (circled digits, ideographic space) to their plain form.
        for c in c.to_string().nfkc() {
            let c = c.to_ascii_lowercase();
            match c {
                '《' | '〈' => depth += 1,
                '》' | '〉' => depth = depth.saturating_sub(1),
                _ => {
                    if let Some(m) = mark_of(c) {
                        // No empty clauses: a mark never follows a mark of the same or a
                        // stronger kind.
                        match (n.chars.last(), m) {
                            (None, _) | (Some(&SENTENCE), _) => {}
                            (Some(&CLAUSE), SENTENCE) => *n.chars.last_mut().expect("a last mark") = SENTENCE,
                            (Some(&CLAUSE), _) => {}
                            _ => {
                                n.chars.push(m);
                                n.orig.push(i);
                                n.cited.push(false);
                            }
                        }
                        if m == SENTENCE {
                            depth = 0;
                        }
                    } else if c.is_alphanumeric() || c == '%' {
                        n.chars.push(c);
                        n.orig.push(i);
                        n.cited.push(depth > 0);
                    }
                    // Whitespace and any other punctuation inside a sentence is dropped:
                    // "拆 迁", "招·商" and "罚　款" read as the words they spell.
                }
            }
        }
    }
    n.boundary = boundaries(&n.chars);
    n
}

static JIEBA: LazyLock<jieba_rs::Jieba> = LazyLock::new(jieba_rs::Jieba::new);

/// Word boundaries by jieba's dictionary (no HMM: unknown runs stay single characters, so
/// a boundary is never invented across a word the dictionary does not know).
fn boundaries(chars: &[char]) -> Vec<bool> {
    let mut b = vec![false; chars.len() + 1];
    b[0] = true;
    b[chars.len()] = true;
    let mut start = 0;
    for (i, c) in chars.iter().enumerate() {
        if *c == SENTENCE || *c == CLAUSE {
            segment(&chars[start..i], start, &mut b);
            b[i] = true;
            b[i + 1] = true;
            start = i + 1;
        }
    }
    segment(&chars[start..], start, &mut b);
    b
}

fn segment(part: &[char], offset: usize, b: &mut [bool]) {
    if part.is_empty() {
        return;
    }
    let s: String = part.iter().collect();
    for t in JIEBA.cut(&s, false) {
        b[offset + t.start] = true;
        b[offset + t.end] = true;
    }
}

impl Norm {
    /// The original text of `chars[s..e]`.
    pub fn original(&self, text: &str, s: usize, e: usize) -> String {
        if s >= e || e > self.orig.len() {
            return String::new();
        }
        let (a, b) = (self.orig[s], self.orig[e - 1]);
        text.chars().skip(a).take(b + 1 - a).collect()
    }

    /// Every position where `word` starts.
    pub fn find(&self, word: &[char]) -> Vec<usize> {
        if word.is_empty() || word.len() > self.chars.len() {
            return vec![];
        }
        (0..=self.chars.len() - word.len()).filter(|&i| self.chars[i..i + word.len()] == *word).collect()
    }

    /// The clause `[start, end)` around position `i`.
    pub fn clause_at(&self, i: usize) -> (usize, usize) {
        let is_mark = |c: &char| *c == SENTENCE || *c == CLAUSE;
        let start = self.chars[..i].iter().rposition(is_mark).map_or(0, |p| p + 1);
        let end = self.chars[i..].iter().position(is_mark).map_or(self.chars.len(), |p| i + p);
        (start, end)
    }

    /// The sentence `[start, end)` around position `i`.
    pub fn sentence_at(&self, i: usize) -> (usize, usize) {
        let start = self.chars[..i].iter().rposition(|c| *c == SENTENCE).map_or(0, |p| p + 1);
        let end = self.chars[i..].iter().position(|c| *c == SENTENCE).map_or(self.chars.len(), |p| i + p);
        (start, end)
    }
}

/// A word or phrase of the screening data, normalised the same way as the texts.
pub fn word(s: &str) -> Vec<char> {
    normalise(s).chars.into_iter().filter(|c| *c != SENTENCE && *c != CLAUSE).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> String {
        normalise(s).chars.iter().collect()
    }

    #[test]
    fn traditional_full_width_spaces_and_punctuation() {
        assert_eq!(plain("協助拆遷違建"), "协助拆迁违建");
        assert_eq!(plain("拆 迁"), "拆迁");
        assert_eq!(plain("招·商"), "招商");
        assert_eq!(plain("罚　款"), "罚款");
        assert_eq!(plain("完成率１００％"), "完成率100%");
        assert_eq!(plain("ＡＢＣ"), "abc");
        assert_eq!(plain("“门前三包”工作"), "门前三包工作");
    }

    #[test]
    fn sentences_and_clauses_are_marked_once() {
        assert_eq!(plain("宣传，，走访。\n\n入户；"), "宣传，走访。入户。");
        assert_eq!(plain("，开头"), "开头");
    }

    #[test]
    fn every_character_traces_back_to_the_original() {
        let t = "对商户拍 照 取證，并上报";
        let n = normalise(t);
        let w = word("拍照取证");
        let at = n.find(&w)[0];
        assert_eq!(n.original(t, at, at + w.len()), "拍 照 取證");
    }

    #[test]
    fn cited_documents_are_marked() {
        let n = normalise("宣传《行政处罚法》");
        let at = n.find(&word("处罚"))[0];
        assert!(n.cited[at]);
        assert!(!n.cited[0]);
    }

    #[test]
    fn jieba_boundaries_keep_words_whole() {
        // 领取/证件: 取证 straddles two words; 拆迁户 starts with 拆迁.
        let n = normalise("领取证件");
        assert!(!n.boundary[1] && !n.boundary[3]);
        let n = normalise("拆迁户");
        assert!(n.boundary[0]);
    }
}
