//! Fault injection for the crash tests: the only environment variables any
//! part of cashmatch reads, consulted only on the durable-write path.
//!
//! - `CASHMATCH_FAULT_AFTER=N` aborts the process right after the N-th
//!   durable step (a file write, an fsync, a rename, a removal), like a
//!   SIGKILL: no destructor runs, locks and staging stay behind.
//! - `CASHMATCH_FAULT_ENOSPC_AT=N` makes the N-th file write fail with
//!   "No space left on device".
//! - `CASHMATCH_FAULT_EIO_AT=N` makes the N-th fsync (of a file or a
//!   directory) fail with "Input/output error".

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

static STEPS: AtomicU64 = AtomicU64::new(0);
static WRITES: AtomicU64 = AtomicU64::new(0);
static SYNCS: AtomicU64 = AtomicU64::new(0);

/// ENOSPC and EIO on Linux; the messages are what an operator would see.
const ENOSPC: i32 = 28;
const EIO: i32 = 5;

fn env_number(name: &'static str, cell: &'static OnceLock<Option<u64>>) -> Option<u64> {
    *cell.get_or_init(|| std::env::var(name).ok().and_then(|v| v.parse().ok()))
}

/// Counts one durable step and aborts the process when
/// `CASHMATCH_FAULT_AFTER` names this step.
pub fn step() {
    static AFTER: OnceLock<Option<u64>> = OnceLock::new();
    let n = STEPS.fetch_add(1, Ordering::SeqCst) + 1;
    if env_number("CASHMATCH_FAULT_AFTER", &AFTER) == Some(n) {
        eprintln!("fault injection: aborting after step {n}");
        std::process::abort();
    }
}

/// Counts one file write; `Err(ENOSPC)` when `CASHMATCH_FAULT_ENOSPC_AT`
/// names it.
pub(crate) fn write() -> std::io::Result<()> {
    static AT: OnceLock<Option<u64>> = OnceLock::new();
    let n = WRITES.fetch_add(1, Ordering::SeqCst) + 1;
    if env_number("CASHMATCH_FAULT_ENOSPC_AT", &AT) == Some(n) {
        return Err(std::io::Error::from_raw_os_error(ENOSPC));
    }
    Ok(())
}

/// Counts one fsync; `Err(EIO)` when `CASHMATCH_FAULT_EIO_AT` names it.
pub(crate) fn sync() -> std::io::Result<()> {
    static AT: OnceLock<Option<u64>> = OnceLock::new();
    let n = SYNCS.fetch_add(1, Ordering::SeqCst) + 1;
    if env_number("CASHMATCH_FAULT_EIO_AT", &AT) == Some(n) {
        return Err(std::io::Error::from_raw_os_error(EIO));
    }
    Ok(())
}
