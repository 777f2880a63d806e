//! Browsing and checking the audit trail (the trail itself is written by
//! `platform::audit`, inside every write transaction).
pub mod api;
pub mod pages;
