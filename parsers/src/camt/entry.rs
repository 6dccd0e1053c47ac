//! Entries (`Ntry`) and their transaction details (`TxDtls`), and the leaf
//! elements they are read from.

use super::*;

impl<'a, 'o> CamtReader<'a, 'o> {
    /// Turns a finished `Ntry` into transactions and records its money for
    /// the balance check.
    pub(super) fn finish_entry(&mut self, entry: EntryData) -> Result<(), ParseError> {
        let status = match assemble::entry_status(&entry.status) {
            Some(s) => s,
            None => {
                self.out.warnings.push(format!(
                    "line {} `{}`: unknown `Sts` `{}` read as informational (does not move the balance)",
                    entry.line, entry.locator, entry.status
                ));
                EntryStatus::Info
            }
        };
        if entry.status.is_empty() {
            if let Some(s) = self.statement.as_mut() {
                s.entries_without_status += 1;
            }
        }
        let Some(sign) = entry.sign else {
            return Err(entry_error(
                self.file,
                &entry,
                ErrorKind::MissingField,
                "`Ntry` without `CdtDbtInd`: the direction of the money is unknown".to_string(),
            ));
        };
        let Some(amount) = entry.amount.clone() else {
            return self.entry_without_amount(entry, sign, status);
        };
        if let Some(s) = self.statement.as_mut() {
            if s.first_entry_ccy.is_empty() {
                s.first_entry_ccy.clone_from(&amount.ccy);
            }
            s.entries.push(EntryMoney {
                locator: entry.locator.clone(),
                line: entry.line,
                booked: status == EntryStatus::Booked,
                sign,
                amount: amount.clone(),
                alternatives: entry
                    .amount_details()
                    .into_iter()
                    .filter_map(|(m, element)| m.map(|m| (m.clone(), element)))
                    .collect(),
            });
        }
        match assemble::plan_split(&entry, &amount, sign) {
            Split::EntryOnly => {
                self.push_tx(assemble::transaction(&entry, None, sign, &amount, status))?
            }
            Split::SingleDetail => {
                self.push_tx(assemble::transaction(
                    &entry,
                    entry.details.first(),
                    sign,
                    &amount,
                    status,
                ))?;
            }
            Split::PerDetail => {
                for detail in &entry.details {
                    let money = detail
                        .stated_amount()
                        .cloned()
                        .unwrap_or_else(|| amount.clone());
                    let tx = assemble::transaction(
                        &entry,
                        Some(detail),
                        detail.sign.unwrap_or(sign),
                        &money,
                        status,
                    );
                    self.push_tx(tx)?;
                }
            }
            Split::Whole => {
                self.out.warnings.push(format!(
                    "line {} `{}/NtryDtls`: {}, entry `Amt` is {} {}; entry kept whole as one transaction",
                    entry.line,
                    entry.locator,
                    assemble::describe_details(&entry.details, sign),
                    sign.apply(amount.value),
                    amount.ccy
                ));
                let merged = assemble::merge_details(&entry);
                let (mut tx, details) =
                    assemble::transaction(&entry, Some(&merged), sign, &amount, status);
                tx.locator.clone_from(&entry.locator);
                tx.source_line = entry.line;
                self.push_tx((tx, details))?;
            }
        }
        Ok(())
    }

    /// An `Ntry` without `Amt` (schema-invalid; OCA wrong-amount sample).
    /// When every `TxDtls` states an amount, those are reported as
    /// transactions but the entry stays out of the balance check: the bank
    /// did not say what it booked, so a reconstructed figure must not make
    /// the check pass. Without detail amounts there is no money to report.
    pub(super) fn entry_without_amount(
        &mut self,
        entry: EntryData,
        sign: Sign,
        status: EntryStatus,
    ) -> Result<(), ParseError> {
        if entry.details.is_empty() || entry.details.iter().any(|d| d.stated_amount().is_none()) {
            return Err(entry_error(
                self.file,
                &entry,
                ErrorKind::MissingField,
                "`Ntry` without `Amt`, and no `TxDtls` amount to stand for it".to_string(),
            ));
        }
        self.out.warnings.push(format!(
            "line {} `{}`: `Ntry` without `Amt`; transactions taken from `TxDtls` amounts and the entry left out of the balance check",
            entry.line, entry.locator
        ));
        for detail in &entry.details {
            if let Some(money) = detail.stated_amount() {
                let tx = assemble::transaction(
                    &entry,
                    Some(detail),
                    detail.sign.unwrap_or(sign),
                    money,
                    status,
                );
                self.push_tx(tx)?;
            }
        }
        Ok(())
    }

    pub(super) fn push_tx(
        &mut self,
        (mut tx, details): (crate::StatementTransaction, crate::TransactionDetails),
    ) -> Result<(), ParseError> {
        if self.out.transactions.len() as u64 >= self.options.limits.records_max {
            return Err(ParseError::new(
                self.file,
                Some(FORMAT_NAME),
                Location::Element {
                    line: tx.source_line,
                    path: tx.locator,
                },
                ErrorKind::LimitExceeded,
                format!(
                    "more than {} transactions (limit `records_max`)",
                    self.options.limits.records_max
                ),
            ));
        }
        tx.statement_index = self.statement.as_ref().map_or(0, |s| s.index);
        self.out.transactions.push(tx);
        self.out.details.push(details);
        Ok(())
    }

    // ----- leaves -------------------------------------------------------

    /// Stores the text of the leaf at `depth` in whichever container it
    /// belongs to, chosen by its path below that container.
    pub(super) fn leaf(&mut self, depth: usize) -> Result<(), ParseError> {
        if self.statement.is_none() {
            return Ok(());
        }
        if let Some(container) = self.detail.as_ref().map(|(d, _)| *d) {
            return self.detail_leaf(depth, container);
        }
        if let Some(container) = self.entry.as_ref().map(|(d, _)| *d) {
            return self.entry_leaf(depth, container);
        }
        if let Some(container) = self.balance.as_ref().map(|(d, _)| *d) {
            return self.balance_leaf(depth, container);
        }
        self.statement_leaf(depth)
    }

    pub(super) fn statement_leaf(&mut self, depth: usize) -> Result<(), ParseError> {
        let Some(start) = self.statement.as_ref().map(|s| s.depth + 1) else {
            return Ok(());
        };
        let Some(rel) = self.tags.get(start..=depth) else {
            return Ok(());
        };
        let value = self.text_buf.trim();
        let Some(s) = self.statement.as_mut() else {
            return Ok(());
        };
        match rel {
            [Tag::Id] => s.id = value.to_string(),
            [Tag::ElctrncSeqNb] => s.sequence_electronic = value.to_string(),
            [Tag::LglSeqNb] => s.sequence_legal = value.to_string(),
            [Tag::Acct, Tag::Id, Tag::Iban] => s.iban = value.to_string(),
            [Tag::Acct, id @ ..] if is_account_id(id) => s.account_other = value.to_string(),
            [Tag::Acct, Tag::Ccy] => s.currency = value.to_string(),
            [Tag::FrToDt, Tag::FrDtTm] => {
                let date = self.date(depth, true)?;
                if let Some(s) = self.statement.as_mut() {
                    s.from_date = Some(date);
                }
            }
            [Tag::FrToDt, Tag::ToDtTm] => {
                let date = self.date(depth, true)?;
                if let Some(s) = self.statement.as_mut() {
                    s.to_date = Some(date);
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn balance_leaf(
        &mut self,
        depth: usize,
        container: usize,
    ) -> Result<(), ParseError> {
        let rel = &self.tags[container + 1..=depth];
        match rel {
            [Tag::Tp, Tag::CdOrPrtry, Tag::Cd | Tag::Prtry] => {
                let value = self.text_buf.trim().to_string();
                if let Some((_, b)) = self.balance.as_mut() {
                    if b.code.is_empty() {
                        b.code = value;
                    }
                }
            }
            [Tag::Amt] => {
                let money = self.money(depth)?;
                if let Some((_, b)) = self.balance.as_mut() {
                    b.amount = Some(money);
                }
            }
            [Tag::CdtDbtInd] => {
                let sign = self.sign(depth)?;
                if let Some((_, b)) = self.balance.as_mut() {
                    b.sign = Some(sign);
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn entry_leaf(&mut self, depth: usize, container: usize) -> Result<(), ParseError> {
        let rel = &self.tags[container + 1..=depth];
        match rel {
            [Tag::Amt] => {
                let money = self.money(depth)?;
                self.with_entry(|e| e.amount = Some(money));
            }
            [Tag::CdtDbtInd] => {
                let sign = self.sign(depth)?;
                self.with_entry(|e| e.sign = Some(sign));
            }
            [Tag::RvslInd] => {
                let reversal = self.text_buf.trim() == "true" || self.text_buf.trim() == "1";
                self.with_entry(|e| e.reversal = reversal);
            }
            // 001.02-.06 plain text, 001.08+ `Sts/Cd`; a proprietary `Sts/Prtry` is
            // kept as written and, being unknown, never moves a booked balance.
            [Tag::Sts] | [Tag::Sts, Tag::Cd | Tag::Prtry] => {
                let status = self.text_buf.trim().to_string();
                self.with_entry(|e| e.status = status);
            }
            [Tag::BookgDt, Tag::Dt | Tag::DtTm] => {
                let date = self.date(depth, rel[1] == Tag::DtTm)?;
                self.with_entry(|e| e.booking_date = Some(date));
            }
            [Tag::ValDt, Tag::Dt | Tag::DtTm] => {
                let date = self.date(depth, rel[1] == Tag::DtTm)?;
                self.with_entry(|e| e.value_date = Some(date));
            }
            [Tag::AcctSvcrRef] => {
                let value = self.text_buf.trim().to_string();
                self.with_entry(|e| e.acct_svcr_ref = value);
            }
            [Tag::AddtlNtryInf] => {
                let value = self.text_buf.trim().to_string();
                self.with_entry(|e| join_space(&mut e.additional_info, &value));
            }
            [Tag::AmtDtls, kind @ (Tag::TxAmt | Tag::InstdAmt | Tag::CntrValAmt), Tag::Amt] => {
                let kind = *kind;
                let money = self.money(depth)?;
                self.with_entry(|e| {
                    let slot = match kind {
                        Tag::TxAmt => &mut e.amount_tx,
                        Tag::InstdAmt => &mut e.amount_instructed,
                        _ => &mut e.amount_counter_value,
                    };
                    *slot = Some(money);
                });
            }
            [Tag::BkTxCd, code @ ..] => {
                if let Some((_, entry)) = self.entry.as_mut() {
                    bank_tx_code(&mut entry.code, code, self.text_buf.trim().to_string());
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn detail_leaf(&mut self, depth: usize, container: usize) -> Result<(), ParseError> {
        let rel = &self.tags[container + 1..=depth];
        match rel {
            [Tag::Amt] => {
                let money = self.money(depth)?;
                self.with_detail(|d| d.amount = Some(money));
            }
            [Tag::AmtDtls, Tag::TxAmt, Tag::Amt] => {
                let money = self.money(depth)?;
                self.with_detail(|d| d.amount_tx = Some(money));
            }
            [Tag::CdtDbtInd] => {
                let sign = self.sign(depth)?;
                self.with_detail(|d| d.sign = Some(sign));
            }
            [Tag::RmtInf, Tag::Strd, Tag::RfrdDocAmt, kind @ (Tag::RmtdAmt | Tag::DuePyblAmt | Tag::CdtNoteAmt)] =>
            {
                // A document amount that does not read is left out rather
                // than rejecting the statement: it informs, it books nothing.
                let Ok(value) = crate::amount::parse_unsigned(self.text_buf.trim(), b'.') else {
                    return Ok(());
                };
                let kind = *kind;
                self.with_detail(|d| {
                    let Some(doc) = d.open_document.and_then(|i| d.documents.get_mut(i)) else {
                        return;
                    };
                    // Remitted wins over due; a credit note amount is negative.
                    match kind {
                        Tag::RmtdAmt => doc.amount = Some(value),
                        Tag::DuePyblAmt => {
                            doc.amount.get_or_insert(value);
                        }
                        _ => {
                            doc.amount.get_or_insert(-value);
                        }
                    }
                });
            }
            _ => {
                if let (Some(field), Some((_, detail))) = (detail_field(rel), self.detail.as_mut())
                {
                    // Direct field borrows: `rel` lives in `self.tags`, the
                    // detail in `self.detail`, so nothing is copied.
                    store_detail_field(detail, field, rel, self.text_buf.trim().to_string());
                }
            }
        }
        Ok(())
    }

    pub(super) fn with_entry(&mut self, f: impl FnOnce(&mut EntryData)) {
        if let Some((_, e)) = self.entry.as_mut() {
            f(e);
        }
    }

    pub(super) fn with_detail(&mut self, f: impl FnOnce(&mut TxData)) {
        if let Some((_, d)) = self.detail.as_mut() {
            f(d);
        }
    }
}
