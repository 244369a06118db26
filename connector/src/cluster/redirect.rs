//! What a cluster's error replies and failures ask of the client: follow a
//! redirection, try again, or give up.

use redwire_pool::PoolError;
use redwire_sentinel::Address;

use crate::error::{Error, Phase, ServerError};

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

/// Whether the command was surely not executed and retrying may help: no
/// connection could be had (a refused handshake aside: a wrong password
/// stays wrong), or the shared connection had closed before it was queued.
/// A failed write is not enough: part of it may have arrived and run.
pub(super) fn unsent(error: &Error) -> bool {
    match error {
        Error::Closed { .. } => true,
        Error::Pool(pool) => match &**pool {
            PoolError::ConnectFailed(e) => unsent(e),
            PoolError::Exhausted { .. } => true,
            _ => false,
        },
        Error::Io { phase, .. } | Error::Timeout { phase, .. } => {
            matches!(phase, Phase::Resolve | Phase::Connect | Phase::Tls)
        }
        _ => false,
    }
}
