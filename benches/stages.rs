//! Per-stage benchmarks (criterion): parser throughput per format on
//! generated in-memory files of ≥ 100 MB, the engine's index stage at 100k
//! payments, and a single matching pass.
//!
//! ```sh
//! cargo bench --bench stages                 # everything, a few minutes
//! cargo bench --bench stages -- parse        # parsers only (all three groups)
//! cargo bench --bench stages -- parse_s      # the sink paths only
//! cargo bench --bench stages -- index        # engine index stage only
//! ```
//!
//! Environment: `CASHMATCH_BENCH_PARSE_MB` (default 100) sizes the parser
//! inputs; `CASHMATCH_BENCH_INDEX_ROWS` (default 100,000) the engine dataset
//! (generated once and cached under `<target>/cashmatch-bench-data/`, like
//! `end_to_end`). The BAI2 input is also written to
//! `<target>/cashmatch-bench-data/bench.bai2` so that the Python `bai2`
//! package can parse the same bytes (`benches/peers/bai2_parse.py`), and
//! the other inputs beside it (`bench.camt053`, `bench.mt940`,
//! `bench.bank_csv`), so one format can be profiled alone through
//! `cashmatch ingest` (BENCHMARKS.md, "Ingest end to end").
//!
//! Parsers run on one thread (they are single-pass and sequential per
//! file); throughput is reported in MB/s of input.

use cashmatch::config::RunConfig;
use cashmatch::progress::Progress;
use cashmatch_engine::allocate::Ledger;
use cashmatch_engine::config::Rules;
use cashmatch_engine::identify::Parties;
use cashmatch_engine::index::ReferenceIndex;
use cashmatch_engine::model::Batch;
use cashmatch_engine::passes::{self, Pass};
use cashmatch_engine::references::{self, RepairIndex};
use cashmatch_parsers::{Format, ParseOptions, Source};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|v| v.replace('_', "").parse().expect(name))
        .unwrap_or(default)
}

fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("current exe");
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir)
}

// ---------------------------------------------------------------------------
// Input generators, written from the format specifications (and the
// parsers' own property-test writers): every statement balances, so the
// parsers do all their work, balance checks included.

/// Remittance texts of realistic length and shape.
const TEXTS: &[&str] = &[
    "PAYMENT FOR INVOICE INV-2026-001234 CUSTOMER ACME EU",
    "Rechnung INV-2025-004947 / Kd 16629",
    "INV-2026-096385 PO 4572139810",
    "Factuur INV-2026-095119 klantnr 22558",
    "Rechnungen INV-2026-056676 INV-2026-014082 INV-2026-021337",
];
const NAMES: &[&str] = &[
    "Vertex Metallbau SAS",
    "BAKER PRECISION MASCHINENBAU OY",
    "Ironbridge Lebensmittel S.r.l.",
    "Nowak Bearings KG",
];
/// Transactions per account (BAI2) or statement (camt, MT940).
const TXNS_PER_STATEMENT: usize = 1000;

/// BAI2 (Cash Management Balance Reporting Specification 2.0): one group,
/// accounts of 1000 detail records with continuation records, control
/// totals at account, group and file level.
fn bai2_file(bytes_min: usize) -> String {
    let mut out = String::from(
        "01,SENDER,RECEIVER,260302,0800,F1,,,2/\n02,RECEIVER,SENDER,1,260301,2400,USD,2/\n",
    );
    let (mut group_total, mut group_records, mut accounts) = (0i128, 2u64, 0u64);
    let mut n = 0u64;
    while out.len() < bytes_min {
        accounts += 1;
        let opening = 100_000 + accounts as i64;
        let _ = writeln!(out, "03,{:010},USD,010,{opening},,/", 1_000_000 + accounts);
        let (mut total, mut records) = (i128::from(opening), 2u64);
        for _ in 0..TXNS_PER_STATEMENT {
            n += 1;
            let type_code = if n % 3 == 0 { 495 } else { 195 };
            let amount = 10_000 + (n * 7919) % 9_000_000;
            let text = TEXTS[(n % TEXTS.len() as u64) as usize];
            let _ = writeln!(out, "16,{type_code},{amount},Z,BR{n:010},,{text}/");
            let _ = writeln!(out, "88,EREF: E2E-{n} {}/", NAMES[(n % 4) as usize]);
            records += 2;
            total += i128::from(amount);
        }
        let _ = writeln!(out, "49,{total},{records}/");
        group_total += total;
        group_records += records;
    }
    let _ = writeln!(out, "98,{group_total},{accounts},{group_records}/");
    let _ = writeln!(out, "99,{group_total},1,{}/", group_records + 2);
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// camt.053.001.08: statements of 1000 booked entries, opening and closing
/// balances that reconcile.
fn camt053_file(bytes_min: usize) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\n<BkToCstmrStmt><GrpHdr><MsgId>G</MsgId><CreDtTm>2026-03-02T08:00:00</CreDtTm></GrpHdr>\n",
    );
    let (mut n, mut stmt) = (0u64, 0u64);
    while out.len() < bytes_min {
        stmt += 1;
        let entries: Vec<i64> = (0..TXNS_PER_STATEMENT)
            .map(|_| {
                n += 1;
                let cents = 10_000 + ((n * 7919) % 9_000_000) as i64;
                if n % 3 == 0 {
                    -cents
                } else {
                    cents
                }
            })
            .collect();
        let opening = 1_000_000i64;
        let closing = opening + entries.iter().sum::<i64>();
        let _ = write!(
            out,
            "<Stmt><Id>ST-{stmt}</Id><ElctrncSeqNb>{stmt}</ElctrncSeqNb>\n<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
        );
        for (code, cents) in [("OPBD", opening), ("CLBD", closing)] {
            let _ = writeln!(
                out,
                "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>{}</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>",
                cents.abs() / 100,
                cents.abs() % 100,
                if cents < 0 { "DBIT" } else { "CRDT" }
            );
        }
        for (i, cents) in entries.iter().enumerate() {
            let k = n as usize + i;
            let (party, ind) = if *cents < 0 {
                ("Cdtr", "DBIT")
            } else {
                ("Dbtr", "CRDT")
            };
            let _ = write!(
                out,
                "<Ntry>\n<Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>\n<BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt><AcctSvcrRef>BR{k:010}</AcctSvcrRef>\n<NtryDtls><TxDtls><Refs><EndToEndId>E2E-{k}</EndToEndId></Refs><RltdPties><{party}><Pty><Nm>{}</Nm></Pty></{party}></RltdPties><RmtInf><Ustrd>{}</Ustrd></RmtInf></TxDtls></NtryDtls>\n</Ntry>\n",
                cents.abs() / 100,
                cents.abs() % 100,
                xml_escape(NAMES[k % NAMES.len()]),
                xml_escape(TEXTS[k % TEXTS.len()])
            );
        }
        out.push_str("</Stmt>\n");
    }
    out.push_str("</BkToCstmrStmt></Document>\n");
    out
}

/// SWIFT MT940: messages of 1000 `:61:`/`:86:` pairs, `:60F:` and `:62F:`
/// balances that reconcile, `-` between messages.
fn mt940_file(bytes_min: usize) -> String {
    let mut out = String::new();
    let (mut n, mut msg) = (0u64, 0u64);
    let cents = |c: i64| format!("{},{:02}", c.abs() / 100, c.abs() % 100);
    while out.len() < bytes_min {
        msg += 1;
        let opening = 1_000_000i64;
        let _ = write!(
            out,
            ":20:STMT{msg}\n:25:DE89370400440532013000\n:28C:{msg}/1\n:60F:C260301EUR{}\n",
            cents(opening)
        );
        let mut balance = opening;
        for _ in 0..TXNS_PER_STATEMENT {
            n += 1;
            let c = 10_000 + ((n * 7919) % 9_000_000) as i64;
            let (mark, signed) = if n % 3 == 0 { ("D", -c) } else { ("C", c) };
            balance += signed;
            let _ = write!(
                out,
                ":61:2603020302{mark}{}NTRFBR{n:010}\n:86:{}\n{}\n",
                cents(c),
                TEXTS[(n % TEXTS.len() as u64) as usize],
                NAMES[(n % NAMES.len() as u64) as usize]
            );
        }
        let _ = write!(
            out,
            ":62F:{}260302EUR{}\n-\n",
            if balance < 0 { "D" } else { "C" },
            cents(balance)
        );
    }
    out
}

/// Bank CSV in cashmatch's canonical layout (RFC 4180, quoted fields with
/// commas and doubled quotes).
fn bank_csv_file(bytes_min: usize) -> String {
    let mut out = String::from(
        "account,booking_date,value_date,amount,currency,counterparty_name,counterparty_account,remittance_info,bank_reference\n",
    );
    let mut n = 0u64;
    while out.len() < bytes_min {
        n += 1;
        let c = 10_000 + (n * 7919) % 9_000_000;
        let sign = if n % 3 == 0 { "-" } else { "" };
        let _ = writeln!(
            out,
            "DE89370400440532013000,2026-03-02,2026-03-02,{sign}{}.{:02},EUR,\"{}\",DE02500105170137075030,\"{}, \"\"thanks\"\"\",BR{n:010}",
            c / 100,
            c % 100,
            NAMES[(n % NAMES.len() as u64) as usize],
            TEXTS[(n % TEXTS.len() as u64) as usize]
        );
    }
    out
}

fn parse_throughput(c: &mut Criterion) {
    let mb = env_usize("CASHMATCH_BENCH_PARSE_MB", 100);
    let bytes_min = mb << 20;
    let inputs: [(Format, &str, String); 4] = [
        (Format::Bai2, "bai2", bai2_file(bytes_min)),
        (Format::Camt053, "camt053", camt053_file(bytes_min)),
        (Format::Mt940, "mt940", mt940_file(bytes_min)),
        (Format::BankCsv, "bank_csv", bank_csv_file(bytes_min)),
    ];
    let data_dir = target_dir().join("cashmatch-bench-data");
    let _ = std::fs::create_dir_all(&data_dir);
    // Every input is left on disk: `bench.bai2` for the Python peer
    // (`benches/peers/bai2_parse.py`), all four for `cashmatch ingest`.
    for (_, name, text) in &inputs {
        let _ = std::fs::write(data_dir.join(format!("bench.{name}")), text.as_bytes());
    }
    let mut group = c.benchmark_group("parse");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    for (format, name, text) in &inputs {
        let options = ParseOptions {
            format: Some(*format),
            ..ParseOptions::default()
        };
        // Fail loudly (not in the timed loop) if a generator is wrong.
        let parsed = cashmatch_parsers::parse_source(&Source::new(name, text.as_bytes()), &options)
            .unwrap_or_else(|e| panic!("{name} generator: {e}"));
        assert!(
            parsed
                .statements
                .iter()
                .all(|s| s.balance_check == cashmatch_parsers::BalanceCheck::Pass
                    || *format == Format::BankCsv),
            "{name}: generated statements must balance"
        );
        eprintln!(
            "parse/{name}: {:.1} MB, {} transactions",
            text.len() as f64 / 1e6,
            parsed.transactions.len()
        );
        drop(parsed);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, text| {
            b.iter(|| {
                cashmatch_parsers::parse_source(
                    black_box(&Source::new(name, text.as_bytes())),
                    &options,
                )
                .expect("parses")
            })
        });
    }
    group.finish();
    parse_into_store(c, &inputs);
}

/// Counts what it is handed and keeps nothing: the reader's own cost.
#[derive(Default)]
struct CountingSink(u64);

impl cashmatch_parsers::TransactionSink for CountingSink {
    fn push(&mut self, t: &cashmatch_parsers::TransactionRef<'_>) {
        self.0 += black_box(t.remittance_info.len() as u64);
    }
}

/// The sink path on the same inputs: `parse_sink` is the reader alone
/// (a sink that keeps nothing), `parse_store` the reader appending into the
/// engine's column store with transaction ids (`ingest::BookedSink`,
/// what `run` and `ingest` do per file), issue 8 target 4.
fn parse_into_store(c: &mut Criterion, inputs: &[(Format, &str, String)]) {
    for (group_name, into_store) in [("parse_sink", false), ("parse_store", true)] {
        let mut group = c.benchmark_group(group_name);
        group
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(8));
        for (format, name, text) in inputs {
            let options = ParseOptions {
                format: Some(*format),
                ..ParseOptions::default()
            };
            group.throughput(Throughput::Bytes(text.len() as u64));
            group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, text| {
                b.iter(|| {
                    let source = Source::new(name, text.as_bytes());
                    if into_store {
                        let mut sink = cashmatch_engine::ingest::BookedSink::new(name);
                        let parsed = cashmatch_parsers::parse_source_into(
                            black_box(&source),
                            &options,
                            &mut sink,
                        )
                        .expect("parses");
                        (parsed, sink.finish().transactions.len())
                    } else {
                        let mut sink = CountingSink::default();
                        let parsed = cashmatch_parsers::parse_source_into(
                            black_box(&source),
                            &options,
                            &mut sink,
                        )
                        .expect("parses");
                        (parsed, sink.0 as usize)
                    }
                })
            });
        }
        group.finish();
    }
}

/// The engine's batch for a generated dataset of `rows` payments (1.3
/// invoices per payment, 15 % customers, seed 7: as `end_to_end`).
fn engine_batch(rows: usize) -> (Batch, Rules) {
    let invoices = rows * 13 / 10;
    let customers = (rows * 15 / 100).max(1);
    let dir = target_dir()
        .join("cashmatch-bench-data")
        .join(format!("p{rows}-i{invoices}-c{customers}-s7"));
    if !dir.join(".complete").exists() {
        let config = cashmatch_datasets::GeneratorConfig {
            customers: customers as u32,
            invoices: invoices as u32,
            payments: rows as u32,
            seed: 7,
            ..Default::default()
        };
        cashmatch_datasets::generate(&config, &dir).expect("generate dataset");
        std::fs::write(dir.join(".complete"), b"").expect("mark dataset");
    }
    let config = RunConfig::default();
    let inputs =
        cashmatch::inputs::discover_bank_inputs(&[dir.join("bank.csv")]).expect("bank inputs");
    let mut bank =
        cashmatch::inputs::read_bank_files(&inputs, &config, false, &Progress::new(true));
    let (open_items, _) =
        cashmatch::inputs::read_open_items(&dir.join("open_items.csv"), &config).expect("items");
    let (customers, _) =
        cashmatch::inputs::read_customers(&dir.join("customers.csv"), &config).expect("customers");
    cashmatch_engine::identity::assign_store_ids(&mut bank.transactions);
    let as_of = bank
        .transactions
        .iter()
        .filter_map(|t| t.booking_date())
        .max()
        .expect("dated transactions");
    let batch = Batch {
        transactions: std::mem::take(&mut bank.transactions),
        open_items,
        customers,
        as_of,
    };
    (batch, config.rules())
}

fn index_stage(c: &mut Criterion) {
    let rows = env_usize("CASHMATCH_BENCH_INDEX_ROWS", 100_000);
    let (batch, rules) = engine_batch(rows);
    let m = &rules.matching;
    let mut group = c.benchmark_group("index");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(rows as u64));
    // The whole stage as `apply_cash` runs it (`timing index`).
    group.bench_function(BenchmarkId::new("context_new", rows), |b| {
        b.iter(|| passes::Context::new(black_box(&batch), &rules))
    });
    group.bench_function(BenchmarkId::new("reference_index", rows), |b| {
        b.iter(|| ReferenceIndex::build(black_box(&batch)))
    });
    group.bench_function(BenchmarkId::new("repair_index", rows), |b| {
        b.iter(|| RepairIndex::build(black_box(&batch), m.near_reference_chars_min))
    });
    let exact = ReferenceIndex::build(&batch);
    let repair = RepairIndex::build(&batch, m.near_reference_chars_min);
    group.bench_function(BenchmarkId::new("extract_references", rows), |b| {
        b.iter(|| {
            references::extract_all(
                black_box(&batch),
                &exact,
                &repair,
                &[],
                m.reference_window_tokens_max.max(1),
            )
        })
    });
    let refs = references::extract_all(
        &batch,
        &exact,
        &repair,
        &[],
        m.reference_window_tokens_max.max(1),
    );
    group.bench_function(BenchmarkId::new("parties", rows), |b| {
        b.iter(|| Parties::build(black_box(&batch)))
    });
    let parties = Parties::build(&batch);
    group.bench_function(BenchmarkId::new("identify", rows), |b| {
        b.iter(|| {
            parties.identify_all(
                black_box(&batch),
                &refs,
                m.name_similarity_min,
                m.name_margin_min,
                m.name_candidates_max.max(1),
            )
        })
    });
    group.finish();

    // A single pass on a fresh ledger: exact reference, the workhorse.
    let ctx = passes::Context::new(&batch, &rules);
    let pass = passes::exact_reference::ExactReference;
    let mut group = c.benchmark_group("pass");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(rows as u64));
    group.bench_function(BenchmarkId::new(pass.name(), rows), |b| {
        b.iter_batched(
            || Ledger::new(&batch),
            |ledger| {
                let mut notes = Vec::new();
                pass.propose(&ctx, &ledger, &mut notes)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, parse_throughput, index_stage);
criterion_main!(benches);
