//! Where a cluster sends a command: the slot of its first key, any node,
//! every master, or a node the caller names; read from the server's
//! `COMMAND` table, with the commands whose keys move (`EVAL`, `XREAD`,
//! `ZUNION`, …) read by their syntax. Which connection of that node it
//! takes is its [`Effects`](super::Effects)' to say.

use std::collections::HashMap;

use redwire_resp::Frame;

use super::lowercase;
use super::slot::key_slot;

/// Where to send one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// The master of this slot, or one of its replicas for a read-only
    /// command when reads may go to replicas.
    Slot {
        /// The slot of the command's first key.
        slot: u16,
        /// Whether the command only reads.
        readonly: bool,
    },
    /// Any node: the command has no key.
    Any,
    /// The master of a channel's slot: `PUBLISH` reaches every node's
    /// subscribers from any node, but sent by its channel, one channel's
    /// messages go through one node, in the order they were published.
    /// No key: a transaction with other slots' keys may hold it.
    Channel {
        /// The slot of the channel.
        slot: u16,
    },
    /// Every master (`SCRIPT LOAD`, `FLUSHALL`, …): the state it changes is
    /// per node.
    AllMasters,
    /// One node the caller chooses: the reply only means something for
    /// that node (`SCAN`'s cursor), so "any node" would be wrong.
    ChosenNode,
}

/// What the `COMMAND` table says of one command.
#[derive(Debug, Clone, Default)]
struct Spec {
    /// The position of the first key (0: none).
    first_key: usize,
    readonly: bool,
    /// The server says it may block (a module's command too).
    blocking: bool,
    /// `name|subcommand` entries of a container command (`OBJECT`, `XINFO`, …).
    subcommands: Vec<(Vec<u8>, Spec)>,
}

/// The server's commands, from `COMMAND`, by lower-case name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Commands(HashMap<Vec<u8>, Spec>);

impl Commands {
    /// Reads a `COMMAND` reply; entries it cannot read are skipped.
    pub(crate) fn from_reply(reply: &Frame) -> Self {
        let Frame::Array(entries) = reply else {
            return Self::default();
        };
        Self(entries.iter().filter_map(spec).collect())
    }

    /// Whether no command is known (no `COMMAND` table yet).
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The route of `args` (the command name first), and whether the
    /// server's table says the command may block. (`XREAD` and
    /// `XREADGROUP`, which it flags whatever their arguments, are left to
    /// their [`Effects`](super::Effects): they block only with `BLOCK`.)
    pub(crate) fn route(&self, args: &[&[u8]]) -> (Route, bool) {
        let Some(name) = args.first() else {
            return (Route::Any, false);
        };
        let mut buffer = [0u8; 32];
        let Some(name) = lowercase(name, &mut buffer) else {
            return (Route::Any, false);
        };
        let sub = args.get(1).copied().unwrap_or_default();
        if name == b"publish" && args.len() > 1 {
            return (
                Route::Channel {
                    slot: key_slot(sub),
                },
                false,
            );
        }
        if is_per_node(name, sub) {
            return (Route::AllMasters, false);
        }
        // A cursor means something on one node only.
        if name == b"scan" || (name == b"bless" && sub.eq_ignore_ascii_case(b"scan")) {
            return (Route::ChosenNode, false);
        }
        let spec = match self.0.get(name) {
            // `name|sub`, matched without regard to case.
            Some(spec) if !spec.subcommands.is_empty() => spec
                .subcommands
                .iter()
                .find(|(full, _)| {
                    full.len() == name.len() + 1 + sub.len()
                        && full[name.len() + 1..].eq_ignore_ascii_case(sub)
                })
                .map_or(spec, |(_, sub)| sub),
            Some(spec) => spec,
            None => &FALLBACK,
        };
        let blocking = spec.blocking && !matches!(name, b"xread" | b"xreadgroup");
        let key = movable_key(name, args).unwrap_or_else(|| {
            (spec.first_key > 0)
                .then(|| args.get(spec.first_key).copied())
                .flatten()
        });
        let route = match key {
            Some(key) => Route::Slot {
                slot: key_slot(key),
                readonly: spec.readonly,
            },
            None => Route::Any,
        };
        (route, blocking)
    }
}

/// An unknown command (or no `COMMAND` table): the first argument is the key.
static FALLBACK: Spec = Spec {
    first_key: 1,
    readonly: false,
    blocking: false,
    subcommands: Vec::new(),
};

fn spec(entry: &Frame) -> Option<(Vec<u8>, Spec)> {
    let Frame::Array(items) = entry else {
        return None;
    };
    let name = items.first()?.as_bytes()?.to_ascii_lowercase();
    let flag = |name: &[u8]| match items.get(2) {
        Some(Frame::Array(flags) | Frame::Set(flags)) => {
            flags.iter().any(|f| f.as_bytes() == Some(name))
        }
        _ => false,
    };
    let first_key = match items.get(3) {
        Some(Frame::Integer(n)) => usize::try_from(*n).unwrap_or(0),
        _ => 0,
    };
    let subcommands = match items.get(9) {
        Some(Frame::Array(subs)) => subs.iter().filter_map(spec).collect(),
        _ => Vec::new(),
    };
    Some((
        name,
        Spec {
            first_key,
            readonly: flag(b"readonly"),
            blocking: flag(b"blocking"),
            subcommands,
        },
    ))
}

/// Commands whose effect is per node, sent to every master (`name` in
/// lower case, `sub` in any).
fn is_per_node(name: &[u8], sub: &[u8]) -> bool {
    let sub_is = |names: &[&[u8]]| names.iter().any(|n| n.eq_ignore_ascii_case(sub));
    match name {
        b"flushall" | b"flushdb" => true,
        b"script" => sub_is(&[b"load", b"flush"]),
        b"function" => sub_is(&[b"load", b"delete", b"flush", b"restore"]),
        _ => false,
    }
}

/// The first key of a command whose keys follow a count or a keyword;
/// `None` when `name` is not one, `Some(None)` when it has no key.
#[allow(clippy::option_option)] // "not such a command" and "no key" differ
fn movable_key<'a>(name: &[u8], args: &[&'a [u8]]) -> Option<Option<&'a [u8]>> {
    // `numkeys` at `count`, the keys after it.
    let counted = |count: usize| {
        let numkeys: usize = std::str::from_utf8(args.get(count)?).ok()?.parse().ok()?;
        (numkeys > 0)
            .then(|| args.get(count + 1).copied())
            .flatten()
    };
    Some(match name {
        b"eval" | b"evalsha" | b"eval_ro" | b"evalsha_ro" | b"fcall" | b"fcall_ro" | b"blmpop"
        | b"bzmpop" => counted(2),
        b"zunion" | b"zinter" | b"zdiff" | b"sintercard" | b"zintercard" | b"lmpop" | b"zmpop"
        | b"sdiffcard" | b"sunioncard" | b"msetex" => counted(1),
        // After `STREAMS` (past `GROUP group consumer`, which may be named so).
        b"xread" | b"xreadgroup" => {
            let from = if name == b"xreadgroup" { 4 } else { 1 };
            args.iter()
                .skip(from)
                .position(|a| a.eq_ignore_ascii_case(b"streams"))
                .and_then(|at| args.get(from + at + 1).copied())
        }
        // `MIGRATE host port key|"" db timeout … [KEYS key…]`.
        b"migrate" => match args.get(3) {
            Some(key) if !key.is_empty() => Some(*key),
            _ => args
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"keys"))
                .and_then(|at| args.get(at + 1).copied()),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::{Commands, Route};
    use crate::command::slot::key_slot;
    use redwire_resp::Frame;

    fn route(args: &[&str]) -> Route {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        Commands::default().route(&args).0
    }

    #[test]
    fn the_servers_blocking_flag_counts_but_xread_is_left_to_its_arguments() {
        let bulk = |text: &str| Frame::BulkString(text.as_bytes().to_vec().into());
        let entry = |name: &str, flags: &[&str]| {
            Frame::Array(vec![
                bulk(name),
                Frame::Integer(-2),
                Frame::Array(flags.iter().map(|f| bulk(f)).collect()),
                Frame::Integer(1),
                Frame::Integer(1),
                Frame::Integer(1),
            ])
        };
        let table = Commands::from_reply(&Frame::Array(vec![
            entry("mymodule.bpop", &["write", "blocking"]),
            entry("xread", &["readonly", "blocking"]),
            entry("get", &["readonly"]),
        ]));
        let blocks = |args: &[&str]| {
            let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
            table.route(&args).1
        };
        assert!(blocks(&["MYMODULE.BPOP", "k", "0"]));
        assert!(!blocks(&["XREAD", "STREAMS", "s", "0"]));
        assert!(!blocks(&["GET", "k"]));
    }

    #[test]
    fn keys_are_found_where_the_syntax_puts_them() {
        let slot = |key: &str| Route::Slot {
            slot: key_slot(key.as_bytes()),
            readonly: false,
        };
        assert_eq!(route(&["SET", "k", "v"]), slot("k"));
        assert_eq!(route(&["EVALSHA", "abc", "2", "k1", "k2", "a"]), slot("k1"));
        assert_eq!(route(&["EVAL", "return 1", "0"]), Route::Any);
        assert_eq!(route(&["ZUNION", "2", "z1", "z2"]), slot("z1"));
        assert_eq!(route(&["BLMPOP", "0", "1", "l", "LEFT"]), slot("l"));
        assert_eq!(
            route(&["XREAD", "COUNT", "2", "streams", "s1", "0"]),
            slot("s1")
        );
        assert_eq!(
            route(&["XREADGROUP", "GROUP", "streams", "c", "STREAMS", "s1", ">"]),
            slot("s1")
        );
        assert_eq!(
            route(&["MIGRATE", "h", "1", "", "0", "5", "KEYS", "k1", "k2"]),
            slot("k1")
        );
        assert_eq!(route(&["MIGRATE", "h", "1", "k", "0", "5"]), slot("k"));
        assert_eq!(route(&["SCRIPT", "LOAD", "return 1"]), Route::AllMasters);
        assert_eq!(route(&["flushall"]), Route::AllMasters);
        assert_eq!(route(&["PING"]), Route::Any);
        assert_eq!(route(&["scan", "0", "MATCH", "k*"]), Route::ChosenNode);
        assert_eq!(
            route(&["BLESS", "SCAN", "0", "NO-EVICT"]),
            Route::ChosenNode
        );
        assert_eq!(route(&["SDIFFCARD", "2", "s1", "s2"]), slot("s1"));
        assert_eq!(
            route(&["SUNIONCARD", "2", "s1", "s2", "LIMIT", "5"]),
            slot("s1")
        );
        assert_eq!(
            route(&["MSETEX", "2", "k1", "v", "k2", "v", "EX", "5"]),
            slot("k1")
        );
        assert_eq!(route(&["WATCH", "k"]), slot("k"));
        assert_eq!(
            route(&["publish", "news", "hello"]),
            Route::Channel {
                slot: key_slot(b"news")
            }
        );
    }
}
