//! Integration tests: the evt binary against a real tansu broker started by the harness.

mod architecture;
mod both;
mod diff;
mod errors;
mod family;
mod filters;
mod generated;
mod hardening_input;
mod hardening_produce;
mod hardening_schema;
mod hardening_signals;
mod harness;
mod inspect;
mod output;
mod pipeline;
mod playground;
mod rabbit;
mod read;
mod replay;
mod tail;
mod validate;
