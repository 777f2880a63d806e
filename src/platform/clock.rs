//! The server's idea of today, for what depends on the date (inbox deadlines). Real time
//! by default; tests set a date instead of sleeping.
use std::sync::Mutex;

use chrono::{NaiveDate, Utc};

#[derive(Debug, Default)]
pub struct Clock {
    fixed: Mutex<Option<NaiveDate>>,
}

impl Clock {
    pub fn today(&self) -> NaiveDate {
        self.fixed.lock().map(|f| *f).ok().flatten().unwrap_or_else(|| Utc::now().date_naive())
    }

    /// From now on `today` answers `date` (None: real time again).
    pub fn set(&self, date: Option<NaiveDate>) {
        if let Ok(mut f) = self.fixed.lock() {
            *f = date;
        }
    }
}
