//! Calls to the game's own API through [`ApiQueue`]: a loopback API that
//! checks the bearer token, and a session whose refreshes a stand-in
//! transport answers with numbered tokens (`access-1`, `access-2`, …).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_login_client::session::{SessionMachine, WorkerIo};
use cognito_login_client::{
    ApiCall, ApiCallId, ApiError, ApiMethod, ApiQueue, ApiReply, AuthError, AuthOutcome,
    AuthRequest, AuthWorker, BoxFuture, GameApiClient, GameApiConfig, SessionPolicy, Tokens,
    Transport, TransportErrorKind,
};
use serde_json::{Value, json};

use crate::support::{self, header};

/// Answers each refresh with the next numbered tokens, `lifetime` seconds
/// left.
struct Refresher {
    refreshes: Arc<AtomicUsize>,
    lifetime: u64,
    /// While set, a refresh gets no answer.
    outage: Arc<AtomicBool>,
    /// Every refresh asked for, answered or not.
    attempts: Arc<AtomicUsize>,
}

impl Transport for Refresher {
    fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
        Box::pin(async move {
            assert!(
                matches!(request, AuthRequest::Refresh { .. }),
                "{request:?}"
            );
            // A refresh takes a moment, as on a network.
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.attempts.fetch_add(1, Ordering::SeqCst);
            if self.outage.load(Ordering::SeqCst) {
                return Err(AuthError::Transport {
                    kind: TransportErrorKind::Refused,
                    detail: "no network".into(),
                });
            }
            let n = self.refreshes.fetch_add(1, Ordering::SeqCst) + 2;
            Ok(AuthOutcome::Tokens(tokens(n, self.lifetime)))
        })
    }
}

/// Tokens of an hour's lifetime with `left` seconds of it left; the access
/// token's signature part names it (`access-2`).
fn tokens(n: usize, left: u64) -> Tokens {
    let now = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"iat": now + left - 3600, "exp": now + left});
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    Tokens::new(
        format!("e30.{payload}.access-{n}").into(),
        format!("id-{n}").into(),
        Some("refresh".into()),
        Some(left),
        SystemTime::now(),
    )
}

/// The bearer tokens the API saw, and how it answers each.
type Api = Arc<dyn Fn(&str) -> (u16, String) + Send + Sync>;

struct Game {
    worker: AuthWorker,
    machine: SessionMachine,
    queue: ApiQueue,
    client: GameApiClient,
    refreshes: Arc<AtomicUsize>,
    outage: Arc<AtomicBool>,
    attempts: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Game {
    /// A game signed in with `access-1`, living `lifetime` seconds.
    async fn signed_in(lifetime: u64, api: Api) -> Self {
        Self::signed_in_with(lifetime, api, SessionPolicy::default()).await
    }

    /// [`signed_in`](Self::signed_in), the session kept by `policy`.
    async fn signed_in_with(lifetime: u64, api: Api, policy: SessionPolicy) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let url = {
            let seen = Arc::clone(&seen);
            support::serve(Arc::new(move |head, _body| {
                let bearer = header(head, "authorization").unwrap_or_default();
                let bearer = bearer.rsplit('.').next().unwrap_or_default().to_owned();
                seen.lock().unwrap().push(bearer.clone());
                api(&bearer)
            }))
            .await
        };
        let refreshes = Arc::new(AtomicUsize::new(0));
        let outage = Arc::new(AtomicBool::new(false));
        let attempts = Arc::new(AtomicUsize::new(0));
        let worker = AuthWorker::spawn(Refresher {
            refreshes: Arc::clone(&refreshes),
            lifetime: 3600,
            outage: Arc::clone(&outage),
            attempts: Arc::clone(&attempts),
        })
        .unwrap();
        let client = GameApiClient::new(GameApiConfig::new(format!("{url}/v1")), &worker).unwrap();
        let mut machine = SessionMachine::new(SessionPolicy {
            remember: false,
            ..policy
        });
        let mut io = WorkerIo {
            worker: &worker,
            store: None,
        };
        machine.signed_in(&mut io, tokens(1, lifetime), SystemTime::now());
        Self {
            worker,
            machine,
            queue: ApiQueue::default(),
            client,
            refreshes,
            outage,
            attempts,
            seen,
        }
    }

    fn call(&mut self, path: &str) -> Result<ApiCallId, ApiError> {
        let mut io = WorkerIo {
            worker: &self.worker,
            store: None,
        };
        let call = ApiCall {
            method: ApiMethod::Put,
            path: path.into(),
            body: Some(json!({"best": 12})),
        };
        self.queue.call(
            &self.client,
            &mut self.machine,
            &mut io,
            call,
            Instant::now(),
            SystemTime::now(),
        )
    }

    /// Runs frames (the session's replies, then the queue) until `count`
    /// replies are out.
    async fn replies(&mut self, count: usize) -> Vec<ApiReply> {
        let mut replies = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while replies.len() < count {
            assert!(Instant::now() < deadline, "no reply within 10 s");
            tokio::time::sleep(Duration::from_millis(5)).await;
            let mut io = WorkerIo {
                worker: &self.worker,
                store: None,
            };
            while let Some(reply) = self.worker.try_recv() {
                assert!(self.machine.reply(&mut io, reply, Instant::now()).is_none());
            }
            self.queue.update(
                &self.client,
                &mut self.machine,
                &mut io,
                Instant::now(),
                SystemTime::now(),
            );
            while let Some(reply) = self.queue.next_reply() {
                replies.push(reply);
            }
        }
        replies
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn accepts(token: &'static str) -> Api {
    Arc::new(move |bearer| {
        if bearer == token {
            (200, json!({"version": 1}).to_string())
        } else {
            (401, json!({"message": "Unauthorized"}).to_string())
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_carries_the_sessions_token_and_returns_the_json() {
    let mut game = Game::signed_in(3600, accepts("access-1")).await;
    let id = game.call("/profile").unwrap();
    let replies = game.replies(1).await;
    assert_eq!(replies[0].id, id);
    assert_eq!(replies[0].result, Ok(json!({"version": 1})));
    assert_eq!(game.seen(), ["access-1"]);
    assert_eq!(game.refreshes.load(Ordering::SeqCst), 0);
    assert!(game.queue.is_idle());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_about_to_expire_is_refreshed_first_once_for_all_calls() {
    // Two minutes left of an hour: within the five-minute margin.
    let mut game = Game::signed_in(120, accepts("access-2")).await;
    game.call("/profile").unwrap();
    game.call("/scores").unwrap();
    let replies = game.replies(2).await;
    assert!(
        replies.iter().all(|reply| reply.result.is_ok()),
        "{replies:?}"
    );
    assert_eq!(game.seen(), ["access-2", "access-2"], "never the old token");
    assert_eq!(game.refreshes.load(Ordering::SeqCst), 1, "one refresh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_refreshed_and_the_call_tried_once_more() {
    let mut game = Game::signed_in(3600, accepts("access-2")).await;
    game.call("/profile").unwrap();
    let replies = game.replies(1).await;
    assert_eq!(replies[0].result, Ok(json!({"version": 1})));
    assert_eq!(game.seen(), ["access-1", "access-2"]);
    assert_eq!(game.refreshes.load(Ordering::SeqCst), 1);

    // Refused even after a refresh: once more, not forever.
    let mut game = Game::signed_in(3600, accepts("never")).await;
    game.call("/profile").unwrap();
    let replies = game.replies(1).await;
    assert_eq!(replies[0].result, Err(ApiError::Unauthorized));
    assert_eq!(game.seen().len(), 2);
    assert_eq!(game.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_calls_fail_at_once_and_answers_never_reach_the_next_player() {
    let slow: Api = Arc::new(|_| {
        std::thread::sleep(Duration::from_millis(300));
        (
            200,
            json!({"secret": "the previous player's save"}).to_string(),
        )
    });
    let mut game = Game::signed_in(3600, slow).await;
    game.call("/profile").unwrap();
    let mut io = WorkerIo {
        worker: &game.worker,
        store: None,
    };
    game.machine.sign_out(&mut io);
    // The next player signs in before the answer comes.
    game.machine
        .signed_in(&mut io, tokens(9, 3600), SystemTime::now());
    let replies = game.replies(1).await;
    assert_eq!(replies[0].result, Err(ApiError::SignedOut));

    let mut io = WorkerIo {
        worker: &game.worker,
        store: None,
    };
    game.machine.sign_out(&mut io);
    assert_eq!(game.call("/profile"), Err(ApiError::SignedOut));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apis_own_errors_keep_their_status_and_words() {
    let conflict: Api = Arc::new(|_| {
        (
            409,
            json!({"__type": "ConflictException", "message": "the profile changed"}).to_string(),
        )
    });
    let mut game = Game::signed_in(3600, conflict).await;
    game.call("/profile").unwrap();
    let replies = game.replies(1).await;
    let Err(ApiError::Failed(AuthError::Server {
        status, message, ..
    })) = &replies[0].result
    else {
        panic!("{replies:?}")
    };
    assert_eq!((*status, message.as_str()), (409, "the profile changed"));
    let error = replies[0].result.clone().unwrap_err();
    assert_eq!(
        error.player_message(),
        "The game's server refused: the profile changed"
    );

    let empty: Api = Arc::new(|_| (204, String::new()));
    let mut game = Game::signed_in(3600, empty).await;
    game.call("/profile").unwrap();
    assert_eq!(game.replies(1).await[0].result, Ok(Value::Null));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_never_takes_the_token_off_the_apis_base_url() {
    let mut game = Game::signed_in(3600, accepts("access-1")).await;
    for path in [
        "https://evil.example/steal",
        "../admin",
        "http://127.0.0.1:9/other-port",
    ] {
        game.call(path).unwrap();
        let reply = game.replies(1).await.remove(0);
        match reply.result {
            Err(ApiError::Failed(AuthError::Config(reason))) => {
                assert!(reason.contains("leaves the API"), "{path}: {reason}")
            }
            other => panic!("{path}: {other:?}"),
        }
    }
    assert!(game.seen().is_empty(), "no request went anywhere");
    // Below the base, a path goes through (`//host/x` is a path there too).
    game.call("//evil.example/profile").unwrap();
    assert!(game.replies(1).await[0].result.is_ok());
    assert_eq!(game.seen(), ["access-1"]);
}

#[test]
fn a_plain_http_api_off_loopback_is_refused() {
    let worker = AuthWorker::spawn(Refresher {
        refreshes: Arc::default(),
        lifetime: 3600,
        outage: Arc::default(),
        attempts: Arc::default(),
    })
    .unwrap();
    let error =
        GameApiClient::new(GameApiConfig::new("http://api.example.com"), &worker).unwrap_err();
    assert!(error.to_string().contains("https"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_a_call_with_an_expired_token_says_so_and_the_next_one_goes_once_online() {
    // The token has expired and the login server cannot be reached. No
    // minimum interval: each call may try the refresh again.
    let policy = SessionPolicy {
        min_refresh_interval: Duration::ZERO,
        ..SessionPolicy::default()
    };
    let mut game = Game::signed_in_with(0, accepts("access-2"), policy).await;
    game.outage.store(true, Ordering::SeqCst);
    game.call("/profile").unwrap();
    let replies = game.replies(1).await;
    assert_eq!(replies[0].result, Err(ApiError::Offline));
    assert_eq!(
        ApiError::Offline.player_message(),
        "You are offline. This needs a connection to the game's server."
    );
    assert!(game.machine.offline());
    assert!(game.seen().is_empty(), "an expired token is not sent");

    game.outage.store(false, Ordering::SeqCst);
    game.call("/profile").unwrap();
    let replies = game.replies(1).await;
    assert_eq!(replies[0].result, Ok(json!({"version": 1})));
    assert!(!game.machine.offline(), "the refresh before it got through");
    assert_eq!(game.seen(), ["access-2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_never_refresh_more_often_than_the_session_allows() {
    // Two minutes left: every call finds the token due.
    let mut game = Game::signed_in(120, accepts("access-1")).await;
    game.outage.store(true, Ordering::SeqCst);
    for _ in 0..5 {
        game.call("/profile").unwrap();
        let replies = game.replies(1).await;
        assert!(replies[0].result.is_ok(), "sent with the token there is");
    }
    assert_eq!(
        game.attempts.load(Ordering::SeqCst),
        1,
        "one refresh in the minimum interval, not one per call"
    );
    assert_eq!(game.seen(), ["access-1"; 5]);
}
