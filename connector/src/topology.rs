//! A cluster's slot map, read from `CLUSTER SHARDS` or `CLUSTER SLOTS`.

use redwire_sentinel::Address;

use crate::slot::SLOTS;
use crate::Frame;

/// One shard: the master serving its slots and the replicas that are online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) master: Address,
    pub(crate) replicas: Vec<Address>,
}

/// Which shard serves each slot.
#[derive(Debug, Clone)]
pub(crate) struct SlotMap {
    shards: Vec<Shard>,
    /// Per slot, an index into `shards`; [`UNSERVED`] when no shard has it.
    owners: Box<[u16]>,
}

const UNSERVED: u16 = u16::MAX;

impl SlotMap {
    /// A map where no slot is served.
    pub(crate) fn empty() -> Self {
        Self {
            shards: Vec::new(),
            owners: vec![UNSERVED; usize::from(SLOTS)].into_boxed_slice(),
        }
    }

    /// The shard serving `slot`.
    pub(crate) fn shard(&self, slot: u16) -> Option<&Shard> {
        self.shards
            .get(usize::from(*self.owners.get(usize::from(slot))?))
    }

    /// Every shard.
    pub(crate) fn shards(&self) -> &[Shard] {
        &self.shards
    }

    /// How many slots some shard serves.
    pub(crate) fn served(&self) -> usize {
        self.owners.iter().filter(|o| **o != UNSERVED).count()
    }

    /// This map with `slot` moved to the master at `address` (a `MOVED`
    /// reply), which becomes a shard of its own if it was not a master.
    pub(crate) fn with_moved(&self, slot: u16, address: &Address) -> Self {
        let mut map = self.clone();
        let index = map.shard_of(address);
        if let Some(owner) = map.owners.get_mut(usize::from(slot)) {
            *owner = index;
        }
        map
    }

    /// The index of the shard `address` is master of, added if new.
    fn shard_of(&mut self, address: &Address) -> u16 {
        let at = self
            .shards
            .iter()
            .position(|s| s.master == *address)
            .unwrap_or_else(|| {
                self.shards.push(Shard {
                    master: address.clone(),
                    replicas: Vec::new(),
                });
                self.shards.len() - 1
            });
        u16::try_from(at).unwrap_or(UNSERVED)
    }

    fn assign(&mut self, start: i64, end: i64, shard: Shard) -> Result<(), String> {
        let range = u16::try_from(start)
            .ok()
            .zip(u16::try_from(end).ok())
            .filter(|(start, end)| start <= end && *end < SLOTS)
            .ok_or_else(|| format!("slot range {start}-{end} outside 0-16383"))?;
        let index = self.shard_of(&shard.master);
        let known = &mut self.shards[usize::from(index)];
        for replica in shard.replicas {
            if !known.replicas.contains(&replica) {
                known.replicas.push(replica);
            }
        }
        for slot in range.0..=range.1 {
            self.owners[usize::from(slot)] = index;
        }
        Ok(())
    }

    /// Reads a `CLUSTER SHARDS` reply (Redis 7+) from the node at `asked`
    /// (whose host stands for a node whose endpoint is unknown). `tls`
    /// prefers each node's `tls-port`.
    pub(crate) fn from_shards(reply: &Frame, asked: &Address, tls: bool) -> Result<Self, String> {
        let Frame::Array(shards) = reply else {
            return Err(format!("CLUSTER SHARDS returned a {}", reply.type_name()));
        };
        let mut map = Self::empty();
        for shard in shards {
            let shard = fields(shard);
            let slots = match field(&shard, "slots") {
                Some(Frame::Array(slots)) => slots
                    .iter()
                    .map(|s| integer(s).ok_or("a slot that is not a number"))
                    .collect::<Result<Vec<_>, _>>()?,
                _ => return Err("a shard without slots".to_owned()),
            };
            let Some(Frame::Array(nodes)) = field(&shard, "nodes") else {
                return Err("a shard without nodes".to_owned());
            };
            let (mut master, mut replicas) = (None, Vec::new());
            for node in nodes {
                let node = fields(node);
                let text = |name| field(&node, name).and_then(string);
                let port = field(&node, if tls { "tls-port" } else { "port" })
                    .or_else(|| field(&node, "port"))
                    .and_then(integer)
                    .and_then(|p| u16::try_from(p).ok())
                    .ok_or("a node without a port")?;
                let host = [text("endpoint"), text("ip")]
                    .into_iter()
                    .flatten()
                    .find(|h| !h.is_empty() && h != "?")
                    .unwrap_or_else(|| asked.host.clone());
                let address = Address::new(&host, port);
                match text("role").as_deref() {
                    Some("master") => master = Some(address),
                    _ if text("health").as_deref() == Some("online") => replicas.push(address),
                    _ => {}
                }
            }
            // A shard with no slots (a master being added, or a replica left
            // alone) serves nothing yet.
            let Some(master) = master else { continue };
            for pair in slots.chunks_exact(2) {
                map.assign(
                    pair[0],
                    pair[1],
                    Shard {
                        master: master.clone(),
                        replicas: replicas.clone(),
                    },
                )?;
            }
        }
        Ok(map)
    }

    /// Reads a `CLUSTER SLOTS` reply (before Redis 7) from the node at `asked`.
    pub(crate) fn from_slots(reply: &Frame, asked: &Address) -> Result<Self, String> {
        let Frame::Array(ranges) = reply else {
            return Err(format!("CLUSTER SLOTS returned a {}", reply.type_name()));
        };
        let mut map = Self::empty();
        for range in ranges {
            let Frame::Array(items) = range else {
                return Err("a slot range that is not an array".to_owned());
            };
            let (Some(start), Some(end)) = (
                items.first().and_then(integer),
                items.get(1).and_then(integer),
            ) else {
                return Err("a slot range without bounds".to_owned());
            };
            let mut nodes = items.iter().skip(2).filter_map(|node| {
                let Frame::Array(node) = node else {
                    return None;
                };
                let host = node.first().and_then(string)?;
                let port = u16::try_from(node.get(1).and_then(integer)?).ok()?;
                let host = if host.is_empty() || host == "?" {
                    asked.host.clone()
                } else {
                    host
                };
                Some(Address::new(&host, port))
            });
            let master = nodes.next().ok_or("a slot range without a master")?;
            let replicas = nodes.collect();
            map.assign(start, end, Shard { master, replicas })?;
        }
        Ok(map)
    }
}

/// A flat name/value array (RESP2) or a map (RESP3) as pairs.
fn fields(frame: &Frame) -> Vec<(String, &Frame)> {
    match frame {
        Frame::Array(items) => items
            .chunks_exact(2)
            .filter_map(|pair| Some((string(&pair[0])?, &pair[1])))
            .collect(),
        Frame::Map(pairs) => pairs
            .iter()
            .filter_map(|(k, v)| Some((string(k)?, v)))
            .collect(),
        _ => Vec::new(),
    }
}

fn field<'a>(fields: &[(String, &'a Frame)], name: &str) -> Option<&'a Frame> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

fn string(frame: &Frame) -> Option<String> {
    frame
        .as_bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
}

fn integer(frame: &Frame) -> Option<i64> {
    match frame {
        Frame::Integer(n) => Some(*n),
        other => string(other)?.parse().ok(),
    }
}
