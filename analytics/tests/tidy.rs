//! This crate's own rules, checked on its source: it rounds only in
//! `money.rs`, and README's analytics example is a valid config. (No I/O,
//! clock, environment or undocumented item: the workspace's `tests/tidy.rs`.)

use std::fs;
use std::path::PathBuf;

fn sources() -> Vec<(PathBuf, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: Vec<(PathBuf, String)> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| {
            let t = fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect();
    out.sort();
    assert!(out.len() >= 5, "sources not found");
    out
}

fn code(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.starts_with("//"))
}

#[test]
fn rounding_happens_only_in_money() {
    for (path, text) in sources() {
        if path.ends_with("money.rs") {
            continue;
        }
        for (n, line) in code(&text) {
            assert!(
                !line.contains("round_dp_with_strategy")
                    && !line.contains("RoundingStrategy")
                    && !line.contains("as f64"),
                "{}:{n}: round in money.rs only, never through floats: {line}",
                path.display()
            );
        }
    }
}

/// The analytics TOML in README.md's "Morning-after analytics" section is
/// a valid config, and the run's rules example stays the first TOML block
/// (`src/config.rs` parses that one).
#[test]
fn the_readme_analytics_example_is_a_valid_config() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = fs::read_to_string(path).unwrap();
    let fence = "```toml\n";
    let at = readme
        .find("## Morning-after analytics")
        .expect("README section");
    let section = &readme[at..];
    let start = section.find(fence).expect("a TOML example") + fence.len();
    let end = start + section[start..].find("```").expect("closed block");
    let config = cashmatch_analytics::config::AnalyticsConfig::from_toml(&section[start..end])
        .expect("README example parses");
    assert_eq!(config.dunning.blocked_customers, ["C00042"]);
    assert_eq!(config.dunning.levels.len(), 1);
    assert!(
        readme.find(fence).unwrap() < at,
        "the rules example must stay the first TOML block"
    );
}
