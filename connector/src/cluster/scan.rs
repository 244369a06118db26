//! Walking every key of a cluster: `SCAN` on each master in turn.

use std::collections::{HashMap, VecDeque};

use redwire_resp::{Args, Frame, Payload};
use redwire_sentinel::Address;

use std::sync::Arc;

use super::topology::SlotMap;
use super::Cluster;
use crate::backoff::RETRY_BACKOFF;
use crate::command::pipeline::Pipeline;
use crate::command::slot::SLOTS;
use crate::connection::single;
use crate::error::Error;

/// How many passes a walk makes at most: the first over every master, then
/// each over the masters that may have received keys the one before missed.
pub const MAX_SCAN_PASSES: u32 = 16;

/// A walk over every key of a cluster, made by [`Cluster::scan`]: `SCAN` on
/// each master in turn, as the slot map names them.
///
/// As with `SCAN` itself, every key that exists for the whole walk is
/// returned, some maybe more than once, including while slots move between
/// masters (resharding) and masters fail over:
///
/// - A master is walked whole, whichever of its slots move meanwhile. One
///   that fails over (it serves no slot in the map read again) is walked
///   again from its start on the master serving its slots now; when a
///   master stops answering, the topology is read again and the walk goes
///   on there, within the cluster's retry bounds
///   ([`ClientOptions::max_retries`](crate::ClientOptions)). A walk starts
///   only over a map that serves every slot (else [`Error::SlotUnserved`]
///   once the retries are spent).
/// - A key that moves (`MIGRATE` writes it where it goes, then deletes it
///   where it was) is missed only if it left a master before that master's
///   last walk ended, and reached one after that one's last walk began
///   (through other masters on the way, maybe). So after each pass the
///   topology is read again, with the migrations under way (each master's
///   `CLUSTER NODES` names its own); a master that received slots, or is
///   receiving them, from a master that may have held such keys is walked
///   again, in a new pass, until a pass after which none is; after
///   [`MAX_SCAN_PASSES`] passes, [`Error::SlotsKeptMoving`]. Passes after
///   the second start after a wait, doubling from 10 ms to half a second
///   (some 4.6 s over the 16), so that the nodes' views of a slot that
///   just moved agree. A slot that
///   moves and comes back within one pass is not seen.
#[derive(Debug)]
pub struct ClusterScan {
    cluster: Cluster,
    /// `SCAN`'s words after the cursor.
    options: Vec<Vec<u8>>,
    /// The pass under way; `None` until the walk starts.
    pass: Option<Pass>,
    /// The part being walked: that part, the master walked, and the cursor
    /// there.
    current: Option<(Part, Address, Payload)>,
    /// Failures in a row.
    retries: u32,
    /// Passes started.
    passes: u32,
    /// Each master walked: when its last walk began and ended (`None`: not
    /// yet), counted in walk events.
    walks: HashMap<Address, (u64, Option<u64>)>,
    /// Walk events so far.
    events: u64,
}

/// One pass of a walk.
#[derive(Debug)]
struct Pass {
    /// The slot map as the pass began.
    began: Arc<SlotMap>,
    /// The parts not walked yet.
    pending: VecDeque<Part>,
    /// Whether the walk ended with it.
    ended: bool,
}

/// A part of the keyspace to walk: a master's keys.
#[derive(Debug, Clone)]
struct Part {
    master: Address,
    /// A slot it served, whose master now has its keys after a failover
    /// (`None`: it served none, importing its first).
    slot: Option<u16>,
}

impl ClusterScan {
    pub(super) fn new<A: Args + ?Sized>(cluster: Cluster, options: &A) -> Self {
        let mut words = Vec::new();
        options.for_each_arg(&mut |word| words.push(word.to_vec()));
        Self {
            cluster,
            options: words,
            pass: None,
            current: None,
            retries: 0,
            passes: 0,
            walks: HashMap::new(),
            events: 0,
        }
    }

    /// The next keys (never none); `None` once every master has been walked.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Payload>>, Error> {
        loop {
            let Some(pass) = &mut self.pass else {
                let map = self.cluster.map();
                if let Some(slot) = map.unserved() {
                    self.cluster
                        .retry(&mut self.retries, Error::SlotUnserved { slot })
                        .await?;
                    continue;
                }
                let pending = parts(&map, map.shards().iter().map(|s| s.master.clone()));
                self.start(map, pending);
                continue;
            };
            let (part, cursor) = match &self.current {
                Some((part, node, cursor)) => (part.clone(), Some((node.clone(), cursor.clone()))),
                None => match pass.pending.pop_front() {
                    Some(part) => (part, None),
                    None if self.next_pass().await? => continue,
                    None => return Ok(None),
                },
            };
            let mut part = part;
            let master = match self.master_of(&mut part) {
                Ok(master) => master,
                Err(e) => {
                    if let Some(pass) = &mut self.pass {
                        pass.pending.push_front(part);
                    }
                    self.current = None;
                    self.cluster.retry(&mut self.retries, e).await?;
                    continue;
                }
            };
            // A part whose master changed (a failover) is walked again from
            // its start.
            let cursor = match cursor {
                Some((node, cursor)) if node == master => cursor,
                _ => {
                    self.events += 1;
                    self.walks.insert(master.clone(), (self.events, None));
                    Payload::from_static(b"0")
                }
            };
            self.current = Some((part.clone(), master.clone(), cursor.clone()));
            let mut scan = Pipeline::new();
            let mut words: Vec<&[u8]> = vec![b"SCAN", &cursor];
            words.extend(self.options.iter().map(Vec::as_slice));
            scan.cmd(&words);
            let reply = match Box::pin(self.cluster.send(&master, &scan, false, false)).await {
                Ok(replies) => single(Ok(replies))?,
                Err(e) => {
                    self.cluster.retry(&mut self.retries, e).await?;
                    continue;
                }
            };
            self.retries = 0;
            let (next, keys) = page(&reply)?;
            if next.as_ref() == b"0" {
                self.events += 1;
                if let Some((_, ended)) = self.walks.get_mut(&master) {
                    *ended = Some(self.events);
                }
            }
            self.current = (next.as_ref() != b"0").then_some((part, master, next));
            if !keys.is_empty() {
                return Ok(Some(keys));
            }
        }
    }

    /// The master to walk for `part` now: its own while it serves slots
    /// (whichever moved away; the part then notes one it still serves),
    /// else (a failover) the one serving its slot.
    fn master_of(&self, part: &mut Part) -> Result<Address, Error> {
        let map = self.cluster.map();
        let serves = |slot: u16| map.shard(slot).is_some_and(|s| s.master == part.master);
        if part.slot.is_some_and(serves) {
            return Ok(part.master.clone());
        }
        if let Some(slot) = (0..SLOTS).find(|s| serves(*s)) {
            part.slot = Some(slot);
            return Ok(part.master.clone());
        }
        match part.slot {
            Some(slot) => self.cluster.master_of(slot),
            None => Ok(part.master.clone()),
        }
    }

    fn start(&mut self, began: Arc<SlotMap>, pending: VecDeque<Part>) {
        self.passes += 1;
        self.pass = Some(Pass {
            began,
            pending,
            ended: false,
        });
    }

    /// At the end of a pass: starts the next one over the masters that
    /// may have received keys the walk missed (`true`), or ends the walk
    /// (`false`).
    async fn next_pass(&mut self) -> Result<bool, Error> {
        let Some(pass) = &self.pass else {
            return Ok(false);
        };
        if pass.ended {
            return Ok(false);
        }
        let began = pass.began.clone();
        // Passes after the second wait longer and longer: the nodes' views
        // of a slot just moved settle (one that has not heard yet may be
        // read, then one that has), and a walk fails only after seconds of
        // moves.
        if self.passes > 1 {
            tokio::time::sleep(RETRY_BACKOFF.delay(self.passes - 1)).await;
        }
        // Boxed: its requests would make every batch's future as large.
        let (now, mut moves) = Box::pin(self.moves()).await;
        // Slots that changed masters during the pass moved too.
        for slot in 0..SLOTS {
            if let (Some(was), Some(is)) = (began.shard(slot), now.shard(slot)) {
                let change = (was.master.clone(), is.master.clone());
                if change.0 != change.1 && !moves.contains(&change) {
                    moves.push(change);
                }
            }
        }
        // How late each master may have held keys a walk missed: until its
        // last walk ended, or later for keys it received (fixed point over
        // chains of moves).
        let mut held: HashMap<&Address, u64> = HashMap::new();
        let ended = |node: &Address| self.walks.get(node).and_then(|w| w.1).unwrap_or(u64::MAX);
        for (from, to) in &moves {
            held.entry(from).or_insert_with(|| ended(from));
            held.entry(to).or_insert_with(|| ended(to));
        }
        loop {
            let mut changed = false;
            for (from, to) in &moves {
                let from_held = held[from];
                if from_held > held[to] {
                    held.insert(to, from_held);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut again: Vec<Address> = Vec::new();
        for (from, to) in &moves {
            let began = self.walks.get(to).map_or(0, |w| w.0);
            if held[from] > began && !again.contains(to) {
                again.push(to.clone());
            }
        }
        if let Some(pass) = &mut self.pass {
            pass.ended = again.is_empty();
        }
        if again.is_empty() {
            return Ok(false);
        }
        if self.passes >= MAX_SCAN_PASSES {
            return Err(Error::SlotsKeptMoving {
                passes: self.passes,
            });
        }
        tracing::debug!(
            masters = again.len(),
            "keys moved during a SCAN pass: walking again where they went"
        );
        let parts = parts(&now, again);
        self.start(now, parts);
        Ok(true)
    }

    /// The slot map read again now (the one known, if no node answers),
    /// and the migrations under way: (from, to), as each master of the map
    /// names its own (one that does not answer names none).
    async fn moves(&self) -> (Arc<SlotMap>, Vec<(Address, Address)>) {
        if let Err(e) = self.cluster.refresh().await {
            tracing::debug!(error = %e, "SCAN: the topology could not be read again");
        }
        let map = self.cluster.map();
        let mut nodes = Pipeline::new();
        nodes.cmd(&["CLUSTER", "NODES"]);
        // Each master's own line: its id, and where it migrates slots.
        let mut lines = Vec::new();
        for shard in map.shards() {
            match single(self.cluster.send(&shard.master, &nodes, false, false).await) {
                Ok(reply) => {
                    let text = reply
                        .as_bytes()
                        .map(String::from_utf8_lossy)
                        .unwrap_or_default();
                    if let Some(own) = own_line(&text) {
                        lines.push((shard.master.clone(), own));
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, master = %shard.master, "SCAN: no CLUSTER NODES");
                }
            }
        }
        let mut moves = Vec::new();
        for (from, own) in &lines {
            for (to_id, named) in &own.migrating_to {
                // A master of the map by its own address; else (one serving
                // no slot yet) where the reply says it is.
                let to = lines
                    .iter()
                    .find(|(_, other)| other.id == *to_id)
                    .map(|(address, _)| address.clone())
                    .or_else(|| named.clone());
                if let Some(to) = to {
                    moves.push((from.clone(), to));
                }
            }
        }
        (map, moves)
    }
}

/// The parts of `masters` in `map`: each with a slot it serves there.
fn parts(map: &SlotMap, masters: impl IntoIterator<Item = Address>) -> VecDeque<Part> {
    masters
        .into_iter()
        .map(|master| Part {
            slot: (0..SLOTS).find(|s| map.shard(*s).is_some_and(|sh| sh.master == master)),
            master,
        })
        .collect()
}

/// What a `CLUSTER NODES` reply says of the node that sent it (its
/// `myself` line).
#[derive(Debug, PartialEq, Eq)]
struct OwnLine {
    id: String,
    /// The nodes it migrates slots to (`[slot->-id]`), with the address the
    /// reply gives each, if it has a line.
    migrating_to: Vec<(String, Option<Address>)>,
}

fn own_line(nodes: &str) -> Option<OwnLine> {
    let lines: Vec<Vec<&str>> = nodes
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    let me = lines.iter().find(|words| {
        words
            .get(2)
            .is_some_and(|flags| flags.split(',').any(|f| f == "myself"))
    })?;
    let migrating_to = me
        .iter()
        .filter_map(|word| word.strip_prefix('[')?.strip_suffix(']')?.split_once("->-"))
        .map(|(_, id)| {
            let address = lines
                .iter()
                .find(|words| words.first() == Some(&id))
                .and_then(|line| {
                    // `host:port@cport[,hostname]`
                    let (host, port) = line.get(1)?.split('@').next()?.rsplit_once(':')?;
                    let host = host.trim_start_matches('[').trim_end_matches(']');
                    Some(Address::new(host, port.parse().ok()?))
                });
            (id.to_owned(), address)
        })
        .collect();
    Some(OwnLine {
        id: (*me.first()?).to_owned(),
        migrating_to,
    })
}

/// A `SCAN` reply: the next cursor and the keys.
fn page(reply: &Frame) -> Result<(Payload, Vec<Payload>), Error> {
    let unexpected = || Error::UnexpectedReply {
        command: "SCAN",
        reason: format!("{}, not [cursor, keys]", reply.type_name()),
    };
    let Frame::Array(items) = reply else {
        return Err(unexpected());
    };
    let (Some(Frame::BulkString(cursor)), Some(Frame::Array(keys))) = (items.first(), items.get(1))
    else {
        return Err(unexpected());
    };
    let keys = keys
        .iter()
        .map(|key| match key {
            Frame::BulkString(key) => Ok(key.clone()),
            _ => Err(unexpected()),
        })
        .collect::<Result<_, _>>()?;
    Ok((cursor.clone(), keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masters_own_line_names_it_and_the_nodes_it_migrates_slots_to() {
        let nodes = "\
07c3 127.0.0.1:30004@40004 master - 0 1 4 connected
e7d1 127.0.0.1:30002@40002,node-2 myself,master - 0 0 2 connected 5461-10922 [5500->-07c3] [6000-<-292f] [6001->-292f] [6002->-gone]
292f [::1]:30003@40003 master - 0 1 3 connected 10923-16383 [7000->-07c3]
";
        assert_eq!(
            own_line(nodes),
            Some(OwnLine {
                id: "e7d1".to_owned(),
                migrating_to: vec![
                    ("07c3".to_owned(), Some(Address::new("127.0.0.1", 30004))),
                    ("292f".to_owned(), Some(Address::new("::1", 30003))),
                    ("gone".to_owned(), None),
                ],
            })
        );
        let alone =
            own_line("e7d1 127.0.0.1:30002@40002 myself,master - 0 0 2 connected 0-16383\n");
        assert_eq!(alone.map(|own| own.migrating_to), Some(vec![]));
        assert_eq!(
            own_line("e7d1 127.0.0.1:1@2 master - 0 0 2 connected\n"),
            None
        );
        assert_eq!(own_line(""), None);
    }
}
