#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! Tracing output names endpoints, phases and commands, never credentials.

use std::io::Write;
use std::sync::{Arc, Mutex};

use redwire::{Config, Connection};
use redwire_testkit::{Server, ServerOptions};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn trace_logs_never_carry_passwords() {
    let server = Server::start(ServerOptions::default().acl_user("app", "hunter2-secret")).unwrap();
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let address = format!("{}:{}", server.host(), server.port());
    let config: Config = format!("redis://app:hunter2-secret@{address}/1")
        .parse()
        .unwrap();
    let mut connection = Connection::connect(&config).await.unwrap();
    connection
        .cmd(&("AUTH", "app", "hunter2-secret"))
        .await
        .unwrap();
    let wrong: Config = format!("redis://app:hunter2-wrong@{address}")
        .parse()
        .unwrap();
    let err = Connection::connect(&wrong).await.unwrap_err();
    tracing::error!(%err, "connect failed");

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("redwire.connect") && logs.contains("command=AUTH"),
        "{logs}"
    );
    assert!(!logs.contains("hunter2"), "{logs}");
}

#[tokio::test]
async fn a_client_request_is_a_span_with_opentelemetry_names_and_no_values() {
    use redwire::{Client, Commands, Pipeline};
    use tracing_subscriber::fmt::format::FmtSpan;

    let server = Server::start(ServerOptions::default().password("s3cret-pass")).unwrap();
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let url = format!("redis://:s3cret-pass@127.0.0.1:{}/2", server.port());
    let client = Client::connect(url.as_str()).await.unwrap();
    client.set::<()>("k", "value-never-logged").await.unwrap();
    client.lpush::<i64>("k", "x").await.unwrap_err();
    Pipeline::new()
        .get("k")
        .get("k")
        .query::<(String, String)>(&client)
        .await
        .unwrap();

    Pipeline::new()
        .atomic()
        .incr("n", 1)
        .query::<(i64,)>(&client)
        .await
        .unwrap();

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let multi = logs
        .lines()
        .find(|l| l.contains("db.operation.name=MULTI"))
        .unwrap_or_else(|| panic!("{logs}"));
    assert!(multi.contains("db.operation.batch.size=3"), "{multi}");
    let set = logs
        .lines()
        .find(|l| l.contains("db.operation.name=SET"))
        .unwrap_or_else(|| panic!("{logs}"));
    for field in [
        "db.system.name=\"redis\"",
        "db.namespace=2",
        "server.address=\"127.0.0.1\"",
        &format!("server.port={}", server.port()),
    ] {
        assert!(set.contains(field), "{field} in {set}");
    }
    let lpush = logs
        .lines()
        .find(|l| l.contains("db.operation.name=LPUSH"))
        .unwrap();
    assert!(
        lpush.contains("db.response.status_code=\"WRONGTYPE\""),
        "{lpush}"
    );
    let pipeline = logs
        .lines()
        .find(|l| l.contains("db.operation.name=PIPELINE"))
        .unwrap();
    assert!(pipeline.contains("db.operation.batch.size=2"), "{pipeline}");
    assert!(
        !logs.contains("value-never-logged") && !logs.contains("s3cret"),
        "{logs}"
    );

    // A request given up on is no longer under way.
    let waiting = client.blpop::<redwire::Frame>("queue", 2.0);
    tokio::time::timeout(std::time::Duration::from_millis(50), waiting)
        .await
        .unwrap_err();
    let stats = client.stats();
    assert_eq!((stats.requests, stats.failed, stats.in_flight), (5, 1, 0));
    assert_eq!(stats.shared_connections, 1);
}
