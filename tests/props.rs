//! Property tests for the two grammars evt reads from people and files it does not control:
//! the envelope (`Event::from_envelope`, and its round trip with `to_envelope`) and positions
//! (`--from`/`--until`). Case counts are bounded so the whole target runs in a few seconds.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use evt::event::{Event, Header, Origin, TimestampType};
use evt::position::{parse_duration, Position};
use proptest::prelude::*;

fn origin() -> Origin {
    Origin::Line {
        file: Arc::from("props.jsonl"),
        line: 1,
    }
}

/// Epoch milliseconds of years 0000..=9999, which RFC 3339 (so the envelope) can state.
const FIRST_MS: i64 = -62_167_219_200_000;
const LAST_MS: i64 = 253_402_300_799_999;

/// Bytes as records really hold them: JSON of every shape, text, binary, Confluent framing.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    let json = json_value(3).prop_map(|v| v.to_string().into_bytes());
    let pretty = json_value(2).prop_map(|v| {
        serde_json::to_string_pretty(&v)
            .expect("JSON serialises")
            .into_bytes()
    });
    let text = any::<String>().prop_map(String::into_bytes);
    let binary = proptest::collection::vec(any::<u8>(), 0..64);
    let confluent = (1..=i32::MAX, json_value(2)).prop_map(|(id, v)| {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&id.to_be_bytes());
        bytes.extend_from_slice(v.to_string().as_bytes());
        bytes
    });
    prop_oneof![
        json,
        pretty,
        text,
        binary,
        confluent,
        Just(b"null".to_vec()),
        Just(b" {\"a\":1}".to_vec()),
        Just(b"{\"a\":1} ".to_vec()),
        Just(b"[1]\t".to_vec()),
        Just(Vec::new()),
    ]
}

fn json_value(depth: u32) -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(depth, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn event() -> impl Strategy<Value = Event> {
    let header = (
        any::<String>(),
        proptest::option::of(prop_oneof![
            any::<String>().prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..16),
        ]),
    )
        .prop_map(|(name, value)| Header { name, value });
    let timing = proptest::option::of((
        FIRST_MS..=LAST_MS,
        prop_oneof![Just(TimestampType::Create), Just(TimestampType::LogAppend)],
    ));
    (
        proptest::option::of(any::<String>()),
        proptest::option::of(any::<i32>()),
        proptest::option::of(any::<i64>()),
        timing,
        proptest::option::of(payload()),
        proptest::option::of(payload()),
        proptest::collection::vec(header, 0..4),
    )
        .prop_map(
            |(topic, partition, offset, timing, key, value, headers)| Event {
                topic: topic.map(Arc::from),
                partition,
                offset,
                timestamp: timing.map(|(ms, _)| ms),
                // Without a timestamp there is no type to state: the envelope omits it.
                timestamp_type: timing.map_or(TimestampType::Create, |(_, t)| t),
                key,
                value,
                headers,
                ..Event::new(origin())
            },
        )
}

/// Text made of the pieces envelopes are made of, so mutations reach past the first brace.
fn envelope_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("null".to_string()),
        Just("\"key\"".to_string()),
        Just("\"value\"".to_string()),
        Just("\"headers\"".to_string()),
        Just("\"timestamp\"".to_string()),
        Just("\"2026-11-24T10:00:00Z\"".to_string()),
        Just("\"key_encoding\":\"base64\"".to_string()),
        Just("\"value_encoding\":\"json\"".to_string()),
        Just("\"value_encoding\":\"text\"".to_string()),
        Just("\"value_schema_id\":7".to_string()),
        Just("{\"base64\":\"AA==\"}".to_string()),
        Just("\"partition\":2147483648".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<String>().prop_map(|s| serde_json::Value::from(s).to_string()),
        any::<String>(),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn envelope_round_trip_is_identity(event in event()) {
        let line = event.to_envelope();
        prop_assert!(!line.contains('\n'), "one line: {line}");
        let back = Event::from_envelope(&line, origin());
        prop_assert_eq!(back.as_ref(), Ok(&event), "{}", line);
    }

    #[test]
    fn an_envelope_line_is_a_json_object(event in event()) {
        let line = event.to_envelope();
        let parsed: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| TestCaseError::fail(format!("{e}: {line}")))?;
        prop_assert!(parsed.is_object());
    }

    /// Any timestamp at all: stated when RFC 3339 can hold it, otherwise left out (null).
    #[test]
    fn any_timestamp_round_trips_or_is_left_out(ms in any::<i64>()) {
        let event = Event { timestamp: Some(ms), ..Event::new(origin()) };
        let back = Event::from_envelope(&event.to_envelope(), origin())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let stated = (FIRST_MS..=LAST_MS).contains(&ms);
        prop_assert_eq!(back.timestamp, stated.then_some(ms));
    }

    #[test]
    fn envelope_parser_never_panics_on_any_text(line in any::<String>()) {
        let _ = Event::from_envelope(&line, origin());
    }

    #[test]
    fn envelope_parser_never_panics_on_envelope_like_text(line in envelope_like()) {
        let _ = Event::from_envelope(&line, origin());
    }

    #[test]
    fn envelope_parser_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let line = String::from_utf8_lossy(&bytes);
        let _ = Event::from_envelope(&line, origin());
    }

    /// A damaged envelope (one byte changed, or cut short) is an error or an event, never a
    /// panic.
    #[test]
    fn a_damaged_envelope_never_panics(event in event(), at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
        let mut bytes = event.to_envelope().into_bytes();
        let i = at.index(bytes.len());
        if cut {
            bytes.truncate(i);
        } else {
            bytes[i] = byte;
        }
        let _ = Event::from_envelope(&String::from_utf8_lossy(&bytes), origin());
    }

    #[test]
    fn position_parser_never_panics(text in any::<String>()) {
        let _ = Position::parse(&text);
        let _ = parse_duration(&text);
    }

    /// Text in the alphabet of positions, so the parser's inner branches are reached.
    #[test]
    fn position_parser_never_panics_on_position_like_text(text in proptest::collection::vec(
        prop_oneof![
            Just('0'), Just('1'), Just('9'), Just('-'), Just('+'), Just('@'), Just(':'),
            Just('T'), Just('Z'), Just(' '), Just('.'), Just('h'), Just('m'), Just('s'),
            Just('d'), Just('w'), Just('é'), any::<char>(),
        ],
        0..32,
    ).prop_map(|c| c.into_iter().collect::<String>())) {
        let _ = Position::parse(&text);
    }

    /// Every position evt can print (`--explain`, messages) reads back as itself.
    #[test]
    fn rendered_positions_parse_back(position in prop_oneof![
        Just(Position::Beginning),
        Just(Position::End),
        (0..=i64::MAX).prop_map(Position::Offset),
        any::<u64>().prop_map(Position::FromEnd),
        any::<u64>().prop_map(Position::FromBeginning),
        (FIRST_MS..=LAST_MS).prop_map(Position::Time),
    ]) {
        let text = position.to_string();
        prop_assert_eq!(Position::parse(&text), Ok(position), "{}", text);
    }

    /// `@ms` is that instant, whatever the number.
    #[test]
    fn epoch_millis_parse_exactly(ms in any::<i64>()) {
        prop_assert_eq!(Position::parse(&format!("@{ms}")), Ok(Position::Time(ms)));
    }

    /// A duration is the sum of its parts, in any of the spellings of each unit, and a
    /// position that long before "now".
    #[test]
    fn durations_add_up(parts in proptest::collection::vec((0u64..100_000, 0usize..6, 0usize..3), 1..5)) {
        const UNITS: [(&[&str], u64); 6] = [
            (&["ms"], 1),
            (&["s", "sec", "secs"], 1_000),
            (&["m", "min", "mins"], 60_000),
            (&["h", "hr", "hrs"], 3_600_000),
            (&["d", "day", "days"], 86_400_000),
            (&["w", "wk", "weeks"], 604_800_000),
        ];
        let mut text = String::new();
        let mut total = 0u64;
        for (n, unit, spelling) in parts {
            let (names, ms) = UNITS[unit];
            text.push_str(&format!("{n}{}", names[spelling % names.len()]));
            total += n * ms;
        }
        prop_assert_eq!(parse_duration(&text), Ok(std::time::Duration::from_millis(total)));
        let now = Utc.timestamp_millis_opt(1_795_971_723_123).single().expect("a time");
        let ago = i64::try_from(total).expect("small enough");
        prop_assert_eq!(
            Position::parse_at(&text, now),
            Ok(Position::Time(1_795_971_723_123 - ago)),
            "{}", text
        );
    }

    /// RFC 3339 with any zone offset is the same instant as its UTC form.
    #[test]
    fn times_with_zones_are_instants(ms in 0i64..=LAST_MS - 86_400_000, minutes in -(23 * 60 + 59)..=(23 * 60 + 59)) {
        let utc = Utc.timestamp_millis_opt(ms).single().expect("in range");
        let zone = chrono::FixedOffset::east_opt(minutes * 60).expect("a valid offset");
        let text = utc.with_timezone(&zone).format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string();
        prop_assert_eq!(Position::parse(&text), Ok(Position::Time(ms)), "{}", text);
    }
}

/// A poison value nested 10,000 and 100,000 deep (issue 10): parsed byte for byte, never a
/// crash (a stack overflow aborts evt and every event after it is lost).
#[test]
fn a_deeply_nested_value_never_crashes_the_envelope_parser() {
    for depth in [10_000, 100_000] {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let line = format!(r#"{{"topic":"t","key":"k","headers":[],"value":{nested}}}"#);
        // evt parses on tokio's blocking threads and its own reader threads: 2 MiB stacks.
        let parsed = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || Event::from_envelope(&line, origin()))
            .expect("a thread")
            .join()
            .expect("no panic");
        let event = parsed.unwrap_or_else(|e| panic!("{depth} deep: {e}"));
        assert_eq!(event.value, Some(nested.into_bytes()), "{depth} deep");
    }
}
