//! What the camt reader collects per element, and the pure rules that turn a
//! finished `Ntry` into transactions and a finished statement into its
//! balance check. Nothing here touches XML, so each rule can be read (and
//! tested) on its own.

use crate::{
    BalanceCheck, EntryStatus, ReferredDocument, StatementTransaction, TransactionDetails,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// `EndToEndId` placeholder that SEPA uses when the payer gave none; it is
/// not a reference and must not be matched on.
const END_TO_END_NOT_PROVIDED: &str = "NOTPROVIDED";

/// Direction of money from `CdtDbtInd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    Credit,
    Debit,
}

impl Sign {
    /// Applies the direction to an unsigned camt amount. This is the one
    /// place where a camt amount gets its sign.
    pub(crate) fn apply(self, value: Decimal) -> Decimal {
        match self {
            Sign::Credit => value,
            Sign::Debit => -value,
        }
    }
}

/// An unsigned camt amount with its `Ccy` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Money {
    pub value: Decimal,
    pub ccy: String,
}

/// `BkTxCd` as written: ISO domain/family/sub-family and/or a proprietary code.
#[derive(Debug, Clone, Default)]
pub(crate) struct BankTxCode {
    pub domain: String,
    pub family: String,
    pub sub_family: String,
    pub proprietary: String,
}

impl BankTxCode {
    /// `PMNT/RCDT/DMCT` when the ISO code is given, else the proprietary code.
    pub(crate) fn render(&self) -> String {
        if self.domain.is_empty() && self.family.is_empty() && self.sub_family.is_empty() {
            return self.proprietary.clone();
        }
        let parts = [&self.domain, &self.family, &self.sub_family];
        let mut out = String::new();
        for part in parts.iter().filter(|p| !p.is_empty()) {
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(part);
        }
        out
    }
}

/// One `TxDtls` as read.
#[derive(Debug, Clone, Default)]
pub(crate) struct TxData {
    pub locator: String,
    pub line: u64,
    /// `TxDtls/Amt` (001.04 and later).
    pub amount: Option<Money>,
    /// `TxDtls/AmtDtls/TxAmt/Amt`, the 001.02 way of giving a detail amount.
    pub amount_tx: Option<Money>,
    pub sign: Option<Sign>,
    pub acct_svcr_ref: String,
    pub end_to_end_id: String,
    pub code: BankTxCode,
    pub debtor_name: String,
    pub debtor_account: String,
    pub creditor_name: String,
    pub creditor_account: String,
    /// `Ustrd` lines, trimmed and joined by one space.
    pub unstructured: String,
    /// `Strd/CdtrRefInf/Ref` and `Strd/RfrdDocInf/Nb` in document order.
    pub structured_refs: Vec<String>,
    pub additional_info: String,
    /// `Strd` documents (`RfrdDocInf` with type and `RfrdDocAmt`,
    /// `CdtrRefInf` with its type) in document order.
    pub documents: Vec<ReferredDocument>,
    /// `RfrdDocInf/Tp` read before its `Nb`.
    pub pending_doc_type: String,
    /// `CdtrRefInf/Tp` read before its `Ref`.
    pub pending_ref_type: String,
    /// The `RfrdDocInf` document a following `RfrdDocAmt` belongs to.
    pub open_document: Option<usize>,
    pub ultimate_debtor: String,
    pub ultimate_creditor: String,
    /// `RtrInf` present: a returned payment.
    pub returned: bool,
    pub return_reason: String,
}

impl TxData {
    /// The amount this detail states, if any.
    pub(crate) fn stated_amount(&self) -> Option<&Money> {
        self.amount.as_ref().or(self.amount_tx.as_ref())
    }

    /// `Ustrd` followed by `AddtlTxInf` unless the one already holds the
    /// other: banks put references in either (issue 9: a `Ref.-Nr.` in
    /// `AddtlTxInf` was lost when a `Ustrd` existed).
    fn remittance(&self) -> String {
        let mut out = self.unstructured.clone();
        append_new(&mut out, &self.additional_info);
        out
    }
}

/// One `Ntry` as read, with its `TxDtls`.
#[derive(Debug, Clone, Default)]
pub(crate) struct EntryData {
    pub locator: String,
    pub line: u64,
    pub amount: Option<Money>,
    pub sign: Option<Sign>,
    pub reversal: bool,
    /// `Sts` or `Sts/Cd` text; empty when absent.
    pub status: String,
    pub booking_date: Option<NaiveDate>,
    pub value_date: Option<NaiveDate>,
    pub acct_svcr_ref: String,
    pub code: BankTxCode,
    pub amount_instructed: Option<Money>,
    pub amount_tx: Option<Money>,
    pub amount_counter_value: Option<Money>,
    pub additional_info: String,
    pub details: Vec<TxData>,
}

impl EntryData {
    /// Amounts of `Ntry/AmtDtls` that may be in the account currency when
    /// `Ntry/Amt` is not, with the element each came from. The order is the
    /// preference: the booked transaction amount, the counter value, then the
    /// instructed amount (UBS gives only the last).
    pub(crate) fn amount_details(&self) -> [(Option<&Money>, &'static str); 3] {
        [
            (self.amount_tx.as_ref(), "AmtDtls/TxAmt"),
            (self.amount_counter_value.as_ref(), "AmtDtls/CntrValAmt"),
            (self.amount_instructed.as_ref(), "AmtDtls/InstdAmt"),
        ]
    }
}

/// Maps `Sts` to a status; `None` for a code the reader does not know.
/// A missing `Sts` (schema-invalid, LT central bank) counts as booked,
/// which is what the bank's own closing balance assumes.
pub(crate) fn entry_status(code: &str) -> Option<EntryStatus> {
    match code {
        "" | "BOOK" => Some(EntryStatus::Booked),
        "PDNG" | "FUTR" => Some(EntryStatus::Pending),
        "INFO" => Some(EntryStatus::Info),
        _ => None,
    }
}

/// How the `TxDtls` of one entry become transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// No `TxDtls`: one transaction from the entry.
    EntryOnly,
    /// One `TxDtls` without its own amount: one transaction with the entry
    /// amount and the detail's references.
    SingleDetail,
    /// Every `TxDtls` states an amount in the entry currency and their signed
    /// sum is the entry amount: one transaction per `TxDtls`.
    PerDetail,
    /// Amounts missing or not adding up: the entry is kept whole as one
    /// transaction with the entry amount, never double-counted.
    Whole,
}

/// Decides how an entry with an amount is split (RELIABILITY row 21).
pub(crate) fn plan_split(entry: &EntryData, entry_amount: &Money, entry_sign: Sign) -> Split {
    match entry.details.as_slice() {
        [] => Split::EntryOnly,
        [only] if only.stated_amount().is_none() => Split::SingleDetail,
        details => match details_sum(details, entry_sign, Some(&entry_amount.ccy)) {
            Some(sum) if sum == entry_sign.apply(entry_amount.value) => Split::PerDetail,
            _ => Split::Whole,
        },
    }
}

/// Signed sum of the detail amounts, or `None` when one has no amount or
/// (given `ccy`) is in another currency. A detail without `CdtDbtInd`
/// takes the entry's direction.
pub(crate) fn details_sum(
    details: &[TxData],
    entry_sign: Sign,
    ccy: Option<&str>,
) -> Option<Decimal> {
    let mut sum = Decimal::ZERO;
    for detail in details {
        let money = detail.stated_amount()?;
        if ccy.is_some_and(|c| c != money.ccy) {
            return None;
        }
        sum = sum.checked_add(detail.sign.unwrap_or(entry_sign).apply(money.value))?;
    }
    Some(sum)
}

/// Says why the details of an entry kept whole do not stand for it, for
/// the warning: `3 TxDtls amounts sum to 9.5 CHF`.
pub(crate) fn describe_details(details: &[TxData], entry_sign: Sign) -> String {
    let n = details.len();
    let Some(first) = details
        .iter()
        .map(TxData::stated_amount)
        .collect::<Option<Vec<_>>>()
    else {
        return format!("{n} `TxDtls`, not all with an amount");
    };
    let ccy = first.first().map_or("", |m| m.ccy.as_str());
    if first.iter().any(|m| m.ccy != ccy) {
        return format!("{n} `TxDtls` amounts in several currencies");
    }
    match details_sum(details, entry_sign, None) {
        Some(sum) => format!("{n} `TxDtls` amounts sum to {sum} {ccy}"),
        None => format!("{n} `TxDtls` amounts overflow"),
    }
}

/// Builds one transaction from an entry and (optionally) one of its
/// details; detail fields win, entry fields are the fallback.
pub(crate) fn transaction(
    entry: &EntryData,
    detail: Option<&TxData>,
    sign: Sign,
    amount: &Money,
    status: EntryStatus,
) -> (StatementTransaction, TransactionDetails) {
    let empty = TxData::default();
    let detail = detail.unwrap_or(&empty);
    // The other party is the payer on a credit and the payee on a debit.
    let (counterparty_name, counterparty_account) = match sign {
        Sign::Credit => (&detail.debtor_name, &detail.debtor_account),
        Sign::Debit => (&detail.creditor_name, &detail.creditor_account),
    };
    let mut remittance = detail.remittance();
    append_new(&mut remittance, &entry.additional_info);
    let mut details = TransactionDetails {
        documents: detail.documents.clone(),
        returned: detail.returned,
        return_reason: detail.return_reason.clone(),
        ..TransactionDetails::default()
    };
    let ultimate = match sign {
        Sign::Credit => &detail.ultimate_debtor,
        Sign::Debit => &detail.ultimate_creditor,
    };
    let (ultimate_tag, holder_tag, account_tag) = match sign {
        Sign::Credit => ("UltmtDbtr", "Dbtr", "DbtrAcct"),
        Sign::Debit => ("UltmtCdtr", "Cdtr", "CdtrAcct"),
    };
    let mut counterparty_name = counterparty_name.clone();
    if !counterparty_name.is_empty() {
        details.name_source = holder_tag.to_string();
    }
    if !counterparty_account.is_empty() {
        details.account_source = account_tag.to_string();
    }
    if is_party_name(ultimate) && sign == Sign::Debit {
        // The payee's ultimate creditor is recorded; the receivable side
        // only ever needs the payer.
        details.ultimate_party.clone_from(ultimate);
    } else if is_party_name(ultimate) && !ultimate.eq_ignore_ascii_case(&counterparty_name) {
        // The ultimate debtor owes the receivable; the account holder may be
        // a payment factory or PSP paying for many (issue 9).
        details.ultimate_party.clone_from(ultimate);
        details.account_holder = std::mem::replace(&mut counterparty_name, ultimate.clone());
        details.name_source = ultimate_tag.to_string();
    }
    let code = match detail.code.render() {
        c if c.is_empty() => entry.code.render(),
        c => c,
    };
    let tx = StatementTransaction {
        source_line: if detail.line > 0 {
            detail.line
        } else {
            entry.line
        },
        locator: if detail.locator.is_empty() {
            entry.locator.clone()
        } else {
            detail.locator.clone()
        },
        currency: amount.ccy.clone(),
        amount: sign.apply(amount.value),
        booking_date: entry.booking_date,
        value_date: entry.value_date,
        counterparty_name,
        counterparty_account: counterparty_account.clone(),
        remittance_info: remittance,
        structured_refs: detail.structured_refs.clone(),
        end_to_end_id: end_to_end(&detail.end_to_end_id).to_string(),
        bank_reference: if detail.acct_svcr_ref.is_empty() {
            entry.acct_svcr_ref.clone()
        } else {
            detail.acct_svcr_ref.clone()
        },
        bank_tx_code: code,
        status,
        // RvslInd only marks the entry as a reversal: CdtDbtInd already gives
        // the direction it was booked in (OCA oca-test-camt053_001_02.xml has
        // RvslInd=true with DBIT), so the sign is not flipped a second time
        // (FORMATS.md section 2, RELIABILITY row 22).
        reversal: entry.reversal,
        ..StatementTransaction::default()
    };
    (tx, details)
}

/// Appends `text` with one space unless `out` already contains it.
fn append_new(out: &mut String, text: &str) {
    let text = text.trim();
    if text.is_empty() || out.contains(text) {
        return;
    }
    // Compare without inner line breaks and runs of spaces, the way
    // `join_space` wrote `out`.
    let mut flat = String::new();
    join_space(&mut flat, text);
    if out.contains(flat.as_str()) {
        return;
    }
    join_space(out, &flat);
}

/// Placeholders banks write where a party has no name.
const NO_NAME_PLACEHOLDERS: [&str; 3] =
    ["keine Information vorhanden", "NOTPROVIDED", "NOT PROVIDED"];

/// A real party name, not empty and not a placeholder.
fn is_party_name(name: &str) -> bool {
    !name.trim().is_empty()
        && !NO_NAME_PLACEHOLDERS
            .iter()
            .any(|p| name.trim().eq_ignore_ascii_case(p))
}

/// Merges the details of an entry kept whole into one pseudo-detail:
/// remittance texts and references are joined so matching still sees them;
/// a counterparty is kept only when all details agree on it.
pub(crate) fn merge_details(entry: &EntryData) -> TxData {
    let mut merged = TxData::default();
    let mut ends: Vec<&str> = Vec::new();
    for detail in &entry.details {
        join_space(&mut merged.unstructured, &detail.remittance());
        merged
            .structured_refs
            .extend(detail.structured_refs.iter().cloned());
        merged.documents.extend(detail.documents.iter().cloned());
        merged.returned |= detail.returned;
        let e2e = end_to_end(&detail.end_to_end_id);
        if !e2e.is_empty() && !ends.contains(&e2e) {
            ends.push(e2e);
        }
    }
    merged.end_to_end_id = ends.join(" ");
    merged.acct_svcr_ref = if entry.acct_svcr_ref.is_empty() {
        unique(entry.details.iter().map(|d| d.acct_svcr_ref.as_str()))
    } else {
        entry.acct_svcr_ref.clone()
    };
    merged.debtor_name = unique(entry.details.iter().map(|d| d.debtor_name.as_str()));
    merged.ultimate_debtor = unique(entry.details.iter().map(|d| d.ultimate_debtor.as_str()));
    merged.ultimate_creditor = unique(entry.details.iter().map(|d| d.ultimate_creditor.as_str()));
    merged.return_reason = unique(entry.details.iter().map(|d| d.return_reason.as_str()));
    merged.debtor_account = unique(entry.details.iter().map(|d| d.debtor_account.as_str()));
    merged.creditor_name = unique(entry.details.iter().map(|d| d.creditor_name.as_str()));
    merged.creditor_account = unique(entry.details.iter().map(|d| d.creditor_account.as_str()));
    if entry.code.render().is_empty() {
        if let Some(first) = entry.details.first() {
            merged.code = first.code.clone();
        }
    }
    merged
}

/// The value when every item has the same one, else empty.
fn unique<'s>(mut values: impl Iterator<Item = &'s str>) -> String {
    let first = values.next().unwrap_or("");
    if values.all(|v| v == first) {
        first.to_string()
    } else {
        String::new()
    }
}

fn end_to_end(id: &str) -> &str {
    if id == END_TO_END_NOT_PROVIDED {
        ""
    } else {
        id
    }
}

/// Appends `text` to `out` with one separating space; empty text is
/// skipped. Line breaks inside the text (Raiffeisen puts the card details of
/// an `AddtlNtryInf` on a second line) become one space too, so remittance
/// text is always one line for matching and for CSV-like outputs.
pub(crate) fn join_space(out: &mut String, text: &str) {
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
}

/// One balance (`Bal`) as read.
#[derive(Debug, Clone, Default)]
pub(crate) struct BalanceData {
    pub locator: String,
    pub line: u64,
    /// `Tp/CdOrPrtry/Cd` (OPBD, PRCD, CLBD, ...) or the proprietary code.
    pub code: String,
    pub amount: Option<Money>,
    pub sign: Option<Sign>,
}

/// A balance the check uses, already signed.
#[derive(Debug, Clone)]
pub(crate) struct SignedBalance {
    pub code: String,
    pub value: Decimal,
    pub ccy: String,
}

/// The money an entry contributes to its statement's balance check,
/// resolved once the account currency is known.
#[derive(Debug, Clone)]
pub(crate) struct EntryMoney {
    pub locator: String,
    pub line: u64,
    pub booked: bool,
    pub sign: Sign,
    pub amount: Money,
    /// `Ntry/AmtDtls` amounts (see [`EntryData::amount_details`]).
    pub alternatives: Vec<(Money, &'static str)>,
}

/// Result of the statement's own arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckOutcome {
    pub check: BalanceCheck,
    pub detail: String,
}

/// opening + Σ booked entries == closing, in exact decimals. The detail
/// reads like the sample notes: `OPBD 18.15 + entries 8.85 = 27.00 vs CLBD
/// -27.00 (diff -54.00)`, where the diff is closing minus computed.
pub(crate) fn balance_check(
    opening: Option<&SignedBalance>,
    closing: Option<&SignedBalance>,
    entries_sum: Decimal,
) -> CheckOutcome {
    let (opening, closing) = match (opening, closing) {
        (Some(o), Some(c)) => (o, c),
        (o, c) => {
            let detail = match (o, c) {
                (None, None) => "no opening (OPBD or PRCD) and no closing (CLBD) balance",
                (None, _) => "no opening balance (OPBD or PRCD)",
                _ => "no closing balance (CLBD)",
            };
            return CheckOutcome {
                check: BalanceCheck::NotCheckable,
                detail: detail.to_string(),
            };
        }
    };
    let Some(computed) = opening.value.checked_add(entries_sum) else {
        return CheckOutcome {
            check: BalanceCheck::Fail,
            detail: "opening + entries overflows".to_string(),
        };
    };
    if computed == closing.value {
        return CheckOutcome {
            check: BalanceCheck::Pass,
            detail: String::new(),
        };
    }
    let diff = closing
        .value
        .checked_sub(computed)
        .map_or_else(|| "overflow".to_string(), |d| d.to_string());
    CheckOutcome {
        check: BalanceCheck::Fail,
        detail: format!(
            "{} {} + entries {} = {} vs {} {} (diff {})",
            opening.code, opening.value, entries_sum, computed, closing.code, closing.value, diff
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(v: &str, ccy: &str) -> Money {
        Money {
            value: v.parse().unwrap(),
            ccy: ccy.into(),
        }
    }

    fn detail(v: Option<&str>, sign: Option<Sign>) -> TxData {
        TxData {
            amount: v.map(|v| money(v, "EUR")),
            sign,
            ..TxData::default()
        }
    }

    #[test]
    fn split_rules() {
        let amount = money("6.00", "EUR");
        let mut entry = EntryData::default();
        assert_eq!(plan_split(&entry, &amount, Sign::Debit), Split::EntryOnly);
        entry.details = vec![detail(None, None)];
        assert_eq!(
            plan_split(&entry, &amount, Sign::Debit),
            Split::SingleDetail
        );
        entry.details = vec![detail(Some("3.50"), None), detail(Some("2.50"), None)];
        assert_eq!(plan_split(&entry, &amount, Sign::Debit), Split::PerDetail);
        // Mixed directions under a net entry (LT camt.054).
        entry.details = vec![
            detail(Some("10.00"), Some(Sign::Credit)),
            detail(Some("16.00"), Some(Sign::Debit)),
        ];
        assert_eq!(plan_split(&entry, &amount, Sign::Debit), Split::PerDetail);
        entry.details = vec![detail(Some("3.50"), None), detail(None, None)];
        assert_eq!(plan_split(&entry, &amount, Sign::Debit), Split::Whole);
        entry.details = vec![detail(Some("3.50"), None), detail(Some("2.49"), None)];
        assert_eq!(plan_split(&entry, &amount, Sign::Debit), Split::Whole);
        let mut other_ccy = detail(Some("6.00"), None);
        other_ccy.amount = Some(money("6.00", "CHF"));
        entry.details = vec![other_ccy];
        assert_eq!(plan_split(&entry, &amount, Sign::Debit), Split::Whole);
    }

    #[test]
    fn check_detail_reads_like_the_notes() {
        let bal = |code: &str, v: &str| SignedBalance {
            code: code.into(),
            value: v.parse().unwrap(),
            ccy: "EUR".into(),
        };
        let out = balance_check(
            Some(&bal("OPBD", "18.15")),
            Some(&bal("CLBD", "-27.00")),
            "8.85".parse().unwrap(),
        );
        assert_eq!(out.check, BalanceCheck::Fail);
        assert_eq!(
            out.detail,
            "OPBD 18.15 + entries 8.85 = 27.00 vs CLBD -27.00 (diff -54.00)"
        );
        let out = balance_check(
            Some(&bal("PRCD", "8.50")),
            Some(&bal("CLBD", "13.500")),
            "5.00".parse().unwrap(),
        );
        assert_eq!(
            out,
            CheckOutcome {
                check: BalanceCheck::Pass,
                detail: String::new()
            }
        );
        assert_eq!(
            balance_check(None, Some(&bal("CLBD", "1")), Decimal::ZERO).check,
            BalanceCheck::NotCheckable
        );
    }

    #[test]
    fn bank_tx_code_forms() {
        let mut code = BankTxCode {
            proprietary: "NTRF+166".into(),
            ..BankTxCode::default()
        };
        assert_eq!(code.render(), "NTRF+166");
        code.domain = "PMNT".into();
        code.family = "RCDT".into();
        code.sub_family = "ESCT".into();
        assert_eq!(code.render(), "PMNT/RCDT/ESCT");
    }
}
