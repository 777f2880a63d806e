//! CPU-heavy work (password hashing, PDFs, spreadsheets) runs on the blocking pool, at
//! most one job per core at a time, so a burst of logins or exports cannot starve the
//! async workers that answer everything else (`/healthz` stays fast).
use std::sync::OnceLock;

use tokio::sync::Semaphore;

use crate::platform::error::{AppError, AppResult};

fn permits() -> &'static Semaphore {
    static CPU: OnceLock<Semaphore> = OnceLock::new();
    CPU.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// Runs `f` on the blocking pool once a core is free.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let _permit = permits().acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(f).await.map_err(AppError::internal)
}
