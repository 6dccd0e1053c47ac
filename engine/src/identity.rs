//! Stable transaction ids. The same statement line gets the same id in every
//! run, so re-runs, replays and warehouse merges line up.
//!
//! Identity is the bank reference scoped to the account. Without a
//! reference it is a content fingerprint (account, booking date, amount,
//! normalised text). Either way an occurrence index keeps genuinely identical
//! lines (two equal payments on one statement) apart instead of merging them.

use crate::model::{BankTransaction, Transactions};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Hex characters kept from the SHA-256: 96 bits, so a collision among even
/// 10^9 transactions is below one in 10^10.
const ID_HEX_CHARS: usize = 24;

/// The identity key of a transaction before its occurrence index.
pub fn identity_key(t: &BankTransaction) -> String {
    identity_key_of(
        &t.bank_reference,
        &t.account,
        t.booking_date,
        t.amount,
        &t.currency,
        &t.remittance_info,
    )
}

/// [`identity_key`] from the fields it reads (rows and column views alike).
pub fn identity_key_of(
    bank_reference: &str,
    account: &str,
    booking_date: Option<NaiveDate>,
    amount: Decimal,
    currency: &str,
    remittance_info: &str,
) -> String {
    if bank_reference.trim().is_empty() {
        format!(
            "fp|{}|{}|{}|{}|{}",
            account.trim(),
            booking_date.map(|d| d.to_string()).unwrap_or_default(),
            amount.normalize(),
            currency,
            crate::normalize::reference_key(remittance_info)
        )
    } else {
        // Scoped to account *and* currency: a multi-currency account keeps one
        // sub-ledger per currency, and the same reference in two of them is
        // two transactions (PayPal-style exports number them that way).
        format!(
            "ref|{}|{}|{}",
            account.trim(),
            currency,
            bank_reference.trim()
        )
    }
}

/// Fills `transaction_id` for every transaction in input order. The n-th
/// occurrence (n ≥ 1) of the same key gets `#n` mixed into its hash.
pub fn assign_transaction_ids(transactions: &mut [BankTransaction]) {
    let mut seen: HashMap<String, u32> = HashMap::with_capacity(transactions.len());
    for t in transactions.iter_mut() {
        let key = identity_key(t);
        let occurrence = seen.entry(key.clone()).and_modify(|n| *n += 1).or_insert(0);
        t.transaction_id = transaction_id(&key, *occurrence);
    }
}

/// [`assign_transaction_ids`] for a column store: every row gets its id.
pub fn assign_store_ids(transactions: &mut Transactions) {
    let mut seen: HashMap<String, u32> = HashMap::with_capacity(transactions.len());
    let ids: Vec<String> = transactions
        .iter()
        .map(|t| {
            let key = identity_key_of(
                t.bank_reference(),
                t.account(),
                t.booking_date(),
                t.amount(),
                t.currency(),
                t.remittance_info(),
            );
            let occurrence = seen.entry(key.clone()).and_modify(|n| *n += 1).or_insert(0);
            transaction_id(&key, *occurrence)
        })
        .collect();
    transactions.set_transaction_ids(ids.iter().map(String::as_str));
}

/// The id of the `occurrence`-th transaction with identity `key`.
pub fn transaction_id(key: &str, occurrence: u32) -> String {
    let mut hasher = Sha256::new();
    hasher.update(key.as_bytes());
    if occurrence > 0 {
        hasher.update(format!("#{occurrence}").as_bytes());
    }
    let digest = hasher.finalize();
    let mut id = String::with_capacity(ID_HEX_CHARS + 1);
    id.push('T');
    for byte in digest.iter().take(ID_HEX_CHARS / 2) {
        id.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        id.push(char::from_digit(u32::from(byte & 0xF), 16).unwrap_or('0'));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn txn(reference: &str, amount: i64) -> BankTransaction {
        BankTransaction {
            account: "DE01".into(),
            bank_reference: reference.into(),
            amount: Decimal::new(amount, 2),
            currency: "EUR".into(),
            ..Default::default()
        }
    }

    #[test]
    fn one_reference_in_two_currencies_is_two_transactions() {
        let mut a = [txn("R1", 5000), txn("R1", 5000)];
        a[1].currency = "USD".into();
        assign_transaction_ids(&mut a[..1]);
        assign_transaction_ids(&mut a[1..]);
        assert_ne!(a[0].transaction_id, a[1].transaction_id);
    }

    #[test]
    fn ids_are_stable_and_identical_lines_stay_apart() {
        let mut a = vec![txn("R1", 100), txn("", 5000), txn("", 5000)];
        let mut b = a.clone();
        assign_transaction_ids(&mut a);
        assign_transaction_ids(&mut b);
        assert_eq!(a, b);
        assert_ne!(a[1].transaction_id, a[2].transaction_id);
        assert_eq!(a[0].transaction_id.len(), 1 + ID_HEX_CHARS);
    }
}
