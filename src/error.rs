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

/// Errors whose kind decides the exit code. Each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum EvtError {
    /// Bad flags, positions, files or configuration: exit 2.
    #[error("{0}")]
    Usage(String),
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
}

/// Chooses the exit code for an error that ended a command.
pub fn exit_status_of(error: &anyhow::Error) -> ExitStatus {
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<EvtError>() {
            return match e {
                EvtError::Usage(_) => ExitStatus::Usage,
                EvtError::Broker(_) => ExitStatus::Broker,
            };
        }
        if cause.downcast_ref::<rdkafka::error::KafkaError>().is_some() {
            return ExitStatus::Broker;
        }
    }
    ExitStatus::Usage
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
        let kafka = anyhow::Error::new(rdkafka::error::KafkaError::NoMessageReceived);
        assert_eq!(exit_status_of(&kafka), ExitStatus::Broker);
        assert_eq!(exit_status_of(&anyhow::anyhow!("other")), ExitStatus::Usage);
    }
}
