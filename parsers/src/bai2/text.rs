//! Detail text: 16 text joined with its continuations, and the tags
//! (`ORG:`, `EREF:`, ...) read from it.

use super::*;

/// Joins 16 text and its continuations with single spaces.
#[derive(Default)]
pub(super) struct TextBuilder {
    pub(super) text: String,
}

impl TextBuilder {
    pub(super) fn push(&mut self, part: &str, terminated: bool) {
        let mut part = trim_fast(part);
        // `,/` closes a record with an empty field after the text; the comma
        // is padding, not text (venturehacks `88,SAMPLE CONTINUATION TEXT,/`).
        if terminated {
            if let Some(p) = part.strip_suffix(',') {
                part = p.trim_end();
            }
        }
        if part.is_empty() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(part);
    }
}

/// The end-to-end id of Goldman Sachs 88 continuation text (`EREF:`); the
/// party tags are read by [`text_tags`] from the whole text.
#[derive(Default)]
pub(super) struct Tags<'t> {
    pub(super) end_to_end: Option<&'t str>,
}

impl<'t> Tags<'t> {
    pub(super) fn read(&mut self, text: &'t str) {
        if let Some(value) = text.strip_prefix("EREF:") {
            let value = value.trim();
            if self.end_to_end.is_none() && !value.is_empty() {
                self.end_to_end = Some(value);
            }
        }
    }
}

/// What a tag of 16/88 text says about the other party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TagRole {
    /// The originator (payer of a credit): `ORIG CO NAME:`, `B/O:`, `ORG=`.
    PayerName,
    /// The originator's account or company id: `ORIG ID:`, `DACT:`, `BO:`.
    PayerAccount,
    /// The beneficiary (payee of a debit): `BNF NAME:=`, `BNF=`, `To:`.
    PayeeName,
    /// The beneficiary's account: `BNF ID:=`, `CACT:`.
    PayeeAccount,
    /// Either side's account, by direction: `ACCT:`.
    Account,
    /// The receiver of an ACH entry (`IND NAME:`): the other party only
    /// when no originator is named (an ACH entry we originated).
    IndividualName,
    /// The originator's bank sort code (`OB:` in UK Faster Payments).
    SortCode,
    /// Marks a return and carries its reason (`Reason:` in GS text).
    ReturnReason,
    /// A tag whose value is not a party; it only ends the previous value.
    Other,
}

/// Tags of 16/88 text as banks write them (FORMATS.md section 1 and the
/// NACHA/BAI conventions of US banks), longest first where one is the
/// tail of another, each with what its value is.
pub(super) const TEXT_TAGS: &[(&str, TagRole)] = &[
    // Goldman Sachs' dedicated party fields first: they win over the
    // descriptive `From:`/`To:` of the same text.
    ("DBNM:", TagRole::PayerName),
    ("DACT:", TagRole::PayerAccount),
    ("CRNM:", TagRole::PayeeName),
    ("CACT:", TagRole::PayeeAccount),
    ("ORIG CO NAME:", TagRole::PayerName),
    ("ORIGINATOR:", TagRole::PayerName),
    ("ORIG ID:", TagRole::PayerAccount),
    ("ORIG:", TagRole::PayerName),
    ("ORG:=", TagRole::PayerName),
    ("ORG=", TagRole::PayerName),
    ("ORG:", TagRole::PayerName),
    ("B/O:", TagRole::PayerName),
    ("BO1:", TagRole::PayerName),
    ("BO:", TagRole::PayerAccount),
    ("OB:", TagRole::SortCode),
    ("OB3:", TagRole::Other),
    ("Return From:", TagRole::PayerName),
    ("From:", TagRole::PayerName),
    ("BNF NAME:=", TagRole::PayeeName),
    ("BNF ID:=", TagRole::PayeeAccount),
    ("BNF=", TagRole::PayeeName),
    ("Return To:", TagRole::PayeeName),
    ("To:", TagRole::PayeeName),
    ("ACCT:", TagRole::Account),
    ("IND NAME:", TagRole::IndividualName),
    ("Reason:", TagRole::ReturnReason),
    ("IND ID:", TagRole::Other),
    ("DESC DATE:", TagRole::Other),
    ("CO ENTRY DESCR:", TagRole::Other),
    ("ENTRY DESCR:", TagRole::Other),
    ("SEC:", TagRole::Other),
    ("TRACE#:", TagRole::Other),
    ("EED:", TagRole::Other),
    ("OBI:=", TagRole::Other),
    ("OBI:", TagRole::Other),
    ("OBI=", TagRole::Other),
    ("PY:", TagRole::Other),
    ("BI:", TagRole::Other),
    ("Remittance Info:", TagRole::Other),
    ("Entry Description:", TagRole::Other),
    ("Client Ref ID:", TagRole::Other),
    ("GS ID:", TagRole::Other),
    ("Account:", TagRole::Other),
    ("ADDENDA:", TagRole::Other),
    ("ORG ID:=", TagRole::PayerAccount),
    ("ORG ADDRESS:=", TagRole::Other),
    ("BNF ADDRESS:=", TagRole::Other),
    ("SENDER BNK:=", TagRole::Other),
    ("SENDER ID:=", TagRole::Other),
    ("SENDER REF:=", TagRole::Other),
    ("REC FI:=", TagRole::Other),
    ("REC ID:=", TagRole::Other),
    ("FED NO:", TagRole::Other),
];

/// Longest single upper-case word taken for an unknown tag (`ENDT:`,
/// `TRID:`, `CREF:`): it ends the value before it.
const UNKNOWN_TAG_CHARS_MAX: usize = 12;

/// An upper-case word (letters, digits, `#`) right before `:`/`:=` at
/// `head`'s end, preceded by a boundary: a tag this table does not know.
fn unknown_tag_len(head: &str) -> Option<usize> {
    let b = head.as_bytes();
    let body_end = if head.ends_with(":=") {
        b.len() - 2
    } else {
        b.len() - 1
    };
    let mut start = body_end;
    while start > 0
        && (b[start - 1].is_ascii_uppercase()
            || b[start - 1].is_ascii_digit()
            || b[start - 1] == b'#')
    {
        start -= 1;
    }
    let word = body_end - start;
    let boundary = start == 0 || matches!(b[start - 1], b' ' | b',' | b'/' | b';');
    ((2..=UNKNOWN_TAG_CHARS_MAX).contains(&word) && b[start].is_ascii_uppercase() && boundary)
        .then_some(b.len() - start)
}

/// `(tag, role, value)` for every tag of `text`, in order. A tag counts
/// where it starts the text or follows a space, comma or `/`; its value
/// runs to the next tag, without trailing separators.
pub(super) fn text_tags(text: &str) -> Vec<(&'static str, TagRole, &str)> {
    let b = text.as_bytes();
    let mut marks: Vec<(usize, usize, &'static str, TagRole)> = Vec::new();
    for end in memchr::memchr2_iter(b':', b'=', b) {
        let head = &text[..=end];
        // `ORG:=` ends at `=`; skip the `:` inside it so it is found once.
        if b[end] == b':' && b.get(end + 1) == Some(&b'=') {
            continue;
        }
        let found = TEXT_TAGS.iter().find(|(tag, _)| {
            head.ends_with(tag) && {
                let start = end + 1 - tag.len();
                start == 0 || matches!(b[start - 1], b' ' | b',' | b'/' | b';')
            }
        });
        let found = found
            .map(|&(tag, role)| (tag.len(), tag, role))
            .or_else(|| unknown_tag_len(head).map(|len| (len, "", TagRole::Other)));
        if let Some((len, tag, role)) = found {
            let start = end + 1 - len;
            if marks.last().is_some_and(|m| m.1 > start) {
                continue;
            }
            marks.push((start, end + 1, tag, role));
        }
    }
    marks
        .iter()
        .enumerate()
        .map(|(k, &(_, value_start, tag, role))| {
            let stop = marks.get(k + 1).map_or(text.len(), |n| n.0);
            let mut value = &text[value_start..stop];
            // Goldman Sachs' descriptive labels (`From:`, `Reason:`) are
            // mixed case and end at the next comma (`From: TEST INC, Check
            // Serial Number: ...`); the upper-case tags run to the next tag.
            if tag.bytes().any(|c| c.is_ascii_lowercase()) {
                value = value.split(',').next().unwrap_or("");
            }
            let value = value
                .trim()
                .trim_end_matches([',', ';'])
                .trim()
                .trim_matches('"');
            (tag, role, value)
        })
        .collect()
}

/// The other party read from 16/88 text: `(name, name tag, account,
/// account tag, return reason)`. `credit` is the direction of the entry.
pub(super) fn party_from_text(text: &str, credit: bool) -> TextParty<'_> {
    let mut party = TextParty::default();
    let rank = |tag: &str| {
        TEXT_TAGS
            .iter()
            .position(|(t, _)| *t == tag)
            .unwrap_or(usize::MAX)
    };
    let mut individual: Option<(&'static str, &str)> = None;
    let mut sort_code = "";
    let mut account_from_bo = false;
    for (tag, role, value) in text_tags(text) {
        if value.is_empty() {
            continue;
        }
        let (name_role, account_role) = if credit {
            (TagRole::PayerName, TagRole::PayerAccount)
        } else {
            (TagRole::PayeeName, TagRole::PayeeAccount)
        };
        match role {
            // The first tag of the best rank wins (Goldman Sachs' `DBNM:`
            // over its descriptive `From:`).
            r if (r == name_role
                || (!credit && r == TagRole::PayerName && tag.starts_with("ORIG CO")))
                && party.name.is_none_or(|(t, _)| rank(tag) < rank(t)) =>
            {
                party.name = Some((tag, value));
            }
            r if (r == account_role || r == TagRole::Account)
                && party.account.is_none_or(|(t, _)| rank(tag) < rank(t)) =>
            {
                party.account = Some((tag, value));
                account_from_bo = tag == "BO:";
            }
            TagRole::IndividualName => individual = Some((tag, value)),
            TagRole::SortCode => {
                sort_code = value.split_whitespace().next().unwrap_or("");
            }
            // `Reason: "R02"`: the code, without the words after it.
            TagRole::ReturnReason => {
                party.return_reason = match value.strip_prefix('"') {
                    Some(quoted) => quoted.split('"').next().unwrap_or(""),
                    None => value.split_whitespace().next().unwrap_or(""),
                };
            }
            _ => {}
        }
    }
    if party.name.is_none() {
        party.name = individual;
    }
    // UK accounts are a sort code and an account number: `OB:111111` with
    // `BO:11111111` is the account 11111111111111 (the BBAN of its IBAN).
    if account_from_bo && sort_code.len() == 6 && sort_code.bytes().all(|c| c.is_ascii_digit()) {
        if let Some((_, account)) = party.account {
            party.joined_account = Some(format!("{sort_code}{account}"));
        }
    }
    party
}

/// The other party found in 16/88 text.
#[derive(Debug, Default)]
pub(super) struct TextParty<'t> {
    pub(super) name: Option<(&'static str, &'t str)>,
    pub(super) account: Option<(&'static str, &'t str)>,
    /// Sort code and account joined (UK Faster Payments).
    pub(super) joined_account: Option<String>,
    pub(super) return_reason: &'t str,
}
