//! Cluster metadata: which topics exist and their partitions, with helpful errors.

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::metadata::Metadata;

use crate::config::Connection;
use crate::error::EvtError;

/// A topic and its partition ids, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: Vec<i32>,
}

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

/// Looks up the named topics, failing on the first unknown one with the closest names.
pub fn topics(metadata: &Metadata, names: &[String]) -> anyhow::Result<Vec<TopicInfo>> {
    names.iter().map(|name| topic(metadata, name)).collect()
}

fn topic(metadata: &Metadata, name: &str) -> anyhow::Result<TopicInfo> {
    let Some(found) = metadata.topics().iter().find(|t| t.name() == name) else {
        let known: Vec<&str> = metadata.topics().iter().map(|t| t.name()).collect();
        return Err(EvtError::usage(unknown_topic_message(name, &known)));
    };
    if let Some(err) = found.error() {
        let err = rdkafka::types::RDKafkaErrorCode::from(err);
        return Err(EvtError::broker(format!(
            "topic '{name}' is not readable: {err}; check permissions (ACLs) and the topic state"
        )));
    }
    let mut partitions: Vec<i32> = found.partitions().iter().map(|p| p.id()).collect();
    partitions.sort_unstable();
    Ok(TopicInfo {
        name: name.to_string(),
        partitions,
    })
}

/// `topic 'ordrs' not found; did you mean 'orders'?`
pub fn unknown_topic_message(name: &str, known: &[&str]) -> String {
    let mut scored: Vec<(f64, &str)> = known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let close: Vec<String> = scored
        .iter()
        .take(3)
        .map(|(_, k)| format!("'{k}'"))
        .collect();
    match close.as_slice() {
        [] if known.is_empty() => {
            format!("topic '{name}' not found; the cluster has no topics yet")
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
                "topic '{name}' not found; topics on this cluster: {}{more}",
                some.join(", ")
            )
        }
        [one] => format!("topic '{name}' not found; did you mean {one}?"),
        many => format!(
            "topic '{name}' not found; did you mean one of {}?",
            many.join(", ")
        ),
    }
}

/// Checks that the requested partitions exist in every topic; empty means all of them.
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
        let none = unknown_topic_message("zzz", &known);
        assert!(none.starts_with("topic 'zzz' not found;") && !none.contains("did you mean"));
    }

    #[test]
    fn partition_selection() {
        let t = TopicInfo {
            name: "t".into(),
            partitions: vec![0, 1, 2],
        };
        assert_eq!(select_partitions(&t, &[]).unwrap(), vec![0, 1, 2]);
        assert_eq!(select_partitions(&t, &[2, 0, 2]).unwrap(), vec![0, 2]);
        let err = select_partitions(&t, &[5]).unwrap_err().to_string();
        assert!(err.contains("no partition 5"), "{err}");
    }
}
