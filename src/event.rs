//! The owned [`Event`] and its lossless JSON envelope (one object per line).
//!
//! Encoding is written by hand into a reusable buffer, because it runs once per event on the
//! hot path; decoding uses serde with `RawValue` so embedded JSON keeps its exact text.
//! `bytes → envelope → bytes` is the identity for every record (see the tests).

use std::borrow::Cow;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The header that says where a replayed record came from (added by `evt replay`).
pub const PROVENANCE: &str = "evt-source";

/// `orders/2/1532` → ("orders", 2, 1532).
pub fn parse_provenance(value: &[u8]) -> Option<(String, i32, i64)> {
    let text = std::str::from_utf8(value).ok()?;
    let mut parts = text.rsplitn(3, '/');
    let offset = parts.next()?.parse().ok()?;
    let partition = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_string(), partition, offset))
}

/// Where evt got an event: the one way every report (violations, diff, summaries) names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A record read from a broker.
    Record {
        topic: Arc<str>,
        partition: i32,
        offset: i64,
    },
    /// Line `line` (from 1) of a file (`stdin` for standard input).
    Line { file: Arc<str>, line: u64 },
    /// Element `index` (from 0) of a JSON array file.
    Item { file: Arc<str>, index: u64 },
    /// Made by evt itself (the playground's demo data): the `seq`-th event of `by`.
    Made { by: &'static str, seq: u64 },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Record {
                topic,
                partition,
                offset,
            } => write!(f, "{topic}/{partition}@{offset}"),
            Origin::Line { file, line } => write!(f, "{file}:{line}"),
            Origin::Item { file, index } => write!(f, "{file}[{index}]"),
            Origin::Made { by, seq } => write!(f, "{by}#{seq}"),
        }
    }
}

impl Origin {
    /// The file an event was read from, if it was.
    pub fn file(&self) -> Option<&str> {
        match self {
            Origin::Record { .. } | Origin::Made { .. } => None,
            Origin::Line { file, .. } | Origin::Item { file, .. } => Some(file),
        }
    }
}

/// Input that should have been an event and is not (a line that is not JSON, an envelope
/// with a bad field): reported with its origin, and the stream goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub origin: Origin,
    pub reason: String,
}

/// What sources yield: events, and input that could not be read as one, in arrival order.
pub type Item = Result<Event, Unreadable>;

/// Sources hand over items in batches: one channel operation per batch, not per event.
pub type Batch = Vec<Item>;

/// One event: where evt got it, and the record it holds.
///
/// `topic`, `partition` and `offset` are the record's coordinates: where a broker keeps it
/// (for a record read from one), or what an envelope line states (absent for a plain value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub origin: Origin,
    pub topic: Option<Arc<str>>,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
    /// Epoch milliseconds, `None` when the broker has no timestamp for the record.
    pub timestamp: Option<i64>,
    pub timestamp_type: TimestampType,
    pub key: Option<Vec<u8>>,
    /// `None` is a tombstone.
    pub value: Option<Vec<u8>>,
    pub headers: Vec<Header>,
}

/// A record header; names are text, values any bytes or null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    #[default]
    Create,
    LogAppend,
}

impl TimestampType {
    fn as_str(self) -> &'static str {
        match self {
            TimestampType::Create => "create",
            TimestampType::LogAppend => "log_append",
        }
    }
}

/// How a payload is shown in the envelope; decided once per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// One-line JSON, embedded verbatim.
    Json(&'a str),
    /// The four bytes `null`, which must not be confused with a tombstone.
    JsonNull,
    /// UTF-8 that is not one-line JSON.
    Text(&'a str),
    /// Anything else.
    Binary(&'a [u8]),
}

impl<'a> Payload<'a> {
    /// Classifies a payload as the envelope shows it.
    pub fn of(bytes: &'a [u8]) -> Payload<'a> {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Payload::Binary(bytes);
        };
        if text == "null" {
            return Payload::JsonNull;
        }
        if is_embeddable_json(text) {
            Payload::Json(text)
        } else {
            Payload::Text(text)
        }
    }
}

/// JSON that can stand verbatim inside an envelope line and come back byte-exact: valid,
/// on one line, with no surrounding white space (a `RawValue` would drop it).
fn is_embeddable_json(text: &str) -> bool {
    let bytes = text.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if first.is_ascii_whitespace() || last.is_ascii_whitespace() {
        return false;
    }
    if bytes.iter().any(|&b| b == b'\n' || b == b'\r') {
        return false;
    }
    // Cheap first-byte check before the parse: most text is not JSON.
    if !matches!(
        first,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    ) {
        return false;
    }
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => true,
        // serde_json stops at 128 levels; deeper JSON is still JSON.
        Err(_) => crate::limits::nesting(bytes, 128) > 128 && crate::limits::is_json(text),
    }
}

/// Confluent wire format: magic byte 0, a positive big-endian 4-byte schema id, the payload.
pub fn split_confluent(bytes: &[u8]) -> Option<(i32, &[u8])> {
    if bytes.len() < 5 || bytes[0] != 0 {
        return None;
    }
    let id = i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    (id > 0).then_some((id, &bytes[5..]))
}

fn join_confluent(id: i32, payload: Vec<u8>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(payload.len() + 5);
    bytes.push(0);
    bytes.extend_from_slice(&id.to_be_bytes());
    bytes.extend_from_slice(&payload);
    bytes
}

/// Formats epoch milliseconds as RFC 3339 UTC with milliseconds.
pub fn format_timestamp(ms: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// Appends a JSON string literal.
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn push_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(
        start + base64::encoded_len(bytes.len(), true).unwrap_or(0),
        0,
    );
    let written = BASE64
        .encode_slice(bytes, &mut out[start..])
        .expect("buffer sized by encoded_len");
    out.truncate(start + written);
    out.push(b'"');
}

fn push_int(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn push_optional_int(out: &mut Vec<u8>, n: Option<i64>) {
    match n {
        Some(n) => push_int(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends epoch milliseconds as `2026-11-24T17:02:03.123Z` (UTC), without chrono's
/// general-purpose formatter: this runs once per printed event.
pub fn push_timestamp(out: &mut Vec<u8>, ms: i64) -> bool {
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, sod) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return false;
    }
    let digits = |out: &mut Vec<u8>, n: i64, width: usize| {
        let mut buf = [b'0'; 4];
        let mut n = n;
        for i in (0..width).rev() {
            buf[i] = b'0' + u8::try_from(n % 10).unwrap_or(0);
            n /= 10;
        }
        out.extend_from_slice(&buf[..width]);
    };
    digits(out, year, 4);
    out.push(b'-');
    digits(out, month, 2);
    out.push(b'-');
    digits(out, day, 2);
    out.push(b'T');
    digits(out, sod / 3600, 2);
    out.push(b':');
    digits(out, sod % 3600 / 60, 2);
    out.push(b':');
    digits(out, sod % 60, 2);
    out.push(b'.');
    digits(out, millis, 3);
    out.push(b'Z');
    true
}

impl Event {
    /// An event with no key, no value and no headers, placed at `origin` (a record's
    /// coordinates are its origin's).
    pub fn new(origin: Origin) -> Event {
        let (topic, partition, offset) = match &origin {
            Origin::Record {
                topic,
                partition,
                offset,
            } => (Some(topic.clone()), Some(*partition), Some(*offset)),
            _ => (None, None, None),
        };
        Event {
            origin,
            topic,
            partition,
            offset,
            timestamp: None,
            timestamp_type: TimestampType::Create,
            key: None,
            value: None,
            headers: Vec::new(),
        }
    }

    /// An event made by evt for `topic` (partition chosen by the key when written).
    pub fn made(by: &'static str, seq: u64, topic: Arc<str>) -> Event {
        Event {
            topic: Some(topic),
            ..Event::new(Origin::Made { by, seq })
        }
    }

    /// Appends this event's envelope line (without the newline) to `out`.
    pub fn write_envelope(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"topic\":");
        match &self.topic {
            Some(topic) => push_json_str(out, topic),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"partition\":");
        push_optional_int(out, self.partition.map(i64::from));
        out.extend_from_slice(b",\"offset\":");
        push_optional_int(out, self.offset);
        out.extend_from_slice(b",\"timestamp\":");
        let mark = out.len();
        out.push(b'"');
        match self.timestamp {
            Some(ms) if push_timestamp(out, ms) => {
                out.push(b'"');
                out.extend_from_slice(b",\"timestamp_type\":\"");
                out.extend_from_slice(self.timestamp_type.as_str().as_bytes());
                out.push(b'"');
            }
            _ => {
                out.truncate(mark);
                out.extend_from_slice(b"null");
            }
        }
        self.write_key(out);
        self.write_headers(out);
        self.write_value(out);
        out.push(b'}');
    }

    fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b",\"key\":");
        let Some(key) = &self.key else {
            out.extend_from_slice(b"null");
            return;
        };
        match std::str::from_utf8(key) {
            Ok(text) if text.starts_with(['{', '[']) && is_embeddable_json(text) => {
                out.extend_from_slice(text.as_bytes());
                out.extend_from_slice(b",\"key_encoding\":\"json\"");
            }
            Ok(text) => push_json_str(out, text),
            Err(_) => {
                push_base64(out, key);
                out.extend_from_slice(b",\"key_encoding\":\"base64\"");
            }
        }
    }

    fn write_headers(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b",\"headers\":[");
        for (i, h) in self.headers.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'[');
            push_json_str(out, &h.name);
            out.push(b',');
            match &h.value {
                None => out.extend_from_slice(b"null"),
                Some(v) => match std::str::from_utf8(v) {
                    Ok(text) => push_json_str(out, text),
                    Err(_) => {
                        out.extend_from_slice(b"{\"base64\":");
                        push_base64(out, v);
                        out.push(b'}');
                    }
                },
            }
            out.push(b']');
        }
        out.push(b']');
    }

    fn write_value(&self, out: &mut Vec<u8>) {
        let Some(value) = &self.value else {
            out.extend_from_slice(b",\"value\":null");
            return;
        };
        let payload = match split_confluent(value) {
            Some((id, rest)) => {
                out.extend_from_slice(b",\"value_schema_id\":");
                push_int(out, i64::from(id));
                rest
            }
            None => value,
        };
        out.extend_from_slice(b",\"value\":");
        match Payload::of(payload) {
            Payload::Json(text) => out.extend_from_slice(text.as_bytes()),
            Payload::JsonNull => out.extend_from_slice(b"null,\"value_encoding\":\"json\""),
            Payload::Text(text) => {
                push_json_str(out, text);
                out.extend_from_slice(b",\"value_encoding\":\"text\"");
            }
            Payload::Binary(bytes) => {
                push_base64(out, bytes);
                out.extend_from_slice(b",\"value_encoding\":\"base64\"");
            }
        }
    }

    /// The envelope line as a `String` (tests and diagnostics; printers use `write_envelope`).
    pub fn to_envelope(&self) -> String {
        let mut out = Vec::new();
        self.write_envelope(&mut out);
        String::from_utf8(out).expect("the envelope writer emits UTF-8 only")
    }

    /// Parses one envelope line, read at `origin`, back into the record it describes.
    pub fn from_envelope(line: &str, origin: Origin) -> Result<Event, EnvelopeError> {
        // Key and value are raw JSON: serde_json skips them without recursing, so a value
        // of any depth reads back (tests/props.rs reads 100,000 levels on a 2 MiB stack).
        let raw: RawEnvelope = serde_json::from_str(line)
            .map_err(|e| EnvelopeError(format!("not an envelope: {e}")))?;
        raw.into_event(origin)
    }

    /// The event of a line that is exactly an envelope (an object with a `value` field and
    /// no field an envelope lacks), in one parse; `None` when the line is something else or
    /// not well formed, for the caller to tell which. Without `headers`, the event has none (they are skipped unread: nothing downstream
    /// looks at them).
    pub fn from_exact_envelope(
        line: &str,
        origin: Origin,
        headers: bool,
    ) -> Option<Result<Event, EnvelopeError>> {
        let raw = if headers {
            RawEnvelope::from(serde_json::from_str::<ExactEnvelope>(line).ok()?)
        } else {
            RawEnvelope::from(serde_json::from_str::<ExactEnvelopeWithoutHeaders>(line).ok()?)
        };
        raw.value?;
        Some(raw.into_event(origin))
    }
}

/// Why an envelope line could not be turned back into a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EnvelopeError(String);

/// The envelope's fields, declared once for the two ways a line is read: leniently
/// ([`RawEnvelope`]: other fields are ignored) and exactly ([`ExactEnvelope`]: a field an
/// envelope lacks makes the line something else).
macro_rules! envelope_fields {
    ($(#[$attr:meta])* $name:ident, $headers:ty) => {
        #[derive(Deserialize)]
        $(#[$attr])*
        struct $name<'a> {
            #[serde(borrow, default)]
            topic: Option<Cow<'a, str>>,
            #[serde(default)]
            partition: Option<i32>,
            #[serde(default)]
            offset: Option<i64>,
            #[serde(borrow, default)]
            timestamp: Option<Cow<'a, str>>,
            #[serde(borrow, default)]
            timestamp_type: Option<Cow<'a, str>>,
            #[serde(borrow, default, deserialize_with = "present")]
            key: Option<&'a RawValue>,
            #[serde(borrow, default)]
            key_encoding: Option<Cow<'a, str>>,
            #[serde(default)]
            headers: $headers,
            #[serde(borrow, default, deserialize_with = "present")]
            value: Option<&'a RawValue>,
            #[serde(borrow, default)]
            value_encoding: Option<Cow<'a, str>>,
            #[serde(default)]
            value_schema_id: Option<i32>,
        }
    };
}

type RawHeaders = Vec<(String, Option<RawHeaderValue>)>;

envelope_fields!(RawEnvelope, RawHeaders);
envelope_fields!(
    #[serde(deny_unknown_fields)]
    ExactEnvelope,
    RawHeaders
);
// For readers that look at no header: they are skipped, not read into memory.
envelope_fields!(
    #[serde(deny_unknown_fields)]
    ExactEnvelopeWithoutHeaders,
    serde::de::IgnoredAny
);

/// A line read exactly is then read like any other: the same fields, headers kept or not.
macro_rules! into_raw_envelope {
    ($name:ident, |$e:ident| $headers:expr) => {
        impl<'a> From<$name<'a>> for RawEnvelope<'a> {
            fn from($e: $name<'a>) -> RawEnvelope<'a> {
                RawEnvelope {
                    headers: $headers,
                    topic: $e.topic,
                    partition: $e.partition,
                    offset: $e.offset,
                    timestamp: $e.timestamp,
                    timestamp_type: $e.timestamp_type,
                    key: $e.key,
                    key_encoding: $e.key_encoding,
                    value: $e.value,
                    value_encoding: $e.value_encoding,
                    value_schema_id: $e.value_schema_id,
                }
            }
        }
    };
}

into_raw_envelope!(ExactEnvelope, |e| e.headers);
// The headers were skipped while parsing: there are none to keep.
into_raw_envelope!(ExactEnvelopeWithoutHeaders, |e| {
    let serde::de::IgnoredAny = e.headers;
    Vec::new()
});

/// A field that is present, even when it is JSON `null` (serde would make that `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// A header value in the envelope: text, or `{"base64": …}` for other bytes. Read by hand:
/// serde's untagged enums buffer every value first, and most events have headers.
enum RawHeaderValue {
    Text(String),
    Bytes { base64: String },
}

impl<'de> Deserialize<'de> for RawHeaderValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(HeaderValueVisitor)
    }
}

struct HeaderValueVisitor;

impl<'de> serde::de::Visitor<'de> for HeaderValueVisitor {
    type Value = RawHeaderValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a header value: a string, or {\"base64\": \"…\"}")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RawHeaderValue, E> {
        Ok(RawHeaderValue::Text(text.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<RawHeaderValue, E> {
        Ok(RawHeaderValue::Text(text))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<RawHeaderValue, A::Error> {
        let mut base64 = None;
        while let Some(field) = map.next_key::<Cow<'de, str>>()? {
            if field != "base64" || base64.is_some() {
                return Err(serde::de::Error::custom(format!(
                    "unexpected field '{field}' in a header value"
                )));
            }
            base64 = Some(map.next_value::<String>()?);
        }
        base64
            .map(|base64| RawHeaderValue::Bytes { base64 })
            .ok_or_else(|| serde::de::Error::missing_field("base64"))
    }
}

fn decode_base64(text: &str, what: &str) -> Result<Vec<u8>, EnvelopeError> {
    BASE64
        .decode(text)
        .map_err(|e| EnvelopeError(format!("{what} is not valid base64: {e}")))
}

fn json_string(raw: &RawValue, what: &str) -> Result<String, EnvelopeError> {
    serde_json::from_str::<String>(raw.get())
        .map_err(|_| EnvelopeError(format!("{what} must be a JSON string with this encoding")))
}

/// The topic name as an `Arc`, shared with the previous envelope read on this thread when it
/// names the same topic (a dump holds one or a few): no allocation per event for it.
fn shared_topic(name: &str) -> Arc<str> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<Arc<str>>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some(topic) if **topic == *name => topic.clone(),
            _ => {
                let topic: Arc<str> = Arc::from(name);
                *last = Some(topic.clone());
                topic
            }
        }
    })
}

impl RawEnvelope<'_> {
    fn into_event(self, origin: Origin) -> Result<Event, EnvelopeError> {
        let timestamp = match &self.timestamp {
            None => None,
            Some(t) => Some(
                DateTime::parse_from_rfc3339(t)
                    .map_err(|_| EnvelopeError(format!("timestamp '{t}' is not RFC 3339")))?
                    .timestamp_millis(),
            ),
        };
        let timestamp_type = match self.timestamp_type.as_deref() {
            None | Some("create") => TimestampType::Create,
            Some("log_append") => TimestampType::LogAppend,
            Some(other) => {
                return Err(EnvelopeError(format!(
                    "timestamp_type '{other}' is neither create nor log_append"
                )))
            }
        };
        let key = self.decode_key()?;
        let mut value = self.decode_value()?;
        if let Some(id) = self.value_schema_id {
            value = value.map(|v| join_confluent(id, v));
        }
        let headers = self
            .headers
            .into_iter()
            .map(|(name, v)| {
                let value = match v {
                    None => None,
                    Some(RawHeaderValue::Text(t)) => Some(t.into_bytes()),
                    Some(RawHeaderValue::Bytes { base64 }) => {
                        Some(decode_base64(&base64, "header value")?)
                    }
                };
                Ok(Header { name, value })
            })
            .collect::<Result<_, EnvelopeError>>()?;
        Ok(Event {
            origin,
            topic: self.topic.as_deref().map(shared_topic),
            partition: self.partition,
            offset: self.offset,
            timestamp,
            timestamp_type,
            key,
            value,
            headers,
        })
    }

    fn decode_key(&self) -> Result<Option<Vec<u8>>, EnvelopeError> {
        let Some(raw) = self.key.filter(|r| r.get() != "null") else {
            return Ok(None);
        };
        match self.key_encoding.as_deref() {
            None | Some("text") => Ok(Some(json_string(raw, "key")?.into_bytes())),
            Some("json") => Ok(Some(raw.get().as_bytes().to_vec())),
            Some("base64") => decode_base64(&json_string(raw, "key")?, "key").map(Some),
            Some(other) => Err(EnvelopeError(format!(
                "key_encoding '{other}' is not one of text, json, base64"
            ))),
        }
    }

    fn decode_value(&self) -> Result<Option<Vec<u8>>, EnvelopeError> {
        let raw = match self.value {
            None => return Ok(None),
            Some(r) if r.get() == "null" && self.value_encoding.as_deref() != Some("json") => {
                return Ok(None)
            }
            Some(r) => r,
        };
        match self.value_encoding.as_deref() {
            None | Some("json") => Ok(Some(raw.get().as_bytes().to_vec())),
            Some("text") => Ok(Some(json_string(raw, "value")?.into_bytes())),
            Some("base64") => decode_base64(&json_string(raw, "value")?, "value").map(Some),
            Some(other) => Err(EnvelopeError(format!(
                "value_encoding '{other}' is not one of json, text, base64"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(key: Option<&[u8]>, value: Option<&[u8]>) -> Event {
        Event {
            timestamp: Some(1_795_971_723_123),
            key: key.map(<[u8]>::to_vec),
            value: value.map(<[u8]>::to_vec),
            ..Event::new(Origin::Record {
                topic: Arc::from("orders"),
                partition: 2,
                offset: 1532,
            })
        }
    }

    fn round_trip(e: &Event) -> String {
        let line = e.to_envelope();
        let back = Event::from_envelope(&line, e.origin.clone())
            .unwrap_or_else(|err| panic!("{err}: {line}"));
        assert_eq!(&back, e, "round trip changed the record: {line}");
        let v: serde_json::Value = serde_json::from_str(&line).expect("envelope is JSON");
        assert!(v.is_object());
        line
    }

    #[test]
    fn json_value_is_embedded_verbatim() {
        let line = round_trip(&event(
            Some(b"order-17"),
            Some(br#"{"a": 1,  "b":[1.50, 2e3]}"#),
        ));
        assert!(
            line.contains(r#""value":{"a": 1,  "b":[1.50, 2e3]}"#),
            "{line}"
        );
        assert!(!line.contains("value_encoding"), "{line}");
        assert!(line.contains(r#""key":"order-17""#), "{line}");
        assert!(line.starts_with(r#"{"topic":"orders","partition":2,"offset":1532,"timestamp":"#));
    }

    #[test]
    fn scalar_json_values_are_embedded() {
        for v in [&b"42"[..], b"\"quoted\"", b"true", b"-1.5", b"[]"] {
            let line = round_trip(&event(None, Some(v)));
            assert!(!line.contains("value_encoding"), "{line}");
        }
    }

    #[test]
    fn text_values_are_strings_with_encoding() {
        for v in [
            &b"plain text"[..],
            b"{\"a\":\n1}",
            b"",
            b" {\"a\":1}",
            b"{\"a\":1} ",
            b"{broken",
            b"tab\tand \"quotes\" and \\ and \x01",
            "unicode ✓ é".as_bytes(),
        ] {
            let line = round_trip(&event(None, Some(v)));
            assert!(line.contains(r#""value_encoding":"text""#), "{line}");
        }
    }

    #[test]
    fn binary_values_are_base64() {
        let line = round_trip(&event(None, Some(&[0xff, 0x00, 0xfe, 0x80])));
        assert!(
            line.contains(r#""value":"/wD+gA==","value_encoding":"base64""#),
            "{line}"
        );
    }

    #[test]
    fn tombstone_and_json_null_differ() {
        let tomb = round_trip(&event(None, None));
        assert!(tomb.ends_with(r#""value":null}"#), "{tomb}");
        let null = round_trip(&event(None, Some(b"null")));
        assert!(
            null.ends_with(r#""value":null,"value_encoding":"json"}"#),
            "{null}"
        );
    }

    #[test]
    fn keys_text_json_binary_null() {
        assert!(round_trip(&event(None, None)).contains(r#""key":null"#));
        let json = round_trip(&event(Some(br#"{"id":17}"#), None));
        assert!(
            json.contains(r#""key":{"id":17},"key_encoding":"json""#),
            "{json}"
        );
        // A key that is a JSON scalar stays text: keys are text first.
        let num = round_trip(&event(Some(b"17"), None));
        assert!(num.contains(r#""key":"17""#), "{num}");
        let bin = round_trip(&event(Some(&[0xc3, 0x28]), None));
        assert!(bin.contains(r#""key_encoding":"base64""#), "{bin}");
        let empty = round_trip(&event(Some(b""), None));
        assert!(empty.contains(r#""key":"""#), "{empty}");
    }

    #[test]
    fn headers_keep_order_duplicates_nulls_and_bytes() {
        let mut e = event(Some(b"k"), Some(b"{}"));
        e.headers = vec![
            Header {
                name: "trace-id".into(),
                value: Some(b"a1b2".to_vec()),
            },
            Header {
                name: "trace-id".into(),
                value: Some(b"second".to_vec()),
            },
            Header {
                name: "empty".into(),
                value: None,
            },
            Header {
                name: "bin".into(),
                value: Some(vec![0xff, 0x01]),
            },
            Header {
                name: "blank".into(),
                value: Some(vec![]),
            },
        ];
        let line = round_trip(&e);
        assert!(line.contains(
            r#""headers":[["trace-id","a1b2"],["trace-id","second"],["empty",null],["bin",{"base64":"/wE="}],["blank",""]]"#
        ), "{line}");
    }

    #[test]
    fn header_values_are_text_or_base64_and_nothing_else() {
        let origin = || Origin::Made { by: "t", seq: 0 };
        let read = |headers: &str| {
            Event::from_envelope(&format!(r#"{{"headers":{headers},"value":1}}"#), origin())
        };
        let e = read(r#"[["a","x\u0041"],["b",{"base64":"/wE="}],["c",null]]"#).unwrap();
        let values: Vec<_> = e.headers.iter().map(|h| h.value.clone()).collect();
        assert_eq!(values, [Some(b"xA".to_vec()), Some(vec![0xff, 1]), None]);
        for bad in [
            r#"[["a",{"hex":"ff"}]]"#,
            r#"[["a",{}]]"#,
            r#"[["a",1]]"#,
            r#"[["a",{"base64":"!"}]]"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn confluent_wire_format_is_decoded_and_reframed() {
        let mut bytes = vec![0, 0, 0, 0, 7];
        bytes.extend_from_slice(br#"{"order_id":17}"#);
        let line = round_trip(&event(None, Some(&bytes)));
        assert!(
            line.contains(r#""value_schema_id":7,"value":{"order_id":17}"#),
            "{line}"
        );
        let avro = [0, 0, 0, 1, 0, 0x02, 0xff];
        let line = round_trip(&event(None, Some(&avro)));
        assert!(
            line.contains(r#""value_schema_id":256,"value":"Av8=","value_encoding":"base64""#),
            "{line}"
        );
        // Magic byte without a plausible id: plain binary.
        let zeros = [0u8, 0, 0, 0, 0, 1];
        assert!(!round_trip(&event(None, Some(&zeros))).contains("value_schema_id"));
    }

    #[test]
    fn timestamps() {
        let mut e = event(None, None);
        let line = round_trip(&e);
        assert!(
            line.contains(r#""timestamp":"2026-11-29T17:02:03.123Z""#),
            "{line}"
        );
        assert!(line.contains(r#""timestamp_type":"create""#), "{line}");
        e.timestamp_type = TimestampType::LogAppend;
        assert!(round_trip(&e).contains(r#""timestamp_type":"log_append""#));
        e.timestamp = None;
        e.timestamp_type = TimestampType::Create;
        assert!(round_trip(&e).contains(r#""timestamp":null"#));
    }

    #[test]
    fn fast_timestamps_match_chrono() {
        let mut ms = -62_000_000_000_000i64;
        while ms < 253_402_300_799_999 {
            let mut out = Vec::new();
            let ok = push_timestamp(&mut out, ms);
            match format_timestamp(ms) {
                Some(t) if t.len() == 24 => {
                    assert!(ok, "{ms}");
                    assert_eq!(String::from_utf8(out).unwrap(), t, "{ms}");
                }
                _ => assert!(!ok || ms < 0, "{ms}"),
            }
            ms += 987_654_321_123;
        }
        let mut out = Vec::new();
        assert!(push_timestamp(&mut out, 0));
        assert_eq!(out, b"1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn special_topic_names_are_escaped() {
        let mut e = event(None, None);
        e.topic = Some(Arc::from("we\"ird\\topic"));
        round_trip(&e);
    }

    #[test]
    fn a_plain_value_has_no_coordinates() {
        let mut e = Event::new(Origin::Line {
            file: Arc::from("values.jsonl"),
            line: 3,
        });
        e.value = Some(b"{}".to_vec());
        let line = round_trip(&e);
        assert!(
            line.starts_with(r#"{"topic":null,"partition":null,"offset":null,"#),
            "{line}"
        );
        assert_eq!(e.origin.to_string(), "values.jsonl:3");
    }

    #[test]
    fn bad_envelopes_are_errors_not_panics() {
        for line in [
            "",
            "not json",
            "[1,2]",
            r#"{"value":"!!","value_encoding":"base64"}"#,
            r#"{"value":1,"value_encoding":"text"}"#,
            r#"{"key":"a","key_encoding":"rot13"}"#,
            r#"{"timestamp":"yesterday"}"#,
            r#"{"headers":[["a",1]]}"#,
        ] {
            let origin = Origin::Line {
                file: Arc::from("x"),
                line: 1,
            };
            assert!(Event::from_envelope(line, origin).is_err(), "{line}");
        }
    }
}
