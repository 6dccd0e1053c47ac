//! `report.html`: one self-contained page a controller reads in the
//! morning. No script, no network, no external font: inline CSS and charts
//! as hand-written inline SVG, so it opens from a mail attachment and the
//! same inputs give the same bytes (nothing from the clock or the host).
//!
//! Every KPI tile carries `data-metric`, `data-currency` and `data-value`
//! (the exact value of `kpis.parquet` at 4 decimals, or `null`) so a test
//! can compare the page with the table.

use crate::behaviour::{CustomerBehaviour, ForecastWeek};
use crate::disputes::Dispute;
use crate::dunning::DunningOutcome;
use crate::history::KpiPoint;
use crate::kpi::{Kpi, Unit};
use crate::model::{AgingRow, ExceptionRow};
use crate::money::{format_amount, format_grouped, METRIC_SCALE};
use crate::signals::{Signal, NOT_CHECKED};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Rows shown in each worklist table; the rest are counted ("and N more")
/// and are in the Parquet files.
pub const TABLE_ROWS_MAX: usize = 25;

/// The aging buckets in display order (the engine's names).
pub const AGING_BUCKETS: [&str; 6] = ["current", "1-30", "31-60", "61-90", "91-120", "120+"];

/// Dispute age buckets: (label, lowest age in days).
pub const DISPUTE_AGE_BUCKETS: [(&str, i64); 4] =
    [("0-30", 0), ("31-60", 31), ("61-90", 61), ("90+", 91)];

/// What the page shows.
#[derive(Debug, Clone, Copy)]
pub struct Dashboard<'a> {
    /// The run's as-of date.
    pub as_of: NaiveDate,
    /// The run id from the manifest.
    pub run_id: &'a str,
    /// `kpis.parquet` rows.
    pub kpis: &'a [Kpi],
    /// `aging.parquet` rows.
    pub aging: &'a [AgingRow],
    /// `exceptions.parquet` rows.
    pub exceptions: &'a [ExceptionRow],
    /// Dunning items and letters.
    pub dunning: &'a DunningOutcome,
    /// The dispute register.
    pub disputes: &'a [Dispute],
    /// Payer behaviour per customer.
    pub behaviour: &'a [CustomerBehaviour],
    /// The 13-week forecast.
    pub forecast: &'a [ForecastWeek],
    /// `dso_simple` across runs (AR history and this run).
    pub dso_series: &'a [KpiPoint],
    /// `auto_match_rate` across runs.
    pub match_series: &'a [KpiPoint],
    /// The discrepancy and fraud signals.
    pub signals: &'a [Signal],
}

/// Runs shown in the charts across runs (the latest).
pub const SERIES_RUNS_MAX: usize = 24;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#1f2933;background:#f4f6f8}
header{background:#1f3a5f;color:#fff;padding:12px 24px}
header h1{margin:0;font-size:20px}
header p{margin:2px 0 0;font-size:12px;opacity:.85}
main{max-width:1320px;margin:0 auto;padding:16px 24px}
h2{font-size:16px;margin:20px 0 8px;color:#1f3a5f}
h3{font-size:14px;margin:12px 0 6px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}
.tile{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:10px 12px}
.tile .name{font-size:12px;color:#52606d;font-family:ui-monospace,'DejaVu Sans Mono',monospace}
.tile .value{font-size:22px;font-weight:600;margin:2px 0}
.tile .value.null{color:#9aa5b1}
.tile .formula{font-size:11px;color:#52606d}
.tile .note{font-size:11px;color:#b44d12}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.card{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:10px 12px;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{padding:3px 6px;border-bottom:1px solid #e4e7eb;text-align:left;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.empty{color:#7b8794;font-style:italic}
svg text{font-family:system-ui,'DejaVu Sans',sans-serif;font-size:11px;fill:#1f2933}
";

/// Renders the page.
pub fn render(d: &Dashboard<'_>) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>cashmatch receivables {}</title>", d.as_of);
    let _ = writeln!(h, "<style>\n{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(
        h,
        "<header><h1>Receivables as of {}</h1><p>cashmatch run {} · values from kpis.parquet, aging.parquet, exceptions.parquet, dunning.parquet, disputes.parquet, signals.parquet and the AR history</p></header>\n<main>",
        d.as_of,
        esc(d.run_id)
    );
    kpi_section(&mut h, d.kpis);
    h.push_str("<div class=\"grid2\">\n");
    series_section(&mut h, "dso", "DSO across runs", d.dso_series, Unit::Days);
    series_section(
        &mut h,
        "match-rate",
        "Auto-match rate across runs",
        d.match_series,
        Unit::Percent,
    );
    h.push_str("</div>\n<div class=\"grid2\">\n");
    aging_section(&mut h, d.aging);
    exceptions_section(&mut h, d.exceptions);
    h.push_str("</div>\n");
    dunning_section(&mut h, d.dunning);
    disputes_section(&mut h, d.disputes, d.as_of);
    signals_section(&mut h, d.signals);
    h.push_str("<div class=\"grid2\">\n");
    forecast_section(&mut h, d.forecast);
    risk_section(&mut h, d.behaviour);
    h.push_str("</div>\n");
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// The value as the page shows it (the tile's big number).
pub fn display_value(k: &Kpi) -> String {
    let Some(v) = k.value else {
        return "n/a".to_string();
    };
    match k.unit {
        Unit::Days => format!("{} days", format_grouped(v, 1)),
        Unit::Percent => format!("{} %", format_grouped(v, 1)),
        Unit::Ratio => format_grouped(v, METRIC_SCALE),
        Unit::Amount => format!("{} {}", k.currency, format_amount(v, &k.currency)),
    }
}

/// The exact value at 4 decimals, as `data-value` holds it.
pub fn data_value(value: Option<Decimal>) -> String {
    match value {
        Some(mut v) => {
            v.rescale(METRIC_SCALE);
            v.to_string()
        }
        None => "null".to_string(),
    }
}

fn kpi_section(h: &mut String, kpis: &[Kpi]) {
    h.push_str("<h2>Key figures</h2>\n");
    if kpis.is_empty() {
        h.push_str("<p class=\"empty\">no currency in this run</p>\n");
    }
    let mut by_currency: BTreeMap<&str, Vec<&Kpi>> = BTreeMap::new();
    for k in kpis {
        by_currency.entry(k.currency.as_str()).or_default().push(k);
    }
    for (currency, list) in by_currency {
        let _ = writeln!(h, "<h3>{}</h3>\n<div class=\"tiles\">", esc(currency));
        for k in list {
            let _ = write!(
                h,
                "<div class=\"tile kpi\" data-metric=\"{}\" data-currency=\"{}\" data-value=\"{}\" data-unit=\"{}\" title=\"{}\">",
                k.metric,
                esc(&k.currency),
                data_value(k.value),
                k.unit.as_str(),
                esc(&k.inputs)
            );
            let _ = write!(
                h,
                "<div class=\"name\">{}</div><div class=\"value{}\">{}</div><div class=\"formula\">{}</div>",
                k.metric,
                if k.value.is_none() { " null" } else { "" },
                esc(&display_value(k)),
                esc(k.formula)
            );
            if let Some(note) = &k.note {
                let _ = write!(h, "<div class=\"note\">{}</div>", esc(note));
            }
            h.push_str("</div>\n");
        }
        h.push_str("</div>\n");
    }
}

/// One bar of a horizontal bar chart.
struct Bar {
    label: String,
    value: Decimal,
    value_label: String,
}

const CHART_WIDTH: u32 = 600;
const LABEL_WIDTH: u32 = 130;
const VALUE_LABEL_WIDTH: u32 = 120;
const BAR_HEIGHT: u32 = 20;
const BAR_GAP: u32 = 6;

/// A horizontal bar chart as inline SVG; bar lengths are proportional to
/// `value` (negative values draw no bar), computed in decimals and rounded
/// to 0.1 px so the bytes never depend on float formatting.
fn bar_chart(title: &str, bars: &[Bar]) -> String {
    let height = (BAR_HEIGHT + BAR_GAP) * bars.len() as u32 + BAR_GAP;
    let plot = CHART_WIDTH - LABEL_WIDTH - VALUE_LABEL_WIDTH;
    let max = bars.iter().map(|b| b.value).max().unwrap_or_default();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg class=\"chart\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" viewBox=\"0 0 {CHART_WIDTH} {height}\" preserveAspectRatio=\"xMinYMin meet\">",
        esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = BAR_GAP + i as u32 * (BAR_HEIGHT + BAR_GAP);
        let width = if max > Decimal::ZERO && b.value > Decimal::ZERO {
            (b.value / max * Decimal::from(plot)).round_dp(1)
        } else {
            Decimal::ZERO
        };
        let text_y = y + BAR_HEIGHT / 2 + 4;
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{text_y}\" text-anchor=\"end\">{}</text><rect x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{width}\" height=\"{BAR_HEIGHT}\" fill=\"#3e7cb1\"/><text x=\"{}\" y=\"{text_y}\">{}</text>",
            LABEL_WIDTH - 6,
            esc(&b.label),
            Decimal::from(LABEL_WIDTH) + width + Decimal::from(6),
            esc(&b.value_label)
        );
    }
    s.push_str("</svg>\n");
    s
}

fn aging_section(h: &mut String, aging: &[AgingRow]) {
    h.push_str("<section class=\"card\" id=\"aging\"><h2>Aging by bucket</h2>\n");
    let mut by_currency: BTreeMap<&str, BTreeMap<&str, (Decimal, u64)>> = BTreeMap::new();
    for r in aging {
        let e = by_currency
            .entry(r.currency.as_str())
            .or_default()
            .entry(r.bucket.as_str())
            .or_default();
        e.0 += r.amount;
        e.1 += r.items;
    }
    if by_currency.is_empty() {
        h.push_str("<p class=\"empty\">nothing open</p>\n");
    }
    for (currency, buckets) in by_currency {
        let bars: Vec<Bar> = AGING_BUCKETS
            .iter()
            .map(|b| {
                let (amount, items) = buckets.get(b).copied().unwrap_or_default();
                Bar {
                    label: (*b).to_string(),
                    value: amount,
                    value_label: format!("{} ({items})", format_amount(amount, currency)),
                }
            })
            .collect();
        let _ = writeln!(h, "<h3>{}</h3>", esc(currency));
        h.push_str(&bar_chart(&format!("aging {currency}"), &bars));
    }
    h.push_str("</section>\n");
}

fn exceptions_section(h: &mut String, exceptions: &[ExceptionRow]) {
    h.push_str("<section class=\"card\" id=\"exceptions\"><h2>Exceptions by reason</h2>\n");
    let mut by_reason: BTreeMap<&str, (u64, BTreeMap<&str, Decimal>)> = BTreeMap::new();
    for e in exceptions {
        let r = by_reason.entry(e.reason.as_str()).or_default();
        r.0 += 1;
        *r.1.entry(e.currency.as_str()).or_default() += e.amount;
    }
    if by_reason.is_empty() {
        h.push_str("<p class=\"empty\">no exceptions</p>\n");
        h.push_str("</section>\n");
        return;
    }
    let bars: Vec<Bar> = by_reason
        .iter()
        .map(|(reason, (count, _))| Bar {
            label: (*reason).to_string(),
            value: Decimal::from(*count),
            value_label: format!("{count}"),
        })
        .collect();
    h.push_str(&bar_chart("exceptions by reason (count)", &bars));
    h.push_str("<table><thead><tr><th>reason</th><th class=\"num\">count</th><th class=\"num\">amount</th></tr></thead><tbody>\n");
    for (reason, (count, amounts)) in &by_reason {
        let amount: Vec<String> = amounts
            .iter()
            .map(|(c, a)| format!("{} {}", esc(c), format_amount(*a, c)))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{count}</td><td class=\"num\">{}</td></tr>",
            esc(reason),
            amount.join("<br>")
        );
    }
    h.push_str("</tbody></table>\n</section>\n");
}

fn dunning_section(h: &mut String, dunning: &DunningOutcome) {
    h.push_str("<section class=\"card\" id=\"dunning\"><h2>Dunning worklist</h2>\n");
    let mut letters: Vec<_> = dunning.letters.iter().collect();
    letters.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(b.total_due.cmp(&a.total_due))
            .then(a.customer_id.cmp(&b.customer_id))
    });
    let excluded = dunning
        .items
        .iter()
        .filter(|i| i.status == "excluded")
        .count();
    let below = dunning
        .items
        .iter()
        .filter(|i| i.status == "below_minimum")
        .count();
    let waiting = dunning
        .items
        .iter()
        .filter(|i| i.status == "waiting")
        .count();
    let _ = writeln!(
        h,
        "<p>{} letter(s); {excluded} overdue item(s) excluded (dispute, hold or dunning block); {waiting} waiting for the minimum days between letters; {below} below the minimum amount.</p>",
        letters.len()
    );
    if letters.is_empty() {
        h.push_str("<p class=\"empty\">no letters this run</p>\n</section>\n");
        return;
    }
    h.push_str("<table><thead><tr><th>level</th><th>customer</th><th>name</th><th>currency</th><th class=\"num\">items</th><th class=\"num\">overdue</th><th class=\"num\">interest</th><th class=\"num\">fee</th><th class=\"num\">total due</th><th>next level on</th><th>letter</th></tr></thead><tbody>\n");
    for l in letters.iter().take(TABLE_ROWS_MAX) {
        let c = l.currency.as_str();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>letters/{}</td></tr>",
            l.level,
            esc(&l.customer_id),
            esc(&l.customer_name),
            esc(c),
            l.items,
            format_amount(l.amount_overdue, c),
            format_amount(l.interest, c),
            format_amount(l.fee, c),
            format_amount(l.total_due, c),
            l.next_level_on.map(|d| d.to_string()).unwrap_or_default(),
            esc(&l.file_name)
        );
    }
    h.push_str("</tbody></table>\n");
    more(h, letters.len());
    h.push_str("</section>\n");
}

fn more(h: &mut String, rows: usize) {
    if rows > TABLE_ROWS_MAX {
        let _ = writeln!(
            h,
            "<p>and {} more (see the Parquet file)</p>",
            rows - TABLE_ROWS_MAX
        );
    }
}

/// The label of the dispute age bucket `age_days` falls in.
pub fn dispute_age_bucket(age_days: i64) -> &'static str {
    DISPUTE_AGE_BUCKETS
        .iter()
        .rev()
        .find(|(_, from)| age_days >= *from)
        .map_or(DISPUTE_AGE_BUCKETS[0].0, |(label, _)| label)
}

fn disputes_section(h: &mut String, disputes: &[Dispute], as_of: NaiveDate) {
    h.push_str("<section class=\"card\" id=\"disputes\"><h2>Open disputes by age</h2>\n");
    let open: Vec<&Dispute> = disputes.iter().filter(|d| d.status == "open").collect();
    let resolved: Vec<&Dispute> = disputes.iter().filter(|d| d.status != "open").collect();
    if !resolved.is_empty() {
        let days: Vec<i64> = resolved.iter().filter_map(|d| d.days_to_resolve).collect();
        let avg = if days.is_empty() {
            "–".to_string()
        } else {
            format_grouped(
                Decimal::from(days.iter().sum::<i64>()) / Decimal::from(days.len() as u64),
                1,
            )
        };
        let _ = writeln!(
            h,
            "<p>{} open; {} resolved or written off since they were opened (average {avg} days to resolve).</p>",
            open.len(),
            resolved.len()
        );
    }
    if open.is_empty() {
        h.push_str("<p class=\"empty\">no open disputes</p>\n</section>\n");
        return;
    }
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for d in &open {
        *counts
            .entry(dispute_age_bucket(d.age_days.unwrap_or(0)))
            .or_default() += 1;
    }
    let bars: Vec<Bar> = DISPUTE_AGE_BUCKETS
        .iter()
        .map(|(label, _)| {
            let n = counts.get(label).copied().unwrap_or(0);
            Bar {
                label: format!("{label} days"),
                value: Decimal::from(n),
                value_label: n.to_string(),
            }
        })
        .collect();
    h.push_str(&bar_chart(
        &format!("open disputes by age as of {as_of}"),
        &bars,
    ));
    let mut rows = open.clone();
    rows.sort_by(|a, b| {
        b.age_days
            .cmp(&a.age_days)
            .then(a.dispute_id.cmp(&b.dispute_id))
    });
    h.push_str("<table><thead><tr><th>opened</th><th class=\"num\">age</th><th>customer</th><th>invoice</th><th>reason</th><th class=\"num\">amount</th></tr></thead><tbody>\n");
    for d in rows.iter().take(TABLE_ROWS_MAX) {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} {}</td></tr>",
            d.opened_on.map(|x| x.to_string()).unwrap_or_default(),
            d.age_days.map(|x| x.to_string()).unwrap_or_default(),
            esc(&d.customer_id),
            esc(&d.invoice_id),
            esc(&d.reason_code),
            esc(&d.currency),
            format_amount(d.amount, &d.currency)
        );
    }
    h.push_str("</tbody></table>\n");
    more(h, rows.len());
    h.push_str("</section>\n");
}

fn forecast_section(h: &mut String, weeks: &[ForecastWeek]) {
    h.push_str(
        "<section class=\"card\" id=\"forecast\"><h2>Expected receipts, next 13 weeks</h2>\n",
    );
    h.push_str("<p>due date + the customer's weighted days late over their latest payments (AR history, this run, cleared items; else the currency's, else the due date)</p>\n");
    let mut by_currency: BTreeMap<&str, Vec<&ForecastWeek>> = BTreeMap::new();
    for w in weeks {
        by_currency.entry(w.currency.as_str()).or_default().push(w);
    }
    if by_currency.is_empty() {
        h.push_str("<p class=\"empty\">nothing open to forecast</p>\n");
    }
    for (currency, list) in by_currency {
        let bars: Vec<Bar> = list
            .iter()
            .map(|w| Bar {
                label: format!("{} {}", w.week, w.week_start),
                value: w.amount,
                value_label: format_amount(w.amount, currency),
            })
            .collect();
        let _ = writeln!(h, "<h3>{}</h3>", esc(currency));
        h.push_str(&bar_chart(&format!("forecast {currency}"), &bars));
    }
    h.push_str("</section>\n");
}

fn risk_section(h: &mut String, behaviour: &[CustomerBehaviour]) {
    h.push_str("<section class=\"card\" id=\"risk\"><h2>Customers by overdue exposure</h2>\n");
    let mut rows: Vec<&CustomerBehaviour> = behaviour
        .iter()
        .filter(|b| b.exposure_overdue > Decimal::ZERO)
        .collect();
    rows.sort_by(|a, b| {
        b.exposure_overdue
            .cmp(&a.exposure_overdue)
            .then(a.customer_id.cmp(&b.customer_id))
    });
    if rows.is_empty() {
        h.push_str("<p class=\"empty\">nothing overdue</p>\n</section>\n");
        return;
    }
    h.push_str("<table><thead><tr><th>customer</th><th>segment</th><th class=\"num\">days late</th><th class=\"num\">trend</th><th class=\"num\">overdue</th><th class=\"num\">open</th></tr></thead><tbody>\n");
    for b in rows.iter().take(TABLE_ROWS_MAX) {
        let c = b.currency.as_str();
        let _ = writeln!(
            h,
            "<tr><td>{} {}</td><td>{}{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} {}</td><td class=\"num\">{}</td></tr>",
            esc(&b.customer_id),
            esc(&b.customer_name),
            esc(&b.segment),
            if b.late_payer { " (late payer)" } else { "" },
            b.weighted_days_late.map(|d| format_grouped(d, 1)).unwrap_or_else(|| "–".into()),
            b.trend_days.map(|d| format!("{}{}", if d > Decimal::ZERO { "+" } else { "" }, format_grouped(d, 1))).unwrap_or_else(|| "–".into()),
            esc(c),
            format_amount(b.exposure_overdue, c),
            format_amount(b.exposure_open, c)
        );
    }
    h.push_str("</tbody></table>\n");
    more(h, rows.len());
    h.push_str("</section>\n");
}

fn series_section(h: &mut String, id: &str, title: &str, points: &[KpiPoint], unit: Unit) {
    let _ = writeln!(
        h,
        "<section class=\"card\" id=\"{id}\"><h2>{}</h2>",
        esc(title)
    );
    let mut by_currency: BTreeMap<&str, Vec<&KpiPoint>> = BTreeMap::new();
    for p in points {
        by_currency.entry(p.currency.as_str()).or_default().push(p);
    }
    if by_currency.is_empty() {
        h.push_str("<p class=\"empty\">no value in any run (see the KPI notes)</p>\n</section>\n");
        return;
    }
    for (currency, list) in by_currency {
        let start = list.len().saturating_sub(SERIES_RUNS_MAX);
        let bars: Vec<Bar> = list[start..]
            .iter()
            .map(|p| Bar {
                label: p.as_of.to_string(),
                value: p.value,
                value_label: match unit {
                    Unit::Percent => format!("{} %", format_grouped(p.value, 1)),
                    _ => format!("{} days", format_grouped(p.value, 1)),
                },
            })
            .collect();
        let _ = writeln!(h, "<h3>{} ({} run(s))</h3>", esc(currency), list.len());
        h.push_str(&bar_chart(&format!("{title} {currency}"), &bars));
    }
    h.push_str("</section>\n");
}

fn signals_section(h: &mut String, signals: &[Signal]) {
    h.push_str("<section class=\"card\" id=\"signals\"><h2>Signals to look at</h2>\n");
    let found: Vec<&Signal> = signals
        .iter()
        .filter(|s| s.severity != NOT_CHECKED)
        .collect();
    let unchecked: Vec<&Signal> = signals
        .iter()
        .filter(|s| s.severity == NOT_CHECKED)
        .collect();
    if found.is_empty() {
        h.push_str("<p class=\"empty\">no signal raised</p>\n");
    } else {
        let rank = |s: &str| match s {
            "high" => 0,
            "medium" => 1,
            _ => 2,
        };
        let mut rows = found.clone();
        rows.sort_by_key(|s| rank(s.severity));
        h.push_str("<table><thead><tr><th>severity</th><th>code</th><th>customer</th><th class=\"num\">amount</th><th>evidence</th></tr></thead><tbody>\n");
        for s in rows.iter().take(TABLE_ROWS_MAX) {
            let amount = match (&s.amount, &s.currency) {
                (Some(a), Some(c)) => format!("{} {}", esc(c), format_amount(*a, c)),
                _ => String::new(),
            };
            let _ = writeln!(
                h,
                "<tr class=\"signal\" data-code=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{amount}</td><td style=\"white-space:normal\">{}</td></tr>",
                s.code,
                s.severity,
                s.code,
                esc(s.customer_id.as_deref().unwrap_or("")),
                esc(&s.evidence)
            );
        }
        h.push_str("</tbody></table>\n");
        more(h, rows.len());
    }
    if !unchecked.is_empty() {
        let list: Vec<String> = unchecked
            .iter()
            .map(|s| format!("{}: {}", s.code, esc(&s.evidence)))
            .collect();
        let _ = writeln!(h, "<p class=\"note\">not checked: {}</p>", list.join("; "));
    }
    h.push_str("</section>\n");
}
