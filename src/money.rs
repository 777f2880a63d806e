//! Money: CNY as integer fen. Stored as `i64` fen on every database (SQLite would read a
//! DECIMAL back through f64), shown and exchanged as a decimal string with two places
//! ("3000.00"), converted to `rust_decimal::Decimal` at the edge.
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An amount of money in fen (分). Arithmetic is checked by the callers that need it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// The largest amount the system accepts: 99,999,999,999.99 yuan (just under 一千亿).
pub const MAX_FEN: i64 = 9_999_999_999_999;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    NotANumber,
    TooManyDecimals,
    TooLarge,
    Negative,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MoneyError::NotANumber => "金额须为数字，如 3000.00",
            MoneyError::TooManyDecimals => "金额最多两位小数（到分）",
            MoneyError::TooLarge => "金额超出系统允许的最大值",
            MoneyError::Negative => "金额不能为负数",
        })
    }
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    pub fn from_yuan(yuan: i64) -> Money {
        Money(yuan * 100)
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Exactly, or an error: never rounds.
    pub fn from_decimal(d: Decimal) -> Result<Money, MoneyError> {
        let d = d.normalize();
        if d.scale() > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
        let fen = (d * Decimal::ONE_HUNDRED).trunc();
        let fen: i64 = fen.try_into().map_err(|_| MoneyError::TooLarge)?;
        if fen.abs() > MAX_FEN {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(fen))
    }

    pub fn checked_add(self, o: Money) -> Option<Money> {
        self.0.checked_add(o.0).filter(|f| f.abs() <= MAX_FEN).map(Money)
    }

    pub fn checked_sub(self, o: Money) -> Option<Money> {
        self.0.checked_sub(o.0).map(Money)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// "3000", "3000.5", "3000.50", "-1.00"; no exponents, separators or currency signs.
    fn from_str(s: &str) -> Result<Money, MoneyError> {
        let s = s.trim();
        let body = s.strip_prefix('-').unwrap_or(s);
        let ok = !body.is_empty()
            && body.chars().all(|c| c.is_ascii_digit() || c == '.')
            && body.matches('.').count() <= 1
            && !body.starts_with('.')
            && !body.ends_with('.');
        if !ok {
            return Err(MoneyError::NotANumber);
        }
        let d = Decimal::from_str(s).map_err(|_| MoneyError::TooLarge)?;
        Money::from_decimal(d)
    }
}

impl Money {
    /// An amount a clerk enters (a budget, a contract or instalment amount, a payment):
    /// parsed like any money, and never negative. The one gate for such input, so a draft
    /// holds only values that could be submitted.
    pub fn parse_amount(s: &str) -> Result<Money, MoneyError> {
        let m: Money = s.parse()?;
        if m.0 < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(m)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl Money {
    /// ¥3,000.00: for pages and documents.
    pub fn grouped(self) -> String {
        let s = self.to_string();
        let (sign, s) = s.strip_prefix('-').map(|r| ("-", r)).unwrap_or(("", s.as_str()));
        let (int, dec) = s.split_once('.').unwrap_or((s, "00"));
        let mut out = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}¥{out}.{dec}")
    }
}

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];

/// One group of four digits (0..=9999) in capitals, without leading zeros; inner zeros
/// collapse to one 零 (1001 → 壹仟零壹, 1010 → 壹仟零壹拾).
fn group_capitals(g: i64) -> String {
    let mut out = String::new();
    let mut zero = false;
    for (div, unit) in [(1000, "仟"), (100, "佰"), (10, "拾"), (1, "")] {
        let d = (g / div % 10) as usize;
        if d == 0 {
            zero = !out.is_empty();
        } else {
            if zero {
                out.push('零');
                zero = false;
            }
            out.push(DIGITS[d]);
            out.push_str(unit);
        }
    }
    out
}

impl Money {
    /// The amount in Chinese financial capitals, as contracts write it:
    /// 3000.00 → 人民币叁仟元整, 10.05 → 人民币壹拾元零伍分, 100010000 → 人民币壹亿零壹万元整.
    pub fn capitals(self) -> String {
        let sign = if self.0 < 0 { "负" } else { "" };
        let fen = self.0.unsigned_abs() as i64;
        let (yuan, jiao, fen) = (fen / 100, (fen / 10 % 10) as usize, (fen % 10) as usize);
        let mut out = format!("人民币{sign}");
        if yuan == 0 && jiao == 0 && fen == 0 {
            out.push_str("零元整");
            return out;
        }
        if yuan > 0 {
            // Groups of four digits from the top: 亿, 万, and the last four.
            let groups = [(yuan / 100_000_000, "亿"), (yuan / 10_000 % 10_000, "万"), (yuan % 10_000, "")];
            let mut started = false;
            let mut zero = false;
            for (g, unit) in groups {
                if g == 0 {
                    zero = started;
                    continue;
                }
                // A gap before this group, or a group that does not fill its thousands place.
                if started && (zero || g < 1000) {
                    out.push('零');
                }
                out.push_str(&group_capitals(g));
                out.push_str(unit);
                started = true;
                zero = false;
            }
            out.push('元');
        }
        match (jiao, fen) {
            (0, 0) => out.push('整'),
            (j, 0) => {
                out.push(DIGITS[j]);
                out.push_str("角整");
            }
            (j, f) => {
                if j > 0 {
                    out.push(DIGITS[j]);
                    out.push('角');
                } else if yuan > 0 {
                    out.push('零');
                }
                out.push(DIGITS[f]);
                out.push('分');
            }
        }
        out
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!("3000".parse::<Money>().unwrap().fen(), 300_000);
        assert_eq!("3000.5".parse::<Money>().unwrap().fen(), 300_050);
        assert_eq!("0.01".parse::<Money>().unwrap().fen(), 1);
        assert_eq!("-12.34".parse::<Money>().unwrap().fen(), -1234);
        assert_eq!("1000.10".parse::<Money>().unwrap().to_string(), "1000.10");
        assert_eq!("99999999999.99".parse::<Money>().unwrap().fen(), MAX_FEN);
    }

    #[test]
    fn refuses_what_is_not_money() {
        for bad in ["", "abc", "1e3", "1,000", "¥10", ".5", "5.", "1.2.3", "--1"] {
            assert_eq!(bad.parse::<Money>(), Err(MoneyError::NotANumber), "{bad}");
        }
        assert_eq!("0.001".parse::<Money>(), Err(MoneyError::TooManyDecimals));
        assert_eq!("100000000000.00".parse::<Money>(), Err(MoneyError::TooLarge));
        assert_eq!("99999999999999999999999999999".parse::<Money>(), Err(MoneyError::TooLarge));
    }

    #[test]
    fn an_amount_entered_is_never_negative() {
        assert_eq!(Money::parse_amount("-0.01"), Err(MoneyError::Negative));
        assert_eq!(Money::parse_amount("0").unwrap(), Money::ZERO);
        assert_eq!(Money::parse_amount("0.001"), Err(MoneyError::TooManyDecimals));
        assert_eq!(Money::parse_amount("1e15"), Err(MoneyError::NotANumber));
        assert_eq!(Money::parse_amount("1000000000000000"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn shows_two_places_and_groups() {
        assert_eq!(Money::from_fen(300_000).to_string(), "3000.00");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(-5).to_string(), "-0.05");
        assert_eq!(Money::from_fen(123_456_789).grouped(), "¥1,234,567.89");
        assert_eq!(Money::from_fen(100).grouped(), "¥1.00");
        assert_eq!(Money::from_fen(300_000).to_decimal().to_string(), "3000.00");
    }

    fn cap(s: &str) -> String {
        s.parse::<Money>().unwrap().capitals()
    }

    #[test]
    fn capitals_of_ordinary_amounts() {
        assert_eq!(cap("3000.00"), "人民币叁仟元整");
        assert_eq!(cap("1.00"), "人民币壹元整");
        assert_eq!(cap("10.00"), "人民币壹拾元整");
        assert_eq!(cap("15.00"), "人民币壹拾伍元整");
        assert_eq!(cap("1234.56"), "人民币壹仟贰佰叁拾肆元伍角陆分");
        assert_eq!(cap("50000.00"), "人民币伍万元整");
    }

    #[test]
    fn capitals_with_zeros_in_every_position() {
        assert_eq!(cap("0.00"), "人民币零元整");
        assert_eq!(cap("1001.00"), "人民币壹仟零壹元整");
        assert_eq!(cap("1010.00"), "人民币壹仟零壹拾元整");
        assert_eq!(cap("1100.00"), "人民币壹仟壹佰元整");
        assert_eq!(cap("105.30"), "人民币壹佰零伍元叁角整");
        assert_eq!(cap("20500.70"), "人民币贰万零伍佰元柒角整");
        assert_eq!(cap("100000.00"), "人民币壹拾万元整");
        assert_eq!(cap("1000001.00"), "人民币壹佰万零壹元整");
        assert_eq!(cap("10010000.00"), "人民币壹仟零壹万元整");
        assert_eq!(cap("10001000.00"), "人民币壹仟万壹仟元整", "the thousands place is filled: no 零");
        assert_eq!(cap("10000100.00"), "人民币壹仟万零壹佰元整");
    }

    #[test]
    fn capitals_of_jiao_and_fen() {
        assert_eq!(cap("0.05"), "人民币伍分");
        assert_eq!(cap("0.50"), "人民币伍角整");
        assert_eq!(cap("0.55"), "人民币伍角伍分");
        assert_eq!(cap("1.02"), "人民币壹元零贰分");
        assert_eq!(cap("1.20"), "人民币壹元贰角整");
        assert_eq!(cap("10.05"), "人民币壹拾元零伍分");
        assert_eq!(cap("333.33"), "人民币叁佰叁拾叁元叁角叁分");
    }

    #[test]
    fn capitals_at_wan_and_yi_boundaries() {
        assert_eq!(cap("9999.99"), "人民币玖仟玖佰玖拾玖元玖角玖分");
        assert_eq!(cap("10000.00"), "人民币壹万元整");
        assert_eq!(cap("10001.00"), "人民币壹万零壹元整");
        assert_eq!(cap("99999999.00"), "人民币玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元整");
        assert_eq!(cap("100000000.00"), "人民币壹亿元整");
        assert_eq!(cap("100000001.00"), "人民币壹亿零壹元整");
        assert_eq!(cap("100010000.00"), "人民币壹亿零壹万元整");
        assert_eq!(cap("100001000.00"), "人民币壹亿零壹仟元整");
        assert_eq!(cap("110000000.00"), "人民币壹亿壹仟万元整");
        assert_eq!(cap("1000000001.00"), "人民币壹拾亿零壹元整");
    }

    #[test]
    fn capitals_of_the_largest_amount() {
        assert_eq!(Money::from_fen(MAX_FEN).capitals(), "人民币玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分");
        assert_eq!(Money::from_fen(-100).capitals(), "人民币负壹元整");
    }

    #[test]
    fn json_is_a_string() {
        let m: Money = serde_json::from_str("\"3000.00\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"3000.00\"");
        assert!(serde_json::from_str::<Money>("3000").is_err(), "a JSON number is refused");
    }
}

/// In the OpenAPI document money is a string with up to two decimals.
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^-?\d+(\.\d{1,2})?$"))
            .description(Some("人民币金额，元，最多两位小数的字符串，如 \"3000.00\""))
            .into()
    }
}

impl utoipa::ToSchema for Money {}
