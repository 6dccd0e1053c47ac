//! Legal entities (issue 11, part 4): which company a bank transaction and
//! an open item belong to, and whether a receipt may clear an invoice.
//!
//! A shared-service centre applies cash for many companies. An open item
//! belongs to the company its extract row names (`company_code`, text, so
//! `0100` stays `0100`), else to `[company] default_code`. A bank
//! transaction belongs to the company that owns the receiving account
//! (`[company.accounts]`); a receipt on an account that is not listed
//! belongs to the default company, like an item without a code, so a
//! configuration without `[company]` is one company and runs as before.
//!
//! [`company_of`] is the single source of that answer: the run's table
//! ([`Companies`]), the output columns and a partitioned run (issue 12)
//! all ask it. Matching stays within the receiving company unless
//! `[intercompany]` allows the pair ([`Companies::allows`]): the filter sits
//! where candidates are looked up (the references a transaction quotes, a
//! customer's open items), and the ledger refuses any line that crosses
//! companies anyway, so no pass can apply across them.

use crate::columns::{ItemView, OpenItems, Transactions, TxnView};
use crate::config::{CompanyConfig, IntercompanyConfig};
use crate::model::{Batch, ItemIdx, TxnIdx};
use arrow_array::Array;
use std::collections::HashMap;

/// What a company is asked of.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    /// A bank transaction: the company of its receiving account.
    Transaction(TxnView<'a>),
    /// An open item: its `company_code`, else the default.
    OpenItem(ItemView<'a>),
    /// A receiving bank account (a statement, a partition of bank lines
    /// before they are a store).
    Account(&'a str),
}

impl<'a> From<TxnView<'a>> for Holder<'a> {
    fn from(t: TxnView<'a>) -> Self {
        Holder::Transaction(t)
    }
}

impl<'a> From<ItemView<'a>> for Holder<'a> {
    fn from(i: ItemView<'a>) -> Self {
        Holder::OpenItem(i)
    }
}

/// The comparable form of a bank account: spaces removed, letters in upper
/// case (`DE89 3704 ...` and `de8937...` are one IBAN).
pub fn account_key(account: &str) -> String {
    account
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// The company code of a transaction, an open item or a receiving
/// account: the one rule of the project (see the module documentation).
/// Partitioning by company (issue 12) calls this.
pub fn company_of<'a>(config: &'a CompanyConfig, holder: impl Into<Holder<'a>>) -> &'a str {
    match holder.into() {
        Holder::OpenItem(item) => {
            let code = item.company_code();
            if code.is_empty() {
                config.default_code.as_str()
            } else {
                code
            }
        }
        Holder::Transaction(t) => account_company(config, t.account()),
        Holder::Account(account) => account_company(config, account),
    }
}

fn account_company<'a>(config: &'a CompanyConfig, account: &str) -> &'a str {
    if let Some(code) = config.accounts.get(account) {
        return code;
    }
    if config.accounts.is_empty() {
        return &config.default_code;
    }
    let key = account_key(account);
    config
        .accounts
        .iter()
        .find(|(a, _)| account_key(a) == key)
        .map_or(config.default_code.as_str(), |(_, c)| c.as_str())
}

/// The legal entities of one run: every transaction's and open item's
/// company as an index into the sorted codes, and which (receiving,
/// invoice) pairs may apply. Built once per run by [`Companies::build`].
#[derive(Debug, Clone, Default)]
pub struct Companies {
    codes: Vec<String>,
    txn: Vec<u32>,
    item: Vec<u32>,
    /// `allowed[r * n + i]`: a receipt of company `r` may clear an invoice
    /// of company `i`. Empty (no company built): everything allowed.
    allowed: Vec<bool>,
    /// Every pair allowed (`[intercompany] allow` without pairs, or one
    /// company): candidates never depend on the receiving company.
    open: bool,
    config: CompanyConfig,
}

impl Companies {
    /// Every transaction's and open item's company, through [`company_of`].
    pub fn build(batch: &Batch, config: &CompanyConfig, intercompany: &IntercompanyConfig) -> Self {
        Companies::build_from(&batch.transactions, &batch.open_items, config, intercompany)
    }

    /// The companies of bank transactions alone (`ingest`, which has no
    /// open items).
    pub fn of_transactions(transactions: &Transactions, config: &CompanyConfig) -> Self {
        Companies::build_from(
            transactions,
            &OpenItems::default(),
            config,
            &IntercompanyConfig::default(),
        )
    }

    /// [`Companies::build`] from the two stores.
    pub fn build_from(
        transactions: &Transactions,
        open_items: &OpenItems,
        config: &CompanyConfig,
        intercompany: &IntercompanyConfig,
    ) -> Self {
        // The account column is interned: resolve each distinct account once.
        let accounts = transactions.account_dict();
        let by_account: Vec<&str> = (0..accounts.values().len())
            .map(|k| company_of(config, Holder::Account(accounts.values().value(k))))
            .collect();
        let item_codes = open_items.company_code_dict();
        let by_item_code: Vec<&str> = (0..item_codes.values().len())
            .map(|k| match item_codes.values().value(k) {
                "" => config.default_code.as_str(),
                code => code,
            })
            .collect();
        let mut codes: Vec<&str> = by_account
            .iter()
            .chain(by_item_code.iter())
            .copied()
            .chain(std::iter::once(config.default_code.as_str()))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        let index: HashMap<&str, u32> = codes
            .iter()
            .enumerate()
            .map(|(k, c)| (*c, k as u32))
            .collect();
        let account_ix: Vec<u32> = by_account.iter().map(|c| index[c]).collect();
        let item_code_ix: Vec<u32> = by_item_code.iter().map(|c| index[c]).collect();
        let txn = accounts
            .keys()
            .iter()
            .map(|&k| account_ix[k as usize])
            .collect();
        let item = item_codes
            .keys()
            .iter()
            .map(|&k| item_code_ix[k as usize])
            .collect();
        let n = codes.len();
        let mut allowed = vec![false; n * n];
        for r in 0..n {
            for i in 0..n {
                allowed[r * n + i] = intercompany.allows(codes[r], codes[i]);
            }
        }
        let open = allowed.iter().all(|&a| a);
        Companies {
            codes: codes.into_iter().map(str::to_string).collect(),
            txn,
            item,
            open,
            allowed,
            config: config.clone(),
        }
    }

    /// The company codes of the run, sorted (the manifest lists them).
    pub fn codes(&self) -> &[String] {
        &self.codes
    }

    /// The code of company index `c`; the default code for a run whose
    /// table was never built.
    pub fn code(&self, c: u32) -> &str {
        self.codes
            .get(c as usize)
            .map_or(self.config.default_code.as_str(), String::as_str)
    }

    /// The company index of transaction `t`.
    #[inline]
    pub fn of_txn(&self, t: TxnIdx) -> u32 {
        self.txn.get(t as usize).copied().unwrap_or(0)
    }

    /// The company index of open item `i`.
    #[inline]
    pub fn of_item(&self, i: ItemIdx) -> u32 {
        self.item.get(i as usize).copied().unwrap_or(0)
    }

    /// The company code of transaction `t`.
    pub fn txn_code(&self, t: TxnIdx) -> &str {
        self.code(self.of_txn(t))
    }

    /// The company code of open item `i`.
    pub fn item_code(&self, i: ItemIdx) -> &str {
        self.code(self.of_item(i))
    }

    /// The company code of a receiving bank account (a statement).
    pub fn account_code<'a>(&'a self, account: &'a str) -> &'a str {
        company_of(&self.config, Holder::Account(account))
    }

    /// May transaction `t` clear open item `i`? Within one company always;
    /// across companies only as `[intercompany]` allows.
    #[inline]
    pub fn allows(&self, t: TxnIdx, i: ItemIdx) -> bool {
        if self.allowed.is_empty() {
            return true;
        }
        let (r, c) = (self.of_txn(t) as usize, self.of_item(i) as usize);
        r == c || self.allowed[r * self.codes.len() + c]
    }

    /// The group of transactions that may clear the same companies'
    /// invoices: the receiving company, or 0 for all when every pair is
    /// allowed. Passes that match several payments together group by it.
    #[inline]
    pub fn candidate_group(&self, t: TxnIdx) -> u32 {
        if self.open || self.allowed.is_empty() {
            0
        } else {
            self.of_txn(t)
        }
    }

    /// True when the run has more than one company.
    pub fn is_multi(&self) -> bool {
        self.codes.len() > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BankTransaction, OpenItem};

    fn config() -> CompanyConfig {
        CompanyConfig {
            default_code: "1000".into(),
            accounts: [("DE89 3704 0044".to_string(), "0100".to_string())].into(),
        }
    }

    #[test]
    fn items_keep_their_code_as_text_and_default_when_empty() {
        let items: crate::columns::OpenItems = vec![
            OpenItem {
                company_code: "0100".into(),
                ..Default::default()
            },
            OpenItem::default(),
        ]
        .into();
        let c = config();
        assert_eq!(company_of(&c, items.get(0)), "0100");
        assert_eq!(company_of(&c, items.get(1)), "1000");
    }

    #[test]
    fn transactions_take_the_company_of_the_receiving_account() {
        let txns: crate::columns::Transactions = vec![
            BankTransaction {
                account: "de8937040044".into(),
                ..Default::default()
            },
            BankTransaction {
                account: "GB00".into(),
                ..Default::default()
            },
        ]
        .into();
        let c = config();
        assert_eq!(
            company_of(&c, txns.get(0)),
            "0100",
            "spaces and case ignored"
        );
        assert_eq!(
            company_of(&c, txns.get(1)),
            "1000",
            "unknown account: default"
        );
    }
}
