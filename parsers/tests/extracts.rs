//! ERP extract reader: number formats as real ERPs write them, rows kept
//! with a [`RowIssue`], and bounded reading.

use cashmatch_parsers::extracts::{
    read_customers, read_open_items, read_open_items_from_bytes, ExtractOptions,
};
use cashmatch_parsers::{OpenItemRow, RowIssue};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

const HEADER: &str =
    "invoice_id,customer_id,customer_name,currency,amount_open,amount_original,invoice_date,due_date\n";

fn items(text: &str, options: &ExtractOptions) -> Result<Vec<OpenItemRow>, String> {
    read_open_items_from_bytes("items.csv", text.as_bytes(), options).map_err(|e| e.to_string())
}

fn one_amount(amount: &str, options: &ExtractOptions) -> Result<Decimal, String> {
    let d = options.delimiter.as_str();
    let quoted = format!("\"{amount}\"");
    let row = [
        "INV-1",
        "C1",
        "Acme",
        "EUR",
        &quoted,
        &quoted,
        "2026-01-01",
        "2026-02-01",
    ]
    .join(d);
    let text = format!("{}{row}\n", HEADER.replace(',', d));
    items(&text, options).map(|rows| rows[0].amount_open)
}

fn german() -> ExtractOptions {
    ExtractOptions {
        delimiter: ";".into(),
        decimal_comma: true,
        thousands_separator: Some(".".into()),
        trailing_minus: true,
        ..ExtractOptions::default()
    }
}

/// RELIABILITY B1-10: a German SAP export (`1.234,56`, `150,00-`) reads
/// with `decimal_comma` and `thousands_separator = "."` (it was refused as
/// "is not an amount" even with `decimal_comma = true`).
#[test]
fn german_sap_amounts_read_with_their_settings() {
    let o = german();
    assert_eq!(one_amount("1.234,56", &o).unwrap().to_string(), "1234.56");
    assert_eq!(one_amount("150,00-", &o).unwrap().to_string(), "-150.00");
    assert_eq!(one_amount("-1.000,00", &o).unwrap().to_string(), "-1000.00");
    assert_eq!(one_amount("3.000", &o).unwrap().to_string(), "3000");
    let comma_only = ExtractOptions {
        delimiter: ";".into(),
        decimal_comma: true,
        ..ExtractOptions::default()
    };
    assert_eq!(
        one_amount("1234,56", &comma_only).unwrap().to_string(),
        "1234.56"
    );
}

/// RELIABILITY B1-10: every grouping ERPs write, and parentheses.
#[test]
fn grouping_separators_and_parentheses() {
    let with = |comma: bool, sep: &str| ExtractOptions {
        delimiter: ";".into(),
        decimal_comma: comma,
        thousands_separator: Some(sep.into()),
        negative_parentheses: true,
        ..ExtractOptions::default()
    };
    assert_eq!(
        one_amount("1,234.56", &with(false, ","))
            .unwrap()
            .to_string(),
        "1234.56"
    );
    assert_eq!(
        one_amount("1'234.56", &with(false, "'"))
            .unwrap()
            .to_string(),
        "1234.56"
    );
    assert_eq!(
        one_amount("1 234,56", &with(true, " "))
            .unwrap()
            .to_string(),
        "1234.56"
    );
    assert_eq!(
        one_amount("1\u{A0}234,56", &with(true, " "))
            .unwrap()
            .to_string(),
        "1234.56"
    );
    assert_eq!(
        one_amount("1\u{202F}234,56", &with(true, " "))
            .unwrap()
            .to_string(),
        "1234.56"
    );
    assert_eq!(
        one_amount("(150.00)", &with(false, ","))
            .unwrap()
            .to_string(),
        "-150.00"
    );
}

/// RELIABILITY B1-10: strict by default and strict when configured: a value
/// is never read as another number, and the error names the setting.
#[test]
fn values_that_do_not_fit_name_the_setting_to_change() {
    let e = one_amount("1.234,56", &ExtractOptions::default()).unwrap_err();
    assert!(
        e.contains(
            "`1.234,56` is not an amount with decimal_comma = false; set `[open_items] decimal_comma = true` and `thousands_separator = \".\"`"
        ),
        "{e}"
    );
    assert!(
        e.contains("data row 1 (line 2), column `amount_open`"),
        "{e}"
    );
    let e = one_amount("150.00-", &ExtractOptions::default()).unwrap_err();
    assert!(
        e.contains("set `[open_items] trailing_minus = true`"),
        "{e}"
    );
    let e = one_amount("(150.00)", &ExtractOptions::default()).unwrap_err();
    assert!(
        e.contains("set `[open_items] negative_parentheses = true`"),
        "{e}"
    );
    // A grouping separator in the wrong place is an error under any setting.
    let e = one_amount("1.23,45", &german()).unwrap_err();
    assert!(
        e.contains(
            "`1.23,45` is not an amount with decimal_comma = true, thousands_separator = \".\""
        ),
        "{e}"
    );
    assert!(one_amount("1,234.56", &german()).is_err());
    assert!(one_amount("12.34", &german()).is_err());
    let e = one_amount("12 EUR", &german()).unwrap_err();
    assert!(e.contains("expected digits"), "{e}");
    let bad = ExtractOptions {
        thousands_separator: Some("_".into()),
        ..ExtractOptions::default()
    };
    let e = one_amount("1", &bad).unwrap_err();
    assert!(e.contains("thousands_separator = \"_\""), "{e}");
}

/// RELIABILITY B1-5: amounts beyond the bound are refused.
#[test]
fn amounts_beyond_the_bound_are_refused() {
    let e = one_amount("79228162514264337593543950335", &ExtractOptions::default()).unwrap_err();
    assert!(e.contains("amount bound"), "{e}");
}

/// RELIABILITY B1-11: excess scale keeps the row and marks it
/// `InvalidScale` (the run used to abort); an unknown but well-formed code
/// marks it `UnknownCurrency`; a malformed code stays an error naming the
/// cell; historic codes are currencies.
#[test]
fn rows_with_excess_scale_or_unknown_currency_are_kept_and_marked() {
    let text = format!(
        "{HEADER}INV-1,C1,A,EUR,10.005,10.005,2026-01-01,2026-02-01\n\
         INV-2,C1,A,JPY,100,1500.5,2026-01-01,2026-02-01\n\
         INV-3,C1,A,ABC,1.00,1.00,2026-01-01,2026-02-01\n\
         INV-4,C1,A,EUR,18.150,18.150,2026-01-01,2026-02-01\n\
         INV-5,C1,A,DEM,10.50,10.50,2026-01-01,2026-02-01\n\
         INV-6,C1,A,ITL,1000,1000,2026-01-01,2026-02-01\n\
         INV-7,C1,A,ITL,1000.5,1000.5,2026-01-01,2026-02-01\n"
    );
    let rows = items(&text, &ExtractOptions::default()).unwrap();
    assert_eq!(rows.len(), 7);
    match &rows[0].issue {
        Some(RowIssue::InvalidScale { column, detail }) => {
            assert_eq!(*column, "amount_open");
            assert!(
                detail.contains("10.005 has more decimals than EUR allows (2)"),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(
            &rows[1].issue,
            Some(RowIssue::InvalidScale {
                column: "amount_original",
                ..
            })
        ),
        "{:?}",
        rows[1].issue
    );
    assert!(
        matches!(&rows[2].issue, Some(RowIssue::UnknownCurrency { detail }) if detail.contains("`ABC`")),
        "{:?}",
        rows[2].issue
    );
    assert_eq!(rows[3].issue, None);
    assert_eq!(rows[4].issue, None);
    assert_eq!(rows[5].issue, None);
    assert!(matches!(
        &rows[6].issue,
        Some(RowIssue::InvalidScale { .. })
    ));
    let bad = format!("{HEADER}INV-1,C1,A,eur,1.00,1.00,2026-01-01,2026-02-01\n");
    let e = items(&bad, &ExtractOptions::default()).unwrap_err();
    assert!(
        e.contains("column `currency`: `eur` is not an ISO 4217 code"),
        "{e}"
    );
}

/// RELIABILITY B1-5: the extract size cap is checked, naming the setting.
#[test]
fn extracts_over_the_size_cap_are_refused() {
    let text = format!("{HEADER}INV-1,C1,A,EUR,1.00,1.00,2026-01-01,2026-02-01\n");
    let small = ExtractOptions {
        file_bytes_max: 50,
        ..ExtractOptions::default()
    };
    let e = items(&text, &small).unwrap_err();
    assert!(
        e.contains("over the limit of 50 bytes") && e.contains("file_bytes_max"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.csv");
    std::fs::write(&path, &text).unwrap();
    let e = read_open_items(&path, &small).unwrap_err().to_string();
    assert!(e.contains("file_bytes_max"), "{e}");
    assert_eq!(
        read_open_items(&path, &ExtractOptions::default())
            .unwrap()
            .len(),
        1
    );
}

/// RELIABILITY B1-5: a FIFO or a device given as an extract is refused at
/// once instead of hanging the run or reading without end.
#[cfg(unix)]
#[test]
fn fifo_and_devices_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("items.csv");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let e = read_open_items(&fifo, &ExtractOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a regular file (a FIFO)"), "{e}");
    let e = read_customers(
        std::path::Path::new("/dev/zero"),
        &ExtractOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("not a regular file (a device)"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

fn format_setting() -> impl Strategy<Value = (bool, Option<&'static str>, bool, bool)> {
    (
        any::<bool>(),
        prop::sample::select(vec![
            None,
            Some("."),
            Some(","),
            Some("'"),
            Some(" "),
            Some("\u{A0}"),
        ]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_filter(
            "grouping differs from the decimal mark",
            |(comma, sep, _, _)| *sep != Some(if *comma { "," } else { "." }),
        )
}

proptest! {
    /// RELIABILITY B1-10/B1-12: random amounts formatted under each setting
    /// parse back exactly through the extract reader.
    #[test]
    fn formatted_amounts_parse_back_exactly(
        mantissa in -(10i64.pow(17))..10i64.pow(17),
        (comma, sep, trailing, parens) in format_setting(),
        style in 0u8..3,
    ) {
        let value = Decimal::new(mantissa, 2);
        let options = ExtractOptions {
            delimiter: ";".into(),
            decimal_comma: comma,
            thousands_separator: sep.map(str::to_string),
            trailing_minus: trailing,
            negative_parentheses: parens,
            ..ExtractOptions::default()
        };
        let format = options.number_format().unwrap();
        let mut text = format.format(value);
        if sep == Some("\u{A0}") {
            text = text.replace(' ', "\u{A0}");
        }
        if value.is_sign_negative() && !value.is_zero() {
            let magnitude = &text[1..];
            if style == 1 && trailing {
                text = format!("{magnitude}-");
            } else if style == 2 && parens {
                text = format!("({magnitude})");
            }
        }
        prop_assert_eq!(one_amount(&text, &options).unwrap(), value);
    }
}

/// Rows are converted in parallel parts; a large extract with bad rows in
/// several parts still reports the first bad row in file order, and the
/// rows of a good extract come back complete and in order.
#[test]
fn a_large_extract_reports_its_first_bad_row_and_keeps_row_order() {
    let rows = 150_000;
    let text = |bad: &[usize]| {
        let mut t = String::from(HEADER);
        for r in 1..=rows {
            let currency = if bad.contains(&r) { "eur" } else { "EUR" };
            t.push_str(&format!(
                "INV-{r},C{},Acme,{currency},10.00,10.00,2026-01-01,2026-02-{:02}\n",
                r % 97,
                r % 28 + 1
            ));
        }
        t
    };
    let options = ExtractOptions::default();
    let good = items(&text(&[]), &options).unwrap();
    assert_eq!(good.len(), rows);
    assert!(good
        .iter()
        .enumerate()
        .all(|(i, r)| r.row == i as u64 + 1 && r.invoice_id == format!("INV-{}", i + 1)));
    assert_eq!(good[99].due_date.unwrap().to_string(), "2026-02-17");
    // Bad rows in the third part, the second and again the third: the
    // error names the second part's, the first in the file.
    let e = items(&text(&[140_000, 70_000, 139_999]), &options).unwrap_err();
    assert!(e.contains("row 70000"), "{e}");
}
