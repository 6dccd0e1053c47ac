//! The run's TOML configuration: the engine's rules plus how to read the
//! inputs. Every key has a default, so an empty file (or none) is a run.

use cashmatch_engine::config::{
    CompanyConfig, Differences, GlAccounts, IntercompanyConfig, Matching, Pilot, ReturnsConfig,
    Rules,
};
use cashmatch_parsers::extracts::ExtractOptions;
use cashmatch_parsers::CsvProfile;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Everything a `rules.toml` can say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// Journal accounts.
    pub gl: GlAccounts,
    /// Matching passes and their thresholds.
    pub matching: Matching,
    /// Discounts, write-offs and deductions.
    pub differences: Differences,
    /// Gradual roll-out: auto-apply only for these customers.
    pub pilot: Pilot,
    /// Returned payments: the window for linking by amount and payer.
    #[serde(skip_serializing_if = "ReturnsConfig::is_default")]
    pub returns: ReturnsConfig,
    /// How to read the open-item extract.
    pub open_items: ExtractOptions,
    /// How to read the customer master.
    pub customers: ExtractOptions,
    /// How bank statements are read and validated.
    pub bank: BankOptions,
    /// Caps on untrusted bank files.
    pub limits: LimitsOptions,
    /// How remittance advice files are read (lockbox layouts, CSV layouts).
    #[serde(skip_serializing_if = "crate::remittance::RemittanceConfig::is_default")]
    pub remittance: crate::remittance::RemittanceConfig,
    /// Legal entities: default company code, bank account -> company.
    /// Left out of the canonical TOML while default (config hash unchanged).
    #[serde(skip_serializing_if = "CompanyConfig::is_default")]
    pub company: CompanyConfig,
    /// Cross-company application and its GL accounts.
    #[serde(skip_serializing_if = "IntercompanyConfig::is_default")]
    pub intercompany: IntercompanyConfig,
    /// Cross-currency application and bank charges (`--rates`).
    #[serde(skip_serializing_if = "cashmatch_engine::fx::FxRules::is_default")]
    pub fx: cashmatch_engine::fx::FxRules,
    /// How a run is split into partitions (issue 12); empty: not split.
    /// Left out of the canonical config while empty, so unpartitioned
    /// manifests keep their bytes.
    #[serde(skip_serializing_if = "crate::partition::PartitionPlan::is_default")]
    pub partition: crate::partition::PartitionPlan,
}

/// Hard caps on untrusted bank files (RELIABILITY.md B1-5, D1). Exceeding
/// one rejects that file; the defaults are the parsers' own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsOptions {
    /// Largest bank file, in bytes.
    pub file_bytes_max: u64,
    /// Longest line (BAI2, MT940, CSV), in bytes.
    pub line_bytes_max: usize,
    /// Most records per file.
    pub records_max: u64,
    /// Deepest XML nesting (camt).
    pub xml_depth_max: usize,
}

impl Default for LimitsOptions {
    fn default() -> Self {
        let l = cashmatch_parsers::Limits::default();
        LimitsOptions {
            file_bytes_max: l.file_bytes_max,
            line_bytes_max: l.line_bytes_max,
            records_max: l.records_max,
            xml_depth_max: l.xml_depth_max,
        }
    }
}

impl LimitsOptions {
    /// The parsers' form of these caps.
    pub fn to_parser_limits(&self) -> cashmatch_parsers::Limits {
        cashmatch_parsers::Limits {
            file_bytes_max: self.file_bytes_max,
            line_bytes_max: self.line_bytes_max,
            records_max: self.records_max,
            xml_depth_max: self.xml_depth_max,
        }
    }
}

/// How bank statements are read and validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct BankOptions {
    /// WHATWG encoding label applied to statements that do not declare one.
    pub encoding: Option<String>,
    /// Bank CSV layouts, tried by header before the built-in ones.
    pub csv_profiles: Vec<CsvProfile>,
    /// Ingest statements whose own balances or control totals fail
    /// (recorded in the manifest); by default such files are excluded.
    pub accept_unbalanced: bool,
}

impl RunConfig {
    /// Reads and validates a config file; errors name the file and the key.
    pub fn load(path: &Path) -> Result<Self, crate::CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            crate::CliError::Config(format!("cannot read config `{}`: {e}", path.display()))
        })?;
        Self::parse(&text)
            .map_err(|e| crate::CliError::Config(format!("config `{}`: {e}", path.display())))
    }

    /// Parses config text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let cfg: RunConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), String> {
        self.rules().validate()?;
        if let Some(label) = &self.bank.encoding {
            if !cashmatch_parsers::encoding::is_known_label(label) {
                return Err(format!(
                    "[bank] encoding `{label}` is not a WHATWG encoding label (e.g. `windows-1252`, `ibm852`)"
                ));
            }
        }
        self.remittance.validate()?;
        self.fx.validate()?;
        self.partition.validate()?;
        let l = &self.limits;
        for (key, v) in [
            ("file_bytes_max", l.file_bytes_max),
            ("line_bytes_max", l.line_bytes_max as u64),
            ("records_max", l.records_max),
            ("xml_depth_max", l.xml_depth_max as u64),
        ] {
            if v == 0 {
                return Err(format!("[limits] {key} must be at least 1"));
            }
        }
        Ok(())
    }

    /// The engine's part of the configuration.
    pub fn rules(&self) -> Rules {
        Rules {
            gl: self.gl.clone(),
            matching: self.matching.clone(),
            differences: self.differences.clone(),
            pilot: self.pilot.clone(),
            returns: self.returns.clone(),
            company: self.company.clone(),
            intercompany: self.intercompany.clone(),
        }
    }

    /// The effective configuration as canonical TOML (for the manifest and
    /// its hash): defaults filled in, keys in a fixed order.
    pub fn canonical_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_the_default() {
        assert_eq!(RunConfig::parse("").unwrap(), RunConfig::default());
    }

    #[test]
    fn typos_are_rejected_with_the_key() {
        let err = RunConfig::parse("[gl]\nrecievable = \"1200\"\n").unwrap_err();
        assert!(err.contains("recievable"), "{err}");
    }

    /// Issue 13: a bad regex in `reference_patterns` used to be dropped
    /// silently by the engine; the config check now names it.
    #[test]
    fn a_bad_reference_pattern_is_rejected_naming_the_key() {
        let err =
            RunConfig::parse("[matching]\nreference_patterns = [\"INV-\\\\d+\", \"(unclosed\"]\n")
                .unwrap_err();
        assert!(err.contains("reference_patterns[1]"), "{err}");
        assert!(err.contains("(unclosed"), "{err}");
        RunConfig::parse("[matching]\nreference_patterns = [\"INV-\\\\d+\"]\n").unwrap();
    }

    #[test]
    fn every_checked_key_is_named_when_out_of_range() {
        for (toml, key) in [
            (
                "[matching.instalment]\nauto_apply_min = 1.5\n",
                "matching.instalment",
            ),
            (
                "[matching]\nname_similarity_min = 2.0\n",
                "name_similarity_min",
            ),
            ("[matching]\nsubset_items_max = 0\n", "subset_items_max"),
            (
                "[differences]\nwriteoff_max_amount = \"-1\"\n",
                "writeoff_max_amount",
            ),
            (
                "[differences]\nwriteoff_max_percent = \"150\"\n",
                "writeoff_max_percent",
            ),
            ("[gl]\ndeduction = \"\"\n", "[gl] deduction"),
            ("[pilot]\nenabled = true\n", "[pilot]"),
            ("[bank]\nencoding = \"klingon\"\n", "[bank] encoding"),
            ("[limits]\nrecords_max = 0\n", "records_max"),
        ] {
            let err = RunConfig::parse(toml).unwrap_err();
            assert!(err.contains(key), "{toml}: {err}");
        }
    }

    #[test]
    fn column_mapping_is_read() {
        let cfg = RunConfig::parse("[open_items.columns]\ninvoice_id = \"Belegnummer\"\n").unwrap();
        assert_eq!(cfg.open_items.columns["invoice_id"], "Belegnummer");
    }

    #[test]
    fn canonical_form_round_trips() {
        let cfg = RunConfig::default();
        assert_eq!(RunConfig::parse(&cfg.canonical_toml()).unwrap(), cfg);
    }

    #[test]
    fn the_readme_example_is_a_valid_config() {
        let readme = include_str!("../README.md");
        let start =
            readme.find("```toml\n").expect("README has a TOML example") + "```toml\n".len();
        let end = start + readme[start..].find("```").expect("closed block");
        let cfg = RunConfig::parse(&readme[start..end]).expect("README example parses");
        assert_eq!(cfg.open_items.columns["invoice_id"], "Belegnummer");
        assert_eq!(cfg.differences.writeoff_max_amount.to_string(), "5.00");
        assert!(!cfg.pilot.enabled);
    }
}
