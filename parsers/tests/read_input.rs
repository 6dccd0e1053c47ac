//! Bounded input reading (RELIABILITY B1-5): only regular files are read,
//! never more than the configured cap.

use cashmatch_parsers::{parse_path, read_input, read_input_limited, ParseOptions};
use std::io::ErrorKind;
use std::time::{Duration, Instant};

/// A FIFO used to block `read_input` forever (opening it waits for a
/// writer); `/dev/zero` used to be read until memory ran out. Both are now
/// refused before a byte is read.
#[cfg(unix)]
#[test]
fn fifo_and_dev_zero_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("statement.mt940");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let e = read_input(&fifo).err().expect("a FIFO is refused");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("not a regular file (a FIFO)"), "{e}");
    let e = read_input(std::path::Path::new("/dev/zero"))
        .err()
        .expect("a device is refused");
    assert!(
        e.to_string().contains("not a regular file (a device)"),
        "{e}"
    );
    let e = parse_path(&fifo, &ParseOptions::default()).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let e = read_input(dir.path())
        .err()
        .expect("a directory is refused");
    assert!(e.to_string().contains("a directory"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// Small files are read with a bound; large ones are mapped; both are
/// refused over the cap, naming the setting.
#[test]
fn reads_are_bounded_by_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.csv");
    std::fs::write(&small, vec![b'x'; 100]).unwrap();
    assert_eq!(read_input_limited(&small, 100).unwrap().len(), 100);
    let e = read_input_limited(&small, 99).err().expect("over the cap");
    assert!(e.to_string().contains("limits.file_bytes_max"), "{e}");
    let large = dir.path().join("large.csv");
    std::fs::write(&large, vec![b'y'; 200_000]).unwrap();
    assert_eq!(read_input_limited(&large, 200_000).unwrap().len(), 200_000);
    assert!(read_input_limited(&large, 199_999).is_err());
}
