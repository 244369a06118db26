//! Why discovery failed.

use std::fmt;

/// Why no server could be found through the sentinels.
#[derive(Debug)]
#[non_exhaustive]
pub enum SentinelError<E> {
    /// The sentinels do not monitor a master by this name.
    InvalidMasterName(String),
    /// No sentinel answered: each sentinel and its error, in order.
    NoSentinel(Vec<(String, E)>),
    /// The master has no healthy replica.
    NoReplicas(String),
    /// A sentinel answered with something that is not what the command returns.
    UnexpectedReply(String),
    /// The server the sentinels named does not have the role asked for
    /// (`ROLE` says otherwise), even after asking again.
    RoleMismatch {
        /// The server.
        address: String,
        /// The role asked for: `master` or `slave`.
        expected: String,
        /// The role the server reported.
        actual: String,
    },
}

impl<E: fmt::Display> fmt::Display for SentinelError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidMasterName(name) => write!(f, "invalid master name {name:?}"),
            Self::NoSentinel(errors) => {
                f.write_str("no sentinel reachable")?;
                for (i, (address, error)) in errors.iter().enumerate() {
                    write!(f, "{} {address}: {error}", if i == 0 { ":" } else { ";" })?;
                }
                Ok(())
            }
            Self::NoReplicas(name) => write!(f, "no replicas available for {name:?}"),
            Self::UnexpectedReply(what) => write!(f, "unexpected sentinel reply: {what}"),
            Self::RoleMismatch {
                address,
                expected,
                actual,
            } => write!(f, "{address} is a {actual}, not a {expected}"),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for SentinelError<E> {
    /// The first sentinel's error, when none answered.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::NoSentinel(errors) => errors.first().map(|(_, e)| e as _),
            _ => None,
        }
    }
}
