//! `evt playground`: the embedded broker with demo data, running until Ctrl-C.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::broker::Connection;
use crate::error::ExitStatus;
use crate::playground::{self, rabbit, Options, Playground};
use crate::stop::Stop;

pub fn run(
    options: &Options,
    registration: Option<PathBuf>,
    stop: &Stop,
) -> anyhow::Result<ExitStatus> {
    eprintln!(
        "evt playground: writing {}h of demo history…",
        options.history_hours
    );
    let playground = Playground::start(options)?;
    let addr = playground.bootstrap().to_string();
    let rabbitmq = options
        .with_rabbitmq
        .then(|| start_rabbitmq(&addr, stop))
        .transpose()?;
    let _registered = registration
        .as_deref()
        .map(|path| {
            let node = rabbitmq.as_ref().map(|(node, _, _)| node.address.as_str());
            playground::register(path, &addr, node)
        })
        .transpose()?;
    // The address alone on stdout, for scripts; the guide on stderr, for people.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{addr}")
        .and_then(|()| stdout.flush())
        .ok();
    let streams = match &rabbitmq {
        Some((node, _, _)) => format!(
            "\n\x20 rabbitmq   {} (the same topics as streams)\n\
             \x20 try        evt --profile playground-rabbitmq tail orders",
            crate::broker::rabbit::Address::parse(&node.address)
                .map(|a| a.to_string())
                .unwrap_or_default()
        ),
        None => String::new(),
    };
    eprintln!(
        "evt playground: {} events on orders, payments, shipments, trades{}; live at {}/s\n\
         \x20 bootstrap  {addr}\n\
         \x20 try        evt --profile playground tail orders\n\
         \x20            evt --profile playground read payments --from 2h\n\
         \x20            kcat -b {addr} -L{streams}\n\
         \x20 Ctrl-C to stop",
        playground.seeded,
        if options.bench_events > 0 {
            ", bench"
        } else {
            ""
        },
        options.rate
    );
    while !stop.interrupted() {
        std::thread::sleep(Duration::from_millis(100));
    }
    if let Some((node, mirror_stop, mirror)) = rabbitmq {
        mirror_stop.enough();
        mirror.join().ok();
        drop(node);
    }
    eprintln!("evt playground: stopped");
    Ok(ExitStatus::Success)
}

/// Starts the RabbitMQ node and the copy of the demo topics into it.
fn start_rabbitmq(
    kafka: &str,
    stop: &Stop,
) -> anyhow::Result<(rabbit::Node, Stop, std::thread::JoinHandle<()>)> {
    eprintln!("evt playground: starting RabbitMQ (about 10 s)…");
    let node = rabbit::Node::start(stop)?;
    let connection = |brokers: &str| Connection {
        brokers: brokers.to_string(),
        properties: Vec::new(),
        timeout: Duration::from_secs(10),
        profile: None,
        readonly: false,
        verbose: 0,
        creates_topics: true,
    };
    let topics = playground::demo::TOPICS
        .iter()
        .map(|(t, _)| t.to_string())
        .collect();
    let mirror_stop = Stop::default();
    let (mirror, history) = rabbit::mirror(
        connection(kafka),
        connection(&node.address),
        topics,
        mirror_stop.clone(),
    );
    // Ready once the history is in the streams too.
    loop {
        if stop.interrupted() {
            mirror_stop.enough();
            return Err(crate::error::EvtError::broker(
                "interrupted while copying the demo topics into RabbitMQ",
            ));
        }
        match history.recv_timeout(Duration::from_millis(100)) {
            Ok(Ok(copied)) => {
                eprintln!(
                    "evt playground: copied {} events into RabbitMQ streams; live events follow",
                    crate::safe::thousands(copied)
                );
                break;
            }
            Ok(Err(why)) => {
                mirror_stop.enough();
                return Err(crate::error::EvtError::broker(format!(
                    "cannot copy the demo topics into RabbitMQ: {why}"
                )));
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(crate::error::EvtError::broker(
                    "the copy into RabbitMQ ended before the history was copied",
                ))
            }
        }
    }
    Ok((node, mirror_stop, mirror))
}
