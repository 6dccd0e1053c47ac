//! `run --decisions FILE`: reads the clerks' decisions CSV (the engine does
//! no I/O) and words the engine's conflicts with the file, line and column.
//!
//! Format (RFC 4180, UTF-8, a header row; column order free):
//! `transaction_id, invoice_id, amount, action, reason, decided_by` and an
//! optional `customer_id` (the account an `on_account` or `refund` rest goes
//! to, when no invoice of that customer is named). `action` is `apply`,
//! `on_account`, `refund` or `ignore`; `amount` uses a decimal point and may
//! be empty (the invoice's open amount, or the rest of the payment).
//!
//! A file with any malformed or conflicting row is rejected whole (exit 1,
//! every problem listed): nothing of it is applied and nothing is published.

use crate::inputs::InputFile;
use crate::manifest::{InputRole, InputStatus};
use crate::CliError;
use cashmatch_engine::model::Batch;
use cashmatch_engine::passes::manual::{self, Decision, DecisionAction, ManualPlan};
use std::path::Path;

/// Largest decisions file read (a day's decisions are kilobytes).
const DECISIONS_BYTES_MAX: u64 = 256 << 20;

/// Columns every decisions file has.
const REQUIRED: [&str; 6] = [
    "transaction_id",
    "invoice_id",
    "amount",
    "action",
    "reason",
    "decided_by",
];
/// Columns a decisions file may have.
const OPTIONAL: [&str; 1] = ["customer_id"];

/// A decisions file as read.
#[derive(Debug, Clone)]
pub struct DecisionsFile {
    /// The file's name as the manifest records it.
    pub name: String,
    /// Its rows.
    pub decisions: Vec<Decision>,
    /// Header names in file order (errors give the column number).
    header: Vec<String>,
    /// The manifest input (role `decisions`, SHA-256, rows).
    pub input: InputFile,
}

impl DecisionsFile {
    /// The 1-based column of `name`, for error messages.
    fn column_number(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .map_or(0, |i| i + 1)
    }

    /// Checks the decisions against the batch: the plan, or one error
    /// listing every conflict (file, line, column).
    pub fn plan(&mut self, batch: &Batch) -> Result<ManualPlan, CliError> {
        match manual::plan(batch, &self.decisions) {
            Ok(plan) => {
                let by_action: Vec<String> = plan
                    .rows_by_action
                    .iter()
                    .map(|(a, n)| format!("{} {n}", a.as_str()))
                    .collect();
                self.input.detail = format!(
                    "{} decision row(s) for {} transaction(s): {}",
                    self.decisions.len(),
                    plan.txns.len(),
                    by_action.join(", ")
                );
                Ok(plan)
            }
            Err(errors) => {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|e| {
                        format!(
                            "decisions file `{}`, line {}, column {} ({}): {}",
                            self.name,
                            e.line,
                            self.column_number(e.column),
                            e.column,
                            e.message
                        )
                    })
                    .collect();
                Err(rejected(&lines))
            }
        }
    }
}

fn rejected(lines: &[String]) -> CliError {
    CliError::Input(format!(
        "{}\nthe decisions file was rejected whole: nothing of it was applied and nothing was published",
        lines.join("\n")
    ))
}

/// Reads and checks the shape of a decisions file (values are checked
/// against the run's data by [`DecisionsFile::plan`]).
pub fn read(path: &Path) -> Result<DecisionsFile, CliError> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bytes = cashmatch_parsers::read_input_limited(path, DECISIONS_BYTES_MAX)
        .map_err(|e| CliError::Input(format!("decisions file `{}`: {e}", path.display())))?;
    let bytes: &[u8] = &bytes;
    let sha256 = crate::output::sha256_hex(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        CliError::Input(format!(
            "decisions file `{name}` is not UTF-8 (byte {}): save it as UTF-8",
            e.valid_up_to()
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records = parse_csv(text).map_err(|(line, msg)| {
        rejected(&[format!("decisions file `{name}`, line {line}: {msg}")])
    })?;
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(rejected(&[format!(
            "decisions file `{name}` is empty: it needs the header {}",
            REQUIRED.join(",")
        )]));
    };
    let (header, mut problems) =
        check_header("decisions file", &name, &header, &REQUIRED, &OPTIONAL);
    if !problems.is_empty() {
        return Err(rejected(&problems));
    }
    let at = |col: &str| header.iter().position(|h| h == col);
    let mut decisions = Vec::new();
    for (line, fields) in records {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let bad = |col: &str, msg: String| {
            format!(
                "decisions file `{name}`, line {line}, column {} ({col}): {msg}",
                at(col).map_or(0, |i| i + 1)
            )
        };
        if fields.len() != header.len() {
            problems.push(format!(
                "decisions file `{name}`, line {line}: {} field(s), the header has {}",
                fields.len(),
                header.len()
            ));
            continue;
        }
        let get = |col: &str| at(col).map_or("", |i| fields[i].trim());
        let action = match DecisionAction::parse(get("action")) {
            Some(a) => a,
            None => {
                problems.push(bad(
                    "action",
                    format!(
                        "`{}` is not an action: apply, on_account, refund or ignore",
                        get("action")
                    ),
                ));
                continue;
            }
        };
        let amount = match get("amount") {
            "" => None,
            text => match cashmatch_parsers::amount::parse_unsigned(text, b'.') {
                Ok(a) => Some(a),
                Err(e) => {
                    problems.push(bad(
                        "amount",
                        format!("`{text}` is not an amount (use a decimal point, no sign): {e}"),
                    ));
                    continue;
                }
            },
        };
        if get("transaction_id").is_empty() {
            problems.push(bad("transaction_id", "the transaction is missing".into()));
            continue;
        }
        decisions.push(Decision {
            line,
            transaction_id: get("transaction_id").to_string(),
            invoice_id: get("invoice_id").to_string(),
            customer_id: get("customer_id").to_string(),
            amount,
            action,
            reason: get("reason").to_string(),
            decided_by: get("decided_by").to_string(),
        });
    }
    if !problems.is_empty() {
        return Err(rejected(&problems));
    }
    let input = InputFile {
        role: InputRole::Decisions,
        name: name.clone(),
        sha256,
        bytes: bytes.len() as u64,
        format: "decisions-csv".into(),
        rows: decisions.len() as u64,
        status: InputStatus::Accepted,
        detail: String::new(),
        path: Some(path.to_string_lossy().into_owned()),
    };
    Ok(DecisionsFile {
        name,
        decisions,
        header,
        input,
    })
}

/// A CSV record: the 1-based line it starts on and its fields.
type Record = (u64, Vec<String>);

/// The header of a CSV input (`what`: "decisions file", "rates file"),
/// trimmed and lower-cased, and what is wrong with it, each problem naming
/// file, line and column: unknown columns, columns named twice, required
/// columns missing.
pub(crate) fn check_header(
    what: &str,
    name: &str,
    header: &[String],
    required: &[&str],
    optional: &[&str],
) -> (Vec<String>, Vec<String>) {
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut problems = Vec::new();
    for (i, h) in header.iter().enumerate() {
        if !required.contains(&h.as_str()) && !optional.contains(&h.as_str()) {
            let optionally = if optional.is_empty() {
                String::new()
            } else {
                format!(" and optionally {}", optional.join(", "))
            };
            problems.push(format!(
                "{what} `{name}`, line 1, column {} ({h}): unknown column; the columns are {}{optionally}",
                i + 1,
                required.join(", "),
            ));
        } else if header[..i].contains(h) {
            problems.push(format!(
                "{what} `{name}`, line 1, column {} ({h}): column appears twice",
                i + 1
            ));
        }
    }
    for r in required {
        if !header.iter().any(|h| h == r) {
            problems.push(format!("{what} `{name}`, line 1: column `{r}` is missing"));
        }
    }
    (header, problems)
}

/// RFC 4180 records with the 1-based line each starts on: quoted fields
/// may hold commas, doubled quotes and line breaks.
pub(crate) fn parse_csv(text: &str) -> Result<Vec<Record>, (u64, String)> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line: u64 = 1;
    let mut start = 1;
    let mut in_quotes = false;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut pending = false;
    while let Some(c) = chars.next() {
        pending = true;
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                in_quotes = true;
                quoted = true;
            }
            '"' => return Err((line, "a quote inside an unquoted field".into())),
            ',' => {
                fields.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut fields)));
                quoted = false;
                pending = false;
                line += 1;
                start = line;
            }
            _ if quoted => {
                return Err((line, "text after a closing quote".into()));
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err((start, "a quoted field is not closed".into()));
    }
    if pending {
        fields.push(field);
        out.push((start, fields));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_csv;

    #[test]
    fn quoted_fields_keep_commas_quotes_and_lines() {
        let rows = parse_csv("a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\nlast,1").unwrap();
        assert_eq!(rows[0], (1, vec!["a".into(), "b".into()]));
        assert_eq!(rows[1], (2, vec!["x, \"y\"".into(), "two\nlines".into()]));
        assert_eq!(rows[2], (4, vec!["last".into(), "1".into()]));
        assert_eq!(parse_csv("a,\"b\n").unwrap_err().0, 1);
        assert_eq!(parse_csv("a,b\"c\n").unwrap_err().0, 1);
    }
}
