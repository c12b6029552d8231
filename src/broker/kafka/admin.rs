//! Topic administration: creating a replay's target.

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;

use crate::broker::Connection;
use crate::error::EvtError;

/// Creates `name` with `partitions` partitions (replication: the broker's default).
pub fn create_topic(connection: &Connection, name: &str, partitions: i32) -> anyhow::Result<()> {
    let admin: AdminClient<DefaultClientContext> =
        super::client_config(connection, &[])
            .create()
            .map_err(|e| super::client_error("an admin client", e, &connection.properties))?;
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(-1));
    let options = AdminOptions::new().request_timeout(Some(connection.timeout));
    let cannot = |why: String| {
        EvtError::broker(format!(
            "cannot create topic '{name}' ({why}); create it with {partitions} partition(s) and run again"
        ))
    };
    let results = tokio::runtime::Handle::current()
        .block_on(admin.create_topics([&topic], &options))
        .map_err(|e| cannot(e.to_string()))?;
    for result in results {
        if let Err((_, code)) = result {
            if code != rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists {
                return Err(cannot(code.to_string()));
            }
        }
    }
    Ok(())
}
