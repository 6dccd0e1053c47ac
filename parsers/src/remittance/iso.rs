//! ISO 20022 remittance: remt.001 remittance advices, and the structured
//! remittance (`RmtInf/Strd`) of camt.054 notifications (camt.052/053 too,
//! when a caller forces the format).
//!
//! Remittance files are small (an advice per payment), so the document is
//! read into a compact element tree first and then walked; the reader
//! refuses what the camt statement reader refuses (a DOCTYPE, entities
//! other than the five predefined ones, nesting deeper than
//! `xml_depth_max`). Elements are recognised by local name, so every
//! version and namespace reads the same.
//!
//! One advice per remt.001 `RmtInf`, and per camt `TxDtls`. Lines are the
//! `Strd` blocks: the referred document (`RfrdDocInf/Nb`, its type code) or
//! else the creditor reference (`CdtrRefInf/Ref`), `RmtdAmt` as amount paid
//! (less `CdtNoteAmt`, a credit note netted), `DuePyblAmt`, `DscntApldAmt`,
//! and each `AdjstmntAmtAndRsn` (subtracted unless `CdtDbtInd` is `CRDT`)
//! with its reason. Checked where the file gives both sides: the advice's
//! amount (`OrgnlPmtInf/Amt`, the `TxDtls` amount) against its lines, and
//! a camt batch's `TtlAmt`/`NbOfTxs` against its `TxDtls`.

use super::{
    check_scale, compare, lines_check, settle_advice, Advice, AdviceLine, ControlCheck,
    DocumentType, LineMap, ParsedRemittance, RemittanceFormat, RemittanceOptions,
};
use crate::{BalanceCheck, ErrorKind, Location, ParseError, Source};
use chrono::NaiveDate;
use quick_xml::events::Event;
use quick_xml::Reader;
use rust_decimal::Decimal;

/// One element: local name, text, children, line and `Ccy` attribute.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    ccy: String,
    line: u64,
    children: Vec<usize>,
}

struct Dom {
    nodes: Vec<Node>,
}

impl Dom {
    fn node(&self, n: usize) -> &Node {
        &self.nodes[n]
    }

    fn kids<'d>(&'d self, n: usize, name: &'d str) -> impl Iterator<Item = usize> + 'd {
        self.nodes[n]
            .children
            .iter()
            .copied()
            .filter(move |&c| self.nodes[c].name == name)
    }

    fn kid(&self, n: usize, name: &str) -> Option<usize> {
        self.kids(n, name).next()
    }

    /// The first element along `path` below `n`.
    fn at(&self, n: usize, path: &[&str]) -> Option<usize> {
        path.iter().try_fold(n, |cur, name| self.kid(cur, name))
    }

    /// Trimmed text of the first element along `path`; empty when absent.
    fn text(&self, n: usize, path: &[&str]) -> &str {
        self.at(n, path).map_or("", |c| self.nodes[c].text.trim())
    }

    /// A party's name: `Nm`, or `Pty/Nm` (version 8 and later).
    fn party_name(&self, party: Option<usize>) -> String {
        party
            .map(|p| {
                let direct = self.text(p, &["Nm"]);
                if direct.is_empty() {
                    self.text(p, &["Pty", "Nm"]).to_string()
                } else {
                    direct.to_string()
                }
            })
            .unwrap_or_default()
    }

    /// An account: `Id/IBAN` or `Id/Othr/Id`.
    fn account(&self, acct: Option<usize>) -> String {
        acct.map(|a| {
            let iban = self.text(a, &["Id", "IBAN"]);
            if iban.is_empty() {
                self.text(a, &["Id", "Othr", "Id"]).to_string()
            } else {
                iban.to_string()
            }
        })
        .unwrap_or_default()
    }
}

/// Reads an ISO 20022 remittance file as `format`.
pub fn parse(
    source: &Source<'_>,
    options: &RemittanceOptions,
    format: RemittanceFormat,
) -> Result<ParsedRemittance, ParseError> {
    let name = format.as_str();
    let (text, encoding) = crate::encoding::decode(
        source.name,
        Some(name),
        source.bytes,
        options.encoding.as_deref(),
    )?;
    let dom = build(source.name, name, &text, options)?;
    let mut walker = Walker {
        file: source.name,
        format_name: name,
        dom: &dom,
        out: ParsedRemittance {
            encoding: encoding.to_string(),
            ..ParsedRemittance::default()
        },
    };
    let root = 0;
    let message = dom.node(root).children.first().copied().ok_or_else(|| {
        walker.error(
            root,
            String::new(),
            ErrorKind::Structure,
            "the document has no message element".into(),
        )
    })?;
    match format {
        RemittanceFormat::Remt001 => walker.remt(message)?,
        _ => walker.camt(message)?,
    }
    Ok(walker.out)
}

fn build(
    file: &str,
    format_name: &'static str,
    text: &str,
    options: &RemittanceOptions,
) -> Result<Dom, ParseError> {
    let map = LineMap::of_text(text);
    let err = |pos: usize, kind: ErrorKind, message: String| {
        ParseError::new(
            file,
            Some(format_name),
            Location::Line(map.line(pos)),
            kind,
            message,
        )
    };
    let mut reader = Reader::from_str(text);
    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut roots = 0usize;
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            err(
                reader.error_position() as usize,
                ErrorKind::Structure,
                format!("malformed XML: {e}"),
            )
        })?;
        let mut open = |e: &quick_xml::events::BytesStart<'_>,
                        nodes: &mut Vec<Node>,
                        stack: &mut Vec<usize>|
         -> Result<usize, ParseError> {
            if stack.len() >= options.limits.xml_depth_max {
                return Err(err(
                    pos,
                    ErrorKind::LimitExceeded,
                    format!(
                        "XML nesting deeper than {} elements (limit `xml_depth_max`)",
                        options.limits.xml_depth_max
                    ),
                ));
            }
            if nodes.len() as u64 >= options.limits.records_max {
                return Err(err(
                    pos,
                    ErrorKind::LimitExceeded,
                    format!(
                        "more than {} elements (limit `records_max`)",
                        options.limits.records_max
                    ),
                ));
            }
            let qname = e.name();
            let qname: &str = qname.as_ref();
            let local = qname.rsplit(':').next().unwrap_or(qname).to_string();
            let mut ccy = String::new();
            for attr in e.attributes() {
                let attr = attr.map_err(|x| {
                    err(
                        pos,
                        ErrorKind::Structure,
                        format!("malformed attribute on `{local}`: {x}"),
                    )
                })?;
                if attr.key.local_name().as_ref() == "Ccy" {
                    ccy = attr.value.trim().to_string();
                }
            }
            let id = nodes.len();
            nodes.push(Node {
                name: local,
                ccy,
                line: map.line(pos),
                ..Node::default()
            });
            match stack.last() {
                Some(&parent) => nodes[parent].children.push(id),
                None => {
                    roots += 1;
                    if roots > 1 {
                        return Err(err(
                            pos,
                            ErrorKind::Structure,
                            "a second root element: one XML document per file".into(),
                        ));
                    }
                }
            }
            Ok(id)
        };
        match event {
            Event::Start(e) => {
                let id = open(&e, &mut nodes, &mut stack)?;
                stack.push(id);
            }
            Event::Empty(e) => {
                open(&e, &mut nodes, &mut stack)?;
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                match stack.last() {
                    Some(&n) => push_text(&mut nodes[n].text, &content, options)
                        .map_err(|m| err(pos, ErrorKind::LimitExceeded, m))?,
                    None if !content.trim().is_empty() => {
                        return Err(err(pos, ErrorKind::Structure, "text outside the root element".into()))
                    }
                    None => {}
                }
            }
            Event::CData(c) => {
                if let Some(&n) = stack.last() {
                    push_text(&mut nodes[n].text, &c.xml10_content(), options)
                        .map_err(|m| err(pos, ErrorKind::LimitExceeded, m))?;
                }
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        _ => {
                            return Err(err(pos, ErrorKind::Structure, format!("invalid character reference `&{};`", &*r)))
                        }
                    }
                } else {
                    match &*r {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "apos" => '\'',
                        "quot" => '"',
                        other => {
                            return Err(err(
                                pos,
                                ErrorKind::ForbiddenXml,
                                format!("entity reference `&{other};` is not allowed: only the five predefined XML entities and character references are accepted"),
                            ))
                        }
                    }
                };
                if let Some(&n) = stack.last() {
                    let mut utf8 = [0u8; 4];
                    push_text(&mut nodes[n].text, c.encode_utf8(&mut utf8), options)
                        .map_err(|m| err(pos, ErrorKind::LimitExceeded, m))?;
                }
            }
            Event::DocType(_) => {
                return Err(err(
                    pos,
                    ErrorKind::ForbiddenXml,
                    "a DOCTYPE is not allowed: DTDs and entity declarations are refused (billion laughs, XXE)".into(),
                ))
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(&open) = stack.last() {
        return Err(ParseError::new(
            file,
            Some(format_name),
            Location::Line(nodes[open].line),
            ErrorKind::Truncated,
            format!(
                "file ends inside `{}` ({} element(s) left open): the document is truncated",
                nodes[open].name,
                stack.len()
            ),
        ));
    }
    if nodes.is_empty() {
        return Err(err(0, ErrorKind::Structure, "no XML element found".into()));
    }
    Ok(Dom { nodes })
}

fn push_text(buf: &mut String, text: &str, options: &RemittanceOptions) -> Result<(), String> {
    if buf.len() + text.len() > options.limits.line_bytes_max {
        return Err(format!(
            "element text longer than {} bytes (limit `line_bytes_max`)",
            options.limits.line_bytes_max
        ));
    }
    buf.push_str(text);
    Ok(())
}

struct Walker<'a> {
    file: &'a str,
    format_name: &'static str,
    dom: &'a Dom,
    out: ParsedRemittance,
}

/// An amount with its currency.
#[derive(Debug, Clone, Copy)]
struct Money {
    value: Decimal,
}

impl Walker<'_> {
    fn error(&self, n: usize, path: String, kind: ErrorKind, message: String) -> ParseError {
        ParseError::new(
            self.file,
            Some(self.format_name),
            Location::Element {
                line: self.dom.node(n).line,
                path: if path.is_empty() {
                    self.dom.node(n).name.clone()
                } else {
                    path
                },
            },
            kind,
            message,
        )
    }

    /// The amount of element `n` (unsigned, `.` decimals), its currency
    /// known and its scale within it.
    fn money(&self, n: usize, path: &str) -> Result<(Money, String), ParseError> {
        let node = self.dom.node(n);
        let text = node.text.trim();
        let value = crate::amount::parse_unsigned(text, b'.').map_err(|e| {
            self.error(
                n,
                path.to_string(),
                ErrorKind::InvalidAmount,
                super::amount_message(text, e, "an unsigned decimal with `.` (e.g. `905.3`)"),
            )
        })?;
        let ccy = node.ccy.to_ascii_uppercase();
        if ccy.is_empty() {
            return Err(self.error(
                n,
                path.to_string(),
                ErrorKind::MissingField,
                format!("amount `{text}` has no `Ccy` attribute"),
            ));
        }
        if !super::known_currency(&ccy) {
            return Err(self.error(
                n,
                path.to_string(),
                ErrorKind::InvalidCurrency,
                format!("currency `{ccy}` is not an ISO 4217 code"),
            ));
        }
        check_scale(value, &ccy)
            .map_err(|m| self.error(n, path.to_string(), ErrorKind::InvalidAmount, m))?;
        Ok((Money { value }, ccy))
    }

    fn opt_money(
        &self,
        n: Option<usize>,
        path: &str,
    ) -> Result<Option<(Money, String)>, ParseError> {
        n.map(|n| self.money(n, path)).transpose()
    }

    fn date(&self, n: usize, path: &[&str]) -> Option<NaiveDate> {
        let d = self.dom.at(n, path)?;
        let t = {
            let own = self.dom.node(d).text.trim();
            if own.is_empty() {
                let inner = self.dom.text(d, &["Dt"]);
                if inner.is_empty() {
                    self.dom.text(d, &["DtTm"])
                } else {
                    inner
                }
            } else {
                own
            }
        };
        t.get(..10)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    }

    fn remt(&mut self, message: usize) -> Result<(), ParseError> {
        let dom = self.dom;
        for (i, inf) in dom.kids(message, "RmtInf").enumerate() {
            let locator = format!("{}/RmtInf[{}]", dom.node(message).name, i + 1);
            let pmt = dom.kid(inf, "OrgnlPmtInf");
            let mut advice = Advice {
                advice_id: dom.text(inf, &["RmtId"]).to_string(),
                credit: true,
                booked: true,
                source_line: dom.node(inf).line,
                locator: locator.clone(),
                ..Advice::default()
            };
            if let Some(p) = pmt {
                let e2e = dom.text(p, &["Refs", "EndToEndId"]);
                advice.payment_reference = if e2e.is_empty() || e2e == "NOTPROVIDED" {
                    dom.text(p, &["Refs", "TxId"]).to_string()
                } else {
                    e2e.to_string()
                };
                let amt = dom
                    .at(p, &["Amt", "InstdAmt"])
                    .or_else(|| dom.at(p, &["Amt", "EqvtAmt", "Amt"]));
                if let Some((m, ccy)) =
                    self.opt_money(amt, &format!("{locator}/OrgnlPmtInf/Amt"))?
                {
                    advice.amount = Some(m.value);
                    advice.currency = ccy;
                }
                advice.payment_date = self.date(p, &["ReqdExctnDt"]);
                advice.payer_name = dom.party_name(dom.kid(p, "Dbtr"));
                advice.payer_account = dom.account(dom.kid(p, "DbtrAcct"));
                advice.payee_name = dom.party_name(dom.kid(p, "Cdtr"));
                advice.method = dom.text(p, &["PmtMtd"]).to_string();
            }
            advice.remittance_text = dom
                .kids(inf, "Ustrd")
                .map(|u| dom.node(u).text.trim())
                .collect::<Vec<_>>()
                .join(" ");
            for (k, s) in dom.kids(inf, "Strd").enumerate() {
                let line = self.strd(
                    s,
                    &format!("{locator}/Strd[{}]", k + 1),
                    &mut advice.currency,
                )?;
                advice.lines.push(line);
            }
            let check = lines_check(
                "OrgnlPmtInf/Amt = sum of RmtdAmt (less CdtNoteAmt)",
                &locator,
                advice.amount,
                &advice.lines,
            );
            settle_advice(&mut advice, &[&check]);
            self.out.checks.push(check);
            self.out.advices.push(advice);
        }
        if self.out.advices.is_empty() {
            return Err(self.error(
                message,
                String::new(),
                ErrorKind::MissingField,
                "a remittance advice without any RmtInf".into(),
            ));
        }
        Ok(())
    }

    fn camt(&mut self, message: usize) -> Result<(), ParseError> {
        let dom = self.dom;
        let mname = dom.node(message).name.clone();
        let statements: Vec<usize> = dom
            .node(message)
            .children
            .iter()
            .copied()
            .filter(|&c| matches!(dom.node(c).name.as_str(), "Ntfctn" | "Stmt" | "Rpt"))
            .collect();
        if statements.is_empty() {
            return Err(self.error(
                message,
                mname,
                ErrorKind::MissingField,
                "no Ntfctn, Stmt or Rpt element".into(),
            ));
        }
        for (si, st) in statements.into_iter().enumerate() {
            let st_loc = format!("{}[{}]", dom.node(st).name, si + 1);
            let account = dom.account(dom.kid(st, "Acct"));
            for (ni, ntry) in dom.kids(st, "Ntry").enumerate() {
                let n_loc = format!("{st_loc}/Ntry[{}]", ni + 1);
                let entry_amount = self.opt_money(dom.kid(ntry, "Amt"), &format!("{n_loc}/Amt"))?;
                let entry_credit = dom.text(ntry, &["CdtDbtInd"]);
                let sts = {
                    let t = dom.text(ntry, &["Sts"]);
                    if t.is_empty() {
                        dom.text(ntry, &["Sts", "Cd"])
                    } else {
                        t
                    }
                };
                let booked = sts.is_empty() || sts == "BOOK";
                let date = self
                    .date(ntry, &["ValDt"])
                    .or_else(|| self.date(ntry, &["BookgDt"]));
                let entry_ref = dom.text(ntry, &["AcctSvcrRef"]);
                let method = {
                    let d = dom.text(ntry, &["BkTxCd", "Domn", "Cd"]);
                    if d.is_empty() {
                        dom.text(ntry, &["BkTxCd", "Prtry", "Cd"]).to_string()
                    } else {
                        format!(
                            "{d}/{}/{}",
                            dom.text(ntry, &["BkTxCd", "Domn", "Fmly", "Cd"]),
                            dom.text(ntry, &["BkTxCd", "Domn", "Fmly", "SubFmlyCd"])
                        )
                    }
                };
                for (di, dtls) in dom.kids(ntry, "NtryDtls").enumerate() {
                    let d_loc = format!("{n_loc}/NtryDtls[{}]", di + 1);
                    let txs: Vec<usize> = dom.kids(dtls, "TxDtls").collect();
                    let mut batch_advices = Vec::new();
                    for (ti, tx) in txs.iter().copied().enumerate() {
                        let locator = format!("{d_loc}/TxDtls[{}]", ti + 1);
                        let amt = dom
                            .kid(tx, "Amt")
                            .or_else(|| dom.at(tx, &["AmtDtls", "TxAmt", "Amt"]))
                            .or_else(|| dom.at(tx, &["AmtDtls", "InstdAmt", "Amt"]));
                        let mut amount = self.opt_money(amt, &format!("{locator}/Amt"))?;
                        if amount.is_none() && txs.len() == 1 {
                            amount = entry_amount.clone();
                        }
                        let cdi = {
                            let t = dom.text(tx, &["CdtDbtInd"]);
                            if t.is_empty() {
                                entry_credit
                            } else {
                                t
                            }
                        };
                        let e2e = dom.text(tx, &["Refs", "EndToEndId"]);
                        let tx_ref = dom.text(tx, &["Refs", "AcctSvcrRef"]);
                        let e2e = if e2e == "NOTPROVIDED" { "" } else { e2e };
                        let reference = [e2e, tx_ref, entry_ref]
                            .into_iter()
                            .find(|s| !s.is_empty())
                            .unwrap_or("");
                        let advice_id = [tx_ref, e2e]
                            .into_iter()
                            .find(|s| !s.is_empty())
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("{entry_ref}#{}", ti + 1));
                        let mut advice = Advice {
                            advice_id,
                            payment_reference: reference.to_string(),
                            payer_name: dom.party_name(dom.at(tx, &["RltdPties", "Dbtr"])),
                            payer_account: dom.account(dom.at(tx, &["RltdPties", "DbtrAcct"])),
                            payee_name: dom.party_name(dom.at(tx, &["RltdPties", "Cdtr"])),
                            amount: amount.as_ref().map(|(m, _)| m.value),
                            currency: amount.as_ref().map(|(_, c)| c.clone()).unwrap_or_default(),
                            payment_date: date,
                            method: method.clone(),
                            credit: cdi != "DBIT",
                            booked,
                            source_line: dom.node(tx).line,
                            locator: locator.clone(),
                            ..Advice::default()
                        };
                        if advice.payee_name.is_empty() && advice.credit {
                            advice.payee_name = dom.party_name(dom.at(st, &["Acct", "Ownr"]));
                        }
                        let _ = &account;
                        let rmt = dom.kid(tx, "RmtInf");
                        if let Some(r) = rmt {
                            advice.remittance_text = dom
                                .kids(r, "Ustrd")
                                .map(|u| dom.node(u).text.trim())
                                .collect::<Vec<_>>()
                                .join(" ");
                            for (k, s) in dom.kids(r, "Strd").enumerate() {
                                let line = self.strd(
                                    s,
                                    &format!("{locator}/RmtInf/Strd[{}]", k + 1),
                                    &mut advice.currency,
                                )?;
                                advice.lines.push(line);
                            }
                        }
                        // The payer remitted what it instructed; charges taken
                        // in transit (`InstdAmt` 5500, `TxAmt` 5455) are the
                        // bank's, not a short payment of the lines.
                        let instructed = self
                            .opt_money(
                                dom.at(tx, &["AmtDtls", "InstdAmt", "Amt"]),
                                &format!("{locator}/AmtDtls/InstdAmt/Amt"),
                            )?
                            .filter(|(_, c)| *c == advice.currency)
                            .map(|(m, _)| m.value);
                        let check = lines_check(
                            "TxDtls instructed amount (else amount) = sum of RmtdAmt (less CdtNoteAmt)",
                            &locator,
                            instructed.or(advice.amount),
                            &advice.lines,
                        );
                        batch_advices.push(self.out.advices.len());
                        settle_advice(&mut advice, &[&check]);
                        // Only a check that could be made is listed: most
                        // notifications carry references without amounts.
                        if check.result != BalanceCheck::NotCheckable {
                            self.out.checks.push(check);
                        }
                        self.out.advices.push(advice);
                    }
                    // A statement or report lists only some transactions of a
                    // batch (the rest are in the camt.054), so only a
                    // notification's batch is checked against its TxDtls.
                    let notification = dom.node(st).name == "Ntfctn";
                    if let Some(btch) = dom.kid(dtls, "Btch").filter(|_| notification) {
                        let b_loc = format!("{d_loc}/Btch");
                        let mut made: Vec<ControlCheck> = Vec::new();
                        let nb = dom.text(btch, &["NbOfTxs"]);
                        if let Ok(nb) = nb.parse::<u64>() {
                            made.push(compare(
                                "Btch/NbOfTxs = TxDtls",
                                &b_loc,
                                nb,
                                txs.len() as u64,
                            ));
                        }
                        if let Some((total, _)) =
                            self.opt_money(dom.kid(btch, "TtlAmt"), &format!("{b_loc}/TtlAmt"))?
                        {
                            let amounts: Vec<Option<Decimal>> = batch_advices
                                .iter()
                                .map(|&a| self.out.advices[a].amount)
                                .collect();
                            if amounts.iter().all(Option::is_some) {
                                // Signed by each TxDtls' direction against the batch's.
                                let batch_credit = dom.text(btch, &["CdtDbtInd"]) != "DBIT";
                                let sum = super::checked_sum(batch_advices.iter().map(|&a| {
                                    let ad = &self.out.advices[a];
                                    let v = ad.amount.unwrap_or_default();
                                    if ad.credit == batch_credit {
                                        v
                                    } else {
                                        -v
                                    }
                                }));
                                made.push(match sum {
                                    Some(s) => {
                                        compare("Btch/TtlAmt = its TxDtls", &b_loc, total.value, s)
                                    }
                                    None => ControlCheck {
                                        name: "Btch/TtlAmt = its TxDtls".into(),
                                        locator: b_loc.clone(),
                                        result: BalanceCheck::Fail,
                                        detail: "overflow".into(),
                                    },
                                });
                            }
                        }
                        for c in made {
                            if c.result == BalanceCheck::Fail {
                                for &a in &batch_advices {
                                    let ad = &mut self.out.advices[a];
                                    ad.check = BalanceCheck::Fail;
                                    if !ad.check_detail.is_empty() {
                                        ad.check_detail.push_str("; ");
                                    }
                                    ad.check_detail
                                        .push_str(&format!("{}: {}", c.name, c.detail));
                                }
                            }
                            self.out.checks.push(c);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// One `Strd` block as a line.
    fn strd(
        &self,
        s: usize,
        locator: &str,
        currency: &mut String,
    ) -> Result<AdviceLine, ParseError> {
        let dom = self.dom;
        let mut line = AdviceLine {
            source_line: dom.node(s).line,
            locator: locator.to_string(),
            ..AdviceLine::default()
        };
        let mut note_ccy = |ccy: &str| {
            if currency.is_empty() {
                *currency = ccy.to_string();
            }
        };
        let doc = dom.kid(s, "RfrdDocInf");
        let cref = dom.kid(s, "CdtrRefInf");
        if let Some(d) = doc {
            line.invoice_reference = dom.text(d, &["Nb"]).to_string();
            let code = {
                let c = dom.text(d, &["Tp", "CdOrPrtry", "Cd"]);
                if c.is_empty() {
                    dom.text(d, &["Tp", "CdOrPrtry", "Prtry"])
                } else {
                    c
                }
            };
            line.document_code = code.to_string();
            line.document_type = match code {
                "CINV" | "CMCN" | "HIRI" | "SBIN" | "DNFA" => DocumentType::Invoice,
                "CREN" => DocumentType::CreditNote,
                "DEBN" => DocumentType::DebitNote,
                "PUOR" => DocumentType::PurchaseOrder,
                "" => DocumentType::Invoice,
                _ => DocumentType::Other,
            };
        }
        if let Some(c) = cref {
            let code = {
                let c2 = dom.text(c, &["Tp", "CdOrPrtry", "Cd"]);
                if c2.is_empty() {
                    dom.text(c, &["Tp", "CdOrPrtry", "Prtry"])
                } else {
                    c2
                }
            };
            if line.invoice_reference.is_empty() {
                line.invoice_reference = dom.text(c, &["Ref"]).to_string();
                line.document_code = code.to_string();
                line.document_type = DocumentType::CreditorReference;
            }
        }
        if let Some(amts) = dom.kid(s, "RfrdDocAmt") {
            let field = |name: &str| -> Result<Option<Decimal>, ParseError> {
                let node = dom.kid(amts, name).map(|n| {
                    // Version 5+ wraps some amounts: `DscntApldAmt/Amt`.
                    if dom.node(n).text.trim().is_empty() {
                        dom.kid(n, "Amt").unwrap_or(n)
                    } else {
                        n
                    }
                });
                Ok(self
                    .opt_money(node, &format!("{locator}/RfrdDocAmt/{name}"))?
                    .map(|(m, c)| {
                        let _ = c;
                        m.value
                    }))
            };
            if let Some(n) = dom.kid(amts, "RmtdAmt") {
                note_ccy(&dom.node(n).ccy);
            }
            let remitted = field("RmtdAmt")?;
            let credit_note = field("CdtNoteAmt")?;
            line.invoice_amount = field("DuePyblAmt")?;
            line.discount_amount = field("DscntApldAmt")?;
            line.amount_paid = match (remitted, credit_note) {
                (None, None) => None,
                (r, c) => r.unwrap_or_default().checked_sub(c.unwrap_or_default()),
            };
            let mut adjustment: Option<Decimal> = None;
            let mut reasons = Vec::new();
            if let Some(c) = credit_note {
                adjustment = Some(-c);
                reasons.push("CREDIT_NOTE".to_string());
                if doc.is_none() && remitted.is_none() {
                    line.document_type = DocumentType::CreditNote;
                }
            }
            for adj in dom.kids(amts, "AdjstmntAmtAndRsn") {
                let Some((m, _)) = self.opt_money(
                    dom.kid(adj, "Amt"),
                    &format!("{locator}/RfrdDocAmt/AdjstmntAmtAndRsn/Amt"),
                )?
                else {
                    continue;
                };
                let signed = if dom.text(adj, &["CdtDbtInd"]) == "CRDT" {
                    m.value
                } else {
                    -m.value
                };
                adjustment = Some(
                    adjustment
                        .unwrap_or_default()
                        .checked_add(signed)
                        .unwrap_or(signed),
                );
                let r = dom.text(adj, &["Rsn"]);
                if !r.is_empty() {
                    reasons.push(r.to_string());
                }
            }
            line.adjustment_amount = adjustment;
            line.adjustment_reason = reasons.join(";");
        }
        Ok(line)
    }
}
