//! `--format value`: payloads only, one per line, for jq and friends.
//!
//! Payloads are written as they are (bytes untouched); a tombstone prints `null`.

use super::Printer;
use crate::event::Event;

pub struct ValuePrinter;

impl Printer for ValuePrinter {
    fn print(&mut self, event: &Event, out: &mut Vec<u8>) {
        match &event.value {
            Some(v) => out.extend_from_slice(v),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'\n');
    }
}
