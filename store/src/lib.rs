//! The audit layer of cashmatch: everything that makes a run's outputs
//! trustworthy on disk, and nothing about matching or the command line.
//!
//! - [`durable`]: the one durable-write helper ([`durable::write_durable`]:
//!   `create_new` without following symlinks, `write_all`, `flush`,
//!   `fsync`, rename, `fsync` of the directory, every error returned).
//! - [`lock`]: one writer per output or state directory; stale locks of
//!   dead local processes are taken over atomically, a lock is only ever
//!   released by its owner.
//! - [`publish`]: staged publish with one commit rename and an idempotent
//!   roll-forward; [`publish::recover`] finishes what a crash left.
//! - [`state`]: the state store (a JSON log of Parquet segments) that
//!   remembers what earlier runs ingested.
//! - [`history`]: the AR history next to it (what each reported run saw,
//!   for the analytics of later runs), append-only like the state log.
//! - [`manifest`]: `manifest.json`, what an auditor needs to reproduce and
//!   trust a run.
//! - [`table`]: the pinned Parquet writer and the readers that read the
//!   outputs back.
//! - [`fault`]: fault injection for the crash tests (the only environment
//!   variables cashmatch reads).
//!
//! Modules depend one way: `error` ← `fault` ← `durable` ← `lock`;
//! `table`, `manifest` and `layout` stand alone; `state` ← (`durable`,
//! `table`, `manifest`, `layout`); `publish` ← (`durable`, `lock`,
//! `state`, `manifest`, `layout`). Every error is a
//! [`StoreError`]; the CLI maps its [`ErrorKind`] to an exit code.
//!
//! ```
//! use cashmatch_store::lock::DirLock;
//! use cashmatch_store::publish::{self, Staging};
//!
//! # fn main() -> Result<(), cashmatch_store::StoreError> {
//! let dir = std::env::temp_dir().join(format!("cashmatch-doc-{}", std::process::id()));
//! let lock = DirLock::acquire(&dir, "R1")?;
//! publish::recover(&dir, &[&lock])?;
//! let mut staging = Staging::begin(&dir, "R1")?;
//! staging.file("numbers.parquet", 0, b"...")?;
//! staging.commit(b"{}", None, &[&lock])?;
//! assert!(dir.join("manifest.json").exists());
//! # lock.release()?;
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod durable;
mod error;
pub mod fault;
pub mod history;
pub mod layout;
pub mod lock;
pub mod manifest;
pub mod publish;
pub mod state;
pub mod table;

pub use error::{ErrorKind, StoreError};

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of a digest.
pub(crate) fn hex(digest: &[u8]) -> String {
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
