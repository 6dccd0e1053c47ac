//! `run --rates FILE`: the exchange rates a run converts cross-currency
//! payments with (the engine's `fx` module decides what to do with them).
//!
//! CSV, UTF-8, header row with the columns `date, from, to, rate, source`
//! in any order (RFC 4180 quoting): 1 `from` = `rate` `to` on `date`
//! (`YYYY-MM-DD`), both ISO 4217 codes; `source` names who quoted it (`ECB`,
//! the bank) and is recorded on every application that used the rate. A
//! file with any bad row is refused whole, every problem named with file,
//! line and column: a wrong rate is never half-used.

use crate::manifest::{InputFile, InputRole, InputStatus};
use crate::CliError;
use cashmatch_engine::fx::{Rate, RateTable};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

/// Largest rates file read (a year of daily fixings for 40 pairs is
/// about 600 KB).
const RATES_BYTES_MAX: u64 = 64 << 20;
/// The columns of a rates file.
const COLUMNS: [&str; 5] = ["date", "from", "to", "rate", "source"];
/// Problems listed before the rest are counted.
const PROBLEMS_SHOWN_MAX: usize = 20;
/// A rate at or above this is not a rate (a typo or an amount).
const RATE_MAX: i64 = 1_000_000_000;

/// A rates file as read.
#[derive(Debug, Clone)]
pub struct RatesFile {
    /// The rates, by pair and date.
    pub table: RateTable,
    /// The manifest input (role `rates`, SHA-256, rows).
    pub input: InputFile,
}

/// Reads and checks a rates file.
pub fn read(path: &Path) -> Result<RatesFile, CliError> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bytes = cashmatch_parsers::read_input_limited(path, RATES_BYTES_MAX)
        .map_err(|e| CliError::Input(format!("rates file `{}`: {e}", path.display())))?;
    let sha256 = crate::output::sha256_hex(&bytes);
    let rates = parse(&bytes, &name)?;
    let rows = rates.len() as u64;
    Ok(RatesFile {
        table: RateTable::new(rates),
        input: InputFile {
            role: InputRole::Rates,
            name,
            sha256,
            bytes: bytes.len() as u64,
            format: "rates-csv".into(),
            rows,
            status: InputStatus::Accepted,
            detail: String::new(),
            path: Some(path.to_string_lossy().into_owned()),
        },
    })
}

/// Parses the bytes of a rates file named `name` (in messages).
pub fn parse(bytes: &[u8], name: &str) -> Result<Vec<Rate>, CliError> {
    let refuse = |problems: Vec<String>| {
        let more = problems.len().saturating_sub(PROBLEMS_SHOWN_MAX);
        let mut text = problems
            .into_iter()
            .take(PROBLEMS_SHOWN_MAX)
            .collect::<Vec<_>>()
            .join("\n");
        if more > 0 {
            text.push_str(&format!("\nand {more} more problem(s)"));
        }
        CliError::Input(format!(
            "{text}\nthe rates file was refused whole: nothing was applied and nothing was published"
        ))
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        CliError::Input(format!(
            "rates file `{name}` is not UTF-8 (byte {}): save it as UTF-8",
            e.valid_up_to()
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let records = crate::decisions::parse_csv(text)
        .map_err(|(line, msg)| refuse(vec![format!("rates file `{name}`, line {line}: {msg}")]))?;
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(refuse(vec![format!(
            "rates file `{name}` is empty: it needs the header {}",
            COLUMNS.join(",")
        )]));
    };
    let (header, mut problems) =
        crate::decisions::check_header("rates file", name, &header, &COLUMNS, &[]);
    if !problems.is_empty() {
        return Err(refuse(problems));
    }
    let at = |col: &str| header.iter().position(|h| h == col).unwrap_or(0);
    let mut rates = Vec::new();
    let mut seen: BTreeMap<(NaiveDate, String, String), u64> = BTreeMap::new();
    for (line, fields) in records {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if fields.len() != header.len() {
            problems.push(format!(
                "rates file `{name}`, line {line}: {} field(s), the header has {}",
                fields.len(),
                header.len()
            ));
            continue;
        }
        let field = |col: &str| fields[at(col)].trim();
        let bad = |col: &str, msg: String| {
            format!(
                "rates file `{name}`, line {line}, column {} ({col}): {msg}",
                at(col) + 1
            )
        };
        let before = problems.len();
        let date = NaiveDate::parse_from_str(field("date"), "%Y-%m-%d")
            .map_err(|_| {
                problems.push(bad(
                    "date",
                    format!("`{}` is not a date YYYY-MM-DD", field("date")),
                ))
            })
            .ok();
        let mut code = |col: &str| {
            let c = field(col).to_ascii_uppercase();
            if cashmatch_parsers::currency::lookup(&c).is_none() {
                problems.push(bad(
                    col,
                    format!("`{}` is not an ISO 4217 currency code", field(col)),
                ));
            }
            c
        };
        let from = code("from");
        let to = code("to");
        if from == to && problems.len() == before {
            problems.push(bad("to", format!("a rate from {from} to itself")));
        }
        let raw = field("rate");
        let rate = match Decimal::from_str(raw) {
            Ok(r)
                if r > Decimal::ZERO
                    && r < Decimal::from(RATE_MAX)
                    && raw.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
            {
                Some(r)
            }
            _ => {
                problems.push(bad(
                    "rate",
                    format!(
                        "`{raw}` is not a positive decimal rate (digits and `.`, below {RATE_MAX})"
                    ),
                ));
                None
            }
        };
        if let (Some(date), Some(rate)) = (date, rate) {
            if problems.len() == before {
                if let Some(first) = seen.insert((date, from.clone(), to.clone()), line) {
                    problems.push(format!(
                        "rates file `{name}`, line {line}: {from}/{to} on {date} is quoted again (first on line {first})"
                    ));
                    continue;
                }
                rates.push(Rate {
                    date,
                    from,
                    to,
                    rate,
                    source: field("source").to_string(),
                });
            }
        }
    }
    if !problems.is_empty() {
        return Err(refuse(problems));
    }
    Ok(rates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(text.as_bytes(), "rates.csv").unwrap_err().to_string()
    }

    #[test]
    fn reads_a_rates_file_in_any_column_order() {
        let r = parse(
            b"source,date,from,to,rate\nECB,2026-03-02,eur,USD,1.0850\n\nbank,2026-03-02,GBP,EUR,1.17\n",
            "rates.csv",
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].from, "EUR");
        assert_eq!(r[0].rate, Decimal::new(10850, 4));
        assert_eq!(r[1].source, "bank");
    }

    #[test]
    fn every_bad_row_is_named_with_file_line_and_column() {
        let e = err("date,from,to,rate,source\n2026-02-30,EUR,USD,1.08,ECB\n2026-03-02,EUR,XXX,1.08,ECB\n2026-03-02,EUR,USD,-1,ECB\n2026-03-02,EUR,USD,1e3,ECB\n2026-03-02,EUR,EUR,1,ECB\n");
        assert!(
            e.contains("rates file `rates.csv`, line 2, column 1 (date)"),
            "{e}"
        );
        assert!(
            e.contains("line 3, column 3 (to): `XXX` is not an ISO 4217"),
            "{e}"
        );
        assert!(e.contains("line 4, column 4 (rate)"), "{e}");
        assert!(e.contains("line 5, column 4 (rate)"), "{e}");
        assert!(
            e.contains("line 6, column 3 (to): a rate from EUR to itself"),
            "{e}"
        );
        assert!(e.contains("refused whole"), "{e}");
    }

    #[test]
    fn header_and_duplicates_are_checked() {
        assert!(err("").contains("is empty"));
        let e = err("date,from,to,rate\n");
        assert!(e.contains("column `source` is missing"), "{e}");
        let e = err("date,from,to,rate,source,fx\n");
        assert!(e.contains("column 6 (fx): unknown column"), "{e}");
        let e = err(
            "date,from,to,rate,source\n2026-03-02,EUR,USD,1.08,ECB\n2026-03-02,EUR,USD,1.09,bank\n",
        );
        assert!(
            e.contains("line 3: EUR/USD on 2026-03-02 is quoted again (first on line 2)"),
            "{e}"
        );
        let e = err("date,from,to,rate,source\n2026-03-02,EUR,USD\n");
        assert!(e.contains("line 2: 3 field(s), the header has 5"), "{e}");
    }
}
