//! What clerks report upward and see at a glance: each role's dashboard (to-do counts and
//! key figures with charts) and the county report for a period (PDF and Excel).
pub mod api;
pub mod charts;
pub mod county;
pub mod dashboard;
pub mod pages;

use crate::money::Money;

/// Money as a chart draws it (yuan); the figures themselves stay exact.
pub fn yuan(m: Money) -> f64 {
    m.fen() as f64 / 100.0
}
