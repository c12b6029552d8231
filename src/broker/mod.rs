//! The broker boundary: the only place a client library is named.
//!
//! Everything above talks to a cluster through [`Broker`] (list topics, resolve a window to
//! per-partition ranges, open a reader, open a writer, create a topic, look at single records)
//! and never holds a client. Each broker family lives in its own module behind that trait:
//! [`kafka`] (rdkafka) and [`rabbit`] (RabbitMQ Streams, evt's own stream-protocol client). Nothing here imports commands, sinks,
//! the CLI or config: the types this module needs ([`Connection`], [`Plan`]) are its own.

pub mod cluster;
pub mod kafka;
pub mod partitioner;
pub mod plan;
pub mod rabbit;
pub mod redact;

use std::collections::HashMap;
use std::time::Duration;

pub use cluster::{Committed, Configs, Group, Member, Placement, TopicLayout};
pub use kafka::{mock, produce};
pub use plan::{PartitionPlan, Plan};
pub use redact::is_secret;

use crate::error::EvtError;
use crate::event::Event;
pub use crate::feed::Feed as Reader;
use crate::position::Window;
use crate::stop::Stop;

/// How to reach a cluster.
#[derive(Debug, Clone)]
pub struct Connection {
    pub brokers: String,
    /// Client properties in the order they apply (later wins).
    pub properties: Vec<(String, String)>,
    pub timeout: Duration,
    pub profile: Option<String>,
    pub readonly: bool,
    /// 0 quiet, 1 notes on stderr, 2 client debug logs too.
    pub verbose: u8,
    /// False for a cluster known not to create topics on request (evt's playground).
    pub creates_topics: bool,
}

impl Connection {
    /// The properties with secrets masked, for `-v` output and error messages.
    pub fn redacted_properties(&self) -> Vec<(String, String)> {
        self.properties
            .iter()
            .map(|(k, v)| (k.clone(), redact::shown(k, v).to_string()))
            .collect()
    }

    /// The same cluster without `-v` notes (for evt's own internal reads).
    pub fn quiet(&self) -> Connection {
        Connection {
            verbose: 0,
            ..self.clone()
        }
    }
}

/// A topic and its partition ids, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: Vec<i32>,
    /// Why the broker cannot serve this topic, when it says so.
    pub problem: Option<String>,
}

/// A partition's log: offsets `low..high` are on the broker (watermarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionLog {
    pub partition: i32,
    pub low: i64,
    pub high: i64,
}

/// A topic as the broker describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDescription {
    pub name: String,
    pub partitions: Vec<PartitionLog>,
}

impl TopicDescription {
    /// Records between the watermarks (fewer where compaction removed some).
    pub fn events(&self) -> i64 {
        self.partitions
            .iter()
            .map(|p| (p.high - p.low).max(0))
            .sum()
    }
}

/// Which events of a plan to read, and how.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// One timeline across partitions (a merge by timestamp), else partition by partition.
    pub merge_by_time: bool,
    pub stop: Stop,
    /// Tail: follow partitions that appear while following.
    pub discover_partitions: bool,
    /// Tail: stop when the wall clock passes this time (epoch ms); skip later events.
    pub deadline_ms: Option<i64>,
    /// Fail when a bounded read makes no progress for this long.
    pub stall_timeout: Duration,
    /// Read record headers (nothing downstream may need them: `--format value` unfiltered).
    pub headers: bool,
}

/// Why reading ended without an error: `Completed` when every partition reached the end of
/// its window.
pub use crate::feed::FeedEnd as ReadEnd;

/// A write in flight: which source lane it came from and its place there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    pub lane: usize,
    pub offset: i64,
}

/// The broker's answer for one written record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub tag: Tag,
    pub outcome: Result<(), Failure>,
}

/// Why a record was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Refused because of its size (key, value and headers: `bytes`); sending it again
    /// will not help.
    TooLarge { bytes: u64 },
    /// Anything else (timed out, broker down, not authorised).
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::TooLarge { bytes } => write!(f, "a record of {bytes} bytes is too large"),
            Failure::Other(reason) => f.write_str(reason),
        }
    }
}

/// Writes events into topics, every record confirmed (or failed) on its own.
pub trait Writer: Send {
    /// Queues one event for `topic` (its partition when `partition` is set, else by key),
    /// with an extra header when given. A record larger than the producer accepts is an
    /// [`EvtError::TooLarge`] naming the event's origin; nothing is queued then.
    fn send(
        &self,
        topic: &str,
        partition: Option<i32>,
        event: &Event,
        extra: Option<(&str, &[u8])>,
        tag: Tag,
    ) -> anyhow::Result<()>;
    /// Serves delivery reports (waiting up to `wait`) and returns those that arrived.
    fn poll(&self, wait: Duration) -> Vec<Delivery>;
    /// Waits for every queued record's report and returns the reports that arrived. After
    /// Ctrl-C or SIGTERM (`stop`), waits at most the connection's timeout.
    fn flush(&self, stop: &Stop) -> Vec<Delivery>;
    /// Records sent but not yet confirmed or failed.
    fn in_flight(&self) -> usize;
    /// Names the replay run this writer copies for (a resumed run keeps its name): a family
    /// that deduplicates by publisher (RabbitMQ Streams) publishes under it, so a resume
    /// writes nothing twice and a new run writes its events again.
    fn replay_run(&self, _run: &str) {}
}

/// One cluster, whatever the family.
pub trait Broker: Send + Sync {
    /// Every topic with its partitions.
    fn topics(&self) -> anyhow::Result<Vec<TopicInfo>>;
    /// The named topics, failing on the first unknown one (with the closest names where the
    /// broker can list them).
    fn find(&self, names: &[String]) -> anyhow::Result<Vec<TopicInfo>> {
        find_topics(&self.topics()?, names)
    }
    /// The partition count every topic of this family has (a RabbitMQ stream: 1), if fixed.
    fn fixed_partitions(&self) -> Option<i32> {
        None
    }
    /// Resolves `window` on the named topics' chosen partitions (`None`: all, or as the window
    /// says); `bounded` snapshots the end for windows without `until`.
    fn plan(
        &self,
        topics: &[(TopicInfo, Vec<i32>)],
        window: &Window,
        bounded: bool,
    ) -> anyhow::Result<Plan>;
    /// A topic's partitions and watermarks; `None` when the cluster has no such topic.
    fn describe(&self, topic: &str) -> anyhow::Result<Option<TopicDescription>> {
        let found = match self.find(&[topic.to_string()]) {
            Ok(mut found) => found.remove(0),
            Err(e) if matches!(e.downcast_ref(), Some(EvtError::UnknownTopic(_))) => {
                return Ok(None)
            }
            Err(e) => return Err(e),
        };
        let partitions = found.partitions.clone();
        let plan = self.plan(&[(found, partitions)], &Window::everything(), true)?;
        Ok(Some(TopicDescription {
            name: topic.to_string(),
            partitions: plan
                .partitions
                .iter()
                .map(|p| PartitionLog {
                    partition: p.partition,
                    low: p.low,
                    high: p.high,
                })
                .collect(),
        }))
    }
    /// Starts reading `plan` in the background.
    fn read(&self, plan: Plan, options: ReadOptions) -> anyhow::Result<Reader>;
    /// A writer into this cluster.
    /// A writer whose waits for room in its queue end on Ctrl-C (`stop`).
    fn writer(&self, stop: &Stop) -> anyhow::Result<Box<dyn Writer>>;
    /// Creates `name` with `partitions` partitions.
    fn create_topic(&self, name: &str, partitions: i32) -> anyhow::Result<()>;
    /// Whether [`Broker::create_topic`] can succeed, as far as evt knows without creating
    /// anything (a dry run's answer); `Ok` where it cannot tell.
    fn check_create(&self, _name: &str, _partitions: i32) -> anyhow::Result<()> {
        Ok(())
    }
    /// The first record at or after each requested offset of `topic`: its offset and
    /// timestamp (`None`: no record there).
    fn records_at(
        &self,
        topic: &str,
        wanted: &HashMap<i32, i64>,
    ) -> anyhow::Result<HashMap<i32, Option<(i64, i64)>>>;
    /// Every topic with where its partitions live (leader, replicas, in-sync replicas).
    fn layout(&self) -> anyhow::Result<Vec<TopicLayout>>;
    /// The named topics' layout (an unknown name is an error).
    fn layout_of(&self, names: &[String]) -> anyhow::Result<Vec<TopicLayout>> {
        let all = self.layout()?;
        let known: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
        if let Some(missing) = names.iter().find(|n| !known.contains(&n.as_str())) {
            return Err(EvtError::UnknownTopic(unknown_topic_message(missing, &known)).into());
        }
        Ok(all
            .into_iter()
            .filter(|t| names.contains(&t.name))
            .collect())
    }
    /// The configuration of each named topic; `None` when the broker does not report
    /// configurations at all.
    fn topic_configs(&self, topics: &[String]) -> anyhow::Result<Option<HashMap<String, Configs>>>;
    /// Every consumer group; with `describe`, also its members and protocol where the
    /// broker describes groups.
    fn groups(&self, describe: bool) -> anyhow::Result<Vec<Group>>;
    /// The offsets each of `groups` has committed for `partitions` (topic, partition), in
    /// the order of `groups`; partitions without a commit are left out.
    fn committed(
        &self,
        groups: &[String],
        partitions: &[(String, i32)],
    ) -> anyhow::Result<Vec<Vec<Committed>>>;
    /// The timestamp of the first record at or after each of several offsets per partition
    /// of `topic`, read in one pass (offsets with nothing at or after them are left out).
    fn timestamps_at(
        &self,
        topic: &str,
        wanted: &HashMap<i32, Vec<i64>>,
    ) -> anyhow::Result<HashMap<(i32, i64), i64>>;
    /// The value of header `name` on the record at each requested offset.
    fn headers_at(
        &self,
        topic: &str,
        wanted: &HashMap<i32, i64>,
        name: &str,
    ) -> anyhow::Result<HashMap<i32, Option<Vec<u8>>>>;
}

/// Connects to the cluster `connection` names (no request is made yet).
pub fn connect(connection: &Connection) -> anyhow::Result<Box<dyn Broker>> {
    // Every connection's address (a replay's target, a diff's other side …): a password in
    // any URL-like address is scrubbed from whatever evt prints from here on.
    rabbit::address::remember_secrets(&connection.brokers);
    if rabbit::is_rabbit(&connection.brokers) {
        return Ok(Box::new(rabbit::Rabbit::new(connection)?));
    }
    Ok(Box::new(kafka::Kafka::new(connection)?))
}

/// Looks up topics by name, failing on the first unknown one with the closest names.
pub fn find_topics(all: &[TopicInfo], names: &[String]) -> anyhow::Result<Vec<TopicInfo>> {
    names
        .iter()
        .map(|name| match all.iter().find(|t| &t.name == name) {
            Some(TopicInfo {
                problem: Some(err), ..
            }) => Err(EvtError::broker(format!(
                "topic '{name}' is not readable: {err}; check permissions (ACLs) and the topic state"
            ))),
            Some(t) => Ok(t.clone()),
            None => {
                let known: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
                Err(EvtError::UnknownTopic(unknown_topic_message(name, &known)).into())
            }
        })
        .collect()
}

/// `topic 'ordrs' not found; did you mean 'orders'?`
pub fn unknown_topic_message(name: &str, known: &[&str]) -> String {
    not_found_message("topic", "topics", name, known)
}

/// `group 'biling' not found; did you mean 'billing'?`: the closest names of a `kind` (a
/// clear winner alone), else some of the names there are (internal `__` names left out).
pub fn not_found_message(kind: &str, kinds: &str, name: &str, known: &[&str]) -> String {
    let mut scored: Vec<(f64, &str)> = known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    // Only names about as close as the closest: a clear winner is named alone.
    let best = scored.first().map_or(0.0, |s| s.0);
    let close: Vec<String> = scored
        .iter()
        .take_while(|(score, _)| *score >= best - 0.05)
        .take(3)
        .map(|(_, k)| format!("'{k}'"))
        .collect();
    match close.as_slice() {
        [] if known.is_empty() => {
            format!("{kind} '{name}' not found; the cluster has no {kinds} yet")
        }
        [] => {
            let mut some: Vec<&str> = known
                .iter()
                .copied()
                .filter(|k| !k.starts_with("__"))
                .collect();
            some.sort_unstable();
            let more = if some.len() > 8 { ", …" } else { "" };
            some.truncate(8);
            format!(
                "{kind} '{name}' not found; {kinds} on this cluster: {}{more}",
                some.join(", ")
            )
        }
        [one] => format!("{kind} '{name}' not found; did you mean {one}?"),
        many => format!(
            "{kind} '{name}' not found; did you mean one of {}?",
            many.join(", ")
        ),
    }
}

/// Checks that the requested partitions exist in a topic; empty means all of them.
pub fn select_partitions(topic: &TopicInfo, requested: &[i32]) -> anyhow::Result<Vec<i32>> {
    if requested.is_empty() {
        return Ok(topic.partitions.clone());
    }
    let mut selected = Vec::with_capacity(requested.len());
    for p in requested {
        if !topic.partitions.contains(p) {
            return Err(EvtError::usage(format!(
                "topic '{}' has no partition {p}; it has partitions 0..{}",
                topic.name,
                topic.partitions.len().saturating_sub(1)
            )));
        }
        if !selected.contains(p) {
            selected.push(*p);
        }
    }
    selected.sort_unstable();
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        let known = ["orders", "payments", "shipments", "__consumer_offsets"];
        assert_eq!(
            unknown_topic_message("ordrs", &known),
            "topic 'ordrs' not found; did you mean 'orders'?"
        );
        // A clear winner is named alone, even when other names share its suffix.
        let known = ["orders-20301-14", "diffsrc-20301-1", "diffnarrow-20301-10"];
        assert_eq!(
            unknown_topic_message("ordrs-20301-14", &known),
            "topic 'ordrs-20301-14' not found; did you mean 'orders-20301-14'?"
        );
        let known = ["orders-eu", "orders-us", "payments"];
        assert!(unknown_topic_message("orders", &known).contains("one of 'orders-eu', 'orders-us'"));
        let none = unknown_topic_message("zzz", &known);
        assert!(none.starts_with("topic 'zzz' not found;") && !none.contains("did you mean"));
    }

    #[test]
    fn partition_selection() {
        let t = TopicInfo {
            problem: None,
            name: "t".into(),
            partitions: vec![0, 1, 2],
        };
        assert_eq!(select_partitions(&t, &[]).unwrap(), vec![0, 1, 2]);
        assert_eq!(select_partitions(&t, &[2, 0, 2]).unwrap(), vec![0, 2]);
        let err = select_partitions(&t, &[5]).unwrap_err().to_string();
        assert!(err.contains("no partition 5"), "{err}");
    }
}
