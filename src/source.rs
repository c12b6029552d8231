//! Sources of events. A topic window is read on its own thread and arrives as batches on a
//! bounded channel, so a slow printer slows the reader instead of growing memory.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use rdkafka::consumer::BaseConsumer;

use crate::broker::plan::Plan;
use crate::broker::reader::{self, Batch, ReadEnd, ReadOptions, Stop};
use crate::config::Connection;

/// Batches in flight between the reader and the printer (each up to 512 events).
const CHANNEL_BATCHES: usize = 16;

/// A topic window being read in the background.
pub struct TopicSource {
    reader: JoinHandle<anyhow::Result<ReadEnd>>,
    stop: Stop,
}

impl TopicSource {
    /// Starts reading `plan`; events arrive on the returned receiver.
    pub fn open(
        consumer: Arc<BaseConsumer>,
        connection: &Connection,
        plan: Plan,
        options: ReadOptions,
    ) -> (TopicSource, Receiver<Batch>) {
        let (tx, batches) = sync_channel(CHANNEL_BATCHES);
        let stop = options.stop.clone();
        let connection = connection.clone();
        let reader = std::thread::Builder::new()
            .name("evt-reader".into())
            .spawn(move || reader::read(consumer, &connection, &plan, &options, tx))
            .expect("the OS can start a thread");
        (TopicSource { reader, stop }, batches)
    }

    /// Stops the reader (if still running) and returns how it ended.
    pub fn close(self) -> anyhow::Result<ReadEnd> {
        self.stop.enough.store(true, Ordering::Relaxed);
        self.reader
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the reader thread panicked")))
    }
}

/// Envelope lines (or plain values) from files or stdin, one event per non-blank line,
/// with the place each came from. Reads line by line: memory does not grow with the file.
pub struct LineSource {
    inputs: Vec<Option<std::path::PathBuf>>,
    current: Option<(String, Box<dyn std::io::BufRead>)>,
    line: usize,
    values: bool,
    buffer: Vec<u8>,
}

/// Where a line came from: `dump.jsonl:17` (or `stdin:17`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePlace {
    pub file: String,
    pub line: usize,
}

impl std::fmt::Display for LinePlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

impl LineSource {
    /// `paths` empty means stdin. `values`: each line is a value, not an envelope.
    pub fn new(paths: &[std::path::PathBuf], values: bool) -> LineSource {
        let inputs = if paths.is_empty() {
            vec![None]
        } else {
            paths.iter().cloned().map(Some).collect()
        };
        LineSource {
            inputs: inputs.into_iter().rev().collect(),
            current: None,
            line: 0,
            values,
            buffer: Vec::new(),
        }
    }

    /// The next event, or the reason its line is not one; `None` at the end of all inputs.
    pub fn next_event(
        &mut self,
    ) -> Option<anyhow::Result<(LinePlace, Result<crate::event::Event, String>)>> {
        use std::io::BufRead;
        loop {
            if self.current.is_none() {
                let input = self.inputs.pop()?;
                self.line = 0;
                self.current = Some(match input {
                    None => (
                        "stdin".to_string(),
                        Box::new(std::io::BufReader::new(std::io::stdin())) as Box<dyn BufRead>,
                    ),
                    Some(path) => match std::fs::File::open(&path) {
                        Ok(f) => (
                            path.display().to_string(),
                            Box::new(std::io::BufReader::with_capacity(1 << 20, f)),
                        ),
                        Err(e) => {
                            return Some(Err(crate::error::EvtError::usage(format!(
                                "cannot read {}: {e}",
                                path.display()
                            ))))
                        }
                    },
                });
            }
            let (name, reader) = self.current.as_mut().expect("an input is open");
            self.buffer.clear();
            match reader.read_until(b'\n', &mut self.buffer) {
                Ok(0) => {
                    self.current = None;
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    return Some(Err(crate::error::EvtError::usage(format!(
                        "cannot read {name}: {e}"
                    ))))
                }
            }
            self.line += 1;
            if self.buffer.last() == Some(&b'\n') {
                self.buffer.pop();
            }
            if self.buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let place = LinePlace {
                file: name.clone(),
                line: self.line,
            };
            let event = if self.values {
                Ok(crate::event::Event {
                    topic: Arc::from(""),
                    partition: -1,
                    offset: -1,
                    timestamp: None,
                    timestamp_type: crate::event::TimestampType::Create,
                    key: None,
                    value: Some(self.buffer.clone()),
                    headers: Vec::new(),
                })
            } else {
                match std::str::from_utf8(&self.buffer) {
                    Ok(text) => crate::event::Event::from_envelope(text.trim_end_matches('\r'))
                        .map_err(|e| e.to_string()),
                    Err(_) => Err("not UTF-8 text; an envelope line is JSON".to_string()),
                }
            };
            return Some(Ok((place, event)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_events_with_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.jsonl");
        std::fs::write(
            &path,
            "{\"key\":\"a\",\"value\":{\"n\":1}}\n\n{broken\r\n{\"key\":null,\"value\":\"dGV4dA==\",\"value_encoding\":\"base64\"}",
        )
        .unwrap();
        let mut source = LineSource::new(&[path], false);
        let mut seen = Vec::new();
        while let Some(item) = source.next_event() {
            let (place, event) = item.unwrap();
            seen.push((place.line, event.map(|e| e.value)));
        }
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[0], (1, Ok(Some(br#"{"n":1}"#.to_vec()))));
        assert_eq!(seen[1].0, 3);
        assert!(seen[1].1.is_err());
        assert_eq!(seen[2], (4, Ok(Some(b"text".to_vec()))));
    }

    #[test]
    fn values_mode_keeps_line_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("values.jsonl");
        std::fs::write(&path, "{\"a\": 1}\nplain\n").unwrap();
        let mut source = LineSource::new(&[path], true);
        let first = source.next_event().unwrap().unwrap().1.unwrap();
        assert_eq!(first.value.as_deref(), Some(&b"{\"a\": 1}"[..]));
        assert_eq!(first.key, None);
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let mut source =
            LineSource::new(&[std::path::PathBuf::from("/nonexistent/x.jsonl")], false);
        assert!(source.next_event().unwrap().is_err());
    }
}
