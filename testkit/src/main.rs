//! `redwire-testkit up standalone [OPTIONS]`: starts a throwaway
//! `redis-server` on a free loopback port, prints where it listens (one JSON
//! line with `--json`), and stops it when standard input closes, so a test
//! suite in any language can start it as a child process and simply exit.
//!
//! Options: `--password P`, `--acl-user NAME:PASSWORD`, `--unix-socket`,
//! `--tls`, `--tls-client-auth`, `--json`.
//!
//! `redwire-testkit up sentinel` (1 master, 2 replicas, 3 sentinels named
//! `mymaster`) and `redwire-testkit up cluster` (3 masters, 3 replicas)
//! print one JSON line with every address, and stop the same way.

use std::io::Read as _;
use std::process::ExitCode;

use redwire_testkit::{Cluster, SentinelSet, Server, ServerOptions};

const USAGE: &str =
    "usage: redwire-testkit up standalone [--password P] [--acl-user NAME:PASSWORD] \
                     [--unix-socket] [--tls] [--tls-client-auth] [--json]\n\
       redwire-testkit up sentinel [--json]\n\
       redwire-testkit up cluster [--json]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("redwire-testkit: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let [up, topology, rest @ ..] = args else {
        return Err(USAGE.to_owned());
    };
    if up != "up" {
        return Err(USAGE.to_owned());
    }
    match topology.as_str() {
        "standalone" => standalone(rest),
        "sentinel" | "cluster" => {
            if let Some(other) = rest.iter().find(|a| *a != "--json") {
                return Err(format!("unknown option {other}\n{USAGE}"));
            }
            let (line, processes): (String, Box<dyn std::any::Any>) = if topology == "sentinel" {
                let set = SentinelSet::start().map_err(|e| e.to_string())?;
                (describe_sentinel(&set), Box::new(set))
            } else {
                let cluster = Cluster::start().map_err(|e| e.to_string())?;
                (describe_cluster(&cluster), Box::new(cluster))
            };
            println!("{line}");
            wait_for_stdin_to_close();
            // Dropping the topology stops every process it started.
            drop(processes);
            Ok(())
        }
        _ => Err(USAGE.to_owned()),
    }
}

/// Blocks until the caller closes our standard input (or exits).
fn wait_for_stdin_to_close() {
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// `{"host":…,"port":…}`.
fn address(server: &Server) -> String {
    format!(
        "{{\"host\":\"{}\",\"port\":{}}}",
        server.host(),
        server.port()
    )
}

fn describe_sentinel(set: &SentinelSet) -> String {
    let list = |servers: &[Server]| servers.iter().map(address).collect::<Vec<_>>().join(",");
    format!(
        "{{\"master_name\":\"{}\",\"master\":{},\"replicas\":[{}],\"sentinels\":[{}]}}",
        set.name,
        address(&set.master),
        list(&set.replicas),
        list(&set.sentinels)
    )
}

fn describe_cluster(cluster: &Cluster) -> String {
    let nodes: Vec<String> = cluster.nodes.iter().map(address).collect();
    format!("{{\"nodes\":[{}]}}", nodes.join(","))
}

fn standalone(rest: &[String]) -> Result<(), String> {
    let mut options = ServerOptions::default();
    let mut json = false;
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        let mut value = || {
            rest.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        options = match flag.as_str() {
            "--password" => options.password(value()?),
            "--acl-user" => {
                let spec = value()?;
                let (name, password) = spec
                    .split_once(':')
                    .ok_or_else(|| format!("--acl-user takes NAME:PASSWORD, got {spec:?}"))?;
                options.acl_user(name, password)
            }
            "--unix-socket" => options.unix_socket(),
            "--tls" => options.tls(),
            "--tls-client-auth" => options.tls_client_auth(),
            "--json" => {
                json = true;
                options
            }
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        };
    }
    let server = Server::start(options).map_err(|e| e.to_string())?;
    if json {
        println!("{}", describe(&server));
    } else {
        let scheme = if server.tls_files().is_some() {
            "rediss"
        } else {
            "redis"
        };
        println!(
            "{scheme}://{}:{} (pid {})",
            server.host(),
            server.port(),
            server.pid()
        );
    }
    wait_for_stdin_to_close();
    server.stop();
    Ok(())
}

fn describe(server: &Server) -> String {
    let text = |value: &str| format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
    let path = |p: &std::path::Path| text(&p.display().to_string());
    let mut fields = vec![
        format!("\"host\":{}", text(server.host())),
        format!("\"port\":{}", server.port()),
        format!("\"pid\":{}", server.pid()),
    ];
    if let Some(socket) = server.unix_socket() {
        fields.push(format!("\"unix_socket\":{}", path(&socket)));
    }
    if let Some(password) = server.password() {
        fields.push(format!("\"password\":{}", text(password)));
    }
    if let Some(user) = server.acl_user() {
        fields.push(format!(
            "\"acl_user\":{{\"name\":{},\"password\":{}}}",
            text(&user.name),
            text(&user.password)
        ));
    }
    if let Some(tls) = server.tls_files() {
        fields.push(format!(
            "\"tls\":{{\"ca_cert\":{},\"client_cert\":{},\"client_key\":{}}}",
            path(&tls.ca_cert),
            path(&tls.client_cert),
            path(&tls.client_key)
        ));
    }
    format!("{{{}}}", fields.join(","))
}
