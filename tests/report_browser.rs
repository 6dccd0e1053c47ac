//! `report.html` in a real browser: demo → report, then Debian's headless
//! Chromium renders the page to a PNG and dumps its DOM. The test checks
//! that something was drawn (not blank, the header's and the charts'
//! colours present) and that every KPI tile shows exactly the value of
//! `kpis.parquet`.
//!
//! Chromium is required: without it the test fails with the install
//! command (CI installs it in `.ci/run`).

mod common;
use arrow_array::{Array, Decimal128Array};
use cashmatch_analytics::kpi::{Kpi, Unit};
use common::*;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "chromium";
/// A headless render of one local page takes a few seconds; a hung browser
/// must not hang CI.
const BROWSER_SECONDS_MAX: u64 = 120;
/// The dashboard's header colour (#1f3a5f) and bar colour (#3e7cb1).
const HEADER_RGB: [u8; 3] = [0x1f, 0x3a, 0x5f];
const BAR_RGB: [u8; 3] = [0x3e, 0x7c, 0xb1];

fn require_chromium() {
    let found = Command::new(CHROMIUM)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(
        matches!(found, Ok(s) if s.success()),
        "`{CHROMIUM}` is not installed or does not start; this test needs a real browser. \
         Install it with: apt-get update && apt-get install -y chromium"
    );
}

/// Runs headless Chromium with the flags that keep it offline and
/// self-contained, killing it after [`BROWSER_SECONDS_MAX`].
fn chromium(profile: &Path, extra: &[String], url: &str) -> Vec<u8> {
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut { stdout }, &mut buf).unwrap();
        buf
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(BROWSER_SECONDS_MAX) {
            let _ = child.kill();
            panic!("chromium did not finish within {BROWSER_SECONDS_MAX} s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = reader.join().unwrap();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    assert!(status.success(), "chromium failed ({status}):\n{err}");
    out
}

/// RGB pixels of a PNG, with its size.
fn decode_png(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(
        std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    );
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let pixels = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, pixels)
}

fn near(p: [u8; 3], c: [u8; 3]) -> bool {
    p.iter().zip(c).all(|(a, b)| a.abs_diff(b) <= 6)
}

/// The value of `attr="..."` in one start tag.
fn attr<'a>(tag: &'a str, attr: &str) -> Option<&'a str> {
    let key = format!("{attr}=\"");
    let start = tag.find(&key)? + key.len();
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// Undoes the escaping Chromium's serializer applies to text.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// One KPI tile of the dumped DOM.
#[derive(Debug)]
struct Tile {
    currency: String,
    metric: String,
    data_value: String,
    shown: String,
}

fn tiles(dom: &str) -> Vec<Tile> {
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(at) = rest.find("<div class=\"tile kpi\"") {
        rest = &rest[at..];
        let tag = &rest[..rest.find('>').unwrap()];
        let value_at = rest.find("<div class=\"value").unwrap();
        let text_start = value_at + rest[value_at..].find('>').unwrap() + 1;
        let text_end = text_start + rest[text_start..].find("</div>").unwrap();
        out.push(Tile {
            currency: attr(tag, "data-currency").unwrap().to_string(),
            metric: attr(tag, "data-metric").unwrap().to_string(),
            data_value: attr(tag, "data-value").unwrap().to_string(),
            shown: unescape(&rest[text_start..text_end]),
        });
        rest = &rest[tag.len()..];
    }
    out
}

/// `kpis.parquet` as the page should show it.
fn kpis(path: &Path) -> Vec<Kpi> {
    let b = read_parquet(path);
    let currency = text(&b, "currency");
    let metric = text(&b, "metric");
    let unit = text(&b, "unit");
    let mut values = Vec::new();
    for batch in &b {
        let a = batch
            .column(batch.schema().index_of("value").unwrap())
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap()
            .clone();
        for i in 0..a.len() {
            values.push(
                (!a.is_null(i))
                    .then(|| Decimal::from_i128_with_scale(a.value(i), a.scale() as u32)),
            );
        }
    }
    (0..currency.len())
        .map(|i| Kpi {
            currency: currency[i].clone(),
            // Leaked once per row of a small test table: `Kpi` holds the
            // static names the analytics crate uses.
            metric: Box::leak(metric[i].clone().into_boxed_str()),
            value: values[i],
            unit: match unit[i].as_str() {
                "days" => Unit::Days,
                "percent" => Unit::Percent,
                "ratio" => Unit::Ratio,
                "amount" => Unit::Amount,
                other => panic!("unknown unit {other}"),
            },
            formula: "",
            inputs: String::new(),
            note: None,
        })
        .collect()
}

#[test]
fn report_html_renders_in_chromium_and_shows_the_kpis_of_the_table() {
    require_chromium();
    let tmp = tempdir();
    let run = tmp.path().join("out");
    run_ok(cashmatch().arg("demo").arg("--out").arg(&run));
    // The demo's history inputs: DSO, CEI, trends and signals filled.
    run_ok(
        cashmatch()
            .arg("report")
            .arg(&run)
            .arg("--invoices")
            .arg(run.join("inputs/invoices.csv"))
            .arg("--cleared-items")
            .arg(run.join("inputs/cleared_items.csv")),
    );
    let page = run.join("analytics/report.html").canonicalize().unwrap();
    let url = format!("file://{}", page.display());

    // What a controller sees on a 1366×768 screen.
    let shot = tmp.path().join("screen.png");
    chromium(
        &tmp.path().join("profile-1"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1366,768".into(),
        ],
        &url,
    );
    let (w, h, pixels) = decode_png(&shot);
    assert_eq!((w, h), (1366, 768));
    let colours: BTreeSet<[u8; 3]> = pixels.iter().copied().collect();
    let non_white = pixels.iter().filter(|p| p.iter().any(|&c| c < 240)).count();
    assert!(
        colours.len() > 50,
        "only {} distinct colours: blank page?",
        colours.len()
    );
    assert!(
        non_white * 20 > pixels.len(),
        "only {non_white} of {} pixels are not white",
        pixels.len()
    );
    let header = pixels.iter().filter(|p| near(**p, HEADER_RGB)).count();
    assert!(
        header > 1366 * 20,
        "the header bar is not drawn ({header} pixels): was the inline CSS applied?"
    );

    // The whole page, tall enough for the charts below the tiles.
    let full = tmp.path().join("full.png");
    chromium(
        &tmp.path().join("profile-2"),
        &[
            format!("--screenshot={}", full.display()),
            "--window-size=1366,4000".into(),
        ],
        &url,
    );
    let (_, _, pixels) = decode_png(&full);
    let bars = pixels.iter().filter(|p| near(**p, BAR_RGB)).count();
    assert!(
        bars > 500,
        "the SVG bar charts are not drawn ({bars} bar pixels)"
    );

    // The DOM as Chromium built it: every KPI of the table, with its
    // exact value in data-value and the formatted value on the tile.
    let dom = String::from_utf8(chromium(
        &tmp.path().join("profile-3"),
        &["--dump-dom".into()],
        &url,
    ))
    .unwrap();
    assert!(
        dom.contains("<svg") && dom.contains("<rect"),
        "no chart in the DOM"
    );
    for section in [
        "id=\"aging\"",
        "id=\"exceptions\"",
        "id=\"dunning\"",
        "id=\"disputes\"",
        "id=\"dso\"",
        "id=\"match-rate\"",
        "id=\"signals\"",
    ] {
        assert!(dom.contains(section), "{section} missing");
    }
    assert!(
        dom.contains("data-metric=\"dso_simple\" data-currency=\"EUR\" data-value=\"")
            && !dom
                .contains("data-metric=\"dso_simple\" data-currency=\"EUR\" data-value=\"null\""),
        "DSO is shown for EUR"
    );
    assert!(
        dom.contains("class=\"signal\""),
        "the demo's signals are listed"
    );
    let shown = tiles(&dom);
    let table = kpis(&run.join("analytics/kpis.parquet"));
    assert!(!table.is_empty());
    assert_eq!(shown.len(), table.len(), "one tile per kpis.parquet row");
    let by_key: BTreeMap<(&str, &str), &Tile> = shown
        .iter()
        .map(|t| ((t.currency.as_str(), t.metric.as_str()), t))
        .collect();
    for k in &table {
        let tile = by_key
            .get(&(k.currency.as_str(), k.metric))
            .unwrap_or_else(|| panic!("no tile for {} {}", k.currency, k.metric));
        assert_eq!(
            tile.data_value,
            cashmatch_analytics::html::data_value(k.value),
            "{} {}",
            k.currency,
            k.metric
        );
        assert_eq!(
            tile.shown,
            cashmatch_analytics::html::display_value(k),
            "{} {}",
            k.currency,
            k.metric
        );
        if let Some(v) = k.value {
            assert_eq!(tile.data_value.parse::<Decimal>().unwrap(), v);
        }
    }
}
