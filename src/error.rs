//! Exit codes and the domain errors that choose them, mapped in one place.

use std::process::ExitCode;

/// The documented exit codes of every evt command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: the command did its job.
    Success,
    /// 1: a check found something (violations, differences).
    Found,
    /// 2: usage, configuration or input error.
    Usage,
    /// 3: broker or network failure.
    Broker,
    /// 130: interrupted by Ctrl-C.
    Interrupted,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Found => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Broker => 3,
            ExitStatus::Interrupted => 130,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

/// Errors whose kind decides the exit code. Each message says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum EvtError {
    /// Bad flags, files or configuration: exit 2.
    #[error("{0}")]
    Usage(String),
    /// A position that does not parse (`--from 2x`): exit 2.
    #[error("{flag} {text}: {reason}")]
    BadPosition {
        flag: &'static str,
        text: String,
        reason: crate::position::PositionError,
    },
    /// A schema that cannot be read or compiled: exit 2.
    #[error("{0}")]
    BadSchema(String),
    /// A topic the cluster does not have (the message suggests close names): exit 2.
    #[error("{0}")]
    UnknownTopic(String),
    /// Input that is not what the command reads, at its origin: exit 2.
    #[error("{origin}: {reason}")]
    BadInput { origin: String, reason: String },
    /// A record the producer (or the broker) will never accept as configured, because of its
    /// size: exit 2, like any input the target cannot take.
    #[error("{}", too_large_message(origin, *bytes, *limit))]
    TooLarge {
        origin: String,
        bytes: u64,
        limit: SizeLimit,
    },
    /// The broker could not be reached or refused a request: exit 3.
    #[error("{0}")]
    Broker(String),
    /// The broker answered a request with this response code (a protocol's own refusal, such
    /// as "stream does not exist"): exit 3, and the code stays readable.
    #[error("{message}")]
    Refused { message: String, code: u16 },
}

/// Whose limit a record is too large for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeLimit {
    /// The producer's `message.max.bytes` (checked before sending).
    Producer(u64),
    /// The broker's or the topic's (its answer to the write).
    Broker,
}

impl SizeLimit {
    fn describe(self) -> String {
        match self {
            SizeLimit::Producer(limit) => {
                format!("too large for the producer's limit message.max.bytes={limit}")
            }
            SizeLimit::Broker => "refused by the broker as too large".into(),
        }
    }
}

/// `record dump.jsonl:301 is 2,097,152 bytes, too large for …: raise it with … or pass
/// --skip-bad to skip it`.
fn too_large_message(origin: &str, bytes: u64, limit: SizeLimit) -> String {
    let raise = match limit {
        SizeLimit::Producer(_) => format!(
            "raise it with -X message.max.bytes={} (the topic's max.message.bytes must allow it too)",
            suggested_limit(bytes)
        ),
        SizeLimit::Broker => format!(
            "raise the topic's max.message.bytes (or the broker's message.max.bytes) to at least {}",
            suggested_limit(bytes)
        ),
    };
    format!(
        "record {origin} is {} bytes, {}: {raise}, or pass --skip-bad to skip it",
        crate::safe::thousands(bytes),
        limit.describe()
    )
}

/// A round limit with room for the record's framing: the next whole 100,000 bytes above it.
fn suggested_limit(bytes: u64) -> u64 {
    (bytes + 1024).div_ceil(100_000) * 100_000
}

impl EvtError {
    /// The line printed for a record `--skip-bad` skipped because of its size.
    pub fn skipped_note(&self) -> Option<String> {
        match self {
            EvtError::TooLarge {
                origin,
                bytes,
                limit,
            } => Some(format!(
                "record {origin} is {} bytes, {}; skipped (--skip-bad)",
                crate::safe::thousands(*bytes),
                limit.describe()
            )),
            _ => None,
        }
    }
}

impl EvtError {
    pub fn usage(message: impl Into<String>) -> anyhow::Error {
        EvtError::Usage(message.into()).into()
    }

    pub fn broker(message: impl Into<String>) -> anyhow::Error {
        EvtError::Broker(message.into()).into()
    }

    /// The exit status this error ends a command with.
    pub fn status(&self) -> ExitStatus {
        match self {
            EvtError::Broker(_) | EvtError::Refused { .. } => ExitStatus::Broker,
            EvtError::Usage(_)
            | EvtError::BadPosition { .. }
            | EvtError::BadSchema(_)
            | EvtError::UnknownTopic(_)
            | EvtError::BadInput { .. }
            | EvtError::TooLarge { .. } => ExitStatus::Usage,
        }
    }
}

/// Separates a record too large to send from other errors: `Ok(Err(too_large))` for the
/// first, `Err` for the rest.
pub fn too_large(result: anyhow::Result<()>) -> anyhow::Result<Result<(), EvtError>> {
    match result {
        Ok(()) => Ok(Ok(())),
        Err(e) if matches!(e.downcast_ref(), Some(EvtError::TooLarge { .. })) => {
            Ok(Err(e.downcast::<EvtError>().expect("checked above")))
        }
        Err(e) => Err(e),
    }
}

/// Chooses the exit code for an error that ended a command: the first [`EvtError`] in its
/// chain decides; anything else (an I/O error on a file) is an input error.
pub fn exit_status_of(error: &anyhow::Error) -> ExitStatus {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<EvtError>())
        .map_or(ExitStatus::Usage, EvtError::status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn codes_are_documented_values() {
        let codes: Vec<u8> = [
            ExitStatus::Success,
            ExitStatus::Found,
            ExitStatus::Usage,
            ExitStatus::Broker,
            ExitStatus::Interrupted,
        ]
        .iter()
        .map(|s| s.code())
        .collect();
        assert_eq!(codes, [0, 1, 2, 3, 130]);
    }

    #[test]
    fn errors_map_through_context() {
        let e = Err::<(), _>(EvtError::broker("down"))
            .context("reading orders")
            .unwrap_err();
        assert_eq!(exit_status_of(&e), ExitStatus::Broker);
        assert_eq!(exit_status_of(&EvtError::usage("bad")), ExitStatus::Usage);
        let unknown = anyhow::Error::new(EvtError::UnknownTopic("topic 'x' not found".into()));
        assert_eq!(exit_status_of(&unknown), ExitStatus::Usage);
        assert_eq!(exit_status_of(&anyhow::anyhow!("other")), ExitStatus::Usage);
    }

    #[test]
    fn too_large_names_the_record_its_size_and_the_setting() {
        let e = EvtError::TooLarge {
            origin: "dump.jsonl:5001".into(),
            bytes: 2_097_152,
            limit: SizeLimit::Producer(1_000_000),
        };
        assert_eq!(
            e.to_string(),
            "record dump.jsonl:5001 is 2,097,152 bytes, too large for the producer's limit \
             message.max.bytes=1000000: raise it with -X message.max.bytes=2100000 (the topic's \
             max.message.bytes must allow it too), or pass --skip-bad to skip it"
        );
        assert_eq!(e.status(), ExitStatus::Usage);
        assert_eq!(
            e.skipped_note().unwrap(),
            "record dump.jsonl:5001 is 2,097,152 bytes, too large for the producer's limit \
             message.max.bytes=1000000; skipped (--skip-bad)"
        );
        let broker = EvtError::TooLarge {
            origin: "orders/0@7".into(),
            bytes: 1_500_000,
            limit: SizeLimit::Broker,
        };
        assert!(broker.to_string().contains("max.message.bytes"));
        assert!(broker.to_string().contains("orders/0@7"));
    }
}
