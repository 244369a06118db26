//! Walking every key of a cluster: `SCAN` on each master in turn.

use std::collections::{HashMap, VecDeque};

use bytes::Bytes;
use redwire_resp::{Args, Frame};
use redwire_sentinel::Address;

use std::sync::Arc;

use super::topology::SlotMap;
use super::Cluster;
use crate::command::pipeline::Pipeline;
use crate::command::slot::SLOTS;
use crate::connection::single;
use crate::error::Error;

/// How many passes a walk makes at most: the first over every master, then
/// each over the masters that received slots during the pass before.
pub const MAX_SCAN_PASSES: u32 = 16;

/// A walk over every key of a cluster, made by [`Cluster::scan`]: `SCAN` on
/// each master in turn, as the slot map names them.
///
/// As with `SCAN` itself, every key that exists for the whole walk is
/// returned, some maybe more than once, including while slots move between
/// masters (resharding) and masters fail over:
///
/// - When the master of a part of the keyspace changes mid-walk (a
///   failover), that part is walked again from its start on its master now;
///   when a master stops answering, the topology is read again and the walk
///   goes on there, within the cluster's retry bounds
///   ([`ClientOptions::max_retries`](crate::ClientOptions)). A walk starts
///   only over a map that serves every slot (else [`Error::SlotUnserved`]
///   once the retries are spent).
/// - A key that moves (`MIGRATE` writes it where it goes, then deletes it
///   where it was) is missed only if it reached a master after that
///   master's walk began and left the other before that one's walk passed
///   it: it moved while the master it left was still being walked, after
///   the one it reached had started. So after each pass the topology is read
///   again, with each master's migrations under way (its `CLUSTER NODES`
///   names them); a master that received a slot or is receiving one from a
///   master whose last walk ended after its own last walk began is walked
///   again, in a new pass, until a pass after which none is; after
///   [`MAX_SCAN_PASSES`] passes, [`Error::SlotsKeptMoving`].
#[derive(Debug)]
pub struct ClusterScan {
    cluster: Cluster,
    /// `SCAN`'s words after the cursor.
    options: Vec<Vec<u8>>,
    /// The pass under way; `None` until the walk starts.
    pass: Option<Pass>,
    /// The part being walked: that part, its master, and the cursor there.
    current: Option<(Part, Address, Bytes)>,
    /// Failures in a row.
    retries: u32,
    /// Passes started.
    passes: u32,
    /// Each master's last walk: when it began and ended (`None`: under
    /// way), counted in walk events.
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

/// A part of the keyspace to walk.
#[derive(Debug, Clone)]
enum Part {
    /// The keys of the master serving this slot now (followed through a
    /// failover).
    Slot(u16),
    /// The keys of this master, which serves no slot (it is importing its
    /// first).
    Node(Address),
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
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Bytes>>, Error> {
        loop {
            let Some(pass) = &mut self.pass else {
                let map = self.cluster.map();
                if let Some(slot) = map.unserved() {
                    self.cluster
                        .retry(&mut self.retries, Error::SlotUnserved { slot })
                        .await?;
                    continue;
                }
                let pending = map.first_slots().into_iter().map(Part::Slot).collect();
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
            let master = match &part {
                Part::Slot(slot) => self.cluster.master_of(*slot),
                Part::Node(node) => Ok(node.clone()),
            };
            let master = match master {
                Ok(master) => master,
                Err(e) => {
                    pass.pending.push_front(part);
                    self.current = None;
                    self.cluster.retry(&mut self.retries, e).await?;
                    continue;
                }
            };
            // A part whose master changed is walked again from its start.
            let cursor = match cursor {
                Some((node, cursor)) if node == master => cursor,
                _ => {
                    self.events += 1;
                    self.walks.insert(master.clone(), (self.events, None));
                    Bytes::from_static(b"0")
                }
            };
            self.current = Some((part.clone(), master.clone(), cursor.clone()));
            let mut scan = Pipeline::new();
            let mut words: Vec<&[u8]> = vec![b"SCAN", &cursor];
            words.extend(self.options.iter().map(Vec::as_slice));
            scan.cmd(&words);
            let reply = match self.cluster.send(&master, &scan, false, false).await {
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
        let Some(pass) = &mut self.pass else {
            return Ok(false);
        };
        if pass.ended {
            return Ok(false);
        }
        // Ended unless another pass starts.
        pass.ended = true;
        let began = pass.began.clone();
        let (now, mut moves) = loop {
            match self.moves().await {
                Ok(read) => break read,
                Err(e) => self.cluster.retry(&mut self.retries, e).await?,
            }
        };
        self.retries = 0;
        // Slots that changed masters during the pass moved too.
        for slot in 0..SLOTS {
            if let (Some(was), Some(is)) = (began.shard(slot), now.shard(slot)) {
                if was.master != is.master
                    && !moves.contains(&(was.master.clone(), is.master.clone()))
                {
                    moves.push((was.master.clone(), is.master.clone()));
                }
            }
        }
        let mut again: Vec<Address> = Vec::new();
        for (from, to) in moves {
            // Unknown walks count as overlapping.
            let overlapped = match (self.walks.get(&from), self.walks.get(&to)) {
                (Some((_, Some(from_ended))), Some((to_began, _))) => from_ended > to_began,
                _ => true,
            };
            if overlapped && !again.contains(&to) {
                again.push(to);
            }
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
        let parts = again
            .into_iter()
            .map(|node| {
                match (0..SLOTS).find(|s| now.shard(*s).is_some_and(|sh| sh.master == node)) {
                    Some(slot) => Part::Slot(slot),
                    None => Part::Node(node),
                }
            })
            .collect();
        self.start(now, parts);
        Ok(true)
    }

    /// The slot map read now, and the migrations under way: (from, to) as
    /// each master of the map names them.
    async fn moves(&self) -> Result<(Arc<SlotMap>, Vec<(Address, Address)>), Error> {
        self.cluster.refresh().await?;
        let map = self.cluster.map();
        let mut nodes = Pipeline::new();
        nodes.cmd(&["CLUSTER", "NODES"]);
        let mut moves = Vec::new();
        for shard in map.shards() {
            let reply = single(self.cluster.send(&shard.master, &nodes, false, false).await)?;
            let text = reply
                .as_bytes()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            for to in migrating_to(&text) {
                moves.push((shard.master.clone(), to));
            }
        }
        Ok((map, moves))
    }
}

/// The nodes a `CLUSTER NODES` reply's own line (`myself`) says it is
/// migrating slots to (`[slot->-id]`), by their addresses in that reply.
fn migrating_to(nodes: &str) -> Vec<Address> {
    let lines: Vec<Vec<&str>> = nodes
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    let Some(me) = lines.iter().find(|words| {
        words
            .get(2)
            .is_some_and(|flags| flags.split(',').any(|f| f == "myself"))
    }) else {
        return Vec::new();
    };
    me.iter()
        .filter_map(|word| word.strip_prefix('[')?.strip_suffix(']')?.split_once("->-"))
        .filter_map(|(_, id)| {
            let line = lines.iter().find(|words| words.first() == Some(&id))?;
            // `host:port@cport[,hostname]`
            let (host, port) = line.get(1)?.split('@').next()?.rsplit_once(':')?;
            Some(Address::new(
                host.trim_start_matches('[').trim_end_matches(']'),
                port.parse().ok()?,
            ))
        })
        .collect()
}

/// A `SCAN` reply: the next cursor and the keys.
fn page(reply: &Frame) -> Result<(Bytes, Vec<Bytes>), Error> {
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
    fn a_masters_own_line_names_the_nodes_it_migrates_slots_to() {
        let nodes = "\
07c3 127.0.0.1:30004@40004 master - 0 1 4 connected
e7d1 127.0.0.1:30002@40002,node-2 myself,master - 0 0 2 connected 5461-10922 [5500->-07c3] [6000-<-292f] [6001->-292f]
292f [::1]:30003@40003 master - 0 1 3 connected 10923-16383 [7000->-07c3]
";
        assert_eq!(
            migrating_to(nodes),
            vec![Address::new("127.0.0.1", 30004), Address::new("::1", 30003)]
        );
        assert_eq!(
            migrating_to("e7d1 127.0.0.1:30002@40002 master - 0 0 2 connected 0-16383\n"),
            vec![]
        );
        assert_eq!(
            migrating_to("e7d1 127.0.0.1:1@2 myself,master - 0 0 2 connected [5->-unknown]\n"),
            vec![]
        );
    }
}
