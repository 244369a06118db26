//! A cluster's slot map, read from `CLUSTER SHARDS` or `CLUSTER SLOTS`.

use redwire_resp::Frame;
use redwire_sentinel::Address;

use crate::command::slot::SLOTS;

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

    /// The first slot no shard serves, if any.
    pub(crate) fn unserved(&self) -> Option<u16> {
        (0..SLOTS)
            .zip(self.owners.iter())
            .find(|(_, owner)| **owner == UNSERVED)
            .map(|(slot, _)| slot)
    }

    /// How many slots some shard serves.
    pub(crate) fn served(&self) -> usize {
        self.owners.iter().filter(|o| **o != UNSERVED).count()
    }

    /// This map with `slot` moved to the master at `address` (a `MOVED`
    /// reply), which becomes a shard of its own if it was not a master; a
    /// shard left with no slot is dropped.
    pub(crate) fn with_moved(&self, slot: u16, address: &Address) -> Self {
        let mut map = self.clone();
        let index = map.shard_of(address);
        let Some(owner) = map.owners.get_mut(usize::from(slot)) else {
            return map;
        };
        let old = std::mem::replace(owner, index);
        if old != UNSERVED && old != index && !map.owners.contains(&old) {
            map.shards.remove(usize::from(old));
            for owner in map
                .owners
                .iter_mut()
                .filter(|o| **o != UNSERVED && **o > old)
            {
                *owner -= 1;
            }
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
            // The online master, else a failed one (until it is replaced).
            let (mut master, mut failed_master, mut replicas) = (None, None, Vec::new());
            for node in nodes {
                let node = fields(node);
                let text = |name| field(&node, name).and_then(string);
                let port = field(&node, if tls { "tls-port" } else { "port" })
                    .or_else(|| field(&node, "port"))
                    .and_then(integer)
                    .and_then(|p| u16::try_from(p).ok())
                    .ok_or("a node without a port")?;
                let host = match field(&node, "endpoint") {
                    // Unknown to the node: not reachable through it.
                    Some(endpoint) if endpoint.as_bytes() == Some(b"?") => continue,
                    // Null or empty: the host the reply came from.
                    Some(endpoint) => string(endpoint)
                        .filter(|h| !h.is_empty())
                        .unwrap_or_else(|| asked.host.clone()),
                    None => text("ip")
                        .filter(|h| !h.is_empty())
                        .unwrap_or_else(|| asked.host.clone()),
                };
                let address = Address::new(&host, port);
                let online = text("health").as_deref() == Some("online");
                match (text("role").as_deref(), online) {
                    (Some("master"), true) => master = Some(address),
                    (Some("master"), false) => failed_master = Some(address),
                    (_, true) => replicas.push(address),
                    (_, false) => {}
                }
            }
            let master = master.or(failed_master);
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
            // Each node: [host, port, …]; a null or empty host is the host
            // the reply came from, `?` a node that cannot be reached.
            let mut nodes = items.iter().skip(2).map(|node| {
                let Frame::Array(node) = node else {
                    return None;
                };
                let host = node.first()?;
                if host.as_bytes() == Some(b"?") {
                    return None;
                }
                let host = string(host)
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| asked.host.clone());
                let port = u16::try_from(node.get(1).and_then(integer)?).ok()?;
                Some(Address::new(&host, port))
            });
            // A master that cannot be reached: its slots stay unserved.
            let Some(master) = nodes.next().flatten() else {
                continue;
            };
            let replicas = nodes.flatten().collect();
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

#[cfg(test)]
mod tests {
    use redwire_sentinel::Address;

    use super::SlotMap;
    use crate::Frame;

    fn bulk(text: &str) -> Frame {
        Frame::BulkString(crate::Payload::copy_from_slice(text.as_bytes()))
    }

    /// One `CLUSTER SHARDS` node: its endpoint (`None`: null), port, role
    /// and health.
    fn node(endpoint: Option<&str>, port: i64, role: &str, health: &str) -> Frame {
        Frame::Array(vec![
            bulk("port"),
            Frame::Integer(port),
            bulk("ip"),
            bulk("10.9.9.9"),
            bulk("endpoint"),
            endpoint.map_or(Frame::Null, bulk),
            bulk("role"),
            bulk(role),
            bulk("health"),
            bulk(health),
        ])
    }

    fn shard(slots: &[i64], nodes: Vec<Frame>) -> Frame {
        Frame::Array(vec![
            bulk("slots"),
            Frame::Array(slots.iter().map(|s| Frame::Integer(*s)).collect()),
            bulk("nodes"),
            Frame::Array(nodes),
        ])
    }

    #[test]
    fn shards_prefer_the_online_master_and_skip_unknown_endpoints() {
        let asked = Address::new("seed", 7000);
        let reply = Frame::Array(vec![
            shard(
                &[0, 100, 200, 16383],
                vec![
                    node(Some("a"), 1, "master", "online"),
                    node(Some("?"), 2, "replica", "online"),
                    node(None, 3, "replica", "online"),
                    node(Some("b"), 4, "replica", "loading"),
                    // The failed old master, listed after the new one.
                    node(Some("old"), 5, "master", "fail"),
                ],
            ),
            shard(&[101, 199], vec![node(Some(""), 6, "master", "online")]),
        ]);
        let map = SlotMap::from_shards(&reply, &asked, false).unwrap();
        assert_eq!(map.served(), 16384);
        let first = map.shard(0).unwrap();
        assert_eq!(first.master, Address::new("a", 1));
        // `?` skipped, null = the asked host, loading not listed.
        assert_eq!(first.replicas, vec![Address::new("seed", 3)]);
        assert_eq!(map.shard(150).unwrap().master, Address::new("seed", 6));
        assert_eq!(map.shard(16383).unwrap().master, Address::new("a", 1));
    }

    #[test]
    fn slots_read_hosts_as_the_specification_says() {
        let asked = Address::new("seed", 7000);
        let range = |start, end, nodes: Vec<Frame>| {
            let mut items = vec![Frame::Integer(start), Frame::Integer(end)];
            items.extend(nodes);
            Frame::Array(items)
        };
        let at = |host: Frame, port| Frame::Array(vec![host, Frame::Integer(port), bulk("id")]);
        let reply = Frame::Array(vec![
            range(
                0,
                8191,
                vec![at(bulk(""), 1), at(bulk("?"), 2), at(bulk("r"), 3)],
            ),
            range(8192, 16383, vec![at(bulk("?"), 4)]),
        ]);
        let map = SlotMap::from_slots(&reply, &asked).unwrap();
        assert_eq!(map.served(), 8192);
        assert!(map.shard(8192).is_none());
        let reply = Frame::Array(vec![range(
            0,
            16383,
            vec![at(bulk(""), 1), at(bulk("?"), 2), at(bulk("r"), 3)],
        )]);
        let map = SlotMap::from_slots(&reply, &asked).unwrap();
        let shard = map.shard(9).unwrap();
        assert_eq!(shard.master, Address::new("seed", 1));
        assert_eq!(shard.replicas, vec![Address::new("r", 3)]);
    }

    #[test]
    fn a_moved_slot_changes_only_that_slot_and_empty_shards_go() {
        let asked = Address::new("seed", 7000);
        let reply = Frame::Array(vec![
            shard(&[0, 0], vec![node(Some("a"), 1, "master", "online")]),
            shard(&[1, 16383], vec![node(Some("b"), 2, "master", "online")]),
        ]);
        let map = SlotMap::from_shards(&reply, &asked, false).unwrap();
        let moved = map.with_moved(5, &Address::new("c", 3));
        assert_eq!(moved.shard(5).unwrap().master, Address::new("c", 3));
        assert_eq!(moved.shard(6).unwrap().master, Address::new("b", 2));
        assert_eq!(moved.shards().len(), 3);
        // Slot 0 was all `a` served: `a` is no master any more.
        let moved = moved.with_moved(0, &Address::new("b", 2));
        assert_eq!(moved.shards().len(), 2);
        assert_eq!(moved.shard(0).unwrap().master, Address::new("b", 2));
        assert_eq!(moved.shard(5).unwrap().master, Address::new("c", 3));
        assert_eq!(moved.served(), 16384);
    }
}
