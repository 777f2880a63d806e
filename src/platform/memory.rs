//! The allocator, set up for a long-running server.
//!
//! Each login's argon2 hash takes 19 MB for a moment, on one of the blocking threads. By
//! default glibc raises its mmap threshold after the first such block is freed, so later
//! ones come from the thread's arena and stay there: after a few logins an idle server
//! held 40 MB more than before them (`zhunru bench`, idle RSS 105 MB, 65 MB with this). A
//! fixed threshold keeps every large block (password hashes, PDFs, workbooks, long answers)
//! in its own mapping, returned the moment it is freed.

/// Blocks from this size up get their own mapping (and go back to the system when freed).
const MMAP_THRESHOLD: i32 = 1 << 20;

/// Call once, early in `main`.
pub fn configure() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
