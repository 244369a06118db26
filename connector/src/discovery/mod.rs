//! Finding the server to talk to: the one a configuration names, the first
//! of a list of hosts that answers, or the one a sentinel set names (and
//! following its failovers).

mod connector;
mod hosts;
mod sentinel;

pub use connector::Connector;
pub use hosts::{try_hosts, NextUpstream};
