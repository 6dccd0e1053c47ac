//! Customer identification: who paid?
//!
//! Evidence, strongest first: the payer's account (IBAN or account number)
//! is in exactly one customer's master record; the invoices the payer quoted
//! all belong to one customer; the payer's name is close to exactly one
//! customer's name or alias. Later passes match amounts only *within* the
//! identified customer, and exceptions carry the customer so that unapplied
//! cash lands on account rather than in suspense.
//!
//! Names are compared after normalisation (case, diacritics, punctuation,
//! legal forms, common abbreviations) with Jaro-Winkler from `strsim`.
//! Candidates come from a trigram index, rarest trigrams first and bounded,
//! so identification never compares a payer with every customer.

use crate::model::{Batch, CustomerIdx, ItemIdx, TxnIdx, TxnView};
use crate::normalize::KeyHasher;
use crate::references::{RefsStore, RefsView};
use rayon::prelude::*;
use std::collections::HashMap;

/// Index of a party: a customer of the master, or a customer id that only
/// appears on open items.
pub type PartyIdx = u32;

/// Many banks cut names to 35 characters (the DTAUS/MT103 field width); a
/// payer name this long may be a prefix of the real one.
const BANK_NAME_CHARS_TRUNCATED: usize = 35;
/// Shortest normalised payer name compared as a prefix: shorter prefixes
/// fit too many customers.
const TRUNCATED_KEY_CHARS_MIN: usize = 12;
/// Longest payer name scored: Jaro-Winkler is O(n·m), and no bank field is longer.
const NAME_CHARS_MAX: usize = 140;
/// Trigrams of a payer name used for candidate generation, rarest first.
const NAME_GRAMS_USED_MAX: usize = 16;
/// A trigram shared by more customers than this carries no information.
const NAME_GRAM_POSTINGS_MAX: usize = 4096;
/// Name candidates kept for suggestions when no customer is identified.
pub const NAME_SUGGESTIONS_MAX: usize = 3;
/// Identification confidence by account: the master says so.
const ACCOUNT_CONFIDENCE: f64 = 1.0;
/// By the quoted invoices: the payer could quote someone else's invoice.
const REFERENCE_CONFIDENCE: f64 = 0.98;
/// By name: from this at `name_similarity_min` up to 1.0 at similarity 1.
const NAME_CONFIDENCE_FLOOR: f64 = 0.94;
/// IBAN characters shown in explanations (country and check digits).
const ACCOUNT_SHOWN_CHARS: usize = 4;

/// Legal forms and connectors dropped from names before comparing: banks and
/// customers spell them every which way, and they say nothing about who paid.
const LEGAL_WORDS: &[&str] = &[
    "ab",
    "ag",
    "aktiebolag",
    "aktiengesellschaft",
    "and",
    "anonyme",
    "aps",
    "as",
    "asa",
    "bv",
    "cie",
    "co",
    "company",
    "corp",
    "corporation",
    "et",
    "ev",
    "gesellschaft",
    "gmbh",
    "inc",
    "incorporated",
    "kft",
    "kg",
    "kommanditgesellschaft",
    "liability",
    "limited",
    "llc",
    "llp",
    "lp",
    "ltd",
    "mbh",
    "nv",
    "ohg",
    "oy",
    "plc",
    "pty",
    "public",
    "sa",
    "sarl",
    "sas",
    "sca",
    "se",
    "societe",
    "spa",
    "srl",
    "sro",
    "the",
    "u",
    "ug",
    "und",
];

/// Legal forms as a signature: the canonical form of each spelling. Two
/// customers may differ only in legal form (`Jansen Pumps SAS` and `Jansen
/// Pumps B.V.`), so a payer's legal form breaks ties between equal names.
const LEGAL_CANONICAL: &[(&str, &str)] = &[
    ("ab", "ab"),
    ("ag", "ag"),
    ("aktiebolag", "ab"),
    ("aktiengesellschaft", "ag"),
    ("anonyme", "sa"),
    ("aps", "aps"),
    ("as", "as"),
    ("asa", "asa"),
    ("bv", "bv"),
    ("corp", "corp"),
    ("corporation", "corp"),
    ("ev", "ev"),
    ("gmbh", "gmbh"),
    ("inc", "inc"),
    ("incorporated", "inc"),
    ("kft", "kft"),
    ("kg", "kg"),
    ("kommanditgesellschaft", "kg"),
    ("liability", "llc"),
    ("limited", "ltd"),
    ("llc", "llc"),
    ("llp", "llp"),
    ("lp", "lp"),
    ("ltd", "ltd"),
    ("mbh", "gmbh"),
    ("nv", "nv"),
    ("ohg", "ohg"),
    ("oy", "oy"),
    ("plc", "plc"),
    ("pty", "pty"),
    ("sa", "sa"),
    ("sarl", "sarl"),
    ("sas", "sas"),
    ("sca", "sca"),
    ("se", "se"),
    ("societe", "sa"),
    ("spa", "spa"),
    ("srl", "srl"),
    ("sro", "sro"),
    ("ug", "ug"),
];
/// Similarity added when payer and customer spell the same legal form.
const LEGAL_SAME_BONUS: f64 = 0.02;
/// Similarity taken when their legal forms have nothing in common.
const LEGAL_OTHER_PENALTY: f64 = 0.04;
/// A cut last word this long that starts a long legal word is that word
/// (`KOMMANDITGESELLS` → `kommanditgesellschaft`).
const CUT_LEGAL_WORD_CHARS_MIN: usize = 4;
const LONG_LEGAL_WORD_CHARS_MIN: usize = 8;
/// Words that announce a customer number in remittance text (`Kd 10023`,
/// `klantnr 10279`).
const CUSTOMER_NUMBER_WORDS: &[&str] = &[
    "client",
    "cust",
    "custno",
    "customer",
    "debitor",
    "debtor",
    "kd",
    "kdnr",
    "klant",
    "klantnr",
    "kunde",
    "kundennr",
    "kundennummer",
];
/// A customer number quoted in the text: the payer knows who they are.
const CUSTOMER_NUMBER_CONFIDENCE: f64 = 0.97;
/// A purchase-order number of one customer's invoices quoted in the text.
const PO_CONFIDENCE: f64 = 0.97;

/// Abbreviations expanded before comparing (`Intl` and `International`).
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("assoc", "associates"),
    ("bros", "brothers"),
    ("chem", "chemicals"),
    ("constr", "construction"),
    ("dist", "distribution"),
    ("distr", "distribution"),
    ("elec", "electronics"),
    ("eng", "engineering"),
    ("engg", "engineering"),
    ("grp", "group"),
    ("hdl", "handel"),
    ("hldg", "holding"),
    ("hldgs", "holdings"),
    ("ind", "industries"),
    ("inds", "industries"),
    ("intl", "international"),
    ("log", "logistics"),
    ("mfg", "manufacturing"),
    ("mgmt", "management"),
    ("natl", "national"),
    ("svc", "services"),
    ("svcs", "services"),
    ("sys", "systems"),
    ("techn", "technik"),
];

/// How a customer was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdMethod {
    /// The payer's IBAN or account number is in the customer master.
    Account,
    /// Every invoice the payer quoted belongs to the customer.
    InvoiceReference,
    /// The remittance quotes the customer number (`Kd 10023`).
    CustomerNumber,
    /// The remittance quotes a purchase order of the customer's invoices.
    PurchaseOrder,
    /// The payer name is close to the customer's name or an alias.
    Name,
}

/// A normalised name and its legal-form signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameKey {
    /// Words of the name without legal form, single-space separated.
    pub text: String,
    /// Canonical legal forms, sorted.
    pub legal: Vec<&'static str>,
}

/// The customer a transaction is from, and why we think so.
#[derive(Debug, Clone, PartialEq)]
pub struct Identification {
    /// The customer.
    pub party: PartyIdx,
    /// What gave it away.
    pub method: IdMethod,
    /// In [0, 1]; passes multiply their own confidence by it.
    pub confidence: f64,
    /// Name similarity of a [`IdMethod::Name`] identification (shown in
    /// the evidence); zero for the other methods.
    pub similarity: f64,
}

impl Identification {
    /// Why, in words ("payer account DE89… is customer C00042"), rendered
    /// from the transaction and the party only when an explanation is
    /// written: a million identifications keep no text.
    pub fn evidence<'a>(
        &'a self,
        batch: &'a Batch,
        parties: &'a Parties,
        t: TxnIdx,
    ) -> Evidence<'a> {
        Evidence {
            id: self,
            txn: batch.transactions.get(t as usize),
            parties,
        }
    }
}

/// The evidence of an [`Identification`], as text when displayed.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    id: &'a Identification,
    txn: TxnView<'a>,
    parties: &'a Parties,
}

impl std::fmt::Display for Evidence<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let customer = &self.parties.list[self.id.party as usize].customer_id;
        match self.id.method {
            IdMethod::Account => {
                let account = account_key(self.txn.counterparty_account());
                let shown: String = account.chars().take(ACCOUNT_SHOWN_CHARS).collect();
                write!(f, "payer account {shown}… is customer {customer}")
            }
            IdMethod::InvoiceReference => {
                write!(f, "quoted invoices belong to customer {customer}")
            }
            IdMethod::CustomerNumber => {
                // The same search that identified the payer finds the same
                // number again.
                let number = customer_number(self.parties, self.txn.remittance_info())
                    .map(|(_, n)| n)
                    .unwrap_or_default();
                write!(f, "customer number {number} in remittance")
            }
            IdMethod::PurchaseOrder => write!(
                f,
                "purchase order in remittance belongs to customer {customer}"
            ),
            IdMethod::Name => write!(
                f,
                "payer name \"{}\" is customer {customer} (similarity {:.2})",
                self.txn.counterparty_name().trim(),
                self.id.similarity.min(1.0)
            ),
        }
    }
}

/// Identification result of one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TxnIdentity {
    /// The customer, when the evidence is clear enough.
    pub id: Option<Identification>,
    /// Best name candidates with their similarity, for suggestions.
    pub name_candidates: Vec<(PartyIdx, f64)>,
}

/// Who paid each transaction, in transaction order: the identification per
/// transaction and the name candidates as one flat array with offsets.
#[derive(Debug, Clone, PartialEq)]
pub struct Identities {
    ids: Vec<Option<Identification>>,
    candidates_at: Vec<u32>,
    candidates: Vec<(PartyIdx, f64)>,
}

/// The identification of one transaction, borrowed from [`Identities`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdentityView<'a> {
    /// The customer, when the evidence is clear enough.
    pub id: Option<&'a Identification>,
    /// Best name candidates with their similarity, for suggestions.
    pub name_candidates: &'a [(PartyIdx, f64)],
}

impl Identities {
    /// `n` transactions, none identified.
    pub fn none(n: usize) -> Self {
        Identities {
            ids: vec![None; n],
            candidates_at: vec![0; n + 1],
            candidates: Vec::new(),
        }
    }

    fn with_capacity(n: usize) -> Self {
        let mut candidates_at = Vec::with_capacity(n + 1);
        candidates_at.push(0);
        Identities {
            ids: Vec::with_capacity(n),
            candidates_at,
            candidates: Vec::new(),
        }
    }

    fn push(&mut self, identity: TxnIdentity) {
        self.ids.push(identity.id);
        self.candidates.extend_from_slice(&identity.name_candidates);
        self.candidates_at
            .push(u32::try_from(self.candidates.len()).expect("fewer than 2^32 name candidates"));
    }

    /// Transactions.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there is no transaction.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Who paid transaction `t`.
    #[inline]
    pub fn get(&self, t: usize) -> IdentityView<'_> {
        IdentityView {
            id: self.ids[t].as_ref(),
            name_candidates: &self.candidates
                [self.candidates_at[t] as usize..self.candidates_at[t + 1] as usize],
        }
    }
}

/// A customer as the engine sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    /// The customer id as the ERP writes it.
    pub customer_id: String,
    /// Position in `Batch::customers`; `None` for ids only seen on open items.
    pub master: Option<CustomerIdx>,
}

/// Every customer of a run: the master first, then customer ids found only
/// on open items (in order of first appearance), with the blocking indexes.
#[derive(Debug, Default)]
pub struct Parties {
    /// Every party, indexed by [`PartyIdx`].
    pub list: Vec<Party>,
    by_id: HashMap<String, PartyIdx>,
    /// Open items of each party, oldest due date first (then invoice id).
    pub items: Vec<Vec<ItemIdx>>,
    by_account: HashMap<String, Vec<PartyIdx>>,
    /// Normalised names and aliases of each party.
    keys: Vec<Vec<NameKey>>,
    /// Trigram postings: the parties whose names contain each trigram.
    grams: GramIndex,
    /// The party of each open item.
    item_party: Vec<PartyIdx>,
    /// The top of each party's group (its parent's parent ..., by the
    /// master's `parent_id`); the party itself when it has no parent.
    group_root: Vec<PartyIdx>,
    /// The subsidiaries of each party (direct and below, by the master's
    /// `parent_id`), in party order; empty for most.
    subsidiaries: Vec<Vec<PartyIdx>>,
}

/// Levels of `parent_id` followed up from a customer: groups are shallow
/// (holding, sub-holding, company); a longer chain or a cycle in the master
/// stops here instead of looping.
const GROUP_LEVELS_MAX: usize = 8;

/// Per-worker buffers for name candidate generation.
#[derive(Debug, Default)]
struct NameScratch {
    /// Trigram lists each party is on, indexed by party; zero between calls.
    counts: Vec<u8>,
    /// Parties whose count is not zero.
    touched: Vec<PartyIdx>,
    /// Parties counted at or above the cut-off, with their count.
    counted: Vec<(usize, PartyIdx)>,
    grams: Vec<u64>,
}

impl NameScratch {
    fn new(parties: usize) -> Self {
        NameScratch {
            counts: vec![0; parties],
            ..Default::default()
        }
    }
}

impl Parties {
    /// Builds the party list and its indexes.
    pub fn build(batch: &Batch) -> Self {
        let mut p = Parties::default();
        for (i, c) in batch.customers.iter().enumerate() {
            if p.by_id.contains_key(c.customer_id()) {
                continue; // duplicate master row: the first wins
            }
            p.add(c.customer_id(), Some(i as CustomerIdx));
        }
        for item in &batch.open_items {
            if !p.by_id.contains_key(item.customer_id()) {
                p.add(item.customer_id(), None);
            }
        }
        p.items = vec![Vec::new(); p.list.len()];
        p.keys = vec![Vec::new(); p.list.len()];
        p.item_party = Vec::with_capacity(batch.open_items.len());
        // Names in the order they are pushed per party: the items' names in
        // item order, then the master's name and aliases. A name equal to
        // the party's previous one gives the same key, which `push_name_key`
        // would drop: most items repeat their customer's name, so only the
        // first is normalised. PERF: `Parties::build` at 1M items.
        let mut names: Vec<(PartyIdx, &str)> = Vec::new();
        let mut last_name: Vec<&str> = vec![""; p.list.len()];
        for (i, item) in batch.open_items.iter().enumerate() {
            let party = p.by_id[item.customer_id()];
            p.item_party.push(party);
            p.items[party as usize].push(i as ItemIdx);
            let name = item.customer_name();
            if !name.is_empty() && last_name[party as usize] != name {
                last_name[party as usize] = name;
                names.push((party, name));
            }
        }
        drop(last_name);
        for (party, entry) in p.list.iter().enumerate() {
            let Some(m) = entry.master else { continue };
            let c = batch.customers.get(m as usize);
            names.push((party as PartyIdx, c.name()));
            names.extend(c.aliases().map(|a| (party as PartyIdx, a)));
        }
        let parts: Vec<NameKey> = names.par_iter().map(|&(_, n)| name_parts(n)).collect();
        for (&(party, _), key) in names.iter().zip(parts) {
            push_name_key(&mut p.keys[party as usize], key);
        }
        // A name without legal form (a trading name, an alias) is still the
        // name of the same legal entity: it carries the legal form the
        // party's other names give, so `Acme Trading SAS` paying is not a
        // tie between the SAS and the S.A. whose alias is `Acme Trading`
        // (issue 9: similar names told apart by evidence, not a threshold).
        p.keys.par_iter_mut().for_each(|keys| {
            let Some(legal) = keys
                .iter()
                .find(|k| !k.legal.is_empty())
                .map(|k| k.legal.clone())
            else {
                return;
            };
            if keys.iter().any(|k| !k.legal.is_empty() && k.legal != legal) {
                return; // names with different legal forms: keep each as written
            }
            let mut inherited: Vec<NameKey> = Vec::with_capacity(keys.len());
            for mut k in keys.drain(..) {
                if k.legal.is_empty() {
                    k.legal.clone_from(&legal);
                }
                push_name_key(&mut inherited, k);
            }
            *keys = inherited;
        });
        p.items.par_iter_mut().for_each(|list| {
            list.sort_by(|&a, &b| {
                let (x, y) = (
                    batch.open_items.get(a as usize),
                    batch.open_items.get(b as usize),
                );
                x.due_date()
                    .or(x.invoice_date())
                    .cmp(&y.due_date().or(y.invoice_date()))
                    .then_with(|| x.invoice_id().cmp(y.invoice_id()))
                    .then(a.cmp(&b))
            });
        });
        for (party, entry) in p.list.iter().enumerate() {
            let Some(m) = entry.master else { continue };
            let c = batch.customers.get(m as usize);
            for account in c.bank_accounts() {
                let key = account_key(account);
                if key.is_empty() {
                    continue;
                }
                let owners = p.by_account.entry(key).or_default();
                if !owners.contains(&(party as PartyIdx)) {
                    owners.push(party as PartyIdx);
                }
            }
        }
        let mut grams: Vec<(u64, PartyIdx)> = p
            .keys
            .par_iter()
            .enumerate()
            .flat_map_iter(|(party, keys)| {
                let mut buf = Vec::new();
                let mut out = Vec::new();
                for key in keys {
                    trigrams(&key.text, &mut buf);
                    out.extend(buf.iter().map(|&g| (g, party as PartyIdx)));
                }
                out
            })
            .collect();
        grams.par_sort_unstable();
        grams.dedup();
        p.grams = GramIndex::build(&grams);
        p.link_groups(batch);
        p
    }

    /// Groups from the master's `parent_id`: each party's root and each
    /// parent's subsidiaries. A `parent_id` naming no known customer, or
    /// the customer itself, is ignored; a chain longer than
    /// [`GROUP_LEVELS_MAX`] (or a cycle) stops there.
    fn link_groups(&mut self, batch: &Batch) {
        let n = self.list.len();
        let parent: Vec<Option<PartyIdx>> = self
            .list
            .iter()
            .enumerate()
            .map(|(party, entry)| {
                let m = entry.master?;
                let id = batch.customers.get(m as usize).parent_id()?;
                self.by_customer_id(id).filter(|&p| p as usize != party)
            })
            .collect();
        self.group_root = (0..n as PartyIdx).collect();
        self.subsidiaries = vec![Vec::new(); n];
        for party in 0..n {
            let mut at = party as PartyIdx;
            for _ in 0..GROUP_LEVELS_MAX {
                let Some(up) = parent[at as usize] else { break };
                if up as usize == party {
                    break; // a cycle back to the start
                }
                self.subsidiaries[up as usize].push(party as PartyIdx);
                at = up;
            }
            self.group_root[party] = at;
        }
        for subs in &mut self.subsidiaries {
            subs.sort_unstable();
            subs.dedup();
        }
    }

    /// The subsidiaries of `party` (by the master's `parent_id`, at any
    /// depth), in party order: their open items are candidates when the
    /// parent pays.
    pub fn subsidiaries(&self, party: PartyIdx) -> &[PartyIdx] {
        self.subsidiaries
            .get(party as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// True when `payer` is `owner` or one of its parents: a payment of
    /// `payer` may pay `owner`'s invoices.
    pub fn pays_for(&self, payer: PartyIdx, owner: PartyIdx) -> bool {
        payer == owner || self.subsidiaries(payer).contains(&owner)
    }

    fn add(&mut self, customer_id: &str, master: Option<CustomerIdx>) {
        self.by_id
            .insert(customer_id.to_string(), self.list.len() as PartyIdx);
        self.list.push(Party {
            customer_id: customer_id.to_string(),
            master,
        });
    }

    /// True when `a` and `b` are one customer or of one group (a parent and
    /// its subsidiaries, by the master's `parent_id`): a parent paying a
    /// subsidiary's invoice is that invoice's payer.
    pub fn same_group(&self, a: PartyIdx, b: PartyIdx) -> bool {
        a == b
            || (self.group_root.get(a as usize).is_some()
                && self.group_root.get(a as usize) == self.group_root.get(b as usize))
    }

    /// The party of a customer id.
    pub fn by_customer_id(&self, customer_id: &str) -> Option<PartyIdx> {
        self.by_id.get(customer_id).copied()
    }

    /// The party an open item belongs to.
    pub fn of_item(&self, batch: &Batch, item: ItemIdx) -> PartyIdx {
        debug_assert_eq!(
            Some(self.item_party[item as usize]),
            self.by_customer_id(batch.open_items.get(item as usize).customer_id())
        );
        self.item_party[item as usize]
    }

    /// Customers whose names are closest to `payer`, best first:
    /// (party, similarity). Bounded by `candidates_max`.
    pub fn name_candidates(&self, payer: &str, candidates_max: usize) -> Vec<(PartyIdx, f64)> {
        let mut scratch = NameScratch::new(self.list.len());
        self.name_candidates_in(payer, candidates_max, &mut scratch)
    }

    fn name_candidates_in(
        &self,
        payer: &str,
        candidates_max: usize,
        scratch: &mut NameScratch,
    ) -> Vec<(PartyIdx, f64)> {
        let raw: String = payer.chars().take(NAME_CHARS_MAX).collect();
        let truncated = raw.trim_end().chars().count() >= BANK_NAME_CHARS_TRUNCATED - 1;
        let key = name_parts(&raw);
        if key.text.is_empty() {
            return Vec::new();
        }
        trigrams(&key.text, &mut scratch.grams);
        let mut lists: Vec<(u64, &[PartyIdx])> = scratch
            .grams
            .iter()
            .map(|&g| (g, self.grams.parties(g)))
            .filter(|(_, l)| !l.is_empty() && l.len() <= NAME_GRAM_POSTINGS_MAX)
            .collect();
        // Rarest first: they say the most and cost the least.
        lists.sort_by_key(|&(g, l)| (l.len(), g));
        // Lists a party is on, counted in a dense array: a party is on each
        // list at most once, so counts stay ≤ NAME_GRAMS_USED_MAX. PERF:
        // replaces sorting up to 16 × 4096 postings per payer (index stage).
        const _: () = assert!(NAME_GRAMS_USED_MAX <= u8::MAX as usize);
        for &(_, l) in lists.iter().take(NAME_GRAMS_USED_MAX) {
            for &party in l {
                let count = &mut scratch.counts[party as usize];
                if *count == 0 {
                    scratch.touched.push(party);
                }
                *count += 1;
            }
        }
        // Only parties that can be among the first `candidates_max` by
        // count are ranked: the cut-off is the highest count that at least
        // `candidates_max` parties reach. PERF: thousands of parties share a
        // trigram with a payer at 150k customers (index stage).
        let mut parties_with = [0usize; NAME_GRAMS_USED_MAX + 1];
        for &party in &scratch.touched {
            parties_with[usize::from(scratch.counts[party as usize])] += 1;
        }
        let mut cutoff = 1;
        let mut reached = 0;
        for count in (1..=NAME_GRAMS_USED_MAX).rev() {
            reached += parties_with[count];
            if reached >= candidates_max {
                cutoff = count;
                break;
            }
        }
        let counted = &mut scratch.counted;
        counted.clear();
        for &party in &scratch.touched {
            let count = usize::from(scratch.counts[party as usize]);
            scratch.counts[party as usize] = 0;
            if count >= cutoff {
                counted.push((count, party));
            }
        }
        scratch.touched.clear();
        // Most lists first, then party: a total order, so selecting the
        // first `candidates_max` and sorting them equals sorting all.
        let order =
            |a: &(usize, PartyIdx), b: &(usize, PartyIdx)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        if candidates_max == 0 {
            counted.clear();
        } else if counted.len() > candidates_max {
            counted.select_nth_unstable_by(candidates_max - 1, order);
            counted.truncate(candidates_max);
        }
        counted.sort_unstable_by(order);
        // Collected from a borrowed iterator, so `scored` gets its own
        // allocation of at most `candidates_max` entries: collecting
        // `counted` by value reuses its buffer (same element size), and each
        // transaction then kept a buffer sized for every party any of its
        // trigrams named (about 20 GB at 1M payments).
        let mut scored: Vec<(PartyIdx, f64)> = counted
            .iter()
            .map(|&(_, party)| {
                let best = self.keys[party as usize]
                    .iter()
                    .map(|k| {
                        let similarity = if !truncated && abbreviates(&key.text, &k.text) {
                            // Every typed word starts a word of the name, in
                            // order (`acme text` for `acme textiles`): as
                            // good as ABBREVIATION_SIMILARITY, and no better
                            // however close the strings look, so that two
                            // names the same typing abbreviates (`acme
                            // texts`, `acme textiles`) tie and decide
                            // nothing.
                            ABBREVIATION_SIMILARITY
                        } else {
                            name_similarity(&key.text, &k.text, truncated)
                        };
                        similarity + legal_adjustment(&key.legal, &k.legal)
                    })
                    .fold(0.0, f64::max);
                (party, best)
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }

    /// Identifies the payer of every transaction, in transaction order.
    ///
    /// Payer-name matching runs once per distinct payer name, not once per
    /// transaction: the same payer sends many payments, and the candidates
    /// depend on the name alone. PERF: index stage at 1M payments.
    pub fn identify_all(
        &self,
        batch: &Batch,
        refs: &RefsStore,
        similarity_min: f64,
        margin_min: f64,
        candidates_max: usize,
    ) -> Identities {
        let n = batch.transactions.len();
        // 1. Account, references, customer number, PO: `None` where only
        //    the name is left to decide.
        let early: Vec<Option<TxnIdentity>> = (0..n)
            .into_par_iter()
            .map(|t| {
                if batch.transactions.get(t).amount() <= rust_decimal::Decimal::ZERO {
                    return Some(TxnIdentity::default());
                }
                self.identify_early(batch, t, refs.get(t))
            })
            .collect();
        // 2. The distinct names of the rest, in order of first appearance.
        let mut name_of: HashMap<&str, u32> = HashMap::new();
        let mut names: Vec<&str> = Vec::new();
        let name_idx: Vec<u32> = early
            .iter()
            .enumerate()
            .map(|(t, e)| {
                if e.is_some() {
                    return u32::MAX;
                }
                let name = batch.transactions.get(t).counterparty_name();
                *name_of.entry(name).or_insert_with(|| {
                    names.push(name);
                    (names.len() - 1) as u32
                })
            })
            .collect();
        drop(name_of);
        // 3. Candidates per distinct name: only the best three are kept
        //    (the decision reads the best two, suggestions three).
        let per_name: Vec<Vec<(PartyIdx, f64)>> = names
            .par_iter()
            .map_init(
                || NameScratch::new(self.list.len()),
                |scratch, name| {
                    let mut c = self.name_candidates_in(name, candidates_max, scratch);
                    c.truncate(NAME_SUGGESTIONS_MAX);
                    c.shrink_to_fit();
                    c
                },
            )
            .collect();
        let mut out = Identities::with_capacity(n);
        for (e, k) in early.into_iter().zip(name_idx) {
            out.push(match e {
                Some(identity) => identity,
                None => name_identity(&per_name[k as usize], similarity_min, margin_min),
            });
        }
        out
    }

    /// Identification by account, quoted invoices, customer number or
    /// purchase order; `None` when only the payer name is left.
    fn identify_early(&self, batch: &Batch, t: usize, refs: RefsView<'_>) -> Option<TxnIdentity> {
        let txn = batch.transactions.get(t);
        let identified = |party: PartyIdx, method: IdMethod, confidence: f64| {
            Some(TxnIdentity {
                id: Some(Identification {
                    party,
                    method,
                    confidence,
                    similarity: 0.0,
                }),
                name_candidates: Vec::new(),
            })
        };
        let account = account_key(txn.counterparty_account());
        if let Some([party]) = self.by_account.get(&account).map(Vec::as_slice) {
            return identified(*party, IdMethod::Account, ACCOUNT_CONFIDENCE);
        }
        let mut ref_parties: Vec<PartyIdx> =
            refs.resolved().map(|i| self.of_item(batch, i)).collect();
        ref_parties.sort_unstable();
        ref_parties.dedup();
        if let [party] = ref_parties.as_slice() {
            return identified(*party, IdMethod::InvoiceReference, REFERENCE_CONFIDENCE);
        }
        if let Some((party, _)) = customer_number(self, txn.remittance_info()) {
            return identified(party, IdMethod::CustomerNumber, CUSTOMER_NUMBER_CONFIDENCE);
        }
        let mut po_parties: Vec<PartyIdx> = refs
            .po_items
            .iter()
            .map(|&i| self.of_item(batch, i))
            .collect();
        po_parties.sort_unstable();
        po_parties.dedup();
        if let [party] = po_parties.as_slice() {
            return identified(*party, IdMethod::PurchaseOrder, PO_CONFIDENCE);
        }
        None
    }
}

/// Identification by payer name from the name's best candidates (best
/// first): the best must reach `similarity_min` and lead the second by
/// `margin_min`.
fn name_identity(
    candidates: &[(PartyIdx, f64)],
    similarity_min: f64,
    margin_min: f64,
) -> TxnIdentity {
    let id = match candidates {
        [(party, best), rest @ ..]
            if *best >= similarity_min
                && rest
                    .first()
                    .is_none_or(|&(_, second)| best - second >= margin_min) =>
        {
            let span = (1.0 - similarity_min).max(f64::EPSILON);
            let confidence = NAME_CONFIDENCE_FLOOR
                + (1.0 - NAME_CONFIDENCE_FLOOR) * ((best - similarity_min) / span).min(1.0);
            Some(Identification {
                party: *party,
                method: IdMethod::Name,
                confidence,
                similarity: *best,
            })
        }
        _ => None,
    };
    TxnIdentity {
        id,
        name_candidates: candidates.to_vec(),
    }
}

fn push_name_key(keys: &mut Vec<NameKey>, key: NameKey) {
    if !key.text.is_empty() && !keys.contains(&key) {
        keys.push(key);
    }
}

/// Same legal form: a small bonus; disjoint legal forms: a penalty; one
/// side without legal form, or one containing the other: nothing.
fn legal_adjustment(payer: &[&str], customer: &[&str]) -> f64 {
    if payer.is_empty() || customer.is_empty() {
        0.0
    } else if payer == customer {
        LEGAL_SAME_BONUS
    } else if payer.iter().any(|p| customer.contains(p)) {
        0.0
    } else {
        -LEGAL_OTHER_PENALTY
    }
}

/// The customer a remittance names by customer number (`Kd 10023`).
fn customer_number(parties: &Parties, text: &str) -> Option<(PartyIdx, String)> {
    let toks: Vec<&str> = crate::normalize::tokens(text).take(64).collect();
    toks.windows(2).find_map(|w| {
        is_customer_number_word(w[0])
            .then(|| parties.by_customer_id(w[1]))
            .flatten()
            .map(|p| (p, w[1].to_string()))
    })
}

/// True when `word`, lower-cased, is one of `CUSTOMER_NUMBER_WORDS`. ASCII
/// words are lower-cased on the stack (PERF: called for every remittance
/// token); others take Unicode lower-casing (`K`, the Kelvin sign, lowers
/// to `k`).
fn is_customer_number_word(word: &str) -> bool {
    const WORD_BYTES_MAX: usize = 16;
    if word.is_ascii() {
        if word.len() > WORD_BYTES_MAX {
            return false;
        }
        let mut buf = [0u8; WORD_BYTES_MAX];
        let lower = &mut buf[..word.len()];
        lower.copy_from_slice(word.as_bytes());
        lower.make_ascii_lowercase();
        return CUSTOMER_NUMBER_WORDS
            .binary_search_by(|w| w.as_bytes().cmp(lower))
            .is_ok();
    }
    CUSTOMER_NUMBER_WORDS
        .binary_search(&word.to_lowercase().as_str())
        .is_ok()
}

/// Trigram → parties, as three arrays: the distinct trigram hashes (sorted,
/// small enough to stay in cache for the binary search), where each one's
/// parties start, and the parties (sorted within a trigram).
/// PERF: payer lookups scan 4-byte parties instead of 16-byte pairs and
/// search ~20k keys instead of millions of pairs (index stage).
#[derive(Debug, Default)]
struct GramIndex {
    keys: Vec<u64>,
    starts: Vec<u32>,
    parties: Vec<PartyIdx>,
}

impl GramIndex {
    /// From sorted, deduplicated `(trigram, party)` pairs.
    fn build(pairs: &[(u64, PartyIdx)]) -> Self {
        let mut index = GramIndex {
            keys: Vec::new(),
            starts: Vec::new(),
            parties: pairs.iter().map(|&(_, p)| p).collect(),
        };
        for (i, &(g, _)) in pairs.iter().enumerate() {
            if index.keys.last() != Some(&g) {
                index.keys.push(g);
                index
                    .starts
                    .push(u32::try_from(i).expect("fewer than 2^32 trigram postings"));
            }
        }
        index
            .starts
            .push(u32::try_from(pairs.len()).expect("fewer than 2^32 trigram postings"));
        index
    }

    /// Parties whose names contain `gram`, in party order.
    fn parties(&self, gram: u64) -> &[PartyIdx] {
        match self.keys.binary_search(&gram) {
            Ok(k) => &self.parties[self.starts[k] as usize..self.starts[k + 1] as usize],
            Err(_) => &[],
        }
    }
}

/// Account numbers compared as upper-case alphanumerics (`DE89 3704 …` and
/// `de8937…` are one account).
pub fn account_key(account: &str) -> String {
    account
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Hashes of the character trigrams of ` key ` (padded so that word
/// starts and ends count), deduplicated and sorted.
fn trigrams(key: &str, out: &mut Vec<u64>) {
    out.clear();
    let chars: Vec<char> = std::iter::once(' ')
        .chain(key.chars())
        .chain(std::iter::once(' '))
        .collect();
    for w in chars.windows(3) {
        let mut h = KeyHasher::new();
        let mut buf = [0u8; 4];
        for c in w {
            for &b in c.encode_utf8(&mut buf).as_bytes() {
                h.push(b);
            }
        }
        out.push(h.finish());
    }
    out.sort_unstable();
    out.dedup();
}

/// Similarity given to a typed name that abbreviates a customer's name
/// word by word ([`abbreviates`]): above the default identification floor
/// (0.92), below an exact name.
const ABBREVIATION_SIMILARITY: f64 = 0.95;
/// Shortest abbreviated word: `te` or `a` start too many words.
const ABBREVIATED_WORD_CHARS_MIN: usize = 3;

/// Name words a typed name may leave out and still abbreviate the name.
const DROPPED_WORDS_MAX: usize = 1;
/// Fewest typed words for an abbreviation: one word names too many firms.
const ABBREVIATION_WORDS_MIN: usize = 2;

/// True when `typed` (a normalised payer name) is `name` as people type it:
/// words cut short (`acme text` for `acme textiles`, `cont mari trad` for
/// `continental marine trading`) or one word left out (`bavaria handels`
/// for `bavaria stahl handels`), the typed words in the name's order, each
/// the whole or the start of its word. An identical name is not an
/// abbreviation.
fn abbreviates(typed: &str, name: &str) -> bool {
    if typed == name {
        return false;
    }
    let typed: Vec<&str> = typed.split(' ').collect();
    let words: Vec<&str> = name.split(' ').collect();
    if typed.len() < ABBREVIATION_WORDS_MIN
        || typed.len() > words.len()
        || words.len() - typed.len() > DROPPED_WORDS_MAX
    {
        return false;
    }
    let fits = |a: &str, b: &str| {
        a == b || (a.chars().count() >= ABBREVIATED_WORD_CHARS_MIN && b.starts_with(a))
    };
    // Greedy in order: a typed word takes the first name word it fits;
    // the words skipped are the ones left out.
    let mut at = 0;
    for a in &typed {
        let Some(k) = words[at..].iter().position(|b| fits(a, b)) else {
            return false;
        };
        at += k + 1;
    }
    at - typed.len() <= DROPPED_WORDS_MAX
}

/// Similarity of a normalised payer name to a normalised customer name. A
/// payer name the bank may have cut is also compared with the customer
/// name cut to the same length.
pub fn name_similarity(payer: &str, customer: &str, truncated: bool) -> f64 {
    let full = jaro_winkler(payer, customer);
    let payer_chars = payer.chars().count();
    if truncated && payer_chars >= TRUNCATED_KEY_CHARS_MIN && payer_chars < customer.chars().count()
    {
        if customer.is_ascii() {
            return full.max(jaro_winkler(payer, &customer[..payer_chars]));
        }
        let cut: String = customer.chars().take(payer_chars).collect();
        return full.max(jaro_winkler(payer, &cut));
    }
    full
}

/// Longest string the bit-parallel Jaro handles: one bit per character.
const JARO_BITS_MAX: usize = 64;

/// `strsim::jaro_winkler`, bit for bit: the same greedy matching (each
/// character of `a` takes the first unmatched equal character of `b` in the
/// window), the same transposition count and the same floating-point
/// expression, with `b`'s character positions as bit masks for ASCII
/// strings up to 64 characters. Other strings go to `strsim`.
/// PERF: ~10× strsim, which allocates and rescans `b` for every character
/// of `a` (`benches/stages.rs`, index stage).
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if !a.is_ascii() || !b.is_ascii() || a.len() > JARO_BITS_MAX || b.len() > JARO_BITS_MAX {
        return strsim::jaro_winkler(a, b);
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let sim = jaro_ascii(a, b);
    if sim > 0.7 {
        let prefix_length = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix_length as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// Jaro similarity of ASCII strings of at most [`JARO_BITS_MAX`] bytes,
/// computed as `strsim::generic_jaro` does.
fn jaro_ascii(a: &[u8], b: &[u8]) -> f64 {
    debug_assert!(a.len() <= JARO_BITS_MAX && b.len() <= JARO_BITS_MAX);
    let (a_len, b_len) = (a.len(), b.len());
    if a_len == 0 && b_len == 0 {
        return 1.0;
    } else if a_len == 0 || b_len == 0 {
        return 0.0;
    }
    let search_range = (a_len.max(b_len) / 2).saturating_sub(1);
    // Positions of each byte value in `b`.
    let mut positions = [0u64; 128];
    for (j, &c) in b.iter().enumerate() {
        positions[usize::from(c)] |= 1 << j;
    }
    let mut a_flags = 0u64;
    let mut b_flags = 0u64;
    let mut matches = 0usize;
    for (i, &c) in a.iter().enumerate() {
        let lo = i.saturating_sub(search_range);
        let hi = b_len.min(i + search_range + 1);
        if lo >= hi {
            continue;
        }
        let window = bits_below(hi) & !bits_below(lo);
        let free = positions[usize::from(c)] & !b_flags & window;
        if free != 0 {
            b_flags |= free & free.wrapping_neg();
            a_flags |= 1 << i;
            matches += 1;
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let (mut af, mut bf) = (a_flags, b_flags);
    while af != 0 {
        let (i, j) = (af.trailing_zeros() as usize, bf.trailing_zeros() as usize);
        if a[i] != b[j] {
            transpositions += 1;
        }
        af &= af - 1;
        bf &= bf - 1;
    }
    transpositions /= 2;
    ((matches as f64 / a_len as f64)
        + (matches as f64 / b_len as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
}

/// A mask of the `n` lowest bits, `n` ≤ 64.
#[inline]
fn bits_below(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// The comparison form of a company name: lower case, diacritics folded as
/// banks transliterate them (`ü` → `ue`), zero-width, bidi and control
/// characters dropped, full-width forms folded, dots and apostrophes joined
/// (`S.A.` → `sa`), runs of single letters joined (`S A S` → `sas`),
/// abbreviations expanded and legal forms dropped. Never fails: a name that
/// is nothing but legal form keeps its words.
pub fn name_key(raw: &str) -> String {
    name_parts(raw).text
}

/// [`name_key`] with the legal-form signature it dropped.
pub fn name_parts(raw: &str) -> NameKey {
    let mut folded = String::with_capacity(raw.len());
    for c in raw.chars().take(NAME_CHARS_MAX) {
        fold_char(c, &mut folded);
    }
    let mut words: Vec<String> = Vec::new();
    let mut single_run = String::new();
    for w in folded.split(' ').filter(|w| !w.is_empty()) {
        if w.chars().count() == 1 && w.chars().all(char::is_alphabetic) {
            single_run.push_str(w);
            continue;
        }
        if !single_run.is_empty() {
            words.push(std::mem::take(&mut single_run));
        }
        words.push(w.to_string());
    }
    if !single_run.is_empty() {
        words.push(single_run);
    }
    for w in &mut words {
        if let Some(&(_, long)) = ABBREVIATIONS.iter().find(|(short, _)| short == w) {
            *w = long.to_string();
        }
    }
    if let Some(last) = words.last_mut() {
        if last.chars().count() >= CUT_LEGAL_WORD_CHARS_MIN
            && LEGAL_WORDS.binary_search(&last.as_str()).is_err()
        {
            if let Some(full) = LEGAL_WORDS
                .iter()
                .find(|l| l.len() >= LONG_LEGAL_WORD_CHARS_MIN && l.starts_with(last.as_str()))
            {
                *last = full.to_string();
            }
        }
    }
    let mut legal: Vec<&'static str> = words
        .iter()
        .filter_map(|w| {
            LEGAL_CANONICAL
                .binary_search_by(|(k, _)| (*k).cmp(w.as_str()))
                .ok()
                .map(|i| LEGAL_CANONICAL[i].1)
        })
        .collect();
    legal.sort_unstable();
    legal.dedup();
    let kept: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| LEGAL_WORDS.binary_search(w).is_err())
        .collect();
    let text = if kept.is_empty() {
        words.join(" ")
    } else {
        kept.join(" ")
    };
    NameKey { text, legal }
}

/// Appends the folded form of one character; separators become spaces.
fn fold_char(c: char, out: &mut String) {
    let c = match c {
        // Full-width ASCII forms (NFKC maps them to ASCII).
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(' '),
        _ => c,
    };
    match c {
        // Zero-width, bidi controls and BOM: invisible, so they must not count.
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}'
        | '\u{FEFF}' => {}
        '.' | '\'' | '\u{2019}' => {}
        c if c.is_control() => {}
        c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
        'ä' | 'Ä' | 'æ' | 'Æ' => out.push_str("ae"),
        'ö' | 'Ö' | 'œ' | 'Œ' => out.push_str("oe"),
        'ü' | 'Ü' => out.push_str("ue"),
        'ß' => out.push_str("ss"),
        'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Å' => {
            out.push('a')
        }
        'ç' | 'č' | 'ć' | 'Ç' | 'Č' | 'Ć' => out.push('c'),
        'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' => out.push('e'),
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => out.push('i'),
        'ñ' | 'ń' | 'ň' | 'Ñ' => out.push('n'),
        'ò' | 'ó' | 'ô' | 'õ' | 'ø' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ø' => out.push('o'),
        'ù' | 'ú' | 'û' | 'ů' | 'ű' | 'Ù' | 'Ú' | 'Û' => out.push('u'),
        'ý' | 'ÿ' | 'Ý' => out.push('y'),
        'š' | 'ś' | 'Š' | 'Ś' => out.push('s'),
        'ž' | 'ź' | 'ż' | 'Ž' | 'Ź' | 'Ż' => out.push('z'),
        'ł' | 'Ł' => out.push('l'),
        'ř' | 'Ř' => out.push('r'),
        'đ' | 'ð' | 'Đ' => out.push('d'),
        c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
        _ => out.push(' '),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        assert!(LEGAL_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(LEGAL_CANONICAL.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(CUSTOMER_NUMBER_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(LEGAL_CANONICAL.iter().all(|(k, _)| LEGAL_WORDS.contains(k)));
    }

    #[test]
    fn legal_forms_become_a_signature() {
        assert_eq!(name_parts("Jansen Pumps S A S").legal, vec!["sas"]);
        assert_eq!(name_parts("Jansen Pumps B.V.").legal, vec!["bv"]);
        assert_eq!(name_parts("X GmbH u. Co. KG").legal, vec!["gmbh", "kg"]);
        let cut = name_parts("LEFEVRE AUTOMOTIVE KOMMANDITGESELLS");
        assert_eq!(cut.text, "lefevre automotive");
        assert_eq!(cut.legal, vec!["kg"]);
    }

    #[test]
    fn names_normalise_across_spellings() {
        let want = name_key("Müller Logistik GmbH");
        for s in [
            "MUELLER LOGISTIK GMBH",
            "Mueller Logistik G.m.b.H.",
            "Müller Logistik Gesellschaft mbH",
            "Müller\u{200B} Logistik",
        ] {
            assert_eq!(name_key(s), want, "{s}");
        }
        assert_eq!(name_key("Nordic Steel S A S"), "nordic steel");
        assert_eq!(name_key("Acme Intl Inc."), "acme international");
        assert_eq!(name_key("GmbH"), "gmbh");
    }

    #[test]
    fn jaro_winkler_is_strsim_bit_for_bit() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "acme",
            "akme",
            "nordic steel",
            "nordic steal",
            "steel nordic",
            "mueller logistik",
            "muller logistik",
            "northern international distribution",
            "northern international distributio",
            "aaaaab",
            "baaaaa",
            "abcabcabc",
            "cbacba",
            "x y z",
            "novák",
            "日本",
            "verylongnamethatgoesonandonandonforeverandevermorebeyondsixtyfourbytes",
        ];
        let mut state: u64 = 7;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % n
        };
        let mut random: Vec<String> = Vec::new();
        for _ in 0..400 {
            let len = next(70);
            random.push((0..len).map(|_| b"abcde fg"[next(8)] as char).collect());
        }
        let all: Vec<&str> = words
            .iter()
            .copied()
            .chain(random.iter().map(String::as_str))
            .collect();
        for a in &all {
            for b in all.iter().step_by(3) {
                assert_eq!(
                    jaro_winkler(a, b).to_bits(),
                    strsim::jaro_winkler(a, b).to_bits(),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn abbreviations_keep_every_word_in_order() {
        assert!(abbreviates("acme text", "acme textiles"));
        assert!(abbreviates("cont mari trad", "continental marine trading"));
        assert!(!abbreviates("acme textiles", "acme textiles"), "identical");
        assert!(!abbreviates("acme te", "acme textiles"), "too short a word");
        assert!(
            !abbreviates("acme", "acme textiles"),
            "one word says too little"
        );
        assert!(
            abbreviates("bavaria handels", "bavaria stahl handels"),
            "one left out"
        );
        assert!(!abbreviates("acme ltd", "acme big red ltd"), "two left out");
        assert!(!abbreviates("text acme", "acme textiles"), "reordered");
        assert!(!abbreviates("acme textiles", "acme texts"));
    }

    #[test]
    fn truncated_names_compare_as_prefixes() {
        let customer = name_key("Northern International Distribution GmbH & Co. KG");
        let payer = name_key("NORTHERN INTERNATIONAL DISTRIBUTIO");
        assert!(name_similarity(&payer, &customer, true) > 0.99);
    }
}
