#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! The fault proxy between a raw TCP client and a real server: each fault
//! does what it says, ends by itself, and leaves nothing open.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use redwire_testkit::{FaultProxy, Server, ServerOptions};

fn through(proxy: &FaultProxy) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", proxy.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

/// Sends an inline command and reads until `expected` bytes came (or the
/// stream ends or fails).
fn ask(stream: &mut TcpStream, command: &str, expected: usize) -> std::io::Result<Vec<u8>> {
    stream.write_all(format!("{command}\r\n").as_bytes())?;
    let mut reply = Vec::new();
    let mut buffer = [0u8; 4096];
    while reply.len() < expected {
        let n = stream.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buffer[..n]);
    }
    Ok(reply)
}

fn setup() -> (Server, FaultProxy) {
    let server = Server::start(ServerOptions::default()).unwrap();
    let proxy = FaultProxy::start(("127.0.0.1", server.port())).unwrap();
    (server, proxy)
}

#[test]
fn it_forwards_and_adds_latency_each_way() {
    let (_server, proxy) = setup();
    let mut client = through(&proxy);
    assert_eq!(ask(&mut client, "PING", 7).unwrap(), b"+PONG\r\n");
    proxy.latency(Duration::from_millis(100), Duration::from_secs(5));
    let started = Instant::now();
    assert_eq!(ask(&mut client, "PING", 7).unwrap(), b"+PONG\r\n");
    assert!(
        started.elapsed() >= Duration::from_millis(190),
        "{:?}",
        started.elapsed()
    );
    proxy.clear();
    let started = Instant::now();
    ask(&mut client, "PING", 7).unwrap();
    assert!(started.elapsed() < Duration::from_millis(100));
}

#[test]
fn a_stall_forwards_nothing_until_it_ends_and_keeps_the_socket_open() {
    let (_server, proxy) = setup();
    let mut client = through(&proxy);
    ask(&mut client, "PING", 7).unwrap();
    proxy.stall(Duration::from_millis(400));
    client
        .set_read_timeout(Some(Duration::from_millis(150)))
        .unwrap();
    let silent = ask(&mut client, "PING", 7).unwrap_err();
    assert!(
        matches!(silent.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{silent}"
    );
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut late = [0u8; 7];
    client.read_exact(&mut late).unwrap();
    assert_eq!(&late, b"+PONG\r\n");
}

#[test]
fn a_reset_is_an_rst_and_a_cut_reply_stops_mid_frame() {
    let (_server, proxy) = setup();
    let mut client = through(&proxy);
    ask(&mut client, "PING", 7).unwrap();
    proxy.reset_all();
    let reset = ask(&mut client, "PING", 7);
    assert!(
        matches!(&reset, Err(e) if e.kind() == ErrorKind::ConnectionReset),
        "{reset:?}"
    );

    let mut client = through(&proxy);
    proxy.cut_next_reply(3);
    let cut = ask(&mut client, "ECHO hello", 11);
    match cut {
        Ok(bytes) => assert_eq!(bytes, b"$5\r"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
    }
    // Only that reply was cut.
    let mut client = through(&proxy);
    assert_eq!(
        ask(&mut client, "ECHO hello", 11).unwrap(),
        b"$5\r\nhello\r\n"
    );
}

#[test]
fn a_throttle_paces_the_bytes() {
    let (_server, proxy) = setup();
    let mut client = through(&proxy);
    let value = "x".repeat(5000);
    ask(&mut client, &format!("SET big {value}"), 5).unwrap();
    proxy.throttle(10_000, Duration::from_secs(10));
    let started = Instant::now();
    let reply = ask(&mut client, "GET big", 5009).unwrap();
    assert_eq!(reply.len(), 5009);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_blackhole_holds_new_connections_silent_then_closes_them() {
    let (_server, proxy) = setup();
    let mut before = through(&proxy);
    ask(&mut before, "PING", 7).unwrap();
    proxy.blackhole(Duration::from_millis(300));
    let mut held = through(&proxy);
    let started = Instant::now();
    // Nothing answers; the connection ends when the blackhole does (reset,
    // as what it was sent is left unread).
    match ask(&mut held, "PING", 7) {
        Ok(bytes) => assert_eq!(bytes, b""),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset),
    }
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    // A connection made before it was not touched.
    assert_eq!(ask(&mut before, "PING", 7).unwrap(), b"+PONG\r\n");
}

#[test]
fn connections_are_let_go_when_their_client_leaves() {
    let (_server, proxy) = setup();
    for _ in 0..20 {
        let mut client = through(&proxy);
        ask(&mut client, "PING", 7).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while proxy.connections() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} still open",
            proxy.connections()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(proxy.accepted(), 20);
}

#[test]
fn a_paused_server_answers_nothing_until_it_goes_on() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert_eq!(ask(&mut stream, "PING", 7).unwrap(), b"+PONG\r\n");
    let paused = server.pause(Duration::from_secs(30)).unwrap();
    // Its kernel still accepts connections; nothing is answered.
    let mut other = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    other
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    for stream in [&mut stream, &mut other] {
        let e = ask(stream, "PING", 7).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
            "{e}"
        );
    }
    drop(paused);
    // What was sent meanwhile is answered now.
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reply = [0u8; 7];
    stream.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"+PONG\r\n");
}

#[test]
fn a_pause_ends_by_itself_at_its_bound() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let _paused = server.pause(Duration::from_millis(300)).unwrap();
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(ask(&mut stream, "PING", 7).unwrap(), b"+PONG\r\n");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(3),
        "{took:?}"
    );
}
