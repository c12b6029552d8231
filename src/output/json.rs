//! `--format json`: the lossless envelope, one object per line.

use super::Printer;
use crate::event::Event;

pub struct JsonPrinter;

impl Printer for JsonPrinter {
    fn print(&mut self, event: &Event, out: &mut Vec<u8>) {
        event.write_envelope(out);
        out.push(b'\n');
    }
}
