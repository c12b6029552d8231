//! Cluster metadata: which topics exist and their partitions, with helpful errors.

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::metadata::Metadata;

use crate::broker::{Connection, TopicInfo};
use crate::error::EvtError;

/// Fetches metadata for every topic (never for one by name: that can auto-create it).
pub fn fetch(consumer: &BaseConsumer, connection: &Connection) -> anyhow::Result<Metadata> {
    consumer
        .fetch_metadata(None, connection.timeout)
        .map_err(|e| unreachable_error(&e, connection))
}

/// The error for a cluster that did not answer: what happened, and what to check.
pub fn unreachable_error(error: &KafkaError, connection: &Connection) -> anyhow::Error {
    EvtError::broker(format!(
        "no answer from the broker at {} within {:?} ({error}); check -b/EVT_BROKERS or --profile, \
         that the broker is running, and raise --timeout if it is slow",
        connection.brokers, connection.timeout
    ))
}

/// Every topic of the cluster with its partitions, and the broker's error for a topic it
/// cannot serve (no permission, being deleted).
pub fn all_topics(metadata: &Metadata) -> anyhow::Result<Vec<TopicInfo>> {
    let mut topics = Vec::with_capacity(metadata.topics().len());
    for t in metadata.topics() {
        let problem = t
            .error()
            .map(|e| rdkafka::types::RDKafkaErrorCode::from(e).to_string());
        let mut partitions: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
        partitions.sort_unstable();
        topics.push(TopicInfo {
            name: t.name().to_string(),
            partitions,
            problem,
        });
    }
    Ok(topics)
}
