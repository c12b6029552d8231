//! Hardening against hostile input (issue 10): a value nested too deeply for jq is skipped
//! with its origin while the other events pass; jq programs that never end are stopped by a
//! step budget, by Ctrl-C, by `-c` and by a closed stdout; deep valid JSON stays JSON; the
//! pretty printer stays bounded; and terminal control or bidi characters in events never
//! reach stdout raw in pretty or table output, while json and value output keep every byte.
//!
//! Every evt run here has a hard deadline and, where memory matters, an address-space cap,
//! so a regression (a stack overflow, an endless loop, a runaway allocation) fails the test
//! instead of hanging it or exhausting the machine.

use std::io::{BufRead, Read};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::harness::*;

/// The default hard limit for one run.
const QUICK: Duration = Duration::from_secs(20);

fn gib() -> u64 {
    memory_cap(1024 * MIB)
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        pipe.read_to_end(&mut text).ok();
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// Waits for `child` until `deadline` after `started`; kills it and fails after that.
fn wait_or_kill(
    child: &mut std::process::Child,
    started: Instant,
    deadline: Duration,
    stderr: std::thread::JoinHandle<String>,
) -> (std::process::ExitStatus, String) {
    loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            return (status, stderr.join().expect("stderr reader"));
        }
        if started.elapsed() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!(
                "evt did not exit within {deadline:?}; stderr:\n{}",
                stderr.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `evt ARGS` on files (no broker), with a deadline and a memory cap.
fn evt_files(args: &[&str], deadline: Duration, memory: u64) -> Out {
    let mut command = evt_command();
    command.args(args);
    run_capped(command, deadline, memory)
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// A JSON Lines file: a normal event, a value nested 10,000 levels deep, another normal one.
fn poison_file(dir: &Path) -> String {
    let path = dir.join("poison.jsonl");
    let text = format!("{{\"id\":1}}\n{}\n{{\"id\":3}}\n", nested(10_000));
    std::fs::write(&path, text).expect("a test file");
    path.to_str().expect("a UTF-8 path").to_string()
}

const DEPTH_MESSAGE: &str =
    "nested at least 1001 levels deep, more than jq may look into (1000); event skipped";
const SKIPPED_SUMMARY: &str = "1 event(s) were skipped because jq could not safely look into them";

/// The run skipped exactly the poison event, named by `origin`, and went on.
fn skipped_poison(run: &Run, origin: &str) {
    run.ok();
    let reports: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("levels deep"))
        .collect();
    assert_eq!(reports.len(), 1, "one report:\n{}", run.stderr);
    assert!(
        reports[0].starts_with(&format!("evt: {origin}: the "))
            && reports[0].contains(DEPTH_MESSAGE),
        "names the origin and the depth: {}",
        reports[0]
    );
    assert!(
        run.stderr.contains(SKIPPED_SUMMARY),
        "the summary counts it:\n{}",
        run.stderr
    );
}

#[test]
fn a_value_too_deep_for_jq_is_skipped_with_its_origin_and_the_rest_passes() {
    let dir = tempfile::tempdir().unwrap();
    let file = poison_file(dir.path());
    for filter in ["--where", "--where-envelope"] {
        let out = evt_files(&["read", &file, filter, "."], QUICK, gib());
        skipped_poison(&out.run, &format!("{file}:2"));
        let ids: Vec<serde_json::Value> = out
            .run
            .envelopes()
            .iter()
            .map(|e| e["value"]["id"].clone())
            .collect();
        assert_eq!(ids, [1, 3], "{filter}: both normal events printed");
    }
    let out = evt_files(&["read", &file, "--jq", "."], QUICK, gib());
    skipped_poison(&out.run, &format!("{file}:2"));
    assert_eq!(out.run.stdout, "{\"id\":1}\n{\"id\":3}\n");
    // Without jq nothing needs skipping: the deep value is printed whole.
    let out = evt_files(&["read", &file, "--format", "value"], QUICK, gib());
    out.run.ok();
    assert_eq!(
        out.run.stdout,
        std::fs::read_to_string(&file).unwrap(),
        "value output is byte for byte"
    );
}

#[test]
fn pretty_prints_a_100000_deep_value_in_bounded_time_memory_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.jsonl");
    std::fs::write(&path, format!("{}\n", nested(100_000))).unwrap();
    let out = evt_files(
        &["read", path.to_str().unwrap(), "--format", "pretty"],
        QUICK,
        gib(),
    );
    out.run.ok();
    assert!(
        out.run.elapsed < Duration::from_secs(10),
        "{:?}",
        out.run.elapsed
    );
    assert!(out.bytes.len() < 3_000_000, "{} bytes", out.bytes.len());
    // Levels past 64 stay on one line: a header, 2 × 64 indented lines and a few more.
    let lines = out.run.stdout.lines().count();
    assert!(lines < 200, "{lines} lines");
    assert!(
        out.run.stdout.contains(&nested(1_000)),
        "the deep part is shown"
    );
}

#[test]
fn pretty_cuts_a_huge_value_at_one_mebibyte_with_a_marker() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let items = vec!["\"abcdefgh\""; 300_000].join(",");
    let line = format!("{{\"xs\":[{items}]}}");
    std::fs::write(&path, format!("{line}\n")).unwrap();
    let out = evt_files(
        &["read", path.to_str().unwrap(), "--format", "pretty"],
        QUICK,
        gib(),
    );
    out.run.ok();
    assert!(out.bytes.len() < 1_100_000, "{} bytes", out.bytes.len());
    assert_eq!(line.len(), 3_300_008);
    let marker = "… (cut: the value is 3,300,008 bytes; --format value or json shows it whole)";
    assert!(
        out.run.stdout.trim_end().ends_with(marker),
        "ends with the marker: {}",
        &out.run.stdout[out.run.stdout.len().saturating_sub(300)..]
    );
}

/// The 300-deep array in an envelope line, parsed without serde_json's 128-level limit.
fn deep_value_of(line: &str) -> usize {
    let mut parser = serde_json::Deserializer::from_str(line);
    parser.disable_recursion_limit();
    let envelope = serde_json::Value::deserialize(&mut parser).expect("the envelope is JSON");
    assert!(envelope.get("value_encoding").is_none(), "{line}");
    let mut value = &envelope["value"];
    let mut depth = 0;
    while let Some(items) = value.as_array() {
        depth += 1;
        match items.as_slice() {
            [inner] => value = inner,
            [] => break,
            _ => panic!("one element per level: {line}"),
        }
    }
    depth
}

#[test]
fn deep_valid_json_stays_json() {
    // A record's payload is classified by evt (a file line is already parsed as JSON).
    let topic = unique_topic("deep-json");
    create_topic(&topic, 1);
    produce(
        &topic,
        &[Record::json(
            0,
            "k",
            &nested(300),
            ms("2026-03-01T00:00:00Z"),
        )],
    );
    let read = |format: &str| {
        let mut command = evt_command();
        command
            .args(["-b", &broker().addr])
            .args(["read", &topic, "--format", format]);
        run_capped(command, DEADLINE, gib())
    };
    let out = read("json");
    out.run.ok();
    assert_eq!(deep_value_of(out.run.stdout.trim_end()), 300);
    // pretty shows it as JSON too, not as a quoted string.
    let out = read("pretty");
    out.run.ok();
    assert!(
        out.run.stdout.contains("\n  [\n    [\n"),
        "{}",
        out.run.stdout
    );
    assert!(!out.run.stdout.contains("\"[[["), "{}", out.run.stdout);
    // The same value in a file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d300.jsonl");
    std::fs::write(&path, format!("{}\n", nested(300))).unwrap();
    let out = evt_files(
        &["read", path.to_str().unwrap(), "--format", "json"],
        QUICK,
        gib(),
    );
    out.run.ok();
    assert_eq!(deep_value_of(out.run.stdout.trim_end()), 300);
}

#[test]
fn a_poison_record_on_a_topic_is_skipped_with_its_origin() {
    let topic = unique_topic("poison");
    create_topic(&topic, 1);
    let ts = ms("2026-03-01T00:00:00Z");
    let deep = nested(10_000);
    produce(
        &topic,
        &[
            Record::json(0, "k0", r#"{"id":1}"#, ts),
            Record::json(0, "k1", &deep, ts + 1),
            Record::json(0, "k2", r#"{"id":3}"#, ts + 2),
        ],
    );
    let mut command = evt_command();
    command
        .args(["-b", &broker().addr])
        .args(["read", &topic, "--where", "."]);
    let out = run_capped(command, DEADLINE, gib());
    skipped_poison(&out.run, &format!("{topic}/0@1"));
    assert_eq!(out.run.keys(), ["k0", "k2"]);
}

#[test]
fn a_poison_record_on_the_playground_is_skipped_with_its_origin() {
    let dir = tempfile::tempdir().unwrap();
    let file = poison_file(dir.path());
    let config = dir.path().join("config.toml");
    let evt_in = |args: &[&str]| {
        let mut command = evt_command();
        command.env("EVT_CONFIG", &config).args(args);
        command
    };
    let mut playground = Spawned::start(evt_in(&[
        "playground",
        "--history",
        "0s",
        "--rate",
        "0",
        "--topic",
        "poison:1",
    ]));
    playground.wait_for_stderr("Ctrl-C to stop", DEADLINE);
    let addr = playground.line(DEADLINE);
    let produced = run_capped(
        evt_in(&["-b", &addr, "produce", "poison", "--values", &file]),
        QUICK,
        gib(),
    );
    produced.run.ok();
    let out = run_capped(
        evt_in(&["-b", &addr, "read", "poison", "--where", "."]),
        QUICK,
        gib(),
    );
    skipped_poison(&out.run, "poison/0@1");
    assert_eq!(out.run.positions(), [(0, 0), (0, 2)]);
    playground.interrupt();
    assert_eq!(playground.wait(DEADLINE), Some(0));
}

fn two_events(dir: &Path) -> String {
    let path = dir.join("two.jsonl");
    std::fs::write(&path, "{\"id\":1}\n{\"id\":2}\n").unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn an_endless_jq_loop_is_stopped_per_event_by_the_step_budget() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_events(dir.path());
    // The budget (5,000,000 steps) takes about half a second per event in a release build
    // and a few seconds in the test build: the deadline allows for the latter.
    let out = evt_files(
        &["read", &file, "--where", "def f: f; f"],
        Duration::from_secs(45),
        gib(),
    );
    out.run.ok();
    assert!(out.run.stdout.is_empty(), "{}", out.run.stdout);
    for line in [format!("{file}:1"), format!("{file}:2")] {
        assert!(
            out.run.stderr.contains(&format!(
                "evt: {line}: --where 'def f: f; f' did not finish within the step budget \
                 (an endless loop?); event skipped"
            )),
            "{line} reported:\n{}",
            out.run.stderr
        );
    }
    assert!(
        out.run
            .stderr
            .contains("2 event(s) were skipped because jq could not safely look into them"),
        "{}",
        out.run.stderr
    );
    // Endless recursion that builds values is stopped by the stack limit, at once.
    let out = evt_files(&["read", &file, "--where", "def f: [f]; f"], QUICK, gib());
    out.run.ok();
    assert_eq!(
        out.run
            .stderr
            .matches("recursed too deeply; event skipped")
            .count(),
        2,
        "{}",
        out.run.stderr
    );
    assert!(
        out.run.elapsed < Duration::from_secs(10),
        "{:?}",
        out.run.elapsed
    );
}

#[test]
fn ctrl_c_stops_a_long_jq_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_events(dir.path());
    let mut command = evt_command();
    command.args(["read", &file, "--where", "def f: f; f"]);
    let started = Instant::now();
    let evt = Spawned::start(command);
    // evt prints nothing while it loops: give it time to start and enter the loop.
    std::thread::sleep(Duration::from_millis(500).saturating_sub(started.elapsed()));
    let interrupted = Instant::now();
    evt.interrupt();
    let (code, stderr) = evt.wait_with_stderr(Duration::from_secs(2));
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        interrupted.elapsed() < Duration::from_secs(2),
        "{:?}",
        interrupted.elapsed()
    );
}

#[test]
fn an_endless_jq_stream_stops_at_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_events(dir.path());
    let out = evt_files(
        &["read", &file, "--jq", "range(1e9)", "-c", "5"],
        QUICK,
        memory_cap(512 * MIB),
    );
    out.run.ok();
    assert_eq!(out.run.stdout, "0\n1\n2\n3\n4\n");
}

#[test]
fn an_endless_jq_stream_stops_when_stdout_closes() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_events(dir.path());
    let mut command = evt_command();
    command.args(["read", &file, "--jq", "range(1e9)"]);
    cap_memory(&mut command, memory_cap(512 * MIB));
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("evt starts");
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    {
        // As `| head -3` does: read three lines, then close the pipe.
        let mut stdout = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
        for want in ["0", "1", "2"] {
            let mut line = String::new();
            stdout.read_line(&mut line).expect("a line");
            assert_eq!(line.trim_end(), want);
        }
    }
    let (status, stderr) = wait_or_kill(&mut child, started, QUICK, stderr);
    assert_eq!(status.code(), Some(0), "ends quietly: {stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Terminal control and bidi characters: an OSC title change, a screen clear, a carriage
/// return, a backspace, a right-to-left override, a C1 CSI and DEL.
const NASTY: &str = "A\u{1b}]0;pwned\u{7}B\u{1b}[2JC\rD\u{8}E\u{202e}F\u{9b}G\u{7f}H";

/// Characters that must never reach a terminal raw from pretty or table output.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c < ' ' && c != '\n')
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{61c}')
        })
        .collect()
}

/// An envelope with NASTY in topic, key, header name and value and a text value; one with a
/// JSON key and a JSON value holding it in names and strings (control characters escaped as
/// JSON requires, the others raw); and a file of one plain text line.
fn injection_files(dir: &Path) -> (String, String, serde_json::Value) {
    let text = serde_json::json!({
        "topic": format!("t{NASTY}"),
        "partition": 0,
        "offset": 5,
        "timestamp": "2026-01-01T00:00:00Z",
        "key": format!("k{NASTY}"),
        "headers": [[format!("h{NASTY}"), format!("v{NASTY}")], ["plain", "x"]],
        "value": format!("val{NASTY}"),
        "value_encoding": "text",
    });
    let json = serde_json::json!({
        "key": {format!("k{NASTY}"): 1},
        "key_encoding": "json",
        "headers": [],
        "value": {format!("j{NASTY}"): format!("s{NASTY}")},
    });
    let envelopes = dir.join("inj.jsonl");
    std::fs::write(&envelopes, format!("{text}\n{json}\n")).unwrap();
    let plain = dir.join(format!("plain{NASTY}.txt"));
    std::fs::write(&plain, format!("text{NASTY}\n")).unwrap();
    (
        envelopes.to_str().unwrap().to_string(),
        plain.to_str().unwrap().to_string(),
        text,
    )
}

#[test]
fn pretty_and_table_never_print_terminal_controls_raw() {
    let dir = tempfile::tempdir().unwrap();
    let (envelopes, plain, _) = injection_files(dir.path());
    for format in ["pretty", "table"] {
        for args in [
            vec!["read", envelopes.as_str()],
            vec!["read", plain.as_str(), "--input", "values"],
        ] {
            let mut args = args.clone();
            args.extend(["--format", format]);
            let out = evt_files(&args, QUICK, gib());
            out.run.ok();
            let stdout = String::from_utf8(out.bytes).expect("UTF-8 output");
            assert!(
                stdout.contains("pwned"),
                "{args:?}: the text is shown:\n{stdout}"
            );
            assert_eq!(
                raw_controls(&stdout),
                [] as [char; 0],
                "{args:?} printed raw controls:\n{}",
                stdout.escape_debug()
            );
        }
    }
    // Everything a pretty header shows: topic, key, header name and value, file name.
    let out = evt_files(&["read", &envelopes, "--format", "pretty"], QUICK, gib());
    for part in ["tA", "kA", "hA", "vA", "valA", "jA", "sA"] {
        assert!(out.run.stdout.contains(part), "{part}: {}", out.run.stdout);
    }
    let out = evt_files(
        &["read", &plain, "--input", "values", "--format", "pretty"],
        QUICK,
        gib(),
    );
    let header = out.run.stdout.lines().next().unwrap_or_default();
    assert!(header.contains("plainA"), "the file name: {header}");
}

#[test]
fn json_and_value_output_keep_every_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (envelopes, plain, text) = injection_files(dir.path());
    let out = evt_files(&["read", &envelopes, "--format", "json"], QUICK, gib());
    out.run.ok();
    let printed = out.run.envelopes();
    assert_eq!(printed.len(), 2, "{}", out.run.stdout);
    for field in ["topic", "key", "headers", "value", "value_encoding"] {
        assert_eq!(printed[0][field], text[field], "{field}");
    }
    let key = format!("k{NASTY}");
    assert_eq!(printed[1]["key"][&key], 1, "{}", out.run.stdout);
    assert_eq!(
        printed[1]["value"][format!("j{NASTY}")],
        format!("s{NASTY}"),
        "{}",
        out.run.stdout
    );

    let out = evt_files(&["read", &envelopes, "--format", "value"], QUICK, gib());
    out.run.ok();
    let source = std::fs::read_to_string(&envelopes).unwrap();
    let json_value =
        serde_json::to_string(&serde_json::json!({format!("j{NASTY}"): format!("s{NASTY}")}))
            .unwrap();
    assert!(source.contains(&json_value), "the value's exact text");
    assert_eq!(
        out.bytes,
        format!("val{NASTY}\n{json_value}\n").into_bytes(),
        "{}",
        out.run.stdout.escape_debug()
    );
    let out = evt_files(
        &["read", &plain, "--input", "values", "--format", "value"],
        QUICK,
        gib(),
    );
    out.run.ok();
    assert_eq!(out.bytes, format!("text{NASTY}\n").into_bytes());
}

/// A program that builds a value as deep as its budget allows (two steps a level, about 2.5
/// million levels) is stopped by the budget, and dropping that value does not overflow the
/// stack (it aborted evt before).
#[test]
fn a_jq_program_that_builds_a_very_deep_value_is_stopped_not_crashed() {
    let dir = tempfile::tempdir().unwrap();
    let file = two_events(dir.path());
    let program = "reduce range(1e8) as $i (0; [.]) | true";
    let out = evt_files(
        &["read", &file, "--where", program],
        Duration::from_secs(45),
        gib(),
    );
    out.run.ok();
    assert!(out.run.stdout.is_empty(), "{}", out.run.stdout);
    assert_eq!(
        out.run
            .stderr
            .matches("did not finish within the step budget")
            .count(),
        2,
        "{}",
        out.run.stderr
    );
    // Shallower, within the budget: the program runs to its end and the events match.
    let out = evt_files(
        &[
            "read",
            &file,
            "--where",
            "reduce range(100000) as $i (0; [.]) | true",
            "--format",
            "value",
        ],
        Duration::from_secs(45),
        gib(),
    );
    out.run.ok();
    assert_eq!(out.run.stdout.lines().count(), 2, "{}", out.run.stderr);
}

/// An event that makes a program allocate without bound (a string repeated by a number it
/// holds, a value that doubles each step) is stopped by the memory budget and reported; it
/// used to take 20 GB.
#[test]
fn a_jq_program_that_would_exhaust_memory_is_stopped_by_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("amp.jsonl");
    std::fs::write(
        &file,
        "{\"s\":\"xy\",\"n\":10000000000}\n{\"s\":\"ok\",\"n\":3}\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let out = evt_files(&["read", file, "--jq", ".s * .n | length"], QUICK, gib());
    out.run.ok();
    assert_eq!(out.run.stdout.trim(), "6", "{}", out.run.stderr);
    assert!(
        out.run.stderr.contains(&format!(
            "evt: {file}:1: --jq '.s * .n | length' would allocate more than 1 GiB"
        )),
        "{}",
        out.run.stderr
    );
    let out = evt_files(
        &[
            "read",
            file,
            "--where",
            "reduce range(40) as $i ([1]; . + .) | true",
        ],
        Duration::from_secs(45),
        memory_cap(2048 * MIB),
    );
    out.run.ok();
    assert_eq!(
        out.run
            .stderr
            .matches("would allocate more than 1 GiB")
            .count(),
        2,
        "{}",
        out.run.stderr
    );
}
