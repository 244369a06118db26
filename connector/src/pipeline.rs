//! Commands queued to be sent in one write.

use std::ops::Range;

use bytes::BytesMut;
use redwire_resp::{encode_command, Args};

use crate::policy::Policy;

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
#[derive(Debug, Clone, Default)]
pub struct Pipeline {
    bytes: BytesMut,
    /// Each command's encoding, as a range of `bytes`.
    command_ranges: Vec<Range<usize>>,
    /// Each command's name, as a range of `names`.
    name_ranges: Vec<Range<usize>>,
    names: Vec<u8>,
    /// Whether a command with no arguments at all was queued.
    has_empty: bool,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues one command.
    pub fn cmd<A: Args + ?Sized>(&mut self, args: &A) -> &mut Self {
        let encoded_from = self.bytes.len();
        encode_command(&mut self.bytes, args);
        self.command_ranges.push(encoded_from..self.bytes.len());
        let start = self.names.len();
        let mut first = true;
        args.for_each_arg(&mut |arg| {
            if std::mem::take(&mut first) {
                self.names.extend_from_slice(arg);
            }
        });
        self.has_empty |= first;
        self.name_ranges.push(start..self.names.len());
        self
    }

    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.name_ranges.len()
    }

    /// Whether no command is queued.
    pub fn is_empty(&self) -> bool {
        self.name_ranges.is_empty()
    }

    /// Empties the pipeline, keeping its buffers.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.command_ranges.clear();
        self.name_ranges.clear();
        self.names.clear();
        self.has_empty = false;
    }

    /// Whether a queued command changes the connection's settings
    /// (`SELECT`, `AUTH`, `CLIENT` …: any `CLIENT` subcommand counts here).
    pub(crate) fn changes_session(&self) -> bool {
        self.name_ranges.iter().any(|range| {
            let name = &self.names[range.clone()];
            crate::connection::changes_session(name) || name.eq_ignore_ascii_case(b"CLIENT")
        })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Each queued command: its encoding and its name.
    pub(crate) fn commands(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.command_ranges
            .iter()
            .zip(&self.name_ranges)
            .map(|(encoded, name)| (&self.bytes[encoded.clone()], &self.names[name.clone()]))
    }

    /// Queues a command another pipeline encoded (see [`commands`](Self::commands)).
    pub(crate) fn push_encoded(&mut self, encoded: &[u8], name: &[u8]) {
        let from = self.bytes.len();
        self.bytes.extend_from_slice(encoded);
        self.command_ranges.push(from..self.bytes.len());
        let start = self.names.len();
        self.names.extend_from_slice(name);
        self.name_ranges.push(start..self.names.len());
    }

    /// Refuses empty commands and (un)subscribe commands.
    pub(crate) fn check_commands(&self) -> Result<(), crate::Error> {
        if self.has_empty {
            return Err(crate::Error::EmptyCommand);
        }
        for range in &self.name_ranges {
            let name = &self.names[range.clone()];
            if crate::connection::Subscription::of(name).is_some() {
                return Err(crate::Error::SubscribeInPipeline {
                    command: String::from_utf8_lossy(name).to_ascii_uppercase(),
                });
            }
        }
        Ok(())
    }

    /// The last queued command `effect` knows, by its index, and the state
    /// it leaves: whether a transaction is open ([`transaction_effect`]) or
    /// keys are watched ([`watch_effect`]); `None` when no command says.
    ///
    /// [`transaction_effect`]: crate::connection::transaction_effect
    /// [`watch_effect`]: crate::connection::watch_effect
    pub(crate) fn last_effect(&self, effect: fn(&[u8]) -> Option<bool>) -> Option<(usize, bool)> {
        self.name_ranges
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, range)| effect(&self.names[range.clone()]).map(|state| (i, state)))
    }

    /// The first queued command `policy` refuses, upper case.
    pub(crate) fn disabled(&self, policy: &Policy) -> Option<String> {
        self.name_ranges
            .iter()
            .map(|range| &self.names[range.clone()])
            .find(|name| policy.refuses(name))
            .map(|name| String::from_utf8_lossy(name).to_ascii_uppercase())
    }
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
            .map(|(e, _)| {
                let mut args = Vec::new();
                args_of(e, &mut args);
                args
            })
            .collect();
        assert_eq!(
            read,
            vec![vec![&b"SET"[..], b"key", b"42"], vec![&b"GET"[..], b""],]
        );
        let mut args = vec![&b"stale"[..]];
        args_of(b"", &mut args);
        assert!(args.is_empty());
        args_of(b"*2\r\n$3\r\nGET\r\n$9\r\nshort", &mut args);
        assert_eq!(args, vec![&b"GET"[..]]);
    }
}
