//! Reference extraction and repair: which open items a transaction names,
//! and how sure we are of each.
//!
//! A transaction can name an invoice in four ways, from strongest to weakest:
//!
//! 1. a *structured* reference (`BankTransaction::structured_refs`): an
//!    ISO 11649 `RF` creditor reference whose mod-97 check digits hold, a
//!    Swiss QR reference (27 digits, mod-10 recursive check), or an invoice
//!    number the bank carried in a structured field;
//! 2. an *exact* invoice number in the free text (separators and case aside);
//! 3. a *canonical* match: equal after reading OCR-confusable letters as the
//!    digits they resemble (O/0, I/1, S/5, B/8, Z/2) and dropping leading
//!    zeros of numeric groups (`INV-2026-123` for `INV-2026-000123`);
//! 4. a *near* match: one edit (insert, delete, substitute, swap two
//!    neighbours) away from an invoice's canonical key. Only a candidate:
//!    passes must confirm it by amount.
//!
//! Near matches come from a deletion-neighbourhood index (every key and each
//! of its one-character deletions, sorted), so a lookup costs a few binary
//! searches per text window and never scans the invoices.

pub(crate) mod text;

use crate::index::ReferenceIndex;
use crate::model::{Batch, ItemIdx, TxnIdx, TxnView};
use crate::normalize::{key_equals_tokens, tokens, KeyHasher};
use rayon::prelude::*;
use text::TokenClass;

/// Remittance tokens looked at per text: bounds hostile input and keeps the
/// scratch small (remittance fields are 140 characters in SEPA).
const TEXT_TOKENS_MAX: usize = 64;
/// Canonical keys longer than this are not indexed for near matches (no ERP
/// we know issues invoice numbers this long; bounds the index size).
const NEAR_KEY_LEN_MAX: usize = 32;
/// A text window matching more near candidates than this says nothing
/// (dense invoice numbering gives ~20 neighbours per number; the amount
/// picks among them).
const NEAR_CANDIDATES_MAX: usize = 48;
/// Invoice-number prefixes remembered to spot reference-like text that names
/// no open item (a paid or unknown invoice).
const PREFIXES_MAX: usize = 64;
/// Digits a reference-like string needs, so that "INV" alone is no reference.
const REFERENCE_DIGITS_MIN: usize = 4;
/// Digits a bare list entry needs to count as a sequence number.
const TAIL_DIGITS_MIN: usize = 3;
/// Invoices sharing a prefix and sequence number (one per year, say) that
/// a bare list entry may name; more is no information.
const TAIL_CANDIDATES_MAX: usize = 8;
/// Shortest purchase-order number looked up: shorter ones collide with
/// amounts and dates.
const PO_CHARS_MIN: usize = 6;
/// Digits a prefix-less number needs to be looked up as an invoice number
/// (`2026/000123`); shorter runs are amounts, dates or customer numbers.
const DIGITS_WINDOW_MIN: usize = 8;
/// Significant digits (leading zeros aside) a number written alone needs to
/// be looked up as a reference (issue 9, pattern 7): shorter numbers read as
/// amounts, days, years or counters (`7.9.2021` once named invoice `79`).
/// A word that announces an invoice (`Rechnung 747`, `invoice 31`) lifts it.
const SHORT_NUMERIC_DIGITS_MIN: usize = 5;
/// Alphanumerics a canonical (leading zeros dropped) key needs: a 27-digit
/// ESR reference `000…003` has the key `3`, which a lone digit of any text
/// would otherwise match.
const CANONICAL_CHARS_MIN: usize = 4;
/// Significant digits a short form needs (`INV 747`, `2026/12` need fewer:
/// the prefix or year says what the number is).
const SHORT_FORM_DIGITS_MIN: usize = 3;
/// Open items one short form may stand for; more says nothing (a core like
/// `12` in every year and series).
const SHORT_CANDIDATES_MAX: usize = 16;
/// Items with one numeric core looked at before the prefix or year filter.
const SHORT_POOL_MAX: usize = 256;
/// ISO 11649: `RF` + 2 check digits + 1..=21 characters.
const RF_LEN_MIN: usize = 5;
const RF_LEN_MAX: usize = 25;
/// Swiss QR reference (QRR): 26 digits + 1 check digit.
const QRR_LEN: usize = 27;

/// How a reference was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefKind {
    /// From `BankTransaction::structured_refs`, check digits valid.
    Structured,
    /// An invoice number in the free text, separators and case aside.
    Exact,
    /// A short form (prefix, year or leading zeros dropped: `19846` for
    /// `INV-2026-019846`) that is the only one among the open items of the
    /// payer identified by other evidence (account, name, customer number):
    /// as strong as a quoted number (issue 9, pattern 1).
    ShortOfPayer,
    /// Equal after leading-zero, OCR-letter or shorthand-list repair.
    Canonical,
    /// A short form of an invoice number (`19846`, `INV 19846`, `Rg. 4711`,
    /// `2026/123`): only a candidate, which the amount or the identified
    /// payer must confirm.
    Short,
    /// One edit from an invoice number.
    Near,
    /// One edit from a number that named an invoice exactly: the payer may
    /// have mistyped one real number into another. Only ever *replaces* the
    /// exact hit, never adds to it.
    Alternative,
    /// A short number nobody announced (`279`, `2647 abzgl. Skonto`): read
    /// alone it may be an amount, a count or anything (issue 9, pattern 7),
    /// so it names nothing by itself, and the amount cannot confirm it. It
    /// counts only when it is the one item with that core among the open
    /// items of the payer that other evidence identified
    /// ([`RefKind::ShortOfPayer`]).
    ShortLoose,
}

impl RefKind {
    /// Short words for explanations.
    pub fn describe(self) -> &'static str {
        match self {
            RefKind::Structured => "structured reference",
            RefKind::Exact => "invoice number",
            RefKind::ShortOfPayer => "short form of an invoice number of the identified payer",
            RefKind::Canonical => "repaired invoice number",
            RefKind::Short => "short form of an invoice number",
            RefKind::Near => "invoice number one edit away",
            RefKind::Alternative => "invoice number one edit from a quoted one",
            RefKind::ShortLoose => "short number matching an invoice's digits",
        }
    }
}

/// Open items a transaction names, in order of appearance, each once (the
/// strongest kind wins). The owned form, filled while one transaction is
/// read and then appended to a [`RefsStore`] (which keeps no per-transaction
/// allocation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TxnRefs {
    /// Each named item with the strongest way it was named.
    pub found: Vec<(ItemIdx, RefKind)>,
    /// Reference-like strings that name no open item (paid, cancelled or
    /// mistyped beyond repair). Blocks amount-only guessing.
    pub unresolved: Vec<String>,
    /// Problems worth telling a person (e.g. an `RF` reference whose check
    /// digits fail).
    pub problems: Vec<String>,
    /// Open items whose purchase-order number the remittance quotes: not an
    /// invoice reference (a PO can span invoices), but it names the customer
    /// and can decide between invoices of equal amount.
    pub po_items: Vec<ItemIdx>,
}

impl TxnRefs {
    fn add(&mut self, item: ItemIdx, kind: RefKind) {
        match self.found.iter_mut().find(|(i, _)| *i == item) {
            Some(entry) => entry.1 = entry.1.min(kind),
            None => self.found.push((item, kind)),
        }
    }

    fn clear(&mut self) {
        self.found.clear();
        self.unresolved.clear();
        self.problems.clear();
        self.po_items.clear();
    }
}

/// What one transaction quotes, borrowed from a [`RefsStore`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RefsView<'a> {
    /// Each named item with the strongest way it was named.
    pub found: &'a [(ItemIdx, RefKind)],
    /// Reference-like strings that name no open item.
    pub unresolved: &'a [Box<str>],
    /// Problems worth telling a person.
    pub problems: &'a [Box<str>],
    /// Open items whose purchase-order number the remittance quotes.
    pub po_items: &'a [ItemIdx],
}

impl<'a> RefsView<'a> {
    /// Items named by a structured, exact or canonical reference: what
    /// counts as "the payer told us the invoice" by the text alone.
    /// Identification reads this, so a short form resolved *through* the
    /// identified payer ([`RefKind::ShortOfPayer`]) is not in it (nor does
    /// it make a payment part of a same-day referenced batch); it is in
    /// [`RefsView::strict`].
    pub fn resolved(&self) -> impl Iterator<Item = ItemIdx> + 'a {
        self.found
            .iter()
            .filter(|(_, k)| {
                !matches!(
                    k,
                    RefKind::Near
                        | RefKind::Alternative
                        | RefKind::Short
                        | RefKind::ShortLoose
                        | RefKind::ShortOfPayer
                )
            })
            .map(|&(i, _)| i)
    }

    /// Items named by a structured or exact reference, or a short form of
    /// the identified payer: strong enough to explain a difference in amount.
    pub fn strict(&self) -> impl Iterator<Item = ItemIdx> + 'a {
        self.found
            .iter()
            .filter(|(_, k)| {
                matches!(
                    k,
                    RefKind::Structured | RefKind::Exact | RefKind::ShortOfPayer
                )
            })
            .map(|&(i, _)| i)
    }

    /// True when the payer quoted anything that looks like a reference.
    /// Unconfirmed short forms do not count: a bare number may be anything.
    pub fn has_any(&self) -> bool {
        self.found.iter().any(|(_, k)| {
            !matches!(
                k,
                RefKind::Near | RefKind::Alternative | RefKind::Short | RefKind::ShortLoose
            )
        }) || !self.unresolved.is_empty()
    }

    /// The kind an item was found by, if it was.
    pub fn kind_of(&self, item: ItemIdx) -> Option<RefKind> {
        self.found.iter().find(|(i, _)| *i == item).map(|&(_, k)| k)
    }
}

/// The references of every transaction, in transaction order, as flat
/// arrays with per-transaction offsets (CSR layout): a million transactions
/// cost four offset arrays instead of four `Vec`s each.
#[derive(Debug, Clone, PartialEq)]
pub struct RefsStore {
    found_at: Vec<u32>,
    found: Vec<(ItemIdx, RefKind)>,
    unresolved_at: Vec<u32>,
    unresolved: Vec<Box<str>>,
    problems_at: Vec<u32>,
    problems: Vec<Box<str>>,
    po_at: Vec<u32>,
    po_items: Vec<ItemIdx>,
}

impl Default for RefsStore {
    fn default() -> Self {
        RefsStore {
            found_at: vec![0],
            found: Vec::new(),
            unresolved_at: vec![0],
            unresolved: Vec::new(),
            problems_at: vec![0],
            problems: Vec::new(),
            po_at: vec![0],
            po_items: Vec::new(),
        }
    }
}

fn end_of(len: usize) -> u32 {
    u32::try_from(len).expect("fewer than 2^32 references")
}

impl RefsStore {
    /// An empty store for `n` transactions (nothing quoted).
    pub fn empty(n: usize) -> Self {
        RefsStore {
            found_at: vec![0; n + 1],
            unresolved_at: vec![0; n + 1],
            problems_at: vec![0; n + 1],
            po_at: vec![0; n + 1],
            ..RefsStore::default()
        }
    }

    /// Transactions.
    pub fn len(&self) -> usize {
        self.found_at.len() - 1
    }

    /// True when the store has no transaction.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What transaction `t` quotes.
    #[inline]
    pub fn get(&self, t: usize) -> RefsView<'_> {
        let range = |at: &[u32]| at[t] as usize..at[t + 1] as usize;
        RefsView {
            found: &self.found[range(&self.found_at)],
            unresolved: &self.unresolved[range(&self.unresolved_at)],
            problems: &self.problems[range(&self.problems_at)],
            po_items: &self.po_items[range(&self.po_at)],
        }
    }

    /// Appends one transaction's references, taking its strings.
    pub fn push(&mut self, refs: &mut TxnRefs) {
        self.found.extend_from_slice(&refs.found);
        self.found_at.push(end_of(self.found.len()));
        self.unresolved
            .extend(refs.unresolved.drain(..).map(String::into_boxed_str));
        self.unresolved_at.push(end_of(self.unresolved.len()));
        self.problems
            .extend(refs.problems.drain(..).map(String::into_boxed_str));
        self.problems_at.push(end_of(self.problems.len()));
        self.po_items.extend_from_slice(&refs.po_items);
        self.po_at.push(end_of(self.po_items.len()));
        refs.clear();
    }

    /// Drops every quoted item `keep(t, item)` refuses (another company's
    /// invoice, see [`crate::company`]) from what transaction `t` quotes,
    /// found and PO items alike, and returns the dropped `(t, item, kind)`.
    /// A dropped reference the payer stated (not a near miss or an
    /// unconfirmed short form) stays as an unresolved reference (the
    /// invoice id), so the transaction still counts as quoting one and is
    /// never matched by amount alone to a different invoice.
    pub fn retain_items(
        &mut self,
        keep: impl Fn(usize, ItemIdx) -> bool,
        invoice_id: impl Fn(ItemIdx) -> String,
    ) -> Vec<(TxnIdx, ItemIdx, RefKind)> {
        let n = self.len();
        let any = (0..n).any(|t| {
            let f = self.found_at[t] as usize..self.found_at[t + 1] as usize;
            let p = self.po_at[t] as usize..self.po_at[t + 1] as usize;
            self.found[f].iter().any(|&(i, _)| !keep(t, i))
                || self.po_items[p].iter().any(|&i| !keep(t, i))
        });
        if !any {
            return Vec::new();
        }
        let old = std::mem::take(self);
        let mut dropped = Vec::new();
        for t in 0..n {
            let f = old.found_at[t] as usize..old.found_at[t + 1] as usize;
            let mut unresolved: Vec<Box<str>> = old.unresolved
                [old.unresolved_at[t] as usize..old.unresolved_at[t + 1] as usize]
                .to_vec();
            for &(i, k) in &old.found[f] {
                if keep(t, i) {
                    self.found.push((i, k));
                } else {
                    dropped.push((t as TxnIdx, i, k));
                    if !matches!(
                        k,
                        RefKind::Near | RefKind::Alternative | RefKind::Short | RefKind::ShortLoose
                    ) {
                        unresolved.push(invoice_id(i).into_boxed_str());
                    }
                }
            }
            self.found_at.push(end_of(self.found.len()));
            self.unresolved.extend(unresolved);
            self.unresolved_at.push(end_of(self.unresolved.len()));
            self.problems.extend_from_slice(
                &old.problems[old.problems_at[t] as usize..old.problems_at[t + 1] as usize],
            );
            self.problems_at.push(end_of(self.problems.len()));
            for &i in &old.po_items[old.po_at[t] as usize..old.po_at[t + 1] as usize] {
                if keep(t, i) {
                    self.po_items.push(i);
                }
            }
            self.po_at.push(end_of(self.po_items.len()));
        }
        dropped
    }

    /// Promotes short forms to [`RefKind::ShortOfPayer`] once the payers are
    /// known: a short-form candidate of transaction `t` that belongs to the
    /// payer identified for `t` (`payer(t)`, by evidence other than the
    /// short forms themselves), is in the payment's currency and is the only
    /// such candidate with its numeric core. `pays_for(payer, item)` says
    /// whether the payer may pay that item (its own, or a subsidiary's when
    /// the payer is the parent). Resolving against the payer's own open items is what makes
    /// `19846` as good as `INV-2026-019846` (issue 9, pattern 1); it never
    /// looks beyond the candidates the short-form index gave.
    pub fn promote_payer_short_forms(
        &mut self,
        batch: &Batch,
        payer: impl Fn(usize) -> Option<u32>,
        pays_for: impl Fn(u32, ItemIdx) -> bool,
    ) {
        for t in 0..self.len() {
            let range = self.found_at[t] as usize..self.found_at[t + 1] as usize;
            let short = |k: RefKind| matches!(k, RefKind::Short | RefKind::ShortLoose);
            if !self.found[range.clone()].iter().any(|&(_, k)| short(k)) {
                continue;
            }
            let Some(party) = payer(t) else { continue };
            let currency = batch.transactions.get(t).currency();
            let mine: Vec<ItemIdx> = self.found[range.clone()]
                .iter()
                .filter(|&&(i, k)| {
                    short(k)
                        && pays_for(party, i)
                        && batch.open_items.get(i as usize).currency() == currency
                })
                .map(|&(i, _)| i)
                .collect();
            let core = |i: ItemIdx| numeric_core(batch.open_items.get(i as usize).invoice_id());
            for &i in &mine {
                if mine.iter().filter(|&&j| core(j) == core(i)).count() == 1 {
                    if let Some(e) = self.found[range.clone()].iter_mut().find(|e| e.0 == i) {
                        e.1 = RefKind::ShortOfPayer;
                    }
                }
            }
        }
    }

    /// Appends every transaction of `other`, after this store's.
    fn append(&mut self, other: RefsStore) {
        fn shift(at: &mut Vec<u32>, other: &[u32]) {
            let base = *at.last().unwrap_or(&0);
            at.extend(other[1..].iter().map(|&e| base + e));
        }
        shift(&mut self.found_at, &other.found_at);
        self.found.extend(other.found);
        shift(&mut self.unresolved_at, &other.unresolved_at);
        self.unresolved.extend(other.unresolved);
        shift(&mut self.problems_at, &other.problems_at);
        self.problems.extend(other.problems);
        shift(&mut self.po_at, &other.po_at);
        self.po_items.extend(other.po_items);
    }
}

/// OCR reads these letters where digits were printed; mapping them to the
/// digit makes `INV-2O26-OOO123` and `INV-2026-000123` share a key.
#[inline]
fn fold_confusable(b: u8) -> u8 {
    match b {
        b'O' => b'0',
        b'I' => b'1',
        b'S' => b'5',
        b'B' => b'8',
        b'Z' => b'2',
        _ => b,
    }
}

/// Separates groups in canonical keys, so that `INV 20266` (a typo) and
/// `INV-2026-6` do not share a key.
const GROUP_SEPARATOR: u8 = b'-';

/// Canonical key of a token sequence: upper-case alphanumerics, confusable
/// letters read as digits, groups split at separators and at letter/digit
/// boundaries, numeric groups without leading zeros.
pub fn canonical_key(toks: &[&str], out: &mut Vec<u8>) {
    out.clear();
    for t in toks {
        // Class of the current group (Some(true) = digits) and whether it
        // has written anything yet / swallowed a leading zero.
        let mut class: Option<bool> = None;
        let mut written = false;
        let mut zero_dropped = false;
        for b in t.bytes() {
            let b = if b.is_ascii_alphanumeric() {
                fold_confusable(b.to_ascii_uppercase())
            } else if b >= 0x80 {
                b
            } else {
                continue;
            };
            let digit = b.is_ascii_digit();
            if class != Some(digit) {
                close_group(class, written, zero_dropped, out);
                if !out.is_empty() && out.last() != Some(&GROUP_SEPARATOR) {
                    out.push(GROUP_SEPARATOR);
                }
                class = Some(digit);
                written = false;
                zero_dropped = false;
            }
            if digit && b == b'0' && !written {
                zero_dropped = true;
                continue;
            }
            out.push(b);
            written = true;
        }
        close_group(class, written, zero_dropped, out);
    }
}

/// A numeric group that was all zeros keeps one zero.
fn close_group(class: Option<bool>, written: bool, zero_dropped: bool, out: &mut Vec<u8>) {
    if class == Some(true) && !written && zero_dropped {
        out.push(b'0');
    }
}

/// Full key: upper-case alphanumerics with confusables folded, zeros and
/// no separators kept. `INV2O26000123` matches `INV-2026-000123` this way,
/// and one-edit repair works on it (a typo is an edit of the full key).
pub fn full_key(toks: &[&str], out: &mut Vec<u8>) {
    out.clear();
    push_full_key(toks.iter().copied(), out);
}

fn push_full_key<'a>(toks: impl Iterator<Item = &'a str>, out: &mut Vec<u8>) {
    for t in toks {
        for b in t.bytes() {
            if b.is_ascii_alphanumeric() {
                out.push(fold_confusable(b.to_ascii_uppercase()));
            } else if b >= 0x80 {
                out.push(b);
            }
        }
    }
}

/// Digits only, leading zeros dropped: how numeric structured references
/// (RF payloads, QRR) spell an invoice number.
fn digits_key(text: &str, out: &mut Vec<u8>) {
    out.clear();
    for b in text.bytes().filter(u8::is_ascii_digit) {
        if b == b'0' && out.is_empty() {
            continue;
        }
        out.push(b);
    }
}

/// The numeric core of an invoice id: its last run of digits without
/// leading zeros (`19846` of `INV-2026-019846`, `30146` of `SI0030146`,
/// `12` of `26/0012`); empty when the id has no digits (or only zeros).
pub fn numeric_core(id: &str) -> &str {
    let end = match id.bytes().rposition(|b| b.is_ascii_digit()) {
        Some(e) => e + 1,
        None => return "",
    };
    let start = id[..end]
        .bytes()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |p| p + 1);
    id[start..end].trim_start_matches('0')
}

/// Hash of (leading letters of `id_or_stem`, `digits` without leading
/// zeros); `None` when either part is empty.
fn tail_hash(id_or_stem: &str, digits: &str) -> Option<u64> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    let letters: Vec<u8> = id_or_stem
        .bytes()
        .take_while(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_uppercase())
        .collect();
    if letters.is_empty() || digits.is_empty() {
        return None;
    }
    let mut h = KeyHasher::new();
    letters.iter().for_each(|&b| h.push(b));
    h.push(b'|');
    digits.bytes().for_each(|b| h.push(b));
    Some(h.finish())
}

fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = KeyHasher::new();
    for &b in bytes {
        h.push(b);
    }
    h.finish()
}

/// True when `a` and `b` differ by at most one insertion, deletion,
/// substitution or swap of neighbours (optimal string alignment ≤ 1).
pub fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if prefix == short.len() {
        return true;
    }
    if short.len() == long.len() {
        let (s, l) = (&short[prefix..], &long[prefix..]);
        // Substitution, or a swap of two neighbours.
        same_bytes(&s[1..], &l[1..])
            || (s.len() >= 2 && s[0] == l[1] && s[1] == l[0] && same_bytes(&s[2..], &l[2..]))
    } else {
        same_bytes(&short[prefix..], &long[prefix + 1..])
    }
}

/// Slice equality for keys of a few bytes, compared in line: a `memcmp`
/// call per candidate cost more than the comparison (PERF: near-match
/// checks, index stage).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Deletion entries carry the run of equal characters a deletion removes
/// from (first and last position, 6 bits each); the key itself has none.
const POSITION_NONE: u32 = 0x3F;
const POSITION_BITS: u32 = 6;
/// Low bits of a deletion tag that hold the run; the rest is fingerprint.
const RUN_BITS: u32 = 2 * POSITION_BITS;

/// The run field of a deletion tag: first and last position of the run of
/// equal characters a deletion removes one of.
#[inline]
fn run_meta(first: usize, last: usize) -> u32 {
    ((first as u32) << POSITION_BITS) | last as u32
}

/// The key itself, no deletion.
const RUN_NONE: u32 = (POSITION_NONE << POSITION_BITS) | POSITION_NONE;

/// Pushes `(hash, run)` of `key` itself and of each of its one-character
/// deletions (one per run of equal characters: deleting any of them gives
/// the same string).
/// PERF: hashes continue from the FNV state of the prefix, so no deleted
/// copy of the key is built (`benches/stages.rs`, `reference_index`).
fn deletion_entries(key: &[u8], out: &mut Vec<(u64, u32)>) {
    out.clear();
    let mut prefix = KeyHasher::new();
    let mut i = 0;
    while i < key.len() {
        let mut last = i;
        while last + 1 < key.len() && key[last + 1] == key[i] {
            last += 1;
        }
        let mut h = prefix;
        for &b in &key[i + 1..] {
            h.push(b);
        }
        out.push((h.finish(), run_meta(i, last)));
        for &b in &key[i..=last] {
            prefix.push(b);
        }
        i = last + 1;
    }
    out.push((prefix.finish(), RUN_NONE));
}

/// Whether two deletions that produced the same string can come from keys
/// one edit apart: a substitution deletes at the same position, a swap of
/// neighbours at adjacent positions, an insertion or deletion is the key
/// itself on one side. Deletions further apart also meet for keys one edit
/// apart, but then those keys meet again at a compatible pair, so skipping
/// the pair loses nothing.
/// PERF: skips most candidate checks of dense invoice numbering
/// (`benches/stages.rs`, `reference_index`).
#[inline]
fn runs_compatible(a: u32, b: u32) -> bool {
    if a == RUN_NONE || b == RUN_NONE {
        return true;
    }
    let mask = (1 << POSITION_BITS) - 1;
    let (a_first, a_last) = (a >> POSITION_BITS, a & mask);
    let (b_first, b_last) = (b >> POSITION_BITS, b & mask);
    a_first <= b_last + 1 && b_first <= a_last + 1
}

/// Entries of a sorted `(hash, item)` table under `hash`.
fn postings(table: &[(u64, ItemIdx)], hash: u64) -> &[(u64, ItemIdx)] {
    let start = table.partition_point(|&(h, _)| h < hash);
    let end = start + table[start..].partition_point(|&(h, _)| h == hash);
    &table[start..end]
}

/// A hash table as one array: entries grouped by the top bits of their
/// 64-bit hash (a radix directory of bucket starts), each entry a 32-bit tag
/// and an item. Built by one counting pass and one scatter, no sort; a
/// lookup is one directory read and a scan of about one entry, where a
/// binary search over the same entries took ~24 dependent cache misses.
/// Callers check tags and verify keys, so tag collisions cost time only.
/// PERF: `benches/stages.rs` (`reference_index`).
#[derive(Debug, Default)]
struct BucketTable {
    /// 64 minus the directory bits.
    shift: u32,
    /// Start of each bucket in `entries`, plus the end.
    starts: Vec<u32>,
    /// `(tag, item)` grouped by bucket.
    entries: Vec<(u32, ItemIdx)>,
}

/// `(hash, tag, item)` rows a [`BucketTable`] is built from.
type TableRow = (u64, u32, ItemIdx);

impl BucketTable {
    /// Takes the rows by value: each part is freed as soon as it is
    /// scattered, so the rows and the finished table are not all resident at
    /// once (the deletion rows are ~16 bytes × 12 per invoice).
    fn build(parts: Vec<Vec<TableRow>>) -> Self {
        let len: usize = parts.iter().map(Vec::len).sum();
        let len_u32 = u32::try_from(len).expect("reference table has fewer than 2^32 entries");
        // About one entry per bucket: the directory stays a fraction of the entries.
        let bits = (usize::BITS - len.leading_zeros())
            .saturating_sub(1)
            .clamp(1, 31);
        let shift = 64 - bits;
        let buckets = 1usize << bits;
        let mut starts = vec![0u32; buckets + 1];
        for &(h, _, _) in parts.iter().flatten() {
            starts[(h >> shift) as usize + 1] += 1;
        }
        for b in 0..buckets {
            starts[b + 1] += starts[b];
        }
        assert_eq!(starts[buckets], len_u32);
        let mut cursor = starts.clone();
        let mut entries = vec![(0u32, 0 as ItemIdx); len];
        for part in parts {
            for &(h, tag, item) in &part {
                let slot = &mut cursor[(h >> shift) as usize];
                entries[*slot as usize] = (tag, item);
                *slot += 1;
            }
        }
        BucketTable {
            shift,
            starts,
            entries,
        }
    }

    /// Entries whose hash falls in the bucket of `hash`.
    #[inline]
    fn bucket(&self, hash: u64) -> &[(u32, ItemIdx)] {
        if self.starts.is_empty() {
            return &[];
        }
        let b = (hash >> self.shift) as usize;
        &self.entries[self.starts[b] as usize..self.starts[b + 1] as usize]
    }
}

/// Keys of every open item back to back in one buffer, with offsets.
/// PERF: candidates are verified by comparing slices instead of
/// re-tokenising invoice ids (`benches/stages.rs`, `reference_index`).
#[derive(Debug, Default)]
struct KeyArena {
    bytes: Vec<u8>,
    /// `offsets[i]..offsets[i + 1]` is item `i`'s key.
    offsets: Vec<u32>,
}

impl KeyArena {
    fn with_capacity(bytes: usize, keys: usize) -> Self {
        KeyArena {
            bytes: Vec::with_capacity(bytes),
            offsets: Vec::with_capacity(keys + 1),
        }
    }

    #[inline]
    fn get(&self, item: ItemIdx) -> &[u8] {
        let i = item as usize;
        &self.bytes[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    fn push(&mut self, key: &[u8]) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.bytes.extend_from_slice(key);
        let end = u32::try_from(self.bytes.len()).expect("invoice keys fit in 4 GiB");
        self.offsets.push(end);
    }

    fn append(&mut self, other: &KeyArena) {
        for w in other.offsets.windows(2) {
            self.push(&other.bytes[w[0] as usize..w[1] as usize]);
        }
    }
}

/// The keys of a run of open items, built by one worker.
#[derive(Debug, Default)]
struct ChunkKeys {
    full: KeyArena,
    canonical_keys: KeyArena,
    canonical: Vec<TableRow>,
    deletions: Vec<TableRow>,
    digits: Vec<(u64, ItemIdx)>,
    long_ids: Vec<ItemIdx>,
    near_lengths: u64,
}

/// Open items per worker chunk while building the repair index.
const BUILD_CHUNK_ITEMS: usize = 16 * 1024;

/// Secondary reference indexes over canonical keys, built once per run.
#[derive(Debug, Default)]
pub struct RepairIndex {
    /// Canonical and full keys of each invoice id, by hash (tag: low 32 bits).
    canonical: BucketTable,
    /// Deletion neighbourhood of each full key, by hash (tag: fingerprint
    /// bits of the hash and the deleted run, see [`runs_compatible`]).
    deletions: BucketTable,
    /// Full key of each invoice id (all tokens).
    full: KeyArena,
    /// Canonical key of each invoice id (first `TEXT_TOKENS_MAX` tokens).
    canonical_keys: KeyArena,
    /// Items whose id has more than `TEXT_TOKENS_MAX` tokens: their full key
    /// for canonical comparison is recomputed (sorted).
    long_ids: Vec<ItemIdx>,
    /// Bit `n` set when some near-indexed full key has `n` bytes.
    near_lengths: u64,
    /// Digits-only keys, for numeric structured references.
    digits: Vec<(u64, ItemIdx)>,
    /// Purchase-order numbers (reference keys) by hash (tag: low 32 bits),
    /// items in item order within a bucket. PERF: looked up for every
    /// remittance token of six characters or more (index stage).
    po: BucketTable,
    /// Leading letters + last numeric group (`INV` + `827`), for shorthand
    /// lists that repeat only the sequence number.
    tails: Vec<(u64, ItemIdx)>,
    /// Leading letter groups of invoice ids (`INV`, `RE`), upper-case.
    prefixes: Vec<String>,
    /// Numeric core of each invoice id ([`numeric_core`]) by hash, sorted:
    /// short forms are looked up here, never by a scan of the invoices.
    cores: Vec<(u64, ItemIdx)>,
    /// Shortest canonical key indexed for near matches.
    near_key_len_min: usize,
}

impl RepairIndex {
    /// Indexes every open item's invoice id. `near_key_len_min` keeps short
    /// keys (where one edit reaches many others) out of near matching.
    pub fn build(batch: &Batch, near_key_len_min: usize) -> Self {
        let n = batch.open_items.len();
        let chunks: Vec<ChunkKeys> = (0..n.div_ceil(BUILD_CHUNK_ITEMS))
            .into_par_iter()
            .map(|c| {
                let first = c * BUILD_CHUNK_ITEMS;
                let end = (first + BUILD_CHUNK_ITEMS).min(n);
                chunk_keys(&batch.open_items, first..end, near_key_len_min)
            })
            .collect();
        // Sized exactly: the arenas live for the whole matching phase, and
        // growth by doubling would leave up to half of them unused.
        let mut full = KeyArena::with_capacity(
            chunks.iter().map(|c| c.full.bytes.len()).sum(),
            batch.open_items.len(),
        );
        let mut canonical_keys = KeyArena::with_capacity(
            chunks.iter().map(|c| c.canonical_keys.bytes.len()).sum(),
            batch.open_items.len(),
        );
        let mut long_ids = Vec::new();
        let mut near_lengths = 0;
        let mut digits = Vec::with_capacity(batch.open_items.len());
        let mut canonical_rows = Vec::with_capacity(chunks.len());
        let mut deletion_rows = Vec::with_capacity(chunks.len());
        // Each chunk's own arenas are freed once copied, not kept beside the
        // final ones until the tables are built.
        for c in chunks {
            full.append(&c.full);
            canonical_keys.append(&c.canonical_keys);
            long_ids.extend_from_slice(&c.long_ids);
            near_lengths |= c.near_lengths;
            digits.extend_from_slice(&c.digits);
            canonical_rows.push(c.canonical);
            deletion_rows.push(c.deletions);
        }
        let (canonical, deletions) = rayon::join(
            || BucketTable::build(canonical_rows),
            || BucketTable::build(deletion_rows),
        );
        digits.par_sort_unstable();
        let po_rows: Vec<TableRow> = (0..n)
            .into_par_iter()
            .map(|i| (i, batch.open_items.get(i)))
            .filter_map(|(i, item)| {
                let key = crate::normalize::reference_key(item.po_number()?);
                (key.len() >= PO_CHARS_MIN).then(|| {
                    let hash = crate::normalize::reference_hash(&key);
                    (hash, hash as u32, i as ItemIdx)
                })
            })
            .collect();
        let po = BucketTable::build(vec![po_rows]);
        let mut tails: Vec<(u64, ItemIdx)> = (0..n)
            .into_par_iter()
            .map(|i| (i, batch.open_items.get(i)))
            .filter_map(|(i, item)| {
                let last = tokens(item.invoice_id()).last()?;
                let digits = last.trim_start_matches(|c: char| !c.is_ascii_digit());
                tail_hash(item.invoice_id(), digits).map(|h| (h, i as ItemIdx))
            })
            .collect();
        tails.par_sort_unstable();
        let mut prefixes: Vec<String> = batch
            .open_items
            .iter()
            .map(|i| letters_prefix(i.invoice_id()))
            .filter(|p| !p.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        prefixes.truncate(PREFIXES_MAX);
        let mut cores: Vec<(u64, ItemIdx)> = (0..n)
            .into_par_iter()
            .filter_map(|i| {
                let core = numeric_core(batch.open_items.get(i).invoice_id());
                (!core.is_empty()).then(|| (hash_bytes(core.as_bytes()), i as ItemIdx))
            })
            .collect();
        cores.par_sort_unstable();
        RepairIndex {
            canonical,
            deletions,
            full,
            canonical_keys,
            long_ids,
            near_lengths,
            digits,
            po,
            tails,
            prefixes,
            cores,
            near_key_len_min,
        }
    }

    /// Items a short form names: `toks` is `[digits]`, `[letters, digits]`
    /// (`INV 19846`: the id's leading letters must agree) or `[year,
    /// digits]` (`2026/123`, `26/12`: the id must hold that year). Compared
    /// by numeric core through the core index; none when more than
    /// [`SHORT_CANDIDATES_MAX`] fit.
    fn short_items(&self, batch: &Batch, toks: &[&str], out: &mut Vec<ItemIdx>) {
        out.clear();
        let (qualifier, digits) = match toks {
            [d] => (None, *d),
            [q, d] => (Some(*q), *d),
            _ => return,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return;
        }
        let core = digits.trim_start_matches('0');
        if core.is_empty() {
            return;
        }
        let pool = postings(&self.cores, hash_bytes(core.as_bytes()));
        if pool.len() > SHORT_POOL_MAX {
            return;
        }
        for &(_, i) in pool {
            let id = batch.open_items.get(i as usize).invoice_id();
            if numeric_core(id) != core {
                continue;
            }
            let fits = match qualifier {
                None => true,
                Some(q) if q.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    letters_prefix(id).eq_ignore_ascii_case(q)
                }
                Some(year) if year.bytes().all(|b| b.is_ascii_digit()) => holds_year(id, year),
                Some(_) => false,
            };
            if fits && !out.contains(&i) {
                out.push(i);
                if out.len() > SHORT_CANDIDATES_MAX {
                    out.clear();
                    return;
                }
            }
        }
        out.sort_unstable();
    }

    /// Items whose canonical or full key equals the canonical or full key
    /// of `toks`, verified byte for byte (hashes can collide).
    fn canonical_items(
        &self,
        batch: &Batch,
        toks: &[&str],
        scratch: &mut Scratch,
        out: &mut Vec<ItemIdx>,
    ) {
        out.clear();
        canonical_key(toks, &mut scratch.a);
        full_key(toks, &mut scratch.b);
        if scratch
            .a
            .iter()
            .filter(|b| b.is_ascii_alphanumeric())
            .count()
            < CANONICAL_CHARS_MIN
        {
            return;
        }
        for probe in [&scratch.a, &scratch.b] {
            let hash = hash_bytes(probe);
            for &(tag, item) in self.canonical.bucket(hash) {
                if tag != hash as u32 || out.contains(&item) {
                    continue;
                }
                let equal = if self.long_ids.binary_search(&item).is_ok() {
                    // Compared on the first TEXT_TOKENS_MAX tokens, as the
                    // remittance side is.
                    let id_toks: Vec<&str> =
                        tokens(batch.open_items.get(item as usize).invoice_id())
                            .take(TEXT_TOKENS_MAX)
                            .collect();
                    full_key(&id_toks, &mut scratch.c);
                    self.canonical_keys.get(item) == probe.as_slice() || scratch.c == *probe
                } else {
                    self.canonical_keys.get(item) == probe.as_slice()
                        || self.full.get(item) == probe.as_slice()
                };
                if equal {
                    out.push(item);
                }
            }
        }
        // Prefix left out (`2026/000123`): a run of digits long enough to
        // be an invoice number, compared digits to digits. Leading zeros do
        // not count: `BG/000000002` (a bank booking code) is no `INV-00002`.
        let digits: usize = significant_digits_of(toks.iter().flat_map(|t| t.bytes()));
        if out.is_empty()
            && digits >= DIGITS_WINDOW_MIN
            && toks.iter().all(|t| t.bytes().all(|b| b.is_ascii_digit()))
        {
            let joined = toks.concat();
            out.extend(self.digits_items(batch, &joined, scratch));
        }
        out.sort_unstable();
        out.dedup();
    }

    /// Items whose full key is one edit from the full key of `toks`; none
    /// when more than `NEAR_CANDIDATES_MAX` are.
    fn near_items(&self, toks: &[&str], scratch: &mut Scratch, out: &mut Vec<ItemIdx>) {
        out.clear();
        full_key(toks, &mut scratch.a);
        let len = scratch.a.len();
        if len + 1 < self.near_key_len_min || len > NEAR_KEY_LEN_MAX + 1 {
            return;
        }
        // One edit changes the length by at most one: most text windows
        // (dates, amounts, customer numbers) have no indexed key of a
        // length within reach and skip the search. PERF: index stage.
        let reachable = (0b111u64 << len) >> 1;
        if self.near_lengths & reachable == 0 {
            return;
        }
        deletion_entries(&scratch.a, &mut scratch.deletions);
        for &(hash, run) in &scratch.deletions {
            for &(tag, item) in self.deletions.bucket(hash) {
                if (tag ^ hash as u32) >> RUN_BITS != 0
                    || !runs_compatible(run, tag & ((1 << RUN_BITS) - 1))
                    || out.contains(&item)
                {
                    continue;
                }
                if within_one_edit(&scratch.a, self.full.get(item)) {
                    out.push(item);
                    if out.len() > NEAR_CANDIDATES_MAX {
                        out.clear();
                        return;
                    }
                }
            }
        }
        out.sort_unstable();
    }

    fn digits_items(&self, batch: &Batch, payload: &str, scratch: &mut Scratch) -> Vec<ItemIdx> {
        digits_key(payload, &mut scratch.a);
        if scratch.a.is_empty() {
            return Vec::new();
        }
        postings(&self.digits, hash_bytes(&scratch.a))
            .iter()
            .map(|&(_, i)| i)
            .filter(|&i| {
                digits_key(
                    batch.open_items.get(i as usize).invoice_id(),
                    &mut scratch.c,
                );
                scratch.c == scratch.a
            })
            .collect()
    }

    fn is_reference_like(&self, toks: &[&str]) -> bool {
        let Some(first) = toks.first() else {
            return false;
        };
        // Compared upper-cased on the fly: no allocation per window.
        let prefix = letters_prefix(first);
        if prefix.is_empty() {
            return false;
        }
        let digits: usize = toks
            .iter()
            .map(|t| t.bytes().filter(u8::is_ascii_digit).count())
            .sum();
        digits >= REFERENCE_DIGITS_MIN
            && self
                .prefixes
                .binary_search_by(|p| {
                    p.bytes()
                        .cmp(prefix.bytes().map(|b| b.to_ascii_uppercase()))
                })
                .is_ok()
    }
}

/// True when a numeric group of `id` other than its core is the year
/// `year`, written with four digits or two (`26/0012` holds 2026 and 26).
fn holds_year(id: &str, year: &str) -> bool {
    fn short(y: &str) -> &str {
        if y.len() == 4 {
            &y[2..]
        } else {
            y
        }
    }
    if year.len() != 2 && year.len() != 4 {
        return false;
    }
    let groups: Vec<&str> = id
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let Some((_, rest)) = groups.split_last() else {
        return false;
    };
    rest.iter()
        .any(|g| *g == year || ((g.len() == 2 || g.len() == 4) && short(g) == short(year)))
}

/// Leading ASCII letters of `text` (`inv` of `inv-2026-1`), as written.
fn letters_prefix(text: &str) -> &str {
    let n = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    &text[..n]
}

/// Keys, table rows and length mask of the open items in `range`.
fn chunk_keys(
    items: &crate::model::OpenItems,
    range: std::ops::Range<usize>,
    near_key_len_min: usize,
) -> ChunkKeys {
    let first = range.start;
    let mut c = ChunkKeys::default();
    let mut toks: Vec<&str> = Vec::new();
    let mut buf = Vec::new();
    let mut dels = Vec::new();
    for (k, item) in range.clone().map(|i| items.get(i)).enumerate() {
        let idx = (first + k) as ItemIdx;
        toks.clear();
        toks.extend(tokens(item.invoice_id()));
        let shown = &toks[..toks.len().min(TEXT_TOKENS_MAX)];
        if shown.len() < toks.len() {
            c.long_ids.push(idx);
        }
        canonical_key(&toks, &mut buf);
        let canonical_hash = hash_bytes(&buf);
        if shown.len() < toks.len() {
            canonical_key(shown, &mut buf);
        }
        c.canonical_keys.push(&buf);
        full_key(&toks, &mut buf);
        let full_hash = hash_bytes(&buf);
        c.canonical
            .push((canonical_hash, canonical_hash as u32, idx));
        if full_hash != canonical_hash {
            c.canonical.push((full_hash, full_hash as u32, idx));
        }
        c.full.push(&buf);
        if (near_key_len_min..=NEAR_KEY_LEN_MAX).contains(&buf.len()) {
            c.near_lengths |= 1 << buf.len();
            deletion_entries(&buf, &mut dels);
            c.deletions.extend(
                dels.iter()
                    .map(|&(h, run)| (h, (h as u32 >> RUN_BITS << RUN_BITS) | run, idx)),
            );
        }
        digits_key(item.invoice_id(), &mut buf);
        if !buf.is_empty() {
            c.digits.push((hash_bytes(&buf), idx));
        }
    }
    c
}

/// Reusable buffers for key building.
#[derive(Debug, Default)]
struct Scratch {
    a: Vec<u8>,
    b: Vec<u8>,
    c: Vec<u8>,
    deletions: Vec<(u64, u32)>,
    items: Vec<ItemIdx>,
    classes: Vec<TokenClass>,
}

/// What a check-digit validation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked<'a> {
    /// Not a reference of this kind at all.
    NotThisKind,
    /// Check digits hold; the payload (the creditor's own reference).
    Valid(&'a str),
    /// The right shape, but the check digits fail: mistyped or forged.
    BadCheckDigits,
}

/// Validates an ISO 11649 creditor reference (`RF` + check digits +
/// payload, compacted).
pub fn rf_payload(compact: &str) -> Checked<'_> {
    let b = compact.as_bytes();
    if b.len() < RF_LEN_MIN
        || b.len() > RF_LEN_MAX
        || !compact.starts_with("RF")
        || !b[2].is_ascii_digit()
        || !b[3].is_ascii_digit()
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return Checked::NotThisKind;
    }
    // Move the first four characters to the end, read letters as 10..35 and
    // take the number mod 97: a valid reference leaves 1 (ISO 7064 MOD 97-10).
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c.to_ascii_uppercase() - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    if rem == 1 {
        Checked::Valid(&compact[4..])
    } else {
        Checked::BadCheckDigits
    }
}

/// Validates a Swiss QR reference (27 digits, the last a mod-10 recursive
/// check digit) and returns its 26-digit payload.
pub fn qrr_payload(compact: &str) -> Checked<'_> {
    let b = compact.as_bytes();
    if b.len() != QRR_LEN || !b.iter().all(u8::is_ascii_digit) {
        return Checked::NotThisKind;
    }
    // The carry table of the mod-10 recursive algorithm (SIX QR-bill spec).
    const TABLE: [u8; 10] = [0, 9, 4, 6, 8, 2, 7, 1, 3, 5];
    let mut carry = 0u8;
    for &c in &b[..QRR_LEN - 1] {
        carry = TABLE[usize::from((carry + (c - b'0')) % 10)];
    }
    if (10 - carry) % 10 == b[QRR_LEN - 1] - b'0' {
        Checked::Valid(&compact[..QRR_LEN - 1])
    } else {
        Checked::BadCheckDigits
    }
}

/// Transactions per worker chunk while extracting references.
const EXTRACT_CHUNK_TXNS: usize = 4096;

/// Finds the references of every transaction, in transaction order.
pub fn extract_all(
    batch: &Batch,
    exact: &ReferenceIndex,
    repair: &RepairIndex,
    patterns: &[regex::Regex],
    window_max: usize,
) -> RefsStore {
    extract_all_where(batch, exact, repair, patterns, window_max, |_| true)
}

/// As [`extract_all`], for the transactions `wanted` selects only; the
/// others get no references. For a run that reads references only after
/// some transactions closed (a closed transaction's references are never
/// read again), so what is extracted for a wanted transaction is unchanged.
pub fn extract_all_where(
    batch: &Batch,
    exact: &ReferenceIndex,
    repair: &RepairIndex,
    patterns: &[regex::Regex],
    window_max: usize,
    wanted: impl Fn(usize) -> bool + Sync,
) -> RefsStore {
    let n = batch.transactions.len();
    // Chunks in parallel, each into its own store, joined in order: the
    // result does not depend on the thread count.
    let parts: Vec<RefsStore> = (0..n.div_ceil(EXTRACT_CHUNK_TXNS))
        .into_par_iter()
        .map(|c| {
            let mut scratch = Scratch::default();
            let mut refs = TxnRefs::default();
            let mut part = RefsStore::default();
            let first = c * EXTRACT_CHUNK_TXNS;
            for t in first..(first + EXTRACT_CHUNK_TXNS).min(n) {
                let wanted = wanted(t);
                let t = batch.transactions.get(t);
                if wanted && t.amount() > rust_decimal::Decimal::ZERO {
                    extract(
                        batch,
                        exact,
                        repair,
                        patterns,
                        window_max,
                        t,
                        &mut refs,
                        &mut scratch,
                    );
                }
                part.push(&mut refs);
            }
            part
        })
        .collect();
    let mut store = RefsStore::default();
    for part in parts {
        store.append(part);
    }
    store
}

/// As [`extract_all_where`], but only the references the exact pass reads:
/// the invoice numbers the free text spells exactly (kind
/// [`RefKind::Exact`]), with the same token classification (dates, amounts,
/// customer numbers and unannounced short numbers are not references).
/// `None` when that would differ from the full extraction's exact and
/// structured references: a wanted transaction carries structured
/// references, or reference patterns are configured (both can name items
/// as exact or structured by other routes).
///
/// For a wanted transaction the result is the prefix of what
/// [`extract_all_where`] finds that has kind `Exact` (free-text exact hits
/// are the first references the full extraction adds, in the same order).
/// PERF: no repair index, and the token classification (a regex over the
/// text) runs only for texts in which some window names an open item: the
/// exact-only job's exact pass (BENCHMARKS.md, issue 8).
pub fn extract_exact_where(
    batch: &Batch,
    exact: &ReferenceIndex,
    patterns: &[regex::Regex],
    window_max: usize,
    wanted: impl Fn(usize) -> bool + Sync,
) -> Option<RefsStore> {
    let n = batch.transactions.len();
    if !patterns.is_empty()
        || (0..n)
            .into_par_iter()
            .any(|t| wanted(t) && batch.transactions.get(t).structured_refs().next().is_some())
    {
        return None;
    }
    let parts: Vec<RefsStore> = (0..n.div_ceil(EXTRACT_CHUNK_TXNS))
        .into_par_iter()
        .map(|c| {
            let mut scratch = Scratch::default();
            let mut hits: Vec<(u8, u8, ItemIdx)> = Vec::new();
            let mut refs = TxnRefs::default();
            let mut part = RefsStore::default();
            let first = c * EXTRACT_CHUNK_TXNS;
            for t in first..(first + EXTRACT_CHUNK_TXNS).min(n) {
                let wanted = wanted(t);
                let t = batch.transactions.get(t);
                if wanted && t.amount() > rust_decimal::Decimal::ZERO {
                    exact_text(
                        batch,
                        exact,
                        window_max,
                        t.remittance_info(),
                        &mut hits,
                        &mut refs,
                        &mut scratch,
                    );
                }
                part.push(&mut refs);
            }
            part
        })
        .collect();
    let mut store = RefsStore::default();
    for part in parts {
        store.append(part);
    }
    Some(store)
}

/// The exact loop of [`free_text`] alone: every window is looked up first
/// (no classification), and only texts with a hit are classified, keeping
/// the hits [`free_text`] keeps, in its order.
fn exact_text(
    batch: &Batch,
    exact: &ReferenceIndex,
    window_max: usize,
    text: &str,
    hits: &mut Vec<(u8, u8, ItemIdx)>,
    refs: &mut TxnRefs,
    scratch: &mut Scratch,
) {
    let folded = crate::normalize::fold_compat(text);
    let text: &str = &folded;
    let mut toks: [&str; TEXT_TOKENS_MAX] = [""; TEXT_TOKENS_MAX];
    let mut n = 0;
    for t in tokens(text).take(TEXT_TOKENS_MAX) {
        toks[n] = t;
        n += 1;
    }
    let toks = &toks[..n];
    hits.clear();
    for start in 0..n {
        let mut h = KeyHasher::new();
        for end in start..n.min(start + window_max) {
            h.push_token(toks[end]);
            for &item in exact.lookup(h.finish()) {
                let id = batch.open_items.get(item as usize).invoice_id();
                if key_equals_tokens(id, &toks[start..=end]) {
                    // Windows stay below TEXT_TOKENS_MAX (64) tokens.
                    hits.push((start as u8, end as u8, item));
                }
            }
        }
    }
    if hits.is_empty() {
        return;
    }
    let mut classes = std::mem::take(&mut scratch.classes);
    text::classify(text, toks, &mut classes);
    for &(start, end, item) in hits.iter() {
        let (start, end) = (usize::from(start), usize::from(end));
        let allowed = !short_numeric(&toks[start..=end])
            || (start > 0 && classes[start - 1] == TokenClass::InvoiceWord);
        if classes[start..=end].iter().all(|c| c.is_masked()) || !allowed {
            continue;
        }
        refs.add(item, RefKind::Exact);
    }
    scratch.classes = classes;
}

#[allow(clippy::too_many_arguments)]
fn extract(
    batch: &Batch,
    exact: &ReferenceIndex,
    repair: &RepairIndex,
    patterns: &[regex::Regex],
    window_max: usize,
    txn: TxnView<'_>,
    refs: &mut TxnRefs,
    scratch: &mut Scratch,
) {
    for s in txn.structured_refs() {
        structured(batch, exact, repair, s, refs, scratch);
    }
    free_text(
        batch,
        exact,
        repair,
        window_max,
        txn.amount(),
        txn.remittance_info(),
        refs,
        scratch,
    );
    for re in patterns {
        for caps in re
            .captures_iter(txn.remittance_info())
            .take(TEXT_TOKENS_MAX)
        {
            let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
                continue;
            };
            let before = refs.found.len();
            let toks: Vec<&str> = tokens(m.as_str()).take(TEXT_TOKENS_MAX).collect();
            // A pattern match is one reference: look it up whole.
            resolve_window(batch, exact, repair, &toks, refs, scratch, true);
            if refs.found.len() == before && !refs.unresolved.iter().any(|u| u == m.as_str()) {
                refs.unresolved.push(m.as_str().to_string());
            }
        }
    }
}

fn structured(
    batch: &Batch,
    exact: &ReferenceIndex,
    repair: &RepairIndex,
    raw: &str,
    refs: &mut TxnRefs,
    scratch: &mut Scratch,
) {
    let compact: String = raw
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if compact.is_empty() {
        return;
    }
    // The whole reference first: an ERP that issues RF or QR references
    // keeps the whole string as the document number
    // (`RF38000000000000000000552`, `000000270148751802165444888`).
    let whole: Vec<ItemIdx> = exact
        .lookup(crate::normalize::reference_hash(&compact))
        .iter()
        .copied()
        .filter(|&i| key_equals_tokens(batch.open_items.get(i as usize).invoice_id(), &[&compact]))
        .collect();
    if let [one] = whole.as_slice() {
        refs.add(*one, RefKind::Structured);
        return;
    }
    let payload = match rf_payload(&compact) {
        Checked::BadCheckDigits => {
            refs.problems.push(format!(
                "creditor reference {raw} fails the ISO 11649 check digits"
            ));
            return;
        }
        Checked::Valid(p) => p,
        Checked::NotThisKind => match qrr_payload(&compact) {
            Checked::BadCheckDigits => {
                refs.problems
                    .push(format!("QR reference {raw} fails its check digit"));
                return;
            }
            Checked::Valid(p) => p,
            Checked::NotThisKind => compact.as_str(),
        },
    };
    let toks = [payload];
    let mut hits: Vec<ItemIdx> = exact
        .lookup(crate::normalize::reference_hash(payload))
        .iter()
        .copied()
        .filter(|&i| key_equals_tokens(batch.open_items.get(i as usize).invoice_id(), &toks))
        .collect();
    if hits.is_empty() {
        let mut out = std::mem::take(&mut scratch.items);
        repair.canonical_items(batch, &toks, scratch, &mut out);
        hits.extend_from_slice(&out);
        scratch.items = out;
    }
    // Digits to digits (`RF18 0000 0000 0012 3456` for invoice 123456),
    // but never a number that leading zeros shrink to a few digits.
    if hits.is_empty()
        && payload.bytes().all(|b| b.is_ascii_digit())
        && significant_digits(payload) >= REFERENCE_DIGITS_MIN
    {
        hits = repair.digits_items(batch, payload, scratch);
    }
    match hits.as_slice() {
        [one] => refs.add(*one, RefKind::Structured),
        [] => refs.unresolved.push(raw.to_string()),
        many => refs.problems.push(format!(
            "structured reference {raw} fits {} open items",
            many.len()
        )),
    }
}

/// Looks every window of up to `window_max` tokens up: exact first, then
/// canonical, then near, each only on tokens the stronger kinds left over.
/// The items an exact window names (the same check as the exact lookup).
fn exact_items_of<'a>(
    batch: &'a Batch,
    exact: &'a ReferenceIndex,
    window: &'a [&'a str],
) -> impl Iterator<Item = ItemIdx> + 'a {
    let mut h = KeyHasher::new();
    for t in window {
        h.push_token(t);
    }
    exact
        .lookup(h.finish())
        .iter()
        .copied()
        .filter(move |&i| key_equals_tokens(batch.open_items.get(i as usize).invoice_id(), window))
}

#[allow(clippy::too_many_arguments)]
fn free_text(
    batch: &Batch,
    exact: &ReferenceIndex,
    repair: &RepairIndex,
    window_max: usize,
    amount: rust_decimal::Decimal,
    text: &str,
    refs: &mut TxnRefs,
    scratch: &mut Scratch,
) {
    // Full-width and other-script digits read as ASCII (issue 9, pattern 5).
    let folded = crate::normalize::fold_compat(text);
    let text: &str = &folded;
    let toks: Vec<&str> = tokens(text).take(TEXT_TOKENS_MAX).collect();
    let n = toks.len();
    let mut classes = std::mem::take(&mut scratch.classes);
    text::classify(text, &toks, &mut classes);
    // Dates, amounts and customer numbers are never references: covered
    // from the start, so no window and no shorthand list reaches them.
    let mut covered: Vec<bool> = classes.iter().map(|c| c.is_masked()).collect();
    // A window may be looked up unless it is a short number nobody
    // announced as an invoice.
    let allowed = |start: usize, end: usize| -> bool {
        !short_numeric(&toks[start..=end])
            || (start > 0 && classes[start - 1] == TokenClass::InvoiceWord)
    };
    // Windows that named an invoice, for shorthand lists (`inv 2026 000324,
    // 000827`) and typo alternatives.
    let mut named: Vec<(usize, usize)> = Vec::new();
    // Exact keys: the same lookup as the exact pass, with positions.
    for start in 0..n {
        let mut h = KeyHasher::new();
        for end in start..n.min(start + window_max) {
            h.push_token(toks[end]);
            // A window of dates and amounts only names nothing; a mixed
            // one may (`RE-2026-01-15-001` holds a date).
            if classes[start..=end].iter().all(|c| c.is_masked()) || !allowed(start, end) {
                continue;
            }
            for &item in exact.lookup(h.finish()) {
                let id = &batch.open_items.get(item as usize).invoice_id();
                if key_equals_tokens(id, &toks[start..=end]) {
                    refs.add(item, RefKind::Exact);
                    covered[start..=end].iter_mut().for_each(|c| *c = true);
                    named.push((start, end));
                }
            }
        }
    }
    // A typo can turn one real invoice number into another: keep the
    // one-edit neighbours of exact hits as candidates the amount may pick.
    // When the exact hits already add up to the payment no alternative is
    // needed, which skips the neighbourhood search for most payments.
    // PERF: this search dominated the index stage at 100k payments.
    let exact_open: rust_decimal::Decimal = named
        .iter()
        .flat_map(|&(s, e)| exact_items_of(batch, exact, &toks[s..=e]))
        .map(|i| batch.open_items.get(i as usize).amount_open())
        .sum();
    let alternatives_needed = exact_open != amount;
    for &(start, end) in named.iter().filter(|_| alternatives_needed) {
        let mut out = std::mem::take(&mut scratch.items);
        repair.near_items(&toks[start..=end], scratch, &mut out);
        for &i in &out {
            refs.add(i, RefKind::Alternative);
        }
        scratch.items = out;
    }
    for &(start, end) in &named.clone() {
        continuation(
            batch,
            exact,
            repair,
            &toks,
            (start, end),
            &mut covered,
            refs,
            scratch,
        );
    }
    for t in &toks {
        if t.len() >= PO_CHARS_MIN {
            // An ASCII token (almost all) is its own key upper-cased: hashed
            // and compared without building the key (PERF: a `String` per
            // token of six characters or more, index stage).
            let key = (!t.is_ascii()).then(|| crate::normalize::reference_key(t));
            let hash = match &key {
                Some(key) => crate::normalize::reference_hash(key),
                None => crate::normalize::reference_hash(t),
            };
            // Bucket entries are in item order, as the sorted table was.
            for &(tag, i) in repair.po.bucket(hash) {
                if tag != hash as u32 {
                    continue;
                }
                let po = batch.open_items.get(i as usize).po_number().unwrap_or("");
                let equal = match &key {
                    Some(key) => crate::normalize::reference_key(po) == *key,
                    // `reference_key(po)` keeps non-ASCII letters, which an
                    // ASCII token never equals.
                    None if po.is_ascii() => key_equals_tokens(po, &[t]),
                    None => crate::normalize::reference_key(po) == t.to_ascii_uppercase(),
                };
                if equal && !refs.po_items.contains(&i) {
                    refs.po_items.push(i);
                }
            }
        }
    }
    for strict in [true, false] {
        for start in 0..n {
            for end in start..n.min(start + window_max) {
                if covered[start..=end].iter().any(|&c| c) {
                    break;
                }
                let window = &toks[start..=end];
                if !window.iter().any(|t| t.bytes().any(|b| b.is_ascii_digit()))
                    || !allowed(start, end)
                {
                    continue;
                }
                // One-edit search is the expensive lookup: once the text has
                // named an invoice, only windows that look like a reference
                // are searched for near misses. PERF: index stage at 100k.
                if !strict && !refs.found.is_empty() && !repair.is_reference_like(window) {
                    continue;
                }
                if resolve_window(batch, exact, repair, window, refs, scratch, strict) {
                    covered[start..=end].iter_mut().for_each(|c| *c = true);
                    break;
                }
            }
        }
    }
    // Short forms (issue 9, pattern 1): `INV 19846`, `2026/123`, then a
    // lone number, on what nothing else named. Candidates only: the amount
    // or the identified payer confirms them. A lone number equal to the
    // payment's whole units is the amount written out, not a reference.
    // Formatted only when a lone number needs the comparison (PERF: a
    // `String` per payment).
    let mut amount_units: Option<String> = None;
    for start in 0..n {
        if covered[start] {
            continue;
        }
        let pair = start + 1 < n && !covered[start + 1] && {
            let (q, d) = (toks[start], toks[start + 1]);
            let year = (q.len() == 2 || q.len() == 4) && q.bytes().all(|b| b.is_ascii_digit());
            let letters = q.bytes().all(|b| b.is_ascii_alphabetic())
                && classes[start] != TokenClass::InvoiceWord
                && significant_digits(d) >= SHORT_FORM_DIGITS_MIN;
            year || letters
        };
        let single = {
            let d = toks[start];
            d.bytes().all(|b| b.is_ascii_digit())
                && significant_digits(d) >= SHORT_FORM_DIGITS_MIN
                && d.trim_start_matches('0')
                    != amount_units
                        .get_or_insert_with(|| amount.trunc().abs().to_string())
                        .as_str()
        };
        let single_kind = if allowed(start, start) {
            RefKind::Short
        } else {
            RefKind::ShortLoose
        };
        let mut out = std::mem::take(&mut scratch.items);
        out.clear();
        let (mut end, mut kind) = (start, RefKind::Short);
        if pair {
            repair.short_items(batch, &toks[start..=start + 1], &mut out);
            end = start + 1;
        }
        if out.is_empty() && single {
            repair.short_items(batch, &toks[start..=start], &mut out);
            (end, kind) = (start, single_kind);
        }
        for &i in &out {
            refs.add(i, kind);
        }
        if !out.is_empty() {
            covered[start..=end].iter_mut().for_each(|c| *c = true);
        }
        scratch.items = out;
    }
    // Reference-like leftovers: an invoice prefix followed by digits that
    // named nothing open.
    for start in 0..n {
        if covered[start] {
            continue;
        }
        for end in start..n.min(start + window_max) {
            if covered[end] {
                break;
            }
            if repair.is_reference_like(&toks[start..=end]) && allowed(start, end) {
                let s = toks[start..=end].join("-");
                if !refs.unresolved.contains(&s) {
                    refs.unresolved.push(s);
                }
                covered[start..=end].iter_mut().for_each(|c| *c = true);
                break;
            }
        }
    }
    scratch.classes = classes;
}

/// True when every token of `window` is digits and together they have fewer
/// than [`SHORT_NUMERIC_DIGITS_MIN`] significant digits.
fn short_numeric(window: &[&str]) -> bool {
    if !window.iter().all(|t| t.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let mut significant = 0;
    for t in window {
        for b in t.bytes() {
            if b != b'0' || significant > 0 {
                significant += 1;
            }
        }
    }
    significant < SHORT_NUMERIC_DIGITS_MIN
}

/// Digits of `text` after its leading zeros.
fn significant_digits(text: &str) -> usize {
    significant_digits_of(text.bytes())
}

/// [`significant_digits`] of bytes (of several tokens back to back,
/// without joining them).
fn significant_digits_of(bytes: impl Iterator<Item = u8>) -> usize {
    let mut n = 0;
    for b in bytes.filter(u8::is_ascii_digit) {
        if b != b'0' || n > 0 {
            n += 1;
        }
    }
    n
}

/// Shorthand lists: after `inv 2026 000324`, a bare `000827` means
/// `inv 2026 000827`. Each later all-digit token is tried with the stem of
/// a named window; hits need amount confirmation (kind canonical).
#[allow(clippy::too_many_arguments)]
fn continuation(
    batch: &Batch,
    exact: &ReferenceIndex,
    repair: &RepairIndex,
    toks: &[&str],
    (start, end): (usize, usize),
    covered: &mut [bool],
    refs: &mut TxnRefs,
    scratch: &mut Scratch,
) {
    if end == start {
        return;
    }
    let stem = &toks[start..end];
    let mut window: Vec<&str> = stem.to_vec();
    for j in end + 1..toks.len() {
        if covered[j] || !toks[j].bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        window.truncate(stem.len());
        window.push(toks[j]);
        let before = refs.found.len();
        let mut h = KeyHasher::new();
        window.iter().for_each(|t| h.push_token(t));
        let hits: Vec<ItemIdx> = exact
            .lookup(h.finish())
            .iter()
            .copied()
            .filter(|&i| key_equals_tokens(batch.open_items.get(i as usize).invoice_id(), &window))
            .collect();
        if hits.is_empty() {
            let mut out = std::mem::take(&mut scratch.items);
            repair.canonical_items(batch, &window, scratch, &mut out);
            if out.is_empty() && toks[j].len() >= TAIL_DIGITS_MIN {
                // Same prefix, another year or series: `inv 2026 000324,
                // 000827` where 000827 is INV-2025-000827.
                if let Some(h) = tail_hash(stem[0], toks[j]) {
                    let tail = postings(&repair.tails, h);
                    if tail.len() <= TAIL_CANDIDATES_MAX {
                        out.extend(tail.iter().map(|&(_, i)| i).filter(|&i| {
                            let id = &batch.open_items.get(i as usize).invoice_id();
                            tokens(id).last().is_some_and(|l| {
                                l.trim_start_matches('0') == toks[j].trim_start_matches('0')
                            })
                        }));
                    }
                }
            }
            for &i in &out {
                refs.add(i, RefKind::Canonical);
            }
            scratch.items = out;
        } else {
            for i in hits {
                refs.add(i, RefKind::Canonical);
            }
        }
        if refs.found.len() > before {
            covered[j] = true;
        }
    }
}

/// Resolves one window: canonical when `canonical_only`, else near. Returns
/// true when it named something.
fn resolve_window(
    batch: &Batch,
    exact: &ReferenceIndex,
    repair: &RepairIndex,
    window: &[&str],
    refs: &mut TxnRefs,
    scratch: &mut Scratch,
    canonical_only: bool,
) -> bool {
    let mut out = std::mem::take(&mut scratch.items);
    if canonical_only {
        let mut h = KeyHasher::new();
        window.iter().for_each(|t| h.push_token(t));
        out.clear();
        out.extend(
            exact.lookup(h.finish()).iter().copied().filter(|&i| {
                key_equals_tokens(batch.open_items.get(i as usize).invoice_id(), window)
            }),
        );
        for &i in &out {
            refs.add(i, RefKind::Exact);
        }
        if out.is_empty() {
            repair.canonical_items(batch, window, scratch, &mut out);
            for &i in &out {
                refs.add(i, RefKind::Canonical);
            }
        }
    } else {
        repair.near_items(window, scratch, &mut out);
        for &i in &out {
            refs.add(i, RefKind::Near);
        }
    }
    let named = !out.is_empty();
    scratch.items = out;
    named
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        let toks: Vec<&str> = tokens(s).collect();
        let mut out = Vec::new();
        canonical_key(&toks, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn canonical_key_drops_leading_zeros_and_folds_ocr() {
        assert_eq!(canon("INV-2026-000123"), "1-NV-2026-123");
        assert_eq!(canon("inv 2026 123"), "1-NV-2026-123");
        assert_eq!(canon("INV-2O26-OOO123"), "1-NV-2026-123");
        assert_eq!(canon("INV-2026-000000"), "1-NV-2026-0");
        assert_ne!(canon("INV 20266"), canon("INV-2026-6"));
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit(b"ABC123", b"ABC124"));
        assert!(within_one_edit(b"ABC123", b"ABC132"));
        assert!(within_one_edit(b"ABC123", b"ABC1234"));
        assert!(within_one_edit(b"ABC123", b"AC123"));
        assert!(!within_one_edit(b"ABC123", b"ABC321"));
        assert!(!within_one_edit(b"ABC123", b"AB12"));
    }

    /// Items within one edit of `query`, by scanning every item: what the
    /// deletion index must find.
    fn near_by_scan(batch: &Batch, query: &str, key_len_min: usize) -> Vec<ItemIdx> {
        let toks: Vec<&str> = tokens(query).collect();
        let mut q = Vec::new();
        full_key(&toks, &mut q);
        if q.len() + 1 < key_len_min || q.len() > NEAR_KEY_LEN_MAX + 1 {
            return Vec::new();
        }
        let mut key = Vec::new();
        let hits: Vec<ItemIdx> = (0..batch.open_items.len() as ItemIdx)
            .filter(|&i| {
                let id_toks: Vec<&str> =
                    tokens(batch.open_items.get(i as usize).invoice_id()).collect();
                full_key(&id_toks, &mut key);
                (key_len_min..=NEAR_KEY_LEN_MAX).contains(&key.len()) && within_one_edit(&q, &key)
            })
            .collect();
        if hits.len() > NEAR_CANDIDATES_MAX {
            Vec::new()
        } else {
            hits
        }
    }

    #[test]
    fn near_index_finds_exactly_what_a_scan_finds() {
        // Dense numbering, runs of equal characters and short ids: where the
        // deletion index's run filter and length mask could go wrong.
        let mut ids: Vec<String> = (0..2500).map(|n| format!("INV-2026-{n:06}")).collect();
        ids.extend((0..400).map(|n| format!("RE{:04}", n * 7)));
        ids.extend(["AAB11", "ABA11", "A0011B", "AA0B11", "1111112", "111112"].map(String::from));
        let batch = Batch {
            open_items: ids
                .iter()
                .map(|id| crate::model::OpenItem {
                    invoice_id: id.clone(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let repair = RepairIndex::build(&batch, 5);
        let alphabet = b"0123456789ABINVRE-";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as usize % n
        };
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        for round in 0..4000 {
            let mut q: Vec<u8> = ids[next(ids.len())].bytes().collect();
            // Up to two random edits: some queries are one edit away, some two.
            for _ in 0..(round % 3) {
                let at = next(q.len() + 1);
                match next(4) {
                    0 if at < q.len() => q[at] = alphabet[next(alphabet.len())],
                    1 if at < q.len() => {
                        q.remove(at);
                    }
                    2 if at + 1 < q.len() => q.swap(at, at + 1),
                    _ => q.insert(at, alphabet[next(alphabet.len())]),
                }
            }
            let query = String::from_utf8(q).unwrap();
            let toks: Vec<&str> = tokens(&query).collect();
            repair.near_items(&toks, &mut scratch, &mut out);
            assert_eq!(out, near_by_scan(&batch, &query, 5), "query {query}");
        }
    }

    /// The exact pass's cheap extraction keeps exactly the exact references
    /// the full extraction finds, in its order, and refuses when it could
    /// not (structured references, patterns).
    #[test]
    fn exact_extraction_is_the_exact_part_of_the_full_one() {
        use crate::model::{BankTransaction, OpenItem};
        let ids = [
            "INV-2026-000747",
            "INV-2026-019846",
            "12345678",
            "747",
            "RE-2026-01-15-001",
            "SI0030146",
            "INV-2026-000748",
        ];
        let texts = [
            "Invoice INV-2026-000747 and INV 2026 019846",
            "Rechnung 747 vom 7.9.2021",
            "747 EUR",
            "Kd-Nr. 12345678 INV2026000748",
            "RE-2026-01-15-001 Betrag 1.250,00",
            "ＩＮＶ-２０２６-０００７４７ paid",
            "INV-2026-000748 INV-2026-000747 INV-2026-000748",
            "nothing to see 2026",
            "SI0030146, 30146 and INV-2026-00747",
            "",
        ];
        let batch = Batch {
            open_items: ids
                .iter()
                .map(|id| OpenItem {
                    invoice_id: id.to_string(),
                    ..Default::default()
                })
                .collect::<Vec<_>>()
                .into(),
            transactions: texts
                .iter()
                .map(|t| BankTransaction {
                    remittance_info: t.to_string(),
                    amount: rust_decimal::Decimal::new(100, 0),
                    ..Default::default()
                })
                .collect::<Vec<_>>()
                .into(),
            ..Default::default()
        };
        let exact = ReferenceIndex::build(&batch);
        let repair = RepairIndex::build(&batch, 5);
        let full = extract_all(&batch, &exact, &repair, &[], 4);
        let cheap = extract_exact_where(&batch, &exact, &[], 4, |_| true).expect("no structured");
        let mut some = 0;
        for (t, text) in texts.iter().enumerate() {
            let want: Vec<(ItemIdx, RefKind)> = full
                .get(t)
                .found
                .iter()
                .copied()
                .filter(|&(_, k)| k == RefKind::Exact)
                .collect();
            assert_eq!(cheap.get(t).found, want.as_slice(), "{text}");
            assert_eq!(
                &full.get(t).found[..want.len()],
                want.as_slice(),
                "exact hits come first: {text}"
            );
            some += want.len();
        }
        assert!(some >= 6, "the texts name invoices exactly ({some})");
        // Only wanted transactions are read.
        let none = extract_exact_where(&batch, &exact, &[], 4, |_| false).unwrap();
        assert!((0..texts.len()).all(|t| none.get(t).found.is_empty()));
        let patterns = [regex::Regex::new("INV").unwrap()];
        assert!(extract_exact_where(&batch, &exact, &patterns, 4, |_| true).is_none());
    }

    #[test]
    fn rf_check_digits() {
        // The example of ISO 11649 itself.
        assert_eq!(
            rf_payload("RF18539007547034"),
            Checked::Valid("539007547034")
        );
        assert_eq!(rf_payload("RF19539007547034"), Checked::BadCheckDigits);
        assert_eq!(rf_payload("INV123"), Checked::NotThisKind);
    }

    #[test]
    fn qrr_check_digit() {
        // Example from the Swiss QR-bill implementation guidelines.
        assert_eq!(
            qrr_payload("210000000003139471430009017"),
            Checked::Valid("21000000000313947143000901")
        );
        assert_eq!(
            qrr_payload("210000000003139471430009018"),
            Checked::BadCheckDigits
        );
    }
}
