#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! The testkit starts real servers of each kind and stops exactly them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use redwire_testkit::{Server, ServerOptions};

/// Sends one inline command and returns the reply's first line, or a bulk
/// reply's payload.
fn ask(stream: &mut (impl Read + Write), command: &str) -> String {
    stream
        .write_all(format!("{command}\r\n").as_bytes())
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    if line.starts_with('$') {
        line.clear();
        reader.read_line(&mut line).unwrap();
    }
    line.trim_end().to_owned()
}

fn tcp(server: &Server) -> TcpStream {
    let stream = TcpStream::connect((server.host(), server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream
}

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[test]
fn a_plain_server_answers_and_is_stopped_on_drop() {
    let server = Server::start(ServerOptions::default()).unwrap();
    let pid = server.pid();
    assert_eq!(ask(&mut tcp(&server), "PING"), "+PONG");
    drop(server);
    assert!(!alive(pid), "redis-server {pid} still running");
}

#[test]
fn two_servers_get_different_ports() {
    let a = Server::start(ServerOptions::default()).unwrap();
    let b = Server::start(ServerOptions::default()).unwrap();
    assert_ne!(a.port(), b.port());
    assert_eq!(ask(&mut tcp(&b), "PING"), "+PONG");
}

#[test]
fn a_password_is_required() {
    let server = Server::start(ServerOptions::default().password("s3cret")).unwrap();
    assert!(ask(&mut tcp(&server), "PING").starts_with("-NOAUTH"));
    let mut stream = tcp(&server);
    assert_eq!(ask(&mut stream, "AUTH s3cret"), "+OK");
}

#[test]
fn an_acl_user_can_log_in() {
    let server = Server::start(ServerOptions::default().acl_user("alice", "wonder land")).unwrap();
    let mut stream = tcp(&server);
    assert_eq!(ask(&mut stream, "AUTH alice \"wonder land\""), "+OK");
    assert_eq!(ask(&mut stream, "ACL WHOAMI"), "alice");
}

#[test]
fn a_unix_socket_answers() {
    let server = Server::start(ServerOptions::default().unix_socket()).unwrap();
    let mut stream = UnixStream::connect(server.unix_socket().unwrap()).unwrap();
    assert_eq!(ask(&mut stream, "PING"), "+PONG");
}

#[test]
fn a_tls_server_refuses_plaintext_and_ships_its_certificates() {
    let server = Server::start(ServerOptions::default().tls_client_auth()).unwrap();
    let files = server.tls_files().unwrap();
    for file in [&files.ca_cert, &files.client_cert, &files.client_key] {
        assert!(std::fs::read_to_string(file)
            .unwrap()
            .starts_with("-----BEGIN"));
    }
    // A plaintext PING gets no RESP reply from a TLS port.
    let mut stream = tcp(&server);
    stream.write_all(b"PING\r\n").unwrap();
    let mut reply = [0u8; 16];
    let got = stream.read(&mut reply).unwrap_or(0);
    assert!(
        got == 0 || reply[0] != b'+',
        "plaintext answered: {:?}",
        &reply[..got]
    );
}

#[test]
fn the_cli_prints_json_and_stops_the_server_when_stdin_closes() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_redwire-testkit"))
        .args(["up", "standalone", "--password", "pw", "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let field = |name: &str| -> u32 {
        let at = line.find(&format!("\"{name}\":")).unwrap() + name.len() + 3;
        line[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (port, pid) = (field("port"), field("pid"));
    assert!(line.contains("\"password\":\"pw\""), "{line}");
    let mut stream = TcpStream::connect(("127.0.0.1", port as u16)).unwrap();
    assert_eq!(ask(&mut stream, "AUTH pw"), "+OK");
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    assert!(!alive(pid), "redis-server {pid} still running");
}

#[test]
fn the_cli_rejects_unknown_options() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_redwire-testkit"))
        .args(["up", "standalone", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown option --bogus"));
}

#[test]
fn a_sentinel_set_is_discovered_and_names_its_master() {
    let set = redwire_testkit::SentinelSet::start().unwrap();
    assert_eq!((set.replicas.len(), set.sentinels.len()), (2, 3));
    for sentinel in &set.sentinels {
        let mut stream = TcpStream::connect((sentinel.host(), sentinel.port())).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
            .write_all(
                b"*3\r\n$8\r\nSENTINEL\r\n$23\r\nget-master-addr-by-name\r\n$8\r\nmymaster\r\n",
            )
            .unwrap();
        let mut reply = vec![0u8; 256];
        let n = stream.read(&mut reply).unwrap();
        let text = String::from_utf8_lossy(&reply[..n]);
        assert!(text.contains(&set.master.port().to_string()), "{text}");
    }
    let pids: Vec<u32> = set
        .sentinels
        .iter()
        .chain(&set.replicas)
        .map(Server::pid)
        .collect();
    drop(set);
    assert!(
        pids.iter().all(|pid| !alive(*pid)),
        "a process of the set is still running"
    );
}

#[test]
fn a_cluster_forms_with_three_masters_and_three_replicas() {
    let cluster = redwire_testkit::Cluster::start().unwrap();
    assert_eq!(cluster.nodes.len(), 6);
    for node in &cluster.nodes {
        let mut stream = tcp(node);
        let info = {
            stream.write_all(b"CLUSTER INFO\r\n").unwrap();
            let mut reply = vec![0u8; 4096];
            let n = stream.read(&mut reply).unwrap();
            String::from_utf8_lossy(&reply[..n]).into_owned()
        };
        assert!(info.contains("cluster_state:ok"), "{info}");
        assert!(info.contains("cluster_known_nodes:6"), "{info}");
    }
    let masters = cluster
        .nodes
        .iter()
        .filter(|node| {
            let mut stream = tcp(node);
            stream.write_all(b"INFO replication\r\n").unwrap();
            let mut reply = vec![0u8; 4096];
            let n = stream.read(&mut reply).unwrap();
            String::from_utf8_lossy(&reply[..n]).contains("role:master")
        })
        .count();
    assert_eq!(masters, 3);
    let pids: Vec<u32> = cluster.nodes.iter().map(Server::pid).collect();
    drop(cluster);
    assert!(pids.iter().all(|pid| !alive(*pid)), "a node still runs");
}

#[test]
fn the_cli_brings_up_a_sentinel_set_and_a_cluster_until_stdin_closes() {
    for (topology, expect, count) in [
        ("sentinel", "\"sentinels\":[", 3),
        ("cluster", "\"nodes\":[", 6),
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_redwire-testkit"))
            .args(["up", topology, "--json"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains(expect), "{line}");
        let list = &line[line.find(expect).unwrap()..];
        let list = &list[..list.find(']').unwrap()];
        let ports: Vec<u16> = list
            .split("\"port\":")
            .skip(1)
            .map(|rest| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(ports.len(), count, "{line}");
        // Each answers; once stdin closes, none does.
        for port in &ports {
            assert_eq!(
                ask(
                    &mut TcpStream::connect(("127.0.0.1", *port)).unwrap(),
                    "PING"
                ),
                "+PONG"
            );
        }
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
        for port in &ports {
            assert!(
                TcpStream::connect(("127.0.0.1", *port)).is_err(),
                "{topology} port {port} still open"
            );
        }
    }
}
