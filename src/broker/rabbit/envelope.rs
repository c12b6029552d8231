//! The mapping between a stream's AMQP 1.0 messages and evt's envelope, both ways.
//!
//! - value: the body (one data section as it is; an `amqp-value` string as its text; any other
//!   body as its AMQP encoding, marked in the types header);
//! - key: the application property named by `key.property`, else the `x-routing-key` message
//!   annotation RabbitMQ keeps for messages routed through an exchange;
//! - timestamp: the creation time where the publisher set it (`create`), else the time the
//!   broker stored the chunk (`log_append`);
//! - headers: the application properties, in order (written back, a repeated name keeps its
//!   last value: an AMQP map holds each key once); then the other properties as
//!   `amqp:<field>` (`amqp:message-id`, `amqp:content-type`, …) and the message annotations as
//!   `amqp:<annotation>` (`amqp:x-exchange`). Strings are their text; every other AMQP type is
//!   rendered as readable text (numbers, `true`, RFC 3339 times, UUIDs) or, for lists, maps,
//!   arrays and decimals, as its AMQP encoding, and its type is recorded in one more header,
//!   [`TYPES`] (a JSON object: header name → type), so writing the event back into a stream
//!   rebuilds the very same typed values.
//!
//! Not carried: the header section (durable, priority, ttl), delivery annotations and the
//! footer, which describe one delivery rather than the event.

use std::sync::Arc;

use super::amqp::{self, Body, Message, Value};
use crate::event::{Event, Header, Item, Origin, TimestampType, Unreadable};

/// The header that records the AMQP types of the other headers (and of the body).
pub const TYPES: &str = "evt-amqp-types";
/// The prefix of headers that hold AMQP properties and message annotations.
pub const PREFIX: &str = "amqp:";
/// The types header's entry for the body.
const BODY: &str = "@body";
/// The annotation that holds an exchange-routed message's routing key.
pub const ROUTING_KEY: &str = "x-routing-key";

/// The properties section's fields, by position.
const PROPERTIES: [&str; 13] = [
    "message-id",
    "user-id",
    "to",
    "subject",
    "reply-to",
    "correlation-id",
    "content-type",
    "content-encoding",
    "absolute-expiry-time",
    "creation-time",
    "group-id",
    "group-sequence",
    "reply-to-group-id",
];
const CREATION_TIME: usize = 9;

/// How keys are found: an application property, else the routing key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    pub key_property: Option<String>,
}

/// A stored message as an event: `offset` in `stream`, stored in a chunk at `chunk_time`.
/// A message that is not AMQP 1.0 is an unreadable item (the read goes on).
pub fn to_event(
    stream: &Arc<str>,
    offset: u64,
    chunk_time: i64,
    bytes: &[u8],
    mapping: &Mapping,
    headers: bool,
) -> Item {
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let origin = Origin::Record {
        topic: stream.clone(),
        partition: 0,
        offset,
    };
    let mut message = match amqp::decode(bytes) {
        Ok(m) => m,
        Err(e) => {
            return Err(Unreadable {
                origin,
                reason: e.to_string(),
            })
        }
    };
    let mut types: Vec<(String, &'static str)> = Vec::new();
    let key = match &mapping.key_property {
        Some(name) => message
            .application_properties
            .iter()
            .find(|(k, _)| matches!(k, Value::String(s) | Value::Symbol(s) if s == name))
            .and_then(|(_, v)| render(v).0),
        None => message.annotation(ROUTING_KEY).and_then(|v| render(v).0),
    };
    let (timestamp, timestamp_type) = match message.creation_time() {
        Some(ms) => (ms, TimestampType::Create),
        None => (chunk_time, TimestampType::LogAppend),
    };
    // The body is moved out, not copied: this runs once per event read.
    let value = body_of(std::mem::take(&mut message.body), &mut types);
    let mut list = if headers {
        headers_of(&message, mapping, &mut types)
    } else {
        Vec::new()
    };
    if !types.is_empty() && (headers || types.iter().any(|(n, _)| n == BODY)) {
        let object: serde_json::Map<String, serde_json::Value> = types
            .into_iter()
            .map(|(n, t)| (n, serde_json::Value::from(t)))
            .collect();
        list.push(Header {
            name: TYPES.into(),
            value: Some(serde_json::Value::Object(object).to_string().into_bytes()),
        });
    }
    Ok(Event {
        origin,
        topic: Some(stream.clone()),
        partition: Some(0),
        offset: Some(offset),
        timestamp: Some(timestamp),
        timestamp_type,
        key,
        value,
        headers: list,
    })
}

/// The envelope's value for a body, noting its type when it is not one data section.
fn body_of(body: Body, types: &mut Vec<(String, &'static str)>) -> Option<Vec<u8>> {
    match body {
        Body::None => None,
        Body::Data(mut parts) if parts.len() == 1 => parts.pop(),
        Body::Value(Value::String(text)) => {
            types.push((BODY.into(), "string"));
            Some(text.into_bytes())
        }
        other => {
            types.push((BODY.into(), "amqp-body"));
            Some(amqp::encode(&Message {
                body: other,
                ..Message::default()
            }))
        }
    }
}

/// The headers: application properties, then `amqp:` properties and annotations (the
/// routing key left out when it is the key), each value's type noted in `types`.
fn headers_of(
    message: &Message,
    mapping: &Mapping,
    types: &mut Vec<(String, &'static str)>,
) -> Vec<Header> {
    let mut list = Vec::new();
    let mut add = |name: String, value: &Value| {
        let (bytes, kind) = render(value);
        if let Some(kind) = kind {
            types.push((name.clone(), kind));
        }
        list.push(Header { name, value: bytes });
    };
    for (k, v) in &message.application_properties {
        add(name_of(k), v);
    }
    for (i, v) in message.properties.iter().enumerate() {
        if i == CREATION_TIME || matches!(v, Value::Null) {
            continue;
        }
        if let Some(field) = PROPERTIES.get(i) {
            add(format!("{PREFIX}{field}"), v);
        }
    }
    for (k, v) in &message.message_annotations {
        let name = name_of(k);
        if mapping.key_property.is_none() && name == ROUTING_KEY {
            continue;
        }
        add(format!("{PREFIX}{name}"), v);
    }
    list
}

/// A map key as a header name (keys are strings or symbols; anything else as its text).
fn name_of(key: &Value) -> String {
    match key {
        Value::String(s) | Value::Symbol(s) => s.clone(),
        other => String::from_utf8_lossy(&render(other).0.unwrap_or_default()).into_owned(),
    }
}

/// A value's bytes in the envelope, and its type when it is not a plain string.
fn render(value: &Value) -> (Option<Vec<u8>>, Option<&'static str>) {
    let text = |s: String, kind| (Some(s.into_bytes()), Some(kind));
    match value {
        Value::Null => (None, None),
        Value::String(s) => (Some(s.as_bytes().to_vec()), None),
        Value::Symbol(s) => text(s.clone(), "symbol"),
        Value::Binary(b) => (Some(b.clone()), Some("binary")),
        Value::Bool(b) => text(b.to_string(), "bool"),
        Value::Ubyte(v) => text(v.to_string(), "ubyte"),
        Value::Ushort(v) => text(v.to_string(), "ushort"),
        Value::Uint(v) => text(v.to_string(), "uint"),
        Value::Ulong(v) => text(v.to_string(), "ulong"),
        Value::Byte(v) => text(v.to_string(), "byte"),
        Value::Short(v) => text(v.to_string(), "short"),
        Value::Int(v) => text(v.to_string(), "int"),
        Value::Long(v) => text(v.to_string(), "long"),
        Value::Float(v) => text(v.to_string(), "float"),
        Value::Double(v) => text(v.to_string(), "double"),
        Value::Char(c) => text(c.to_string(), "char"),
        Value::Timestamp(ms) => match crate::event::format_timestamp(*ms) {
            Some(t) => text(t, "timestamp"),
            None => text(ms.to_string(), "timestamp-ms"),
        },
        Value::Uuid(u) => text(uuid_text(u), "uuid"),
        other => {
            let mut bytes = Vec::new();
            amqp::encode_value(other, &mut bytes);
            (Some(bytes), Some("amqp"))
        }
    }
}

fn uuid_text(u: &[u8; 16]) -> String {
    let hex: String = u.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Header bytes back into a value of `kind` (a string, or binary when not UTF-8, when there
/// is no kind or the text does not parse as one).
fn typed(bytes: Option<&[u8]>, kind: Option<&str>) -> Value {
    let Some(bytes) = bytes else {
        return Value::Null;
    };
    let text = std::str::from_utf8(bytes).ok();
    let parsed = kind.and_then(|kind| {
        if kind == "binary" {
            return Some(Value::Binary(bytes.to_vec()));
        }
        if kind == "amqp" {
            return amqp::decode_value(bytes).ok();
        }
        let t = text?;
        Some(match kind {
            "symbol" => Value::Symbol(t.to_string()),
            "bool" => Value::Bool(t.parse().ok()?),
            "ubyte" => Value::Ubyte(t.parse().ok()?),
            "ushort" => Value::Ushort(t.parse().ok()?),
            "uint" => Value::Uint(t.parse().ok()?),
            "ulong" => Value::Ulong(t.parse().ok()?),
            "byte" => Value::Byte(t.parse().ok()?),
            "short" => Value::Short(t.parse().ok()?),
            "int" => Value::Int(t.parse().ok()?),
            "long" => Value::Long(t.parse().ok()?),
            "float" => Value::Float(t.parse().ok()?),
            "double" => Value::Double(t.parse().ok()?),
            "char" => {
                let mut chars = t.chars();
                let c = chars.next()?;
                chars.next().is_none().then_some(Value::Char(c))?
            }
            "timestamp" => Value::Timestamp(
                chrono::DateTime::parse_from_rfc3339(t)
                    .ok()?
                    .timestamp_millis(),
            ),
            "timestamp-ms" => Value::Timestamp(t.parse().ok()?),
            "uuid" => Value::Uuid(parse_uuid(t)?),
            _ => return None,
        })
    });
    parsed.unwrap_or_else(|| match text {
        Some(t) => Value::String(t.to_string()),
        None => Value::Binary(bytes.to_vec()),
    })
}

/// Sets `name` in a map: an AMQP map holds each key once, so a repeated header's last value
/// wins (Kafka headers may repeat a name).
fn set(map: &mut Vec<(Value, Value)>, name: &str, value: Value) {
    match map
        .iter_mut()
        .find(|(k, _)| matches!(k, Value::String(s) if s == name))
    {
        Some((_, v)) => *v = value,
        None => map.push((Value::String(name.to_string()), value)),
    }
}

/// An event as a message for a stream: the inverse of [`to_event`] (an event read from a
/// stream is written back with the same body, properties, annotations and typed
/// application properties; its time becomes the creation time, also when it was the chunk's,
/// and a symbol routing key comes back as a string). `extra` becomes one more application
/// property (the provenance).
pub fn to_message(event: &Event, extra: Option<(&str, &[u8])>, mapping: &Mapping) -> Message {
    let types: serde_json::Map<String, serde_json::Value> = event
        .headers
        .iter()
        .find(|h| h.name == TYPES)
        .and_then(|h| h.value.as_deref())
        .and_then(|v| serde_json::from_slice(v).ok())
        .unwrap_or_default();
    let kind = |name: &str| types.get(name).and_then(|v| v.as_str());
    let mut message = Message::default();
    for h in &event.headers {
        if h.name == TYPES {
            continue;
        }
        let value = typed(h.value.as_deref(), kind(&h.name));
        if let Some(field) = h.name.strip_prefix(PREFIX) {
            if let Some(i) = PROPERTIES.iter().position(|p| *p == field) {
                if message.properties.len() <= i {
                    message.properties.resize(i + 1, Value::Null);
                }
                message.properties[i] = value;
                continue;
            }
            if field.starts_with("x-") {
                message
                    .message_annotations
                    .push((Value::Symbol(field.to_string()), value));
                continue;
            }
        }
        set(&mut message.application_properties, &h.name, value);
    }
    if let Some((name, bytes)) = extra {
        set(
            &mut message.application_properties,
            name,
            typed(Some(bytes), None),
        );
    }
    if let Some(ms) = event.timestamp {
        if message.properties.len() <= CREATION_TIME {
            message.properties.resize(CREATION_TIME + 1, Value::Null);
        }
        message.properties[CREATION_TIME] = Value::Timestamp(ms);
    }
    if let Some(key) = &event.key {
        let value = typed(Some(key), None);
        match &mapping.key_property {
            Some(name) => {
                let present = message
                    .application_properties
                    .iter()
                    .any(|(k, _)| matches!(k, Value::String(s) if s == name));
                if !present {
                    message
                        .application_properties
                        .push((Value::String(name.clone()), value));
                }
            }
            None => message
                .message_annotations
                .push((Value::Symbol(ROUTING_KEY.into()), value)),
        }
    }
    message.body = match (&event.value, kind(BODY)) {
        (None, _) => Body::None,
        (Some(v), Some("string")) => match std::str::from_utf8(v) {
            Ok(t) => Body::Value(Value::String(t.to_string())),
            Err(_) => Body::Data(vec![v.clone()]),
        },
        (Some(v), Some("amqp-body")) => match amqp::decode(v) {
            Ok(m) if m.body != Body::None => m.body,
            _ => Body::Data(vec![v.clone()]),
        },
        (Some(v), _) => Body::Data(vec![v.clone()]),
    };
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_type() -> Vec<(Value, Value)> {
        let s = |t: &str| Value::String(t.into());
        vec![
            (s("text"), s("OrderCreated")),
            (s("symbol"), Value::Symbol("sym".into())),
            (s("binary"), Value::Binary(vec![0, 159, 146, 150])),
            (s("bool"), Value::Bool(true)),
            (s("ubyte"), Value::Ubyte(255)),
            (s("ushort"), Value::Ushort(65535)),
            (s("uint"), Value::Uint(4_000_000_000)),
            (s("ulong"), Value::Ulong(u64::MAX)),
            (s("byte"), Value::Byte(-128)),
            (s("short"), Value::Short(-32768)),
            (s("int"), Value::Int(-7)),
            (s("long"), Value::Long(i64::MIN)),
            (s("float"), Value::Float(0.1)),
            (s("double"), Value::Double(-1.5e300)),
            (s("char"), Value::Char('é')),
            (s("timestamp"), Value::Timestamp(1_764_000_000_123)),
            (s("uuid"), Value::Uuid(*b"0123456789abcdef")),
            (s("null"), Value::Null),
            (s("list"), Value::List(vec![Value::Int(1), s("two")])),
            (s("map"), Value::Map(vec![(s("k"), Value::Long(9))])),
            (s("decimal"), Value::Decimal64([1, 2, 3, 4, 5, 6, 7, 8])),
        ]
    }

    fn message() -> Message {
        let mut properties = vec![Value::Null; 10];
        properties[0] = Value::String("m-1".into());
        properties[5] = Value::Ulong(42);
        properties[6] = Value::Symbol("application/json".into());
        properties[CREATION_TIME] = Value::Timestamp(1_764_000_000_000);
        Message {
            message_annotations: vec![
                (
                    Value::Symbol("x-exchange".into()),
                    Value::String("orders-x".into()),
                ),
                (
                    Value::Symbol(ROUTING_KEY.into()),
                    Value::String("order-7".into()),
                ),
            ],
            properties,
            application_properties: every_type(),
            body: Body::Data(vec![br#"{"id":7}"#.to_vec()]),
            ..Message::default()
        }
    }

    fn event_of(message: &Message, mapping: &Mapping) -> Event {
        let bytes = amqp::encode(message);
        to_event(&Arc::from("orders"), 12, 99, &bytes, mapping, true).unwrap()
    }

    #[test]
    fn a_message_becomes_an_event_with_readable_typed_headers() {
        let event = event_of(&message(), &Mapping::default());
        assert_eq!(event.offset, Some(12));
        assert_eq!(event.partition, Some(0));
        assert_eq!(event.key.as_deref(), Some(&b"order-7"[..]));
        assert_eq!(event.value.as_deref(), Some(&br#"{"id":7}"#[..]));
        assert_eq!(event.timestamp, Some(1_764_000_000_000));
        assert_eq!(event.timestamp_type, TimestampType::Create);
        let header = |name: &str| {
            event
                .headers
                .iter()
                .find(|h| h.name == name)
                .unwrap_or_else(|| panic!("no header {name}"))
                .value
                .clone()
        };
        let text = |name: &str| String::from_utf8(header(name).unwrap()).unwrap();
        assert_eq!(text("text"), "OrderCreated");
        assert_eq!(text("long"), i64::MIN.to_string());
        assert_eq!(text("float"), "0.1");
        assert_eq!(text("timestamp"), "2025-11-24T16:00:00.123Z");
        assert_eq!(text("uuid"), "30313233-3435-3637-3839-616263646566");
        assert_eq!(header("null"), None);
        assert_eq!(text("amqp:message-id"), "m-1");
        assert_eq!(text("amqp:correlation-id"), "42");
        assert_eq!(text("amqp:x-exchange"), "orders-x");
        assert!(
            event.headers.iter().all(|h| h.name != "amqp:x-routing-key"),
            "the routing key is the key, not a header too"
        );
        let types: serde_json::Value = serde_json::from_slice(&header(TYPES).unwrap()).unwrap();
        assert_eq!(types["long"], "long");
        assert_eq!(types["amqp:correlation-id"], "ulong");
        assert_eq!(types.get("text"), None, "strings need no type");
    }

    #[test]
    fn writing_an_event_back_rebuilds_the_same_message() {
        let original = message();
        let event = event_of(&original, &Mapping::default());
        let back = to_message(&event, None, &Mapping::default());
        assert_eq!(back.application_properties, original.application_properties);
        assert_eq!(back.properties, original.properties);
        assert_eq!(back.body, original.body);
        let mut annotations = back.message_annotations.clone();
        annotations.sort_by_key(|(k, _)| format!("{k:?}"));
        let mut expected = original.message_annotations.clone();
        expected.sort_by_key(|(k, _)| format!("{k:?}"));
        assert_eq!(annotations, expected);
    }

    #[test]
    fn bodies_that_are_not_one_data_section_survive_the_round_trip() {
        for body in [
            Body::Value(Value::String("plain text".into())),
            Body::Value(Value::Map(vec![(Value::Long(1), Value::Bool(false))])),
            Body::Sequence(vec![vec![Value::Int(1)], vec![Value::Null]]),
            Body::Data(vec![b"two ".to_vec(), b"parts".to_vec()]),
            Body::None,
        ] {
            let original = Message {
                body: body.clone(),
                ..Message::default()
            };
            let event = event_of(&original, &Mapping::default());
            assert_eq!(event.timestamp, Some(99), "no creation time: the chunk's");
            assert_eq!(event.timestamp_type, TimestampType::LogAppend);
            let back = to_message(&event, None, &Mapping::default());
            assert_eq!(back.body, body);
        }
        let text = event_of(
            &Message {
                body: Body::Value(Value::String("plain text".into())),
                ..Message::default()
            },
            &Mapping::default(),
        );
        assert_eq!(text.value.as_deref(), Some(&b"plain text"[..]));
    }

    #[test]
    fn the_key_can_come_from_an_application_property() {
        let mapping = Mapping {
            key_property: Some("int".into()),
        };
        let event = event_of(&message(), &mapping);
        assert_eq!(event.key.as_deref(), Some(&b"-7"[..]));
        assert!(
            event.headers.iter().any(|h| h.name == "amqp:x-routing-key"),
            "with a key property the routing key stays a header"
        );
        let back = to_message(&event, None, &mapping);
        assert_eq!(
            back.application_properties.len(),
            every_type().len(),
            "the key property is not added twice"
        );
    }

    #[test]
    fn events_from_kafka_or_files_become_plain_messages() {
        let event = Event {
            origin: Origin::Line {
                file: Arc::from("f"),
                line: 1,
            },
            topic: None,
            partition: None,
            offset: None,
            timestamp: Some(5),
            timestamp_type: TimestampType::Create,
            key: Some(vec![0xff, 0x00]),
            value: Some(b"{}".to_vec()),
            headers: vec![Header {
                name: "trace".into(),
                value: Some(b"abc".to_vec()),
            }],
        };
        let m = to_message(
            &event,
            Some(("evt-source", b"orders/0@3")),
            &Mapping::default(),
        );
        assert_eq!(
            m.application_properties,
            vec![
                (Value::String("trace".into()), Value::String("abc".into())),
                (
                    Value::String("evt-source".into()),
                    Value::String("orders/0@3".into())
                ),
            ]
        );
        assert_eq!(
            m.message_annotations,
            vec![(
                Value::Symbol(ROUTING_KEY.into()),
                Value::Binary(vec![0xff, 0x00])
            )]
        );
        assert_eq!(m.creation_time(), Some(5));
        assert_eq!(m.body, Body::Data(vec![b"{}".to_vec()]));
    }

    #[test]
    fn a_message_that_is_not_amqp_is_unreadable_not_fatal() {
        let item = to_event(
            &Arc::from("s"),
            3,
            0,
            b"\xa1\xff",
            &Mapping::default(),
            true,
        );
        let err = item.unwrap_err();
        assert_eq!(err.origin.to_string(), "s/0@3");
        assert!(
            err.reason.contains("not an AMQP 1.0 message"),
            "{}",
            err.reason
        );
    }
}
