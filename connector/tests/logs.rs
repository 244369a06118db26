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
