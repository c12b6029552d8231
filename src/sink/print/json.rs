//! `--format json`: the lossless envelope, one object per line.

use super::{Invalid, Printer};
use crate::event::Event;

pub struct JsonPrinter;

impl Printer for JsonPrinter {
    fn print(&mut self, event: &Event, out: &mut Vec<u8>) {
        event.write_envelope(out);
        out.push(b'\n');
    }

    /// Adds `"invalid": {"schema": …, "violations": […]}` to the envelope just written.
    fn annotate(&mut self, invalid: &Invalid, out: &mut Vec<u8>) {
        if out.ends_with(b"}\n") {
            out.truncate(out.len() - 2);
            let violations: Vec<serde_json::Value> = invalid
                .violations
                .iter()
                .map(|v| serde_json::json!({"pointer": v.pointer, "keyword": v.keyword, "schema_path": v.schema_path, "message": v.message}))
                .collect();
            let note = serde_json::json!({"schema": invalid.schema, "violations": violations});
            out.extend_from_slice(b",\"invalid\":");
            out.extend_from_slice(note.to_string().as_bytes());
            out.extend_from_slice(b"}\n");
        }
    }
}
