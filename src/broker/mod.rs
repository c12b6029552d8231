//! All rdkafka code: building clients, cluster metadata, resolving windows to offsets, reading.

pub mod admin;
pub mod metadata;
pub mod mock;
pub mod partitioner;
pub mod plan;
pub mod probe;
pub mod produce;
pub mod reader;

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::BaseConsumer;
use rdkafka::error::KafkaError;
use rdkafka::ClientConfig;

use crate::config::Connection;
use crate::error::EvtError;

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
        .map_err(|e| client_error(e, connection))
}

/// Turns a client creation error (almost always a bad property) into a usage error.
fn client_error(error: KafkaError, connection: &Connection) -> anyhow::Error {
    let properties: Vec<String> = connection
        .redacted_properties()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut message = format!("cannot create a Kafka client: {error}");
    if !properties.is_empty() {
        message.push_str(&format!(" (properties: {})", properties.join(", ")));
    }
    EvtError::usage(message)
}
