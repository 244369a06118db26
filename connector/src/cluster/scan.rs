//! Walking every key of a cluster: `SCAN` on each master in turn.

use std::collections::VecDeque;

use bytes::Bytes;
use redwire_resp::{Args, Frame};
use redwire_sentinel::Address;

use super::Cluster;
use crate::command::pipeline::Pipeline;
use crate::connection::single;
use crate::error::Error;

/// A walk over every key of a cluster, made by [`Cluster::scan`]: `SCAN` on
/// each master in turn, as the slot map names them.
///
/// As with `SCAN` itself, every key that exists for the whole walk is
/// returned, some maybe more than once: when the master of a part of the
/// keyspace changes mid-walk (a failover), that part is walked again from
/// its start on its master now; when a master stops answering, the topology
/// is read again and the walk goes on there, within the cluster's retry
/// bounds ([`ClientOptions::max_retries`](crate::ClientOptions)). A walk
/// starts only over a map that serves every slot (else
/// [`Error::SlotUnserved`] once the retries are spent). Slots that move to
/// another master during the walk (resharding) are not followed: their keys
/// may be missed.
#[derive(Debug)]
pub struct ClusterScan {
    cluster: Cluster,
    /// `SCAN`'s words after the cursor.
    options: Vec<Vec<u8>>,
    /// The parts not walked yet, each by the first slot its master serves;
    /// `None` until the walk starts.
    pending: Option<VecDeque<u16>>,
    /// The part being walked: a slot its master serves, that master, and
    /// the cursor there.
    current: Option<(u16, Address, Bytes)>,
    /// Failures in a row.
    retries: u32,
}

impl ClusterScan {
    pub(super) fn new<A: Args + ?Sized>(cluster: Cluster, options: &A) -> Self {
        let mut words = Vec::new();
        options.for_each_arg(&mut |word| words.push(word.to_vec()));
        Self {
            pending: None,
            cluster,
            options: words,
            current: None,
            retries: 0,
        }
    }

    /// The next keys (never none); `None` once every master has been walked.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<Bytes>>, Error> {
        loop {
            let Some(pending) = &mut self.pending else {
                let map = self.cluster.map();
                if let Some(slot) = map.unserved() {
                    self.cluster
                        .retry(&mut self.retries, Error::SlotUnserved { slot })
                        .await?;
                    continue;
                }
                self.pending = Some(map.first_slots().into());
                continue;
            };
            let (slot, cursor) = match &self.current {
                Some((slot, node, cursor)) => (*slot, Some((node.clone(), cursor.clone()))),
                None => match pending.pop_front() {
                    Some(slot) => (slot, None),
                    None => return Ok(None),
                },
            };
            let master = match self.cluster.master_of(slot) {
                Ok(master) => master,
                Err(e) => {
                    pending.push_front(slot);
                    self.current = None;
                    self.cluster.retry(&mut self.retries, e).await?;
                    continue;
                }
            };
            // A part whose master changed is walked again from its start.
            let cursor = match cursor {
                Some((node, cursor)) if node == master => cursor,
                _ => Bytes::from_static(b"0"),
            };
            self.current = Some((slot, master.clone(), cursor.clone()));
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
            self.current = (next.as_ref() != b"0").then_some((slot, master, next));
            if !keys.is_empty() {
                return Ok(Some(keys));
            }
        }
    }
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
