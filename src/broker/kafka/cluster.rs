//! What a Kafka cluster says about itself: placement (Metadata), topic configs
//! (DescribeConfigs), consumer groups (ListGroups + DescribeGroups) and committed offsets
//! (OffsetFetch, one request per group for all its partitions).

use std::collections::HashMap;

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use crate::broker::cluster::parse_assignment;
use crate::broker::{Committed, Configs, Connection, Group, Member, Placement, TopicLayout};
use crate::error::EvtError;

/// Every topic's partitions with their leader, replicas and in-sync replicas.
pub fn layout(
    consumer: &BaseConsumer,
    connection: &Connection,
) -> anyhow::Result<Vec<TopicLayout>> {
    let metadata = super::metadata::fetch(consumer, connection)?;
    Ok(metadata
        .topics()
        .iter()
        .map(|t| {
            let mut partitions: Vec<Placement> = t
                .partitions()
                .iter()
                .map(|p| Placement {
                    partition: p.id(),
                    leader: p.leader(),
                    replicas: p.replicas().to_vec(),
                    isr: p.isr().to_vec(),
                })
                .collect();
            partitions.sort_by_key(|p| p.partition);
            TopicLayout {
                name: t.name().to_string(),
                partitions,
            }
        })
        .collect())
}

/// The configs of `topics` (sensitive entries left out); `None` when the broker does not
/// answer DescribeConfigs.
pub fn topic_configs(
    connection: &Connection,
    topics: &[String],
) -> anyhow::Result<Option<HashMap<String, Configs>>> {
    if topics.is_empty() {
        return Ok(Some(HashMap::new()));
    }
    let admin: AdminClient<DefaultClientContext> =
        super::client_config(connection, &[])
            .create()
            .map_err(|e| super::client_error("an admin client", e, &connection.properties))?;
    let specifiers: Vec<ResourceSpecifier> = topics
        .iter()
        .map(|t| ResourceSpecifier::Topic(t.as_str()))
        .collect();
    // Brokers that cannot answer (librdkafka's mock cluster has no controller for admin
    // requests) would hold the report for the whole --timeout: configs wait 3 s at most.
    let wait = connection.timeout.min(std::time::Duration::from_secs(3));
    let options = AdminOptions::new()
        .request_timeout(Some(wait))
        .operation_timeout(Some(wait));
    let answer =
        tokio::runtime::Handle::current().block_on(admin.describe_configs(&specifiers, &options));
    let results = match answer {
        Ok(results) => results,
        // Brokers without the API answer it as unsupported (or not at all).
        Err(KafkaError::AdminOp(
            RDKafkaErrorCode::UnsupportedVersion | RDKafkaErrorCode::InvalidRequest,
        )) => return Ok(None),
        Err(KafkaError::AdminOp(RDKafkaErrorCode::OperationTimedOut)) => return Ok(None),
        Err(e) => return Err(EvtError::broker(format!("cannot read topic configs: {e}"))),
    };
    let mut out = HashMap::new();
    for (topic, result) in topics.iter().zip(results) {
        let Ok(resource) = result else {
            // Per-topic errors (not authorised): not reported for that topic.
            continue;
        };
        let configs: Configs = resource
            .entries
            .into_iter()
            .filter(|e| !e.is_sensitive)
            .filter_map(|e| Some((e.name, e.value?)))
            .collect();
        // tansu 0.6 answers only the configs a topic was created with: none is not reported.
        if configs.is_empty() {
            continue;
        }
        out.insert(topic.clone(), configs);
    }
    Ok(Some(out))
}

/// Every consumer group: listed with ListGroups (id and state), then described with
/// DescribeGroups (members, protocol) where the broker can (tansu 0.6 cannot: its groups stay
/// listed, without members).
pub fn groups(
    consumer: &BaseConsumer,
    connection: &Connection,
    describe: bool,
) -> anyhow::Result<Vec<Group>> {
    let listed = list_groups(consumer, connection)?;
    let described = if listed.is_empty() || !describe {
        Some(Vec::new())
    } else {
        consumer
            .fetch_group_list(None, connection.timeout)
            .ok()
            .map(|list| {
                list.groups()
                    .iter()
                    .map(|g| Group {
                        id: g.name().to_string(),
                        state: g.state().to_string(),
                        protocol_type: g.protocol_type().to_string(),
                        protocol: g.protocol().to_string(),
                        members: Some(
                            g.members()
                                .iter()
                                .map(|m| Member {
                                    id: m.id().to_string(),
                                    client_id: m.client_id().to_string(),
                                    host: m.client_host().to_string(),
                                    assigned: m
                                        .assignment()
                                        .and_then(parse_assignment)
                                        .unwrap_or_default(),
                                })
                                .collect(),
                        ),
                    })
                    .collect::<Vec<_>>()
            })
    };
    let mut groups: Vec<Group> = listed
        .into_iter()
        .map(|(id, state)| {
            described
                .as_ref()
                .and_then(|d| d.iter().find(|g| g.id == id).cloned())
                .unwrap_or(Group {
                    id,
                    state,
                    protocol_type: String::new(),
                    protocol: String::new(),
                    members: None,
                })
        })
        .collect();
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(groups)
}

/// Group ids and states from every broker (the Admin API's ListConsumerGroups, which
/// rust-rdkafka does not wrap): one request per broker, no DescribeGroups.
fn list_groups(
    consumer: &BaseConsumer,
    connection: &Connection,
) -> anyhow::Result<Vec<(String, String)>> {
    use rdkafka::bindings as rd;
    use std::ffi::CStr;
    let timeout_ms = i32::try_from(connection.timeout.as_millis()).unwrap_or(i32::MAX);
    let failed = |why: String| -> anyhow::Error {
        EvtError::broker(format!(
            "cannot list consumer groups at {} ({why}); check that the broker is running, and raise --timeout if it is slow",
            connection.brokers
        ))
    };
    // SAFETY: every pointer comes from librdkafka for the client `consumer` owns and is
    // released on every path below; strings are copied out before the event is destroyed.
    unsafe {
        let rk = consumer.client().native_ptr();
        let queue = rd::rd_kafka_queue_new(rk);
        let options = admin_options(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
            timeout_ms,
        );
        rd::rd_kafka_ListConsumerGroups(rk, options, queue);
        let event = rd::rd_kafka_queue_poll(queue, timeout_ms.saturating_add(1000));
        rd::rd_kafka_AdminOptions_destroy(options);
        rd::rd_kafka_queue_destroy(queue);
        if event.is_null() {
            return Err(failed(format!("no answer within {:?}", connection.timeout)));
        }
        if let Some(why) = event_error(event) {
            rd::rd_kafka_event_destroy(event);
            return Err(failed(why));
        }
        let result = rd::rd_kafka_event_ListConsumerGroups_result(event);
        let mut count = 0usize;
        let listings = rd::rd_kafka_ListConsumerGroups_result_valid(result, &mut count);
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let listing = *listings.add(i);
            let id = CStr::from_ptr(rd::rd_kafka_ConsumerGroupListing_group_id(listing))
                .to_string_lossy()
                .into_owned();
            let state = CStr::from_ptr(rd::rd_kafka_consumer_group_state_name(
                rd::rd_kafka_ConsumerGroupListing_state(listing),
            ))
            .to_string_lossy()
            .into_owned();
            out.push((id, state));
        }
        let mut errors = 0usize;
        rd::rd_kafka_ListConsumerGroups_result_errors(result, &mut errors);
        rd::rd_kafka_event_destroy(event);
        if out.is_empty() && errors > 0 {
            return Err(failed("every broker refused the request".into()));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// The offsets each of `groups` committed for `partitions`, in the order of `groups`:
/// the Admin API's ListConsumerGroupOffsets (OffsetFetch through each group's
/// coordinator, which rust-rdkafka does not wrap), every group's request in flight at once
/// on one client; nothing joins a group or commits.
pub fn committed(
    consumer: &BaseConsumer,
    connection: &Connection,
    groups: &[String],
    partitions: &[(String, i32)],
) -> anyhow::Result<Vec<Vec<Committed>>> {
    use rdkafka::bindings as rd;
    use std::ffi::{CStr, CString};
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    if partitions.is_empty() {
        return Ok(vec![Vec::new(); groups.len()]);
    }
    let timeout_ms = i32::try_from(connection.timeout.as_millis()).unwrap_or(i32::MAX);
    let failed = |group: &str, why: String| -> anyhow::Error {
        EvtError::broker(format!(
            "cannot read the offsets group '{group}' committed ({why}); check that the broker at {} is up, and raise --timeout if it is slow",
            connection.brokers
        ))
    };
    let names: Vec<CString> = groups
        .iter()
        .map(|g| CString::new(g.as_str()))
        .collect::<Result<_, _>>()
        .map_err(|_| EvtError::usage("a group id cannot hold a NUL character"))?;
    let topics: Vec<(CString, i32)> = partitions
        .iter()
        .map(|(t, p)| CString::new(t.as_str()).map(|t| (t, *p)))
        .collect::<Result<_, _>>()
        .map_err(|_| EvtError::usage("a topic name cannot hold a NUL character"))?;
    let mut answers: HashMap<String, Vec<Committed>> = HashMap::new();
    // SAFETY: every object is created by librdkafka for the client `consumer` owns, and
    // destroyed on every path below; strings are copied out before their event is destroyed.
    unsafe {
        let rk = consumer.client().native_ptr();
        let queue = rd::rd_kafka_queue_new(rk);
        let options = admin_options(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
            timeout_ms,
        );
        // librdkafka takes one group per request: all of them are sent before any answer is
        // awaited.
        for name in &names {
            let tpl = rd::rd_kafka_topic_partition_list_new(topics.len() as i32);
            for (topic, partition) in &topics {
                rd::rd_kafka_topic_partition_list_add(tpl, topic.as_ptr(), *partition);
            }
            let mut request = rd::rd_kafka_ListConsumerGroupOffsets_new(name.as_ptr(), tpl);
            rd::rd_kafka_topic_partition_list_destroy(tpl);
            rd::rd_kafka_ListConsumerGroupOffsets(rk, &mut request, 1, options, queue);
            rd::rd_kafka_ListConsumerGroupOffsets_destroy(request);
        }
        rd::rd_kafka_AdminOptions_destroy(options);
        let mut error = None;
        for _ in 0..names.len() {
            let event = rd::rd_kafka_queue_poll(queue, timeout_ms.saturating_add(1000));
            if event.is_null() {
                error.get_or_insert_with(|| {
                    failed(
                        &groups[0],
                        format!("no answer within {:?}", connection.timeout),
                    )
                });
                break;
            }
            if let Some(why) = event_error(event) {
                error.get_or_insert_with(|| failed(&groups[0], why));
                rd::rd_kafka_event_destroy(event);
                continue;
            }
            let result = rd::rd_kafka_event_ListConsumerGroupOffsets_result(event);
            let mut count = 0usize;
            let results = rd::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut count);
            for i in 0..count {
                let group = *results.add(i);
                let name = CStr::from_ptr(rd::rd_kafka_group_result_name(group))
                    .to_string_lossy()
                    .into_owned();
                let group_error = rd::rd_kafka_group_result_error(group);
                if !group_error.is_null() {
                    let why = CStr::from_ptr(rd::rd_kafka_error_string(group_error))
                        .to_string_lossy()
                        .into_owned();
                    error.get_or_insert_with(|| failed(&name, why));
                    continue;
                }
                let list = rd::rd_kafka_group_result_partitions(group);
                let mut offsets = Vec::new();
                if !list.is_null() {
                    for j in 0..(*list).cnt.max(0) as usize {
                        let e = &*(*list).elems.add(j);
                        if e.offset >= 0
                            && e.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
                        {
                            offsets.push(Committed {
                                topic: CStr::from_ptr(e.topic).to_string_lossy().into_owned(),
                                partition: e.partition,
                                offset: e.offset,
                            });
                        }
                    }
                }
                answers.insert(name, offsets);
            }
            rd::rd_kafka_event_destroy(event);
        }
        rd::rd_kafka_queue_destroy(queue);
        if let Some(error) = error {
            return Err(error);
        }
    }
    Ok(groups
        .iter()
        .map(|g| answers.remove(g).unwrap_or_default())
        .collect())
}

/// Options for one Admin API call, with its request timeout.
///
/// # Safety
/// `rk` is a live client handle; the caller destroys the options.
unsafe fn admin_options(
    rk: *mut rdkafka::bindings::rd_kafka_t,
    op: rdkafka::bindings::rd_kafka_admin_op_t,
    timeout_ms: i32,
) -> *mut rdkafka::bindings::rd_kafka_AdminOptions_t {
    use rdkafka::bindings as rd;
    // SAFETY: as the caller promises; errstr outlives the call.
    unsafe {
        let options = rd::rd_kafka_AdminOptions_new(rk, op);
        let mut errstr = [0 as std::ffi::c_char; 256];
        rd::rd_kafka_AdminOptions_set_request_timeout(
            options,
            timeout_ms,
            errstr.as_mut_ptr(),
            errstr.len(),
        );
        options
    }
}

/// The error an Admin API result event carries, as text (`None`: it succeeded).
///
/// # Safety
/// `event` is a live event from an Admin API queue.
unsafe fn event_error(event: *mut rdkafka::bindings::rd_kafka_event_t) -> Option<String> {
    use rdkafka::bindings as rd;
    // SAFETY: as the caller promises; the text is copied before the event can go.
    unsafe {
        (rd::rd_kafka_event_error(event) != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
            .then(|| {
                std::ffi::CStr::from_ptr(rd::rd_kafka_event_error_string(event))
                    .to_string_lossy()
                    .into_owned()
            })
    }
}
