//! Why a command should stop early, shared by everything that waits or loops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Two reasons to stop: Ctrl-C or SIGTERM (exit 130 for bounded commands), and "enough" (the
/// sink reached `--count`, stdout closed, or the command is done with its source).
#[derive(Debug, Clone, Default)]
pub struct Stop {
    interrupted: Arc<AtomicBool>,
    enough: Arc<AtomicBool>,
    /// An [`Abandonable`] stretch is running.
    abandonable: Arc<AtomicBool>,
}

/// A stretch of work that Ctrl-C may cut short by ending the process: connecting and
/// resolving the window wait on the broker and have written nothing yet.
pub struct Abandonable(Arc<AtomicBool>);

impl Drop for Abandonable {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
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
            abandonable: self.abandonable.clone(),
        }
    }

    /// Until the guard is dropped, Ctrl-C ends the process at once (see [`Abandonable`]).
    pub fn abandonable(&self) -> Abandonable {
        self.abandonable.store(true, Ordering::Relaxed);
        Abandonable(self.abandonable.clone())
    }

    /// The abandonable stretch is over: work that must finish cleanly starts.
    pub fn settle(&self) {
        self.abandonable.store(false, Ordering::Relaxed);
    }

    /// True while an [`Abandonable`] stretch runs.
    pub fn may_abandon(&self) -> bool {
        self.abandonable.load(Ordering::Relaxed)
    }
}
