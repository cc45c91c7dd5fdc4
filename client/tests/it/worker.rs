//! The background worker with a canned transport: ids, never blocking, and a
//! clean shutdown with thousands of requests in flight.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cognito_login_client::{
    AuthAction, AuthError, AuthOutcome, AuthRequest, AuthWorker, BoxFuture, Transport,
};

/// Answers every request after `delay`; panics on a `ForgotPassword`.
struct Canned {
    delay: Duration,
    finished: Arc<AtomicUsize>,
}

impl Transport for Canned {
    fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
        Box::pin(async move {
            tokio::time::sleep(self.delay).await;
            if let AuthRequest::ForgotPassword { .. } = request {
                panic!("canned transport refuses ForgotPassword");
            }
            self.finished.fetch_add(1, Ordering::SeqCst);
            Ok(AuthOutcome::SignedOut)
        })
    }
}

fn canned(delay: Duration) -> (Canned, Arc<AtomicUsize>) {
    let finished = Arc::new(AtomicUsize::new(0));
    let transport = Canned {
        delay,
        finished: Arc::clone(&finished),
    };
    (transport, finished)
}

fn sign_out() -> AuthRequest {
    AuthRequest::SignOut {
        refresh_token: Some("r".into()),
    }
}

fn resend() -> AuthRequest {
    AuthRequest::ResendCode {
        username: "ada".into(),
    }
}

#[test]
fn replies_carry_the_id_and_action_of_their_request() {
    let (transport, _) = canned(Duration::from_millis(5));
    let worker = AuthWorker::spawn(transport).unwrap();
    let first = worker.send(sign_out());
    let second = worker.send(AuthRequest::ResendCode {
        username: "ada".into(),
    });
    assert_ne!(first, second);
    let mut seen = HashSet::new();
    for _ in 0..2 {
        let reply = worker
            .replies()
            .recv_timeout(Duration::from_secs(5))
            .unwrap();
        let expected = if reply.id == first {
            AuthAction::SignOut
        } else {
            AuthAction::ResendCode
        };
        assert_eq!(reply.action, expected);
        assert_eq!(reply.result, Ok(AuthOutcome::SignedOut));
        seen.insert(reply.id);
    }
    assert_eq!(seen, HashSet::from([first, second]));
    assert!(worker.try_recv().is_none());
}

#[test]
fn a_panicking_request_is_reported_and_the_worker_keeps_going() {
    let (transport, _) = canned(Duration::ZERO);
    let worker = AuthWorker::spawn(transport).unwrap();
    let doomed = worker.send(AuthRequest::ForgotPassword {
        username: "ada".into(),
    });
    let reply = worker
        .replies()
        .recv_timeout(Duration::from_secs(5))
        .unwrap();
    assert_eq!(
        (reply.id, reply.result),
        (doomed, Err(AuthError::Cancelled))
    );
    let fine = worker.send(sign_out());
    let reply = worker
        .replies()
        .recv_timeout(Duration::from_secs(5))
        .unwrap();
    assert_eq!((reply.id, reply.result), (fine, Ok(AuthOutcome::SignedOut)));
}

#[test]
fn dropping_with_thousands_in_flight_accounts_for_every_request_and_joins() {
    const REQUESTS: usize = 5_000;
    let (transport, finished) = canned(Duration::from_secs(1));
    let worker = AuthWorker::spawn(transport).unwrap();
    let replies = worker.replies().clone();

    let started = Instant::now();
    let ids: HashSet<_> = (0..REQUESTS).map(|_| worker.send(resend())).collect();
    let sending = started.elapsed();
    assert_eq!(ids.len(), REQUESTS);
    // Sending queues and returns: far less than one request's 1 s delay.
    assert!(
        sending < Duration::from_millis(500),
        "sending took {sending:?}"
    );

    // Let a first batch finish, then shut down with the rest in flight.
    let first = replies.recv_timeout(Duration::from_secs(10)).unwrap();
    drop(worker); // waits for the thread, a bounded time

    let mut seen = HashSet::from([first.id]);
    let (mut done, mut cancelled) = (0, 0);
    for reply in std::iter::once(first).chain(replies.try_iter()) {
        seen.insert(reply.id);
        match reply.result {
            Ok(_) => done += 1,
            Err(AuthError::Cancelled) => cancelled += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ids, "every request answered exactly once");
    assert_eq!(done + cancelled, REQUESTS);
    assert_eq!(done, finished.load(Ordering::SeqCst));
    assert!(
        cancelled > 0,
        "some requests were still in flight at the drop"
    );
    // The sending side is gone with the worker: the channel is closed.
    assert!(replies.recv_timeout(Duration::from_millis(10)).is_err());
}

#[test]
fn a_sign_out_in_flight_gets_a_grace() {
    let (transport, finished) = canned(Duration::from_millis(400));
    let worker = AuthWorker::spawn(transport).unwrap();
    let replies = worker.replies().clone();
    let signed_out = worker.send(sign_out());
    std::thread::sleep(Duration::from_millis(50));
    let quit = Instant::now();
    drop(worker);
    assert!(quit.elapsed() < cognito_login_client::SIGN_OUT_GRACE + Duration::from_secs(1));
    let answers: Vec<_> = replies.try_iter().map(|r| (r.id, r.result)).collect();
    assert!(
        answers.contains(&(signed_out, Ok(AuthOutcome::SignedOut))),
        "{answers:?}"
    );
    assert_eq!(finished.load(Ordering::SeqCst), 1);
}

#[test]
fn a_sign_out_that_never_returns_does_not_hold_up_the_drop() {
    let (transport, _) = canned(Duration::from_secs(3600));
    let worker = AuthWorker::spawn(transport).unwrap();
    worker.send(sign_out());
    // A blocking call that never returns, on the worker's own pool.
    worker.run_blocking(|| std::thread::sleep(Duration::from_secs(3600)));
    std::thread::sleep(Duration::from_millis(50));
    let quit = Instant::now();
    drop(worker);
    let took = quit.elapsed();
    assert!(
        took < cognito_login_client::SIGN_OUT_GRACE + Duration::from_secs(2),
        "dropping took {took:?}"
    );
}
