//! The background worker: one OS thread owning a tokio runtime, fed requests
//! without blocking, answering over a channel the frame drains with `try_recv`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::error::AuthError;
use crate::outcome::AuthOutcome;
use crate::request::{AuthAction, AuthRequest};
use crate::transport::Transport;

/// Tags a request so its [`Reply`] can be matched to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// The end of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The id [`AuthWorker::send`] returned.
    pub id: RequestId,
    /// What was requested.
    pub action: AuthAction,
    /// How it ended; [`AuthError::Cancelled`] when the worker shut down first.
    pub result: Result<AuthOutcome, AuthError>,
}

/// Runs requests on a background thread with its own tokio runtime.
///
/// [`send`](Self::send) never blocks; replies arrive on
/// [`try_recv`](Self::try_recv) in the order requests finish. Dropping the
/// worker cancels what is still running (each such request replies
/// [`AuthError::Cancelled`]) and joins the thread.
pub struct AuthWorker {
    requests: Option<UnboundedSender<(RequestId, AuthRequest)>>,
    replies: Receiver<Reply>,
    /// Answers requests sent after the thread died, so none goes unanswered.
    dead_letters: Sender<Reply>,
    next_id: AtomicU64,
    thread: Option<JoinHandle<()>>,
    runtime: tokio::runtime::Handle,
}

impl AuthWorker {
    /// Starts the worker thread for `transport`.
    pub fn spawn(transport: impl Transport) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (request_tx, mut request_rx) = unbounded_channel::<(RequestId, AuthRequest)>();
        let (reply_tx, reply_rx) = crossbeam_channel::unbounded();
        let transport = Arc::new(transport);
        let handle = runtime.handle().clone();
        let dead_letters = reply_tx.clone();
        let thread = std::thread::Builder::new()
            .name("cognito-login".into())
            .spawn(move || {
                runtime.block_on(async move {
                    while let Some((id, request)) = request_rx.recv().await {
                        let reply = PendingReply::new(id, request.action(), reply_tx.clone());
                        let transport = Arc::clone(&transport);
                        tokio::spawn(async move { reply.finish(transport.send(request).await) });
                    }
                });
                // Dropping the runtime drops the requests still running; each
                // `PendingReply` then reports `Cancelled`.
                drop(runtime);
            })?;
        Ok(Self {
            requests: Some(request_tx),
            replies: reply_rx,
            dead_letters,
            next_id: AtomicU64::new(0),
            thread: Some(thread),
            runtime: handle,
        })
    }

    /// Queues a request and returns its id at once.
    pub fn send(&self, request: AuthRequest) -> RequestId {
        let id = RequestId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let action = request.action();
        let queued = self
            .requests
            .as_ref()
            .is_some_and(|requests| requests.send((id, request)).is_ok());
        if !queued {
            // The thread is gone (it can only stop by panicking): answer at once.
            PendingReply::new(id, action, self.dead_letters.clone())
                .finish(Err(AuthError::Cancelled));
        }
        id
    }

    /// Runs a blocking job (a keychain call) on the worker's blocking pool,
    /// never on the caller's thread. The job reports back by its own means.
    /// Jobs still queued when the worker shuts down do not run.
    pub fn run_blocking(&self, job: impl FnOnce() + Send + 'static) {
        drop(self.runtime.spawn_blocking(job));
    }

    /// The next finished request, if any. Never blocks.
    pub fn try_recv(&self) -> Option<Reply> {
        self.replies.try_recv().ok()
    }

    /// The reply channel, for callers that want to wait or `select!`.
    pub fn replies(&self) -> &Receiver<Reply> {
        &self.replies
    }
}

impl Drop for AuthWorker {
    fn drop(&mut self) {
        self.requests.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for AuthWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthWorker")
            .field("next_id", &self.next_id.load(Ordering::Relaxed))
            .field("pending_replies", &self.replies.len())
            .finish()
    }
}

/// Sends exactly one reply for a request: its result, or `Cancelled` when
/// dropped unfinished (worker shut down, or the transport panicked).
struct PendingReply {
    id: RequestId,
    action: AuthAction,
    replies: Option<Sender<Reply>>,
}

impl PendingReply {
    fn new(id: RequestId, action: AuthAction, replies: Sender<Reply>) -> Self {
        Self {
            id,
            action,
            replies: Some(replies),
        }
    }

    fn finish(mut self, result: Result<AuthOutcome, AuthError>) {
        self.send(result);
    }

    fn send(&mut self, result: Result<AuthOutcome, AuthError>) {
        if let Some(replies) = self.replies.take() {
            let _ = replies.send(Reply {
                id: self.id,
                action: self.action,
                result,
            });
        }
    }
}

impl Drop for PendingReply {
    fn drop(&mut self) {
        self.send(Err(AuthError::Cancelled));
    }
}
