//! What a cluster says about itself, whatever the family: where partitions live, topic
//! configuration, consumer groups and their committed offsets. The inspect commands
//! (`topics`, `describe`, `groups`, `lag`) read these through [`super::Broker`].

use std::collections::BTreeMap;

/// A partition's placement: the broker that leads it, the replicas, those in sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub partition: i32,
    /// `-1`: no leader (the partition is offline).
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

/// A topic with its partitions' placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicLayout {
    pub name: String,
    /// Sorted by partition.
    pub partitions: Vec<Placement>,
}

impl TopicLayout {
    /// The replication factor: the most replicas any partition has.
    pub fn replication(&self) -> usize {
        self.partitions
            .iter()
            .map(|p| p.replicas.len())
            .max()
            .unwrap_or(0)
    }
}

/// A topic's configuration as the broker reports it (name → value; a secret is never
/// kept). From [`super::Broker::topic_configs`]: `None` when the broker does not answer at
/// all, a topic left out when it reports nothing for that topic.
pub type Configs = BTreeMap<String, String>;

/// A consumer group as the coordinator describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    /// `Stable`, `Empty`, `PreparingRebalance`, `Dead`, … as the broker says.
    pub state: String,
    /// `consumer` for Kafka consumers (empty when the broker does not say).
    pub protocol_type: String,
    /// The assignment strategy (`range`, `roundrobin`, `cooperative-sticky`, …).
    pub protocol: String,
    /// `None`: the broker lists the group but does not describe it.
    pub members: Option<Vec<Member>>,
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub client_id: String,
    pub host: String,
    /// The partitions assigned to it (topic, partition), where the broker tells.
    pub assigned: Vec<(String, i32)>,
}

/// A committed offset: the next offset the group will read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

/// Reads the partitions of a consumer protocol assignment (version, then topics with their
/// partitions, then user data), as Kafka clients write it. `None` when it is not one.
pub fn parse_assignment(bytes: &[u8]) -> Option<Vec<(String, i32)>> {
    let mut at = 2usize; // version
    let mut take = |n: usize| -> Option<&[u8]> {
        let part = bytes.get(at..at.checked_add(n)?)?;
        at += n;
        Some(part)
    };
    take(0)?;
    let int = |b: &[u8]| i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let topics = int(take(4)?);
    if !(0..=100_000).contains(&topics) {
        return None;
    }
    let mut out = Vec::new();
    for _ in 0..topics {
        let len = i16::from_be_bytes(take(2)?.try_into().ok()?);
        let name = std::str::from_utf8(take(usize::try_from(len).ok()?)?)
            .ok()?
            .to_string();
        let count = int(take(4)?);
        if !(0..=1_000_000).contains(&count) {
            return None;
        }
        for _ in 0..count {
            out.push((name.clone(), int(take(4)?)));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_are_read_as_clients_write_them() {
        let mut bytes = vec![0, 1]; // version 1
        bytes.extend(1i32.to_be_bytes()); // one topic
        bytes.extend(6i16.to_be_bytes());
        bytes.extend(b"orders");
        bytes.extend(2i32.to_be_bytes());
        bytes.extend(0i32.to_be_bytes());
        bytes.extend(3i32.to_be_bytes());
        bytes.extend((-1i32).to_be_bytes()); // no user data
        assert_eq!(
            parse_assignment(&bytes),
            Some(vec![("orders".into(), 0), ("orders".into(), 3)])
        );
        assert_eq!(parse_assignment(&bytes[..9]), None);
        assert_eq!(parse_assignment(b""), None);
    }
}
