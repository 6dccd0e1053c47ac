//! The contracted outputs as Arrow tables built from engine records. They
//! are encoded with the pinned writer of `cashmatch_store::table` and
//! published by `cashmatch_store::publish`.

pub use cashmatch_store::manifest::WrittenFile;
pub use cashmatch_store::sha256_hex;
pub use cashmatch_store::table;

use crate::inputs::StatementRecord;
use cashmatch_engine::model::Transactions;
use cashmatch_engine::RunResult;
use table::Table;

fn scale(e: table::ScaleError) -> crate::CliError {
    crate::CliError::Output(e.to_string())
}

/// `transactions.parquet`: every ingested bank transaction.
pub fn transactions(t: &Transactions) -> Result<Table, crate::CliError> {
    let mut tb = Table::new();
    tb.text("transaction_id", t.iter().map(|x| x.transaction_id()));
    tb.text("bank_reference", t.iter().map(|x| x.bank_reference()));
    tb.text("source_file", t.iter().map(|x| x.source_file()));
    tb.u64("source_line", t.iter().map(|x| x.source_line()));
    tb.text("account", t.iter().map(|x| x.account()));
    tb.text("currency", t.iter().map(|x| x.currency()));
    tb.money("amount", t.iter().map(|x| x.amount()))
        .map_err(scale)?;
    tb.date_opt("booking_date", t.iter().map(|x| x.booking_date()));
    tb.date_opt("value_date", t.iter().map(|x| x.value_date()));
    tb.text("counterparty_name", t.iter().map(|x| x.counterparty_name()));
    tb.text(
        "counterparty_account",
        t.iter().map(|x| x.counterparty_account()),
    );
    tb.text("remittance_info", t.iter().map(|x| x.remittance_info()));
    let refs: Vec<String> = t
        .iter()
        .map(|x| x.structured_refs().collect::<Vec<_>>().join(";"))
        .collect();
    tb.text("structured_refs", refs.iter().map(String::as_str));
    tb.text("end_to_end_id", t.iter().map(|x| x.end_to_end_id()));
    Ok(tb)
}

/// `applications.parquet`: one row per (transaction, invoice).
pub fn applications(r: &RunResult) -> Result<Table, crate::CliError> {
    let a = &r.outcome.applications;
    let txn = |i: u32| r.batch.transactions.get(i as usize);
    let item = |i: u32| r.batch.open_items.get(i as usize);
    let mut tb = Table::new();
    tb.text(
        "transaction_id",
        a.iter().map(|x| txn(x.txn).transaction_id()),
    );
    tb.text(
        "bank_reference",
        a.iter().map(|x| txn(x.txn).bank_reference()),
    );
    tb.text("invoice_id", a.iter().map(|x| item(x.item).invoice_id()));
    tb.text("customer_id", a.iter().map(|x| item(x.item).customer_id()));
    tb.text("currency", a.iter().map(|x| item(x.item).currency()));
    tb.money("applied_amount", a.iter().map(|x| x.applied_amount))
        .map_err(scale)?;
    tb.money("discount_amount", a.iter().map(|x| x.discount_amount))
        .map_err(scale)?;
    tb.money("writeoff_amount", a.iter().map(|x| x.writeoff_amount))
        .map_err(scale)?;
    tb.money("deduction_amount", a.iter().map(|x| x.deduction_amount))
        .map_err(scale)?;
    tb.text_opt(
        "deduction_reason",
        a.iter().map(|x| x.deduction_reason.map(|d| d.as_str())),
    );
    tb.text("rule", a.iter().map(|x| x.rule.as_str()));
    tb.f64("confidence", a.iter().map(|x| x.confidence));
    // Worded here, into one buffer: the engine keeps explanations as data.
    tb.raw(
        "explanation",
        arrow_schema::DataType::Utf8,
        false,
        std::sync::Arc::new(cashmatch_engine::model::explanation_column(
            a,
            &r.batch.open_items,
        )),
    );
    Ok(tb)
}

/// `exceptions.parquet`: the unapplied money of each transaction.
pub fn exceptions(r: &RunResult) -> Result<Table, crate::CliError> {
    let e = &r.outcome.exceptions;
    let txn = |i: u32| r.batch.transactions.get(i as usize);
    let suggestions: Vec<String> = e
        .iter()
        .map(|x| serde_json::to_string(&x.suggestions).unwrap_or_else(|_| "[]".into()))
        .collect();
    let mut tb = Table::new();
    tb.text(
        "transaction_id",
        e.iter().map(|x| txn(x.txn).transaction_id()),
    );
    tb.text(
        "bank_reference",
        e.iter().map(|x| txn(x.txn).bank_reference()),
    );
    tb.money("amount", e.iter().map(|x| x.amount))
        .map_err(scale)?;
    tb.text("currency", e.iter().map(|x| txn(x.txn).currency()));
    tb.text("reason", e.iter().map(|x| x.reason.as_str()));
    tb.text_opt("customer_id", e.iter().map(|x| x.customer_id.as_deref()));
    tb.text("detail", e.iter().map(|x| x.detail.as_str()));
    tb.text("suggestions", suggestions.iter().map(String::as_str));
    Ok(tb)
}

/// `postings.parquet`: the balanced journal.
pub fn postings(r: &RunResult) -> Result<Table, crate::CliError> {
    let p = &r.outcome.postings;
    let mut tb = Table::new();
    tb.text("journal_id", p.iter().map(|x| x.journal_id.as_str()));
    tb.u32("line", p.iter().map(|x| x.line));
    tb.date_opt("posting_date", p.iter().map(|x| x.posting_date));
    tb.text("gl_account", p.iter().map(|x| x.gl_account.as_str()));
    tb.money("debit", p.iter().map(|x| x.debit))
        .map_err(scale)?;
    tb.money("credit", p.iter().map(|x| x.credit))
        .map_err(scale)?;
    tb.text("currency", p.iter().map(|x| x.currency.as_str()));
    tb.text(
        "transaction_id",
        p.iter().map(|x| x.transaction_id.as_str()),
    );
    tb.text_opt("invoice_id", p.iter().map(|x| x.invoice_id.as_deref()));
    tb.text_opt("customer_id", p.iter().map(|x| x.customer_id.as_deref()));
    tb.text("memo", p.iter().map(|x| x.memo.as_str()));
    Ok(tb)
}

/// `open_items.parquet`: each invoice after the run.
pub fn open_items(r: &RunResult) -> Result<Table, crate::CliError> {
    let items = &r.batch.open_items;
    let after = &r.outcome.items_after;
    let mut tb = Table::new();
    tb.text("invoice_id", items.iter().map(|x| x.invoice_id()));
    tb.text("customer_id", items.iter().map(|x| x.customer_id()));
    tb.text("customer_name", items.iter().map(|x| x.customer_name()));
    tb.text("currency", items.iter().map(|x| x.currency()));
    tb.money("amount_open", items.iter().map(|x| x.amount_open()))
        .map_err(scale)?;
    tb.money("amount_original", items.iter().map(|x| x.amount_original()))
        .map_err(scale)?;
    tb.date_opt("invoice_date", items.iter().map(|x| x.invoice_date()));
    tb.date_opt("due_date", items.iter().map(|x| x.due_date()));
    tb.money_opt(
        "discount_percent",
        items.iter().map(|x| x.discount_percent()),
    )
    .map_err(scale)?;
    let days: arrow_array::UInt32Array = items.iter().map(|x| x.discount_days()).collect();
    tb.raw(
        "discount_days",
        arrow_schema::DataType::UInt32,
        true,
        std::sync::Arc::new(days),
    );
    tb.text_opt("po_number", items.iter().map(|x| x.po_number()));
    tb.money("amount_applied", after.iter().map(|x| x.amount_applied))
        .map_err(scale)?;
    tb.money(
        "amount_open_after",
        after.iter().map(|x| x.amount_open_after),
    )
    .map_err(scale)?;
    tb.text("status", after.iter().map(|x| x.status.as_str()));
    // Per-invoice exceptions (RELIABILITY B1-11): why a held item was not
    // matched, for the person who fixes the extract.
    tb.text_opt(
        "hold_reason",
        items.iter().map(|x| x.hold().map(|h| h.reason.as_str())),
    );
    tb.text_opt(
        "hold_detail",
        items.iter().map(|x| x.hold().map(|h| h.detail.as_str())),
    );
    Ok(tb)
}

/// `aging.parquet`: the as-of snapshot per customer, currency and bucket.
pub fn aging(r: &RunResult) -> Result<Table, crate::CliError> {
    let a = &r.outcome.aging;
    let mut tb = Table::new();
    tb.date("as_of", a.iter().map(|x| x.as_of));
    tb.text("customer_id", a.iter().map(|x| x.customer_id.as_str()));
    tb.text("currency", a.iter().map(|x| x.currency.as_str()));
    tb.text("bucket", a.iter().map(|x| x.bucket.as_str()));
    tb.money("amount", a.iter().map(|x| x.amount))
        .map_err(scale)?;
    tb.u64("items", a.iter().map(|x| x.items));
    Ok(tb)
}

/// `statements.parquet`: one row per statement with its own checks.
pub fn statements(s: &[StatementRecord]) -> Result<Table, crate::CliError> {
    let mut tb = Table::new();
    tb.text("source_file", s.iter().map(|x| x.source_file.as_str()));
    tb.text("format", s.iter().map(|x| x.format.as_str()));
    tb.text(
        "statement_id",
        s.iter().map(|x| x.statement.statement_id.as_str()),
    );
    tb.text("sequence", s.iter().map(|x| x.statement.sequence.as_str()));
    tb.text("account", s.iter().map(|x| x.statement.account.as_str()));
    tb.text("currency", s.iter().map(|x| x.statement.currency.as_str()));
    tb.money_opt(
        "opening_balance",
        s.iter().map(|x| x.statement.opening_balance),
    )
    .map_err(scale)?;
    tb.money_opt(
        "closing_balance",
        s.iter().map(|x| x.statement.closing_balance),
    )
    .map_err(scale)?;
    tb.money("entries_sum", s.iter().map(|x| x.statement.entries_sum))
        .map_err(scale)?;
    tb.u64("entries", s.iter().map(|x| x.statement.entries));
    tb.text(
        "balance_check",
        s.iter().map(|x| x.statement.balance_check.as_str()),
    );
    tb.text(
        "check_detail",
        s.iter().map(|x| x.statement.check_detail.as_str()),
    );
    tb.u64("source_line", s.iter().map(|x| x.statement.source_line));
    tb.text("disposition", s.iter().map(|x| x.disposition.as_str()));
    Ok(tb)
}
