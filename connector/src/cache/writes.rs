//! What a write drops from a cache: the keys among its arguments (which
//! are keys is not known: each argument is taken for one), everything
//! after `FLUSHALL`, `FLUSHDB` or `SWAPDB`, and after a script sent where
//! the invalidations of the keys it made up do not come before its reply.

use super::{Cache, Tracking};
use crate::command::cacheable::{cache_use, CacheUse};
use crate::command::pipeline::{args_of, Pipeline};

impl Cache {
    /// Drops what the commands of `pipeline` may write, for a pipeline
    /// sent on a connection that does not track keys for this cache (one
    /// the caller holds, a pooled one): call it before sending and once
    /// its replies came (or it failed: it may have run), before they are
    /// handed back. A script empties the cache.
    ///
    /// ```
    /// use redwire::cache::{Cache, CacheConfig};
    /// use redwire::{Frame, Pipeline};
    ///
    /// let cache = Cache::new(CacheConfig::default());
    /// let mut get = Pipeline::new();
    /// get.cmd(&["GET", "a"]);
    /// cache.begin([&b"a"[..]]).complete(b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n", &Frame::Integer(1));
    /// let mut write = Pipeline::new();
    /// write.cmd(&["SET", "a", "2"]);
    /// cache.forget_written(&write);
    /// assert_eq!(cache.stats().entries, 0);
    /// ```
    pub fn forget_written(&self, pipeline: &Pipeline) {
        self.forget_writes(pipeline, false);
    }

    /// Drops what the commands of `pipeline` may write; `on_tracking`: it
    /// goes on a connection that tracks keys for this cache.
    /// An `EXEC` without its `MULTI` before it in `pipeline` (its queued
    /// commands were sent alone, each dropped when queued, before it ran)
    /// empties the cache: what it wrote is not known here.
    pub(crate) fn forget_writes(&self, pipeline: &Pipeline, on_tracking: bool) {
        let mut args = Vec::new();
        let mut opened = false;
        for command in pipeline.commands() {
            args_of(command.encoded, &mut args);
            match args.first() {
                Some(name) if name.eq_ignore_ascii_case(b"MULTI") => opened = true,
                Some(name) if name.eq_ignore_ascii_case(b"EXEC") && !opened => self.flush(),
                _ => self.forget(&args, on_tracking),
            }
        }
    }

    /// Drops what the command `args` may have changed. A script sent on a
    /// tracking connection drops the keys among its arguments: those it
    /// made up are told of before a `PING` after it is answered (see
    /// `shared::cached`), unless that does not hold.
    pub(crate) fn forget(&self, args: &[&[u8]], on_tracking: bool) {
        match cache_use(args) {
            CacheUse::Script if !(on_tracking && self.barrier_works()) => self.flush(),
            CacheUse::Write | CacheUse::Script => {
                self.invalidate(args.iter().skip(1).copied());
            }
            CacheUse::Everything => self.flush(),
            CacheUse::Read(_) | CacheUse::Nothing => {}
        }
    }

    /// Whether a `PING` after a command on a tracking connection is
    /// answered after the invalidations of what it wrote: not in
    /// broadcasting mode, whose invalidations the server sends once per
    /// turn of its event loop, after every command it read in that turn.
    pub(crate) fn barrier_works(&self) -> bool {
        !matches!(self.config.get_tracking(), Tracking::Broadcast(_))
    }
}
