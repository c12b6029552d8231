//! Records too large for the producer: `evt produce` and `evt replay` deliver and count
//! everything before one, name it (file:line or topic/partition@offset) with its size and the
//! setting to raise, exit 2, leave a checkpoint that resumes correctly, and skip it with
//! `--skip-bad`. Also: `--rate` must be positive.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::*;

/// Every command here ends within this (tansu is slow only with many records).
const LIMIT: Duration = Duration::from_secs(60);
/// Small records on each side of the large one.
const AROUND: usize = 300;

/// Runs evt with a hard deadline: (exit code, stdout lines, stderr).
fn bounded(args: &[&str]) -> (Option<i32>, Vec<String>, String) {
    let started = Instant::now();
    let child = spawn_evt(args);
    let mut lines = Vec::new();
    while let Some(line) = child.try_line(LIMIT.saturating_sub(started.elapsed())) {
        lines.push(line);
    }
    let (code, stderr) = child.wait_with_stderr(LIMIT.saturating_sub(started.elapsed()));
    (code, lines, stderr)
}

/// The keys of every record of `topic`, in offset order (one partition).
fn keys_of(topic: &str) -> Vec<String> {
    let (code, lines, stderr) = bounded(&["read", topic, "--format", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    lines
        .iter()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            e["key"].as_str().unwrap().to_string()
        })
        .collect()
}

/// `AROUND` small lines, one line with a `big`-byte value at line `AROUND + 1`, `AROUND`
/// more; the keys they carry, in order.
fn write_dump(path: &Path, big: usize) -> Vec<String> {
    let mut text = String::new();
    let mut keys = Vec::new();
    for n in 0..AROUND {
        text.push_str(&format!("{{\"key\":\"k{n}\",\"value\":{{\"n\":{n}}}}}\n"));
        keys.push(format!("k{n}"));
    }
    text.push_str(&format!(
        "{{\"key\":\"big\",\"value\":\"{}\"}}\n",
        "x".repeat(big)
    ));
    keys.push("big".into());
    for n in AROUND..2 * AROUND {
        text.push_str(&format!("{{\"key\":\"k{n}\",\"value\":{{\"n\":{n}}}}}\n"));
        keys.push(format!("k{n}"));
    }
    std::fs::write(path, text).unwrap();
    keys
}

fn without_big(keys: &[String]) -> Vec<String> {
    keys.iter().filter(|k| *k != "big").cloned().collect()
}

#[test]
fn produce_writes_everything_before_a_record_too_large_and_names_it() {
    let topic = unique_topic("toolarge");
    create_topic(&topic, 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dump.jsonl");
    let keys = write_dump(&file, 2 * 1024 * 1024);
    let path = file.to_str().unwrap();

    let (code, _, stderr) = bounded(&["produce", &topic, path]);
    assert_eq!(code, Some(2), "input the broker never accepts: {stderr}");
    let line = AROUND + 1;
    assert!(
        stderr.contains(&format!("record {path}:{line} is 2,097,"))
            && stderr.contains("message.max.bytes=1000000")
            && stderr.contains("-X message.max.bytes=")
            && stderr.contains("--skip-bad"),
        "names the line, its size, the limit and what to do:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("wrote {AROUND} event(s)")),
        "{stderr}"
    );
    assert_eq!(
        keys_of(&topic),
        keys[..AROUND],
        "exactly the lines before it, in order"
    );
}

#[test]
fn produce_skip_bad_skips_a_record_too_large() {
    let topic = unique_topic("toolargeskip");
    create_topic(&topic, 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dump.jsonl");
    let keys = write_dump(&file, 2 * 1024 * 1024);
    let path = file.to_str().unwrap();

    let (code, _, stderr) = bounded(&["produce", &topic, path, "--skip-bad"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("record {path}:{} is 2,097,", AROUND + 1))
            && stderr.contains("skipped (--skip-bad)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "wrote {} event(s) to '{topic}', 1 too large record(s) skipped",
            2 * AROUND
        )),
        "{stderr}"
    );
    assert_eq!(keys_of(&topic), without_big(&keys));
}

/// A one-partition topic holding the dump with a 1.5 MB record at offset `AROUND`, written
/// with the limit raised as the error message advises.
fn source_with_a_large_record(dir: &Path) -> (String, Vec<String>) {
    let topic = unique_topic("largesrc");
    create_topic(&topic, 1);
    let file = dir.join("source.jsonl");
    let keys = write_dump(&file, 1_500_000);
    let (code, _, stderr) = bounded(&[
        "-X",
        "message.max.bytes=2000000",
        "produce",
        &topic,
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "raising the limit lets it through: {stderr}");
    assert_eq!(keys_of(&topic).len(), 2 * AROUND + 1);
    (topic, keys)
}

#[test]
fn replay_stops_at_a_record_too_large_with_a_checkpoint_and_resumes_or_skips() {
    let dir = tempfile::tempdir().unwrap();
    let (source, keys) = source_with_a_large_record(dir.path());

    // Stopped at the large record: what came before is written, the checkpoint points at it.
    let target = unique_topic("largesandbox");
    let checkpoint = dir.path().join("cp.json");
    let cp = checkpoint.to_str().unwrap();
    let replay = |target: &str, extra: &[&str]| {
        let mut args = vec!["replay", &source, "--to", target, "--checkpoint", cp];
        args.extend_from_slice(extra);
        bounded(&args)
    };
    let (code, _, stderr) = replay(&target, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("record {source}/0@{AROUND} is 1,500,"))
            && stderr.contains("message.max.bytes=1000000")
            && stderr.contains("--skip-bad"),
        "names partition@offset, size and setting:\n{stderr}"
    );
    assert!(stderr.contains(&format!("written {AROUND}")), "{stderr}");
    assert_eq!(keys_of(&target), keys[..AROUND]);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    assert_eq!(
        saved["partitions"][0]["next_offset"], AROUND as i64,
        "{saved}"
    );

    // The same again with the limit raised continues at the large record: nothing doubled.
    let (code, _, stderr) = replay(
        &target,
        &["--resume", cp, "-X", "message.max.bytes=2000000"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(keys_of(&target), keys);
    assert!(
        !checkpoint.exists(),
        "a finished replay removes its checkpoint"
    );

    // With --skip-bad from a fresh stop: the large record is skipped, counted, the rest goes on.
    let skipped = unique_topic("largeskip");
    let (code, _, stderr) = replay(&skipped, &[]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, _, stderr) = replay(&skipped, &["--resume", cp, "--skip-bad"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("record {source}/0@{AROUND} is 1,500,"))
            && stderr.contains("skipped 1 (--skip-bad)"),
        "{stderr}"
    );
    assert_eq!(keys_of(&skipped), without_big(&keys));
}

#[test]
fn a_rate_must_be_positive() {
    for rate in ["0/s", "0", "--rate=-5/s"] {
        let args: Vec<&str> = if rate.starts_with("--") {
            vec!["replay", "nowhere", "--to", "sandbox", rate]
        } else {
            vec!["replay", "nowhere", "--to", "sandbox", "--rate", rate]
        };
        let (code, _, stderr) = bounded(&args);
        assert_eq!(code, Some(2), "{rate}: {stderr}");
        assert!(
            stderr.contains("more than zero") || stderr.contains("is not a rate"),
            "{rate}: {stderr}"
        );
    }
}

#[test]
fn replay_from_a_file_skips_malformed_lines_with_skip_bad() {
    let target = unique_topic("fileskip");
    create_topic(&target, 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    std::fs::write(
        &file,
        "{\"key\":\"a\",\"value\":1}\n{oops\n{\"key\":\"b\",\"value\":2}\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let (code, _, stderr) = bounded(&["replay", path, "--to", &target]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{path}:2: not an envelope")),
        "{stderr}"
    );
    let (code, _, stderr) = bounded(&["replay", path, "--to", &target, "--append", "--skip-bad"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("{path}:2: not an envelope"))
            && stderr.contains("skipped 1 (--skip-bad)"),
        "{stderr}"
    );
    let keys = keys_of(&target);
    assert_eq!(keys[keys.len() - 2..], ["a", "b"], "{keys:?}");
}
