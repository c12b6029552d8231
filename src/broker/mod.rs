//! All rdkafka code: building clients, cluster metadata, resolving windows to offsets, reading.

pub mod metadata;
pub mod plan;
pub mod reader;

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::BaseConsumer;
use rdkafka::error::KafkaError;
use rdkafka::ClientConfig;

use crate::config::Connection;
use crate::error::EvtError;

/// Builds the librdkafka configuration shared by every client evt creates.
fn client_config(connection: &Connection) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &connection.brokers)
        .set("client.id", "evt")
        .set("socket.connection.setup.timeout.ms", timeout_ms(connection))
        .set("log.connection.close", "false");
    if connection.verbose >= 2 {
        config.set("debug", "broker,topic,consumer");
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

/// A consumer that reads assigned partitions without a group, committing nothing.
pub fn consumer(connection: &Connection) -> anyhow::Result<BaseConsumer> {
    let mut config = client_config(connection);
    config
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "100");
    // The group id is never used to commit; librdkafka only wants one to exist.
    if !connection.properties.iter().any(|(k, _)| k == "group.id") {
        config.set("group.id", "evt-reader");
    }
    config.create().map_err(|e| client_error(e, connection))
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
