//! The pure logic of the analysing commands: no I/O, no broker, unit-tested. [`diff`] pairs
//! and compares two streams; [`compare`] says how two events differ; [`path`] is the jq-style
//! path notation their options use.

pub mod compare;
pub mod diff;
pub mod lag;
pub mod path;
pub mod rate;
pub mod stats;
pub mod trace;
