//! The `downhill` command: a thin layer over the library.

mod cli;

/// Large blocks' pages recycled from one phase of a run to the next
/// (see [`downhill::page_pool`]).
#[global_allocator]
static POOL: downhill::page_pool::PagePool = downhill::page_pool::PagePool::new();

fn main() -> std::process::ExitCode {
    restore_sigpipe();
    cli::main()
}

/// Rust starts programs with SIGPIPE ignored, so printing into a pipe
/// whose reader has gone (`downhill info x.hgt | head -1`) panics. The
/// default action ends the process quietly instead, as for other Unix
/// tools; output files are renamed into place whole before anything is
/// printed, so none is left half-written.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists;
    // SIG_DFL is a valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
