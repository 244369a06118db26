//! What a cluster's error replies and failures ask of the client: follow a
//! redirection, try again, or give up.

use redwire_sentinel::Address;

use crate::error::ServerError;

/// A redirection or a retry asked for by an error reply.
pub(super) enum Redirect {
    Moved { slot: u16, to: Address },
    Ask { to: Address },
    Retry,
}

impl Redirect {
    /// `MOVED 3999 127.0.0.1:6381`, `ASK 3999 …`, `TRYAGAIN …`,
    /// `CLUSTERDOWN …`; an empty host is the node that answered.
    pub(super) fn of(reply: &ServerError, from: &Address) -> Option<Self> {
        let mut words = reply.message().split(' ');
        let code = words.next()?;
        if matches!(code, "TRYAGAIN" | "CLUSTERDOWN") {
            return Some(Self::Retry);
        }
        let slot = words.next()?.parse().ok()?;
        let (host, port) = words.next()?.rsplit_once(':')?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let host = if host.is_empty() { &from.host } else { host };
        let to = Address::new(host, port.parse().ok()?);
        match code {
            "MOVED" => Some(Self::Moved { slot, to }),
            "ASK" => Some(Self::Ask { to }),
            _ => None,
        }
    }
}
