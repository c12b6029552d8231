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
