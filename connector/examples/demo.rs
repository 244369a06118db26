//! The README's main job: connects through a DSN and runs commands and a
//! pipeline. With no URL (argument or `REDIS_URL`) it starts a throwaway
//! `redis-server` through the testkit and stops it at the end.
//!
//! Until the redwire connection lands this drives a plain socket with the
//! pieces that exist: `redwire::Config` for the DSN and `redwire-resp` for
//! the wire.
#![allow(clippy::print_stdout)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use bytes::BytesMut;
use redwire::{Config, Endpoint};
use redwire_resp::{encode_command, Decoder, Frame};
use redwire_testkit::{Server, ServerOptions};

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("REDIS_URL").ok());
    let (_server, url) = if let Some(url) = url {
        (None, url)
    } else {
        let server = Server::start(ServerOptions::default())?;
        let url = format!("redis://{}:{}/0", server.host(), server.port());
        println!(
            "started a throwaway redis-server (pid {}) at {url}",
            server.pid()
        );
        (Some(server), url)
    };
    let config: Config = url.parse()?;
    println!("config: {config}");
    if config.get_tls().is_some() {
        return Err(
            "this demo speaks plaintext only; TLS comes with the redwire connection".into(),
        );
    }
    let (connect_timeout, _, read_timeout) = config.timeouts();
    let mut stream: Box<dyn Stream> = match config.endpoint() {
        Endpoint::Tcp { host, port } => {
            let address = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), *port))?
                .next()
                .ok_or("host resolves to no address")?;
            let stream = TcpStream::connect_timeout(
                &address,
                connect_timeout.unwrap_or(Duration::from_secs(5)),
            )?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(read_timeout.unwrap_or(Duration::from_secs(5))))?;
            Box::new(stream)
        }
        Endpoint::Unix(path) => Box::new(UnixStream::connect(path)?),
        _ => return Err("this demo connects to TCP and unix endpoints only".into()),
    };
    let mut session = Session {
        stream: &mut *stream,
        decoder: Decoder::default(),
        read: BytesMut::with_capacity(4096),
    };

    let mut handshake: Vec<Vec<String>> = Vec::new();
    if let Some(password) = config.get_password() {
        let mut auth = vec!["AUTH".to_owned()];
        auth.extend(config.get_username().map(str::to_owned));
        auth.push(password.expose().to_owned());
        handshake.push(auth);
    }
    if config.get_db() != 0 {
        handshake.push(vec!["SELECT".to_owned(), config.get_db().to_string()]);
    }
    for reply in session.exchange(&handshake)? {
        if reply.is_error() {
            return Err(format!("handshake refused: {}", show(&reply)).into());
        }
    }

    for command in [
        vec!["SET", "demo:greeting", "hello from redwire"],
        vec!["GET", "demo:greeting"],
        vec!["INCR", "demo:counter"],
        vec!["GET", "demo:missing"],
    ] {
        let reply = session.exchange(std::slice::from_ref(&command))?.remove(0);
        println!("{:<40} -> {}", command.join(" "), show(&reply));
    }

    let pipeline = vec![
        vec!["SET", "demo:a", "1"],
        vec!["SET", "demo:b", "2"],
        vec!["MGET", "demo:a", "demo:b", "demo:missing"],
        vec!["LPUSH", "demo:a", "x"],
        vec!["DEL", "demo:a", "demo:b", "demo:greeting", "demo:counter"],
    ];
    println!("pipeline of {} commands, one write:", pipeline.len());
    for (command, reply) in pipeline.iter().zip(session.exchange(&pipeline)?) {
        println!("  {:<38} -> {}", command.join(" "), show(&reply));
    }
    Ok(())
}

/// One socket, its decoder and read buffer.
struct Session<'s> {
    stream: &'s mut dyn Stream,
    decoder: Decoder,
    read: BytesMut,
}

impl Session<'_> {
    /// Writes every command in one write and reads one reply per command.
    fn exchange<S: AsRef<str>>(
        &mut self,
        commands: &[Vec<S>],
    ) -> Result<Vec<Frame>, Box<dyn std::error::Error>> {
        let mut out = BytesMut::new();
        for command in commands {
            let args: Vec<&str> = command.iter().map(AsRef::as_ref).collect();
            encode_command(&mut out, &args);
        }
        self.stream.write_all(&out)?;
        let mut replies = Vec::with_capacity(commands.len());
        let mut chunk = [0u8; 4096];
        while replies.len() < commands.len() {
            if let Some(frame) = self.decoder.decode_bytes(&mut self.read)? {
                replies.push(frame);
                continue;
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err("server closed the connection".into());
            }
            self.read.extend_from_slice(&chunk[..n]);
        }
        Ok(replies)
    }
}

fn show(frame: &Frame) -> String {
    match frame {
        Frame::Integer(n) => format!("(integer) {n}"),
        Frame::Array(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        f if f.is_null() => "(nil)".to_owned(),
        f if f.is_error() => format!(
            "(error) {}",
            String::from_utf8_lossy(f.as_bytes().unwrap_or_default())
        ),
        f => match f.as_bytes() {
            Some(bytes) => format!("{:?}", String::from_utf8_lossy(bytes)),
            None => format!("{f:?}"),
        },
    }
}
