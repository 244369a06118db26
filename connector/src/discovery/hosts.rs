//! Trying an ordered list of hosts until one connects.

use crate::config::Config;
use crate::connection::Connection;
use crate::error::Error;

/// Which failures move on to the next host, as nginx's `*_next_upstream`.
///
/// The default moves on after an error or a timeout, as nginx does.
///
/// ```
/// use redwire::NextUpstream;
///
/// let strict = NextUpstream::off();
/// let everything = NextUpstream::default().invalid_response(true);
/// # let _ = (strict, everything);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct NextUpstream {
    error: bool,
    timeout: bool,
    invalid_response: bool,
}

impl Default for NextUpstream {
    fn default() -> Self {
        Self {
            error: true,
            timeout: true,
            invalid_response: false,
        }
    }
}

impl NextUpstream {
    /// Never moves on: the first host's failure is final.
    pub fn off() -> Self {
        Self {
            error: false,
            timeout: false,
            invalid_response: false,
        }
    }

    /// Moves on after resolve, connect, TLS and I/O errors, and unusable
    /// configurations. Default on.
    #[must_use]
    pub fn error(self, on: bool) -> Self {
        Self { error: on, ..self }
    }

    /// Moves on after a timeout. Default on.
    #[must_use]
    pub fn timeout(self, on: bool) -> Self {
        Self {
            timeout: on,
            ..self
        }
    }

    /// Moves on after a reply that is not RESP, or a refused handshake
    /// (wrong password, unknown database). Default off.
    #[must_use]
    pub fn invalid_response(self, on: bool) -> Self {
        Self {
            invalid_response: on,
            ..self
        }
    }

    fn moves_on(self, error: &Error) -> bool {
        match error {
            Error::Timeout { .. } => self.timeout,
            Error::Protocol { .. } | Error::Refused { .. } => self.invalid_response,
            _ => self.error,
        }
    }
}

/// Connects to the first host of `hosts` that accepts, trying them in
/// order while `policy` allows; returns the connection and the errors of
/// the hosts tried before it. When every host failed, or a failure the
/// policy does not move on from happened, the error is
/// [`Error::NoHosts`] with each host's error in order.
pub async fn try_hosts(
    hosts: &[Config],
    policy: NextUpstream,
) -> Result<(Connection, Vec<Error>), Error> {
    let mut errors = Vec::new();
    for config in hosts {
        match Connection::connect(config).await {
            Ok(connection) => return Ok((connection, errors)),
            Err(e) => {
                let moves_on = policy.moves_on(&e);
                tracing::debug!(error = %e, moves_on, "host failed");
                errors.push(e);
                if !moves_on {
                    break;
                }
            }
        }
    }
    Err(Error::NoHosts(errors))
}
