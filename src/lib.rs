//! The `cashmatch` command-line application: glue between the parsers, the
//! engine and the contracted outputs. The engine never sees clap: `main`
//! turns what was typed into a validated [`run::RunRequest`].
#![forbid(unsafe_code)]

pub mod config;
pub mod demo;
pub mod evaluate;
pub mod inputs;
pub mod manifest;
pub mod output;
pub mod progress;
pub mod run;

/// Why a command stopped. Each kind has its own exit code so schedulers can
/// tell a bad input from an engine fault.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Output(String),
    #[error("{0}")]
    Invariant(String),
}

impl CliError {
    /// Process exit code: 1 input or config, 4 invariant (engine bug), 5 I/O.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Config(_) | CliError::Input(_) => 1,
            CliError::Invariant(_) => 4,
            CliError::Io(_) | CliError::Output(_) => 5,
        }
    }

    /// What to do about it, for the person reading the terminal.
    pub fn hint(&self) -> &'static str {
        match self {
            CliError::Config(_) => "fix the config file (see README.md, section Configuration) and run again",
            CliError::Input(_) => "fix or remove the named input and run again; nothing was published",
            CliError::Io(_) | CliError::Output(_) => "check the output directory exists, is writable and has space; nothing half-written was left behind",
            CliError::Invariant(_) => "this is an engine bug: keep the inputs and report it; nothing was published",
        }
    }
}

/// Exit code of a run that completed but excluded some input files.
pub const EXIT_COMPLETED_WITH_REJECTIONS: i32 = 3;
