//! Profile selection: which profile reads a file, by its header (or, for
//! headerless exports, by row width and a trial parse of the first row).

use super::*;

pub(super) struct Selected {
    pub(super) profile: CsvProfile,
    /// Index of the header record (None for headerless profiles).
    pub(super) header_record: Option<usize>,
}

pub(super) fn header_names(columns: &CsvColumns) -> Vec<&str> {
    let singles = [
        &columns.account,
        &columns.booking_date,
        &columns.value_date,
        &columns.amount,
        &columns.credit,
        &columns.debit,
        &columns.direction,
        &columns.currency,
        &columns.counterparty_name,
        &columns.counterparty_account,
        &columns.bank_reference,
        &columns.balance,
        &columns.status,
        &columns.end_to_end_id,
        &columns.bank_tx_code,
    ];
    singles
        .into_iter()
        .flatten()
        .chain(columns.remittance_info.iter())
        .chain(columns.structured_refs.iter())
        .map(String::as_str)
        .filter(|n| !is_position(n))
        .collect()
}

pub(super) fn is_position(name: &str) -> bool {
    name.strip_prefix('#')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) fn header_matches(row: &Row, names: &[&str]) -> bool {
    !names.is_empty()
        && names
            .iter()
            .all(|n| row.fields().any(|f| f.trim().eq_ignore_ascii_case(n)))
}

pub(super) fn select_profile(
    file: &str,
    text: &str,
    options: &ParseOptions,
) -> Result<Selected, ParseError> {
    let builtins = super::profiles::builtins();
    let user = &options.csv_profiles;
    let mut delimiters: Vec<u8> = user
        .iter()
        .chain(builtins.iter())
        .map(|p| p.delimiter)
        .collect();
    delimiters.sort_unstable();
    delimiters.dedup();
    let mut row = Row::default();
    // (record index, from user list, score, profile)
    let mut best: Option<(usize, bool, usize, &CsvProfile)> = None;
    for &delimiter in &delimiters {
        let mut tok = Tokenizer::new(text, delimiter, options.limits.line_bytes_max);
        let mut index = 0usize;
        while index < HEADER_SEARCH_RECORDS_MAX && tok.read_row(file, &mut row).unwrap_or(false) {
            for (is_user, profile) in user
                .iter()
                .map(|p| (true, p))
                .chain(builtins.iter().map(|p| (false, p)))
            {
                if profile.delimiter != delimiter
                    || !profile.has_header
                    || index < profile.skip_lines
                {
                    continue;
                }
                let names = header_names(&profile.columns);
                if !header_matches(&row, &names) {
                    continue;
                }
                let candidate = (index, is_user, names.len(), profile);
                let better = match best {
                    None => true,
                    Some((bi, bu, bs, _)) => {
                        (index, !is_user, std::cmp::Reverse(names.len()))
                            < (bi, !bu, std::cmp::Reverse(bs))
                    }
                };
                if better {
                    best = Some(candidate);
                }
            }
            index += 1;
        }
    }
    if let Some((index, _, _, profile)) = best {
        return Ok(Selected {
            profile: profile.clone(),
            header_record: Some(index),
        });
    }
    for profile in user.iter().chain(builtins.iter()).filter(|p| !p.has_header) {
        if headerless_matches(file, text, profile, options) {
            return Ok(Selected {
                profile: profile.clone(),
                header_record: None,
            });
        }
    }
    Err(no_profile_error(file, text, options))
}

/// A headerless profile fits when its first data row has the declared width
/// and its booking date and amount parse.
pub(super) fn headerless_matches(
    file: &str,
    text: &str,
    profile: &CsvProfile,
    options: &ParseOptions,
) -> bool {
    let Ok(layout) = Layout::compile(file, profile, None) else {
        return false;
    };
    let mut tok = Tokenizer::new(text, profile.delimiter, options.limits.line_bytes_max);
    let mut row = Row::default();
    let mut skipped = 0usize;
    while tok.read_row(file, &mut row).unwrap_or(false) {
        if skipped < profile.skip_lines || row.is_blank() {
            skipped += 1;
            continue;
        }
        if profile.field_count.is_some_and(|n| n != row.len()) {
            return false;
        }
        let date_ok = layout
            .booking_date
            .and_then(|c| row.get(c))
            .is_some_and(|d| layout.date.parse(d.trim()).is_some());
        let amount_ok = layout
            .amount
            .or(layout.credit)
            .and_then(|c| row.get(c))
            .is_some_and(|a| parse_amount(a, &layout.number).is_ok());
        return date_ok && amount_ok;
    }
    false
}

pub(super) fn no_profile_error(file: &str, text: &str, options: &ParseOptions) -> ParseError {
    let mut tok = Tokenizer::new(text, b',', options.limits.line_bytes_max);
    let mut row = Row::default();
    let canonical = CsvProfile::default();
    let names = header_names(&canonical.columns);
    if tok.read_row(file, &mut row).unwrap_or(false) {
        let present: Vec<&&str> = names
            .iter()
            .filter(|n| row.fields().any(|f| f.trim().eq_ignore_ascii_case(n)))
            .collect();
        if present.len() * 2 >= names.len() {
            let missing: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| !present.contains(&n))
                .collect();
            return ParseError::new(
                file,
                Some(FORMAT_NAME),
                Location::Line(1),
                ErrorKind::MissingField,
                format!(
                    "header lacks the canonical column(s) `{}`",
                    missing.join("`, `")
                ),
            );
        }
    }
    ParseError::new(
        file,
        Some(FORMAT_NAME),
        Location::Line(1),
        ErrorKind::UnknownFormat,
        "no CSV profile matches: no header row with the canonical columns or a built-in bank's columns \
         in the first 50 records; add a `csv_profiles` entry for this export"
            .into(),
    )
}
