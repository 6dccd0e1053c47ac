//! Documents, messages and statements: namespaces, group headers, accounts,
//! balances, and the statement checks when a statement closes.

use super::*;

impl<'a, 'o> CamtReader<'a, 'o> {
    pub(super) fn start_document(
        &mut self,
        e: &BytesStart<'_>,
        tag: Tag,
        qname: &str,
        pos: usize,
    ) -> Result<(), ParseError> {
        if tag != Tag::Document && !tag.is_message() {
            return Err(self.error_at_offset(
                pos,
                ErrorKind::Structure,
                format!("root element `{qname}` is not a camt `Document`"),
            ));
        }
        self.documents += 1;
        self.document = Some(Document {
            index: self.documents,
            message: None,
            statements: 0,
            namespace_message: None,
            message_pos: pos,
            message_path: String::new(),
        });
        self.check_namespace(e, qname, 0)?;
        if tag.is_message() {
            self.start_message(tag, 0)?;
        }
        Ok(())
    }

    /// Requires that a declared namespace names a camt.052/053/054 version
    /// (RELIABILITY row 20); elements are still matched by local name.
    pub(super) fn check_namespace(
        &mut self,
        e: &BytesStart<'_>,
        qname: &str,
        depth: usize,
    ) -> Result<(), ParseError> {
        let prefix = qname.rsplit_once(':').map(|(p, _)| p);
        let mut namespace = None;
        for attr in e.attributes() {
            let attr = attr.map_err(|err| {
                self.error_at(
                    depth,
                    ErrorKind::Structure,
                    format!("malformed attribute on `{qname}`: {err}"),
                )
            })?;
            let key = attr.key.as_ref();
            let binds = match prefix {
                None => key == "xmlns",
                Some(p) => key.strip_prefix("xmlns:") == Some(p),
            };
            if binds {
                namespace = Some(attr.value.into_owned());
            }
        }
        let Some(namespace) = namespace else {
            if depth == 0 {
                let line = self.line_of(self.frames[depth].1);
                self.out.warnings.push(format!(
                    "line {line} `{qname}`: no namespace declared; elements read by their local names"
                ));
            }
            return Ok(());
        };
        match namespace_version(&namespace) {
            Some((message, _version)) => {
                if let Some(doc) = self.document.as_mut() {
                    doc.namespace_message = Some(message);
                }
                Ok(())
            }
            None => Err(self.error_at(
                depth,
                ErrorKind::UnknownFormat,
                format!(
                    "unsupported namespace `{namespace}`: expected a camt.052, camt.053 or camt.054 namespace, version 001.01 to 001.{VERSION_MAX:02}"
                ),
            )),
        }
    }

    pub(super) fn start_message(&mut self, tag: Tag, depth: usize) -> Result<(), ParseError> {
        let format = message_format(tag);
        let path = self.path(depth);
        let pos = self.frames[depth].1;
        let Some(doc) = self.document.as_mut() else {
            return Ok(());
        };
        doc.message = Some(tag);
        doc.message_pos = pos;
        doc.message_path = path;
        let expected = match format {
            Format::Camt052 => 52,
            Format::Camt053 => 53,
            _ => 54,
        };
        let mismatch = doc.namespace_message.filter(|m| *m != expected);
        let previous = self.out.format;
        if previous.is_none() {
            self.out.format = Some(format);
        }
        let line = self.line_of(self.frames[depth].1);
        let name = self.frames[depth].0;
        if let Some(m) = mismatch {
            self.out.warnings.push(format!(
                "line {line} `{name}`: namespace says camt.0{m} but the message is {}",
                format.as_str()
            ));
        }
        if previous.is_some_and(|p| p != format) {
            self.out.warnings.push(format!(
                "line {line} `{name}`: a {} message follows another message type",
                format.as_str()
            ));
        }
        Ok(())
    }

    pub(super) fn finish_document(&mut self) -> Result<(), ParseError> {
        let Some(doc) = self.document.take() else {
            return Ok(());
        };
        let Some(message) = doc.message else {
            return Err(self.error_at(
                0,
                ErrorKind::Structure,
                "no camt message (`BkToCstmrStmt`, `BkToCstmrAcctRpt` or `BkToCstmrDbtCdtNtfctn`) in `Document`"
                    .to_string(),
            ));
        };
        if doc.statements == 0 {
            // A message with no statement carries no account, balance or
            // entry: it is a broken export, not an empty day (an empty day is
            // a `Stmt` without `Ntry`), so the file is rejected rather than
            // ingested as nothing (genkgo-camt053.v2.wrong.xml).
            let (message_name, child) = match message {
                Tag::MsgStmt => ("BkToCstmrStmt", "Stmt"),
                Tag::MsgRpt => ("BkToCstmrAcctRpt", "Rpt"),
                _ => ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
            };
            return Err(ParseError::new(
                self.file,
                Some(FORMAT_NAME),
                Location::Element {
                    line: self.line_of(doc.message_pos),
                    path: doc.message_path,
                },
                ErrorKind::MissingField,
                format!(
                    "`{message_name}` holds no `{child}`: a camt message carries at least one statement (document {})",
                    doc.index
                ),
            ));
        }
        Ok(())
    }

    // ----- statement ----------------------------------------------------

    pub(super) fn start_statement(
        &mut self,
        local: &'a str,
        pos: usize,
        depth: usize,
    ) -> Result<(), ParseError> {
        let line = self.line_at(pos);
        let Some(doc) = self.document.as_mut() else {
            return Ok(());
        };
        doc.statements += 1;
        let locator = if doc.index == 1 {
            format!("{local}[{}]", doc.statements)
        } else {
            format!("Document[{}]/{local}[{}]", doc.index, doc.statements)
        };
        let format = message_format(doc.message.unwrap_or(Tag::MsgStmt));
        self.statement = Some(StatementState {
            depth,
            locator,
            line,
            index: self.out.statements.len(),
            format,
            id: String::new(),
            sequence_electronic: String::new(),
            sequence_legal: String::new(),
            iban: String::new(),
            account_other: String::new(),
            currency: String::new(),
            from_date: None,
            to_date: None,
            balances: Vec::new(),
            entries: Vec::new(),
            first_entry_ccy: String::new(),
            balance_count: 0,
            entry_count: 0,
            entries_without_status: 0,
            tx_start: self.out.transactions.len(),
        });
        Ok(())
    }

    pub(super) fn finish_statement(&mut self) -> Result<(), ParseError> {
        let Some(s) = self.statement.take() else {
            return Ok(());
        };
        let account = if s.iban.is_empty() {
            s.account_other.clone()
        } else {
            s.iban.clone()
        };
        let currency = if !s.currency.is_empty() {
            s.currency.clone()
        } else if let Some(b) = s.balances.iter().find_map(|b| b.amount.as_ref()) {
            b.ccy.clone()
        } else {
            s.first_entry_ccy.clone()
        };
        let warn_at =
            |line: u64, locator: &str, msg: String| format!("line {line} `{locator}`: {msg}");

        // Balances: sign from CdtDbtInd, DBIT negative.
        let mut opening_booked = None;
        let mut previous_closing = None;
        let mut closing = None;
        for b in &s.balances {
            let Some(amount) = &b.amount else {
                self.out.warnings.push(warn_at(
                    b.line,
                    &b.locator,
                    format!("balance `{}` without `Amt` ignored", b.code),
                ));
                continue;
            };
            let sign = b.sign.unwrap_or_else(|| {
                // Schema-invalid but real (LT central bank): an unsigned
                // balance reads as a credit balance.
                self.out.warnings.push(warn_at(
                    b.line,
                    &b.locator,
                    "balance without `CdtDbtInd` read as CRDT".to_string(),
                ));
                Sign::Credit
            });
            let signed = SignedBalance {
                code: b.code.clone(),
                value: sign.apply(amount.value),
                ccy: amount.ccy.clone(),
            };
            let slot = match b.code.as_str() {
                "OPBD" => &mut opening_booked,
                "PRCD" => &mut previous_closing,
                "CLBD" => &mut closing,
                _ => continue,
            };
            if slot.is_none() {
                if !currency.is_empty() && signed.ccy != currency {
                    self.out.warnings.push(warn_at(
                        b.line,
                        &b.locator,
                        format!("{} in {} on a {currency} account", b.code, signed.ccy),
                    ));
                }
                *slot = Some(signed);
            }
        }
        let opening = opening_booked.or(previous_closing);

        // Booked entries in the account currency.
        let mut entries_sum = Decimal::ZERO;
        for m in s.entries.iter().filter(|m| m.booked) {
            let value = if currency.is_empty() || m.amount.ccy == currency {
                m.amount.value
            } else if let Some((alt, element)) =
                m.alternatives.iter().find(|(alt, _)| alt.ccy == currency)
            {
                self.out.warnings.push(warn_at(
                    m.line,
                    &m.locator,
                    format!(
                        "entry in {} on a {currency} account; balance check uses {element} {} {currency}",
                        m.amount.ccy, alt.value
                    ),
                ));
                alt.value
            } else {
                self.out.warnings.push(warn_at(
                    m.line,
                    &m.locator,
                    format!("entry in {} on a {currency} account and no amount in {currency}; entry amount used", m.amount.ccy),
                ));
                m.amount.value
            };
            entries_sum = entries_sum
                .checked_add(m.sign.apply(value))
                .ok_or_else(|| {
                    ParseError::new(
                        self.file,
                        Some(FORMAT_NAME),
                        Location::Element {
                            line: m.line,
                            path: m.locator.clone(),
                        },
                        ErrorKind::InvalidAmount,
                        "sum of entries overflows".to_string(),
                    )
                })?;
        }
        if s.entries_without_status > 0 {
            self.out.warnings.push(warn_at(
                s.line,
                &s.locator,
                format!(
                    "{} `Ntry` without `Sts` read as booked",
                    s.entries_without_status
                ),
            ));
        }
        let outcome = assemble::balance_check(opening.as_ref(), closing.as_ref(), entries_sum);
        for tx in &mut self.out.transactions[s.tx_start..] {
            tx.account.clone_from(&account);
        }
        let statement = Statement {
            format: Some(s.format),
            statement_id: s.id,
            sequence: if s.sequence_electronic.is_empty() {
                s.sequence_legal
            } else {
                s.sequence_electronic
            },
            account,
            currency,
            from_date: s.from_date,
            to_date: s.to_date,
            opening_balance: opening.map(|b| b.value),
            closing_balance: closing.map(|b| b.value),
            entries_sum,
            entries: (self.out.transactions.len() - s.tx_start) as u64,
            balance_check: outcome.check,
            check_detail: outcome.detail,
            source_line: s.line,
        };
        debug_assert_eq!(s.index, self.out.statements.len());
        debug_assert!(
            statement.balance_check != BalanceCheck::Pass || statement.check_detail.is_empty()
        );
        self.out.statements.push(statement);
        Ok(())
    }
}
