//! Output formats and the lossless envelope against the real broker.

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use crate::harness::*;

fn record(
    partition: i32,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
    headers: Vec<(&str, Option<&[u8]>)>,
) -> Record {
    Record {
        partition,
        key: key.map(<[u8]>::to_vec),
        value: value.map(<[u8]>::to_vec),
        headers: headers
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.map(<[u8]>::to_vec)))
            .collect(),
        timestamp: 1_795_971_723_123,
    }
}

#[test]
fn binary_tombstones_and_headers_round_trip_through_json() {
    let topic = unique_topic("lossless");
    create_topic(&topic, 1);
    let records = vec![
        record(
            0,
            Some(&[0xff, 0x00, 0x80]),
            Some(&[0x00, 0xde, 0xad, 0xbe, 0xef]),
            vec![],
        ),
        record(
            0,
            Some(b"order-1"),
            None,
            vec![
                ("trace-id", Some(b"a")),
                ("trace-id", Some(b"b")),
                ("nul", None),
            ],
        ),
        record(0, None, Some(b"null"), vec![("bin", Some(&[0xc3, 0x28]))]),
        record(
            0,
            Some(b"{\"id\":1}"),
            Some(b"{\"a\": 1,  \"b\": [1.50]}"),
            vec![],
        ),
        record(0, Some(b""), Some(b""), vec![]),
        record(0, Some(b"k"), Some(b"multi\nline"), vec![]),
        record(0, Some(b"k"), Some(&[0, 0, 0, 0, 9, b'{', b'}']), vec![]),
    ];
    produce(&topic, &records);
    let run = evt(&["read", &topic, "--format", "json"]);
    run.ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), records.len());
    for (line, sent) in lines.iter().zip(&records) {
        let event = parse_envelope(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(event.key, sent.key, "{line}");
        assert_eq!(event.value, sent.value, "{line}");
        assert_eq!(event.timestamp, Some(sent.timestamp), "{line}");
        let headers: Vec<(String, Option<Vec<u8>>)> = event
            .headers
            .into_iter()
            .map(|h| (h.name, h.value))
            .collect();
        assert_eq!(headers, sent.headers, "{line}");
    }
    assert!(
        lines[1].contains(r#""value":null}"#),
        "tombstone: {}",
        lines[1]
    );
    assert!(
        lines[2].contains(r#""value":null,"value_encoding":"json""#),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains(r#""value":{"a": 1,  "b": [1.50]}"#),
        "verbatim JSON: {}",
        lines[3]
    );
    assert!(
        lines[6].contains(r#""value_schema_id":9,"value":{}"#),
        "{}",
        lines[6]
    );
}

#[test]
fn value_format_prints_payloads_only() {
    let topic = unique_topic("value");
    create_topic(&topic, 1);
    produce(
        &topic,
        &[
            record(0, None, Some(b"{\"a\":1}"), vec![]),
            record(0, None, None, vec![]),
        ],
    );
    let run = evt(&["read", &topic, "--format", "value"]);
    run.ok();
    assert_eq!(run.stdout, "{\"a\":1}\nnull\n");
}

#[test]
fn pretty_and_table_formats() {
    let topic = unique_topic("pretty");
    create_topic(&topic, 1);
    produce(
        &topic,
        &[record(
            0,
            Some(b"order-17"),
            Some(b"{\"status\":\"CREATED\"}"),
            vec![("trace-id", Some(b"a1b2"))],
        )],
    );
    let run = evt(&["read", &topic, "--format", "pretty"]);
    run.ok();
    assert!(
        run.stdout.starts_with(&format!(
            "{topic}/0@0  2026-11-29T17:02:03.123Z  key=order-17  trace-id=a1b2\n"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("    \"status\": \"CREATED\""),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains('\x1b'), "no colour when piped");
    let run = evt(&["read", &topic, "--format", "pretty", "--color", "always"]);
    run.ok();
    assert!(run.stdout.contains('\x1b'), "colour when asked");
    let run = evt(&["read", &topic, "--format", "table"]);
    run.ok();
    assert!(
        run.stdout.contains("order-17") && run.stdout.contains("offset"),
        "{}",
        run.stdout
    );
}

#[test]
fn closed_pipe_ends_quietly_with_exit_0() {
    let topic = unique_topic("pipe");
    create_topic(&topic, 1);
    let records: Vec<Record> = (0..20_000)
        .map(|i| Record::json(0, "k", &format!("{{\"n\":{i}}}"), 1_700_000_000_000 + i))
        .collect();
    produce(&topic, &records);
    let mut command = evt_command();
    command.args(["-b", &broker().addr, "read", &topic]);
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout); // like `| head -c 64`
    let deadline = std::time::Instant::now() + DEADLINE;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "evt kept running after the pipe closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "", "quiet");
}

/// Runs evt on a pseudo-terminal (util-linux `script`), as a person at a terminal would, in
/// the playground; what it printed, and its exit code.
fn on_terminal(args: &[&str], env: &[(&str, &str)]) -> (String, Option<i32>) {
    let evt = env!("CARGO_BIN_EXE_evt");
    let quoted: Vec<String> = std::iter::once(evt)
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect();
    let mut command = std::process::Command::new("script");
    command.args(["-qec", &quoted.join(" "), "/dev/null"]);
    command.env("EVT_CONFIG", "/nonexistent/evt-test-config.toml");
    command.env_remove("NO_COLOR").env("TERM", "xterm");
    for (k, v) in env {
        command.env(k, v);
    }
    let ran = run(command);
    (
        without_colours(&ran.stdout.replace("\r\n", "\n")),
        ran.status,
    )
}

/// The text without its SGR colour sequences (`ESC [ … m`).
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn kcat_format_strings_and_time_styles_on_a_terminal() {
    let (out, code) = on_terminal(
        &[
            "--playground",
            "read",
            "orders",
            "-c",
            "3",
            "-f",
            r"%t [%p] @%o %k %T %{time}\n",
            "--time",
            "ms",
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("orders [")).collect();
    assert_eq!(lines.len(), 3, "{out}");
    for line in lines {
        let words: Vec<&str> = line.split(' ').collect();
        assert!(words[3].starts_with("order-"), "{line}");
        assert_eq!(
            words[4], words[5],
            "%T and %{{time}} with --time ms agree: {line}"
        );
        assert!(
            words[4].len() == 13 && words[4].parse::<i64>().is_ok(),
            "{line}"
        );
    }
    let (out, code) = on_terminal(
        &[
            "--playground",
            "read",
            "orders",
            "-c",
            "2",
            "--format",
            "compact",
            "--time",
            "relative",
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        out.lines()
            .filter(|l| l.contains(" ago ") && l.contains("orders/"))
            .count(),
        2,
        "{out}"
    );
    let (out, _) = on_terminal(
        &[
            "--playground",
            "read",
            "orders",
            "-c",
            "1",
            "--format",
            "compact",
            "--time",
            "local",
        ],
        &[("TZ", "Asia/Kolkata")],
    );
    assert!(out.contains("+05:30 orders/"), "{out}");
}

#[test]
fn templates_piped_write_bytes_as_they_are_and_bad_ones_are_refused() {
    let topic = unique_topic("template");
    create_topic(&topic, 1);
    produce(
        &topic,
        &[
            record(
                0,
                Some(b"k1"),
                Some(br#"{"id":1,"who":{"name":"ann"}}"#),
                vec![("h", Some(&b"v"[..]))],
            ),
            record(0, None, Some(&[0, 0, 0, 0, 7, 0xde, 0xad]), vec![]),
        ],
    );
    let templated = evt(&["read", &topic, "-f", r"%k|%s|%K|%S|%h|%{.who.name}\n"]);
    assert_eq!(
        templated.ok().stdout.lines().next(),
        Some(r#"k1|{"id":1,"who":{"name":"ann"}}|2|29|h=v|ann"#)
    );
    let mut command = evt_command();
    command.args([
        "-b",
        &broker().addr,
        "read",
        &topic,
        "--format",
        "template=%s",
    ]);
    let value = run_limited(command, DEADLINE, None);
    let mut raw = Vec::new();
    raw.extend_from_slice(br#"{"id":1,"who":{"name":"ann"}}"#);
    raw.extend_from_slice(&[0, 0, 0, 0, 7, 0xde, 0xad]);
    assert_eq!(value.bytes, raw, "piped: the bytes as they are");
    let table = evt(&["read", &topic, "--format", "table"]);
    assert!(
        table.ok().stdout.contains("schema-id 7, 2 bytes: de ad"),
        "{}",
        table.stdout
    );
    let bad = evt(&["read", &topic, "-f", "%q"]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("unknown token %q"), "{}", bad.stderr);
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
}
