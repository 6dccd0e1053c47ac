//! Progress bars for long steps, shown only when stdout is a terminal so
//! logs and CI output stay clean.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Creates bars (or hidden ones) and times engine stages.
pub struct Progress {
    enabled: bool,
    spinner: Option<ProgressBar>,
    stage_started: Option<Instant>,
    /// (stage, seconds) in the order stages ran.
    pub timings: Vec<(String, f64)>,
}

impl Progress {
    /// Bars on when stdout is a terminal and `quiet` is false.
    pub fn new(quiet: bool) -> Self {
        Progress {
            enabled: !quiet && std::io::stdout().is_terminal(),
            spinner: None,
            stage_started: None,
            timings: Vec::new(),
        }
    }

    /// A bar over `len` steps.
    pub fn bar(&self, message: &str, len: u64) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{msg:28} [{bar:40}] {pos}/{len} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        bar
    }

    /// A spinner for a step of unknown length.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let s = ProgressBar::new_spinner();
        s.set_message(message.to_string());
        s.enable_steady_tick(Duration::from_millis(120));
        s
    }
}

impl cashmatch_engine::Observer for Progress {
    fn stage_started(&mut self, stage: &str) {
        self.stage_started = Some(Instant::now());
        self.spinner = Some(self.spinner(&format!("matching: {stage}")));
    }

    fn stage_finished(&mut self, stage: &str, _stats: Option<&cashmatch_engine::model::PassStats>) {
        if let Some(s) = self.spinner.take() {
            s.finish_and_clear();
        }
        if let Some(t) = self.stage_started.take() {
            self.timings
                .push((stage.to_string(), t.elapsed().as_secs_f64()));
        }
    }
}
