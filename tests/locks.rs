//! Two real processes racing for one output directory (RELIABILITY.md
//! B5-46): the lock lets exactly one in, a stale lock is taken over by
//! exactly one of them, and nobody removes a lock that is not theirs.

mod common;
use common::*;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// Races per test; each is a fresh output directory with a stale lock.
const RACES: usize = 24;

fn host_name() -> Option<String> {
    let name = fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim().to_string();
    (!name.is_empty()).then_some(name)
}

fn run_into(data: &Path, out: &Path) -> Command {
    let mut c = cashmatch();
    c.arg("run")
        .arg("--bank")
        .arg(data.join("bank.csv"))
        .arg("--open-items")
        .arg(data.join("open_items.csv"))
        .arg("--customers")
        .arg(data.join("customers.csv"))
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// RELIABILITY B5-46: two `cashmatch run` processes started together on
/// an output directory whose lock was left by a dead process on this host.
/// In every race exactly one takes the stale lock over (one warning) and
/// publishes (exit 0); the other exits 7 naming the winner's pid, host and
/// run; no lock is left behind, and the published run verifies.
#[test]
fn two_processes_racing_for_a_stale_lock_exactly_one_wins() {
    let dir = tempdir();
    let data = dir.path().join("data");
    // Large enough that the winner holds the lock far longer than the two
    // processes start apart.
    run_ok(
        cashmatch()
            .args([
                "generate",
                "--customers",
                "400",
                "--invoices",
                "6000",
                "--payments",
                "4000",
                "--seed",
                "11",
                "--out",
            ])
            .arg(&data),
    );
    let host = host_name();
    for race in 0..RACES {
        let out = dir.path().join(format!("race-{race}"));
        fs::create_dir_all(&out).unwrap();
        // Pid numbers above the kernel's pid_max (4194304) never exist.
        let stale = match &host {
            Some(h) => format!("pid=4999999\nhost={h}\nholder=Rdead\nnonce=dead-{race}\n"),
            None => "pid=4999999\nholder=Rdead\n".to_string(),
        };
        fs::write(out.join(".cashmatch.lock"), &stale).unwrap();
        let a = run_into(&data, &out).spawn().unwrap();
        let b = run_into(&data, &out).spawn().unwrap();
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let mut results = [
            (
                a.status.code(),
                String::from_utf8_lossy(&a.stderr).into_owned(),
            ),
            (
                b.status.code(),
                String::from_utf8_lossy(&b.stderr).into_owned(),
            ),
        ];
        results.sort_by_key(|(code, _)| *code);
        let [(won, winner_err), (lost, loser_err)] = &results;
        assert_eq!(
            (*won, *lost),
            (Some(0), Some(7)),
            "race {race}: one wins, one is refused\nA: {winner_err}\nB: {loser_err}"
        );
        let warnings = results
            .iter()
            .filter(|(_, err)| err.contains("removing stale lock"))
            .count();
        assert_eq!(
            warnings, 1,
            "race {race}: one takeover\n{winner_err}\n{loser_err}"
        );
        // Either process may be the one that removed the stale lock: the
        // other can create its own lock in between and win. What matters is
        // one takeover, one winner, and no live lock ever removed.
        assert!(
            loser_err.contains("locked by pid") || loser_err.contains("taking over"),
            "race {race}: {loser_err}"
        );
        if let (Some(h), true) = (&host, loser_err.contains("locked by pid")) {
            assert!(
                loser_err.contains(&format!("on host {h}")),
                "race {race}: the lock names its host: {loser_err}"
            );
        }
        assert!(
            !out.join(".cashmatch.lock").exists(),
            "race {race}: the winner released its lock, nobody else's"
        );
        let leftovers: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "race {race}: {leftovers:?}");
        if race % 6 == 0 {
            run_ok(cashmatch().arg("verify").arg(&out));
        }
    }
}
