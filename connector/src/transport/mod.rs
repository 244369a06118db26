//! The byte stream under a connection: TCP, a unix socket, or TLS over TCP.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpSocket, TcpStream, UnixStream};

use crate::config::Config;
use crate::error::{Error, Phase, PhaseTracker};

pub(crate) mod tls;

/// An open stream to a server.
#[derive(Debug)]
pub(crate) enum Transport {
    Tcp(TcpStream),
    Unix(UnixStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Transport {
    /// Sets `config`'s dead-peer detection on the socket (see
    /// [`detect_dead_peers`]); none on a unix socket.
    pub(crate) fn detect_dead_peers(&self, config: &Config) {
        match self {
            Self::Tcp(stream) => detect_dead_peers(config, stream),
            Self::Tls(stream) => detect_dead_peers(config, stream.get_ref().0),
            Self::Unix(_) => {}
        }
    }

    /// Whether the peer closed or reset the stream, probed with a
    /// non-blocking `MSG_PEEK` on the socket itself (not tokio's cached
    /// readiness, which only the reactor refreshes): a peek that would
    /// block, or that sees bytes, means it is alive. Nothing is consumed,
    /// so it is safe under TLS too.
    pub(crate) fn closed_by_peer(&self) -> bool {
        let socket = match self {
            Self::Tcp(stream) => socket2::SockRef::from(stream),
            Self::Unix(stream) => socket2::SockRef::from(stream),
            Self::Tls(stream) => socket2::SockRef::from(stream.get_ref().0),
        };
        match socket.peek(&mut [std::mem::MaybeUninit::uninit(); 1]) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != io::ErrorKind::WouldBlock,
        }
    }
}

/// Resolves `host` and connects to the first address that accepts, from
/// the configured local address if any (addresses of the other IP family
/// are skipped), with `TCP_NODELAY`. `phase` follows the steps, for timeouts.
pub(crate) async fn tcp(
    config: &Config,
    host: &str,
    port: u16,
    endpoint: &str,
    phase: &PhaseTracker,
) -> Result<TcpStream, Error> {
    let io = |phase, source| Error::Io {
        phase,
        endpoint: endpoint.to_owned(),
        source,
    };
    phase.set(Phase::Resolve);
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| io(Phase::Resolve, e))?
        .filter(|address| {
            config
                .bind
                .is_none_or(|bind| bind.is_ipv4() == address.is_ipv4())
        })
        .collect();
    phase.set(Phase::Connect);
    let mut last = io::Error::new(
        io::ErrorKind::NotFound,
        "host resolves to no usable address",
    );
    for address in addresses {
        match connect_one(config, address).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(io(Phase::Connect, last))
}

async fn connect_one(config: &Config, address: SocketAddr) -> io::Result<TcpStream> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }?;
    if let Some(bind) = config.bind {
        socket.bind(SocketAddr::new(bind, 0))?;
    }
    let stream = socket.connect(address).await?;
    stream.set_nodelay(true)?;
    detect_dead_peers(config, &stream);
    Ok(stream)
}

/// Sets the configured TCP keepalive (or none) and `TCP_USER_TIMEOUT`
/// (where the OS has it) on `stream`: a peer gone without a FIN or RST
/// ends the connection instead of leaving it waiting. Best effort: a
/// system that refuses an option keeps its own behaviour (logged).
fn detect_dead_peers(config: &Config, stream: &TcpStream) {
    let socket = socket2::SockRef::from(stream);
    let keepalive = match config.keepalive {
        Some(keepalive) => socket.set_tcp_keepalive(
            &socket2::TcpKeepalive::new()
                .with_time(keepalive.idle)
                .with_interval(keepalive.interval)
                .with_retries(keepalive.count),
        ),
        None => socket.set_keepalive(false),
    };
    if let Err(e) = keepalive {
        tracing::debug!(error = %e, "TCP keepalive not set");
    }
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
    if let Err(e) = socket.set_tcp_user_timeout(config.user_timeout) {
        tracing::debug!(error = %e, "TCP_USER_TIMEOUT not set");
    }
}

/// Connects to a unix socket.
pub(crate) async fn unix(path: &std::path::Path, endpoint: &str) -> Result<UnixStream, Error> {
    UnixStream::connect(path).await.map_err(|source| Error::Io {
        phase: Phase::Connect,
        endpoint: endpoint.to_owned(),
        source,
    })
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Self::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Self::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_flush(cx),
            Self::Unix(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Self::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::{Config, Keepalive};

    #[tokio::test]
    async fn connections_probe_their_peer_as_configured() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let keepalive = Keepalive {
            idle: Duration::from_secs(7),
            interval: Duration::from_secs(2),
            count: 4,
        };
        let config = Config::default()
            .keepalive(Some(keepalive))
            .and_then(|c| c.user_timeout(Some(Duration::from_secs(9))))
            .unwrap();
        let stream = super::connect_one(&config, address).await.unwrap();
        let socket = socket2::SockRef::from(&stream);
        assert!(socket.keepalive().unwrap());
        assert_eq!(socket.tcp_keepalive_time().unwrap(), keepalive.idle);
        assert_eq!(socket.tcp_keepalive_interval().unwrap(), keepalive.interval);
        assert_eq!(socket.tcp_keepalive_retries().unwrap(), keepalive.count);
        assert_eq!(
            socket.tcp_user_timeout().unwrap(),
            Some(Duration::from_secs(9))
        );

        let off = Config::default()
            .keepalive(None)
            .and_then(|c| c.user_timeout(None))
            .unwrap();
        let stream = super::connect_one(&off, address).await.unwrap();
        let socket = socket2::SockRef::from(&stream);
        assert!(!socket.keepalive().unwrap());
        assert_eq!(socket.tcp_user_timeout().unwrap(), None);
    }
}
