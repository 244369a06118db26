#![allow(clippy::unwrap_used, clippy::panic)] // tests fail loudly
//! What a real server never sends, from a scripted fake one: malformed
//! replies, replies in tiny pieces, resets, stalls. Each gives a clear error
//! or the right value; none hangs, panics, or leaves the connection usable.

use std::future::Future;
use std::time::Duration;

use redwire::{Config, Connection, Error, Frame, Phase, Pipeline};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts a one-connection fake server running `script`, and connects to it.
async fn fake<F, Fut>(query: &str, script: F) -> Connection
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        script(stream).await;
    });
    let config: Config = format!("redis://127.0.0.1:{port}?{query}").parse().unwrap();
    Connection::connect(&config).await.unwrap()
}

/// Reads until `requests` complete commands arrived (counted by their `*` headers).
#[allow(clippy::naive_bytecount)] // a few hundred bytes
async fn read_requests(stream: &mut TcpStream, requests: usize) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while seen.iter().filter(|&&b| b == b'*').count() < requests {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "client closed early");
        seen.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn a_malformed_reply_is_a_protocol_error_and_breaks_the_connection() {
    let mut c = fake("", |mut s| async move {
        read_requests(&mut s, 1).await;
        s.write_all(b"@nonsense\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    let err = c.cmd(&["PING"]).await.unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(
        err.to_string().contains("invalid RESP type byte '@'"),
        "{err}"
    );
    assert!(c.is_broken());
    assert!(matches!(c.cmd(&["PING"]).await, Err(Error::Broken { .. })));
}

#[tokio::test]
async fn a_reply_in_one_byte_writes_is_read_whole() {
    let mut value = b"$1000\r\n".to_vec();
    value.extend(std::iter::repeat_n(b'x', 1000));
    value.extend_from_slice(b"\r\n");
    let expected = value.clone();
    let mut c = fake("", move |mut s| async move {
        s.set_nodelay(true).unwrap();
        read_requests(&mut s, 1).await;
        for byte in expected {
            s.write_all(&[byte]).await.unwrap();
            s.flush().await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    let reply = c.cmd(&("GET", "k")).await.unwrap();
    assert_eq!(reply.as_bytes().unwrap(), &[b'x'; 1000][..]);
    assert!(!c.is_broken());
}

#[tokio::test]
async fn a_reset_in_the_middle_of_a_pipeline_fails_the_whole_call() {
    let mut c = fake("", |mut s| async move {
        read_requests(&mut s, 3).await;
        s.write_all(b"+OK\r\n").await.unwrap();
        s.flush().await.unwrap();
        // Close with RST instead of FIN.
        s.set_zero_linger().unwrap();
        drop(s);
    })
    .await;
    let mut p = Pipeline::new();
    p.cmd(&["PING"]).cmd(&["PING"]).cmd(&["PING"]);
    let err = c.pipeline(&p).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Io {
                phase: Phase::Read,
                ..
            }
        ),
        "{err}"
    );
    assert!(c.is_broken());
}

#[tokio::test]
async fn a_stalled_server_hits_the_read_timeout() {
    let mut c = fake("read_timeout=200", |mut s| async move {
        read_requests(&mut s, 1).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let started = std::time::Instant::now();
    let err = c.cmd(&["PING"]).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                phase: Phase::Read,
                ..
            }
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_millis(600));
    assert!(c.is_broken());
}

#[tokio::test]
async fn a_server_closing_the_connection_is_a_read_error() {
    let mut c = fake("", |mut s| async move {
        read_requests(&mut s, 1).await;
    })
    .await;
    let err = c.cmd(&["PING"]).await.unwrap_err();
    assert!(
        err.to_string().contains("connection closed by the server"),
        "{err}"
    );
}

#[tokio::test]
async fn a_push_before_the_reply_is_kept_for_read() {
    let mut c = fake("", |mut s| async move {
        read_requests(&mut s, 1).await;
        s.write_all(b">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n+PONG\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    assert_eq!(
        c.cmd(&["PING"]).await.unwrap().as_bytes(),
        Some(&b"PONG"[..])
    );
    let Frame::Push(push) = c.read().await.unwrap() else {
        panic!("the push")
    };
    assert_eq!(push[0].as_bytes(), Some(&b"invalidate"[..]));
}

#[tokio::test]
async fn a_script_load_reply_that_is_no_sha_is_an_unexpected_reply() {
    let mut c = fake("", |mut s| async move {
        read_requests(&mut s, 1).await;
        s.write_all(b":1\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    let err = c.load_script("s", "return 1").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnexpectedReply {
                command: "SCRIPT LOAD",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "unexpected reply to SCRIPT LOAD: integer, not a SHA1"
    );
}

/// A shared connection takes the replies of one read in one pass: those
/// before a malformed frame reach their callers, the caller of the
/// malformed one gets the protocol error, and one still due after it is
/// failed too, never left waiting.
#[tokio::test]
async fn a_shared_connection_answers_a_read_s_replies_up_to_a_malformed_one() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        read_requests(&mut s, 5).await;
        // One write: the client reads it all at once.
        s.write_all(b"+OK\r\n:7\r\n$2\r\nhi\r\n@bad\r\n+late\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let config: Config = format!("redis://127.0.0.1:{port}").parse().unwrap();
    let shared = redwire::SharedConnection::new(config);
    // Polled in order, so queued and written in order.
    let (ok, seven, hi, bad, after) = tokio::time::timeout(Duration::from_secs(3), async {
        tokio::join!(
            shared.cmd(&["SET", "k", "v"]),
            shared.cmd(&["INCR", "n"]),
            shared.cmd(&["GET", "k"]),
            shared.cmd(&["GET", "x"]),
            shared.cmd(&["GET", "y"]),
        )
    })
    .await
    .expect("every caller is answered");
    assert_eq!(ok.unwrap(), Frame::SimpleString("OK".into()));
    assert_eq!(seven.unwrap(), Frame::Integer(7));
    assert_eq!(hi.unwrap().as_bytes(), Some(&b"hi"[..]));
    let bad = bad.unwrap_err();
    assert!(matches!(bad, Error::Protocol { .. }), "{bad}");
    assert!(after.is_err(), "{after:?}");
}
