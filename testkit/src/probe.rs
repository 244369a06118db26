//! One command on a loopback port, for waiting on what a server reports.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use redwire_resp::{encode_command, Decoder, OwnedFrame};

/// Runs one command on a loopback port, as `user` (name, password) when
/// given, and returns the reply's strings.
pub(crate) fn ask(
    port: u16,
    user: Option<(&str, &str)>,
    command: &[&str],
) -> std::io::Result<Vec<String>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut out = bytes::BytesMut::new();
    if let Some((name, password)) = user {
        encode_command(&mut out, &["AUTH", name, password]);
    }
    encode_command(&mut out, command);
    stream.write_all(&out)?;
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut decoder = Decoder::default();
    let mut replies = usize::from(user.is_some()) + 1;
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
        while let Some((frame, used)) = decoder.decode(&buffer).map_err(std::io::Error::other)? {
            let frame = frame.to_owned_frame();
            buffer.drain(..used);
            replies -= 1;
            if replies == 0 {
                return Ok(strings(&frame));
            }
        }
    }
}

fn strings(frame: &OwnedFrame) -> Vec<String> {
    match frame {
        OwnedFrame::Array(items) => items.iter().flat_map(strings).collect(),
        OwnedFrame::Integer(n) => vec![n.to_string()],
        other => other
            .as_bytes()
            .map(|b| vec![String::from_utf8_lossy(b).into_owned()])
            .unwrap_or_default(),
    }
}
