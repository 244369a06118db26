//! What a connection is subscribed to, and which frames that arrive on it
//! are pub/sub's rather than replies to commands.

use std::collections::HashSet;

use redwire_resp::Frame;

use crate::command::slot::key_slot;
use crate::command::Subscription;

/// The channels, patterns and shard channels a connection is subscribed
/// to, as asked and as its confirmations reported them, and how many
/// confirmations are still due.
#[derive(Debug, Default)]
pub(super) struct Subscriptions {
    /// By family: channels, patterns, shard channels.
    names: [HashSet<Vec<u8>>; 3],
    /// Confirmations asked for and not read yet.
    due: usize,
}

impl Subscriptions {
    /// Notes what a (un)subscribe command of `kind` asks for: `names`
    /// subscribed to, or unsubscribed from (every one of the family when
    /// none is named); and the confirmations it makes due.
    pub(super) fn intend(&mut self, kind: Subscription, names: &[Vec<u8>]) {
        self.due += self.confirmations(kind, names.len());
        let subscribed = &mut self.names[kind.family()];
        if kind.subscribes() {
            subscribed.extend(names.iter().cloned());
        } else if names.is_empty() {
            subscribed.clear();
        } else {
            for name in names {
                subscribed.remove(name);
            }
        }
    }

    /// Takes back what [`intend`](Self::intend) noted for a command the
    /// server refused with an error reply (it then sends no confirmation).
    pub(super) fn refused(&mut self, kind: Subscription, names: &[Vec<u8>], confirmations: usize) {
        self.due = self.due.saturating_sub(confirmations);
        if kind.subscribes() {
            for name in names {
                self.names[kind.family()].remove(name);
            }
        }
    }

    /// How many confirmations a (un)subscribe command of `kind` naming
    /// `named` channels gets: one per name; for an unsubscribe from every
    /// channel of a family, one per such subscription, or one when there
    /// is none.
    pub(super) fn confirmations(&self, kind: Subscription, named: usize) -> usize {
        if named > 0 {
            named
        } else if kind.subscribes() {
            1
        } else {
            self.names[kind.family()].len().max(1)
        }
    }

    /// Whether the server may send pub/sub frames: something is subscribed
    /// to, or confirmations are due.
    pub(super) fn active(&self) -> bool {
        self.due > 0 || self.names.iter().any(|names| !names.is_empty())
    }

    /// Whether `frame`, read while [`active`](Self::active), is a pub/sub
    /// frame (a RESP2 array or a RESP3 push whose first word is a message
    /// or confirmation kind) rather than a command's reply; a confirmation
    /// is noted.
    pub(super) fn take(&mut self, frame: &Frame) -> bool {
        let (Frame::Array(items) | Frame::Push(items)) = frame else {
            return false;
        };
        let Some(kind) = items.first().and_then(Frame::as_bytes) else {
            return false;
        };
        if !Subscription::is_pubsub_kind(kind) {
            return false;
        }
        if let Some(confirmed) = Subscription::of(kind) {
            self.due = self.due.saturating_sub(1);
            // An unsubscribe from nothing is confirmed with a null name.
            if let Some(name) = items.get(1).and_then(Frame::as_bytes) {
                let family = &mut self.names[confirmed.family()];
                if confirmed.subscribes() {
                    family.insert(name.to_vec());
                } else {
                    family.remove(name);
                }
            }
        }
        true
    }

    /// Forgets every subscription (`RESET`).
    pub(super) fn clear(&mut self) {
        *self = Self::default();
    }

    /// The commands that subscribe another connection to what this one is
    /// subscribed to: shard channels one slot per command (a cluster node
    /// refuses an `SSUBSCRIBE` across slots).
    pub(super) fn resubscriptions(&self) -> Vec<Vec<Vec<u8>>> {
        let [channels, patterns, shard] = &self.names;
        let mut commands: Vec<Vec<Vec<u8>>> =
            [(&b"SUBSCRIBE"[..], channels), (b"PSUBSCRIBE", patterns)]
                .into_iter()
                .filter(|(_, names)| !names.is_empty())
                .map(|(command, names)| {
                    std::iter::once(command.to_vec())
                        .chain(names.iter().cloned())
                        .collect()
                })
                .collect();
        let mut by_slot: std::collections::BTreeMap<u16, Vec<Vec<u8>>> =
            std::collections::BTreeMap::new();
        for name in shard {
            by_slot
                .entry(key_slot(name))
                .or_insert_with(|| vec![b"SSUBSCRIBE".to_vec()])
                .push(name.clone());
        }
        commands.extend(by_slot.into_values());
        commands
    }
}
