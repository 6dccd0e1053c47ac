//! Reading `truth.csv` and prediction files.
//!
//! A deliberately small CSV reader: fields are found by header name, RFC 4180
//! quotes are honoured, and every error names the file, the line and the
//! column, then the problem.

use crate::config::Scenario;
use rust_decimal::Decimal;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::str::FromStr;

/// One row of `truth.csv`: how much of a payment truly goes to one invoice.
///
/// A payment that truly pays nothing (unknown payer, duplicate, wrong
/// currency) has exactly one row with an empty `invoice_id` and zero amounts,
/// so that its scenario is still known.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TruthLine {
    /// The bank line (`bank_reference` column of `bank.csv`).
    pub bank_reference: String,
    /// The invoice paid; empty when the payment pays nothing.
    pub invoice_id: String,
    /// Cash applied to the invoice.
    pub applied_amount: Decimal,
    /// Early-payment discount granted on top of the cash.
    pub discount_amount: Decimal,
    /// Small difference written off on top of the cash.
    pub writeoff_amount: Decimal,
    /// Deduction cleared on top of the cash (a short pay the payer
    /// explained and the creditor accepts); 0 when the column is absent.
    pub deduction_amount: Decimal,
    /// The story behind the payment.
    pub scenario: Scenario,
}

impl TruthLine {
    /// Whether this row says the payment pays nothing.
    pub fn pays_nothing(&self) -> bool {
        self.invoice_id.is_empty()
    }
}

/// One application proposed by an engine, in the same shape as [`TruthLine`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PredictedLine {
    /// The bank line applied.
    pub bank_reference: String,
    /// The invoice it was applied to; rows with an empty id (unapplied cash)
    /// are ignored by [`crate::evaluate`].
    pub invoice_id: String,
    /// Cash applied.
    pub applied_amount: Decimal,
    /// Discount granted.
    pub discount_amount: Decimal,
    /// Amount written off.
    pub writeoff_amount: Decimal,
}

/// Reads a `truth.csv` written by [`crate::generate`] (the `discount_amount`,
/// `writeoff_amount` and `deduction_amount` columns may be missing and then
/// read as 0).
pub fn read_truth(path: &Path) -> io::Result<Vec<TruthLine>> {
    let mut lines = Vec::new();
    read_rows(path, &TRUTH_COLUMNS, |row, at| {
        let scenario_name = row.get(5);
        let scenario = Scenario::from_name(scenario_name)
            .ok_or_else(|| at.error("scenario", &format!("unknown scenario `{scenario_name}`")))?;
        lines.push(TruthLine {
            bank_reference: row.get(0).to_string(),
            invoice_id: row.get(1).to_string(),
            applied_amount: at.amount("applied_amount", row.get(2))?,
            discount_amount: at.amount("discount_amount", row.get(3))?,
            writeoff_amount: at.amount("writeoff_amount", row.get(4))?,
            deduction_amount: at.amount("deduction_amount", row.get(6))?,
            scenario,
        });
        Ok(())
    })?;
    Ok(lines)
}

/// Reads predictions with the columns `bank_reference,invoice_id,applied_amount`
/// and optionally `discount_amount,writeoff_amount` (any order, extra columns ignored).
pub fn read_predicted(path: &Path) -> io::Result<Vec<PredictedLine>> {
    let mut lines = Vec::new();
    read_rows(path, &PREDICTED_COLUMNS, |row, at| {
        lines.push(PredictedLine {
            bank_reference: row.get(0).to_string(),
            invoice_id: row.get(1).to_string(),
            applied_amount: at.amount("applied_amount", row.get(2))?,
            discount_amount: at.amount("discount_amount", row.get(3))?,
            writeoff_amount: at.amount("writeoff_amount", row.get(4))?,
        });
        Ok(())
    })?;
    Ok(lines)
}

/// What an engine did with a payment beyond its applications: the
/// deduction of each application and the reason code of the unapplied
/// money, so that [`crate::evaluate_with`] scores them too.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PredictedExtras {
    /// Deduction of each application (bank reference, invoice, amount).
    pub deductions: Vec<PredictedDeduction>,
    /// The exception of each payment with unapplied money.
    pub exceptions: Vec<PredictedException>,
}

/// The deduction an engine cleared on one application.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PredictedDeduction {
    /// The bank line.
    pub bank_reference: String,
    /// The invoice.
    pub invoice_id: String,
    /// Deduction cleared on top of the cash.
    pub deduction_amount: Decimal,
}

/// The exception an engine raised for a payment's unapplied money.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PredictedException {
    /// The bank line.
    pub bank_reference: String,
    /// The stable reason code (`NO_MATCH`, `DUPLICATE_PAYMENT`, ...).
    pub reason: String,
}

/// A column the reader looks for: its name and whether it must be present.
struct Column {
    name: &'static str,
    required: bool,
}

const TRUTH_COLUMNS: [Column; 7] = [
    Column {
        name: "bank_reference",
        required: true,
    },
    Column {
        name: "invoice_id",
        required: true,
    },
    Column {
        name: "applied_amount",
        required: true,
    },
    Column {
        name: "discount_amount",
        required: false,
    },
    Column {
        name: "writeoff_amount",
        required: false,
    },
    Column {
        name: "scenario",
        required: true,
    },
    Column {
        name: "deduction_amount",
        required: false,
    },
];

const PREDICTED_COLUMNS: [Column; 5] = [
    Column {
        name: "bank_reference",
        required: true,
    },
    Column {
        name: "invoice_id",
        required: true,
    },
    Column {
        name: "applied_amount",
        required: true,
    },
    Column {
        name: "discount_amount",
        required: false,
    },
    Column {
        name: "writeoff_amount",
        required: false,
    },
];

/// The wanted columns of one record, in the order they were asked for.
struct Row<'a> {
    fields: &'a [String],
    positions: &'a [Option<usize>],
}

impl Row<'_> {
    /// The field of wanted column `n`, or "" when the file lacks that optional column.
    fn get(&self, n: usize) -> &str {
        self.positions[n]
            .and_then(|p| self.fields.get(p))
            .map_or("", String::as_str)
    }
}

/// Where a record is, for error messages.
struct At<'a> {
    file: &'a str,
    line: u64,
}

impl At<'_> {
    fn error(&self, column: &str, problem: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} line {}, column `{column}`: {problem}",
                self.file, self.line
            ),
        )
    }

    /// Parses an amount; an empty optional field is zero.
    fn amount(&self, column: &str, text: &str) -> io::Result<Decimal> {
        if text.is_empty() {
            return Ok(Decimal::ZERO);
        }
        Decimal::from_str(text)
            .map_err(|_| self.error(column, &format!("`{text}` is not a decimal amount")))
    }
}

fn read_rows(
    path: &Path,
    columns: &[Column],
    mut on_row: impl FnMut(&Row<'_>, &At<'_>) -> io::Result<()>,
) -> io::Result<()> {
    let file_name = path.display().to_string();
    let mut reader = BufReader::new(std::fs::File::open(path)?);
    let mut text = String::new();
    let mut fields = Vec::new();
    if reader.read_line(&mut text)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{file_name} line 1: empty file, expected a header"),
        ));
    }
    split_record(text.trim_start_matches('\u{feff}'), &mut fields);
    let mut positions = Vec::with_capacity(columns.len());
    for column in columns {
        let position = fields.iter().position(|f| f == column.name);
        if position.is_none() && column.required {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{file_name} line 1: header lacks column `{}`", column.name),
            ));
        }
        positions.push(position);
    }
    let mut line = 1;
    loop {
        text.clear();
        if reader.read_line(&mut text)? == 0 {
            return Ok(());
        }
        line += 1;
        if text.trim().is_empty() {
            continue;
        }
        split_record(&text, &mut fields);
        let at = At {
            file: &file_name,
            line,
        };
        on_row(
            &Row {
                fields: &fields,
                positions: &positions,
            },
            &at,
        )?;
    }
}

/// Splits one CSV record (without embedded line breaks) into `fields`,
/// reusing their allocations.
pub(crate) fn split_record(record: &str, fields: &mut Vec<String>) {
    let record = record.trim_end_matches(['\n', '\r']);
    let mut count = 0;
    let mut chars = record.chars().peekable();
    loop {
        if count == fields.len() {
            fields.push(String::new());
        }
        let field = &mut fields[count];
        field.clear();
        count += 1;
        let mut quoted = false;
        if chars.peek() == Some(&'"') {
            quoted = true;
            chars.next();
        }
        let mut ended_record = true;
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        quoted = false;
                    }
                }
                ',' if !quoted => {
                    ended_record = false;
                    break;
                }
                _ => field.push(c),
            }
        }
        if ended_record {
            break;
        }
    }
    fields.truncate(count);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_record_handles_quotes() {
        let mut fields = Vec::new();
        split_record("a,\"b, c\",\"say \"\"hi\"\"\",,d\r\n", &mut fields);
        assert_eq!(fields, ["a", "b, c", "say \"hi\"", "", "d"]);
        split_record("x", &mut fields);
        assert_eq!(fields, ["x"]);
    }

    #[test]
    fn read_truth_reports_file_line_and_column() {
        let dir = std::env::temp_dir().join(format!("cm-truth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("truth.csv");
        std::fs::write(
            &path,
            "bank_reference,invoice_id,applied_amount,scenario\nBR1,INV-1,10.00,exact_reference\nBR2,,zero,unknown_payment\n",
        )
        .unwrap();
        let err = read_truth(&path).unwrap_err().to_string();
        assert!(err.contains("line 3, column `applied_amount`"), "{err}");
        std::fs::write(
            &path,
            "bank_reference,invoice_id,applied_amount,scenario\nBR1,INV-1,10.00,exact_reference\n",
        )
        .unwrap();
        let truth = read_truth(&path).unwrap();
        assert_eq!(truth[0].discount_amount, Decimal::ZERO);
        assert_eq!(truth[0].scenario, Scenario::ExactReference);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
