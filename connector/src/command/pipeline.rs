//! Commands queued to be sent in one write.

use std::ops::Range;

use bytes::BytesMut;
use redwire_resp::{encode_command, Args};

use super::effects::Effects;
use super::policy::Policy;
use super::script::Script;
use crate::error::Error;

/// Commands encoded as they are queued, sent by
/// [`Connection::pipeline`](crate::Connection::pipeline) in one write.
///
/// ```
/// use redwire::Pipeline;
///
/// let mut pipeline = Pipeline::new();
/// pipeline.cmd(&("SET", "a", 1)).cmd(&("INCR", "a")).cmd(&["GET", "a"]);
/// assert_eq!(pipeline.len(), 3);
/// ```
#[derive(Clone, Default)]
pub struct Pipeline {
    bytes: BytesMut,
    /// Each command: where its encoding and name are in `bytes`, and its
    /// effects (one allocation for all, whatever their number).
    entries: Vec<Entry>,
    /// Whether some command has an effect to follow (see [`Effects::is_plain`]).
    effectful: bool,
    /// Whether it is sent between `MULTI` and `EXEC`.
    atomic: bool,
    /// The scripts its `EVALSHA`s run (see `Pipeline::invoke`), each once.
    scripts: Vec<Script>,
}

/// Where one queued command is.
#[derive(Clone)]
struct Entry {
    /// Its encoding, in the pipeline's bytes.
    encoded: Range<usize>,
    /// Its name (the first bulk string of its encoding).
    name: Range<usize>,
    effects: Effects,
}

/// Shows the commands' names only: arguments may hold secrets
/// (`AUTH`, `CONFIG SET requirepass`).
impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.commands()
                    .map(|command| String::from_utf8_lossy(command.name).into_owned()),
            )
            .finish()
    }
}

/// One queued command.
#[derive(Clone, Copy)]
pub(crate) struct Queued<'a> {
    /// Its encoding.
    pub(crate) encoded: &'a [u8],
    /// Its name, as given.
    pub(crate) name: &'a [u8],
    /// What it does to its connection.
    pub(crate) effects: Effects,
}

impl Queued<'_> {
    /// Its name, upper case, for errors.
    pub(crate) fn upper_name(&self) -> String {
        String::from_utf8_lossy(self.name).to_ascii_uppercase()
    }
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues one command.
    pub fn cmd<A: Args + ?Sized>(&mut self, args: &A) -> &mut Self {
        let from = self.bytes.len();
        encode_command(&mut self.bytes, args);
        self.add(from, Effects::of(args));
        self
    }

    /// Notes the command encoded in `bytes` from `from` on.
    fn add(&mut self, from: usize, effects: Effects) {
        let encoded = from..self.bytes.len();
        let name = name_in(&self.bytes[encoded.clone()])
            .map_or(from..from, |name| from + name.start..from + name.end);
        self.effectful |= !effects.is_plain();
        self.entries.push(Entry {
            encoded,
            name,
            effects,
        });
    }

    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no command is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Empties the pipeline, keeping its buffers.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.entries.clear();
        self.effectful = false;
        self.atomic = false;
        self.scripts.clear();
    }

    /// Notes that an `EVALSHA` queued runs `script`.
    pub(crate) fn add_script(&mut self, script: &Script) {
        if !self.scripts.iter().any(|s| s.sha() == script.sha()) {
            self.scripts.push(script.clone());
        }
    }

    /// The scripts its `EVALSHA`s run.
    pub(crate) fn scripts(&self) -> &[Script] {
        &self.scripts
    }

    /// Sends it between `MULTI` and `EXEC` (see `Pipeline::atomic`).
    pub(crate) fn set_atomic(&mut self) {
        self.atomic = true;
    }

    /// Whether it is sent between `MULTI` and `EXEC`.
    pub(crate) fn is_atomic(&self) -> bool {
        self.atomic
    }

    /// What is sent: the pipeline, between `MULTI` and `EXEC` when atomic.
    pub(crate) fn wrapped(&self) -> std::borrow::Cow<'_, Self> {
        if !self.atomic {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut wrapped = Self::new();
        wrapped.cmd(&["MULTI"]);
        for command in self.commands() {
            wrapped.push(command);
        }
        wrapped.cmd(&["EXEC"]);
        std::borrow::Cow::Owned(wrapped)
    }

    /// Whether it is one whole transaction: `MULTI` first, `EXEC` last.
    pub(crate) fn is_transaction(&self) -> bool {
        self.len() >= 2
            && self.entries.first().and_then(|e| e.effects.transaction()) == Some(true)
            && self
                .commands()
                .last()
                .is_some_and(|c| c.name.eq_ignore_ascii_case(b"EXEC"))
    }

    /// Whether no queued command has an effect to follow: each is answered
    /// with one reply, and leaves its connection as it was.
    pub(crate) fn is_plain(&self) -> bool {
        !self.effectful
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Each queued command, in order.
    pub(crate) fn commands(&self) -> impl Iterator<Item = Queued<'_>> {
        self.entries.iter().map(|entry| Queued {
            encoded: &self.bytes[entry.encoded.clone()],
            name: &self.bytes[entry.name.clone()],
            effects: entry.effects,
        })
    }

    /// Queues a command another pipeline holds (see [`commands`](Self::commands)).
    pub(crate) fn push(&mut self, command: Queued<'_>) {
        let from = self.bytes.len();
        self.bytes.extend_from_slice(command.encoded);
        self.add(from, command.effects);
    }

    /// The first command that may not go on a connection shared by many
    /// callers ([`Effects::shares`]); an `ASKING` may, when the command it
    /// applies to follows it in the pipeline (they are written together).
    ///
    /// A whole transaction (`MULTI` first, `EXEC` last) may share one too,
    /// when nothing inside it keeps state: written in one piece, nothing
    /// comes between its commands, and it ends as it began. (Inside it a
    /// blocking command does not block.)
    pub(crate) fn first_unshared(&self) -> Option<Queued<'_>> {
        if self.is_plain() {
            return None;
        }
        let whole = self.is_transaction();
        let last = self.len().saturating_sub(1);
        let mut commands = self.commands().enumerate().peekable();
        while let Some((i, command)) = commands.next() {
            if whole {
                if i != 0 && i != last && command.effects.keeps_state() {
                    return Some(command);
                }
                continue;
            }
            let asking = command.effects.asking() && commands.peek().is_some();
            if !command.effects.shares() && !asking {
                return Some(command);
            }
        }
        None
    }

    /// The first command that leaves state on its connection
    /// ([`Effects::keeps_state`]), a whole transaction's `MULTI` and `EXEC`
    /// aside; or one that counts the writes before it on its connection
    /// (`WAIT`) with no command before it in the pipeline. Where connections are
    /// picked per request, such a command cannot do what its caller means.
    pub(crate) fn first_needing_a_held_connection(&self) -> Option<Queued<'_>> {
        if self.is_plain() {
            return None;
        }
        let whole = self.is_transaction();
        let last = self.len().saturating_sub(1);
        self.commands().enumerate().find_map(|(i, command)| {
            let wrapper = whole && (i == 0 || i == last);
            let stateful = command.effects.keeps_state() && !wrapper;
            let counts_nothing = command.effects.counts_own_writes() && i == 0;
            (stateful || counts_nothing).then_some(command)
        })
    }

    /// Refuses what no connection can run in a pipeline: a command with no
    /// arguments at all, and (un)subscribe commands, whose replies cannot be
    /// counted there; and what `policy` refuses.
    pub(crate) fn check(&self, policy: &Policy) -> Result<(), Error> {
        for command in self.commands() {
            if command.effects.words() == 0 {
                return Err(Error::EmptyCommand);
            }
            if command.effects.subscription().is_some() {
                return Err(Error::SubscribeInPipeline {
                    command: command.upper_name(),
                });
            }
            if policy.refuses(command.name) {
                return Err(Error::Disabled {
                    command: command.upper_name(),
                });
            }
        }
        Ok(())
    }
}

/// Where the first argument (the name) of an encoded command is:
/// after `*N\r\n$len\r\n`.
fn name_in(encoded: &[u8]) -> Option<Range<usize>> {
    let line_end = |from: usize| {
        encoded
            .get(from..)?
            .iter()
            .position(|b| *b == b'\r')
            .map(|at| from + at)
    };
    let header = line_end(0)? + 2;
    if encoded.get(header) != Some(&b'$') {
        return None;
    }
    let end = line_end(header)?;
    let len: usize = std::str::from_utf8(encoded.get(header + 1..end)?)
        .ok()?
        .parse()
        .ok()?;
    let start = end + 2;
    (start + len <= encoded.len()).then_some(start..start + len)
}

/// The arguments of a command as the encoder wrote it (`*N` then `$len`
/// bulk strings), read into `args` (cleared first) without copying; what
/// does not parse ends the list.
pub(crate) fn args_of<'a>(encoded: &'a [u8], args: &mut Vec<&'a [u8]>) {
    /// The number after the marker byte at `at`, and where its line ends.
    fn header(encoded: &[u8], at: usize) -> Option<(usize, usize)> {
        let line = encoded.get(at + 1..)?;
        let end = line.iter().position(|b| *b == b'\r')?;
        let n = std::str::from_utf8(&line[..end]).ok()?.parse().ok()?;
        Some((n, at + 1 + end + 2))
    }
    args.clear();
    let Some((count, mut at)) = header(encoded, 0) else {
        return;
    };
    for _ in 0..count {
        let Some((len, start)) = header(encoded, at) else {
            break;
        };
        let Some(arg) = encoded.get(start..start + len) else {
            break;
        };
        args.push(arg);
        at = start + len + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::{args_of, Pipeline};

    #[test]
    fn encoded_commands_read_back_as_their_arguments() {
        let mut pipeline = Pipeline::new();
        pipeline.cmd(&("SET", "key", 42)).cmd(&["GET", ""]);
        let read: Vec<Vec<&[u8]>> = pipeline
            .commands()
            .map(|queued| {
                let mut args = Vec::new();
                args_of(queued.encoded, &mut args);
                args
            })
            .collect();
        assert_eq!(
            read,
            vec![vec![&b"SET"[..], b"key", b"42"], vec![&b"GET"[..], b""],]
        );
        pipeline.cmd(&[""]).cmd(&["x".repeat(300)]);
        let names: Vec<Vec<u8>> = pipeline.commands().map(|c| c.name.to_vec()).collect();
        assert_eq!(
            names,
            [
                b"SET".to_vec(),
                b"GET".to_vec(),
                Vec::new(),
                vec![b'x'; 300]
            ]
        );
        let mut args = vec![&b"stale"[..]];
        args_of(b"", &mut args);
        assert!(args.is_empty());
        args_of(b"*2\r\n$3\r\nGET\r\n$9\r\nshort", &mut args);
        assert_eq!(args, vec![&b"GET"[..]]);
    }
}
