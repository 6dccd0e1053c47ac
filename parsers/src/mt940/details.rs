//! The `:86:` dialects: German `?NN` subfields, SEPA keywords, slash tags
//! and free text.

use super::*;

/// Fills counterparty, references and remittance of `tx` from `:86:` lines.
pub(super) fn apply_details(
    tx: &mut StatementTransaction,
    d: &mut TransactionDetails,
    lines: &[&str],
) {
    let compact: String = lines.concat();
    let trimmed = compact.trim_start();
    if let Some(sep) = dfue_separator(trimmed) {
        apply_dfue(tx, d, trimmed, sep);
    } else if let Some(done) = apply_line_fields(tx, d, lines) {
        done
    } else if trimmed.starts_with('/') && first_slash_tag(trimmed).is_some() {
        apply_slash_tags(tx, d, trimmed, lines);
    } else {
        apply_free_text(tx, d, lines);
    }
}

/// DFÜ business transaction codes (GVC) of returns: 109 SEPA direct debit
/// return (Rücklastschrift), 159 SEPA credit transfer return (Retoure),
/// 160 SEPA instant return.
const DFUE_RETURN_CODES: [&str; 3] = ["109", "159", "160"];

/// Booking texts (`?00`) that mark a return whatever the GVC.
const DFUE_RETURN_TEXTS: [&str; 4] = [
    "RETOURE",
    "RUECKUEBERWEISUNG",
    "RÜCKÜBERWEISUNG",
    "RUECKLASTSCHRIFT",
];

/// `NNN?NN`, `NNN>NN` or `NNN+NN`: the DFÜ layout with its separator.
pub(super) fn dfue_separator(t: &str) -> Option<u8> {
    let b = t.as_bytes();
    if b.len() >= 6
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
    {
        if let sep @ (b'?' | b'>' | b'+') = b[3] {
            return Some(sep);
        }
    }
    None
}

/// Splits `GVC?00text?20purpose...` into `(code, value)` subfields.
pub(super) fn dfue_subfields(t: &str, sep: u8) -> Vec<(u32, &str)> {
    let b = t.as_bytes();
    let mut marks: Vec<usize> = Vec::new();
    let mut i = 3;
    while i + 2 < b.len() {
        if b[i] == sep && b[i + 1].is_ascii_digit() && b[i + 2].is_ascii_digit() {
            marks.push(i);
            i += 3;
        } else {
            i += 1;
        }
    }
    marks
        .iter()
        .enumerate()
        .map(|(k, &at)| {
            let end = marks.get(k + 1).copied().unwrap_or(t.len());
            (num(&t[at + 1..at + 3]), &t[at + 3..end])
        })
        .collect()
}

/// Joins DFÜ subfields: a full (27-character) subfield runs on into the next
/// without a space, a shorter one ended a word.
pub(super) fn join_subfields<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut glue = true;
    for p in parts {
        // Exactly full: banks that overrun 27 characters do not wrap either.
        let full = p.chars().count() == DFUE_SUBFIELD_CHARS;
        let piece = if glue { p } else { p.trim_start() };
        let piece = if full { piece } else { piece.trim_end() };
        if !out.is_empty() && !glue && !piece.is_empty() {
            out.push(' ');
        }
        out.push_str(piece);
        glue = full;
    }
    out.trim().to_string()
}

pub(super) fn apply_dfue(
    tx: &mut StatementTransaction,
    d: &mut TransactionDetails,
    t: &str,
    sep: u8,
) {
    let fields = dfue_subfields(t, sep);
    let value = |code: u32| {
        fields
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, v)| v.trim())
    };
    let purpose = join_subfields(
        fields
            .iter()
            .filter(|(c, _)| matches!(c, 20..=29 | 60..=63))
            .map(|(_, v)| *v),
    );
    let name = join_subfields(
        fields
            .iter()
            .filter(|(c, v)| matches!(c, 32 | 33) && v.bytes().any(|b| b.is_ascii_alphanumeric()))
            .map(|(_, v)| *v),
    );
    if !name.is_empty() {
        d.name_source = if fields.iter().any(|(c, _)| *c == 32) {
            "?32".into()
        } else {
            "?33".into()
        };
    }
    tx.counterparty_name = name;
    tx.counterparty_account = value(31).unwrap_or("").to_string();
    if !tx.counterparty_account.is_empty() {
        d.account_source = "?31".into();
    }
    let booking_text = value(0).unwrap_or("").to_uppercase();
    if DFUE_RETURN_CODES.contains(&&t[..3])
        || DFUE_RETURN_TEXTS
            .iter()
            .any(|r| booking_text.starts_with(r))
    {
        d.returned = true;
        // `?34` is the return key (Rückgabegrund) of a return.
        d.return_reason = value(34).unwrap_or("").to_string();
    }
    if tx.bank_tx_code.is_empty() {
        tx.bank_tx_code = t[..3].to_string();
    }
    let keywords = sepa_keywords(&purpose);
    if keywords.is_empty() {
        tx.remittance_info = purpose;
        return;
    }
    let mut remittance = None;
    for (kw, v) in keywords {
        match kw {
            "EREF+" if v != "NOTPROVIDED" => tx.end_to_end_id = v.to_string(),
            "SVWZ+" => remittance = Some(v.to_string()),
            _ => {}
        }
    }
    tx.remittance_info = remittance.unwrap_or(purpose);
}

/// `(keyword, value)` pairs of a SEPA purpose text, in order.
pub(super) fn sepa_keywords(purpose: &str) -> Vec<(&'static str, &str)> {
    let mut found: Vec<(usize, &'static str)> = Vec::new();
    for kw in SEPA_KEYWORDS {
        let mut from = 0;
        while let Some(p) = purpose[from..].find(kw) {
            found.push((from + p, kw));
            from += p + kw.len();
        }
    }
    found.sort_unstable();
    found
        .iter()
        .enumerate()
        .map(|(k, &(at, kw))| {
            let end = found.get(k + 1).map_or(purpose.len(), |n| n.0);
            let start = (at + kw.len()).min(end);
            (kw, purpose[start..end].trim())
        })
        .collect()
}

/// The first `/TAG/` of a slash-tag text, if it is a known tag at the start.
pub(super) fn first_slash_tag(t: &str) -> Option<&'static str> {
    SLASH_TAGS
        .iter()
        .copied()
        .find(|tag| t[1..].starts_with(tag) && t.as_bytes().get(1 + tag.len()) == Some(&b'/'))
}

/// Splits a slash-tag text into `(tag, value)` pairs. A value runs to the
/// next known tag; values may themselves hold `/` (dates, `NL-DD/...`).
pub(super) fn slash_tags(t: &str) -> Vec<(&'static str, &str)> {
    let b = t.as_bytes();
    let mut marks: Vec<(usize, usize, &'static str)> = Vec::new();
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'/', &b[i..]) {
        let at = i + p;
        let found = SLASH_TAGS
            .iter()
            .copied()
            .find(|tag| t[at + 1..].starts_with(tag) && b.get(at + 1 + tag.len()) == Some(&b'/'));
        match found {
            Some(tag) => {
                let end = at + tag.len() + 2;
                marks.push((at, end, tag));
                i = end;
            }
            None => i = at + 1,
        }
        if i >= b.len() {
            break;
        }
    }
    marks
        .iter()
        .enumerate()
        .map(|(k, &(_, end, tag))| {
            let stop = marks.get(k + 1).map_or(t.len(), |n| n.0).max(end);
            let v = &t[end..stop];
            // ING closes every value with `/` (`//CNTP/`); drop that one slash.
            (tag, v.strip_suffix('/').unwrap_or(v))
        })
        .collect()
}

pub(super) fn apply_slash_tags(
    tx: &mut StatementTransaction,
    d: &mut TransactionDetails,
    compact: &str,
    lines: &[&str],
) {
    let mut remittance: Option<String> = None;
    let mut payment_ref = "";
    // Rabobank writes the ultimate debtor as `/ULTD//NAME/name`: a `/NAME/`
    // right after an empty `/ULTD/` is that party's name.
    let mut in_ultimate = false;
    for (tag, v) in slash_tags(compact.trim_end()) {
        if tag == "NAME" && in_ultimate {
            in_ultimate = false;
            if tx.amount.is_sign_positive() && !v.trim().is_empty() {
                d.ultimate_party = v.trim().to_string();
            }
            continue;
        }
        in_ultimate = tag == "ULTD" && v.trim().is_empty();
        match tag {
            "EREF" if v.trim() != "NOTPROVIDED" => tx.end_to_end_id = v.trim().to_string(),
            "PREF" => payment_ref = v.trim(),
            "CNTP" => {
                let mut parts = v.split('/');
                let account = parts.next().unwrap_or("").trim();
                let _bic = parts.next();
                let name = parts.next().unwrap_or("").trim();
                set_party(
                    &mut tx.counterparty_account,
                    &mut d.account_source,
                    account,
                    "/CNTP/",
                );
                set_party(
                    &mut tx.counterparty_name,
                    &mut d.name_source,
                    name,
                    "/CNTP/",
                );
            }
            "IBAN" => set_party(
                &mut tx.counterparty_account,
                &mut d.account_source,
                v.trim(),
                "/IBAN/",
            ),
            "NAME" => set_party(
                &mut tx.counterparty_name,
                &mut d.name_source,
                v.trim(),
                "/NAME/",
            ),
            // Rabobank `/BENM//NAME/..`, Komercijalna `/BENM/account`.
            "BENM" | "ORDP" => set_party(
                &mut tx.counterparty_account,
                &mut d.account_source,
                v.split('/').next().unwrap_or("").trim(),
                if tag == "ORDP" { "/ORDP/" } else { "/BENM/" },
            ),
            // ING `/RTRN/MS03/`: the payment came back.
            "RTRN" => {
                d.returned = true;
                d.return_reason = v.trim().trim_matches('/').to_string();
            }
            // Ultimate debtor (`/ULTD/name` or `/ULTD//NAME/...`): who owes it.
            "ULTD" if tx.amount.is_sign_positive() => {
                let name = v.trim().trim_start_matches('/').trim();
                if !name.is_empty() {
                    d.ultimate_party = name.to_string();
                }
            }
            "REMI" => {
                if let Some(text) = v.strip_prefix("USTD//").or_else(|| v.strip_prefix("USTD/")) {
                    remittance = Some(text.trim().to_string());
                } else if let Some(r) = v
                    .strip_prefix("STRD/CUR/")
                    .or_else(|| v.strip_prefix("STRD/"))
                {
                    let r = r.trim().trim_end_matches('/');
                    if !r.is_empty() {
                        tx.structured_refs.push(r.to_string());
                    }
                    remittance.get_or_insert_with(String::new);
                } else {
                    remittance = Some(v.trim().to_string());
                }
            }
            _ => {}
        }
    }
    // A batch (ING `/PREF/`) has no end-to-end id; its payment-information
    // id is what the account owner knows it by.
    if tx.end_to_end_id.is_empty() && !payment_ref.is_empty() {
        tx.end_to_end_id = payment_ref.to_string();
    }
    tx.remittance_info = match remittance {
        Some(r) => r,
        None => join_wrapped(lines, TAG_86_CHARS),
    };
}

/// Fills an empty field, recording the tag that filled it.
pub(super) fn set_party(target: &mut String, source: &mut String, value: &str, tag: &str) {
    if target.is_empty() && !value.is_empty() {
        *target = value.to_string();
        *source = tag.to_string();
    }
}

/// Komercijalna Banka: `/BENM/account` or `/ORDP/account` on the first line,
/// then one field per line (`/name`, `/purpose//ref`, `/text`).
pub(super) fn apply_line_fields(
    tx: &mut StatementTransaction,
    d: &mut TransactionDetails,
    lines: &[&str],
) -> Option<()> {
    let first = lines[0].trim();
    let account = first
        .strip_prefix("/BENM/")
        .or_else(|| first.strip_prefix("/ORDP/"))?;
    let others: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    if account.is_empty()
        || account.contains('/')
        || others.is_empty()
        || !others.iter().all(|l| l.starts_with('/'))
    {
        return None;
    }
    tx.counterparty_account = account.to_string();
    tx.counterparty_name = others[0][1..].trim().to_string();
    let tag = if first.starts_with("/ORDP/") {
        "/ORDP/"
    } else {
        "/BENM/"
    };
    d.account_source = tag.to_string();
    if !tx.counterparty_name.is_empty() {
        d.name_source = format!("{tag} line 2");
    }
    tx.remittance_info = others[1..]
        .iter()
        .map(|l| l[1..].trim())
        .collect::<Vec<_>>()
        .join(" ");
    Some(())
}

/// Free text: SNS/ASN (`IBAN name` first line), Penta (`999TYPE:purpose:name:IBAN`)
/// or plain narrative, joined with the 65-column wrap rule.
pub(super) fn apply_free_text(
    tx: &mut StatementTransaction,
    d: &mut TransactionDetails,
    lines: &[&str],
) {
    let first = lines[0].trim();
    if let Some((iban, name)) = first.split_once(' ') {
        if looks_like_iban(iban) && !name.trim().is_empty() && lines.len() > 1 {
            tx.counterparty_account = iban.to_string();
            tx.counterparty_name = name.trim().to_string();
            d.account_source = "IBAN name line".into();
            d.name_source = "IBAN name line".into();
            tx.remittance_info = join_wrapped(&lines[1..], 0);
            return;
        }
    }
    let text = join_wrapped(lines, TAG_86_CHARS);
    if let Some(done) = apply_penta(tx, &text) {
        d.account_source = "Penta IBAN field".into();
        d.name_source = "Penta name field".into();
        return done;
    }
    tx.remittance_info = text;
}

/// Penta: `999SEPA_CREDIT_TRANSFER:purpose:name:IBAN[:extra]`; the purpose
/// itself may contain colons, so the record is read from the IBAN backwards.
pub(super) fn apply_penta(tx: &mut StatementTransaction, text: &str) -> Option<()> {
    let body = text.strip_prefix("999")?;
    let (kind, rest) = body.split_once(':')?;
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
        return None;
    }
    let parts: Vec<&str> = rest.split(':').collect();
    let iban_at = parts.iter().rposition(|p| looks_like_iban(p.trim()))?;
    if iban_at < 2 {
        return None;
    }
    tx.counterparty_account = parts[iban_at].trim().to_string();
    tx.counterparty_name = parts[iban_at - 1].trim().to_string();
    let mut remittance = parts[..iban_at - 1].join(":");
    for extra in &parts[iban_at + 1..] {
        remittance.push(' ');
        remittance.push_str(extra.trim());
    }
    tx.remittance_info = remittance.trim().to_string();
    Some(())
}

/// Two letters, two digits, then 8..=30 letters or digits (shape only).
pub(super) fn looks_like_iban(t: &str) -> bool {
    let b = t.as_bytes();
    (12..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Joins narrative lines: a line of 65+ characters ending in a non-blank was
/// hard-wrapped and continues without a space; other line breaks become one
/// space; blank and padding-only lines (SNS pads to 65 columns) are skipped.
///
/// The first line also counts as wrapped when, with its tag (`tag_chars`,
/// 4 for `:86:`), it fills exactly 65 columns, as the SWIFT rule has it. A
/// first line that is longer with its tag but shorter without it is not:
/// ABN AMRO and Knab write 64-character column layouts after the tag, while
/// SNS and PostFinance wrap the value itself at 65 whatever the tag.
pub(super) fn join_wrapped(lines: &[&str], tag_chars: usize) -> String {
    let mut out = String::new();
    let mut glue = false;
    for (k, raw) in lines.iter().enumerate() {
        let width = raw.chars().count();
        let full =
            width >= SWIFT_LINE_CHARS_MAX || (k == 0 && width + tag_chars == SWIFT_LINE_CHARS_MAX);
        let wrapped = full && !raw.ends_with(char::is_whitespace);
        let piece = if glue { raw.trim_end() } else { raw.trim() };
        if !piece.is_empty() {
            if !out.is_empty() && !glue {
                out.push(' ');
            }
            out.push_str(piece);
        }
        glue = wrapped;
    }
    out
}

/// Final touches once both `:61:` and its `:86:` are known.
pub(super) fn finalise(tx: &mut StatementTransaction, d: &mut TransactionDetails, p: &Pending<'_>) {
    let supplementary = p.supplementary.trim();
    let mut used = false;
    if tx.counterparty_account.is_empty() && looks_like_iban(supplementary) {
        tx.counterparty_account = supplementary.to_string();
        d.account_source = ":61: supplementary".into();
        used = true;
    }
    // `RC` (reversal of a credit) books money back out: the receipt it
    // undoes was returned.
    if tx.reversal && tx.amount.is_sign_negative() {
        d.returned = true;
    }
    if !d.ultimate_party.is_empty() && tx.amount.is_sign_positive() {
        // The ultimate debtor owes the receivable (see TransactionDetails).
        d.account_holder = std::mem::replace(&mut tx.counterparty_name, d.ultimate_party.clone());
        d.name_source = "/ULTD/".into();
    }
    // The account owner's reference is the end-to-end id when `:86:` has
    // none, unless it only says "see :86:" or repeats the counterparty IBAN (SNS).
    let customer_ref = p.customer_ref;
    let is_marker = NON_REFERENCES
        .iter()
        .any(|m| customer_ref.eq_ignore_ascii_case(m));
    if tx.end_to_end_id.is_empty()
        && !customer_ref.is_empty()
        && !is_marker
        && customer_ref != tx.counterparty_account
    {
        tx.end_to_end_id = customer_ref.to_string();
    }
    if NON_REFERENCES
        .iter()
        .any(|m| tx.bank_reference.eq_ignore_ascii_case(m))
    {
        tx.bank_reference.clear();
    }
    // The supplementary line is the bank's booking text or a reference
    // (PostFinance ESR number, Raiffeisen "Csoportos átutalás"). It is kept
    // in the remittance unless it repeats what :86: already says; coded
    // details (ING `/TRCD/00100/`) only stand in when there is no :86: at all.
    if used || supplementary.is_empty() {
        return;
    }
    if !p.has_details {
        tx.remittance_info = supplementary.to_string();
    } else if !supplementary.starts_with('/')
        && !tx.remittance_info.contains(supplementary)
        && !tx.counterparty_name.eq_ignore_ascii_case(supplementary)
    {
        if !tx.remittance_info.is_empty() {
            tx.remittance_info.push(' ');
        }
        tx.remittance_info.push_str(supplementary);
    }
}
