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
    /// The broker could not be reached or refused a request: exit 3.
    #[error("{0}")]
    Broker(String),
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
            EvtError::Broker(_) => ExitStatus::Broker,
            EvtError::Usage(_)
            | EvtError::BadPosition { .. }
            | EvtError::BadSchema(_)
            | EvtError::UnknownTopic(_)
            | EvtError::BadInput { .. } => ExitStatus::Usage,
        }
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
}
