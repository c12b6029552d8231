//! Sources of events: a topic window (bounded), a live follow (tail), a file or stdin, and
//! a merged timeline of several. [`Request::open`] turns every SOURCE argument into one
//! [`Source`]: the one way every reading command gets its events.

mod file;
mod merge;
mod topic;

use std::path::PathBuf;
use std::time::Duration;

use crate::broker::{Broker, Plan};
use crate::error::EvtError;
use crate::feed::Next;
use crate::position::Window;
use crate::stop::Stop;

pub use file::Input;

/// One SOURCE argument, classified when the configuration was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceArg {
    Topic(String),
    /// A file path; `-` is stdin.
    File(PathBuf),
}

impl SourceArg {
    /// A path that exists (or `-`) is a file (a pipe too: `<(zcat dump.jsonl.gz)`); otherwise a
    /// name is a topic, unless it looks like a path (a topic has no '/' and no .json ending),
    /// which is then a missing file.
    pub fn classify(text: &str) -> anyhow::Result<SourceArg> {
        let path = std::path::Path::new(text);
        if path.is_dir() && looks_like_path(text) {
            return Err(EvtError::usage(format!(
                "{text}: is a directory; name files (a quoted glob such as '{}/*.jsonl' is expanded)",
                text.trim_end_matches('/')
            )));
        }
        if text == "-" || (path.exists() && !path.is_dir()) {
            return Ok(SourceArg::File(PathBuf::from(text)));
        }
        if looks_like_path(text) {
            return Err(EvtError::usage(format!(
                "{text}: no such file (a topic name has no '/' and no .json ending)"
            )));
        }
        Ok(SourceArg::Topic(text.to_string()))
    }
}

fn looks_like_path(source: &str) -> bool {
    source.contains('/')
        || [".json", ".jsonl", ".ndjson"]
            .iter()
            .any(|e| source.ends_with(e))
}

/// Bounded windows end; a follow goes on until stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A bounded read: one timeline across partitions and sources, or partition by partition.
    Bounded { by_time: bool },
    /// Following topics live (tail): stop at `deadline_ms` on the wall clock, if given.
    Follow { deadline_ms: Option<i64> },
}

/// What to open: the SOURCE arguments, the window and how to read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub sources: Vec<SourceArg>,
    pub window: Window,
    /// `--key` values: with `prune`, only the partitions the default partitioner maps them to.
    pub keys: Vec<Vec<u8>>,
    pub prune: bool,
    pub mode: Mode,
    /// How files are read (`None`: by their extension).
    pub input: Option<Input>,
    /// Fail a bounded read that makes no progress for this long.
    pub stall_timeout: Duration,
    /// Whether anything downstream (a filter, the printer, a copy) looks at headers.
    pub headers: bool,
    pub verbose: u8,
}

impl Request {
    pub fn topics(&self) -> Vec<String> {
        self.sources
            .iter()
            .filter_map(|s| match s {
                SourceArg::Topic(t) => Some(t.clone()),
                SourceArg::File(_) => None,
            })
            .collect()
    }

    fn files(&self) -> Vec<PathBuf> {
        self.sources
            .iter()
            .filter_map(|s| match s {
                SourceArg::File(f) => Some(f.clone()),
                SourceArg::Topic(_) => None,
            })
            .collect()
    }

    /// True when some source is a topic: the command needs a broker.
    pub fn needs_broker(&self) -> bool {
        self.sources
            .iter()
            .any(|s| matches!(s, SourceArg::Topic(_)))
    }

    /// Checks what can be checked without a broker: offsets are for topics only.
    pub fn check(&self) -> anyhow::Result<()> {
        if !self.needs_broker() && self.window.counts_records() {
            return Err(EvtError::usage(
                "offset positions (1234, -100, +100) count records in a topic; files are windowed by time (2h, 2026-11-24T10:00, @MS)",
            ));
        }
        if !self.needs_broker() && !self.window.partitions.is_empty() {
            return Err(EvtError::usage(
                "-p/--partition selects topic partitions; files have none",
            ));
        }
        if matches!(self.mode, Mode::Follow { .. }) && !self.files().is_empty() {
            return Err(EvtError::usage(
                "tail follows topics; read files with evt read",
            ));
        }
        Ok(())
    }

    /// Resolves the window on the topic sources: per partition, the offsets to read.
    pub fn plan(&self, broker: &dyn Broker) -> anyhow::Result<Plan> {
        let bounded = matches!(self.mode, Mode::Bounded { .. });
        topic::plan(broker, self, bounded)
    }

    /// Opens every source (topics through `plan`, made by [`Request::plan`]) as one.
    pub fn open(
        &self,
        broker: Option<&dyn Broker>,
        plan: Option<Plan>,
        stop: &Stop,
    ) -> anyhow::Result<Box<dyn Source>> {
        self.check()?;
        let mut opened: Vec<Box<dyn Source>> = Vec::new();
        if let (Some(broker), Some(plan)) = (broker, plan) {
            opened.push(Box::new(topic::TopicSource::open(
                broker, plan, self, stop,
            )?));
        }
        for path in self.files() {
            opened.push(Box::new(file::FileSource::open(
                path,
                self.input,
                self.headers,
                stop,
            )?));
        }
        let by_time = matches!(self.mode, Mode::Bounded { by_time: true });
        Ok(match opened.len() {
            1 => opened.pop().expect("one source"),
            _ if by_time => Box::new(merge::Merge::new(opened)),
            _ => Box::new(merge::Chain::new(opened)),
        })
    }
}

/// Events from somewhere, in batches of owned items, in bounded memory.
pub trait Source: Send {
    /// The next batch, waiting up to `wait`.
    fn next(&mut self, wait: Duration) -> Next;
    /// Stops reading and says whether the source failed.
    fn close(&mut self) -> anyhow::Result<()>;
    /// How many events the source expects to yield, when known (progress bars).
    fn expected(&self) -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_files_pipes_or_topics() {
        let dir = std::env::temp_dir().join(format!("evt-classify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let fifo_text = fifo.to_str().unwrap();
        // A pipe (`<(zcat dump.gz)`) is a file to read, like stdin.
        assert_eq!(
            SourceArg::classify(fifo_text).unwrap(),
            SourceArg::File(fifo.clone())
        );
        assert_eq!(
            SourceArg::classify("-").unwrap(),
            SourceArg::File("-".into())
        );
        assert_eq!(
            SourceArg::classify("orders").unwrap(),
            SourceArg::Topic("orders".into())
        );
        let err = SourceArg::classify(&format!("{}/", dir.display())).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
        let err = SourceArg::classify("no/such.jsonl").unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
