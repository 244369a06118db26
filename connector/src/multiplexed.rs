//! One connection shared by many callers at once: each caller's commands
//! are written contiguously, in the order callers queue them (requests that
//! queue up during a write go together in the next write), and the replies
//! are handed back in the same order. A task owns the connection; it stops
//! when the connection fails (failing what waits) or every handle is gone.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use tokio::sync::{mpsc, oneshot};

use crate::config::Config;
use crate::connection::{error_message, Connection};
use crate::error::{Error, Phase, ServerError};
use crate::pipeline::Pipeline;
use crate::policy::Policy;
use crate::Frame;

/// What a pipeline's replies are: each command's reply or error reply.
pub(crate) type Replies = Vec<Result<Frame, ServerError>>;

/// Requests that may wait to be written; callers wait for room beyond it.
const QUEUE: usize = 1024;
/// At most this many bytes go in one write.
const WRITE_BATCH: usize = 256 * 1024;

/// A handle on a shared connection; see the module docs.
#[derive(Debug)]
pub(crate) struct Multiplexed {
    requests: mpsc::Sender<Request>,
    endpoint: String,
    policy: Policy,
}

#[derive(Debug)]
struct Request {
    bytes: Bytes,
    replies: usize,
    respond: oneshot::Sender<Result<Replies, Error>>,
}

/// A written request whose replies are being read.
struct Waiting {
    expected: usize,
    replies: Replies,
    respond: oneshot::Sender<Result<Replies, Error>>,
}

impl Multiplexed {
    /// Connects with `config` and starts the task that owns the connection.
    pub(crate) async fn connect(config: &Config) -> Result<Self, Error> {
        let connection = Connection::connect(config).await?;
        let endpoint = connection.endpoint().to_owned();
        let (requests, queued) = mpsc::channel(QUEUE);
        drop(tokio::spawn(drive(connection, queued)));
        Ok(Self {
            requests,
            endpoint,
            policy: Policy::new(config),
        })
    }

    /// Whether the connection failed (its task stopped).
    pub(crate) fn is_closed(&self) -> bool {
        self.requests.is_closed()
    }

    /// Sends every command of `pipeline` and waits for their replies, as
    /// [`Connection::pipeline`] does. Dropping the future abandons the
    /// replies only: other callers' replies are not affected.
    pub(crate) async fn pipeline(&self, pipeline: &Pipeline) -> Result<Replies, Error> {
        if let Some(command) = pipeline.disabled(&self.policy) {
            return Err(Error::Disabled { command });
        }
        pipeline.check_commands()?;
        if pipeline.is_empty() {
            return Ok(Vec::new());
        }
        let (respond, replies) = oneshot::channel();
        let request = Request {
            bytes: Bytes::copy_from_slice(pipeline.bytes()),
            replies: pipeline.len(),
            respond,
        };
        // Not queued: nothing was sent.
        self.requests
            .send(request)
            .await
            .map_err(|_| Error::Closed {
                endpoint: self.endpoint.clone(),
            })?;
        replies.await.unwrap_or_else(|_| {
            Err(Error::Broken {
                endpoint: self.endpoint.clone(),
            })
        })
    }
}

/// Owns the connection: writes queued requests, reads replies in order.
async fn drive(mut connection: Connection, mut queued: mpsc::Receiver<Request>) {
    let mut waiting: VecDeque<Waiting> = VecDeque::new();
    let mut out = BytesMut::new();
    let failure = loop {
        tokio::select! {
            biased;
            // Read even when no reply is due, so a server that closed the
            // idle connection is seen before a request is written to it.
            frame = connection.next_frame() => match frame {
                // Nothing here subscribes: a push answers no request.
                Ok(Frame::Push(_)) => {}
                Ok(_) if waiting.is_empty() => {
                    break Error::Io {
                        phase: Phase::Read,
                        endpoint: connection.endpoint().to_owned(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            "a reply no request asked for",
                        ),
                    };
                }
                Ok(frame) => {
                    let reply = match error_message(&frame) {
                        Some(message) => Err(ServerError::new(message)),
                        None => Ok(frame),
                    };
                    if let Some(front) = waiting.front_mut() {
                        front.replies.push(reply);
                        if front.replies.len() == front.expected {
                            if let Some(done) = waiting.pop_front() {
                                // The caller may have given up: its replies go nowhere.
                                let _ = done.respond.send(Ok(done.replies));
                            }
                        }
                    }
                }
                Err(e) => break e,
            },
            request = queued.recv() => {
                // Every handle is gone, so no caller waits.
                let Some(request) = request else { return };
                out.clear();
                let mut next = Some(request);
                while let Some(request) = next.take() {
                    out.extend_from_slice(&request.bytes);
                    waiting.push_back(Waiting {
                        expected: request.replies,
                        replies: Vec::with_capacity(request.replies),
                        respond: request.respond,
                    });
                    if out.len() < WRITE_BATCH {
                        next = queued.try_recv().ok();
                    }
                }
                if let Err(e) = connection.write_requests(&out).await {
                    break e;
                }
            }
        }
    };
    // The first waiting request gets the error; the rest lost their step.
    tracing::debug!(error = %failure, "shared connection failed");
    let endpoint = connection.endpoint().to_owned();
    let mut failure = Some(failure);
    queued.close();
    let queued_requests = std::iter::from_fn(|| queued.try_recv().ok()).map(|r| r.respond);
    for respond in waiting
        .into_iter()
        .map(|w| w.respond)
        .chain(queued_requests)
    {
        let error = failure.take().unwrap_or_else(|| Error::Broken {
            endpoint: endpoint.clone(),
        });
        let _ = respond.send(Err(error));
    }
}
