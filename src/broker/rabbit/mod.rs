//! RabbitMQ Streams, the second broker family (under way): the address scheme that selects
//! it, and a synchronous client for the subset of the stream protocol evt needs ([`wire`]
//! frames, [`client`] requests), which fits evt's reader threads and gives what the async
//! `rabbitmq-stream-client` crate does not expose (stream statistics, chunk timestamps).

pub mod address;
pub mod amqp;
pub mod client;
pub mod wire;

pub use address::{is_rabbit, Address};
