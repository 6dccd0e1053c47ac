//! The generator's driver: runs the stages in order and writes the four files.

use crate::config::{GeneratorConfig, Profile, Scenario};
use crate::csv_out::{push_padded, sync_dir, write_pending, CsvFile, PendingRename};
use crate::customers::{
    generate_customers, push_customer_number, push_our_account, Currency, Customer, LegalSpelling,
};
use crate::ledger::{
    generate_invoices, invoice_number_width, push_invoice_id, push_po_number, CustomerIndex,
    Invoice, InvoiceMix,
};
use crate::payments::{push_credit_note_number, CreditNote, Line, PaymentBuilder};
use crate::prng::Xoshiro256StarStar;
use crate::statements::TaggedLine;
use chrono::Days;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// Header of `open_items.csv`.
pub const OPEN_ITEMS_HEADER: &str = "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date,discount_percent,discount_days,po_number";
/// Header of `customers.csv`.
pub const CUSTOMERS_HEADER: &str = "customer_id,name,bank_accounts,aliases";
/// Header of `customers.csv` in profile `other`: the master says which
/// customer is a subsidiary of which (`parent_id`, empty for none).
pub const CUSTOMERS_HEADER_WITH_PARENT: &str = "customer_id,name,bank_accounts,aliases,parent_id";
/// Header of `bank.csv`, the canonical bank CSV.
pub const BANK_HEADER: &str = "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference";
/// Header of `truth.csv`.
pub const TRUTH_HEADER: &str =
    "bank_reference,invoice_id,applied_amount,scenario,discount_amount,writeoff_amount";

/// Labels of the PRNG streams, one per stage (see [`Xoshiro256StarStar::for_stage`]).
const STAGE_CUSTOMERS: u64 = 1;
const STAGE_INVOICES: u64 = 2;
const STAGE_PAYMENTS: u64 = 3;

/// Digits of the number in a bank reference (`BR0000000123`).
const BANK_REFERENCE_DIGITS: usize = 10;

/// What [`crate::generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GenerateSummary {
    /// Rows of `customers.csv`.
    pub customers: u64,
    /// Rows of `open_items.csv`.
    pub invoices: u64,
    /// Rows of `bank.csv`.
    pub payments: u64,
    /// Rows of `truth.csv`.
    pub truth_lines: u64,
    /// Bank lines per scenario (every scenario listed, zeros included).
    pub payments_by_scenario: BTreeMap<Scenario, u64>,
    /// Events that could not be built as drawn (no suitable invoice left,
    /// no room for a multi-line event) and fell back to `exact_reference` or
    /// `unknown_payment`. Large values mean too few invoices for the payments.
    pub events_downgraded: u64,
}

/// Generates a dataset into `out_dir` (created if missing).
///
/// Each file is written as `<name>.tmp`, flushed, fsynced and then renamed,
/// so a reader never sees a half-written file. Same config, same bytes.
pub fn generate(config: &GeneratorConfig, out_dir: &Path) -> io::Result<GenerateSummary> {
    config
        .validate()
        .map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
    std::fs::create_dir_all(out_dir)?;

    let mut rng = Xoshiro256StarStar::for_stage(config.seed, STAGE_CUSTOMERS);
    let customers = generate_customers(&mut rng, config.customers, config.foreign_currency_percent);
    let customers_file = write_customers(out_dir, &customers, config.profile)?;

    let mut rng = Xoshiro256StarStar::for_stage(config.seed, STAGE_INVOICES);
    let mix = InvoiceMix {
        discount_terms_percent: config.discount_terms_percent,
        partially_paid_percent: config.partially_paid_percent,
        round_amount_percent: config.round_amount_percent,
    };
    let mut invoices = generate_invoices(
        &mut rng,
        config.invoices,
        config.customers,
        config.as_of,
        config.invoice_span_days,
        &mix,
    );
    let index = CustomerIndex::build(&invoices, config.customers);

    let rng = Xoshiro256StarStar::for_stage(config.seed, STAGE_PAYMENTS);
    let mut builder = PaymentBuilder::new(
        rng,
        &customers,
        &mut invoices,
        &index,
        config.as_of,
        config.profile,
    );
    let mut payments = PaymentWriter::create(
        out_dir,
        invoice_number_width(config.invoices),
        config.profile,
        config.as_of,
    )?;
    let mut payments_by_scenario: BTreeMap<Scenario, u64> =
        Scenario::ALL.into_iter().map(|s| (s, 0)).collect();
    let mut events_downgraded = 0;
    let window_start = config.as_of - Days::new(u64::from(config.statement_days) - 1);
    let total_weight = config.scenario_weights.total();
    let mut written: u32 = 0;
    while written < config.payments {
        let wanted = config
            .scenario_weights
            .scenario_at(builder.rng().below(total_weight));
        // Base dates advance with the line count, so the statement is in
        // booking-date order except for instalments and next-day duplicates.
        let day =
            u64::from(written) * u64::from(config.statement_days) / u64::from(config.payments);
        let date = window_start + Days::new(day);
        let built = builder.build(wanted, date, config.payments - written);
        if built != wanted {
            events_downgraded += 1;
        }
        check_event(builder.lines(), builder.invoices());
        for line in builder.lines() {
            payments.write_line(line, built)?;
        }
        payments.end_event();
        let lines = builder.lines().len() as u32;
        *payments_by_scenario.entry(built).or_default() += u64::from(lines);
        written += lines;
    }
    let credit_notes = builder.take_credit_notes();
    drop(builder);

    let open_items_file = write_open_items(
        out_dir,
        &invoices,
        &customers,
        config.profile,
        &credit_notes,
        config.as_of,
    )?;
    let (bank_files, truth_file, truth_lines) = payments.finish()?;
    let summary = GenerateSummary {
        customers: customers.len() as u64,
        invoices: invoices.len() as u64,
        payments: u64::from(written),
        truth_lines,
        payments_by_scenario,
        events_downgraded,
    };
    for pending in [customers_file, open_items_file]
        .into_iter()
        .chain(bank_files)
        .chain([truth_file])
    {
        pending.commit()?;
    }
    sync_dir(out_dir)?;
    Ok(summary)
}

/// Asserts money conservation for one event, before anything is written:
/// no line applies more cash than it carries, no invoice receives more than
/// it has open, and every applied amount is positive.
fn check_event(lines: &[Line], invoices: &[Invoice]) {
    let mut per_invoice: Vec<(u32, Decimal)> = Vec::new();
    for line in lines {
        assert!(
            line.amount > Decimal::ZERO,
            "payment of {} is not a credit",
            line.amount
        );
        assert!(!line.truth.is_empty(), "a line without a truth row");
        let mut applied = Decimal::ZERO;
        for row in &line.truth {
            assert!(row.discount >= Decimal::ZERO && row.writeoff >= Decimal::ZERO);
            if row.credit_note.is_some() {
                // A consumed credit note: a negative application, netted
                // against the invoice it was deducted from.
                assert!(
                    row.applied < Decimal::ZERO,
                    "credit note applied {}",
                    row.applied
                );
                applied += row.applied;
                continue;
            }
            let Some(i) = row.invoice else {
                assert!(line.truth.len() == 1 && row.applied.is_zero());
                continue;
            };
            assert!(row.applied > Decimal::ZERO, "non-positive application");
            applied += row.applied;
            let settled = row.applied + row.discount + row.writeoff;
            match per_invoice.iter_mut().find(|(j, _)| *j == i) {
                Some((_, sum)) => *sum += settled,
                None => per_invoice.push((i, settled)),
            }
        }
        assert!(
            applied <= line.amount,
            "line applies {applied} of {}",
            line.amount
        );
    }
    for (i, settled) in per_invoice {
        let open = invoices[i as usize].amount_open;
        assert!(
            settled <= open,
            "invoice {i} settled {settled} of {open} open"
        );
    }
}

fn write_customers(
    out_dir: &Path,
    customers: &[Customer],
    profile: Profile,
) -> io::Result<crate::csv_out::PendingRename> {
    // Only `other` has groups (`parent_pays`); the other profiles keep
    // their bytes.
    let with_parent = profile == Profile::Other;
    let header = if with_parent {
        CUSTOMERS_HEADER_WITH_PARENT
    } else {
        CUSTOMERS_HEADER
    };
    let mut file = CsvFile::create(out_dir, "customers.csv", header)?;
    let mut buf = Vec::with_capacity(256);
    for (index, customer) in customers.iter().enumerate() {
        buf.clear();
        push_customer_number(&mut buf, index as u32);
        file.text(&buf);
        buf.clear();
        customer.push_name(&mut buf, LegalSpelling::Canonical);
        file.text(&buf);
        buf.clear();
        customer.push_accounts(&mut buf);
        file.text(&buf);
        buf.clear();
        customer.push_aliases(&mut buf);
        file.text(&buf);
        if with_parent {
            buf.clear();
            if let Some(parent) = crate::customers::parent_of(customers, index as u32) {
                push_customer_number(&mut buf, parent);
            }
            file.text(&buf);
        }
        file.end_row()?;
    }
    file.finish()
}

fn write_open_items(
    out_dir: &Path,
    invoices: &[Invoice],
    customers: &[Customer],
    profile: Profile,
    credit_notes: &[CreditNote],
    as_of: chrono::NaiveDate,
) -> io::Result<crate::csv_out::PendingRename> {
    let mut file = CsvFile::create(out_dir, "open_items.csv", OPEN_ITEMS_HEADER)?;
    let width = invoice_number_width(invoices.len() as u32);
    let mut buf = Vec::with_capacity(256);
    for (i, inv) in invoices.iter().enumerate() {
        let customer = &customers[inv.customer as usize];
        buf.clear();
        push_invoice_id(&mut buf, profile, inv.number_year, i as u64 + 1, width);
        file.text(&buf);
        buf.clear();
        push_customer_number(&mut buf, inv.customer);
        file.text(&buf);
        buf.clear();
        customer.push_name(&mut buf, LegalSpelling::Canonical);
        file.text(&buf);
        file.text(customer.currency.code().as_bytes());
        file.amount(inv.amount_open).amount(inv.amount_original);
        file.date(inv.date).date(inv.due_date());
        match inv.discount {
            Some((percent_hundredths, days)) => {
                file.amount(Decimal::new(i64::from(percent_hundredths), 2));
                file.uint(u64::from(days));
            }
            None => {
                file.empty().empty();
            }
        }
        if inv.po_number != 0 {
            buf.clear();
            push_po_number(&mut buf, inv.po_number);
            file.text(&buf);
        } else {
            file.empty();
        }
        file.end_row()?;
    }
    // Credit notes are open items with negative amounts (issue 9): they
    // follow the invoices, due when issued.
    for cn in credit_notes {
        let customer = &customers[cn.customer as usize];
        buf.clear();
        push_credit_note_number(&mut buf, cn.serial);
        file.text(&buf);
        buf.clear();
        push_customer_number(&mut buf, cn.customer);
        file.text(&buf);
        buf.clear();
        customer.push_name(&mut buf, LegalSpelling::Canonical);
        file.text(&buf);
        file.text(customer.currency.code().as_bytes());
        file.amount(-cn.amount).amount(-cn.amount);
        let date = cn.date.min(as_of);
        file.date(date).date(date);
        file.empty().empty().empty();
        file.end_row()?;
    }
    file.finish()
}

/// Streams `bank.csv` and `truth.csv` together, one event at a time.
struct PaymentWriter {
    /// `bank.csv`; `None` for profile `texttags`, whose lines go to
    /// [`PaymentWriter::tagged`] and then to `bank.bai2` and `bank.mt940`.
    bank: Option<CsvFile>,
    tagged: Vec<TaggedLine>,
    out_dir: std::path::PathBuf,
    profile: Profile,
    as_of: chrono::NaiveDate,
    lines_written: u64,
    /// Events written so far: profile `texttags` puts whole events into one
    /// file, alternating, so a customer's batch of one day stays together.
    events: u64,
    truth: CsvFile,
    number_width: usize,
    buf: Vec<u8>,
    reference: Vec<u8>,
    /// Our receiving IBAN per currency, computed once, indexed by the
    /// `Currency` discriminant (EUR, USD, GBP, in declaration order).
    our_accounts: [Vec<u8>; 3],
}

impl PaymentWriter {
    fn create(
        out_dir: &Path,
        number_width: usize,
        profile: Profile,
        as_of: chrono::NaiveDate,
    ) -> io::Result<PaymentWriter> {
        Ok(PaymentWriter {
            bank: if profile == Profile::TextTags {
                None
            } else {
                Some(CsvFile::create(out_dir, "bank.csv", BANK_HEADER)?)
            },
            tagged: Vec::new(),
            out_dir: out_dir.to_path_buf(),
            profile,
            as_of,
            lines_written: 0,
            events: 0,
            truth: CsvFile::create(out_dir, "truth.csv", TRUTH_HEADER)?,
            number_width,
            buf: Vec::with_capacity(64),
            reference: Vec::with_capacity(16),
            our_accounts: [Currency::Eur, Currency::Usd, Currency::Gbp].map(|c| {
                let mut iban = Vec::with_capacity(34);
                push_our_account(&mut iban, c);
                iban
            }),
        })
    }

    fn write_line(&mut self, line: &Line, scenario: Scenario) -> io::Result<()> {
        self.reference.clear();
        self.reference.extend_from_slice(b"BR");
        self.lines_written += 1;
        push_padded(
            &mut self.reference,
            self.lines_written,
            BANK_REFERENCE_DIGITS,
        );
        match self.bank.as_mut() {
            Some(bank) => {
                bank.text(&self.our_accounts[line.currency as usize])
                    .date(line.date)
                    .date(line.value_date);
                bank.amount(line.amount)
                    .text(line.currency.code().as_bytes());
                bank.text(&line.name)
                    .text(&line.account)
                    .text(&line.remittance);
                bank.text(&self.reference);
                bank.end_row()?;
            }
            None => self.tagged.push(TaggedLine {
                file: (self.events % 2) as u8,
                reference: self.reference.clone(),
                our_account: self.our_accounts[line.currency as usize].clone(),
                currency: line.currency.code(),
                date: line.date,
                value_date: line.value_date,
                amount: line.amount,
                name: line.name.clone(),
                account: line.account.clone(),
                remittance: line.remittance.clone(),
            }),
        }
        for row in &line.truth {
            self.truth.text(&self.reference);
            match (row.invoice, row.credit_note) {
                (_, Some(serial)) => {
                    self.buf.clear();
                    push_credit_note_number(&mut self.buf, serial);
                    self.truth.text(&self.buf);
                }
                (Some(i), None) => {
                    self.buf.clear();
                    push_invoice_id(
                        &mut self.buf,
                        self.profile,
                        row.invoice_year,
                        u64::from(i) + 1,
                        self.number_width,
                    );
                    self.truth.text(&self.buf);
                }
                (None, None) => {
                    self.truth.empty();
                }
            }
            self.truth
                .amount(row.applied)
                .text(scenario.as_str().as_bytes());
            self.truth.amount(row.discount).amount(row.writeoff);
            self.truth.end_row()?;
        }
        Ok(())
    }

    fn end_event(&mut self) {
        self.events += 1;
    }

    /// Finishes the files: the bank file(s) (one, or BAI2 and MT940 for
    /// profile `texttags`) and the truth, each durable under its `.tmp` name.
    fn finish(self) -> io::Result<(Vec<PendingRename>, PendingRename, u64)> {
        let truth_lines = self.truth.rows();
        let bank = match self.bank {
            Some(bank) => vec![bank.finish()?],
            None => {
                // Events alternate between the two files.
                let bai2: Vec<&TaggedLine> = self.tagged.iter().filter(|l| l.file == 0).collect();
                let mt940: Vec<&TaggedLine> = self.tagged.iter().filter(|l| l.file == 1).collect();
                let mut files = Vec::new();
                if !bai2.is_empty() {
                    let bytes = crate::statements::bai2(&bai2, self.as_of);
                    files.push(write_pending(&self.out_dir, "bank.bai2", &bytes)?);
                }
                if !mt940.is_empty() {
                    let bytes = crate::statements::mt940(&mt940);
                    files.push(write_pending(&self.out_dir, "bank.mt940", &bytes)?);
                }
                files
            }
        };
        Ok((bank, self.truth.finish()?, truth_lines))
    }
}
