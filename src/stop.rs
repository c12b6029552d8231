//! Why a command should stop early, shared by everything that waits or loops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Two reasons to stop: Ctrl-C or SIGTERM (exit 130 for bounded commands), and "enough" (the
/// sink reached `--count`, stdout closed, or the command is done with its source).
#[derive(Debug, Clone, Default)]
pub struct Stop {
    interrupted: Arc<AtomicBool>,
    enough: Arc<AtomicBool>,
}

impl Stop {
    pub fn is_set(&self) -> bool {
        self.interrupted() || self.enough.load(Ordering::Relaxed)
    }

    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }

    /// Ctrl-C or SIGTERM arrived.
    pub fn interrupt(&self) {
        self.interrupted.store(true, Ordering::Relaxed);
    }

    /// Nothing more is wanted from the sources.
    pub fn enough(&self) {
        self.enough.store(true, Ordering::Relaxed);
    }

    /// A stop of its own for one reader ("enough" stops only it), which still hears Ctrl-C.
    pub fn child(&self) -> Stop {
        Stop {
            interrupted: self.interrupted.clone(),
            enough: Arc::new(AtomicBool::new(false)),
        }
    }
}
