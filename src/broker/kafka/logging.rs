//! `-vv`: librdkafka's own log lines on stderr (rdkafka forwards them to the `log` crate),
//! with secret values scrubbed.

use log::{Level, LevelFilter, Metadata, Record};

struct StderrLog;

impl log::Log for StderrLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= Level::Debug
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let line = crate::broker::redact::scrub(&record.args().to_string());
            eprintln!("evt [{}] {line}", record.level());
        }
    }

    fn flush(&self) {}
}

/// Installs the stderr logger when `verbose` asks for librdkafka's logs.
pub fn init(verbose: u8) {
    if verbose >= 2 && log::set_logger(&StderrLog).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}
