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

    /// Whether the pipeline leaves a transaction open (`Some(true)`) or
    /// closed (`Some(false)`), by its last `MULTI`, `EXEC` or `DISCARD`.
    pub(crate) fn transaction_after(&self) -> Option<bool> {
        self.name_ranges
            .iter()
            .rev()
            .find_map(|range| crate::connection::transaction_effect(&self.names[range.clone()]))
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
