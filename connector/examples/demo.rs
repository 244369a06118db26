//! The README's main job: connects through a DSN with the typed `Client`
//! and runs commands, a pipeline, a transaction and a script. With no URL
//! (argument or `REDIS_URL`) it starts a throwaway `redis-server` through
//! the testkit and stops it at the end.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;

use redwire::{Client, Commands, Config, Error, Pipeline, Script, ServerErrorKind};
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
    let client = Client::connect(config).await?;

    // Commands, each reply read as the type asked for.
    client
        .set::<()>("demo:greeting", "hello from redwire")
        .await?;
    let greeting: Option<String> = client.get("demo:greeting").await?;
    println!("GET demo:greeting                -> {greeting:?}");
    let missing: Option<String> = client.get("demo:missing").await?;
    println!("GET demo:missing                 -> {missing:?}");
    let counter: i64 = client.incr("demo:counter", 1).await?;
    println!("INCRBY demo:counter 1            -> {counter}");
    client
        .hset::<()>("demo:user", [("name", "ada"), ("born", "1815")])
        .await?;
    let user: HashMap<String, String> = client.hgetall("demo:user").await?;
    println!("HGETALL demo:user                -> {user:?}");
    match client.lpush::<i64>("demo:greeting", "x").await {
        Err(Error::Server(e)) if e.kind() == ServerErrorKind::WrongType => {
            println!("LPUSH demo:greeting x            -> (error) {e}");
        }
        other => println!("LPUSH demo:greeting x            -> {other:?}"),
    }

    // A pipeline: one write, the replies as one tuple.
    let (a, b, both): ((), i64, Vec<Option<String>>) = Pipeline::new()
        .set("demo:a", 1)
        .incr("demo:b", 2)
        .mget(("demo:a", "demo:b", "demo:missing"))
        .query(&client)
        .await?;
    println!("pipeline SET, INCRBY, MGET       -> {a:?}, {b}, {both:?}");

    // An atomic pipeline (MULTI/EXEC), and an optimistic transaction.
    let (x, y): (i64, i64) = Pipeline::new()
        .atomic()
        .incr("demo:a", 10)
        .incr("demo:b", 10)
        .query(&client)
        .await?;
    println!("MULTI INCRBY INCRBY EXEC         -> {x}, {y}");
    let moved: i64 = client
        .transaction(("demo:a", "demo:b"), |mut tx| async move {
            let a: i64 = tx.get("demo:a").await?;
            let (_, b): (i64, i64) = tx
                .exec(Pipeline::new().decr("demo:a", a).incr("demo:b", a))
                .await?;
            Ok(b)
        })
        .await?;
    println!("WATCH … EXEC (move a into b)     -> b = {moved}");

    // A script, run by its SHA1 and loaded when the server lacks it.
    let add = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    let total: i64 = add.invoke(&client, "demo:counter", 41).await?;
    println!("script INCRBY demo:counter 41    -> {total}");

    let removed: u64 = client
        .del([
            "demo:greeting",
            "demo:counter",
            "demo:user",
            "demo:a",
            "demo:b",
        ])
        .await?;
    println!("DEL (5 keys)                     -> {removed}");
    Ok(())
}
