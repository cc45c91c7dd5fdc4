//! The background worker: one OS thread owning a tokio runtime, fed requests
//! without blocking, answering over a channel the frame drains with `try_recv`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinSet;

use crate::browser::{BrowserRequest, BrowserSignIn};
use crate::error::AuthError;
use crate::outcome::{AuthOutcome, Tokens};
use crate::request::{AuthAction, AuthRequest};
use crate::transport::Transport;

/// How long shutting the worker down waits for a sign-out (here or
/// everywhere) or an account deletion still on its way to the server.
pub const SIGN_OUT_GRACE: Duration = Duration::from_secs(2);

/// How long shutting the worker down waits for everything else (a DNS
/// lookup, an SRP step) before it leaves the thread behind.
const SHUTDOWN_LIMIT: Duration = Duration::from_millis(500);

/// What the worker's thread is asked to do.
enum Job {
    Send(AuthRequest),
    /// [`Transport::check_stored`], answered as a refresh would be.
    CheckStored(Tokens),
    /// [`Transport::connect`], unanswered.
    Connect,
    /// [`BrowserSignIn::sign_in`], answered as a sign-in.
    Browser(Arc<BrowserSignIn>, BrowserRequest),
    /// [`BrowserSignIn::sign_out`], unanswered.
    BrowserSignOut(Arc<BrowserSignIn>),
}

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
/// worker gives a sign-out still in flight up to [`SIGN_OUT_GRACE`] to reach
/// the server, cancels the rest (each such request replies
/// [`AuthError::Cancelled`]) and waits a bounded time for the thread: a
/// network call that never returns cannot hold up the game's exit.
pub struct AuthWorker {
    requests: Option<UnboundedSender<(RequestId, Job)>>,
    replies: Receiver<Reply>,
    /// Answers requests sent after the thread died, so none goes unanswered.
    dead_letters: Sender<Reply>,
    next_id: AtomicU64,
    /// Closed when the thread ends.
    finished: Receiver<()>,
    runtime: tokio::runtime::Handle,
}

impl AuthWorker {
    /// Starts the worker thread for `transport`.
    pub fn spawn(transport: impl Transport) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (request_tx, mut request_rx) = unbounded_channel::<(RequestId, Job)>();
        let (reply_tx, reply_rx) = crossbeam_channel::unbounded();
        let (finished_tx, finished) = crossbeam_channel::bounded::<()>(0);
        let transport = Arc::new(transport);
        let handle = runtime.handle().clone();
        let dead_letters = reply_tx.clone();
        std::thread::Builder::new()
            .name("cognito-login".into())
            .spawn(move || {
                let _finished = finished_tx;
                runtime.block_on(async move {
                    transport.warm_up();
                    let mut sign_outs = JoinSet::new();
                    // Each request or connect under way holds a clone:
                    // with `under_way` below, a count of 2 means none is.
                    let busy = Arc::new(());
                    while let Some((id, job)) = request_rx.recv().await {
                        let transport = Arc::clone(&transport);
                        let under_way = Arc::clone(&busy);
                        match job {
                            Job::Send(request) => {
                                let reply =
                                    PendingReply::new(id, request.action(), reply_tx.clone())
                                        .holding(under_way);
                                // What a player who quits right after still
                                // expects done on the server.
                                let ends_session = matches!(
                                    request,
                                    AuthRequest::SignOut { .. }
                                        | AuthRequest::SignOutEverywhere { .. }
                                        | AuthRequest::DeleteAccount { .. }
                                );
                                let task =
                                    async move { reply.finish(transport.send(request).await) };
                                if ends_session {
                                    sign_outs.spawn(task);
                                } else {
                                    tokio::spawn(task);
                                }
                            }
                            Job::CheckStored(tokens) => {
                                let reply =
                                    PendingReply::new(id, AuthAction::Refresh, reply_tx.clone())
                                        .holding(under_way);
                                tokio::spawn(async move {
                                    let checked = transport.check_stored(tokens).await;
                                    reply.finish(checked.map(AuthOutcome::Tokens));
                                });
                            }
                            // A request under way opens the connection
                            // itself; a second one would race it and open
                            // another.
                            Job::Connect if Arc::strong_count(&busy) == 2 => {
                                tokio::spawn(async move {
                                    let _under_way = under_way;
                                    transport.connect().await;
                                });
                            }
                            Job::Connect => {}
                            // The wait is the player's, in the browser: it
                            // keeps no connection of the transport's open.
                            Job::Browser(browser, request) => {
                                let reply =
                                    PendingReply::new(id, AuthAction::SignIn, reply_tx.clone());
                                tokio::spawn(async move {
                                    let tokens = browser.sign_in(request).await;
                                    reply.finish(tokens.map(AuthOutcome::Tokens));
                                });
                            }
                            Job::BrowserSignOut(browser) => {
                                sign_outs.spawn(async move {
                                    if let Err(error) = browser.sign_out().await {
                                        tracing::warn!(%error, "the browser session was not ended");
                                    }
                                });
                            }
                        }
                        while sign_outs.try_join_next().is_some() {}
                    }
                    // Shutting down: a sign-out the player pressed just before
                    // quitting still gets a moment to reach the server.
                    let _ = tokio::time::timeout(SIGN_OUT_GRACE, async {
                        while sign_outs.join_next().await.is_some() {}
                    })
                    .await;
                });
                // Dropping the runtime drops the requests still running (each
                // `PendingReply` then reports `Cancelled`); blocking calls that
                // never return are left behind rather than waited for.
                runtime.shutdown_timeout(SHUTDOWN_LIMIT);
            })?;
        Ok(Self {
            requests: Some(request_tx),
            replies: reply_rx,
            dead_letters,
            next_id: AtomicU64::new(0),
            finished,
            runtime: handle,
        })
    }

    /// Queues a request and returns its id at once.
    pub fn send(&self, request: AuthRequest) -> RequestId {
        let action = request.action();
        self.queue(action, Job::Send(request))
    }

    /// Checks a session read from a store ([`Transport::check_stored`]) and
    /// returns the request's id at once. It is answered as a refresh is:
    /// [`AuthAction::Refresh`] with `Ok(AuthOutcome::Tokens(..))`, the
    /// tokens verified and their expiry set.
    pub fn check_stored(&self, tokens: Tokens) -> RequestId {
        self.queue(AuthAction::Refresh, Job::CheckStored(tokens))
    }

    /// Runs a browser sign-in ([`BrowserSignIn::sign_in`]) and returns its
    /// id at once. It is answered as a sign-in: [`AuthAction::SignIn`] with
    /// `Ok(AuthOutcome::Tokens(..))`, verified; [`BrowserSignIn::cancel`]
    /// ends it with [`AuthError::Cancelled`].
    pub fn sign_in_with_browser(
        &self,
        browser: &Arc<BrowserSignIn>,
        request: BrowserRequest,
    ) -> RequestId {
        self.queue(
            AuthAction::SignIn,
            Job::Browser(Arc::clone(browser), request),
        )
    }

    /// Ends the managed login's session in the browser
    /// ([`BrowserSignIn::sign_out`]) in the background, with a sign-out's
    /// grace at shutdown. Never blocks and is never answered.
    pub fn end_browser_session(&self, browser: &Arc<BrowserSignIn>) {
        if let Some(requests) = &self.requests {
            let id = RequestId(self.next_id.fetch_add(1, Ordering::Relaxed));
            let _ = requests.send((id, Job::BrowserSignOut(Arc::clone(browser))));
        }
    }

    fn queue(&self, action: AuthAction, job: Job) -> RequestId {
        let id = RequestId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let queued = self
            .requests
            .as_ref()
            .is_some_and(|requests| requests.send((id, job)).is_ok());
        if !queued {
            // The thread is gone (it can only stop by panicking): answer at once.
            PendingReply::new(id, action, self.dead_letters.clone())
                .finish(Err(AuthError::Cancelled));
        }
        id
    }

    /// Opens the connection to the backend ahead of the next request
    /// ([`Transport::connect`]), unless a request is under way (it keeps the
    /// connection open itself). Never blocks and is never answered. Call it
    /// when a sign-in screen opens, and again now and then while it stays
    /// open: the plugin's menu does.
    pub fn connect(&self) {
        if let Some(requests) = &self.requests {
            let id = RequestId(self.next_id.fetch_add(1, Ordering::Relaxed));
            let _ = requests.send((id, Job::Connect));
        }
    }

    /// Runs a blocking job on the worker's blocking pool, never on the
    /// caller's thread. The job reports back by its own means. Jobs still
    /// queued when the worker shuts down do not run; one still running is
    /// left behind, not waited for.
    pub fn run_blocking(&self, job: impl FnOnce() + Send + 'static) {
        drop(self.runtime.spawn_blocking(job));
    }

    /// The worker's runtime, for the game API's calls.
    pub(crate) fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
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
        // The thread ends within the grace and the shutdown limit; past
        // that (it cannot, short of a bug) it is left behind, never waited on.
        let limit = SIGN_OUT_GRACE + SHUTDOWN_LIMIT + Duration::from_millis(500);
        let _ = self.finished.recv_timeout(limit);
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
    /// Counts the request as under way until it is answered.
    _under_way: Option<Arc<()>>,
}

impl PendingReply {
    fn new(id: RequestId, action: AuthAction, replies: Sender<Reply>) -> Self {
        Self {
            id,
            action,
            replies: Some(replies),
            _under_way: None,
        }
    }

    fn holding(mut self, under_way: Arc<()>) -> Self {
        self._under_way = Some(under_way);
        self
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
