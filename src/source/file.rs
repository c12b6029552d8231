//! File and stdin sources: JSON Lines (one event per line, whatever its JSON type), one JSON
//! document (an array of events, streamed element by element, or one event), or plain
//! values (each line's bytes). The shape comes from the extension or `--input`, never from the
//! first character of the file.
//!
//! An event is an envelope (as `evt read --format json` prints it) when it is an object with a
//! `value` field and no field an envelope does not have; anything else is a plain value.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::Source;
use crate::event::{Event, Item, Origin, Unreadable};
use crate::feed::{Batcher, Feed, FeedEnd, Next};
use crate::stop::Stop;

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// One event per line (`.jsonl`, `.ndjson`, stdin, anything not `.json`).
    Jsonl,
    /// One JSON document: an array of events or a single event (`.json`).
    Json,
    /// Each line's bytes are a value, JSON or not.
    Values,
}

impl Input {
    /// The shape of `path` unless `chosen`: `.json` is one document, the rest JSON Lines.
    pub fn of(path: &Path, chosen: Option<Input>) -> Input {
        chosen.unwrap_or_else(|| match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Input::Json,
            _ => Input::Jsonl,
        })
    }
}

/// The fields of an envelope line.
const ENVELOPE_FIELDS: [&str; 11] = [
    "topic",
    "partition",
    "offset",
    "timestamp",
    "timestamp_type",
    "key",
    "key_encoding",
    "headers",
    "value",
    "value_encoding",
    "value_schema_id",
];

/// A file being read on its own thread.
pub struct FileSource {
    feed: Feed,
}

impl FileSource {
    /// Without `headers`, envelope headers are skipped unread (nothing downstream looks at them).
    pub fn open(
        path: PathBuf,
        input: Option<Input>,
        headers: bool,
        stop: &Stop,
    ) -> anyhow::Result<FileSource> {
        let stop = stop.child();
        let shape = Input::of(&path, input);
        let feed = Feed::spawn("evt-file", stop.clone(), move |tx| {
            let mut out = Batcher::new(tx);
            let ended = read_file(&path, shape, headers, &stop, &mut out)?;
            Ok(if out.flush() { ended } else { FeedEnd::Stopped })
        })?;
        Ok(FileSource { feed })
    }
}

impl Source for FileSource {
    fn next(&mut self, wait: Duration) -> Next {
        self.feed.next(wait)
    }

    fn close(&mut self) -> anyhow::Result<()> {
        self.feed.close().map(drop)
    }
}

fn display_name(path: &Path) -> Arc<str> {
    if path.as_os_str() == "-" {
        Arc::from("stdin")
    } else {
        Arc::from(path.display().to_string())
    }
}

fn read_file(
    path: &Path,
    shape: Input,
    headers: bool,
    stop: &Stop,
    out: &mut Batcher,
) -> anyhow::Result<FeedEnd> {
    let name = display_name(path);
    let input: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(path)
                .map_err(|e| crate::error::EvtError::usage(format!("cannot read {name}: {e}")))?,
        )
    };
    let reader = BufReader::with_capacity(1 << 20, input);
    match shape {
        Input::Json => read_document(&name, reader, headers, stop, out),
        Input::Jsonl | Input::Values => read_lines(&name, reader, shape, headers, stop, out),
    }
}

fn read_lines(
    name: &Arc<str>,
    mut reader: BufReader<impl Read>,
    shape: Input,
    headers: bool,
    stop: &Stop,
    out: &mut Batcher,
) -> anyhow::Result<FeedEnd> {
    let mut buffer = Vec::new();
    let mut line = 0u64;
    loop {
        if stop.is_set() {
            return Ok(FeedEnd::Stopped);
        }
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|e| crate::error::EvtError::usage(format!("cannot read {name}: {e}")))?;
        if read == 0 {
            return Ok(FeedEnd::Completed);
        }
        line += 1;
        if buffer.last() == Some(&b'\n') {
            buffer.pop();
        }
        if buffer.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let origin = Origin::Line {
            file: name.clone(),
            line,
        };
        let item = match shape {
            Input::Values => {
                let mut event = Event::new(origin);
                event.value = Some(buffer.clone());
                Ok(event)
            }
            _ => match std::str::from_utf8(&buffer) {
                Ok(text) => event_from_text(text.trim(), origin, headers),
                Err(_) => Err(Unreadable {
                    origin,
                    reason: "not an envelope or a JSON value: the line is not UTF-8 text".into(),
                }),
            },
        };
        if !out.push(item) {
            return Ok(FeedEnd::Stopped);
        }
        // Whatever has been read goes on before the next read, which may wait (a pipe or a
        // terminal: `tail -f app.log | evt produce …` writes each line as it comes).
        if reader.buffer().is_empty() && !out.flush() {
            return Ok(FeedEnd::Stopped);
        }
    }
}

/// One JSON text: an envelope, or a plain JSON value; anything else is unreadable. One pass
/// checks the text and tells which it is; only an envelope is parsed again, into its record.
fn event_from_text(text: &str, origin: Origin, headers: bool) -> Item {
    // Most lines are envelopes: one parse reads them; anything else is told apart below.
    if text.starts_with('{') {
        if let Some(read) = Event::from_exact_envelope(text, origin.clone(), headers) {
            return read.map_err(|e| Unreadable {
                origin,
                reason: e.to_string(),
            });
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let shape = serde::Deserializer::deserialize_any(&mut de, Shape).and_then(|s| {
        de.end()?;
        Ok(s)
    });
    match shape {
        Ok(true) => Event::from_envelope(text, origin.clone()).map_err(|e| Unreadable {
            origin,
            reason: e.to_string(),
        }),
        Ok(false) => {
            let mut event = Event::new(origin);
            event.value = Some(text.as_bytes().to_vec());
            Ok(event)
        }
        Err(e) => Err(Unreadable {
            origin,
            reason: format!("not an envelope or a JSON value: {e}"),
        }),
    }
}

/// Walks one JSON value and answers whether it is an envelope: an object with a `value`
/// field and no field an envelope lacks.
struct Shape;

impl<'de> serde::de::Visitor<'de> for Shape {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let (mut value, mut only_envelope_fields) = (false, true);
        while let Some(field) = map.next_key_seed(FieldName)? {
            map.next_value::<IgnoredAny>()?;
            value |= field == Some("value");
            only_envelope_fields &= field.is_some();
        }
        Ok(value && only_envelope_fields)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// A map key, as the envelope field it names (`None`: not an envelope field).
struct FieldName;

impl<'de> serde::de::DeserializeSeed<'de> for FieldName {
    type Value = Option<&'static str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FieldName {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
        Ok(ENVELOPE_FIELDS.iter().copied().find(|f| *f == name))
    }
}

/// A `.json` document: an array is streamed element by element (never held whole); any
/// other value is one event.
fn read_document(
    name: &Arc<str>,
    mut reader: impl BufRead,
    headers: bool,
    stop: &Stop,
    out: &mut Batcher,
) -> anyhow::Result<FeedEnd> {
    let first = reader
        .fill_buf()
        .map_err(|e| crate::error::EvtError::usage(format!("cannot read {name}: {e}")))?
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace());
    if first != Some(b'[') {
        let mut text = String::new();
        let origin = Origin::Line {
            file: name.clone(),
            line: 1,
        };
        let item = match reader.read_to_string(&mut text) {
            Ok(_) if text.trim().is_empty() => return Ok(FeedEnd::Completed),
            Ok(_) => event_from_text(text.trim(), origin, headers),
            Err(_) => Err(Unreadable {
                origin,
                reason: "not an envelope or a JSON value: the file is not UTF-8 text".into(),
            }),
        };
        out.push(item);
        return Ok(FeedEnd::Completed);
    }
    let mut index = 0u64;
    let mut stopped = false;
    let mut each = |raw: Box<RawValue>| -> bool {
        let origin = Origin::Item {
            file: name.clone(),
            index,
        };
        index += 1;
        if stop.is_set() || !out.push(event_from_text(raw.get(), origin, headers)) {
            stopped = true;
        }
        !stopped
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = serde::Deserializer::deserialize_seq(&mut de, Elements(&mut each));
    if stopped {
        return Ok(FeedEnd::Stopped);
    }
    if let Err(e) = parsed.and_then(|()| de.end()) {
        out.push(Err(Unreadable {
            origin: Origin::Line {
                file: name.clone(),
                line: e.line() as u64,
            },
            reason: format!("not a valid JSON array: {e}"),
        }));
    }
    Ok(FeedEnd::Completed)
}

/// Visits a JSON array one element at a time; the callback returns false to stop.
struct Elements<'f, F: FnMut(Box<RawValue>) -> bool>(&'f mut F);

impl<'de, F: FnMut(Box<RawValue>) -> bool> serde::de::Visitor<'de> for Elements<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of events")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Box<RawValue>>()? {
            if !(self.0)(item) {
                // Stop early: skip the rest without keeping it.
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(name: &str, text: &str, input: Option<Input>) -> Vec<Item> {
        items_with(name, text, input, true)
    }

    fn items_with(name: &str, text: &str, input: Option<Input>, headers: bool) -> Vec<Item> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let mut source = FileSource::open(path, input, headers, &Stop::default()).unwrap();
        let mut all = Vec::new();
        loop {
            match source.next(Duration::from_secs(5)) {
                Next::Batch(b) => all.extend(b),
                Next::Idle => panic!("a file source never idles this long"),
                Next::Ended => break,
            }
        }
        source.close().unwrap();
        all
    }

    fn value(item: &Item) -> String {
        let event = item.as_ref().expect("an event");
        String::from_utf8(event.value.clone().unwrap()).unwrap()
    }

    #[test]
    fn headers_nobody_looks_at_are_skipped_and_the_rest_is_read() {
        let line = r#"{"key":"k","headers":[["a","1"],["b",{"base64":"/w=="}]],"value":{"x":1}}"#;
        for (wanted, expected) in [(true, 2), (false, 0)] {
            let all = items_with("h.jsonl", &format!("{line}\n{line}\n"), None, wanted);
            assert_eq!(all.len(), 2);
            let event = all[0].as_ref().unwrap();
            assert_eq!(event.headers.len(), expected);
            assert_eq!(event.key.as_deref(), Some(&b"k"[..]));
            assert_eq!(value(&all[1]), r#"{"x":1}"#);
        }
        // Either way a line with a field no envelope has is a plain value.
        let odd = r#"{"key":"k","headers":[],"value":1,"extra":true}"#;
        assert_eq!(value(&items_with("o.jsonl", odd, None, false)[0]), odd);
    }

    #[test]
    fn jsonl_lines_are_one_event_each_whatever_their_type() {
        let all = items(
            "x.jsonl",
            "[1,1]\n\n{\"key\":\"a\",\"value\":{\"n\":1}}\n{broken\n{\"value\": 3, \"unit\": \"kg\"}\n",
            None,
        );
        assert_eq!(all.len(), 4);
        assert_eq!(value(&all[0]), "[1,1]", "an array line is one event");
        let envelope = all[1].as_ref().unwrap();
        assert_eq!(envelope.key.as_deref(), Some(&b"a"[..]));
        assert_eq!(value(&all[1]), r#"{"n":1}"#);
        assert_eq!(
            envelope.origin.to_string(),
            format!("{}:3", envelope.origin.file().unwrap())
        );
        let bad = all[2].as_ref().unwrap_err();
        assert!(bad.origin.to_string().ends_with("x.jsonl:4"), "{bad:?}");
        assert!(bad.reason.starts_with("not an envelope"), "{bad:?}");
        assert_eq!(
            value(&all[3]),
            r#"{"value": 3, "unit": "kg"}"#,
            "an object with fields an envelope lacks is a plain value, spaces kept"
        );
    }

    #[test]
    fn json_files_are_one_document() {
        let all = items("x.json", "[{\"a\":1}, [1,1], 7]", None);
        assert_eq!(all.len(), 3);
        assert_eq!(value(&all[1]), "[1,1]");
        let origin = all[2].as_ref().unwrap().origin.to_string();
        assert!(origin.ends_with("x.json[2]"), "{origin}");
        let one = items("one.json", "{\n  \"a\": 1\n}\n", None);
        assert_eq!(one.len(), 1);
        let broken = items("broken.json", "[{\"a\":1},\n{", None);
        assert_eq!(broken.len(), 2);
        assert!(broken[1]
            .as_ref()
            .unwrap_err()
            .reason
            .contains("not a valid JSON array"));
    }

    #[test]
    fn input_overrides_the_extension() {
        let all = items("x.json", "[1,1]\n{\"a\": 1}\n", Some(Input::Jsonl));
        assert_eq!(all.len(), 2);
        let raw = items("x.jsonl", "plain text\n{\"a\": 1}\n", Some(Input::Values));
        assert_eq!(value(&raw[0]), "plain text");
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let mut source = FileSource::open(
            PathBuf::from("/nonexistent/x.jsonl"),
            None,
            true,
            &Stop::default(),
        )
        .unwrap();
        while !matches!(source.next(Duration::from_secs(5)), Next::Ended) {}
        assert!(source.close().is_err());
    }
}
