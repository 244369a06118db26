//! The README's main job: connects through a DSN and runs commands and a
//! pipeline. With no URL (argument or `REDIS_URL`) it starts a throwaway
//! `redis-server` through the testkit and stops it at the end.
#![allow(clippy::print_stdout)]

use redwire::{Config, Connection, Frame, Pipeline};
use redwire_testkit::{Server, ServerOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
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
    println!("connecting to {config}");
    let mut connection = Connection::connect(&config).await?;

    for command in [
        vec!["SET", "demo:greeting", "hello from redwire"],
        vec!["GET", "demo:greeting"],
        vec!["INCR", "demo:counter"],
        vec!["GET", "demo:missing"],
        vec!["LPUSH", "demo:greeting", "x"],
    ] {
        let reply = match connection.cmd(&command).await {
            Ok(frame) => show(&frame),
            Err(e) if e.keeps_connection() => format!("(error) {e}"),
            Err(e) => return Err(e.into()),
        };
        println!("{:<40} -> {reply}", command.join(" "));
    }

    let commands = [
        vec!["SET", "demo:a", "1"],
        vec!["SET", "demo:b", "2"],
        vec!["MGET", "demo:a", "demo:b", "demo:missing"],
        vec!["LPUSH", "demo:a", "x"],
        vec!["DEL", "demo:a", "demo:b", "demo:greeting", "demo:counter"],
    ];
    let mut pipeline = Pipeline::new();
    for command in &commands {
        pipeline.cmd(command);
    }
    println!("pipeline of {} commands, one write:", pipeline.len());
    for (command, reply) in commands.iter().zip(connection.pipeline(&pipeline).await?) {
        let reply = reply.map_or_else(|e| format!("(error) {e}"), |frame| show(&frame));
        println!("  {:<38} -> {reply}", command.join(" "));
    }
    Ok(())
}

fn show(frame: &Frame) -> String {
    match frame {
        Frame::Integer(n) => format!("(integer) {n}"),
        Frame::Array(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        f if f.is_null() => "(nil)".to_owned(),
        f => f.as_bytes().map_or_else(
            || format!("{f:?}"),
            |b| format!("{:?}", String::from_utf8_lossy(b)),
        ),
    }
}
