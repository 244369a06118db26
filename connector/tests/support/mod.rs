//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

/// A loopback port nothing listens on (bound, then let go).
#[allow(clippy::unwrap_used)] // a test's helper fails loudly
pub fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
