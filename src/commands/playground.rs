//! `evt playground`: the embedded broker with demo data, running until Ctrl-C.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::ExitStatus;
use crate::playground::{self, Options, Playground};
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
    let _registered = registration
        .as_deref()
        .map(|path| playground::register(path, playground.bootstrap()))
        .transpose()?;
    let addr = playground.bootstrap();
    // The address alone on stdout, for scripts; the guide on stderr, for people.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{addr}")
        .and_then(|()| stdout.flush())
        .ok();
    eprintln!(
        "evt playground: {} events on orders, payments, shipments, trades{}; live at {}/s\n\
         \x20 bootstrap  {addr}\n\
         \x20 try        evt --profile playground tail orders\n\
         \x20            evt --profile playground read payments --from 2h\n\
         \x20            kcat -b {addr} -L\n\
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
    eprintln!("evt playground: stopped");
    Ok(ExitStatus::Success)
}
