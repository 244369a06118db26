//! Waiting for a reply without putting the thread to sleep at first: on a
//! virtual machine a thread woken from sleep takes tens of microseconds to
//! run again, longer than a local round trip. The bindings wrap one request
//! at a time in [`spinning`] (see benches/RESULTS.md: 72 → 28 µs per GET
//! from Python).

use std::future::Future;
use std::task::Poll;
use std::time::{Duration, Instant};

/// How long [`spinning`] polls before letting the thread sleep: at 50 µs a
/// local GET took 32 µs, at 100 µs 28 µs, and longer gained nothing.
pub const SPIN: Duration = Duration::from_micros(100);

/// `request`, polled again at once (the runtime checking its sockets
/// without sleeping) for up to `spin` once it waits, then left to wait as
/// usual. For single commands on a runtime the caller drives: a pipeline's
/// replies take the server longer than that, and the polling takes the CPU
/// the server needs.
///
/// ```no_run
/// # async fn demo(connection: &mut redwire::Connection) -> Result<(), redwire::Error> {
/// let reply = redwire::spinning(connection.cmd(&["GET", "k"]), redwire::SPIN).await?;
/// # let _ = reply; Ok(()) }
/// ```
pub async fn spinning<F: Future>(request: F, spin: Duration) -> F::Output {
    let mut request = std::pin::pin!(request);
    let started = Instant::now();
    std::future::poll_fn(|cx| {
        if let Poll::Ready(outcome) = request.as_mut().poll(cx) {
            return Poll::Ready(outcome);
        }
        if started.elapsed() < spin {
            // Its first poll asks the runtime to poll again after a look at
            // the sockets that does not block.
            let _ = std::pin::pin!(tokio::task::yield_now()).poll(cx);
        }
        Poll::Pending
    })
    .await
}
