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
//!
//! A decision also teaches a customer's *reference style* when the payment
//! quoted its invoice in a form that is not the number as written: its own
//! prefix before the number (`VR19846` for `INV-2026-019846`), the digits
//! only (`2026019846`), the last digits (`9846`). Later payments of that
//! customer quoting an open item in the same style are applied with rule
//! `LEARNED_REFERENCE` ([`LearnedReference`]), only when the form names
//! exactly one of that customer's open items and the amount confirms it;
//! a style never reaches another customer's items.

use crate::allocate::{Ledger, Proposal};
use crate::config::{PassRule, Rules};
use crate::identify::{account_key, name_key, IdMethod};
use crate::model::{Batch, ItemIdx, Rule, TxnIdx};
use crate::passes::manual::ManualPlan;
use crate::passes::support::{clear_items, each_open_txn, fmt_money, invoice_ids, open_items_of};
use crate::passes::{Context, Pass, PassNote};
use crate::references::numeric_core;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One open item of the amount from a learned payer.
const SINGLE_CONFIDENCE: f64 = 0.95;
/// The learned payer's whole open balance.
const WHOLE_BALANCE_CONFIDENCE: f64 = 0.93;
/// An open item named in a customer's learned reference style, the amount
/// confirming it: below an exact reference (the style is inferred from one
/// decision), above a payer fact alone.
const LEARNED_REFERENCE_CONFIDENCE: f64 = 0.96;
/// Digits a learned style keeps at least: fewer read as anything (counts,
/// days, amounts).
const STYLE_DIGITS_MIN: usize = 4;
/// Letters a customer's own prefix has at most (`VR`, `AP`, `REF`).
const STYLE_PREFIX_MAX: usize = 4;
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
    /// How a customer quotes its invoices ([`ReferenceStyle`], its
    /// [`ReferenceStyle::code`] is the subject).
    ReferenceStyle,
}

impl FactKind {
    /// The stable code (state segments, `state show`).
    pub fn as_str(self) -> &'static str {
        match self {
            FactKind::PayerAccount => "payer_account",
            FactKind::PayerName => "payer_name",
            FactKind::ReferenceStyle => "reference_style",
        }
    }

    /// Reads [`FactKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "payer_account" => Some(FactKind::PayerAccount),
            "payer_name" => Some(FactKind::PayerName),
            "reference_style" => Some(FactKind::ReferenceStyle),
            _ => None,
        }
    }

    /// The comparison form of a raw account or name.
    pub fn normalise(self, raw: &str) -> String {
        match self {
            FactKind::PayerAccount => account_key(raw),
            FactKind::PayerName => name_key(raw),
            FactKind::ReferenceStyle => ReferenceStyle::parse(raw)
                .map(|s| s.code())
                .unwrap_or_default(),
        }
    }
}

/// Which digits of the invoice number a style keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StyleDigits {
    /// The last run of digits without leading zeros (`19846` of
    /// `INV-2026-019846`): written `{core}`.
    Core,
    /// Every digit of the number, in order (`2026019846`): `{digits}`.
    All,
    /// The last N digits (`9846`): `{lastN}`.
    Last(u8),
}

/// How a customer quotes its invoice numbers: an optional prefix of its own
/// (upper-case letters) followed by some of the number's digits, written as
/// one token. `VR{core}`, `{digits}`, `{last4}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReferenceStyle {
    /// The customer's own letters before the digits (may be empty).
    pub prefix: String,
    /// Which digits follow.
    pub digits: StyleDigits,
}

impl ReferenceStyle {
    /// The stable written form (`VR{core}`): the fact's subject.
    pub fn code(&self) -> String {
        let tail = match self.digits {
            StyleDigits::Core => "{core}".to_string(),
            StyleDigits::All => "{digits}".to_string(),
            StyleDigits::Last(n) => format!("{{last{n}}}"),
        };
        format!("{}{tail}", self.prefix)
    }

    /// Reads [`ReferenceStyle::code`].
    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim();
        let open = code.find('{')?;
        let (prefix, tail) = code.split_at(open);
        if prefix.len() > STYLE_PREFIX_MAX || !prefix.bytes().all(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let digits = match tail {
            "{core}" => StyleDigits::Core,
            "{digits}" => StyleDigits::All,
            _ => {
                let n: u8 = tail
                    .strip_prefix("{last")?
                    .strip_suffix('}')?
                    .parse()
                    .ok()?;
                if usize::from(n) < STYLE_DIGITS_MIN {
                    return None;
                }
                StyleDigits::Last(n)
            }
        };
        Some(ReferenceStyle {
            prefix: prefix.to_string(),
            digits,
        })
    }

    /// Sort key: lower is more specific (the core, all digits, then the
    /// last digits, more of them first).
    fn specificity(&self) -> (u8, std::cmp::Reverse<u8>) {
        match self.digits {
            StyleDigits::Core => (0, std::cmp::Reverse(0)),
            StyleDigits::All => (1, std::cmp::Reverse(0)),
            StyleDigits::Last(n) => (2, std::cmp::Reverse(n)),
        }
    }

    /// `invoice_id` written in this style; `None` when the number has too
    /// few digits for it.
    pub fn render(&self, invoice_id: &str) -> Option<String> {
        let all: String = invoice_id.chars().filter(char::is_ascii_digit).collect();
        let digits = match self.digits {
            StyleDigits::Core => numeric_core(invoice_id).to_string(),
            StyleDigits::All => all,
            StyleDigits::Last(n) => {
                let n = usize::from(n);
                if all.len() <= n {
                    return None;
                }
                all[all.len() - n..].to_string()
            }
        };
        (digits.len() >= STYLE_DIGITS_MIN).then(|| format!("{}{digits}", self.prefix))
    }

    /// The style in which `token` writes `invoice_id`, if it does and the
    /// token is not simply the number as written. The most specific fits
    /// first: the core, all digits, then the last digits.
    pub fn of(token: &str, invoice_id: &str) -> Option<Self> {
        let token = token.to_ascii_uppercase();
        let split = token
            .bytes()
            .position(|b| !b.is_ascii_uppercase())
            .unwrap_or(token.len());
        let (prefix, digits) = token.split_at(split);
        if prefix.len() > STYLE_PREFIX_MAX
            || digits.len() < STYLE_DIGITS_MIN
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let written: String = invoice_id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if token == written {
            return None;
        }
        let all: String = invoice_id.chars().filter(char::is_ascii_digit).collect();
        let digits_kind = if digits == numeric_core(invoice_id) {
            StyleDigits::Core
        } else if digits == all {
            StyleDigits::All
        } else if all.len() > digits.len() && all.ends_with(digits) {
            StyleDigits::Last(u8::try_from(digits.len()).ok()?)
        } else {
            return None;
        };
        Some(ReferenceStyle {
            prefix: prefix.to_string(),
            digits: digits_kind,
        })
    }
}

/// The tokens of a remittance text that may be a reference (dates, amounts,
/// customer numbers and other ids left out), upper-cased.
fn reference_tokens(text: &str) -> Vec<String> {
    crate::references::text::candidate_tokens(text)
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
        // The customer's reference style: the first token of the text that
        // writes one of the paid invoices in a form other than as written.
        // A text that quotes a paid invoice as written teaches no style.
        let paid: Vec<&str> = p
            .lines
            .iter()
            .map(|&(i, _)| batch.open_items.get(i as usize).invoice_id())
            .collect();
        let toks = reference_tokens(txn.remittance_info());
        let compact: String = txn
            .remittance_info()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let quoted_as_written = paid.iter().any(|id| {
            let written: String = id
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_uppercase())
                .collect();
            !written.is_empty() && compact.contains(&written)
        });
        if quoted_as_written {
            continue;
        }
        // The most specific fit wins (core, all digits, then the most
        // last digits), then the earliest token.
        let style = toks
            .iter()
            .flat_map(|tok| {
                paid.iter()
                    .filter_map(move |id| ReferenceStyle::of(tok, id).map(|s| (s, tok, *id)))
            })
            .enumerate()
            .min_by_key(|(at, (s, _, _))| (s.specificity(), *at))
            .map(|(_, fit)| fit);
        if let Some((style, tok, id)) = style {
            let fact = Fact {
                kind: FactKind::ReferenceStyle,
                subject: style.code(),
                customer_id: customer.to_string(),
                evidence: format!(
                    "transaction {} quoted `{tok}` for invoice {id}; {}",
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
    /// (kind, subject) → the distinct customers learned for it, sorted
    /// (payer facts only).
    by_subject: HashMap<(FactKind, String), BTreeSet<String>>,
    /// Customer → its learned reference styles, each with its fact's
    /// evidence, in style order.
    styles: BTreeMap<String, BTreeMap<ReferenceStyle, String>>,
}

/// One learned style of a customer, as the pass uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnedStyle<'a> {
    /// The style.
    pub style: &'a ReferenceStyle,
    /// Where it was learned.
    pub evidence: &'a str,
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
        let mut styles: BTreeMap<String, BTreeMap<ReferenceStyle, String>> = BTreeMap::new();
        for f in facts {
            if f.kind == FactKind::ReferenceStyle {
                // A style of a later version that this one cannot read is
                // left out, not guessed.
                if let Some(style) = ReferenceStyle::parse(&f.subject) {
                    styles
                        .entry(f.customer_id.clone())
                        .or_default()
                        .entry(style)
                        .or_insert_with(|| f.evidence.clone());
                }
                continue;
            }
            by_subject
                .entry((f.kind, f.subject.clone()))
                .or_default()
                .insert(f.customer_id.clone());
        }
        LearnedIndex { by_subject, styles }
    }

    /// True when nothing was learned (the learned passes are not run).
    pub fn is_empty(&self) -> bool {
        self.by_subject.is_empty() && self.styles.is_empty()
    }

    /// True when some payer account or name was learned.
    pub fn has_payers(&self) -> bool {
        !self.by_subject.is_empty()
    }

    /// True when some customer's reference style was learned.
    pub fn has_styles(&self) -> bool {
        !self.styles.is_empty()
    }

    /// The styles learned for `customer_id`, in style order.
    pub fn styles_of(&self, customer_id: &str) -> Vec<LearnedStyle<'_>> {
        self.styles
            .get(customer_id)
            .map(|m| {
                m.iter()
                    .map(|(style, evidence)| LearnedStyle { style, evidence })
                    .collect()
            })
            .unwrap_or_default()
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

/// Pass 3a: payments quoting an open item in the reference style a
/// decision taught for the payer's customer (`LEARNED_REFERENCE`). The
/// customer comes from master data or a learned payer fact; the quoted
/// forms must each name exactly one of that customer's open items, and
/// together their open amounts must equal the payment.
pub struct LearnedReference;

impl Pass for LearnedReference {
    fn name(&self) -> &'static str {
        "learned_reference"
    }

    fn rule(&self, rules: &Rules) -> PassRule {
        // One switch and one threshold pair for what decisions taught
        // (`[matching.learned_payer]`).
        rules.matching.learned_payer
    }

    fn propose(
        &self,
        ctx: &Context<'_>,
        ledger: &Ledger,
        notes: &mut Vec<PassNote>,
    ) -> Vec<Proposal> {
        let Some(learned) = ctx.learned.filter(|l| l.has_styles()) else {
            return Vec::new();
        };
        each_open_txn(ctx, ledger, notes, |t| {
            (propose_by_style(ctx, ledger, learned, t), None)
        })
    }
}

fn propose_by_style(
    ctx: &Context<'_>,
    ledger: &Ledger,
    learned: &LearnedIndex,
    t: TxnIdx,
) -> Option<Proposal> {
    if ctx.refs.get(t as usize).resolved().next().is_some() {
        // The text names an invoice as written: the reference passes (and
        // their exceptions) decide.
        return None;
    }
    let txn = ctx.batch.transactions.get(t as usize);
    let (customer_id, how) = match ctx.identities.get(t as usize).id {
        Some(id) => (
            ctx.parties.list[id.party as usize].customer_id.as_str(),
            "identified by master data".to_string(),
        ),
        None => {
            let payer = learned.payer_of(txn.counterparty_account(), txn.counterparty_name())?;
            (
                payer.customer_id,
                format!(
                    "learned payer {} \"{}\"",
                    payer.kind.as_str().replace('_', " "),
                    payer.subject
                ),
            )
        }
    };
    let styles = learned.styles_of(customer_id);
    if styles.is_empty() {
        return None;
    }
    let party = ctx.parties.by_customer_id(customer_id)?;
    // That customer's own open items only: a style never names another
    // customer's invoice (not even a subsidiary's).
    let items: Vec<ItemIdx> = open_items_of(ctx, ledger, party, t)
        .into_iter()
        .filter(|&i| ctx.batch.open_items.get(i as usize).customer_id() == customer_id)
        .collect();
    // Each item's forms in each style.
    let mut forms: HashMap<String, Vec<(ItemIdx, usize)>> = HashMap::new();
    for &i in &items {
        let id = ctx.batch.open_items.get(i as usize).invoice_id();
        for (k, s) in styles.iter().enumerate() {
            if let Some(form) = s.style.render(id) {
                let at = forms.entry(form).or_default();
                if !at.iter().any(|&(j, _)| j == i) {
                    at.push((i, k));
                }
            }
        }
    }
    let mut named: Vec<(ItemIdx, usize, String)> = Vec::new();
    for tok in reference_tokens(txn.remittance_info()) {
        match forms.get(&tok).map(Vec::as_slice) {
            None => {}
            Some([(i, k)]) if !named.iter().any(|(j, _, _)| j == i) => {
                named.push((*i, *k, tok));
            }
            // Named again by another token: already counted once.
            Some([_]) => {}
            // The form fits several of the customer's items: it names
            // none of them, and a person decides.
            Some(_) => return None,
        }
    }
    if named.is_empty() {
        return None;
    }
    let chosen: Vec<ItemIdx> = named.iter().map(|(i, _, _)| *i).collect();
    let total: Decimal = chosen.iter().map(|&i| ledger.item_open[i as usize]).sum();
    if total != txn.amount() {
        return None;
    }
    let quoted: Vec<String> = named
        .iter()
        .map(|(i, k, tok)| {
            let s = &styles[*k];
            format!(
                "`{tok}` is {} in style `{}` (fact {}, taught by: {})",
                ctx.batch.open_items.get(*i as usize).invoice_id(),
                s.style.code(),
                fact_id(FactKind::ReferenceStyle, &s.style.code(), customer_id),
                s.evidence
            )
        })
        .collect();
    Some(clear_items(
        ctx,
        ledger,
        t,
        &chosen,
        Rule::LearnedReference,
        LEARNED_REFERENCE_CONFIDENCE,
        format!(
            "learned reference style of customer {customer_id} ({how}): {}; amount {} equals the open amount",
            quoted.join("; "),
            fmt_money(txn.amount())
        ),
    ))
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
