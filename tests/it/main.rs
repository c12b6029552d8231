//! Integration tests: the evt binary against a real tansu broker started by the harness.

mod errors;
mod harness;
mod output;
mod read;
mod tail;
