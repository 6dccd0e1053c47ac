//! The run's rules: which passes run, their thresholds and tolerances, and
//! the GL accounts postings go to. Deserialised by the CLI from the rules
//! TOML; every field has a default so an empty file is a sensible run.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// All rules of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// `[gl]`: journal accounts.
    pub gl: GlAccounts,
    /// `[matching]`: passes, thresholds and search bounds.
    pub matching: Matching,
    /// `[differences]`: discounts, write-offs, short pays, overpayments.
    pub differences: Differences,
    /// `[pilot]`: gradual roll-out.
    pub pilot: Pilot,
    /// `[returns]`: how returned payments find their original receipt.
    #[serde(skip_serializing_if = "ReturnsConfig::is_default")]
    pub returns: ReturnsConfig,
    /// `[company]`: legal entities (issue 11, part 4). Left out of the
    /// canonical TOML while default, so single-company configurations keep
    /// their hash and run id.
    #[serde(skip_serializing_if = "CompanyConfig::is_default")]
    pub company: CompanyConfig,
    /// `[intercompany]`: whether a receipt of one company may clear an
    /// invoice of another, and the GL accounts of the pair it posts.
    #[serde(skip_serializing_if = "IntercompanyConfig::is_default")]
    pub intercompany: IntercompanyConfig,
}

/// Default of [`CompanyConfig::default_code`].
pub const DEFAULT_COMPANY_CODE: &str = "1000";

/// `[company]`: which legal entity an open item and a bank transaction
/// belong to (see [`crate::company::company_of`], the one place that
/// decides it). Codes are text: `0100` stays `0100`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompanyConfig {
    /// The company of an open item whose extract has no `company_code`
    /// (or an empty one), and of a receipt on a bank account that is not
    /// in `accounts`.
    pub default_code: String,
    /// Receiving bank account (as the statement names it: IBAN or account
    /// number; spaces and case are ignored) → company code.
    pub accounts: BTreeMap<String, String>,
}

impl Default for CompanyConfig {
    fn default() -> Self {
        CompanyConfig {
            default_code: DEFAULT_COMPANY_CODE.into(),
            accounts: BTreeMap::new(),
        }
    }
}

impl CompanyConfig {
    /// True when every key holds its default.
    pub fn is_default(&self) -> bool {
        *self == CompanyConfig::default()
    }
}

/// `[intercompany]`: cross-company application. Off by default: a receipt
/// clears only invoices of the company that owns the receiving account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntercompanyConfig {
    /// Allow a receipt of one company to clear another company's invoice.
    pub allow: bool,
    /// When not empty, only these (receiving company, invoice company)
    /// pairs may apply across companies, e.g. `[["1000", "2000"]]`.
    pub pairs: Vec<(String, String)>,
    /// Booked in the invoice's company: what the receiving company owes it
    /// (an intercompany receivable, "due from").
    pub due_from: String,
    /// Booked in the receiving company: the cash it holds for the invoice's
    /// company (an intercompany payable, "due to").
    pub due_to: String,
}

impl Default for IntercompanyConfig {
    fn default() -> Self {
        IntercompanyConfig {
            allow: false,
            pairs: Vec::new(),
            due_from: "1290".into(),
            due_to: "2290".into(),
        }
    }
}

impl IntercompanyConfig {
    /// True when every key holds its default.
    pub fn is_default(&self) -> bool {
        *self == IntercompanyConfig::default()
    }

    /// May a receipt of company `receiving` clear an invoice of company
    /// `invoice`? Always within one company.
    pub fn allows(&self, receiving: &str, invoice: &str) -> bool {
        receiving == invoice
            || (self.allow
                && (self.pairs.is_empty()
                    || self
                        .pairs
                        .iter()
                        .any(|(r, i)| r == receiving && i == invoice)))
    }
}

/// `[returns]`: linking a returned payment to the receipt it takes back
/// (see [`crate::returns`]). Left out of the canonical TOML while it holds
/// the defaults, so configurations written before it keep their hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReturnsConfig {
    /// Days before the return's date within which the original receipt is
    /// searched by amount and payer when no reference links them (ACH
    /// unauthorised-debit returns come up to 60 days later; SEPA R-transactions
    /// and bounced cheques within days).
    pub window_days: u32,
    /// Days a receipt stays in the state for later returns to find
    /// (counted back from a run's as-of date to the receipt's value date):
    /// older receipts are no longer offered, so a return of them is
    /// `UNLINKED_RETURN`. Card chargebacks come up to 540 days later, ACH
    /// returns within 60. Left out of the canonical TOML while default.
    #[serde(skip_serializing_if = "ReturnsConfig::is_default_keep")]
    pub keep_receipts_days: u32,
}

/// Default of [`ReturnsConfig::keep_receipts_days`].
pub const KEEP_RECEIPTS_DAYS_DEFAULT: u32 = 400;

impl Default for ReturnsConfig {
    fn default() -> Self {
        ReturnsConfig {
            window_days: 60,
            keep_receipts_days: KEEP_RECEIPTS_DAYS_DEFAULT,
        }
    }
}

impl ReturnsConfig {
    /// True when every key holds its default.
    pub fn is_default(&self) -> bool {
        *self == ReturnsConfig::default()
    }

    fn is_default_keep(days: &u32) -> bool {
        *days == KEEP_RECEIPTS_DAYS_DEFAULT
    }
}

/// General-ledger accounts for the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GlAccounts {
    /// Cash account used when a bank account has no entry in `bank_by_account`.
    pub bank: String,
    /// Bank account number or IBAN → GL cash account.
    pub bank_by_account: BTreeMap<String, String>,
    /// Trade receivables: credited with what applications clear.
    pub receivable: String,
    /// Customer identified, money not yet applied to an invoice ("on account").
    pub unapplied_cash: String,
    /// Payer unknown: cash held in suspense until someone identifies it.
    pub suspense: String,
    /// Early-payment discounts granted (an expense).
    pub discount: String,
    /// Small differences written off (an expense).
    pub writeoff: String,
    /// Deductions taken by payers (short pay with a reason), held until the
    /// deductions team resolves them with a credit note or collects them.
    pub deduction: String,
    /// Receipts a person decided to pay back (`refund` decisions): a
    /// liability until treasury sends the money. Left out of the canonical
    /// TOML while it has its default, so configs (and run ids) of earlier
    /// versions hash as before.
    #[serde(skip_serializing_if = "is_default_refund")]
    pub refund: String,
}

/// Default of [`GlAccounts::refund`].
const DEFAULT_REFUND_GL: &str = "2420";

fn is_default_refund(account: &String) -> bool {
    account == DEFAULT_REFUND_GL
}

impl Default for GlAccounts {
    fn default() -> Self {
        // Chart-of-accounts numbers in the style of a common SKR/US GAAP
        // layout; every organisation overrides them in `[gl]`.
        GlAccounts {
            bank: "1000".into(),
            bank_by_account: BTreeMap::new(),
            receivable: "1200".into(),
            unapplied_cash: "2410".into(),
            suspense: "2490".into(),
            discount: "4930".into(),
            writeoff: "6850".into(),
            deduction: "1260".into(),
            refund: DEFAULT_REFUND_GL.into(),
        }
    }
}

impl GlAccounts {
    /// The cash GL account for a bank account.
    pub fn bank_for(&self, account: &str) -> &str {
        self.bank_by_account
            .get(account)
            .map_or(self.bank.as_str(), String::as_str)
    }
}

/// One pass's switch and thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PassRule {
    /// Off: the pass proposes nothing.
    pub enabled: bool,
    /// At or above this confidence the result is applied.
    pub auto_apply_min: f64,
    /// At or above this (and below auto) the result is a suggestion in exceptions.
    pub suggest_min: f64,
}

impl Default for PassRule {
    fn default() -> Self {
        PassRule {
            enabled: true,
            auto_apply_min: 0.90,
            suggest_min: 0.50,
        }
    }
}

impl PassRule {
    const fn with(auto_apply_min: f64, suggest_min: f64) -> Self {
        PassRule {
            enabled: true,
            auto_apply_min,
            suggest_min,
        }
    }
}

/// The matching cascade's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Matching {
    /// Pass 1: ISO 11649 `RF`, QR and structured invoice references, amount equal.
    pub structured_reference: PassRule,
    /// Pass 2: invoice numbers in the remittance text, amount equal.
    pub exact_reference: PassRule,
    /// Pass 2b: repaired invoice numbers (leading zeros, OCR confusions,
    /// one edit), accepted only when the amount confirms them.
    pub fuzzy_reference: PassRule,
    /// Pass 6: reference present, amount differs (discount, write-off,
    /// short pay, overpayment).
    pub reference_with_difference: PassRule,
    /// Pass 4: identified customer; one open item, the whole balance or all
    /// past-due items equal the payment.
    pub customer_amount: PassRule,
    /// Pass 4b: identified customer; a unique subset of open items sums to the payment.
    pub subset_sum: PassRule,
    /// Pass 5: several payments of one customer on one day pay several invoices.
    pub many_to_many: PassRule,
    /// Pass 5b: several payments quoting one invoice pay it in instalments.
    pub instalment: PassRule,
    /// Pass 3b: the payer identified by what people's decisions taught
    /// (`LEARNED_PAYER`, see [`crate::learned`]); runs only when facts are
    /// known. Omitted from the canonical TOML while default, so configs of
    /// earlier versions hash as before.
    #[serde(skip_serializing_if = "is_default_learned_payer")]
    pub learned_payer: PassRule,
    /// Regular expressions that find invoice numbers in remittance text, in
    /// addition to looking up every token window in the open-item index.
    pub reference_patterns: Vec<String>,
    /// Longest run of remittance tokens joined when looking for an invoice
    /// number written with separators (`inv 2026 000123` is 3 tokens).
    pub reference_window_tokens_max: usize,
    /// Minimum Jaro-Winkler similarity for a payer name to identify a customer.
    pub name_similarity_min: f64,
    /// The best name must beat the next customer's by this much, or the
    /// payer stays unidentified (two similar customers: a person decides).
    pub name_margin_min: f64,
    /// Customers scored per payer name, taken from the trigram index.
    pub name_candidates_max: usize,
    /// Shortest canonical invoice key (characters) eligible for one-edit
    /// repair: on shorter keys one edit reaches too many other invoices.
    pub near_reference_chars_min: usize,
    /// Largest number of open items one subset-sum search considers.
    pub subset_candidates_max: usize,
    /// Largest number of invoices in one subset.
    pub subset_items_max: usize,
    /// Search budget in steps; bounded by steps, not time, so results are deterministic.
    pub subset_steps_max: u64,
    /// Combinations of open items that add up to a payment collected per
    /// search and ranked by what payers do (oldest due first, consecutive
    /// numbers, one invoice date, one statement month); a search that finds
    /// more is left to a person. Omitted from the canonical TOML while
    /// default, so configs of earlier versions hash as before.
    #[serde(skip_serializing_if = "is_default_subset_solutions_max")]
    pub subset_solutions_max: usize,
    /// The best-ranked combination (or one of several open items of the
    /// amount) is applied only when its payer-habit score leads the next
    /// one's by this much; otherwise it is the first suggestion. Omitted
    /// from the canonical TOML while default.
    #[serde(skip_serializing_if = "is_default_combination_margin_min")]
    pub combination_margin_min: f64,
}

/// Default of [`Matching::subset_solutions_max`].
pub const DEFAULT_SUBSET_SOLUTIONS_MAX: usize = 16;
/// Default of [`Matching::combination_margin_min`].
pub const DEFAULT_COMBINATION_MARGIN_MIN: f64 = 0.25;

fn is_default_subset_solutions_max(v: &usize) -> bool {
    *v == DEFAULT_SUBSET_SOLUTIONS_MAX
}

fn is_default_combination_margin_min(v: &f64) -> bool {
    *v == DEFAULT_COMBINATION_MARGIN_MIN
}

/// Default of [`Matching::learned_payer`].
const DEFAULT_LEARNED_PAYER: PassRule = PassRule::with(0.90, 0.50);

fn is_default_learned_payer(rule: &PassRule) -> bool {
    *rule == DEFAULT_LEARNED_PAYER
}

impl Default for Matching {
    fn default() -> Self {
        Matching {
            structured_reference: PassRule::with(0.95, 0.50),
            exact_reference: PassRule::with(0.95, 0.50),
            fuzzy_reference: PassRule::with(0.90, 0.50),
            reference_with_difference: PassRule::with(0.85, 0.50),
            customer_amount: PassRule::with(0.85, 0.40),
            subset_sum: PassRule::with(0.85, 0.40),
            many_to_many: PassRule::with(0.85, 0.40),
            instalment: PassRule::with(0.85, 0.40),
            learned_payer: DEFAULT_LEARNED_PAYER,
            reference_patterns: Vec::new(),
            reference_window_tokens_max: 4,
            name_similarity_min: 0.92,
            name_margin_min: 0.03,
            name_candidates_max: 32,
            near_reference_chars_min: 6,
            subset_candidates_max: 40,
            subset_items_max: 8,
            subset_steps_max: 200_000,
            subset_solutions_max: DEFAULT_SUBSET_SOLUTIONS_MAX,
            combination_margin_min: DEFAULT_COMBINATION_MARGIN_MIN,
        }
    }
}

impl Rules {
    /// Checks every key a rules file can set, naming the first bad one
    /// (`[section] key`) and what it must be. A run never starts with a value
    /// the engine would silently ignore or misread (issue 13: a bad
    /// `reference_patterns` regex used to be dropped without a word).
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.company;
        if c.default_code.trim().is_empty() || c.default_code.trim() != c.default_code {
            return Err(format!(
                "[company] default_code must be a non-empty code without surrounding spaces (got `{}`)",
                c.default_code
            ));
        }
        for (account, code) in &c.accounts {
            if crate::company::account_key(account).is_empty() {
                return Err("[company.accounts] has an empty bank account".into());
            }
            if code.trim().is_empty() || code.trim() != code {
                return Err(format!(
                    "[company.accounts] `{account}` maps to `{code}`: a company code must be non-empty without surrounding spaces"
                ));
            }
        }
        let ic = &self.intercompany;
        if ic.due_from.trim().is_empty() || ic.due_to.trim().is_empty() {
            return Err("[intercompany] due_from and due_to must name GL accounts".into());
        }
        if !ic.pairs.is_empty() && !ic.allow {
            return Err(
                "[intercompany] pairs are listed but allow = false: set allow = true or remove the pairs"
                    .into(),
            );
        }
        if !(1..=400).contains(&self.returns.window_days) {
            return Err(format!(
                "[returns] window_days must be between 1 and 400 (got {})",
                self.returns.window_days
            ));
        }
        let keep = self.returns.keep_receipts_days;
        if keep < self.returns.window_days || keep > 3650 {
            return Err(format!(
                "[returns] keep_receipts_days must be between window_days ({}) and 3650 (got {keep})",
                self.returns.window_days
            ));
        }
        let m = &self.matching;
        for (name, r) in m.pass_rules() {
            let ok = |x: f64| (0.0..=1.0).contains(&x);
            if !ok(r.auto_apply_min) || !ok(r.suggest_min) || r.suggest_min > r.auto_apply_min {
                return Err(format!(
                    "[matching.{name}]: thresholds must satisfy 0 <= suggest_min <= auto_apply_min <= 1 (got {} and {})",
                    r.suggest_min, r.auto_apply_min
                ));
            }
        }
        for (i, compiled) in m.reference_regexes().into_iter().enumerate() {
            if let Err(e) = compiled {
                return Err(format!(
                    "[matching] reference_patterns[{i}] `{}` is not a valid regular expression: {e}",
                    m.reference_patterns[i]
                ));
            }
        }
        let unit = |key: &str, x: f64| {
            if (0.0..=1.0).contains(&x) {
                Ok(())
            } else {
                Err(format!(
                    "[matching] {key} must be between 0 and 1 (got {x})"
                ))
            }
        };
        unit("name_similarity_min", m.name_similarity_min)?;
        unit("name_margin_min", m.name_margin_min)?;
        unit("combination_margin_min", m.combination_margin_min)?;
        for (key, v) in [
            (
                "reference_window_tokens_max",
                m.reference_window_tokens_max as u64,
            ),
            ("name_candidates_max", m.name_candidates_max as u64),
            (
                "near_reference_chars_min",
                m.near_reference_chars_min as u64,
            ),
            ("subset_candidates_max", m.subset_candidates_max as u64),
            ("subset_items_max", m.subset_items_max as u64),
            ("subset_steps_max", m.subset_steps_max),
            ("subset_solutions_max", m.subset_solutions_max as u64),
        ] {
            if v == 0 {
                return Err(format!("[matching] {key} must be at least 1"));
            }
        }
        let d = &self.differences;
        if d.writeoff_max_amount.is_sign_negative() {
            return Err(format!(
                "[differences] writeoff_max_amount must not be negative (got {})",
                d.writeoff_max_amount
            ));
        }
        for (key, v) in [
            ("writeoff_max_percent", d.writeoff_max_percent),
            ("overpayment_max_percent", d.overpayment_max_percent),
        ] {
            if v.is_sign_negative() {
                return Err(format!(
                    "[differences] {key} must not be negative (got {v})"
                ));
            }
        }
        if d.writeoff_max_percent > Decimal::ONE_HUNDRED {
            return Err(format!(
                "[differences] writeoff_max_percent is a percentage of the open amount: at most 100 (got {})",
                d.writeoff_max_percent
            ));
        }
        let gl = &self.gl;
        for (key, account) in [
            ("bank", &gl.bank),
            ("receivable", &gl.receivable),
            ("unapplied_cash", &gl.unapplied_cash),
            ("suspense", &gl.suspense),
            ("discount", &gl.discount),
            ("writeoff", &gl.writeoff),
            ("deduction", &gl.deduction),
        ] {
            if account.trim().is_empty() {
                return Err(format!("[gl] {key} must name a GL account"));
            }
        }
        for (bank_account, gl_account) in &gl.bank_by_account {
            if gl_account.trim().is_empty() {
                return Err(format!(
                    "[gl.bank_by_account] `{bank_account}` must name a GL account"
                ));
            }
        }
        if self.pilot.enabled && self.pilot.customers.is_empty() && self.pilot.segments.is_empty() {
            return Err(
                "[pilot] enabled = true needs customers or segments: with neither, nothing would be auto-applied"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Compiled size limit of one reference pattern: patterns come from a rules
/// file, and a runaway pattern must not exhaust memory.
const REFERENCE_PATTERN_BYTES_MAX: usize = 1 << 20;

impl Matching {
    /// Every pass's thresholds with its config key, in cascade order.
    pub fn pass_rules(&self) -> [(&'static str, PassRule); 9] {
        [
            ("structured_reference", self.structured_reference),
            ("exact_reference", self.exact_reference),
            ("fuzzy_reference", self.fuzzy_reference),
            ("reference_with_difference", self.reference_with_difference),
            ("customer_amount", self.customer_amount),
            ("subset_sum", self.subset_sum),
            ("many_to_many", self.many_to_many),
            ("instalment", self.instalment),
            ("learned_payer", self.learned_payer),
        ]
    }

    /// Compiles `reference_patterns`. [`Rules::validate`] rejects a rules
    /// file with a pattern that fails, naming it, so a validated run never
    /// reaches the engine with one.
    pub fn reference_regexes(&self) -> Vec<Result<regex::Regex, regex::Error>> {
        self.reference_patterns
            .iter()
            .map(|p| {
                regex::RegexBuilder::new(p)
                    .size_limit(REFERENCE_PATTERN_BYTES_MAX)
                    .build()
            })
            .collect()
    }
}

/// How payment differences are treated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Differences {
    /// Extra days after the discount period in which the discount is still granted.
    pub discount_grace_days: u32,
    /// Underpayments up to this absolute amount are written off…
    pub writeoff_max_amount: Decimal,
    /// …and up to this percent of the invoice's open amount (both must hold).
    pub writeoff_max_percent: Decimal,
    /// Short payments with a reference are applied partially and recorded as deductions.
    pub short_pay_enabled: bool,
    /// An overpayment of more than this percent of the open amount is kept
    /// as a suggestion: paying double is likelier a wrong reference.
    pub overpayment_max_percent: Decimal,
}

impl Default for Differences {
    fn default() -> Self {
        Differences {
            discount_grace_days: 3,
            writeoff_max_amount: Decimal::new(500, 2),
            writeoff_max_percent: Decimal::new(5, 1),
            short_pay_enabled: true,
            overpayment_max_percent: Decimal::ONE_HUNDRED,
        }
    }
}

/// Gradual roll-out: only listed customers (or segments) are auto-applied;
/// everyone else's matches become suggestions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Pilot {
    /// Off: every customer is auto-applied.
    pub enabled: bool,
    /// Customer ids auto-applied during the pilot.
    pub customers: Vec<String>,
    /// Customer segments (`Customer::segment`) auto-applied during the pilot.
    pub segments: Vec<String>,
}

/// How remittance advices are linked to bank lines and applied (the
/// engine's part of the CLI's `[remittance]` section; kept out of
/// [`Rules`] so a run without advices keeps its configuration hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemittanceRules {
    /// The window of the last-resort link by amount + date + payer: the
    /// advice's payment date and the bank line's value (else booking)
    /// date may differ by at most this many days (an 820 is often sent
    /// the day before the money moves, a lockbox file the day after).
    pub link_window_days: u32,
    /// Auto-apply and suggestion thresholds of the `REMITTANCE_ADVICE` pass.
    pub pass: PassRule,
    /// The advice's adjustment reason code (X12 `ADX02`, ISO `Rsn/Cd`, a
    /// spreadsheet's text) → one of our deduction reasons
    /// (`DAMAGED_GOODS`, `PRICING_DISPUTE`, `FREIGHT`, `PROMOTION`,
    /// `RETURNS`, `UNSPECIFIED`). Codes compare case-insensitively; an
    /// unmapped code is `UNSPECIFIED` and its text stays in the explanation.
    pub deduction_reasons: BTreeMap<String, String>,
}

impl Default for RemittanceRules {
    fn default() -> Self {
        RemittanceRules {
            link_window_days: 3,
            pass: PassRule::with(0.95, 0.50),
            deduction_reasons: BTreeMap::new(),
        }
    }
}

impl RemittanceRules {
    /// Checks every key; names the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        let p = &self.pass;
        if !(0.0..=1.0).contains(&p.auto_apply_min)
            || !(0.0..=1.0).contains(&p.suggest_min)
            || p.suggest_min > p.auto_apply_min
        {
            return Err(
                "[remittance.pass] thresholds must lie in [0, 1] with suggest_min <= auto_apply_min"
                    .into(),
            );
        }
        if self.link_window_days > 31 {
            return Err("[remittance] link_window_days must be at most 31".into());
        }
        for (code, ours) in &self.deduction_reasons {
            if crate::model::DeductionReason::from_code(ours).is_none() {
                return Err(format!(
                    "[remittance.deduction_reasons] `{code}` maps to `{ours}`, which is not a deduction reason (DAMAGED_GOODS, PRICING_DISPUTE, FREIGHT, PROMOTION, RETURNS, UNSPECIFIED)"
                ));
            }
        }
        Ok(())
    }

    /// Our deduction reason for an advice's adjustment reason code.
    pub fn deduction_reason(&self, code: &str) -> crate::model::DeductionReason {
        let code = code.trim();
        self.deduction_reasons
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(code))
            .and_then(|(_, v)| crate::model::DeductionReason::from_code(v))
            .unwrap_or(crate::model::DeductionReason::Unspecified)
    }
}
