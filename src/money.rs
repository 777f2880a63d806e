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
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MoneyError::NotANumber => "金额须为数字，如 3000.00",
            MoneyError::TooManyDecimals => "金额最多两位小数（到分）",
            MoneyError::TooLarge => "金额超出系统允许的最大值",
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
    fn shows_two_places_and_groups() {
        assert_eq!(Money::from_fen(300_000).to_string(), "3000.00");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(-5).to_string(), "-0.05");
        assert_eq!(Money::from_fen(123_456_789).grouped(), "¥1,234,567.89");
        assert_eq!(Money::from_fen(100).grouped(), "¥1.00");
        assert_eq!(Money::from_fen(300_000).to_decimal().to_string(), "3000.00");
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
