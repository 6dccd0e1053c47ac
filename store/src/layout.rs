//! Names of the audit layer's folders inside an output directory, shared
//! by the publish protocol (which creates them) and the state store (which
//! checks whether a run it waits for has finished).

/// Prefix of a staging directory (incomplete, garbage after a crash).
pub const STAGING_PREFIX: &str = ".staging-";
/// Prefix of a committed directory still being rolled forward.
pub const COMMIT_PREFIX: &str = ".commit-";
