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

/// Structured tags found at the start of 88 continuation text: Goldman Sachs
/// (`EREF:`, `DBNM:`, ...) and SVB/Fedwire (`ORG:=`, `BNF NAME:=`).
#[derive(Default)]
pub(super) struct Tags<'t> {
    pub(super) end_to_end: Option<&'t str>,
    pub(super) debtor_name: Option<&'t str>,
    pub(super) creditor_name: Option<&'t str>,
    pub(super) debtor_account: Option<&'t str>,
    pub(super) creditor_account: Option<&'t str>,
    pub(super) originator: Option<&'t str>,
    pub(super) beneficiary: Option<&'t str>,
}

impl<'t> Tags<'t> {
    pub(super) fn read(&mut self, text: &'t str) {
        let slots: [(&str, &mut Option<&'t str>); 7] = [
            ("EREF:", &mut self.end_to_end),
            ("DBNM:", &mut self.debtor_name),
            ("CRNM:", &mut self.creditor_name),
            ("DACT:", &mut self.debtor_account),
            ("CACT:", &mut self.creditor_account),
            ("ORG:=", &mut self.originator),
            ("BNF NAME:=", &mut self.beneficiary),
        ];
        for (tag, slot) in slots {
            if let Some(value) = text.strip_prefix(tag) {
                let value = value.trim();
                if slot.is_none() && !value.is_empty() {
                    *slot = Some(value);
                }
                return;
            }
        }
    }
}
