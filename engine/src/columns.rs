//! The input record stores: one column per field, rows addressed by `u32`
//! index ([`TxnIdx`], [`ItemIdx`], [`CustomerIdx`]).
//!
//! Why columns and not a `Vec` of records: a record with a dozen owned
//! `String`s costs a dozen heap blocks (each with allocator overhead and a
//! 24-byte header), about 800 bytes per bank line at 1M lines; the same
//! text as Arrow columns costs its bytes plus a 4-byte offset. Text columns
//! are Arrow `StringArray`s (offsets + one byte buffer), so the output side
//! can hand them to the Parquet writer by reference (an `Arc` clone), not
//! by conversion. Values that repeat (currency, account, source file,
//! customer id and name on open items) are interned: a `u32` key per row
//! into one array of distinct values, Arrow's dictionary layout.
//!
//! The row structs of [`crate::model`] (`BankTransaction`, `OpenItem`,
//! `Customer`) stay as the way to *build* a store (tests, small inputs,
//! `From<Vec<_>>`) and to read one row back owned ([`Transactions::row`]);
//! the engine reads through views ([`TxnView`], [`ItemView`],
//! [`CustomerView`]) that borrow from the columns.

use crate::model::{BankTransaction, Customer, ItemHold, OpenItem};
use arrow_array::builder::StringBuilder;
use arrow_array::{Array, StringArray};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::HashMap;

fn empty_text() -> StringArray {
    StringBuilder::new().finish()
}

/// `a` without the spare capacity its builder grew (buffers double as they
/// grow, so a finished column can hold up to twice its bytes): copied into
/// exactly sized buffers when the slack is worth it. The store lives for
/// the whole run; the copy is one pass over its bytes.
fn packed(a: StringArray) -> StringArray {
    let bytes = a.value_data().len();
    let slack = a.values().capacity() - bytes + a.offsets().inner().inner().capacity()
        - a.offsets().inner().inner().len();
    if slack <= bytes / 8 + 4096 {
        return a;
    }
    let mut b = StringBuilder::with_capacity(a.len(), bytes);
    for i in 0..a.len() {
        if a.is_null(i) {
            b.append_null();
        } else {
            b.append_value(a.value(i));
        }
    }
    b.finish()
}

/// A vector without spare capacity (see [`packed`]).
fn exact<T>(mut v: Vec<T>) -> Vec<T> {
    v.shrink_to_fit();
    v
}

/// Interned text: a `u32` key per row into the distinct values, in order
/// of first appearance (Arrow dictionary layout: keys + values).
#[derive(Debug, Clone)]
pub struct Dict {
    keys: Vec<u32>,
    values: StringArray,
}

impl Default for Dict {
    fn default() -> Self {
        Dict {
            keys: Vec::new(),
            values: empty_text(),
        }
    }
}

impl Dict {
    /// The value of row `i`.
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        self.values.value(self.keys[i] as usize)
    }

    /// The key of row `i` (equal keys, equal values).
    #[inline]
    pub fn key(&self, i: usize) -> u32 {
        self.keys[i]
    }

    /// The key of every row.
    pub fn keys(&self) -> &[u32] {
        &self.keys
    }

    /// The distinct values, indexed by key.
    pub fn values(&self) -> &StringArray {
        &self.values
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Builds a [`Dict`].
#[derive(Debug)]
pub struct DictBuilder {
    keys: Vec<u32>,
    values: StringBuilder,
    lookup: HashMap<Box<str>, u32>,
    /// The key of the last row, when it was looked up: rows come in runs
    /// (one file, one account, one currency), and a run costs one
    /// comparison per row instead of a hash and a probe.
    last: Option<u32>,
}

impl Default for DictBuilder {
    fn default() -> Self {
        DictBuilder {
            keys: Vec::new(),
            values: StringBuilder::new(),
            lookup: HashMap::new(),
            last: None,
        }
    }
}

impl DictBuilder {
    /// Appends one row.
    pub fn push(&mut self, value: &str) {
        if let Some(k) = self.last {
            if self.value_of(k) == value.as_bytes() {
                self.keys.push(k);
                return;
            }
        }
        let key = match self.lookup.get(value) {
            Some(&k) => k,
            None => {
                let k = u32::try_from(self.lookup.len()).expect("fewer than 2^32 distinct values");
                self.lookup.insert(value.into(), k);
                self.values.append_value(value);
                k
            }
        };
        self.last = Some(key);
        self.keys.push(key);
    }

    /// The bytes of distinct value `k` (already appended).
    fn value_of(&self, k: u32) -> &[u8] {
        let offsets = self.values.offsets_slice();
        let k = k as usize;
        match (offsets.get(k), offsets.get(k + 1)) {
            (Some(&start), Some(&end)) => self
                .values
                .values_slice()
                .get(start as usize..end as usize)
                .unwrap_or_default(),
            _ => &[],
        }
    }

    /// Room for `rows` more rows.
    pub fn reserve(&mut self, rows: usize) {
        self.keys.reserve(rows);
    }

    /// The finished column.
    pub fn finish(mut self) -> Dict {
        Dict {
            keys: exact(self.keys),
            values: packed(self.values.finish()),
        }
    }
}

/// A list of texts per row (structured references, a customer's accounts or
/// aliases): Arrow list layout, `offsets[i]..offsets[i + 1]` of `values`.
#[derive(Debug, Clone)]
pub struct TextList {
    offsets: Vec<u32>,
    values: StringArray,
}

impl Default for TextList {
    fn default() -> Self {
        TextList {
            offsets: vec![0],
            values: empty_text(),
        }
    }
}

impl TextList {
    /// The texts of row `i`.
    pub fn get(&self, i: usize) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
        (a..b).map(move |k| self.values.value(k))
    }

    /// Row offsets into [`TextList::values`] (one more than rows).
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// Every text of every row, back to back.
    pub fn values(&self) -> &StringArray {
        &self.values
    }
}

/// Builds a [`TextList`].
#[derive(Debug)]
pub struct TextListBuilder {
    offsets: Vec<u32>,
    values: StringBuilder,
}

impl Default for TextListBuilder {
    fn default() -> Self {
        TextListBuilder {
            offsets: vec![0],
            values: StringBuilder::new(),
        }
    }
}

impl TextListBuilder {
    /// Appends one row of texts.
    pub fn push<'s>(&mut self, texts: impl IntoIterator<Item = &'s str>) {
        let mut end = *self.offsets.last().unwrap_or(&0);
        for t in texts {
            self.values.append_value(t);
            end += 1;
        }
        self.offsets.push(end);
    }

    /// The finished column.
    pub fn finish(mut self) -> TextList {
        TextList {
            offsets: exact(self.offsets),
            values: packed(self.values.finish()),
        }
    }
}

/// Bank transactions, one column per field of [`BankTransaction`].
#[derive(Debug, Clone)]
pub struct Transactions {
    transaction_id: StringArray,
    bank_reference: StringArray,
    source_file: Dict,
    source_line: Vec<u64>,
    account: Dict,
    currency: Dict,
    amount: Vec<Decimal>,
    booking_date: Vec<Option<NaiveDate>>,
    value_date: Vec<Option<NaiveDate>>,
    counterparty_name: StringArray,
    counterparty_account: StringArray,
    remittance_info: StringArray,
    structured_refs: TextList,
    end_to_end_id: StringArray,
}

impl Default for Transactions {
    fn default() -> Self {
        TransactionsBuilder::default().finish()
    }
}

/// One bank transaction, borrowed from [`Transactions`].
#[derive(Debug, Clone, Copy)]
pub struct TxnView<'a> {
    store: &'a Transactions,
    i: usize,
}

impl<'a> TxnView<'a> {
    /// Row index.
    pub fn index(&self) -> usize {
        self.i
    }
    /// See [`BankTransaction::transaction_id`].
    pub fn transaction_id(&self) -> &'a str {
        self.store.transaction_id.value(self.i)
    }
    /// See [`BankTransaction::bank_reference`].
    pub fn bank_reference(&self) -> &'a str {
        self.store.bank_reference.value(self.i)
    }
    /// See [`BankTransaction::source_file`].
    pub fn source_file(&self) -> &'a str {
        self.store.source_file.get(self.i)
    }
    /// See [`BankTransaction::source_line`].
    pub fn source_line(&self) -> u64 {
        self.store.source_line[self.i]
    }
    /// See [`BankTransaction::account`].
    pub fn account(&self) -> &'a str {
        self.store.account.get(self.i)
    }
    /// See [`BankTransaction::currency`].
    pub fn currency(&self) -> &'a str {
        self.store.currency.get(self.i)
    }
    /// See [`BankTransaction::amount`].
    pub fn amount(&self) -> Decimal {
        self.store.amount[self.i]
    }
    /// See [`BankTransaction::booking_date`].
    pub fn booking_date(&self) -> Option<NaiveDate> {
        self.store.booking_date[self.i]
    }
    /// See [`BankTransaction::value_date`].
    pub fn value_date(&self) -> Option<NaiveDate> {
        self.store.value_date[self.i]
    }
    /// See [`BankTransaction::counterparty_name`].
    pub fn counterparty_name(&self) -> &'a str {
        self.store.counterparty_name.value(self.i)
    }
    /// See [`BankTransaction::counterparty_account`].
    pub fn counterparty_account(&self) -> &'a str {
        self.store.counterparty_account.value(self.i)
    }
    /// See [`BankTransaction::remittance_info`].
    pub fn remittance_info(&self) -> &'a str {
        self.store.remittance_info.value(self.i)
    }
    /// See [`BankTransaction::structured_refs`].
    pub fn structured_refs(&self) -> impl ExactSizeIterator<Item = &'a str> + Clone + 'a {
        self.store.structured_refs.get(self.i)
    }
    /// See [`BankTransaction::end_to_end_id`].
    pub fn end_to_end_id(&self) -> &'a str {
        self.store.end_to_end_id.value(self.i)
    }
    /// The date used for ordering and discount terms: value date, else booking date.
    pub fn effective_date(&self) -> Option<NaiveDate> {
        self.value_date().or(self.booking_date())
    }
    /// The row, owned.
    pub fn to_row(&self) -> BankTransaction {
        BankTransaction {
            transaction_id: self.transaction_id().to_string(),
            bank_reference: self.bank_reference().to_string(),
            source_file: self.source_file().to_string(),
            source_line: self.source_line(),
            account: self.account().to_string(),
            currency: self.currency().to_string(),
            amount: self.amount(),
            booking_date: self.booking_date(),
            value_date: self.value_date(),
            counterparty_name: self.counterparty_name().to_string(),
            counterparty_account: self.counterparty_account().to_string(),
            remittance_info: self.remittance_info().to_string(),
            structured_refs: self.structured_refs().map(str::to_string).collect(),
            end_to_end_id: self.end_to_end_id().to_string(),
        }
    }
}

impl Transactions {
    /// Rows.
    pub fn len(&self) -> usize {
        self.amount.len()
    }
    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.amount.is_empty()
    }
    /// Row `i`. Panics when out of range, like slice indexing.
    #[inline]
    pub fn get(&self, i: usize) -> TxnView<'_> {
        assert!(i < self.len(), "transaction {i} of {}", self.len());
        TxnView { store: self, i }
    }
    /// Every row, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = TxnView<'_>> + '_ {
        (0..self.len()).map(move |i| TxnView { store: self, i })
    }
    /// Row `i`, owned (tests and debugging; the engine reads views).
    pub fn row(&self, i: usize) -> BankTransaction {
        self.get(i).to_row()
    }
    /// The amount of every row.
    pub fn amounts(&self) -> &[Decimal] {
        &self.amount
    }
    /// Column `transaction_id`.
    pub fn transaction_id_array(&self) -> &StringArray {
        &self.transaction_id
    }
    /// Column `bank_reference`.
    pub fn bank_reference_array(&self) -> &StringArray {
        &self.bank_reference
    }
    /// Column `source_file` (interned).
    pub fn source_file_dict(&self) -> &Dict {
        &self.source_file
    }
    /// Column `source_line`.
    pub fn source_lines(&self) -> &[u64] {
        &self.source_line
    }
    /// Column `account` (interned).
    pub fn account_dict(&self) -> &Dict {
        &self.account
    }
    /// Column `currency` (interned).
    pub fn currency_dict(&self) -> &Dict {
        &self.currency
    }
    /// Column `booking_date`.
    pub fn booking_dates(&self) -> &[Option<NaiveDate>] {
        &self.booking_date
    }
    /// Column `value_date`.
    pub fn value_dates(&self) -> &[Option<NaiveDate>] {
        &self.value_date
    }
    /// Column `counterparty_name`.
    pub fn counterparty_name_array(&self) -> &StringArray {
        &self.counterparty_name
    }
    /// Column `counterparty_account`.
    pub fn counterparty_account_array(&self) -> &StringArray {
        &self.counterparty_account
    }
    /// Column `remittance_info`.
    pub fn remittance_info_array(&self) -> &StringArray {
        &self.remittance_info
    }
    /// Column `structured_refs`.
    pub fn structured_refs_list(&self) -> &TextList {
        &self.structured_refs
    }
    /// Column `end_to_end_id`.
    pub fn end_to_end_id_array(&self) -> &StringArray {
        &self.end_to_end_id
    }
    /// True when some row has no transaction id yet.
    pub fn has_missing_ids(&self) -> bool {
        self.iter().any(|t| t.transaction_id().is_empty())
    }
    /// Replaces the transaction id column (one id per row).
    pub fn set_transaction_ids<'s>(&mut self, ids: impl ExactSizeIterator<Item = &'s str>) {
        assert_eq!(ids.len(), self.len(), "one transaction id per row");
        let mut b = StringBuilder::with_capacity(self.len(), 25 * self.len());
        for id in ids {
            b.append_value(id);
        }
        self.transaction_id = b.finish();
    }
    /// The rows for which `keep` is true, in order.
    pub fn filter(&self, mut keep: impl FnMut(TxnView<'_>) -> bool) -> Transactions {
        let mut b = TransactionsBuilder::default();
        for t in self.iter() {
            if keep(t) {
                b.push_view(t);
            }
        }
        b.finish()
    }
}

impl From<Vec<BankTransaction>> for Transactions {
    fn from(rows: Vec<BankTransaction>) -> Self {
        rows.into_iter().collect()
    }
}

impl FromIterator<BankTransaction> for Transactions {
    fn from_iter<I: IntoIterator<Item = BankTransaction>>(iter: I) -> Self {
        let mut b = TransactionsBuilder::default();
        for t in iter {
            b.push(&t);
        }
        b.finish()
    }
}

/// Builds [`Transactions`] row by row, straight into the columns.
#[derive(Debug, Default)]
pub struct TransactionsBuilder {
    transaction_id: StringBuilder,
    bank_reference: StringBuilder,
    source_file: DictBuilder,
    source_line: Vec<u64>,
    account: DictBuilder,
    currency: DictBuilder,
    amount: Vec<Decimal>,
    booking_date: Vec<Option<NaiveDate>>,
    value_date: Vec<Option<NaiveDate>>,
    counterparty_name: StringBuilder,
    counterparty_account: StringBuilder,
    remittance_info: StringBuilder,
    structured_refs: TextListBuilder,
    end_to_end_id: StringBuilder,
}

impl TransactionsBuilder {
    /// Rows so far.
    pub fn len(&self) -> usize {
        self.amount.len()
    }
    /// True when no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.amount.is_empty()
    }
    /// Appends one transaction.
    pub fn push(&mut self, t: &BankTransaction) {
        self.transaction_id.append_value(&t.transaction_id);
        self.bank_reference.append_value(&t.bank_reference);
        self.source_file.push(&t.source_file);
        self.source_line.push(t.source_line);
        self.account.push(&t.account);
        self.currency.push(&t.currency);
        self.amount.push(t.amount);
        self.booking_date.push(t.booking_date);
        self.value_date.push(t.value_date);
        self.counterparty_name.append_value(&t.counterparty_name);
        self.counterparty_account
            .append_value(&t.counterparty_account);
        self.remittance_info.append_value(&t.remittance_info);
        self.structured_refs
            .push(t.structured_refs.iter().map(String::as_str));
        self.end_to_end_id.append_value(&t.end_to_end_id);
    }
    /// Room for about `rows` more rows, so the columns do not regrow (and
    /// copy) as a large file is read. The text columns are sized only when
    /// nothing was pushed yet (Arrow's builders cannot grow in place).
    pub fn reserve(&mut self, rows: usize) {
        self.source_file.reserve(rows);
        self.source_line.reserve(rows);
        self.account.reserve(rows);
        self.currency.reserve(rows);
        self.amount.reserve(rows);
        self.booking_date.reserve(rows);
        self.value_date.reserve(rows);
        if self.is_empty() {
            // Bytes per row: ids are 25, the rest typical of bank files;
            // an underestimate only means a regrowth.
            let text =
                |bytes_per_row: usize| StringBuilder::with_capacity(rows, rows * bytes_per_row);
            self.transaction_id = text(25);
            self.bank_reference = text(16);
            self.counterparty_name = text(16);
            self.counterparty_account = text(16);
            self.remittance_info = text(32);
            self.end_to_end_id = text(8);
        }
    }
    /// Appends one transaction as a reader handed it over (borrowed, see
    /// [`cashmatch_parsers::TransactionSink`]), with its id and file: no
    /// owned record in between.
    pub fn push_parsed(
        &mut self,
        transaction_id: &str,
        source_file: &str,
        t: &cashmatch_parsers::TransactionRef<'_>,
    ) {
        self.transaction_id.append_value(transaction_id);
        self.bank_reference.append_value(t.bank_reference);
        self.source_file.push(source_file);
        self.source_line.push(t.source_line);
        self.account.push(t.account);
        self.currency.push(t.currency);
        self.amount.push(t.amount);
        self.booking_date.push(t.booking_date);
        self.value_date.push(t.value_date);
        self.counterparty_name.append_value(t.counterparty_name);
        self.counterparty_account
            .append_value(t.counterparty_account);
        self.remittance_info.append_value(t.remittance_info);
        self.structured_refs.push(t.structured_refs.iter().copied());
        self.end_to_end_id.append_value(t.end_to_end_id);
    }
    /// Appends every row of `store`, in order.
    pub fn append(&mut self, store: &Transactions) {
        self.reserve(store.len());
        for t in store.iter() {
            self.push_view(t);
        }
    }
    /// Appends a row of another store.
    pub fn push_view(&mut self, t: TxnView<'_>) {
        self.transaction_id.append_value(t.transaction_id());
        self.bank_reference.append_value(t.bank_reference());
        self.source_file.push(t.source_file());
        self.source_line.push(t.source_line());
        self.account.push(t.account());
        self.currency.push(t.currency());
        self.amount.push(t.amount());
        self.booking_date.push(t.booking_date());
        self.value_date.push(t.value_date());
        self.counterparty_name.append_value(t.counterparty_name());
        self.counterparty_account
            .append_value(t.counterparty_account());
        self.remittance_info.append_value(t.remittance_info());
        self.structured_refs.push(t.structured_refs());
        self.end_to_end_id.append_value(t.end_to_end_id());
    }
    /// The finished store.
    pub fn finish(mut self) -> Transactions {
        Transactions {
            transaction_id: packed(self.transaction_id.finish()),
            bank_reference: packed(self.bank_reference.finish()),
            source_file: self.source_file.finish(),
            source_line: exact(self.source_line),
            account: self.account.finish(),
            currency: self.currency.finish(),
            amount: exact(self.amount),
            booking_date: exact(self.booking_date),
            value_date: exact(self.value_date),
            counterparty_name: packed(self.counterparty_name.finish()),
            counterparty_account: packed(self.counterparty_account.finish()),
            remittance_info: packed(self.remittance_info.finish()),
            structured_refs: self.structured_refs.finish(),
            end_to_end_id: packed(self.end_to_end_id.finish()),
        }
    }
}

/// Open items, one column per field of [`OpenItem`].
#[derive(Debug, Clone)]
pub struct OpenItems {
    invoice_id: StringArray,
    customer_id: Dict,
    customer_name: Dict,
    currency: Dict,
    amount_open: Vec<Decimal>,
    amount_original: Vec<Decimal>,
    invoice_date: Vec<Option<NaiveDate>>,
    due_date: Vec<Option<NaiveDate>>,
    discount_percent: Vec<Option<Decimal>>,
    discount_days: Vec<Option<u32>>,
    /// Nullable: `None` when the extract has no PO number.
    po_number: StringArray,
    source_line: Vec<u64>,
    /// Held items only (few), by item index ascending.
    holds: Vec<(u32, ItemHold)>,
    /// Legal entity as the extract gives it (interned; empty: the
    /// configured default, see `crate::company::company_of`).
    company_code: Dict,
}

impl Default for OpenItems {
    fn default() -> Self {
        OpenItemsBuilder::default().finish()
    }
}

/// One open item, borrowed from [`OpenItems`].
#[derive(Debug, Clone, Copy)]
pub struct ItemView<'a> {
    store: &'a OpenItems,
    i: usize,
}

impl<'a> ItemView<'a> {
    /// Row index.
    pub fn index(&self) -> usize {
        self.i
    }
    /// See [`OpenItem::invoice_id`].
    pub fn invoice_id(&self) -> &'a str {
        self.store.invoice_id.value(self.i)
    }
    /// See [`OpenItem::customer_id`].
    pub fn customer_id(&self) -> &'a str {
        self.store.customer_id.get(self.i)
    }
    /// See [`OpenItem::customer_name`].
    pub fn customer_name(&self) -> &'a str {
        self.store.customer_name.get(self.i)
    }
    /// See [`OpenItem::currency`].
    pub fn currency(&self) -> &'a str {
        self.store.currency.get(self.i)
    }
    /// See [`OpenItem::amount_open`].
    pub fn amount_open(&self) -> Decimal {
        self.store.amount_open[self.i]
    }
    /// See [`OpenItem::amount_original`].
    pub fn amount_original(&self) -> Decimal {
        self.store.amount_original[self.i]
    }
    /// See [`OpenItem::invoice_date`].
    pub fn invoice_date(&self) -> Option<NaiveDate> {
        self.store.invoice_date[self.i]
    }
    /// See [`OpenItem::due_date`].
    pub fn due_date(&self) -> Option<NaiveDate> {
        self.store.due_date[self.i]
    }
    /// See [`OpenItem::discount_percent`].
    pub fn discount_percent(&self) -> Option<Decimal> {
        self.store.discount_percent[self.i]
    }
    /// See [`OpenItem::discount_days`].
    pub fn discount_days(&self) -> Option<u32> {
        self.store.discount_days[self.i]
    }
    /// See [`OpenItem::po_number`].
    pub fn po_number(&self) -> Option<&'a str> {
        let a = &self.store.po_number;
        (!a.is_null(self.i)).then(|| a.value(self.i))
    }
    /// See [`OpenItem::source_line`].
    pub fn source_line(&self) -> u64 {
        self.store.source_line[self.i]
    }
    /// See [`OpenItem::hold`].
    pub fn hold(&self) -> Option<&'a ItemHold> {
        let holds = &self.store.holds;
        holds
            .binary_search_by_key(&(self.i as u32), |(i, _)| *i)
            .ok()
            .map(|k| &holds[k].1)
    }
    /// See [`OpenItem::company_code`] (empty: not given; the company is
    /// decided by `crate::company::company_of`).
    pub fn company_code(&self) -> &'a str {
        self.store.company_code.get(self.i)
    }
    /// The row, owned.
    pub fn to_row(&self) -> OpenItem {
        OpenItem {
            invoice_id: self.invoice_id().to_string(),
            customer_id: self.customer_id().to_string(),
            customer_name: self.customer_name().to_string(),
            currency: self.currency().to_string(),
            amount_open: self.amount_open(),
            amount_original: self.amount_original(),
            invoice_date: self.invoice_date(),
            due_date: self.due_date(),
            discount_percent: self.discount_percent(),
            discount_days: self.discount_days(),
            po_number: self.po_number().map(str::to_string),
            source_line: self.source_line(),
            hold: self.hold().cloned(),
            company_code: self.company_code().to_string(),
        }
    }
}

impl OpenItems {
    /// Rows.
    pub fn len(&self) -> usize {
        self.amount_open.len()
    }
    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.amount_open.is_empty()
    }
    /// Row `i`. Panics when out of range, like slice indexing.
    #[inline]
    pub fn get(&self, i: usize) -> ItemView<'_> {
        assert!(i < self.len(), "open item {i} of {}", self.len());
        ItemView { store: self, i }
    }
    /// Every row, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = ItemView<'_>> + '_ {
        (0..self.len()).map(move |i| ItemView { store: self, i })
    }
    /// Row `i`, owned.
    pub fn row(&self, i: usize) -> OpenItem {
        self.get(i).to_row()
    }
    /// True when no item is held.
    pub fn none_held(&self) -> bool {
        self.holds.is_empty()
    }
    /// Held items, by item index ascending.
    pub fn holds(&self) -> &[(u32, ItemHold)] {
        &self.holds
    }
    /// Column `invoice_id`.
    pub fn invoice_id_array(&self) -> &StringArray {
        &self.invoice_id
    }
    /// Column `customer_id` (interned).
    pub fn customer_id_dict(&self) -> &Dict {
        &self.customer_id
    }
    /// Column `customer_name` (interned).
    pub fn customer_name_dict(&self) -> &Dict {
        &self.customer_name
    }
    /// Column `currency` (interned).
    pub fn currency_dict(&self) -> &Dict {
        &self.currency
    }
    /// Column `amount_open`.
    pub fn amounts_open(&self) -> &[Decimal] {
        &self.amount_open
    }
    /// Column `amount_original`.
    pub fn amounts_original(&self) -> &[Decimal] {
        &self.amount_original
    }
    /// Column `invoice_date`.
    pub fn invoice_dates(&self) -> &[Option<NaiveDate>] {
        &self.invoice_date
    }
    /// Column `due_date`.
    pub fn due_dates(&self) -> &[Option<NaiveDate>] {
        &self.due_date
    }
    /// Column `po_number` (nullable).
    pub fn po_number_array(&self) -> &StringArray {
        &self.po_number
    }
    /// Column `source_line`.
    pub fn source_lines(&self) -> &[u64] {
        &self.source_line
    }
    /// Column `company_code` (interned, as given; empty when not given).
    pub fn company_code_dict(&self) -> &Dict {
        &self.company_code
    }
}

impl From<Vec<OpenItem>> for OpenItems {
    fn from(rows: Vec<OpenItem>) -> Self {
        rows.into_iter().collect()
    }
}

impl FromIterator<OpenItem> for OpenItems {
    fn from_iter<I: IntoIterator<Item = OpenItem>>(iter: I) -> Self {
        let mut b = OpenItemsBuilder::default();
        for t in iter {
            b.push(t);
        }
        b.finish()
    }
}

/// Builds [`OpenItems`] row by row, straight into the columns.
#[derive(Debug, Default)]
pub struct OpenItemsBuilder {
    invoice_id: StringBuilder,
    customer_id: DictBuilder,
    customer_name: DictBuilder,
    currency: DictBuilder,
    amount_open: Vec<Decimal>,
    amount_original: Vec<Decimal>,
    invoice_date: Vec<Option<NaiveDate>>,
    due_date: Vec<Option<NaiveDate>>,
    discount_percent: Vec<Option<Decimal>>,
    discount_days: Vec<Option<u32>>,
    po_number: StringBuilder,
    source_line: Vec<u64>,
    holds: Vec<(u32, ItemHold)>,
    company_code: DictBuilder,
}

impl OpenItemsBuilder {
    /// Rows so far.
    pub fn len(&self) -> usize {
        self.amount_open.len()
    }
    /// True when no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.amount_open.is_empty()
    }
    /// Appends one open item (its hold, if any, is moved in).
    pub fn push(&mut self, t: OpenItem) {
        if let Some(h) = t.hold {
            let at = u32::try_from(self.len()).expect("fewer than 2^32 open items");
            self.holds.push((at, h));
        }
        self.invoice_id.append_value(&t.invoice_id);
        self.customer_id.push(&t.customer_id);
        self.customer_name.push(&t.customer_name);
        self.currency.push(&t.currency);
        self.amount_open.push(t.amount_open);
        self.amount_original.push(t.amount_original);
        self.invoice_date.push(t.invoice_date);
        self.due_date.push(t.due_date);
        self.discount_percent.push(t.discount_percent);
        self.discount_days.push(t.discount_days);
        self.po_number.append_option(t.po_number.as_deref());
        self.source_line.push(t.source_line);
        self.company_code.push(&t.company_code);
    }
    /// The finished store.
    pub fn finish(mut self) -> OpenItems {
        OpenItems {
            invoice_id: packed(self.invoice_id.finish()),
            customer_id: self.customer_id.finish(),
            customer_name: self.customer_name.finish(),
            currency: self.currency.finish(),
            amount_open: exact(self.amount_open),
            amount_original: exact(self.amount_original),
            invoice_date: exact(self.invoice_date),
            due_date: exact(self.due_date),
            discount_percent: exact(self.discount_percent),
            discount_days: exact(self.discount_days),
            po_number: packed(self.po_number.finish()),
            source_line: exact(self.source_line),
            holds: exact(self.holds),
            company_code: self.company_code.finish(),
        }
    }
}

/// The customer master, one column per field of [`Customer`].
#[derive(Debug, Clone)]
pub struct Customers {
    customer_id: StringArray,
    name: StringArray,
    bank_accounts: TextList,
    aliases: TextList,
    /// Nullable.
    segment: StringArray,
    /// Nullable.
    parent_id: StringArray,
}

impl Default for Customers {
    fn default() -> Self {
        CustomersBuilder::default().finish()
    }
}

/// One customer, borrowed from [`Customers`].
#[derive(Debug, Clone, Copy)]
pub struct CustomerView<'a> {
    store: &'a Customers,
    i: usize,
}

impl<'a> CustomerView<'a> {
    /// See [`Customer::customer_id`].
    pub fn customer_id(&self) -> &'a str {
        self.store.customer_id.value(self.i)
    }
    /// See [`Customer::name`].
    pub fn name(&self) -> &'a str {
        self.store.name.value(self.i)
    }
    /// See [`Customer::bank_accounts`].
    pub fn bank_accounts(&self) -> impl ExactSizeIterator<Item = &'a str> + Clone + 'a {
        self.store.bank_accounts.get(self.i)
    }
    /// See [`Customer::aliases`].
    pub fn aliases(&self) -> impl ExactSizeIterator<Item = &'a str> + Clone + 'a {
        self.store.aliases.get(self.i)
    }
    /// See [`Customer::segment`].
    pub fn segment(&self) -> Option<&'a str> {
        let a = &self.store.segment;
        (!a.is_null(self.i)).then(|| a.value(self.i))
    }
    /// See [`Customer::parent_id`].
    pub fn parent_id(&self) -> Option<&'a str> {
        let a = &self.store.parent_id;
        (!a.is_null(self.i)).then(|| a.value(self.i))
    }
    /// The row, owned.
    pub fn to_row(&self) -> Customer {
        Customer {
            customer_id: self.customer_id().to_string(),
            name: self.name().to_string(),
            bank_accounts: self.bank_accounts().map(str::to_string).collect(),
            aliases: self.aliases().map(str::to_string).collect(),
            segment: self.segment().map(str::to_string),
            parent_id: self.parent_id().map(str::to_string),
        }
    }
}

impl Customers {
    /// Rows.
    pub fn len(&self) -> usize {
        self.customer_id.len()
    }
    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.customer_id.is_empty()
    }
    /// Row `i`. Panics when out of range, like slice indexing.
    #[inline]
    pub fn get(&self, i: usize) -> CustomerView<'_> {
        assert!(i < self.len(), "customer {i} of {}", self.len());
        CustomerView { store: self, i }
    }
    /// Every row, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = CustomerView<'_>> + '_ {
        (0..self.len()).map(move |i| CustomerView { store: self, i })
    }
    /// Row `i`, owned.
    pub fn row(&self, i: usize) -> Customer {
        self.get(i).to_row()
    }
}

impl From<Vec<Customer>> for Customers {
    fn from(rows: Vec<Customer>) -> Self {
        rows.into_iter().collect()
    }
}

impl FromIterator<Customer> for Customers {
    fn from_iter<I: IntoIterator<Item = Customer>>(iter: I) -> Self {
        let mut b = CustomersBuilder::default();
        for c in iter {
            b.push(&c);
        }
        b.finish()
    }
}

/// Builds [`Customers`] row by row.
#[derive(Debug, Default)]
pub struct CustomersBuilder {
    customer_id: StringBuilder,
    name: StringBuilder,
    bank_accounts: TextListBuilder,
    aliases: TextListBuilder,
    segment: StringBuilder,
    parent_id: StringBuilder,
}

impl CustomersBuilder {
    /// Appends one customer.
    pub fn push(&mut self, c: &Customer) {
        self.customer_id.append_value(&c.customer_id);
        self.name.append_value(&c.name);
        self.bank_accounts
            .push(c.bank_accounts.iter().map(String::as_str));
        self.aliases.push(c.aliases.iter().map(String::as_str));
        self.segment.append_option(c.segment.as_deref());
        self.parent_id.append_option(c.parent_id.as_deref());
    }
    /// The finished store.
    pub fn finish(mut self) -> Customers {
        Customers {
            customer_id: packed(self.customer_id.finish()),
            name: packed(self.name.finish()),
            bank_accounts: self.bank_accounts.finish(),
            aliases: self.aliases.finish(),
            segment: packed(self.segment.finish()),
            parent_id: packed(self.parent_id.finish()),
        }
    }
}

macro_rules! store_iter {
    ($store:ty, $view:ident) => {
        impl<'a> IntoIterator for &'a $store {
            type Item = $view<'a>;
            type IntoIter = std::iter::Map<
                std::iter::Zip<std::ops::Range<usize>, std::iter::Repeat<&'a $store>>,
                fn((usize, &'a $store)) -> $view<'a>,
            >;
            fn into_iter(self) -> Self::IntoIter {
                let view: fn((usize, &'a $store)) -> $view<'a> = |(i, store)| $view { store, i };
                (0..self.len()).zip(std::iter::repeat(self)).map(view)
            }
        }
    };
}
store_iter!(Transactions, TxnView);
store_iter!(OpenItems, ItemView);
store_iter!(Customers, CustomerView);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::HoldReason;

    #[test]
    fn rows_round_trip_through_the_columns() {
        let t = BankTransaction {
            transaction_id: "T1".into(),
            bank_reference: "R1".into(),
            source_file: "a.csv".into(),
            source_line: 7,
            account: "DE01".into(),
            currency: "EUR".into(),
            amount: Decimal::new(12345, 2),
            booking_date: NaiveDate::from_ymd_opt(2026, 3, 1),
            value_date: None,
            counterparty_name: "ACME".into(),
            counterparty_account: "DE02".into(),
            remittance_info: "INV-1 INV-2".into(),
            structured_refs: vec!["RF18539007547034".into(), "X".into()],
            end_to_end_id: "E2E".into(),
        };
        let u = BankTransaction {
            structured_refs: vec![],
            currency: "USD".into(),
            ..t.clone()
        };
        let store: Transactions = vec![t.clone(), u.clone(), t.clone()].into();
        assert_eq!(store.len(), 3);
        assert_eq!(store.row(0), t);
        assert_eq!(store.row(1), u);
        assert_eq!(store.row(2), t);
        assert_eq!(store.currency_dict().values().len(), 2, "interned");
        let kept = store.filter(|v| v.currency() == "EUR");
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.row(1), t);

        let item = OpenItem {
            invoice_id: "INV-1".into(),
            customer_id: "C1".into(),
            po_number: Some("PO1".into()),
            amount_open: Decimal::ONE,
            ..Default::default()
        };
        let held = OpenItem {
            invoice_id: "INV-2".into(),
            po_number: None,
            hold: Some(ItemHold {
                reason: HoldReason::InvalidScale,
                detail: "d".into(),
            }),
            ..item.clone()
        };
        let items: OpenItems = vec![item.clone(), held.clone()].into();
        assert_eq!(items.row(0), item);
        assert_eq!(items.row(1), held);
        assert!(items.get(0).hold().is_none());

        let c = Customer {
            customer_id: "C1".into(),
            name: "Acme".into(),
            bank_accounts: vec!["DE01".into(), "DE02".into()],
            aliases: vec![],
            segment: Some("pilot".into()),
            parent_id: Some("C0".into()),
        };
        let customers: Customers = vec![c.clone(), Customer::default()].into();
        assert_eq!(customers.row(0), c);
        assert_eq!(customers.row(1), Customer::default());
    }
}
