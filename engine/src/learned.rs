//! What people's decisions teach, and the pass that uses it (`LEARNED_PAYER`).
//!
//! An `apply` decision says "this payment is from that customer": the
//! payer's account and (normalised) name then identify the customer in
//! later runs, when the customer master does not know them. The CLI keeps
//! the facts in the state store (append-only: a fact is learned in one run,
//! a `forget` record removes it) and hands them to the engine as data.
//!
//! Rules a fact follows when used ([`LearnedPayer`]):
//! - it never overrides stronger evidence: a payment that quotes a
//!   reference is left to the reference passes, and a payer the master
//!   identifies by account, customer or purchase-order number or quoted
//!   invoices is left to the customer passes; a learned fact only beats a
//!   payer-*name* likeness or no identification at all;
//! - a payer account (or name) learned for two different customers is
//!   ambiguous and identifies nobody (a payment factory paying for several
//!   customers);
//! - the account is tried before the name.

use crate::allocate::{Ledger, Proposal};
use crate::config::{PassRule, Rules};
use crate::identify::{account_key, name_key, IdMethod};
use crate::model::{Batch, ItemIdx, Rule, TxnIdx};
use crate::passes::manual::ManualPlan;
use crate::passes::support::{clear_items, each_open_txn, fmt_money, invoice_ids, open_items_of};
use crate::passes::{Context, Pass, PassNote};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};

/// One open item of the amount from a learned payer.
const SINGLE_CONFIDENCE: f64 = 0.95;
/// The learned payer's whole open balance.
const WHOLE_BALANCE_CONFIDENCE: f64 = 0.93;
/// Hex characters of a fact id after the `F` (48 bits: ids are typed by
/// people and a state holds thousands of facts, not billions).
const FACT_ID_HEX: usize = 12;

/// What a fact is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FactKind {
    /// A payer's account (IBAN or account number, compared as
    /// [`account_key`]).
    PayerAccount,
    /// A payer's name (compared as [`name_key`]).
    PayerName,
}

impl FactKind {
    /// The stable code (state segments, `state show`).
    pub fn as_str(self) -> &'static str {
        match self {
            FactKind::PayerAccount => "payer_account",
            FactKind::PayerName => "payer_name",
        }
    }

    /// Reads [`FactKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "payer_account" => Some(FactKind::PayerAccount),
            "payer_name" => Some(FactKind::PayerName),
            _ => None,
        }
    }

    /// The comparison form of a raw account or name.
    pub fn normalise(self, raw: &str) -> String {
        match self {
            FactKind::PayerAccount => account_key(raw),
            FactKind::PayerName => name_key(raw),
        }
    }
}

/// One remembered fact: `subject` (normalised) is customer `customer_id`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fact {
    /// What the subject is.
    pub kind: FactKind,
    /// The normalised account or name.
    pub subject: String,
    /// The customer it identifies.
    pub customer_id: String,
    /// Where it was learned: transaction, invoice, who decided.
    pub evidence: String,
}

impl Fact {
    /// The stable id people type (`cashmatch state forget F1a2b…`): a hash
    /// of kind, subject and customer, so the same fact learned twice has
    /// one id.
    pub fn id(&self) -> String {
        fact_id(self.kind, &self.subject, &self.customer_id)
    }
}

/// [`Fact::id`] from its parts.
pub fn fact_id(kind: FactKind, subject: &str, customer_id: &str) -> String {
    let digest = Sha256::digest(format!("{}|{subject}|{customer_id}", kind.as_str()).as_bytes());
    let mut id = String::with_capacity(1 + FACT_ID_HEX);
    id.push('F');
    for b in digest.iter().take(FACT_ID_HEX / 2) {
        id.push_str(&format!("{b:02x}"));
    }
    id
}

/// The facts a checked decisions plan teaches, in transaction order,
/// without repeats: for each transaction whose `apply` rows pay invoices of
/// one customer, its payer account and its payer name (when the bank gave
/// them) are that customer.
pub fn taught(batch: &Batch, plan: &ManualPlan) -> Vec<Fact> {
    let mut out: Vec<Fact> = Vec::new();
    for p in &plan.txns {
        let mut customers = p
            .lines
            .iter()
            .map(|&(i, _)| batch.open_items.get(i as usize).customer_id());
        let Some(customer) = customers.next() else {
            continue;
        };
        if customers.any(|c| c != customer) {
            // Paid for several customers: says nothing about one payer.
            continue;
        }
        let txn = batch.transactions.get(p.txn as usize);
        let first_invoice = batch.open_items.get(p.lines[0].0 as usize).invoice_id();
        for (kind, raw) in [
            (FactKind::PayerAccount, txn.counterparty_account()),
            (FactKind::PayerName, txn.counterparty_name()),
        ] {
            let subject = kind.normalise(raw);
            if subject.is_empty() {
                continue;
            }
            let fact = Fact {
                kind,
                subject,
                customer_id: customer.to_string(),
                evidence: format!(
                    "transaction {} paid invoice {first_invoice}; {}",
                    txn.transaction_id(),
                    p.explanation
                ),
            };
            if !out.iter().any(|f| f.id() == fact.id()) {
                out.push(fact);
            }
        }
    }
    out
}

/// The facts a run may use, indexed by subject.
#[derive(Debug, Clone, Default)]
pub struct LearnedIndex {
    /// (kind, subject) → the distinct customers learned for it, sorted.
    by_subject: HashMap<(FactKind, String), BTreeSet<String>>,
}

/// Who a learned fact says paid, and by which subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnedPayerOf<'a> {
    /// The customer.
    pub customer_id: &'a str,
    /// Account or name.
    pub kind: FactKind,
    /// The normalised subject that matched.
    pub subject: String,
}

impl LearnedIndex {
    /// Indexes `facts` (earlier runs' and this run's).
    pub fn build<'f>(facts: impl IntoIterator<Item = &'f Fact>) -> Self {
        let mut by_subject: HashMap<(FactKind, String), BTreeSet<String>> = HashMap::new();
        for f in facts {
            by_subject
                .entry((f.kind, f.subject.clone()))
                .or_default()
                .insert(f.customer_id.clone());
        }
        LearnedIndex { by_subject }
    }

    /// True when nothing was learned (the pass is not run at all).
    pub fn is_empty(&self) -> bool {
        self.by_subject.is_empty()
    }

    /// The one customer learned for this subject; `None` when unknown or
    /// ambiguous (learned for two customers).
    pub fn customer_of(&self, kind: FactKind, raw: &str) -> Option<LearnedPayerOf<'_>> {
        let subject = kind.normalise(raw);
        if subject.is_empty() {
            return None;
        }
        let customers = self.by_subject.get(&(kind, subject.clone()))?;
        if customers.len() != 1 {
            return None;
        }
        Some(LearnedPayerOf {
            customer_id: customers.iter().next()?.as_str(),
            kind,
            subject,
        })
    }

    /// Who paid, by account first, then by name. An ambiguous account is
    /// not replaced by the name: a shared account says the name may be a
    /// provider's, not the customer's.
    pub fn payer_of(&self, account: &str, name: &str) -> Option<LearnedPayerOf<'_>> {
        let account_known = !account_key(account).is_empty()
            && self
                .by_subject
                .contains_key(&(FactKind::PayerAccount, account_key(account)));
        if account_known {
            return self.customer_of(FactKind::PayerAccount, account);
        }
        self.customer_of(FactKind::PayerName, name)
    }
}

/// Pass 3b: payments without a reference from a payer a decision taught,
/// when the master-data evidence says nothing stronger. One open item of
/// exactly the amount, else the whole open balance.
pub struct LearnedPayer;

impl Pass for LearnedPayer {
    fn name(&self) -> &'static str {
        "learned_payer"
    }

    fn rule(&self, rules: &Rules) -> PassRule {
        rules.matching.learned_payer
    }

    fn propose(
        &self,
        ctx: &Context<'_>,
        ledger: &Ledger,
        notes: &mut Vec<PassNote>,
    ) -> Vec<Proposal> {
        let Some(learned) = ctx.learned else {
            return Vec::new();
        };
        each_open_txn(ctx, ledger, notes, |t| {
            (propose_one(ctx, ledger, learned, t), None)
        })
    }
}

fn propose_one(
    ctx: &Context<'_>,
    ledger: &Ledger,
    learned: &LearnedIndex,
    t: TxnIdx,
) -> Option<Proposal> {
    if ctx.refs.get(t as usize).has_any() {
        // A quoted reference is stronger evidence: the reference passes
        // (and their exceptions) decide.
        return None;
    }
    let txn = ctx.batch.transactions.get(t as usize);
    let payer = learned.payer_of(txn.counterparty_account(), txn.counterparty_name())?;
    if let Some(id) = ctx.identities.get(t as usize).id {
        // Master data that identifies the payer by more than a name
        // likeness is stronger than a remembered decision.
        if id.method != IdMethod::Name {
            return None;
        }
    }
    let party = ctx.parties.by_customer_id(payer.customer_id)?;
    let items = open_items_of(ctx, ledger, party, t);
    let open = |i: &ItemIdx| ledger.item_open[*i as usize];
    let amount = fmt_money(txn.amount());
    let evidence = format!(
        "learned payer: {} \"{}\" is customer {} (taught by an earlier decision, fact {})",
        payer.kind.as_str().replace('_', " "),
        payer.subject,
        payer.customer_id,
        fact_id(payer.kind, &payer.subject, payer.customer_id)
    );
    let equal: Vec<ItemIdx> = items
        .iter()
        .copied()
        .filter(|i| open(i) == txn.amount())
        .collect();
    if let [one] = equal.as_slice() {
        return Some(clear_items(
            ctx,
            ledger,
            t,
            &[*one],
            Rule::LearnedPayer,
            SINGLE_CONFIDENCE,
            format!(
                "{evidence}; one open item of {amount}: {}",
                invoice_ids(ctx, &[*one])
            ),
        ));
    }
    if equal.is_empty()
        && items.len() >= 2
        && items.iter().map(open).sum::<Decimal>() == txn.amount()
    {
        return Some(clear_items(
            ctx,
            ledger,
            t,
            &items,
            Rule::LearnedPayer,
            WHOLE_BALANCE_CONFIDENCE,
            format!(
                "{evidence}; payment equals the whole open balance of {amount} ({} items)",
                items.len()
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(kind: FactKind, raw: &str, customer: &str) -> Fact {
        Fact {
            kind,
            subject: kind.normalise(raw),
            customer_id: customer.into(),
            evidence: String::new(),
        }
    }

    #[test]
    fn an_account_learned_for_two_customers_identifies_nobody() {
        let facts = [
            fact(FactKind::PayerAccount, "DE89 3704 0044 0532 0130 00", "C1"),
            fact(FactKind::PayerAccount, "de89370400440532013000", "C2"),
            fact(FactKind::PayerName, "Acme Textiles B.V.", "C1"),
        ];
        let index = LearnedIndex::build(&facts);
        assert_eq!(
            index.customer_of(FactKind::PayerAccount, "DE89370400440532013000"),
            None
        );
        // The shared account is not replaced by the name.
        assert_eq!(
            index.payer_of("DE89370400440532013000", "ACME TEXTILES BV"),
            None
        );
        let by_name = index.payer_of("", "ACME TEXTILES BV").unwrap();
        assert_eq!(by_name.customer_id, "C1");
        assert_eq!(by_name.kind, FactKind::PayerName);
    }

    #[test]
    fn fact_ids_are_stable_and_normalised() {
        let a = fact(FactKind::PayerAccount, "DE89 3704", "C1");
        let b = fact(FactKind::PayerAccount, "de893704", "C1");
        assert_eq!(a.id(), b.id());
        assert_eq!(a.id().len(), 1 + FACT_ID_HEX);
        assert_ne!(a.id(), fact(FactKind::PayerAccount, "DE893704", "C2").id());
    }
}
