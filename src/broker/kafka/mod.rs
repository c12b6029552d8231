//! The Kafka family, through rdkafka: building clients, cluster metadata, resolving windows
//! to offsets, reading, writing, creating topics. [`Kafka`] is its [`Broker`].

pub mod admin;
pub mod batch;
pub mod cluster;
pub mod logging;
pub mod metadata;
pub mod mock;
pub mod probe;
pub mod produce;
pub mod reader;
pub mod resolve;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::BaseConsumer;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaConfRes;
use rdkafka::ClientConfig;

use crate::broker::{
    redact, Broker, Committed, Configs, Connection, Group, Plan, ReadOptions, Reader, TopicInfo,
    TopicLayout, Writer,
};
use crate::error::EvtError;
use crate::position::Window;
use crate::stop::Stop;

/// A Kafka-protocol cluster. Clients are made when first needed and kept for the command.
pub struct Kafka {
    connection: Connection,
    consumer: Arc<BaseConsumer>,
    probe: Mutex<Option<probe::Probe>>,
}

impl Kafka {
    pub fn new(connection: &Connection) -> anyhow::Result<Kafka> {
        logging::init(connection.verbose);
        Ok(Kafka {
            consumer: Arc::new(consumer(connection)?),
            connection: connection.clone(),
            probe: Mutex::new(None),
        })
    }

    fn with_probe<T>(
        &self,
        f: impl FnOnce(&mut probe::Probe) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut guard = self
            .probe
            .lock()
            .map_err(|_| anyhow::anyhow!("the probe lock is poisoned"))?;
        let probe = match guard.as_mut() {
            Some(p) => p,
            None => guard.insert(probe::Probe::new(&self.connection)?),
        };
        f(probe)
    }
}

impl Broker for Kafka {
    fn topics(&self) -> anyhow::Result<Vec<TopicInfo>> {
        let cluster = metadata::fetch(&self.consumer, &self.connection)?;
        metadata::all_topics(&cluster)
    }

    fn plan(
        &self,
        topics: &[(TopicInfo, Vec<i32>)],
        window: &Window,
        bounded: bool,
    ) -> anyhow::Result<Plan> {
        resolve::resolve(&self.consumer, &self.connection, topics, window, bounded)
    }

    fn read(&self, plan: Plan, options: ReadOptions) -> anyhow::Result<Reader> {
        // Each read has its own consumer: assignments of one never disturb another.
        let consumer = Arc::new(consumer(&self.connection)?);
        let connection = self.connection.clone();
        let stop = options.stop.clone();
        Reader::spawn("evt-reader", stop, move |tx| {
            reader::read(consumer, &connection, &plan, &options, tx)
        })
    }

    fn writer(&self, stop: &Stop) -> anyhow::Result<Box<dyn Writer>> {
        let mut writer = produce::TrackedWriter::new(
            &self.connection.brokers,
            &self.connection.properties,
            self.connection.timeout,
        )?;
        writer.stop = stop.clone();
        Ok(Box::new(writer))
    }

    fn create_topic(&self, name: &str, partitions: i32) -> anyhow::Result<()> {
        admin::create_topic(&self.connection, name, partitions)
    }

    fn check_create(&self, name: &str, partitions: i32) -> anyhow::Result<()> {
        admin::check_create(&self.connection, name, partitions)
    }

    fn layout(&self) -> anyhow::Result<Vec<TopicLayout>> {
        cluster::layout(&self.consumer, &self.connection)
    }

    fn topic_configs(&self, topics: &[String]) -> anyhow::Result<Option<HashMap<String, Configs>>> {
        cluster::topic_configs(&self.connection, topics)
    }

    fn groups(&self, describe: bool) -> anyhow::Result<Vec<Group>> {
        cluster::groups(&self.consumer, &self.connection, describe)
    }

    fn committed(
        &self,
        groups: &[String],
        partitions: &[(String, i32)],
    ) -> anyhow::Result<Vec<Vec<Committed>>> {
        cluster::committed(&self.consumer, &self.connection, groups, partitions)
    }

    fn records_at(
        &self,
        topic: &str,
        wanted: &HashMap<i32, i64>,
    ) -> anyhow::Result<HashMap<i32, Option<(i64, i64)>>> {
        self.with_probe(|p| p.records_at(topic, wanted))
    }

    fn timestamps_at(
        &self,
        topic: &str,
        wanted: &HashMap<i32, Vec<i64>>,
    ) -> anyhow::Result<HashMap<(i32, i64), i64>> {
        self.with_probe(|p| p.timestamps_at(topic, wanted))
    }

    fn headers_at(
        &self,
        topic: &str,
        wanted: &HashMap<i32, i64>,
        name: &str,
    ) -> anyhow::Result<HashMap<i32, Option<Vec<u8>>>> {
        self.with_probe(|p| p.headers_at(topic, wanted, name))
    }
}

/// Builds a librdkafka configuration: evt's defaults for this kind of client, then the
/// user's properties, which always win.
pub(crate) fn client_config(connection: &Connection, defaults: &[(&str, &str)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &connection.brokers)
        .set("client.id", "evt")
        .set("socket.connection.setup.timeout.ms", timeout_ms(connection))
        .set("log.connection.close", "false");
    if connection.verbose >= 2 {
        config.set("debug", "broker,topic,consumer");
    }
    for (key, value) in defaults {
        config.set(*key, *value);
    }
    redact::remember(&connection.properties);
    for (key, value) in &connection.properties {
        config.set(key, value);
    }
    config.set_log_level(if connection.verbose >= 2 {
        RDKafkaLogLevel::Debug
    } else {
        RDKafkaLogLevel::Emerg
    });
    config
}

fn timeout_ms(connection: &Connection) -> String {
    connection.timeout.as_millis().max(1000).to_string()
}

/// How evt reads: assigned partitions, no group membership, nothing committed.
const CONSUMER: [(&str, &str); 9] = [
    ("enable.auto.commit", "false"),
    ("enable.auto.offset.store", "false"),
    ("enable.partition.eof", "true"),
    ("auto.offset.reset", "earliest"),
    ("fetch.wait.max.ms", "100"),
    // A small prefetch per partition keeps memory bounded (the time merge holds one queue per
    // partition); refilling it at once, not after librdkafka's default 1 s back-off, keeps
    // the reader fed.
    ("queued.min.messages", "5000"),
    // At most 4 MB prefetched per partition, whatever the message size.
    ("queued.max.messages.kbytes", "4096"),
    ("fetch.queue.backoff.ms", "1"),
    // Never used to commit; librdkafka only wants a group id to exist.
    ("group.id", "evt-reader"),
];

/// A consumer that reads assigned partitions without a group, committing nothing.
pub fn consumer(connection: &Connection) -> anyhow::Result<BaseConsumer> {
    consumer_with(connection, &[])
}

/// A consumer with extra defaults (`tuning`) on top of [`CONSUMER`].
fn consumer_with(connection: &Connection, tuning: &[(&str, &str)]) -> anyhow::Result<BaseConsumer> {
    let defaults: Vec<(&str, &str)> = CONSUMER.iter().chain(tuning).copied().collect();
    client_config(connection, &defaults)
        .create()
        .map_err(|e| client_error("a Kafka client", e, &connection.properties))
}

/// Turns a client creation error (almost always a bad property) into a usage error that
/// names the property but never shows a secret: rdkafka's own message repeats the value
/// verbatim, so the message is rebuilt from its parts, the value of a secret or unknown key
/// is hidden, and what remains goes through [`redact::scrub`].
pub(crate) fn client_error(
    what: &str,
    error: KafkaError,
    properties: &[(String, String)],
) -> anyhow::Error {
    redact::remember(properties);
    let mut hidden: Option<String> = None;
    let reason = match &error {
        KafkaError::ClientConfig(code, desc, key, value) => {
            let unknown = *code == RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN;
            if unknown || redact::is_secret(key) {
                // An unknown key may be a misspelled secret: its value is not shown either.
                redact::remember_values([value.clone()]);
                hidden = Some(key.clone());
            }
            if desc.contains(key.as_str()) {
                desc.clone()
            } else {
                format!("{key}: {desc}")
            }
        }
        other => other.to_string(),
    };
    let listed: Vec<String> = properties
        .iter()
        .map(|(k, v)| {
            let v = if hidden.as_deref() == Some(k.as_str()) {
                redact::REDACTED
            } else {
                redact::shown(k, v)
            };
            format!("{k}={v}")
        })
        .collect();
    let mut message = format!("cannot create {what}: {reason}");
    if !listed.is_empty() {
        message.push_str(&format!(" (properties: {})", listed.join(", ")));
    }
    EvtError::usage(redact::scrub(&message))
}
