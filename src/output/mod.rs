//! The contracted outputs as tables over the engine's records. Each table
//! is a [`RowTable`]: its columns are closures over the records, built one
//! row group at a time and encoded with the pinned writer of
//! `cashmatch_store::table` straight into the staged file (hashed as it is
//! written) by `cashmatch_store::publish`. Text that is data in the records
//! (memos, exception details, journal ids) exists as text only in the
//! column being written.

pub use cashmatch_store::manifest::WrittenFile;
pub use cashmatch_store::sha256_hex;
pub use cashmatch_store::table;

use crate::inputs::StatementRecord;
use cashmatch_engine::columns::{ItemView, TxnView};
use cashmatch_engine::company::Companies;
use cashmatch_engine::model::{Batch, ItemIdx, Transactions, TxnIdx};
use cashmatch_engine::RunResult;
use table::RowTable;

fn scale(e: table::ScaleError) -> crate::CliError {
    crate::CliError::Output(e.to_string())
}

// Reads of input records by index: the only places the output side looks
// into `Batch` rows (the column stores change these, not the tables).
fn txn(b: &Batch, t: TxnIdx) -> TxnView<'_> {
    b.transactions.get(t as usize)
}
fn item(b: &Batch, i: ItemIdx) -> ItemView<'_> {
    b.open_items.get(i as usize)
}

/// `transactions.parquet`: every ingested bank transaction.
pub fn transactions<'a>(t: &'a Transactions, companies: &'a Companies) -> RowTable<'a> {
    let mut tb = RowTable::new(t.len());
    tb.text("transaction_id", move |i| t.get(i).transaction_id());
    tb.text("bank_reference", move |i| t.get(i).bank_reference());
    tb.text("source_file", move |i| t.get(i).source_file());
    tb.u64("source_line", move |i| t.get(i).source_line());
    tb.text("account", move |i| t.get(i).account());
    tb.text("currency", move |i| t.get(i).currency());
    tb.money("amount", move |i| t.get(i).amount());
    tb.date_opt("booking_date", move |i| t.get(i).booking_date());
    tb.date_opt("value_date", move |i| t.get(i).value_date());
    tb.text("counterparty_name", move |i| t.get(i).counterparty_name());
    tb.text("counterparty_account", move |i| {
        t.get(i).counterparty_account()
    });
    tb.text("remittance_info", move |i| t.get(i).remittance_info());
    tb.text_rendered("structured_refs", move |i, out| {
        for (k, r) in t.get(i).structured_refs().enumerate() {
            if k > 0 {
                out.push(';');
            }
            out.push_str(r);
        }
    });
    tb.text("end_to_end_id", move |i| t.get(i).end_to_end_id());
    // Legal entity of the receiving account (appended last: issue 11).
    tb.text("company_code", move |i| companies.txn_code(i as TxnIdx));
    tb
}

/// `applications.parquet`: one row per (transaction, invoice).
pub fn applications(r: &RunResult) -> RowTable<'_> {
    let a = &r.outcome.applications;
    let b = &r.batch;
    let mut tb = RowTable::new(a.len());
    tb.text("transaction_id", move |i| txn(b, a[i].txn).transaction_id());
    tb.text("bank_reference", move |i| txn(b, a[i].txn).bank_reference());
    tb.text("invoice_id", move |i| item(b, a[i].item).invoice_id());
    tb.text("customer_id", move |i| item(b, a[i].item).customer_id());
    tb.text("currency", move |i| item(b, a[i].item).currency());
    tb.money("applied_amount", move |i| a[i].applied_amount);
    tb.money("discount_amount", move |i| a[i].discount_amount);
    tb.money("writeoff_amount", move |i| a[i].writeoff_amount);
    tb.money("deduction_amount", move |i| a[i].deduction_amount);
    tb.text_opt("deduction_reason", move |i| {
        a[i].deduction_reason.map(|d| d.as_str())
    });
    tb.text("rule", move |i| a[i].rule.as_str());
    tb.f64("confidence", move |i| a[i].confidence);
    tb.text_rendered("explanation", move |i, out| {
        a[i].explanation.render_into(&b.open_items, out)
    });
    // Cross-currency applications (issue 11): what the payment gave in its
    // own currency and at which rate; null on same-currency rows. The
    // amounts above are in `currency`, the invoice's.
    let o = &r.outcome;
    tb.text_opt("payment_currency", move |i| {
        o.fx_of(&a[i]).map(|_| txn(b, a[i].txn).currency())
    });
    tb.money_opt("payment_amount", move |i| {
        o.fx_of(&a[i]).map(|f| f.payment_amount)
    });
    tb.money_opt("invoice_currency_amount", move |i| {
        o.fx_of(&a[i]).map(|f| f.invoice_amount)
    });
    tb.text_opt_rendered("fx_rate", move |i, out| match o.fx_of(&a[i]) {
        Some(f) => {
            use std::fmt::Write;
            let _ = write!(out, "{}", f.rate.normalize());
            true
        }
        None => false,
    });
    tb.date_opt("fx_rate_date", move |i| o.fx_of(&a[i]).map(|f| f.rate_date));
    tb.text_opt("fx_rate_source", move |i| {
        o.fx_of(&a[i]).map(|f| &*f.rate_source)
    });
    tb.money_opt("fx_gain_loss", move |i| o.fx_of(&a[i]).map(|f| f.gain_loss));
    // The invoice's company (an intercompany application names the
    // invoice's; the receipt's is in transactions.parquet).
    let c = &*r.outcome.companies;
    tb.text("company_code", move |i| c.item_code(a[i].item));
    tb
}

/// `exceptions.parquet`: the unapplied money of each transaction.
pub fn exceptions(r: &RunResult) -> RowTable<'_> {
    let e = &r.outcome.exceptions;
    let b = &r.batch;
    let mut tb = RowTable::new(e.len());
    tb.text("transaction_id", move |i| txn(b, e[i].txn).transaction_id());
    tb.text("bank_reference", move |i| txn(b, e[i].txn).bank_reference());
    tb.money("amount", move |i| e[i].amount);
    tb.text("currency", move |i| txn(b, e[i].txn).currency());
    tb.text("reason", move |i| e[i].reason.as_str());
    tb.text_opt("customer_id", move |i| e[i].customer_id(b));
    tb.text_rendered("detail", move |i, out| out.push_str(&e[i].detail_text()));
    tb.text_rendered("suggestions", move |i, out| {
        let s = &e[i].suggestions;
        if s.is_empty() {
            // What serde_json writes for an empty list, without a call.
            out.push_str("[]");
        } else {
            out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "[]".into()));
        }
    });
    let c = &*r.outcome.companies;
    tb.text("company_code", move |i| c.txn_code(e[i].txn));
    tb
}

/// `postings.parquet`: the balanced journal.
pub fn postings(r: &RunResult) -> RowTable<'_> {
    let p = &r.outcome.postings;
    let b = &r.batch;
    let o = &r.outcome;
    let mut tb = RowTable::new(p.len());
    tb.text_rendered("journal_id", move |i, out| {
        out.push_str("J-");
        out.push_str(txn(b, p[i].txn).transaction_id());
    });
    tb.u32("line", move |i| p[i].line);
    tb.date_opt("posting_date", move |i| {
        let t = txn(b, p[i].txn);
        t.booking_date().or(t.value_date())
    });
    tb.text("gl_account", move |i| p[i].gl_account(o));
    tb.money("debit", move |i| p[i].debit);
    tb.money("credit", move |i| p[i].credit);
    tb.text("currency", move |i| p[i].currency(b));
    tb.text("transaction_id", move |i| txn(b, p[i].txn).transaction_id());
    tb.text_opt("invoice_id", move |i| {
        p[i].item.map(|x| item(b, x).invoice_id())
    });
    tb.text_opt("customer_id", move |i| p[i].customer_id(b, o));
    tb.text("memo", move |i| p[i].memo.as_str());
    tb.text("company_code", move |i| p[i].company_code(o));
    tb
}

/// `open_items.parquet`: each invoice after the run.
pub fn open_items(r: &RunResult) -> RowTable<'_> {
    let items = &r.batch.open_items;
    let after = &r.outcome.items_after;
    debug_assert_eq!(items.len(), after.len(), "one row per open item");
    let mut tb = RowTable::new(items.len());
    tb.text("invoice_id", move |i| items.get(i).invoice_id());
    tb.text("customer_id", move |i| items.get(i).customer_id());
    tb.text("customer_name", move |i| items.get(i).customer_name());
    tb.text("currency", move |i| items.get(i).currency());
    tb.money("amount_open", move |i| items.get(i).amount_open());
    tb.money("amount_original", move |i| items.get(i).amount_original());
    tb.date_opt("invoice_date", move |i| items.get(i).invoice_date());
    tb.date_opt("due_date", move |i| items.get(i).due_date());
    tb.money_opt("discount_percent", move |i| items.get(i).discount_percent());
    tb.u32_opt("discount_days", move |i| items.get(i).discount_days());
    tb.text_opt("po_number", move |i| items.get(i).po_number());
    tb.money("amount_applied", move |i| after[i].amount_applied);
    tb.money("amount_open_after", move |i| after[i].amount_open_after);
    tb.text("status", move |i| after[i].status.as_str());
    // Per-invoice exceptions (RELIABILITY B1-11): why a held item was not
    // matched, for the person who fixes the extract.
    tb.text_opt("hold_reason", move |i| {
        items.get(i).hold().map(|h| h.reason.as_str())
    });
    tb.text_opt("hold_detail", move |i| {
        items.get(i).hold().map(|h| h.detail.as_str())
    });
    let c = &*r.outcome.companies;
    tb.text("company_code", move |i| c.item_code(i as ItemIdx));
    tb
}

/// `aging.parquet`: the as-of snapshot per customer, currency and bucket.
pub fn aging(r: &RunResult) -> RowTable<'_> {
    let a = &r.outcome.aging;
    let b = &r.batch;
    let mut tb = RowTable::new(a.len());
    tb.date("as_of", move |i| a[i].as_of);
    tb.text("customer_id", move |i| a[i].customer_id(b));
    tb.text("currency", move |i| a[i].currency(b));
    tb.text("bucket", move |i| a[i].bucket.as_str());
    tb.money("amount", move |i| a[i].amount);
    tb.u64("items", move |i| a[i].items);
    let c = &*r.outcome.companies;
    tb.text("company_code", move |i| c.item_code(a[i].item));
    tb
}

/// `statements.parquet`: one row per statement with its own checks.
pub fn statements<'a>(s: &'a [StatementRecord], companies: &'a Companies) -> RowTable<'a> {
    let mut tb = RowTable::new(s.len());
    tb.text("source_file", move |i| s[i].source_file.as_str());
    tb.text("format", move |i| s[i].format.as_str());
    tb.text("statement_id", move |i| {
        s[i].statement.statement_id.as_str()
    });
    tb.text("sequence", move |i| s[i].statement.sequence.as_str());
    tb.text("account", move |i| s[i].statement.account.as_str());
    tb.text("currency", move |i| s[i].statement.currency.as_str());
    tb.money_opt("opening_balance", move |i| s[i].statement.opening_balance);
    tb.money_opt("closing_balance", move |i| s[i].statement.closing_balance);
    tb.money("entries_sum", move |i| s[i].statement.entries_sum);
    tb.u64("entries", move |i| s[i].statement.entries);
    tb.text("balance_check", move |i| {
        s[i].statement.balance_check.as_str()
    });
    tb.text("check_detail", move |i| {
        s[i].statement.check_detail.as_str()
    });
    tb.u64("source_line", move |i| s[i].statement.source_line);
    tb.text("disposition", move |i| s[i].disposition.as_str());
    tb.text("company_code", move |i| {
        companies.account_code(s[i].statement.account.as_str())
    });
    tb
}

/// `returns.parquet`: one row per returned payment (a debit the bank or its
/// text marks as a return) and what became of it: the signal on the
/// customer for analytics. Schema: `transaction_id, bank_reference,
/// currency, amount` (the return, negative), `return_reason` (as the bank
/// gave it, may be empty), `status` (`reversed` | `unlinked`), `link_rule`
/// (`END_TO_END_ID` | `ORIGINAL_REFERENCE` | `AMOUNT_PAYER_DATE`, null when
/// unlinked), `original_transaction_id` (null when unlinked),
/// `original_run_id` (null when the original is of this run or unlinked),
/// `customer_id` (null when unknown), `invoices_reopened`,
/// `applied_reversed`, `allowances_reversed` (discount, write-off,
/// deduction taken back), `unapplied_reversed` (on account or suspense
/// taken back), `value_date`, `detail`. The reversals themselves are the
/// `RETURN_REVERSAL` rows of `applications.parquet` (negative amounts).
pub fn returns(r: &RunResult) -> RowTable<'_> {
    let x = &r.outcome.returns;
    let b = &r.batch;
    let mut tb = RowTable::new(x.len());
    tb.text("transaction_id", move |i| txn(b, x[i].txn).transaction_id());
    tb.text("bank_reference", move |i| txn(b, x[i].txn).bank_reference());
    tb.text("currency", move |i| txn(b, x[i].txn).currency());
    tb.money("amount", move |i| txn(b, x[i].txn).amount());
    tb.text("return_reason", move |i| x[i].reason.as_str());
    tb.text("status", move |i| x[i].status.as_str());
    tb.text_opt("link_rule", move |i| x[i].link.map(|l| l.as_str()));
    tb.text_opt("original_transaction_id", move |i| {
        none_if_empty(&x[i].original_transaction_id)
    });
    tb.text_opt("original_run_id", move |i| {
        none_if_empty(&x[i].original_run_id)
    });
    tb.text_opt("customer_id", move |i| x[i].customer_id.as_deref());
    tb.u32("invoices_reopened", move |i| x[i].invoices_reopened);
    tb.money("applied_reversed", move |i| x[i].applied_reversed);
    tb.money("allowances_reversed", move |i| x[i].allowances_reversed);
    tb.money("unapplied_reversed", move |i| x[i].unapplied_reversed);
    tb.date_opt("value_date", move |i| {
        let t = txn(b, x[i].txn);
        t.value_date().or(t.booking_date())
    });
    tb.text("detail", move |i| x[i].detail.as_str());
    let c = &*r.outcome.companies;
    tb.text("company_code", move |i| c.txn_code(x[i].txn));
    tb
}

fn none_if_empty(s: &str) -> Option<&str> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

/// Every contracted output of a run, in the order `run` writes them (the
/// manifest lists them in this order): file name and table. The Python
/// package reads the same list, so it returns the same tables.
pub fn run_tables<'a>(
    r: &'a RunResult,
    stmts: &'a [StatementRecord],
) -> [(&'static str, RowTable<'a>); 8] {
    [
        (
            "transactions.parquet",
            transactions(&r.batch.transactions, &r.outcome.companies),
        ),
        ("applications.parquet", applications(r)),
        ("exceptions.parquet", exceptions(r)),
        ("postings.parquet", postings(r)),
        ("open_items.parquet", open_items(r)),
        ("aging.parquet", aging(r)),
        (
            "statements.parquet",
            statements(stmts, &r.outcome.companies),
        ),
        ("returns.parquet", returns(r)),
    ]
}

/// Stages one table: encoded row group by row group into the staging
/// directory, hashed on the way (see `Staging::file_streamed`).
pub fn stage(
    staging: &mut cashmatch_store::publish::Staging,
    name: &str,
    table: &RowTable<'_>,
) -> Result<(), crate::CliError> {
    staging
        .file_streamed(name, table.rows() as u64, |w| {
            table.write_parquet(w).map(drop)
        })
        .map_err(|e| stage_error(name, e))
}

/// Stages several tables at once (`Staging::files_streamed`): each table is
/// encoded into its own staged file on the rayon pool, one task per file
/// (and within a file, the columns of each row group in parallel), hashed
/// on the way; the files are then made durable and listed in the order
/// given. Each file's bytes are those [`stage`] writes, at any thread
/// count: a table is encoded by its own writer alone.
pub fn stage_all(
    staging: &mut cashmatch_store::publish::Staging,
    tables: &[(&'static str, RowTable<'_>)],
) -> Result<(), crate::CliError> {
    let files = tables
        .iter()
        .map(|(name, table)| {
            (*name, table.rows() as u64, move |w: &mut _| {
                table.write_parquet(w).map(drop).map_err(|e| (*name, e))
            })
        })
        .collect();
    staging.files_streamed(files).map_err(|e| {
        use cashmatch_store::durable::StreamError;
        match e {
            StreamError::Store(e) => crate::CliError::from(e),
            StreamError::Produce((name, e)) => stage_error(name, StreamError::Produce(e)),
        }
    })
}

fn stage_error(
    name: &str,
    e: cashmatch_store::durable::StreamError<table::EncodeError>,
) -> crate::CliError {
    use cashmatch_store::durable::StreamError;
    use table::EncodeError;
    match e {
        StreamError::Store(e) => crate::CliError::from(e),
        StreamError::Produce(EncodeError::Scale(e)) => scale(e),
        StreamError::Produce(e) => crate::CliError::Output(format!("cannot encode `{name}`: {e}")),
    }
}
