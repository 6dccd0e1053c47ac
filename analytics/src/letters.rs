//! Dunning letters rendered with minijinja (Jinja2 syntax) from a template:
//! the built-in [`DEFAULT_TEMPLATE`], or a file named by a level's
//! `template` key (the caller reads it; this module does no I/O).
//!
//! The template sees: `as_of`, `customer_id`, `customer_name`, `currency`,
//! `level`, `items` (each with `invoice_id`, `due_date`, `days_past_due`,
//! `amount`, `interest`), `amount_overdue`, `interest`, `fee`, `total_due`.
//! Amounts are pre-formatted strings in the currency's minor unit, so a
//! template never does money arithmetic.

use crate::dunning::{DunningItem, DunningLetter};
use crate::money::format_amount;
use chrono::NaiveDate;
use minijinja::Environment;
use serde::Serialize;

/// The built-in letter, plain text. Its wording grows firmer with the level.
pub const DEFAULT_TEMPLATE: &str = "\
{{ customer_name }} ({{ customer_id }})
{{ as_of }}

{% if level == 1 %}Payment reminder{% elif level == 2 %}Second reminder{% else %}Final notice (level {{ level }}){% endif %}

Our records show the following invoices as overdue:

{% for item in items %}  {{ item.invoice_id }}  due {{ item.due_date }}  {{ item.days_past_due }} days  {{ currency }} {{ item.amount }}{% if item.interest_charged %}  interest {{ item.interest }}{% endif %}
{% endfor %}
Overdue:  {{ currency }} {{ amount_overdue }}
{% if interest_charged %}Interest: {{ currency }} {{ interest }}
{% endif %}{% if fee_charged %}Fee:      {{ currency }} {{ fee }}
{% endif %}Total:    {{ currency }} {{ total_due }}

{% if level == 1 %}If you have already paid, please ignore this letter.{% else %}Please pay the total within 7 days to avoid further action.{% endif %}
";

#[derive(Serialize)]
struct ItemContext {
    invoice_id: String,
    due_date: String,
    days_past_due: i64,
    amount: String,
    interest: String,
    interest_charged: bool,
}

#[derive(Serialize)]
struct LetterContext {
    as_of: String,
    customer_id: String,
    customer_name: String,
    currency: String,
    level: u32,
    items: Vec<ItemContext>,
    amount_overdue: String,
    interest: String,
    interest_charged: bool,
    fee: String,
    fee_charged: bool,
    total_due: String,
}

/// A template that does not compile or render; names the letter.
#[derive(Debug, thiserror::Error)]
#[error("letter `{letter}`: {message}")]
pub struct LetterError {
    /// The letter's file name.
    pub letter: String,
    /// What minijinja reported.
    pub message: String,
}

/// Renders `letter` (with its `items`, the dunned rows naming it) from
/// `template` (minijinja source). Undefined variables are errors, so a
/// misspelt name in a user's template fails loudly instead of printing
/// nothing.
pub fn render(
    letter: &DunningLetter,
    items: &[DunningItem],
    as_of: NaiveDate,
    template: &str,
) -> Result<String, LetterError> {
    let error = |e: minijinja::Error| LetterError {
        letter: letter.file_name.clone(),
        message: format!("{e:#}"),
    };
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("letter", template).map_err(error)?;
    let cur = letter.currency.as_str();
    let context = LetterContext {
        as_of: as_of.to_string(),
        customer_id: letter.customer_id.clone(),
        customer_name: letter.customer_name.clone(),
        currency: letter.currency.clone(),
        level: letter.level,
        items: items
            .iter()
            .filter(|i| i.letter.as_deref() == Some(letter.file_name.as_str()))
            .map(|i| ItemContext {
                invoice_id: i.invoice_id.clone(),
                due_date: i.due_date.map(|d| d.to_string()).unwrap_or_default(),
                days_past_due: i.days_past_due,
                amount: format_amount(i.amount_overdue, cur),
                interest: format_amount(i.interest_amount, cur),
                interest_charged: !i.interest_amount.is_zero(),
            })
            .collect(),
        amount_overdue: format_amount(letter.amount_overdue, cur),
        interest: format_amount(letter.interest, cur),
        interest_charged: !letter.interest.is_zero(),
        fee: format_amount(letter.fee, cur),
        fee_charged: !letter.fee.is_zero(),
        total_due: format_amount(letter.total_due, cur),
    };
    env.get_template("letter")
        .and_then(|t| t.render(&context))
        .map_err(error)
}
