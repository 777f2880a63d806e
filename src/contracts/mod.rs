//! Purchase-of-service contracts (政府购买服务合同): typed templates, drafting from an
//! admission, signing by both parties, amendments, the Chinese PDF. Seeds: 000 §二(三)2
//! (以政府购买服务的形式，与社区"两委"签订项目协议书), 001 §二(六), 004 Yingjiang.
pub mod api;
pub mod pages;
pub mod pdf;
pub mod store;
pub mod template;

use chrono::{Datelike, NaiveDate};

use crate::money::Money;
use template::{Due, Schedule};

/// One instalment of the payment schedule before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instalment {
    pub due: NaiveDate,
    pub amount: Money,
    /// The performance clause whose accepted deliverable releases it.
    pub clause: Option<u32>,
}

fn month_end(y: i32, m: u32) -> NaiveDate {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1).expect("valid date").pred_opt().expect("valid date")
}

/// Splits `amount` into `n` parts to the fen, the remainder on the last one.
pub fn spread(amount: Money, n: usize) -> Vec<Money> {
    let n = n.max(1) as i64;
    let base = amount.fen() / n;
    let mut parts = vec![Money::from_fen(base); n as usize];
    if let Some(last) = parts.last_mut() {
        *last = Money::from_fen(amount.fen() - base * (n - 1));
    }
    parts
}

/// The payment schedule of a contract: amounts that add up exactly to the contract amount.
pub fn instalments(schedule: &Schedule, amount: Money, start: NaiveDate, end: NaiveDate) -> Vec<Instalment> {
    match schedule {
        Schedule::Monthly { clause } => {
            let mut months = Vec::new();
            let (mut y, mut m) = (start.year(), start.month());
            while (y, m) <= (end.year(), end.month()) {
                months.push(month_end(y, m).min(end));
                (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            }
            spread(amount, months.len())
                .into_iter()
                .zip(months)
                .map(|(amount, due)| Instalment { due, amount, clause: *clause })
                .collect()
        }
        Schedule::Parts { parts } => {
            let mut out: Vec<Instalment> = parts
                .iter()
                .map(|p| Instalment {
                    due: if p.due == Due::Start { start } else { end },
                    amount: Money::from_fen(amount.fen() * p.percent as i64 / 100),
                    clause: p.clause,
                })
                .collect();
            let paid: i64 = out.iter().map(|i| i.amount.fen()).sum();
            if let Some(last) = out.last_mut() {
                last.amount = Money::from_fen(last.amount.fen() + amount.fen() - paid);
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::template::Part;
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn fen(v: &[Instalment]) -> Vec<i64> {
        v.iter().map(|i| i.amount.fen()).collect()
    }

    #[test]
    fn monthly_instalments_spread_to_the_fen() {
        let v = instalments(&Schedule::Monthly { clause: None }, Money::from_fen(100_000), d(2026, 3, 1), d(2026, 5, 31));
        assert_eq!(fen(&v), [33_333, 33_333, 33_334]);
        assert_eq!(v.iter().map(|i| i.due).collect::<Vec<_>>(), [d(2026, 3, 31), d(2026, 4, 30), d(2026, 5, 31)]);
        let v = instalments(&Schedule::Monthly { clause: Some(3) }, Money::from_fen(1), d(2026, 11, 15), d(2027, 2, 10));
        assert_eq!(fen(&v), [0, 0, 0, 1]);
        assert_eq!(v.last().unwrap().due, d(2027, 2, 10), "the last one falls due at the contract's end");
        assert!(v.iter().all(|i| i.clause == Some(3)));
    }

    #[test]
    fn instalments_always_add_up() {
        for amount in [1, 7, 99_999, 100_000, 123_456_789, 9_999_999_999_999] {
            for months in 1..=24u32 {
                let end = d(2026, 1, 1) + chrono::Months::new(months - 1);
                let v = instalments(&Schedule::Monthly { clause: None }, Money::from_fen(amount), d(2026, 1, 1), end);
                assert_eq!(v.len() as u32, months);
                assert_eq!(v.iter().map(|i| i.amount.fen()).sum::<i64>(), amount);
            }
        }
    }

    #[test]
    fn parts_by_percent() {
        let s = Schedule::Parts { parts: vec![
            Part { percent: 30, due: Due::Start, clause: None },
            Part { percent: 70, due: Due::End, clause: Some(3) },
        ] };
        let v = instalments(&s, Money::from_fen(300_000), d(2026, 3, 1), d(2026, 4, 30));
        assert_eq!(fen(&v), [90_000, 210_000]);
        assert_eq!((v[0].due, v[1].due), (d(2026, 3, 1), d(2026, 4, 30)));
        let v = instalments(&s, Money::from_fen(100_001), d(2026, 3, 1), d(2026, 4, 30));
        assert_eq!(fen(&v), [30_000, 70_001]);
    }
}
