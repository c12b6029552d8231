//! The two broker families behind one small trait, so a behavioural test is written once and
//! runs on both: a Kafka-protocol broker (tansu) and RabbitMQ Streams (a private node).
//! Each gives its `-b` address, makes a one-partition topic (or stream) with a name no other
//! test uses, seeds it with [`Record`]s through its own client (not through evt), and runs
//! evt against itself.

use std::process::Command;

use evt::broker::rabbit::amqp::{self, Body, Message, Value};
use evt::broker::rabbit::client::Client;
use evt::broker::rabbit::Address;

use crate::harness::*;
use crate::rabbit::rabbit;

pub trait Family: Sync {
    /// Shown in assertion messages and used in topic names.
    fn name(&self) -> &'static str;
    /// The `-b` argument.
    fn brokers(&self) -> String;
    /// Creates `topic` with one partition.
    fn create(&self, topic: &str);
    /// Writes `records` in order (each one's partition must be 0).
    fn seed(&self, topic: &str, records: &[Record]);

    /// A fresh topic holding `records`.
    fn seeded(&self, prefix: &str, records: &[Record]) -> String {
        let topic = unique_topic(&format!("{prefix}-{}", self.name()));
        self.create(&topic);
        self.seed(&topic, records);
        topic
    }

    /// evt with `-b` this family's broker.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = evt_command();
        command.arg("-b").arg(self.brokers()).args(args);
        command
    }

    /// Runs evt against this family's broker to its end.
    fn evt(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }

    /// Starts evt against this family's broker without waiting.
    fn spawn(&self, args: &[&str]) -> Spawned {
        Spawned::start(self.command(args))
    }
}

pub struct Kafka;
pub struct Streams;

impl Kafka {
    /// A fresh topic of `partitions` partitions holding `records` (each in its partition).
    pub fn seeded_in(&self, prefix: &str, partitions: i32, records: &[Record]) -> String {
        let topic = unique_topic(prefix);
        create_topic(&topic, partitions);
        self.seed(&topic, records);
        topic
    }
}

/// Every family, for tests that must hold on each.
pub fn families() -> [&'static dyn Family; 2] {
    [&Kafka, &Streams]
}

impl Family for Kafka {
    fn name(&self) -> &'static str {
        "kafka"
    }

    fn brokers(&self) -> String {
        broker().addr.clone()
    }

    fn create(&self, topic: &str) {
        create_topic(topic, 1);
    }

    fn seed(&self, topic: &str, records: &[Record]) {
        produce(topic, records);
    }
}

/// A logged-in client of the test node.
pub fn stream_client() -> Client {
    let address = Address::parse(&rabbit().address).expect("the test node's address");
    Client::connect(&address, DEADLINE).expect("the test node accepts a connection")
}

/// A record as a publisher would send it to a stream: the key as the routing key, the
/// timestamp as the creation time, the headers as (string or binary) application properties.
pub fn message_of(r: &Record) -> Message {
    let bytes = |b: &[u8]| match std::str::from_utf8(b) {
        Ok(text) => Value::String(text.to_string()),
        Err(_) => Value::Binary(b.to_vec()),
    };
    let mut properties = vec![Value::Null; 10];
    properties[9] = Value::Timestamp(r.timestamp);
    Message {
        message_annotations: r
            .key
            .iter()
            .map(|k| (Value::Symbol("x-routing-key".into()), bytes(k)))
            .collect(),
        properties,
        application_properties: r
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    Value::String(name.clone()),
                    value.as_deref().map_or(Value::Null, bytes),
                )
            })
            .collect(),
        body: match &r.value {
            Some(v) => Body::Data(vec![v.clone()]),
            None => Body::None,
        },
        ..Message::default()
    }
}

/// Publishes AMQP messages to `stream` and waits until the broker confirmed every one.
pub fn publish(stream: &str, messages: &[Message]) {
    let mut client = stream_client();
    client.declare_publisher(0, None, stream).unwrap();
    let encoded: Vec<(u64, Vec<u8>)> = (1u64..).zip(messages.iter().map(amqp::encode)).collect();
    for batch in encoded.chunks(200) {
        assert_eq!(client.publish(0, batch).unwrap(), vec![], "all confirmed");
    }
    client.close();
}

impl Family for Streams {
    fn name(&self) -> &'static str {
        "streams"
    }

    fn brokers(&self) -> String {
        rabbit().address.clone()
    }

    fn create(&self, topic: &str) {
        let mut client = stream_client();
        client.create(topic, &[]).unwrap();
        client.close();
    }

    fn seed(&self, topic: &str, records: &[Record]) {
        assert!(
            records.iter().all(|r| r.partition == 0),
            "a stream has one partition"
        );
        let messages: Vec<Message> = records.iter().map(message_of).collect();
        publish(topic, &messages);
    }
}
