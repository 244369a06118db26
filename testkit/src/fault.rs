//! A TCP proxy that puts faults between a client and a real server (or
//! sentinel, or cluster node), for what a real server never does on its
//! own: added latency, a stall (the sockets kept open, nothing forwarded:
//! a silent peer), connections reset (RST), a reply cut mid-frame,
//! throttled bandwidth, and new connections blackholed.
//!
//! Every fault ends by itself: each is set for a duration (at most
//! [`MAX_FAULT`]), and dropping the proxy closes every socket and thread it
//! opened. It stops nothing it did not start.
//!
//! ```no_run
//! use std::time::Duration;
//! use redwire_testkit::{FaultProxy, Server, ServerOptions};
//!
//! let server = Server::start(ServerOptions::default())?;
//! let proxy = FaultProxy::start(("127.0.0.1", server.port()))?;
//! // Clients connect to 127.0.0.1:{proxy.port()}; then, for 2 s, the
//! // server seems to stop answering (its socket stays open).
//! proxy.stall(Duration::from_secs(2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest a fault may be set for.
pub const MAX_FAULT: Duration = Duration::from_secs(600);

/// Undoes a fault when dropped, or by itself once its bound has passed
/// (whichever comes first): a fault never outlives its test.
#[derive(Debug)]
pub(crate) struct Undo {
    done: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Undo {
    /// Runs `undo` when dropped or after `at_most` (capped at
    /// [`MAX_FAULT`]).
    pub(crate) fn after(at_most: Duration, undo: impl FnOnce() + Send + 'static) -> Self {
        let (done, dropped) = mpsc::channel::<()>();
        let at_most = at_most.min(MAX_FAULT);
        let thread = std::thread::spawn(move || {
            // A message or a hang-up: now; else at the bound.
            let _ = dropped.recv_timeout(at_most);
            undo();
        });
        Self {
            done: Some(done),
            thread: Some(thread),
        }
    }
}

impl Drop for Undo {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How long connecting upstream may take.
const UPSTREAM_CONNECT: Duration = Duration::from_secs(5);

/// How often a blocked proxy thread looks whether it should stop.
const POLL: Duration = Duration::from_millis(20);

/// Chunks read but not forwarded yet, per direction of a connection: past
/// that the reader waits (and the kernel's buffers fill, as with a peer
/// that does not read).
const QUEUED_CHUNKS: usize = 256;

/// A proxy on a free loopback port, forwarding each connection to the
/// upstream address, with faults set on command. See the module docs.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

/// What the proxy's threads share.
struct Shared {
    upstream: SocketAddr,
    faults: Mutex<Faults>,
    /// Signalled when the faults change (a stall may end).
    changed: Condvar,
    stop: AtomicBool,
    /// Open connections.
    links: Mutex<Vec<Arc<Link>>>,
    /// Connections accepted so far.
    accepted: AtomicU64,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// The faults set now, each with when it ends.
#[derive(Default)]
struct Faults {
    /// Added to each chunk, each way.
    latency: Option<(Duration, Instant)>,
    /// Nothing is forwarded until then.
    stall: Option<Instant>,
    /// Bytes per second, each way.
    throttle: Option<(u64, Instant)>,
    /// New connections are held silent until then.
    blackhole: Option<Instant>,
    /// The next chunk from the server: this many bytes forwarded, then its
    /// connection reset.
    cut: Option<usize>,
}

impl Faults {
    fn latency(&self, now: Instant) -> Duration {
        self.latency
            .filter(|(_, until)| now < *until)
            .map_or(Duration::ZERO, |(delay, _)| delay)
    }

    fn stalled_until(&self, now: Instant) -> Option<Instant> {
        self.stall.filter(|until| now < *until)
    }

    fn throttle(&self, now: Instant) -> Option<u64> {
        self.throttle
            .filter(|(_, until)| now < *until)
            .map(|(rate, _)| rate)
    }

    fn blackholed_until(&self, now: Instant) -> Option<Instant> {
        self.blackhole.filter(|until| now < *until)
    }
}

/// One connection through the proxy: the client's socket and the
/// server's, closed once the four threads pumping them are done.
struct Link {
    client: TcpStream,
    server: TcpStream,
    /// Directions done forwarding (at 2 it leaves the open links).
    ended: std::sync::atomic::AtomicU8,
}

impl Link {
    /// Resets both sockets: no more bytes either way, and an RST to each
    /// peer once the threads let go.
    fn reset(&self) {
        for stream in [&self.client, &self.server] {
            let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
            // Wakes its reader without sending anything.
            let _ = stream.shutdown(Shutdown::Read);
        }
    }

    fn is_reset(&self) -> bool {
        socket2::SockRef::from(&self.client)
            .linger()
            .is_ok_and(|linger| linger == Some(Duration::ZERO))
    }
}

/// Which way a chunk goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    ToServer,
    ToClient,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` on a free loopback port.
    pub fn start(upstream: impl ToSocketAddrs) -> io::Result<Self> {
        let upstream = upstream
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no upstream address"))?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            upstream,
            faults: Mutex::default(),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
            links: Mutex::default(),
            accepted: AtomicU64::new(0),
            threads: Mutex::default(),
        });
        let accept = {
            let shared = shared.clone();
            std::thread::spawn(move || accept_loop(&listener, &shared))
        };
        Ok(Self {
            port,
            shared,
            accept: Some(accept),
        })
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Adds `delay` (at most [`MAX_FAULT`]) to every chunk, each way, for
    /// `duration`.
    pub fn latency(&self, delay: Duration, duration: Duration) {
        let delay = delay.min(MAX_FAULT);
        self.set(|f, until| f.latency = Some((delay, until)), duration);
    }

    /// Forwards nothing, either way, for `duration`; the sockets stay open
    /// (a peer gone silent: no FIN, no RST). What was held is forwarded
    /// after.
    pub fn stall(&self, duration: Duration) {
        self.set(|f, until| f.stall = Some(until), duration);
    }

    /// Forwards at most `bytes_per_second`, each way, for `duration`.
    pub fn throttle(&self, bytes_per_second: u64, duration: Duration) {
        let rate = bytes_per_second.max(1);
        self.set(|f, until| f.throttle = Some((rate, until)), duration);
    }

    /// Holds the connections accepted for `duration` silent (never
    /// forwarded), then closes them.
    pub fn blackhole(&self, duration: Duration) {
        self.set(|f, until| f.blackhole = Some(until), duration);
    }

    /// Forwards only the first `bytes` of the next chunk a server sends
    /// (on whichever connection sends first), then resets that connection
    /// (a reply cut mid-frame); armed until then or [`clear`](Self::clear).
    pub fn cut_next_reply(&self, bytes: usize) {
        self.shared.faults().cut = Some(bytes);
        self.shared.changed.notify_all();
    }

    /// Resets every open connection now (RST to both sides).
    pub fn reset_all(&self) {
        for link in self.shared.links().iter() {
            link.reset();
        }
    }

    /// Ends every fault now.
    pub fn clear(&self) {
        *self.shared.faults() = Faults::default();
        self.shared.changed.notify_all();
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        self.shared.links().len()
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(Ordering::Relaxed)
    }

    fn set(&self, fault: impl FnOnce(&mut Faults, Instant), duration: Duration) {
        let until = Instant::now() + duration.min(MAX_FAULT);
        fault(&mut self.shared.faults(), until);
        self.shared.changed.notify_all();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.changed.notify_all();
        for link in self.shared.links().iter() {
            let _ = link.client.shutdown(Shutdown::Both);
            let _ = link.server.shutdown(Shutdown::Both);
        }
        // Wakes the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        // Until none is left: a connection being served may start more.
        loop {
            let threads = std::mem::take(&mut *self.shared.threads());
            if threads.is_empty() {
                break;
            }
            for thread in threads {
                let _ = thread.join();
            }
        }
    }
}

impl Shared {
    fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn links(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Link>>> {
        self.links.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn threads(&self) -> std::sync::MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.threads.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn spawn(self: &Arc<Self>, work: impl FnOnce(&Arc<Self>) + Send + 'static) {
        let shared = self.clone();
        let thread = std::thread::spawn(move || work(&shared));
        let mut threads = self.threads();
        threads.retain(|t| !t.is_finished());
        threads.push(thread);
    }

    /// Waits while a stall is set (or `until` for a blackhole); `false`
    /// when the proxy stops meanwhile.
    fn wait_while(&self, held: impl Fn(&Faults, Instant) -> Option<Instant>) -> bool {
        let mut faults = self.faults();
        loop {
            if self.stopping() {
                return false;
            }
            let now = Instant::now();
            let Some(until) = held(&faults, now) else {
                return true;
            };
            let wait = until.saturating_duration_since(now).min(POLL);
            faults = self
                .changed
                .wait_timeout(faults, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stopping() {
            return;
        }
        let Ok(client) = client else { continue };
        shared.accepted.fetch_add(1, Ordering::Relaxed);
        shared.spawn(move |shared| serve(client, shared));
    }
}

/// One connection: held silent while new connections are blackholed, else
/// connected upstream and pumped both ways.
fn serve(client: TcpStream, shared: &Arc<Shared>) {
    let blackholed = shared.faults().blackholed_until(Instant::now()).is_some();
    if blackholed {
        shared.wait_while(Faults::blackholed_until);
        return;
    }
    let Ok(server) = TcpStream::connect_timeout(&shared.upstream, UPSTREAM_CONNECT) else {
        let _ = socket2::SockRef::from(&client).set_linger(Some(Duration::ZERO));
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let _ = client.set_read_timeout(Some(POLL));
    let _ = server.set_read_timeout(Some(POLL));
    let link = Arc::new(Link {
        client,
        server,
        ended: std::sync::atomic::AtomicU8::new(0),
    });
    shared.links().push(link.clone());
    for way in [Way::ToServer, Way::ToClient] {
        let (chunks, queued) = mpsc::sync_channel(QUEUED_CHUNKS);
        let reader = link.clone();
        shared.spawn(move |shared| read_side(&reader, way, &chunks, shared));
        let writer = link.clone();
        shared.spawn(move |shared| {
            write_side(&writer, way, &queued, shared);
            if writer.ended.fetch_add(1, Ordering::AcqRel) == 1 {
                shared.links().retain(|l| !Arc::ptr_eq(l, &writer));
            }
        });
    }
}

impl Way {
    /// The sockets a chunk going this way is read from and written to.
    fn ends(self, link: &Link) -> (&TcpStream, &TcpStream) {
        match self {
            Self::ToServer => (&link.client, &link.server),
            Self::ToClient => (&link.server, &link.client),
        }
    }
}

/// Reads chunks, stamped with when they came, for the writer.
fn read_side(link: &Link, way: Way, chunks: &SyncSender<(Instant, Vec<u8>)>, shared: &Shared) {
    let (mut from, _) = way.ends(link);
    let mut buffer = vec![0u8; 16 * 1024];
    while !shared.stopping() {
        match from.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                if chunks.send((Instant::now(), buffer[..n].to_vec())).is_err() {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    // The writer forwards what is queued, then closes its side.
}

/// Forwards chunks with the faults set when each is due; then closes its
/// side (unless the link was reset: then no FIN goes before the RST).
fn write_side(link: &Link, way: Way, queued: &Receiver<(Instant, Vec<u8>)>, shared: &Shared) {
    let (_, mut to) = way.ends(link);
    loop {
        let (read_at, chunk) = match queued.recv_timeout(POLL) {
            Ok(chunk) => chunk,
            Err(mpsc::RecvTimeoutError::Timeout) if !shared.stopping() => continue,
            Err(_) => break,
        };
        if !shared.wait_while(Faults::stalled_until) || link.is_reset() {
            return;
        }
        let due = read_at + shared.faults().latency(Instant::now());
        if !shared.wait_while(|faults, now| {
            (now < due && faults.latency(now) > Duration::ZERO).then_some(due)
        }) {
            return;
        }
        let cut = match way {
            Way::ToClient => shared.faults().cut.take(),
            Way::ToServer => None,
        };
        if let Some(bytes) = cut {
            let _ = to.write_all(&chunk[..bytes.min(chunk.len())]);
            let _ = to.flush();
            link.reset();
            return;
        }
        if link.is_reset() || write_throttled(to, &chunk, shared).is_err() {
            break;
        }
    }
    if !link.is_reset() {
        let _ = to.shutdown(Shutdown::Write);
    }
}

/// Writes `chunk`, in slices paced by the throttle when one is set.
fn write_throttled(mut to: &TcpStream, chunk: &[u8], shared: &Shared) -> io::Result<()> {
    let mut rest = chunk;
    while !rest.is_empty() {
        if shared.stopping() {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let Some(rate) = shared.faults().throttle(Instant::now()) else {
            return to.write_all(rest);
        };
        // A slice per 10 ms.
        let slice = usize::try_from(rate / 100).unwrap_or(usize::MAX).max(1);
        let (now, later) = rest.split_at(slice.min(rest.len()));
        to.write_all(now)?;
        rest = later;
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}
