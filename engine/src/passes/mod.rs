//! The matching cascade: ordered passes, each proposing applications for
//! the transactions earlier passes left open.
//!
//! A pass reads the batch, the shared indexes and the ledger (read-only,
//! from many threads) and returns proposals; [`crate::allocate::Ledger`]
//! accepts them. Adding a pass means adding a module here and a line in
//! [`cascade`].

pub mod exact_reference;

use crate::allocate::{Ledger, Proposal};
use crate::config::{PassRule, Rules};
use crate::index::ReferenceIndex;
use crate::model::Batch;

/// Read-only state shared by all passes of a run.
pub struct Context<'a> {
    pub batch: &'a Batch,
    pub rules: &'a Rules,
    pub references: ReferenceIndex,
}

impl<'a> Context<'a> {
    /// Builds the blocking indexes.
    pub fn new(batch: &'a Batch, rules: &'a Rules) -> Self {
        Context {
            batch,
            rules,
            references: ReferenceIndex::build(batch),
        }
    }
}

/// One stage of the cascade.
pub trait Pass: Sync {
    /// Stable name used in statistics and benchmarks.
    fn name(&self) -> &'static str;
    /// Thresholds and on/off switch for this pass.
    fn rule(&self, rules: &Rules) -> PassRule;
    /// Proposes applications for open transactions. May also leave notes on
    /// transactions (why they did not match) through `notes`.
    fn propose(
        &self,
        ctx: &Context<'_>,
        ledger: &Ledger,
        notes: &mut Vec<PassNote>,
    ) -> Vec<Proposal>;
}

/// A note a pass leaves for the exceptions stage (applied by the caller so
/// that passes can run with a shared `&Ledger`).
#[derive(Debug, Clone, PartialEq)]
pub struct PassNote {
    pub txn: crate::model::TxnIdx,
    pub reason: crate::model::ReasonCode,
    pub priority: u8,
    pub detail: String,
    pub customer_id: Option<String>,
}

/// The passes of a run, in order.
pub fn cascade(rules: &Rules) -> Vec<Box<dyn Pass>> {
    let all: Vec<Box<dyn Pass>> = vec![Box::new(exact_reference::ExactReference)];
    all.into_iter().filter(|p| p.rule(rules).enabled).collect()
}
