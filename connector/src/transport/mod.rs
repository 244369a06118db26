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
    Ok(stream)
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
