//! `evt trace`: one business transaction's events as a timeline, what changed from one event
//! to the next, and whether the flow went as expected (a saga's happy path, and the
//! compensation each failure calls for).

/// What the flow should look like: `OrderCreated,PaymentCompleted,OrderShipped` (the happy
/// path, in order) and `PaymentFailed->OrderCancelled` (a failure and its compensation),
/// comma separated in one `--expect` text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    pub happy: Vec<String>,
    pub compensations: Vec<(String, String)>,
}

impl Expect {
    pub fn parse(text: &str) -> Result<Expect, String> {
        let mut expect = Expect::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once("->") {
                Some((failure, compensation)) => {
                    let (f, c) = (failure.trim(), compensation.trim());
                    if f.is_empty() || c.is_empty() {
                        return Err(format!("'{part}' needs a type on each side of ->"));
                    }
                    expect.compensations.push((f.to_string(), c.to_string()));
                }
                None => expect.happy.push(part.to_string()),
            }
        }
        if expect.happy.is_empty() && expect.compensations.is_empty() {
            return Err("name the expected event types, e.g. OrderCreated,PaymentCompleted or PaymentFailed->OrderCancelled".into());
        }
        Ok(expect)
    }
}

/// How the flow went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every step of the happy path, in order.
    Completed,
    /// A failure, followed by its compensation.
    Compensated {
        failure: String,
        compensation: String,
    },
    /// The happy path stopped: `after` is the last step seen (index into the events), `missing`
    /// the step that never came.
    Stopped {
        after: Option<usize>,
        missing: String,
    },
    /// A failure without its compensation after it.
    CompensationMissing {
        failure_at: usize,
        failure: String,
        compensation: String,
    },
}

impl Outcome {
    /// Whether the flow is broken (exit 1).
    pub fn broken(&self) -> bool {
        matches!(
            self,
            Outcome::Stopped { .. } | Outcome::CompensationMissing { .. }
        )
    }
}

/// Judges the event types of one id in time order.
pub fn judge(expect: &Expect, types: &[Option<String>]) -> Outcome {
    // A failure decides the flow: its compensation must follow.
    for (i, t) in types.iter().enumerate() {
        let Some(t) = t else { continue };
        if let Some((failure, compensation)) = expect.compensations.iter().find(|(f, _)| f == t) {
            let followed = types[i + 1..]
                .iter()
                .any(|later| later.as_deref() == Some(compensation.as_str()));
            return if followed {
                Outcome::Compensated {
                    failure: failure.clone(),
                    compensation: compensation.clone(),
                }
            } else {
                Outcome::CompensationMissing {
                    failure_at: i,
                    failure: failure.clone(),
                    compensation: compensation.clone(),
                }
            };
        }
    }
    // The happy path, in order (other events may come between its steps).
    let mut at = 0usize;
    let mut last = None;
    for step in &expect.happy {
        match types[at..]
            .iter()
            .position(|t| t.as_deref() == Some(step.as_str()))
        {
            Some(found) => {
                last = Some(at + found);
                at += found + 1;
            }
            None => {
                return Outcome::Stopped {
                    after: last,
                    missing: step.clone(),
                }
            }
        }
    }
    Outcome::Completed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(names: &[&str]) -> Vec<Option<String>> {
        names.iter().map(|n| Some(n.to_string())).collect()
    }

    #[test]
    fn sagas_complete_compensate_or_stop() {
        let expect = Expect::parse(
            "OrderCreated,PaymentCompleted,OrderShipped, PaymentFailed->OrderCancelled",
        )
        .unwrap();
        assert_eq!(expect.happy.len(), 3);
        let done = types(&["OrderCreated", "PaymentCompleted", "Noise", "OrderShipped"]);
        assert_eq!(judge(&expect, &done), Outcome::Completed);
        let compensated = types(&["OrderCreated", "PaymentFailed", "OrderCancelled"]);
        assert!(matches!(
            judge(&expect, &compensated),
            Outcome::Compensated { .. }
        ));
        let stopped = types(&["OrderCreated", "PaymentCompleted"]);
        assert_eq!(
            judge(&expect, &stopped),
            Outcome::Stopped {
                after: Some(1),
                missing: "OrderShipped".into()
            }
        );
        let uncompensated = types(&["OrderCreated", "PaymentFailed"]);
        let outcome = judge(&expect, &uncompensated);
        assert!(outcome.broken());
        assert_eq!(
            outcome,
            Outcome::CompensationMissing {
                failure_at: 1,
                failure: "PaymentFailed".into(),
                compensation: "OrderCancelled".into()
            }
        );
        // Out of order is not the happy path.
        let swapped = types(&["PaymentCompleted", "OrderCreated", "OrderShipped"]);
        assert!(judge(&expect, &swapped).broken());
        assert!(Expect::parse("A->").is_err());
        assert!(Expect::parse(" , ").is_err());
    }
}
