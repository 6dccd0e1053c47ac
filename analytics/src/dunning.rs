//! Dunning as of the run date: which overdue items reach which level, the
//! letter each customer gets, interest and fees.
//!
//! The rules, in order:
//! 1. An item is *overdue for dunning* when it still has a positive open
//!    amount and `as_of − due_date − grace_days` (its *dunning days*) has
//!    reached the first level's `days_past_due`. Items without a due date
//!    use their invoice date, as aging does.
//! 2. Held items (`HELD_ITEM`), items with a deduction in dispute
//!    (`IN_DISPUTE`) and customers with a dunning block (`DUNNING_BLOCK`) are
//!    listed as `excluded` with that reason and never dunned.
//! 3. An item's *level by days* is the highest level whose `days_past_due`
//!    its dunning days reach.
//! 4. The customer's letter level (per currency) is the highest level `L`
//!    for which the customer's overdue items at level `L` or above add up to
//!    at least `amount_min` of `L`. Each item is dunned at the smaller of its
//!    level by days and the letter level; without a letter level the items
//!    are `below_minimum`.
//! 5. Interest per item: `amount_overdue × rate / 100 × dunning_days / 365`
//!    (simple, actual/365, rate of the item's level), rounded half-even to
//!    the currency's minor unit. The letter's fee is its level's `fee`.
//! 6. With the AR history ([`compute_with_prior`]): each item carries the
//!    level an earlier run dunned it at (`previous_level`), and each
//!    customer's last letter date; a customer whose last letter (same
//!    currency) is fewer than `min_days_between_letters` days old gets no
//!    letter this run: the items are `waiting` with the reason
//!    (`MIN_DAYS_BETWEEN_LETTERS: ...`) and are dunned again once the
//!    interval has passed.

use crate::config::{DunningConfig, DunningLevel};
use crate::disputes::Dispute;
use crate::history::DunningPrior;
use crate::model::{OpenItem, RunData};
use crate::money::round_to_minor_unit;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};

/// Days in the interest year (actual/365).
pub const INTEREST_DAYS_PER_YEAR: i64 = 365;

/// One row of `dunning.parquet`: an overdue item and what dunning does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningItem {
    /// Customer.
    pub customer_id: String,
    /// Customer name from the open items.
    pub customer_name: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Invoice.
    pub invoice_id: String,
    /// The date the item ages from (due date, else invoice date).
    pub due_date: Option<NaiveDate>,
    /// `as_of − due_date`.
    pub days_past_due: i64,
    /// Open amount after the run (for disputes: the amount in dispute).
    pub amount_overdue: Decimal,
    /// The highest level the item's dunning days reach.
    pub level_by_days: Option<u32>,
    /// The level it is dunned at this run (`None` unless `dunned`).
    pub level: Option<u32>,
    /// `dunned`, `below_minimum`, `waiting` (minimum days between letters)
    /// or `excluded`.
    pub status: &'static str,
    /// Why an item is excluded (`HELD_ITEM: ...`, `IN_DISPUTE: ...`, `DUNNING_BLOCK`).
    pub exclusion_reason: Option<String>,
    /// Days of interest (`days_past_due − grace_days`).
    pub interest_days: i64,
    /// Interest on the item, rounded to the minor unit (zero unless dunned).
    pub interest_amount: Decimal,
    /// When the item reaches its next level, if there is one.
    pub next_level_on: Option<NaiveDate>,
    /// The letter file naming the item, when it is dunned.
    pub letter: Option<String>,
    /// The level an earlier run dunned the item at (AR history).
    pub previous_level: Option<u32>,
    /// The customer's last letter in this currency (AR history).
    pub last_letter_on: Option<NaiveDate>,
    /// `as_of − last_letter_on`.
    pub days_since_last_letter: Option<i64>,
}

/// One letter: a customer, a currency and a level (`dunning_letters.parquet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningLetter {
    /// Customer.
    pub customer_id: String,
    /// Customer name.
    pub customer_name: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The letter's level.
    pub level: u32,
    /// Items on the letter.
    pub items: u64,
    /// Σ open amount of the items.
    pub amount_overdue: Decimal,
    /// Σ interest of the items.
    pub interest: Decimal,
    /// The level's fee.
    pub fee: Decimal,
    /// `amount_overdue + interest + fee`.
    pub total_due: Decimal,
    /// The next action: the earliest day an item on the letter reaches a
    /// higher level (none when all are at the top level).
    pub next_level_on: Option<NaiveDate>,
    /// File name under `letters/` (from code: never a raw input value).
    pub file_name: String,
    /// The level of the customer's previous letter (AR history).
    pub previous_level: Option<u32>,
}

/// Everything dunning decided this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DunningOutcome {
    /// Item rows, by customer, currency, invoice.
    pub items: Vec<DunningItem>,
    /// Letters, by customer, currency.
    pub letters: Vec<DunningLetter>,
}

/// Runs the dunning rules of the module documentation without history.
pub fn compute(data: &RunData, disputes: &[Dispute], config: &DunningConfig) -> DunningOutcome {
    compute_with_prior(data, disputes, config, &DunningPrior::default())
}

/// Runs the dunning rules with what earlier runs dunned (rule 6). Only
/// `open` disputes exclude their item.
pub fn compute_with_prior(
    data: &RunData,
    disputes: &[Dispute],
    config: &DunningConfig,
    prior: &DunningPrior,
) -> DunningOutcome {
    let Some(first) = config.levels.first() else {
        return DunningOutcome::default();
    };
    let grace = i64::from(config.grace_days);
    let blocked: HashSet<&str> = config
        .blocked_customers
        .iter()
        .map(String::as_str)
        .collect();
    let in_dispute: BTreeMap<&str, &Dispute> = disputes
        .iter()
        .filter(|d| d.status == "open")
        .map(|d| (d.invoice_id.as_str(), d))
        .collect();
    let mut items = Vec::new();
    for item in &data.open_items {
        let dpd = item.days_past_due(data.as_of);
        let dunning_days = dpd - grace;
        if dunning_days < i64::from(first.days_past_due) {
            continue;
        }
        let dispute = in_dispute.get(item.invoice_id.as_str());
        let amount = match dispute {
            Some(d) => d.amount,
            None => item.amount_open_after,
        };
        if amount <= Decimal::ZERO {
            continue;
        }
        let reason = if let Some(d) = dispute {
            Some(format!("IN_DISPUTE: {} {}", d.reason_code, d.dispute_id))
        } else if item.status == "held" {
            Some(format!(
                "HELD_ITEM: {}",
                item.hold_reason.as_deref().unwrap_or("held")
            ))
        } else if blocked.contains(item.customer_id.as_str()) {
            Some("DUNNING_BLOCK".to_string())
        } else {
            None
        };
        let mut row = item_row(item, dpd, dunning_days, amount, reason, config);
        row.previous_level = prior.item_level.get(&item.invoice_id).map(|(l, _)| *l);
        if let Some((date, _)) = prior
            .last_letter
            .get(&(item.customer_id.clone(), item.currency.clone()))
        {
            row.last_letter_on = Some(*date);
            row.days_since_last_letter = Some((data.as_of - *date).num_days());
        }
        items.push(row);
    }
    items.sort_by(|a, b| {
        (&a.customer_id, &a.currency, &a.invoice_id).cmp(&(
            &b.customer_id,
            &b.currency,
            &b.invoice_id,
        ))
    });
    let letters = assign_letters(&mut items, config, prior);
    DunningOutcome { items, letters }
}

fn item_row(
    item: &OpenItem,
    dpd: i64,
    dunning_days: i64,
    amount: Decimal,
    reason: Option<String>,
    config: &DunningConfig,
) -> DunningItem {
    let reached = config
        .levels
        .iter()
        .rposition(|l| dunning_days >= i64::from(l.days_past_due));
    let next_level_on = reached
        .and_then(|i| config.levels.get(i + 1))
        .zip(item.aging_date())
        .map(|(next, due)| {
            due + chrono::Days::new(u64::from(config.grace_days + next.days_past_due))
        });
    DunningItem {
        customer_id: item.customer_id.clone(),
        customer_name: item.customer_name.clone(),
        currency: item.currency.clone(),
        invoice_id: item.invoice_id.clone(),
        due_date: item.aging_date(),
        days_past_due: dpd,
        amount_overdue: amount,
        level_by_days: reached.map(|i| config.levels[i].level),
        level: None,
        status: if reason.is_some() {
            "excluded"
        } else {
            "below_minimum"
        },
        exclusion_reason: reason,
        interest_days: dunning_days.max(0),
        interest_amount: Decimal::ZERO,
        next_level_on,
        letter: None,
        previous_level: None,
        last_letter_on: None,
        days_since_last_letter: None,
    }
}

/// The letter level of one customer's dunnable items (rule 4).
pub fn letter_level<'a>(
    items: &[&DunningItem],
    levels: &'a [DunningLevel],
) -> Option<&'a DunningLevel> {
    levels.iter().rev().find(|l| {
        let at_or_above: Decimal = items
            .iter()
            .filter(|i| i.level_by_days.is_some_and(|x| x >= l.level))
            .map(|i| i.amount_overdue)
            .sum();
        at_or_above > Decimal::ZERO && at_or_above >= l.amount_min
    })
}

/// Simple interest, actual/365, rounded half-even to the minor unit (rule 5).
pub fn interest(amount: Decimal, rate_percent: Decimal, days: i64, currency: &str) -> Decimal {
    if days <= 0 {
        return Decimal::ZERO;
    }
    let raw = amount * rate_percent / Decimal::ONE_HUNDRED * Decimal::from(days)
        / Decimal::from(INTEREST_DAYS_PER_YEAR);
    round_to_minor_unit(raw, currency)
}

fn assign_letters(
    items: &mut [DunningItem],
    config: &DunningConfig,
    prior: &DunningPrior,
) -> Vec<DunningLetter> {
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        if item.status != "excluded" {
            groups
                .entry((item.customer_id.clone(), item.currency.clone()))
                .or_default()
                .push(i);
        }
    }
    let mut letters = Vec::new();
    for ((customer_id, currency), idx) in groups {
        let group: Vec<&DunningItem> = idx.iter().map(|&i| &items[i]).collect();
        let Some(level) = letter_level(&group, &config.levels) else {
            continue;
        };
        let last = prior
            .last_letter
            .get(&(customer_id.clone(), currency.clone()))
            .copied();
        if let (Some((date, _)), Some(days)) = (last, group[0].days_since_last_letter) {
            if days < i64::from(config.min_days_between_letters) {
                for &i in &idx {
                    items[i].status = "waiting";
                    items[i].exclusion_reason = Some(format!(
                        "MIN_DAYS_BETWEEN_LETTERS: last letter on {date} ({days} days ago, minimum {})",
                        config.min_days_between_letters
                    ));
                }
                continue;
            }
        }
        let file_name = letter_file_name(&customer_id, &currency, level.level);
        let (mut overdue, mut total_interest) = (Decimal::ZERO, Decimal::ZERO);
        for &i in &idx {
            let item = &mut items[i];
            let item_level = item
                .level_by_days
                .map_or(level.level, |l| l.min(level.level));
            let rate = config
                .levels
                .iter()
                .find(|l| l.level == item_level)
                .map_or(Decimal::ZERO, |l| l.interest_rate_percent);
            item.level = Some(item_level);
            item.status = "dunned";
            item.interest_amount = interest(
                item.amount_overdue,
                rate,
                item.interest_days,
                &item.currency,
            );
            item.letter = Some(file_name.clone());
            overdue += item.amount_overdue;
            total_interest += item.interest_amount;
        }
        let fee = round_to_minor_unit(level.fee, &currency);
        let next_level_on = idx.iter().filter_map(|&i| items[i].next_level_on).min();
        letters.push(DunningLetter {
            customer_name: items[idx[0]].customer_name.clone(),
            customer_id,
            currency,
            level: level.level,
            items: idx.len() as u64,
            amount_overdue: overdue,
            interest: total_interest,
            fee,
            total_due: overdue + total_interest + fee,
            next_level_on,
            file_name,
            previous_level: last.map(|(_, l)| l),
        });
    }
    letters
}

/// Longest customer-id part of a letter file name.
const FILE_ID_CHARS_MAX: usize = 40;

/// `L<level>-<customer id, safe characters only>-<currency>-<hash>.txt`:
/// the customer id comes from input, so it is reduced to ASCII letters,
/// digits, `-` and `_`, and 8 hex digits of its SHA-256 keep two ids that
/// reduce alike apart.
pub fn letter_file_name(customer_id: &str, currency: &str, level: u32) -> String {
    let safe: String = customer_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(FILE_ID_CHARS_MAX)
        .collect();
    let cur: String = currency
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(3)
        .collect();
    let digest = Sha256::digest(format!("{customer_id}\u{0}{currency}").as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("L{level}-{safe}-{cur}-{hash}.txt")
}
