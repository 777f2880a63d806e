//! Giving freed memory back to the system.
//!
//! Each login's argon2 hash takes 19 MB for a moment, on one of the blocking threads. By
//! default glibc raises its mmap threshold after the first such block is freed, so later
//! ones come from the thread's arena and stay there: after a few logins an idle server
//! held 40 MB more than before them (`zhunru bench`, idle RSS). A fixed threshold keeps
//! every large block (password hashes, PDFs, workbooks, long answers) in its own mapping,
//! returned the moment it is freed.
//!
//! glibc keeps memory that was freed in its arenas: the start-up work (the word
//! dictionary decompressed and parsed, templates screened, migrations) and every burst
//! of requests leave the heap at its high-water mark, which is what an idle server then
//! shows as its RSS. `malloc_trim` returns the free pages; it is cheap when there is
//! nothing to return.

/// Returns freed heap pages to the system (glibc only; elsewhere nothing to do).
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers
    // of ours and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Blocks from this size up get their own mapping (and go back to the system when freed).
const MMAP_THRESHOLD: i32 = 1 << 20;

/// Sets the allocator up for a long-running server: call once, early in `main`.
pub fn configure() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
