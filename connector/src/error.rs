//! Errors of building a configuration.

use std::fmt;

/// A configuration or DSN that cannot be used, naming the field and the rule.
///
/// A password's value never appears in it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A field's value breaks its rule, e.g. port `70000`: "an integer 1..65535".
    Invalid {
        /// The field, as named in DSN query parameters and setters.
        field: &'static str,
        /// What the value must be.
        rule: &'static str,
        /// The value given (`***` for secrets).
        value: String,
    },
    /// A DSN that cannot be parsed: which part is wrong, and why.
    Dsn {
        /// The part of the DSN, e.g. "scheme", "port", "query parameter".
        part: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(
        field: &'static str,
        rule: &'static str,
        value: impl fmt::Display,
    ) -> Self {
        Self::Invalid {
            field,
            rule,
            value: value.to_string(),
        }
    }

    pub(crate) fn dsn(part: &'static str, reason: impl Into<String>) -> Self {
        Self::Dsn {
            part,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid { field, rule, value } => {
                write!(f, "invalid {field}: must be {rule}, got {value:?}")
            }
            Self::Dsn { part, reason } => write!(f, "invalid DSN {part}: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}
