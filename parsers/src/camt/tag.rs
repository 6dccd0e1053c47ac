//! The element names the camt reader acts on, interned once per start tag
//! so the rest of the reader matches on a small enum instead of strings.

/// Local name (namespace prefix stripped) of an element the reader knows.
///
/// Everything else is [`Tag::Other`]: the reader still tracks its depth and
/// path, but never reads its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Document,
    /// `BkToCstmrStmt` (camt.053), with or without the 001.01 `V01` suffix.
    MsgStmt,
    /// `BkToCstmrAcctRpt` (camt.052).
    MsgRpt,
    /// `BkToCstmrDbtCdtNtfctn` (camt.054).
    MsgNtfctn,
    Stmt,
    Rpt,
    Ntfctn,
    Bal,
    Ntry,
    NtryDtls,
    TxDtls,
    Id,
    Iban,
    Bban,
    Upic,
    PrtryAcct,
    Othr,
    Ccy,
    ElctrncSeqNb,
    LglSeqNb,
    FrToDt,
    FrDtTm,
    ToDtTm,
    Acct,
    Tp,
    CdOrPrtry,
    Cd,
    Prtry,
    Amt,
    CdtDbtInd,
    RvslInd,
    Sts,
    BookgDt,
    ValDt,
    Dt,
    DtTm,
    AcctSvcrRef,
    BkTxCd,
    Domn,
    Fmly,
    SubFmlyCd,
    AmtDtls,
    TxAmt,
    InstdAmt,
    CntrValAmt,
    AddtlNtryInf,
    Refs,
    EndToEndId,
    RltdPties,
    Dbtr,
    Cdtr,
    DbtrAcct,
    CdtrAcct,
    Pty,
    Nm,
    RmtInf,
    Ustrd,
    Strd,
    CdtrRefInf,
    Ref,
    RfrdDocInf,
    Nb,
    AddtlTxInf,
    UltmtDbtr,
    UltmtCdtr,
    RfrdDocAmt,
    RmtdAmt,
    DuePyblAmt,
    CdtNoteAmt,
    RtrInf,
    Rsn,
    Other,
}

impl Tag {
    /// Interns a local name. PERF: one `match` on the string, which the
    /// compiler turns into a length switch followed by a few compares.
    pub(crate) fn from_local(name: &str) -> Tag {
        match name {
            "Document" => Tag::Document,
            "BkToCstmrStmt" | "BkToCstmrStmtV01" => Tag::MsgStmt,
            "BkToCstmrAcctRpt" | "BkToCstmrAcctRptV01" => Tag::MsgRpt,
            "BkToCstmrDbtCdtNtfctn" | "BkToCstmrDbtCdtNtfctnV01" => Tag::MsgNtfctn,
            "Stmt" => Tag::Stmt,
            "Rpt" => Tag::Rpt,
            "Ntfctn" => Tag::Ntfctn,
            "Bal" => Tag::Bal,
            "Ntry" => Tag::Ntry,
            "NtryDtls" => Tag::NtryDtls,
            "TxDtls" => Tag::TxDtls,
            "Id" => Tag::Id,
            "IBAN" => Tag::Iban,
            "BBAN" => Tag::Bban,
            "UPIC" => Tag::Upic,
            "PrtryAcct" => Tag::PrtryAcct,
            "Othr" => Tag::Othr,
            "Ccy" => Tag::Ccy,
            "ElctrncSeqNb" => Tag::ElctrncSeqNb,
            "LglSeqNb" => Tag::LglSeqNb,
            "FrToDt" => Tag::FrToDt,
            "FrDtTm" => Tag::FrDtTm,
            "ToDtTm" => Tag::ToDtTm,
            "Acct" => Tag::Acct,
            "Tp" => Tag::Tp,
            "CdOrPrtry" => Tag::CdOrPrtry,
            "Cd" => Tag::Cd,
            "Prtry" => Tag::Prtry,
            "Amt" => Tag::Amt,
            "CdtDbtInd" => Tag::CdtDbtInd,
            "RvslInd" => Tag::RvslInd,
            "Sts" => Tag::Sts,
            "BookgDt" => Tag::BookgDt,
            "ValDt" => Tag::ValDt,
            "Dt" => Tag::Dt,
            "DtTm" => Tag::DtTm,
            "AcctSvcrRef" => Tag::AcctSvcrRef,
            "BkTxCd" => Tag::BkTxCd,
            "Domn" => Tag::Domn,
            "Fmly" => Tag::Fmly,
            "SubFmlyCd" => Tag::SubFmlyCd,
            "AmtDtls" => Tag::AmtDtls,
            "TxAmt" => Tag::TxAmt,
            "InstdAmt" => Tag::InstdAmt,
            "CntrValAmt" => Tag::CntrValAmt,
            "AddtlNtryInf" => Tag::AddtlNtryInf,
            "Refs" => Tag::Refs,
            "EndToEndId" => Tag::EndToEndId,
            "RltdPties" => Tag::RltdPties,
            "Dbtr" => Tag::Dbtr,
            "Cdtr" => Tag::Cdtr,
            "DbtrAcct" => Tag::DbtrAcct,
            "CdtrAcct" => Tag::CdtrAcct,
            "Pty" => Tag::Pty,
            "Nm" => Tag::Nm,
            "RmtInf" => Tag::RmtInf,
            "Ustrd" => Tag::Ustrd,
            "Strd" => Tag::Strd,
            "CdtrRefInf" => Tag::CdtrRefInf,
            "Ref" => Tag::Ref,
            "RfrdDocInf" => Tag::RfrdDocInf,
            "Nb" => Tag::Nb,
            "AddtlTxInf" => Tag::AddtlTxInf,
            "UltmtDbtr" => Tag::UltmtDbtr,
            "UltmtCdtr" => Tag::UltmtCdtr,
            "RfrdDocAmt" => Tag::RfrdDocAmt,
            "RmtdAmt" => Tag::RmtdAmt,
            "DuePyblAmt" => Tag::DuePyblAmt,
            "CdtNoteAmt" => Tag::CdtNoteAmt,
            "RtrInf" => Tag::RtrInf,
            "Rsn" => Tag::Rsn,
            _ => Tag::Other,
        }
    }

    /// True for the message roots (`BkToCstmr...`).
    pub(crate) fn is_message(self) -> bool {
        matches!(self, Tag::MsgStmt | Tag::MsgRpt | Tag::MsgNtfctn)
    }

    /// True for the per-account blocks (`Stmt`, `Rpt`, `Ntfctn`).
    pub(crate) fn is_statement(self) -> bool {
        matches!(self, Tag::Stmt | Tag::Rpt | Tag::Ntfctn)
    }

    /// True when the element may carry text the reader uses, so its
    /// character data is worth buffering.
    pub(crate) fn is_leaf(self) -> bool {
        matches!(
            self,
            Tag::Id
                | Tag::Iban
                | Tag::Bban
                | Tag::Upic
                | Tag::Ccy
                | Tag::ElctrncSeqNb
                | Tag::LglSeqNb
                | Tag::FrDtTm
                | Tag::ToDtTm
                | Tag::Cd
                | Tag::Prtry
                | Tag::Amt
                | Tag::CdtDbtInd
                | Tag::RvslInd
                | Tag::Sts
                | Tag::Dt
                | Tag::DtTm
                | Tag::AcctSvcrRef
                | Tag::SubFmlyCd
                | Tag::AddtlNtryInf
                | Tag::EndToEndId
                | Tag::Nm
                | Tag::Ustrd
                | Tag::Ref
                | Tag::Nb
                | Tag::AddtlTxInf
                | Tag::RmtdAmt
                | Tag::DuePyblAmt
                | Tag::CdtNoteAmt
        )
    }
}
