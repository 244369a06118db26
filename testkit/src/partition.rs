//! A server behind a real network partition: it runs in a network
//! namespace of its own, reached over a veth pair whose link can be cut.
//! A cut drops every packet both ways: no FIN, no RST, the kernel of each
//! side retransmitting into nothing, as when a switch or a host dies. The
//! fault proxy cannot do that (its own kernel acknowledges what it is
//! sent).
//!
//! Needs root and `ip` (Debian's `iproute2`, which `scripts/test`
//! installs).

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::fault::Undo;
use crate::server::{Server, ServerOptions, StartError};

/// Tells this process's namespaces and links apart.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A `redis-server` in a network namespace of its own, reached at an
/// address of 198.18.0.0/15 over a veth pair; the server, the link and the
/// namespace go when this is dropped.
///
/// ```no_run
/// use redwire_testkit::Partitioned;
///
/// let partitioned = Partitioned::start().unwrap();
/// println!("redis://{}:{}", partitioned.server.host(), partitioned.server.port());
/// let cut = partitioned.cut(std::time::Duration::from_secs(10)).unwrap();
/// // ... no packet passes here, and nothing says so ...
/// drop(cut); // the link is up again
/// ```
#[derive(Debug)]
pub struct Partitioned {
    /// The server, listening on the namespace's address.
    pub server: Server,
    link: Link,
}

/// The namespace and the link, removed when dropped.
#[derive(Debug)]
struct Link {
    netns: String,
    /// The link's end in this namespace, and in the server's.
    outside: String,
    inside: String,
}

impl Partitioned {
    /// Why a partition cannot be made here, if it cannot: it needs `ip`
    /// and the right to make a network namespace (root, and not a
    /// container that withholds it): a namespace is made and removed to
    /// find out.
    pub fn unavailable() -> Option<String> {
        let probe = format!("redwire-probe-{}", std::process::id());
        match ip(&["netns", "add", &probe]) {
            Ok(()) => ip(&["netns", "del", &probe]).err().map(|e| e.to_string()),
            Err(e) => Some(e.to_string()),
        }
    }

    /// Makes the namespace and the link (a `/30` of 198.18.0.0/15, the
    /// range set aside for tests, chosen by this process, the time and a
    /// count), then starts the server in it.
    pub fn start() -> Result<Self, StartError> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let k = std::process::id()
            .wrapping_mul(31)
            .wrapping_add(n.wrapping_mul(7919))
            .wrapping_add(nanos)
            % (1 << 15);
        let netns = format!("redwire-{k:x}");
        // Made first: what is removed on drop is only what this made.
        ip(&["netns", "add", &netns])?;
        let link = Link {
            netns,
            outside: format!("rwo{k:x}"),
            inside: format!("rwi{k:x}"),
        };
        let address = |last: u32| {
            format!(
                "198.{}.{}.{}",
                18 + (k >> 14),
                (k >> 6) & 255,
                (k & 63) * 4 + last
            )
        };
        let (ours, theirs) = (address(1), address(2));
        let (netns, outside, inside) = (&link.netns, &link.outside, &link.inside);
        ip(&[
            "link", "add", outside, "type", "veth", "peer", "name", inside,
        ])?;
        ip(&["link", "set", inside, "netns", netns])?;
        ip(&["addr", "add", &format!("{ours}/30"), "dev", outside])?;
        ip(&["link", "set", outside, "up"])?;
        let within = ["netns", "exec", netns.as_str(), "ip"];
        ip(&[
            &within[..],
            &["addr", "add", &format!("{theirs}/30"), "dev", inside],
        ]
        .concat())?;
        ip(&[&within[..], &["link", "set", inside, "up"]].concat())?;
        ip(&[&within[..], &["link", "set", "lo", "up"]].concat())?;
        let server = Server::start(ServerOptions::default().in_netns(netns, &theirs))?;
        Ok(Self { server, link })
    }

    /// Cuts the link (its end in the server's namespace goes down: packets
    /// dropped both ways, nothing said) until the returned [`Cut`] is
    /// dropped or `at_most` (capped at [`MAX_FAULT`](crate::MAX_FAULT)) has passed.
    pub fn cut(&self, at_most: Duration) -> std::io::Result<Cut<'_>> {
        let (netns, inside) = (&self.link.netns, &self.link.inside);
        let set = |state: &str| ip(&["netns", "exec", netns, "ip", "link", "set", inside, state]);
        set("down").map_err(std::io::Error::other)?;
        let (netns, inside) = (self.link.netns.clone(), self.link.inside.clone());
        let heal = move || {
            let _ = ip(&["netns", "exec", &netns, "ip", "link", "set", &inside, "up"]);
        };
        Ok(Cut {
            _heal: Undo::after(at_most, heal),
            _partitioned: std::marker::PhantomData,
        })
    }
}

/// A cut link, made whole again when dropped.
#[derive(Debug)]
#[must_use = "the link is whole again as soon as this is dropped"]
pub struct Cut<'a> {
    _heal: Undo,
    _partitioned: std::marker::PhantomData<&'a Partitioned>,
}

impl Drop for Link {
    fn drop(&mut self) {
        // Deleting one end deletes the pair; the namespace goes last.
        let _ = ip(&["link", "del", &self.outside]);
        let _ = ip(&["netns", "del", &self.netns]);
    }
}

/// Runs `ip args…`; its error output when it fails.
fn ip(args: &[&str]) -> Result<(), StartError> {
    let output = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StartError::NotInstalled("ip (iproute2)".to_owned()),
            _ => StartError::Io(e),
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(StartError::Failed(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}
