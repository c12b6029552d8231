//! librdkafka's in-process mock cluster: the playground's broker and the fault-injection
//! broker of the tests. It keeps at most 100,000 batches or 5 MB per partition.

use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

use crate::error::EvtError;

/// A running in-process cluster; it stops when dropped.
pub struct MockBroker {
    cluster: MockCluster<'static, DefaultProducerContext>,
    bootstrap: String,
}

impl MockBroker {
    /// Starts a cluster of `brokers` brokers listening on loopback.
    pub fn start(brokers: i32) -> anyhow::Result<MockBroker> {
        let cluster = MockCluster::new(brokers)
            .map_err(|e| EvtError::broker(format!("cannot start the embedded broker: {e}")))?;
        let bootstrap = cluster.bootstrap_servers();
        Ok(MockBroker { cluster, bootstrap })
    }

    /// The bootstrap address other clients (evt, kcat) connect to.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    pub fn create_topic(&self, name: &str, partitions: i32) -> anyhow::Result<()> {
        self.cluster.create_topic(name, partitions, 1).map_err(|e| {
            EvtError::broker(format!(
                "cannot create topic '{name}' on the embedded broker: {e}"
            ))
        })
    }

    /// The next `count` produce requests fail with a retriable error (NOT_ENOUGH_REPLICAS).
    pub fn fail_produce_requests(&self, count: usize) {
        let errors =
            vec![rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS; count];
        self.cluster
            .request_errors(rdkafka::types::RDKafkaApiKey::Produce, &errors);
    }

    /// The next `count` fetch requests fail with a retriable error (NOT_LEADER_OR_FOLLOWER):
    /// a reader gets no data while the broker still answers everything else.
    pub fn fail_fetch_requests(&self, count: usize) {
        let errors =
            vec![rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION; count];
        self.cluster
            .request_errors(rdkafka::types::RDKafkaApiKey::Fetch, &errors);
    }

    /// Takes broker `id` down (connections refused) or brings it back: fault injection.
    pub fn set_broker_up(&self, id: i32, up: bool) -> anyhow::Result<()> {
        let result = if up {
            self.cluster.broker_up(id)
        } else {
            self.cluster.broker_down(id)
        };
        result.map_err(|e| EvtError::broker(format!("cannot change broker {id}: {e}")))
    }
}
