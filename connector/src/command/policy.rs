//! Commands refused before anything is sent: the user's disabled list, or in
//! proxy mode those a twemproxy-style proxy does not support.

use redwire_resp::Args;

use crate::config::Config;
use crate::error::Error;

/// The commands twemproxy does not support, as lua-resty-redis-connector
/// lists them: refused in proxy mode unless the user gives a list of their own.
pub const TWEMPROXY_UNSUPPORTED: &[&str] = &[
    "MIGRATE",
    "MOVE",
    "OBJECT",
    "RANDOMKEY",
    "RENAME",
    "RENAMENX",
    "SCAN",
    "BITOP",
    "MSETNX",
    "BLPOP",
    "BRPOP",
    "BRPOPLPUSH",
    "PSUBSCRIBE",
    "PUBLISH",
    "PUNSUBSCRIBE",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "DISCARD",
    "EXEC",
    "MULTI",
    "UNWATCH",
    "WATCH",
    "SCRIPT",
    "AUTH",
    "ECHO",
    "SELECT",
    "BGREWRITEAOF",
    "BGSAVE",
    "CLIENT",
    "CONFIG",
    "DBSIZE",
    "DEBUG",
    "FLUSHALL",
    "FLUSHDB",
    "INFO",
    "LASTSAVE",
    "MONITOR",
    "SAVE",
    "SHUTDOWN",
    "SLAVEOF",
    "SLOWLOG",
    "SYNC",
    "TIME",
];

/// The disabled commands of one connection, upper case.
#[derive(Debug, Clone, Default)]
pub(crate) struct Policy {
    disabled: Vec<String>,
}

impl Policy {
    pub(crate) fn new(config: &Config) -> Self {
        let disabled = if config.disabled_commands.is_empty() && config.proxy {
            TWEMPROXY_UNSUPPORTED
                .iter()
                .map(|c| (*c).to_owned())
                .collect()
        } else {
            config.disabled_commands.clone()
        };
        Self { disabled }
    }

    /// Whether `name` (any case) is disabled.
    pub(crate) fn refuses(&self, name: &[u8]) -> bool {
        self.disabled
            .iter()
            .any(|d| d.as_bytes().eq_ignore_ascii_case(name))
    }

    /// Refuses a command whose name is disabled.
    pub(crate) fn check<A: Args + ?Sized>(&self, args: &A) -> Result<(), Error> {
        if self.disabled.is_empty() {
            return Ok(());
        }
        let mut refused = None;
        let mut first = true;
        args.for_each_arg(&mut |arg| {
            if std::mem::take(&mut first) && self.refuses(arg) {
                refused = Some(String::from_utf8_lossy(arg).to_ascii_uppercase());
            }
        });
        match refused {
            Some(command) => Err(Error::Disabled { command }),
            None => Ok(()),
        }
    }
}
