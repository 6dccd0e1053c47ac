//! NACHA ACH files whose entries carry remittance in their addenda: CTX
//! (up to 9,999 type 7 addenda per entry, which together may hold a whole
//! X12 820) and CCD+/PPD+ (one addenda with `RMR`, `TXP` or free text, in
//! the NACHA banking conventions: `*` between elements, `\` after each
//! segment).
//!
//! Each entry detail record (type 6) becomes one advice whose payment
//! reference is the entry's trace number. Its addenda's payment-related
//! information (columns 4-83) is concatenated in addenda order; text that
//! starts with `ISA` is an 820 and is read by [`super::x12`] with every
//! segment located on the addenda record that carries it, and its payment
//! (BPR02) is checked against the entry amount; otherwise `RMR`/`ADX`/`TXP`
//! segments become lines and anything else is kept as remittance text.
//!
//! Checked, Pass or Fail: each batch control's entry/addenda count, entry
//! hash (the sum of the 8-digit receiving DFI routing numbers, last ten
//! digits), total debits and credits; the file control's batch count,
//! entry/addenda count, hash and totals; a CTX entry's addenda count; and
//! each entry's amount against its remittance lines.

use super::{
    compare, decimal_amount, lines_check, settle_advice, Advice, AdviceLine, ControlCheck,
    DocumentType, LineMap, ParsedRemittance, RemittanceOptions,
};
use crate::{BalanceCheck, ErrorKind, Location, ParseError, Source};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const FORMAT_NAME: &str = "nacha";
const RECORD_CHARS: usize = 94;

/// Reads a NACHA file.
pub fn parse(
    source: &Source<'_>,
    options: &RemittanceOptions,
) -> Result<ParsedRemittance, ParseError> {
    let (text, encoding) = crate::encoding::decode(
        source.name,
        Some(FORMAT_NAME),
        source.bytes,
        options.encoding.as_deref(),
    )?;
    let mut reader = Reader {
        file: source.name,
        options,
        out: ParsedRemittance {
            encoding: encoding.to_string(),
            ..ParsedRemittance::default()
        },
        batch: None,
        entry: None,
        file_totals: Totals::default(),
        batches: 0,
        file_control_seen: false,
        covering: Vec::new(),
        batch_check_indices: Vec::new(),
    };
    let mut records = 0u64;
    for (i, raw) in text.split('\n').enumerate() {
        let line = i as u64 + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim().is_empty() {
            continue;
        }
        if raw.len() > options.limits.line_bytes_max {
            return Err(reader.error(
                Location::Line(line),
                ErrorKind::LimitExceeded,
                format!(
                    "line longer than {} bytes (limit `line_bytes_max`)",
                    options.limits.line_bytes_max
                ),
            ));
        }
        records += 1;
        if records > options.limits.records_max {
            return Err(reader.error(
                Location::Line(line),
                ErrorKind::LimitExceeded,
                format!(
                    "more than {} records (limit `records_max`)",
                    options.limits.records_max
                ),
            ));
        }
        if reader.file_control_seen && raw.bytes().all(|b| b == b'9') {
            // Block filler after the file control record.
            continue;
        }
        reader.record(line, raw)?;
    }
    reader.finish()
}

#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    entries_and_addenda: u64,
    hash: u64,
    debit: Decimal,
    credit: Decimal,
}

struct Batch {
    line: u64,
    company_name: String,
    company_id: String,
    sec: String,
    effective: Option<NaiveDate>,
    totals: Totals,
    advices: Vec<usize>,
}

struct Entry {
    advice: usize,
    ctx_addenda: Option<u64>,
    addenda: Vec<(u64, String)>,
}

struct Reader<'f, 'o> {
    file: &'f str,
    options: &'o RemittanceOptions,
    out: ParsedRemittance,
    batch: Option<Batch>,
    entry: Option<Entry>,
    file_totals: Totals,
    batches: u64,
    file_control_seen: bool,
    /// Per advice, the indices of the checks that cover it.
    covering: Vec<Vec<usize>>,
    batch_check_indices: Vec<usize>,
}

/// One 94-character record; short records are read as if padded.
struct Rec<'t> {
    line: u64,
    chars: Vec<(usize, char)>,
    text: &'t str,
}

impl<'t> Rec<'t> {
    /// Columns `[a, b)`, 0-based.
    fn get(&self, a: usize, b: usize) -> &'t str {
        let start = self.chars.get(a).map_or(self.text.len(), |&(i, _)| i);
        let end = self.chars.get(b).map_or(self.text.len(), |&(i, _)| i);
        self.text.get(start..end).unwrap_or("")
    }
}

impl Reader<'_, '_> {
    fn error(&self, location: Location, kind: ErrorKind, message: String) -> ParseError {
        ParseError::new(self.file, Some(FORMAT_NAME), location, kind, message)
    }

    fn digits(&self, rec: &Rec<'_>, a: usize, b: usize, what: &str) -> Result<u64, ParseError> {
        let t = rec.get(a, b).trim();
        t.parse::<u64>().map_err(|_| {
            self.error(
                Location::LineColumn(rec.line, a as u64 + 1),
                ErrorKind::Structure,
                format!("{what} (columns {}-{b}) `{t}` is not a number", a + 1),
            )
        })
    }

    fn cents(&self, rec: &Rec<'_>, a: usize, b: usize, what: &str) -> Result<Decimal, ParseError> {
        let t = rec.get(a, b).trim();
        crate::amount::parse_minor_units(t, 2)
            .ok()
            .filter(|_| t.bytes().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| {
                self.error(
                    Location::LineColumn(rec.line, a as u64 + 1),
                    ErrorKind::InvalidAmount,
                    format!(
                        "{what} (columns {}-{b}) `{t}` is not an amount in cents",
                        a + 1
                    ),
                )
            })
    }

    fn record(&mut self, line: u64, raw: &str) -> Result<(), ParseError> {
        let chars: Vec<(usize, char)> = raw.char_indices().collect();
        if chars.len() > RECORD_CHARS {
            return Err(self.error(
                Location::Line(line),
                ErrorKind::Structure,
                format!(
                    "record is {} characters; NACHA records are {RECORD_CHARS}",
                    chars.len()
                ),
            ));
        }
        if chars.len() < RECORD_CHARS {
            self.out.warnings.push(format!(
                "line {line}: record is {} characters, read as if padded to {RECORD_CHARS}",
                chars.len()
            ));
        }
        let rec = Rec {
            line,
            chars,
            text: raw,
        };
        if self.file_control_seen {
            return Err(self.error(
                Location::Line(line),
                ErrorKind::Structure,
                "record after the file control (type 9) record".into(),
            ));
        }
        match rec.get(0, 1) {
            "1" => {
                if line != 1 && !self.out.advices.is_empty() {
                    return Err(self.error(
                        Location::Line(line),
                        ErrorKind::Structure,
                        "second file header".into(),
                    ));
                }
                Ok(())
            }
            "5" => self.batch_header(&rec),
            "6" => self.entry_detail(&rec),
            "7" => self.addenda(&rec),
            "8" => self.batch_control(&rec),
            "9" => self.file_control(&rec),
            other => Err(self.error(
                Location::LineColumn(line, 1),
                ErrorKind::UnknownRecord,
                format!("record type `{other}` is not a NACHA record (1, 5, 6, 7, 8, 9)"),
            )),
        }
    }

    fn batch_header(&mut self, rec: &Rec<'_>) -> Result<(), ParseError> {
        self.close_entry()?;
        if let Some(b) = &self.batch {
            return Err(self.error(
                Location::Line(rec.line),
                ErrorKind::Structure,
                format!(
                    "batch header while the batch of line {} has no batch control (type 8)",
                    b.line
                ),
            ));
        }
        self.batches += 1;
        self.batch = Some(Batch {
            line: rec.line,
            company_name: rec.get(4, 20).trim().to_string(),
            company_id: rec.get(40, 50).trim().to_string(),
            sec: rec.get(50, 53).trim().to_string(),
            effective: super::x12::parse_date(rec.get(69, 75).trim()),
            totals: Totals::default(),
            advices: Vec::new(),
        });
        Ok(())
    }

    fn entry_detail(&mut self, rec: &Rec<'_>) -> Result<(), ParseError> {
        self.close_entry()?;
        let code = self.digits(rec, 1, 3, "transaction code")?;
        let rdfi = self.digits(rec, 3, 11, "receiving DFI routing")?;
        let amount = self.cents(rec, 29, 39, "amount")?;
        let Some(batch) = self.batch.as_mut() else {
            return Err(ParseError::new(
                self.file,
                Some(FORMAT_NAME),
                Location::Line(rec.line),
                ErrorKind::Structure,
                "entry detail (type 6) outside a batch".into(),
            ));
        };
        // Second digit 1-4: a credit to the receiver (money to them); 5-9:
        // a debit.
        let credit = matches!(code % 10, 1..=4);
        batch.totals.entries_and_addenda += 1;
        batch.totals.hash += rdfi;
        if credit {
            batch.totals.credit += amount;
        } else {
            batch.totals.debit += amount;
        }
        let ctx = batch.sec == "CTX";
        let receiver = if ctx {
            rec.get(58, 74).trim()
        } else {
            rec.get(54, 76).trim()
        };
        let receiver_account = format!("{}/{}", rec.get(3, 12).trim(), rec.get(12, 29).trim());
        let trace = rec.get(79, 94).trim().to_string();
        // For a credit the originator (the batch's company) pays the
        // receiver; for a debit the receiver pays the originator.
        let (payer_name, payer_account, payee_name) = if credit {
            (
                batch.company_name.clone(),
                batch.company_id.clone(),
                receiver.to_string(),
            )
        } else {
            (
                receiver.to_string(),
                receiver_account,
                batch.company_name.clone(),
            )
        };
        let advice = Advice {
            advice_id: trace.clone(),
            payment_reference: trace,
            payer_name,
            payer_account,
            payee_name,
            amount: Some(amount),
            currency: "USD".into(),
            payment_date: batch.effective,
            method: format!("ACH {}", batch.sec),
            credit,
            booked: true,
            source_line: rec.line,
            locator: format!("line {} (entry detail)", rec.line),
            ..Advice::default()
        };
        let ctx_addenda = if ctx {
            rec.get(54, 58).trim().parse::<u64>().ok()
        } else {
            None
        };
        batch.advices.push(self.out.advices.len());
        self.entry = Some(Entry {
            advice: self.out.advices.len(),
            ctx_addenda,
            addenda: Vec::new(),
        });
        self.out.advices.push(advice);
        self.covering.push(Vec::new());
        Ok(())
    }

    fn addenda(&mut self, rec: &Rec<'_>) -> Result<(), ParseError> {
        let kind = rec.get(1, 3);
        let Some(batch) = self.batch.as_mut() else {
            return Err(self.error(
                Location::Line(rec.line),
                ErrorKind::Structure,
                "addenda (type 7) outside a batch".into(),
            ));
        };
        batch.totals.entries_and_addenda += 1;
        let Some(entry) = self.entry.as_mut() else {
            return Err(self.error(
                Location::Line(rec.line),
                ErrorKind::Structure,
                "addenda (type 7) without an entry detail before it".into(),
            ));
        };
        if kind == "05" {
            entry.addenda.push((rec.line, rec.get(3, 83).to_string()));
        } else {
            self.out.warnings.push(format!(
                "line {}: addenda type {kind} carries no remittance (returns, notifications of change)",
                rec.line
            ));
        }
        Ok(())
    }

    /// Reads the remittance of the entry whose addenda are complete.
    fn close_entry(&mut self) -> Result<(), ParseError> {
        match self.entry.take() {
            Some(entry) => self.remittance(&entry),
            None => Ok(()),
        }
    }

    fn remittance(&mut self, entry: &Entry) -> Result<(), ParseError> {
        let a = entry.advice;
        if let Some(stated) = entry.ctx_addenda {
            let check = compare(
                "CTX addenda count = addenda records",
                &self.out.advices[a].locator.clone(),
                stated,
                entry.addenda.len() as u64,
            );
            self.covering[a].push(self.out.checks.len());
            self.out.checks.push(check);
        }
        let mut joined = String::new();
        let mut starts = Vec::new();
        for (line, text) in &entry.addenda {
            starts.push((joined.len(), *line));
            joined.push_str(text);
        }
        let joined_trim = joined.trim_end();
        if joined_trim.trim_start().starts_with("ISA") {
            let map = LineMap::from_starts(starts);
            let read = super::x12::read_interchanges(
                self.file,
                FORMAT_NAME,
                joined_trim,
                &map,
                self.options,
            )?;
            let entry_amount = self.out.advices[a].amount;
            for w in read.warnings {
                self.out.warnings.push(format!("embedded 820: {w}"));
            }
            let mut lines = Vec::new();
            for inner in &read.advices {
                let check = ControlCheck {
                    name: "entry amount = embedded 820 BPR02".into(),
                    locator: inner.locator.clone(),
                    result: if inner.amount == entry_amount {
                        BalanceCheck::Pass
                    } else {
                        BalanceCheck::Fail
                    },
                    detail: format!(
                        "entry {} , BPR02 {}",
                        entry_amount.map(|d| d.to_string()).unwrap_or_default(),
                        inner.amount.map(|d| d.to_string()).unwrap_or_default()
                    ),
                };
                self.covering[a].push(self.out.checks.len());
                self.out.checks.push(check);
                lines.extend(inner.lines.iter().cloned());
            }
            for c in read.checks {
                self.covering[a].push(self.out.checks.len());
                self.out.checks.push(ControlCheck {
                    name: format!("embedded 820: {}", c.name),
                    ..c
                });
            }
            let advice = &mut self.out.advices[a];
            if let Some(inner) = read.advices.first() {
                if advice.payer_name.is_empty() {
                    advice.payer_name = inner.payer_name.clone();
                }
                if inner.currency != advice.currency {
                    advice.currency = inner.currency.clone();
                }
            }
            advice.lines = lines;
        } else {
            let mut free = Vec::new();
            for (line, text) in &entry.addenda {
                let mut structured = false;
                for segment in text.split('\\') {
                    let els: Vec<&str> = segment.trim().split('*').map(str::trim).collect();
                    match els.first().copied() {
                        Some("RMR") => {
                            structured = true;
                            let amount = |n: usize| -> Result<Option<Decimal>, ParseError> {
                                let t = els.get(n).copied().unwrap_or("");
                                if t.is_empty() {
                                    return Ok(None);
                                }
                                decimal_amount(t).map(Some).map_err(|e| {
                                    self.error(
                                        Location::Element {
                                            line: *line,
                                            path: format!("addenda RMR{n:02}"),
                                        },
                                        ErrorKind::InvalidAmount,
                                        super::amount_message(t, e, "an X12 decimal"),
                                    )
                                })
                            };
                            let l = AdviceLine {
                                invoice_reference: els.get(2).copied().unwrap_or("").to_string(),
                                document_type: match els.get(1).copied().unwrap_or("") {
                                    "CM" => DocumentType::CreditNote,
                                    "PO" => DocumentType::PurchaseOrder,
                                    "IV" | "IK" | "AP" => DocumentType::Invoice,
                                    _ => DocumentType::Other,
                                },
                                document_code: els.get(1).copied().unwrap_or("").to_string(),
                                amount_paid: amount(4)?,
                                invoice_amount: amount(5)?,
                                discount_amount: amount(6)?,
                                source_line: *line,
                                locator: format!("line {line} (addenda RMR)"),
                                ..AdviceLine::default()
                            };
                            self.out.advices[a].lines.push(l);
                        }
                        Some("TXP") => {
                            structured = true;
                            // TXP04/05, 06/07, 08/09: amount type and amount
                            // in cents (the tax payment banking convention).
                            let mut total = Decimal::ZERO;
                            for n in [5usize, 7, 9] {
                                let t = els.get(n).copied().unwrap_or("");
                                if t.is_empty() {
                                    continue;
                                }
                                let v = crate::amount::parse_minor_units(t, 2).map_err(|_| {
                                    self.error(
                                        Location::Element {
                                            line: *line,
                                            path: format!("addenda TXP{n:02}"),
                                        },
                                        ErrorKind::InvalidAmount,
                                        format!("TXP amount `{t}` is not an amount in cents"),
                                    )
                                })?;
                                total = total.checked_add(v).unwrap_or(total);
                            }
                            self.out.advices[a].lines.push(AdviceLine {
                                invoice_reference: els.get(2).copied().unwrap_or("").to_string(),
                                document_type: DocumentType::TaxPayment,
                                document_code: "TXP".into(),
                                amount_paid: Some(total),
                                source_line: *line,
                                locator: format!("line {line} (addenda TXP)"),
                                ..AdviceLine::default()
                            });
                        }
                        _ => {}
                    }
                }
                if !structured {
                    free.push(text.trim().to_string());
                }
            }
            self.out.advices[a].remittance_text = free.join(" ");
        }
        let advice = &self.out.advices[a];
        let own = lines_check(
            "entry amount = its remittance lines",
            &advice.locator,
            advice.amount,
            &advice.lines,
        );
        self.covering[a].push(self.out.checks.len());
        self.out.checks.push(own);
        Ok(())
    }

    fn batch_control(&mut self, rec: &Rec<'_>) -> Result<(), ParseError> {
        self.close_entry()?;
        let Some(batch) = self.batch.take() else {
            return Err(self.error(
                Location::Line(rec.line),
                ErrorKind::Structure,
                "batch control (type 8) without a batch header".into(),
            ));
        };
        let count = self.digits(rec, 4, 10, "entry/addenda count")?;
        let hash = self.digits(rec, 10, 20, "entry hash")?;
        let debit = self.cents(rec, 20, 32, "total debit")?;
        let credit = self.cents(rec, 32, 44, "total credit")?;
        let at = format!("line {}", rec.line);
        let t = batch.totals;
        let checks = [
            compare(
                "batch entry/addenda count",
                &at,
                count,
                t.entries_and_addenda,
            ),
            compare("batch entry hash", &at, hash, t.hash % 10_000_000_000),
            compare("batch total debit", &at, debit, t.debit),
            compare("batch total credit", &at, credit, t.credit),
        ];
        for c in checks {
            for &a in &batch.advices {
                self.covering[a].push(self.out.checks.len());
            }
            self.batch_check_indices.push(self.out.checks.len());
            self.out.checks.push(c);
        }
        let f = &mut self.file_totals;
        f.entries_and_addenda += t.entries_and_addenda;
        f.hash += t.hash;
        f.debit += t.debit;
        f.credit += t.credit;
        Ok(())
    }

    fn file_control(&mut self, rec: &Rec<'_>) -> Result<(), ParseError> {
        self.close_entry()?;
        if let Some(b) = &self.batch {
            return Err(self.error(
                Location::Line(rec.line),
                ErrorKind::Structure,
                format!(
                    "file control while the batch of line {} has no batch control",
                    b.line
                ),
            ));
        }
        let batches = self.digits(rec, 1, 7, "batch count")?;
        let count = self.digits(rec, 13, 21, "entry/addenda count")?;
        let hash = self.digits(rec, 21, 31, "entry hash")?;
        let debit = self.cents(rec, 31, 43, "total debit")?;
        let credit = self.cents(rec, 43, 55, "total credit")?;
        let at = format!("line {}", rec.line);
        let f = self.file_totals;
        let checks = [
            compare("file batch count", &at, batches, self.batches),
            compare(
                "file entry/addenda count",
                &at,
                count,
                f.entries_and_addenda,
            ),
            compare("file entry hash", &at, hash, f.hash % 10_000_000_000),
            compare("file total debit", &at, debit, f.debit),
            compare("file total credit", &at, credit, f.credit),
        ];
        for c in checks {
            for cover in self.covering.iter_mut() {
                cover.push(self.out.checks.len());
            }
            self.out.checks.push(c);
        }
        self.file_control_seen = true;
        Ok(())
    }

    fn finish(mut self) -> Result<ParsedRemittance, ParseError> {
        self.close_entry()?;
        if let Some(b) = &self.batch {
            return Err(self.error(
                Location::Line(b.line),
                ErrorKind::Truncated,
                "batch has no batch control (type 8): the file is truncated".into(),
            ));
        }
        if !self.file_control_seen {
            return Err(self.error(
                Location::Line(1),
                ErrorKind::Truncated,
                "no file control (type 9) record: the file is truncated".into(),
            ));
        }
        let Reader {
            mut out, covering, ..
        } = self;
        for (a, advice) in out.advices.iter_mut().enumerate() {
            let cover: Vec<&ControlCheck> = covering[a].iter().map(|&c| &out.checks[c]).collect();
            settle_advice(advice, &cover);
        }
        Ok(out)
    }
}
