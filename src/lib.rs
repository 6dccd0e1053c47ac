//! The `cashmatch` command-line application: glue between the parsers, the
//! engine, the audit layer (`cashmatch_store`) and the contracted outputs.
//! The engine never sees clap: `main` turns what was typed into a validated
//! [`run::RunRequest`].
#![forbid(unsafe_code)]

pub mod backtest;
pub mod commands;
pub mod config;
pub mod decisions;
pub mod demo;
pub mod evaluate;
pub mod inputs;
pub mod memory;
pub mod output;
pub mod partition;
pub mod progress;
pub mod rates;
pub mod remittance;
pub mod replay;
pub mod report;
pub mod run;
pub mod state;
pub mod verify;

pub use cashmatch_store::manifest;

/// Why a command stopped. Each kind has its own exit code so schedulers can
/// tell a bad input from an engine fault.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The rules file is unreadable or invalid.
    #[error("{0}")]
    Config(String),
    /// An input cannot be used at all (nothing published).
    #[error("{0}")]
    Input(String),
    /// Reading or writing failed.
    #[error("{0}")]
    Io(String),
    /// An output could not be written (nothing half-written is left).
    #[error("{0}")]
    Output(String),
    /// The engine broke a money invariant (an engine bug).
    #[error("{0}")]
    Invariant(String),
    /// Another process holds the output or state directory.
    #[error("{0}")]
    Locked(String),
    /// `replay` or `verify` found a difference: an output, an input or the
    /// manifest does not match what the run recorded.
    #[error("{0}")]
    Mismatch(String),
}

impl CliError {
    /// Process exit code: 1 input or config, 4 invariant (engine bug), 5 I/O,
    /// 6 replay/verify difference, 7 directory locked by another run.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::Input(_) => 1,
            CliError::Invariant(_) => 4,
            CliError::Io(_) | CliError::Output(_) => 5,
            CliError::Mismatch(_) => 6,
            CliError::Locked(_) => 7,
        }
    }

    /// What to do about it, for the person reading the terminal.
    pub fn hint(&self) -> &'static str {
        match self {
            CliError::Config(_) => "fix the config file (see README.md, section Configuration) and run again",
            CliError::Input(_) => "fix or remove the named input and run again; nothing was published",
            CliError::Io(_) | CliError::Output(_) => "check the output directory exists, is writable and has space; nothing half-written was left behind",
            CliError::Invariant(_) => "this is an engine bug: keep the inputs and report it; nothing was published",
            CliError::Locked(_) => "another run holds the directory; nothing was changed",
            CliError::Mismatch(_) => "the run directory does not match what was recorded: treat its outputs as untrusted and investigate the named file",
        }
    }
}

impl From<cashmatch_store::StoreError> for CliError {
    /// A damaged or unreadable state stops the run like a bad input (exit
    /// 1); a held lock is exit 7; every failed read, write or fsync of the
    /// audit layer is exit 5.
    fn from(e: cashmatch_store::StoreError) -> Self {
        use cashmatch_store::ErrorKind;
        match e.kind() {
            ErrorKind::State => CliError::Input(e.to_string()),
            ErrorKind::Locked => CliError::Locked(e.to_string()),
            ErrorKind::Io | ErrorKind::Corrupt => CliError::Io(e.to_string()),
        }
    }
}

/// Exit code of a run that completed but excluded some input files.
pub const EXIT_COMPLETED_WITH_REJECTIONS: i32 = 3;
