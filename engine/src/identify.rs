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

use crate::model::{Batch, CustomerIdx, ItemIdx};
use crate::normalize::KeyHasher;
use crate::references::TxnRefs;
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
    /// "payer IBAN DE89… is customer C00042".
    pub evidence: String,
}

/// Identification result of one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TxnIdentity {
    /// The customer, when the evidence is clear enough.
    pub id: Option<Identification>,
    /// Best name candidates with their similarity, for suggestions.
    pub name_candidates: Vec<(PartyIdx, f64)>,
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
    /// (trigram hash, party), sorted.
    grams: Vec<(u64, PartyIdx)>,
}

impl Parties {
    /// Builds the party list and its indexes.
    pub fn build(batch: &Batch) -> Self {
        let mut p = Parties::default();
        for (i, c) in batch.customers.iter().enumerate() {
            if p.by_id.contains_key(&c.customer_id) {
                continue; // duplicate master row: the first wins
            }
            p.add(&c.customer_id, Some(i as CustomerIdx));
        }
        for item in &batch.open_items {
            if !p.by_id.contains_key(&item.customer_id) {
                p.add(&item.customer_id, None);
            }
        }
        p.items = vec![Vec::new(); p.list.len()];
        p.keys = vec![Vec::new(); p.list.len()];
        for (i, item) in batch.open_items.iter().enumerate() {
            let party = p.by_id[&item.customer_id] as usize;
            p.items[party].push(i as ItemIdx);
            if !item.customer_name.is_empty() {
                push_key(&mut p.keys[party], &item.customer_name);
            }
        }
        for list in &mut p.items {
            list.sort_by(|&a, &b| {
                let (x, y) = (&batch.open_items[a as usize], &batch.open_items[b as usize]);
                x.due_date
                    .or(x.invoice_date)
                    .cmp(&y.due_date.or(y.invoice_date))
                    .then_with(|| x.invoice_id.cmp(&y.invoice_id))
                    .then(a.cmp(&b))
            });
        }
        for (party, entry) in p.list.iter().enumerate() {
            let Some(m) = entry.master else { continue };
            let c = &batch.customers[m as usize];
            push_key(&mut p.keys[party], &c.name);
            for alias in &c.aliases {
                push_key(&mut p.keys[party], alias);
            }
            for account in &c.bank_accounts {
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
        let mut grams = Vec::new();
        let mut buf = Vec::new();
        for (party, keys) in p.keys.iter().enumerate() {
            for key in keys {
                trigrams(&key.text, &mut buf);
                grams.extend(buf.iter().map(|&g| (g, party as PartyIdx)));
            }
        }
        grams.par_sort_unstable();
        grams.dedup();
        p.grams = grams;
        p
    }

    fn add(&mut self, customer_id: &str, master: Option<CustomerIdx>) {
        self.by_id
            .insert(customer_id.to_string(), self.list.len() as PartyIdx);
        self.list.push(Party {
            customer_id: customer_id.to_string(),
            master,
        });
    }

    /// The party of a customer id.
    pub fn by_customer_id(&self, customer_id: &str) -> Option<PartyIdx> {
        self.by_id.get(customer_id).copied()
    }

    /// The party an open item belongs to.
    pub fn of_item(&self, batch: &Batch, item: ItemIdx) -> PartyIdx {
        self.by_id[&batch.open_items[item as usize].customer_id]
    }

    /// Customers whose names are closest to `payer`, best first:
    /// (party, similarity). Bounded by `candidates_max`.
    pub fn name_candidates(&self, payer: &str, candidates_max: usize) -> Vec<(PartyIdx, f64)> {
        let raw: String = payer.chars().take(NAME_CHARS_MAX).collect();
        let truncated = raw.trim_end().chars().count() >= BANK_NAME_CHARS_TRUNCATED - 1;
        let key = name_parts(&raw);
        if key.text.is_empty() {
            return Vec::new();
        }
        let mut grams = Vec::new();
        trigrams(&key.text, &mut grams);
        let mut lists: Vec<&[(u64, PartyIdx)]> = grams
            .iter()
            .map(|&g| postings(&self.grams, g))
            .filter(|l| !l.is_empty() && l.len() <= NAME_GRAM_POSTINGS_MAX)
            .collect();
        // Rarest first: they say the most and cost the least.
        lists.sort_by_key(|l| (l.len(), l[0].0));
        let mut hits: Vec<PartyIdx> = lists
            .iter()
            .take(NAME_GRAMS_USED_MAX)
            .flat_map(|l| l.iter().map(|&(_, p)| p))
            .collect();
        hits.sort_unstable();
        let mut counted: Vec<(usize, PartyIdx)> = Vec::new();
        for chunk in hits.chunk_by(|a, b| a == b) {
            counted.push((chunk.len(), chunk[0]));
        }
        counted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        counted.truncate(candidates_max);
        let mut scored: Vec<(PartyIdx, f64)> = counted
            .into_iter()
            .map(|(_, party)| {
                let best = self.keys[party as usize]
                    .iter()
                    .map(|k| {
                        name_similarity(&key.text, &k.text, truncated)
                            + legal_adjustment(&key.legal, &k.legal)
                    })
                    .fold(0.0, f64::max);
                (party, best)
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }

    /// Identifies the payer of every transaction, in transaction order.
    pub fn identify_all(
        &self,
        batch: &Batch,
        refs: &[TxnRefs],
        similarity_min: f64,
        margin_min: f64,
        candidates_max: usize,
    ) -> Vec<TxnIdentity> {
        (0..batch.transactions.len())
            .into_par_iter()
            .map(|t| {
                if batch.transactions[t].amount <= rust_decimal::Decimal::ZERO {
                    return TxnIdentity::default();
                }
                self.identify(
                    batch,
                    t,
                    &refs[t],
                    similarity_min,
                    margin_min,
                    candidates_max,
                )
            })
            .collect()
    }

    fn identify(
        &self,
        batch: &Batch,
        t: usize,
        refs: &TxnRefs,
        similarity_min: f64,
        margin_min: f64,
        candidates_max: usize,
    ) -> TxnIdentity {
        let txn = &batch.transactions[t];
        let account = account_key(&txn.counterparty_account);
        if let Some([party]) = self.by_account.get(&account).map(Vec::as_slice) {
            let shown: String = account.chars().take(ACCOUNT_SHOWN_CHARS).collect();
            return TxnIdentity {
                id: Some(Identification {
                    party: *party,
                    method: IdMethod::Account,
                    confidence: ACCOUNT_CONFIDENCE,
                    evidence: format!(
                        "payer account {shown}… is customer {}",
                        self.list[*party as usize].customer_id
                    ),
                }),
                name_candidates: Vec::new(),
            };
        }
        let mut ref_parties: Vec<PartyIdx> =
            refs.resolved().map(|i| self.of_item(batch, i)).collect();
        ref_parties.sort_unstable();
        ref_parties.dedup();
        if let [party] = ref_parties.as_slice() {
            return TxnIdentity {
                id: Some(Identification {
                    party: *party,
                    method: IdMethod::InvoiceReference,
                    confidence: REFERENCE_CONFIDENCE,
                    evidence: format!(
                        "quoted invoices belong to customer {}",
                        self.list[*party as usize].customer_id
                    ),
                }),
                name_candidates: Vec::new(),
            };
        }
        if let Some((party, number)) = customer_number(self, &txn.remittance_info) {
            return TxnIdentity {
                id: Some(Identification {
                    party,
                    method: IdMethod::CustomerNumber,
                    confidence: CUSTOMER_NUMBER_CONFIDENCE,
                    evidence: format!("customer number {number} in remittance"),
                }),
                name_candidates: Vec::new(),
            };
        }
        let mut po_parties: Vec<PartyIdx> = refs
            .po_items
            .iter()
            .map(|&i| self.of_item(batch, i))
            .collect();
        po_parties.sort_unstable();
        po_parties.dedup();
        if let [party] = po_parties.as_slice() {
            return TxnIdentity {
                id: Some(Identification {
                    party: *party,
                    method: IdMethod::PurchaseOrder,
                    confidence: PO_CONFIDENCE,
                    evidence: format!(
                        "purchase order in remittance belongs to customer {}",
                        self.list[*party as usize].customer_id
                    ),
                }),
                name_candidates: Vec::new(),
            };
        }
        let mut candidates = self.name_candidates(&txn.counterparty_name, candidates_max);
        let id = match candidates.as_slice() {
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
                    evidence: format!(
                        "payer name \"{}\" is customer {} (similarity {:.2})",
                        txn.counterparty_name.trim(),
                        self.list[*party as usize].customer_id,
                        best.min(1.0)
                    ),
                })
            }
            _ => None,
        };
        candidates.truncate(NAME_SUGGESTIONS_MAX);
        TxnIdentity {
            id,
            name_candidates: candidates,
        }
    }
}

fn push_key(keys: &mut Vec<NameKey>, name: &str) {
    let key = name_parts(name);
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
        let word = w[0].to_lowercase();
        CUSTOMER_NUMBER_WORDS
            .binary_search(&word.as_str())
            .ok()
            .and_then(|_| parties.by_customer_id(w[1]))
            .map(|p| (p, w[1].to_string()))
    })
}

fn postings(table: &[(u64, PartyIdx)], gram: u64) -> &[(u64, PartyIdx)] {
    let start = table.partition_point(|&(g, _)| g < gram);
    let end = start + table[start..].partition_point(|&(g, _)| g == gram);
    &table[start..end]
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

/// Similarity of a normalised payer name to a normalised customer name. A
/// payer name the bank may have cut is also compared with the customer
/// name cut to the same length.
pub fn name_similarity(payer: &str, customer: &str, truncated: bool) -> f64 {
    let full = strsim::jaro_winkler(payer, customer);
    let payer_chars = payer.chars().count();
    if truncated && payer_chars >= TRUNCATED_KEY_CHARS_MIN && payer_chars < customer.chars().count()
    {
        let cut: String = customer.chars().take(payer_chars).collect();
        return full.max(strsim::jaro_winkler(payer, &cut));
    }
    full
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
    fn truncated_names_compare_as_prefixes() {
        let customer = name_key("Northern International Distribution GmbH & Co. KG");
        let payer = name_key("NORTHERN INTERNATIONAL DISTRIBUTIO");
        assert!(name_similarity(&payer, &customer, true) > 0.99);
    }
}
