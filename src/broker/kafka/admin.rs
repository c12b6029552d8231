//! Topic administration: creating a replay's target.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;

use crate::broker::Connection;
use crate::error::EvtError;

/// How long a topic creation may take: brokers answer at once (the controller creates the
/// topic in the background); one that does not answer (librdkafka's mock cluster, evt's
/// playground) is said so quickly instead of after the whole `--timeout`.
const CREATE_WAIT: Duration = Duration::from_secs(2);

/// Whether `name` could be created: not on a cluster known not to create topics (evt's
/// playground). Brokers are not asked: some (tansu) create the topic even when only asked to
/// validate the request.
pub fn check_create(connection: &Connection, name: &str, partitions: i32) -> anyhow::Result<()> {
    if connection.creates_topics {
        return Ok(());
    }
    Err(EvtError::usage(format!(
        "cannot create topic '{name}': evt's playground cannot create topics on request; start it with --topic {name}:{partitions}, or replay into a topic it has"
    )))
}

/// Creates `name` with `partitions` partitions (replication: the broker's default).
pub fn create_topic(connection: &Connection, name: &str, partitions: i32) -> anyhow::Result<()> {
    check_create(connection, name, partitions)?;
    let admin: AdminClient<DefaultClientContext> =
        super::client_config(connection, &[])
            .create()
            .map_err(|e| super::client_error("an admin client", e, &connection.properties))?;
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(-1));
    let options = AdminOptions::new().request_timeout(Some(connection.timeout.min(CREATE_WAIT)));
    let cannot = |why: String| {
        let why = if why.contains("Timed out") {
            format!(
                "the broker did not answer within {}s; a librdkafka mock cluster cannot create topics",
                connection.timeout.min(CREATE_WAIT).as_secs()
            )
        } else {
            why
        };
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
