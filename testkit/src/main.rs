//! `redwire-testkit up standalone [OPTIONS]`: starts a throwaway
//! `redis-server` on a free loopback port, prints where it listens (one JSON
//! line with `--json`), and stops it when standard input closes, so a test
//! suite in any language can start it as a child process and simply exit.
//!
//! Options: `--port N` (else a free port), `--password P`, `--acl-user NAME:PASSWORD`, `--unix-socket`,
//! `--tls`, `--tls-client-auth`, `--json`.
//!
//! `redwire-testkit up sentinel` (1 master, 2 replicas, 3 sentinels named
//! `mymaster`; with `--password P --sentinel-user NAME:PASSWORD` the data
//! nodes require `P` and the sentinels only that user) and
//! `redwire-testkit up cluster` (3 masters, 3 replicas)
//! print one JSON line with every address, and stop the same way.
//!
//! `redwire-testkit proxy HOST:PORT` starts a fault proxy to `HOST:PORT`,
//! prints `{"port":N}`, and takes one command per line on standard input
//! until it closes (durations in milliseconds, each fault ending by
//! itself): `latency MS FOR`, `stall FOR`, `throttle BYTES_PER_S FOR`,
//! `blackhole FOR`, `cut BYTES` (the next reply), `reset` (every
//! connection), `clear`. Each command is answered `ok` or `error: why`.

use std::io::Read as _;
use std::process::ExitCode;

use std::time::Duration;

use redwire_testkit::{
    AclUser, Cluster, FaultProxy, SentinelSet, Server, ServerOptions, SetCredentials,
};

const USAGE: &str =
    "usage: redwire-testkit up standalone [--port N] [--password P] [--acl-user NAME:PASSWORD] \
                     [--unix-socket] [--tls] [--tls-client-auth] [--json]\n\
       redwire-testkit up sentinel [--password P --sentinel-user NAME:PASSWORD] [--json]\n\
       redwire-testkit up cluster [--json]\n\
       redwire-testkit proxy HOST:PORT";

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
    if let [proxy, upstream] = args {
        if proxy == "proxy" {
            return fault_proxy(upstream);
        }
    }
    let [up, topology, rest @ ..] = args else {
        return Err(USAGE.to_owned());
    };
    if up != "up" {
        return Err(USAGE.to_owned());
    }
    match topology.as_str() {
        "standalone" => standalone(rest),
        "sentinel" | "cluster" => {
            let (line, processes): (String, Box<dyn std::any::Any>) = if topology == "sentinel" {
                let set = match sentinel_credentials(rest)? {
                    Some(credentials) => SentinelSet::start_secured(credentials),
                    None => SentinelSet::start(),
                }
                .map_err(|e| e.to_string())?;
                (describe_sentinel(&set), Box::new(set))
            } else {
                if let Some(other) = rest.iter().find(|a| *a != "--json") {
                    return Err(format!("unknown option {other}\n{USAGE}"));
                }
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

/// `--password P --sentinel-user NAME:PASSWORD` (both or neither) of
/// `up sentinel`: a secured set.
fn sentinel_credentials(rest: &[String]) -> Result<Option<SetCredentials>, String> {
    let (mut password, mut user) = (None, None);
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        let mut value = || {
            rest.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--password" => password = Some(value()?.clone()),
            "--sentinel-user" => user = Some(acl_user(value()?)?),
            "--json" => {}
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    match (password, user) {
        (None, None) => Ok(None),
        (Some(data_password), Some(sentinel_user)) => Ok(Some(SetCredentials {
            data_password,
            sentinel_user,
        })),
        _ => Err(format!(
            "up sentinel takes --password and --sentinel-user together\n{USAGE}"
        )),
    }
}

/// `NAME:PASSWORD`.
fn acl_user(spec: &str) -> Result<AclUser, String> {
    let (name, password) = spec
        .split_once(':')
        .ok_or_else(|| format!("a user is NAME:PASSWORD, got {spec:?}"))?;
    Ok(AclUser {
        name: name.to_owned(),
        password: password.to_owned(),
    })
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
            "--port" => {
                let port = value()?;
                options.port(
                    port.parse()
                        .map_err(|_| format!("--port takes a port number, got {port:?}"))?,
                )
            }
            "--acl-user" => {
                let user = acl_user(value()?)?;
                options.acl_user(&user.name, &user.password)
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

/// `proxy HOST:PORT`: a fault proxy driven by commands on standard input.
fn fault_proxy(upstream: &str) -> Result<(), String> {
    let proxy = FaultProxy::start(upstream).map_err(|e| format!("{upstream}: {e}"))?;
    println!("{{\"port\":{}}}", proxy.port());
    for line in std::io::stdin().lines() {
        let Ok(line) = line else { break };
        match fault_command(&proxy, &line) {
            Ok(()) => println!("ok"),
            Err(why) => println!("error: {why}"),
        }
    }
    Ok(())
}

/// Runs one command line of `proxy`.
fn fault_command(proxy: &FaultProxy, line: &str) -> Result<(), String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some((&verb, args)) = words.split_first() else {
        return Err("an empty command".to_owned());
    };
    let numbers = args
        .iter()
        .map(|w| {
            w.parse::<u64>()
                .map_err(|_| format!("{w:?} is not a non-negative integer"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ms = Duration::from_millis;
    match (verb, numbers.as_slice()) {
        ("latency", &[delay, time]) => proxy.latency(ms(delay), ms(time)),
        ("stall", &[time]) => proxy.stall(ms(time)),
        ("throttle", &[rate, time]) => proxy.throttle(rate, ms(time)),
        ("blackhole", &[time]) => proxy.blackhole(ms(time)),
        ("cut", &[bytes]) => {
            proxy.cut_next_reply(usize::try_from(bytes).map_err(|e| e.to_string())?);
        }
        ("reset", []) => proxy.reset_all(),
        ("clear", []) => proxy.clear(),
        _ => {
            return Err(format!(
                "unknown command {line:?}: latency MS FOR, stall FOR, throttle BYTES_PER_S FOR, \
                 blackhole FOR, cut BYTES, reset or clear"
            ))
        }
    }
    Ok(())
}
