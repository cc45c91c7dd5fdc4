//! The session machine with a recording `SessionIo`: no worker, no store.

use super::*;
use crate::error::{ServerErrorKind, TransportErrorKind};
use crate::request::AuthAction;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::UNIX_EPOCH;

#[derive(Default)]
struct Io {
    next: u64,
    sent: Vec<(RequestId, AuthRequest)>,
    checks: Vec<(RequestId, Tokens)>,
    jobs: Vec<(Generation, StoreJob)>,
}

impl SessionIo for Io {
    fn send(&mut self, request: AuthRequest) -> RequestId {
        self.next += 1;
        self.sent.push((RequestId(self.next), request));
        RequestId(self.next)
    }

    fn check_stored(&mut self, tokens: Tokens) -> RequestId {
        self.next += 1;
        self.checks.push((RequestId(self.next), tokens));
        RequestId(self.next)
    }

    fn store(&mut self, generation: Generation, job: StoreJob) {
        self.jobs.push((generation, job));
    }
}

impl Io {
    fn last_sent(&self) -> RequestId {
        self.sent.last().expect("a request was sent").0
    }

    fn clears(&self) -> usize {
        self.jobs
            .iter()
            .filter(|(_, job)| *job == StoreJob::Clear)
            .count()
    }

    fn saves(&self) -> usize {
        self.jobs
            .iter()
            .filter(|(_, job)| matches!(job, StoreJob::Save(_)))
            .count()
    }
}

fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Tokens of `sub` that live `lifetime` seconds, `left` of them still to go.
fn tokens(sub: &str, lifetime: u64, left: u64) -> Tokens {
    let now = SystemTime::now();
    let exp = unix(now) + left;
    let claims = format!(r#"{{"sub":"{sub}","iat":{},"exp":{exp}}}"#, exp - lifetime);
    let jwt = format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(claims));
    Tokens {
        access_token: jwt.clone().into(),
        id_token: jwt.into(),
        refresh_token: Some(format!("refresh-{sub}").into()),
        expires_at: Some(now + Duration::from_secs(left)),
        new_device: None,
        from_browser: false,
        signing_keys: None,
    }
}

/// Tokens of `sub` whose access token expired a minute ago.
fn expired(sub: &str) -> Tokens {
    let mut expired = tokens(sub, 3600, 0);
    expired.expires_at = Some(SystemTime::now() - Duration::from_secs(60));
    expired
}

fn reply(id: RequestId, result: Result<AuthOutcome, AuthError>) -> Reply {
    Reply {
        id,
        action: AuthAction::Refresh,
        result,
    }
}

fn server(kind: ServerErrorKind, status: u16) -> AuthError {
    AuthError::Server {
        kind,
        message: String::new(),
        status,
    }
}

fn events(machine: &mut SessionMachine) -> Vec<SessionEvent> {
    std::iter::from_fn(|| machine.next_event()).collect()
}

fn signed_in(sub: &str, lifetime: u64, left: u64) -> (SessionMachine, Io) {
    let (mut machine, mut io) = (SessionMachine::new(SessionPolicy::default()), Io::default());
    machine.signed_in(&mut io, tokens(sub, lifetime, left), SystemTime::now());
    events(&mut machine);
    (machine, io)
}

#[test]
fn a_sign_out_during_a_refresh_is_final() {
    let (mut machine, mut io) = signed_in("ada", 3600, 60);
    let now = Instant::now();
    machine.tick(&mut io, now, SystemTime::now());
    let refresh = io.last_sent();
    assert!(machine.sign_out(&mut io).is_some());
    let fresh = tokens("ada", 3600, 3600);
    assert_eq!(
        machine.reply(&mut io, reply(refresh, Ok(AuthOutcome::Tokens(fresh))), now),
        None,
        "the stale answer is the machine's, and dropped"
    );
    assert_eq!(machine.phase(), SessionPhase::SignedOut);
    assert!(events(&mut machine).is_empty());
    assert_eq!(
        io.saves(),
        1,
        "only the sign-in was saved, never the stale refresh"
    );
}

#[test]
fn a_stale_answer_never_touches_the_next_players_session() {
    let (mut machine, mut io) = signed_in("ada", 3600, 60);
    let now = Instant::now();
    machine.tick(&mut io, now, SystemTime::now());
    let refresh = io.last_sent();
    machine.sign_out(&mut io);
    let bea = tokens("bea", 3600, 3600);
    machine.signed_in(&mut io, bea.clone(), SystemTime::now());
    events(&mut machine);
    for stale in [
        Ok(AuthOutcome::Tokens(tokens("ada", 3600, 3600))),
        Err(server(ServerErrorKind::NotAuthorized, 400)),
    ] {
        machine.reply(&mut io, reply(refresh, stale), now);
        assert_eq!(machine.tokens(), Some(&bea));
        assert!(events(&mut machine).is_empty());
    }
    let clears = io.clears();
    assert_eq!(clears, 1, "only the sign-out cleared");
}

#[test]
fn short_lived_tokens_refresh_calmly() {
    // Five-minute tokens with the default five-minute margin.
    let (mut machine, mut io) = signed_in("ada", 300, 300);
    let start = Instant::now();
    let wall = SystemTime::now();
    machine.tick(&mut io, start, wall);
    assert!(
        io.sent.is_empty(),
        "half the lifetime is left before the first refresh"
    );
    machine.tick(&mut io, start, wall + Duration::from_secs(151));
    assert_eq!(io.sent.len(), 1);
    let id = io.last_sent();
    machine.reply(
        &mut io,
        reply(id, Ok(AuthOutcome::Tokens(tokens("ada", 300, 300)))),
        start,
    );
    for frame in 0..1000 {
        machine.tick(
            &mut io,
            start + Duration::from_millis(frame),
            wall + Duration::from_secs(151),
        );
    }
    assert_eq!(io.sent.len(), 1, "no refresh every frame");
    // Even when tokens come back already due, refreshes stay apart.
    let id = {
        machine.tick(
            &mut io,
            start + Duration::from_secs(31),
            wall + Duration::from_secs(400),
        );
        io.last_sent()
    };
    machine.reply(
        &mut io,
        reply(id, Ok(AuthOutcome::Tokens(tokens("ada", 300, 10)))),
        start,
    );
    machine.tick(
        &mut io,
        start + Duration::from_secs(40),
        wall + Duration::from_secs(400),
    );
    assert_eq!(io.sent.len(), 2, "the minimum interval holds");
    machine.tick(
        &mut io,
        start + Duration::from_secs(62),
        wall + Duration::from_secs(400),
    );
    assert_eq!(io.sent.len(), 3);
}

#[test]
fn only_an_explicit_refusal_ends_the_session() {
    let keeps = [
        server(ServerErrorKind::Unknown("Forbidden".into()), 403),
        server(ServerErrorKind::Unsupported, 404),
        server(ServerErrorKind::LimitExceeded, 400),
        AuthError::Cancelled,
        AuthError::InvalidToken("unknown key".into()),
        AuthError::Malformed {
            status: 403,
            reason: "html".into(),
            body: RawBody::default(),
        },
        AuthError::Transport {
            kind: TransportErrorKind::Refused,
            detail: String::new(),
        },
    ];
    for error in keeps {
        let (mut machine, mut io) = signed_in("ada", 3600, 60);
        let now = Instant::now();
        machine.tick(&mut io, now, SystemTime::now());
        let id = io.last_sent();
        machine.reply(&mut io, reply(id, Err(error.clone())), now);
        assert_eq!(machine.phase(), SessionPhase::SignedIn, "{error}");
        assert_eq!(io.clears(), 0, "{error}");
        machine.tick(&mut io, now + Duration::from_secs(1), SystemTime::now());
        assert_eq!(io.sent.len(), 1, "{error}: backs off");
    }
    for kind in [
        ServerErrorKind::NotAuthorized,
        ServerErrorKind::RefreshTokenReuse,
        ServerErrorKind::UserNotFound,
        ServerErrorKind::PasswordResetRequired,
    ] {
        let (mut machine, mut io) = signed_in("ada", 3600, 60);
        let now = Instant::now();
        machine.tick(&mut io, now, SystemTime::now());
        let error = server(kind, 400);
        let id = io.last_sent();
        machine.reply(&mut io, reply(id, Err(error.clone())), now);
        assert_eq!(machine.phase(), SessionPhase::SignedOut);
        assert_eq!(events(&mut machine), [SessionEvent::Ended(error)]);
        assert_eq!(io.clears(), 1);
    }
}

#[test]
fn a_store_failure_stops_saves_never_clears() {
    let (mut machine, mut io) = (SessionMachine::new(SessionPolicy::default()), Io::default());
    machine.restore(&mut io, Instant::now());
    load(
        &mut machine,
        &mut io,
        Err(StoreError::Unavailable("locked".into())),
    );
    assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
    machine.signed_in(&mut io, tokens("ada", 3600, 3600), SystemTime::now());
    assert_eq!(io.saves(), 0, "no more saves");
    machine.sign_out(&mut io);
    assert_eq!(io.clears(), 1, "the clear still runs");
    let generation = machine.generation();
    machine.stored(
        &mut io,
        StoreReply {
            generation,
            job: StoreJobKind::Clear,
            result: Err(StoreError::Failed("D-Bus".into())),
        },
    );
    assert_eq!(
        events(&mut machine).last(),
        Some(&SessionEvent::ForgetFailed(StoreError::Failed(
            "D-Bus".into()
        )))
    );
}

/// The store answers the restore's load.
fn load(machine: &mut SessionMachine, io: &mut Io, result: Result<Option<Tokens>, StoreError>) {
    let generation = machine.generation();
    machine.stored(
        io,
        StoreReply {
            generation,
            job: StoreJobKind::Load,
            result,
        },
    );
}

fn restoring(stored: Tokens) -> (SessionMachine, Io, RequestId) {
    let (mut machine, mut io) = (SessionMachine::new(SessionPolicy::default()), Io::default());
    machine.restore(&mut io, Instant::now());
    load(&mut machine, &mut io, Ok(Some(stored)));
    let check = io.checks.last().expect("the stored session is checked").0;
    (machine, io, check)
}

#[test]
fn a_restored_session_is_verified_first() {
    let stored = tokens("ada", 3600, 3600);
    let (mut machine, mut io, check) = restoring(stored.clone());
    assert_eq!(machine.phase(), SessionPhase::Restoring);
    machine.reply(
        &mut io,
        reply(check, Ok(AuthOutcome::Tokens(stored.clone()))),
        Instant::now(),
    );
    assert_eq!(
        events(&mut machine),
        [SessionEvent::SignedIn {
            tokens: stored,
            restored: true
        }]
    );
    assert!(io.sent.is_empty(), "no request");
}

#[test]
fn a_stored_session_that_fails_its_check_is_refreshed_or_forgotten() {
    let planted = tokens("mallory", 3600, 3600);
    let (mut machine, mut io, check) = restoring(planted.clone());
    let refused = Err(AuthError::InvalidToken("bad signature".into()));
    machine.reply(&mut io, reply(check, refused.clone()), Instant::now());
    assert!(events(&mut machine).is_empty(), "not signed in");
    let refresh = io.last_sent();
    machine.reply(
        &mut io,
        reply(refresh, Err(server(ServerErrorKind::NotAuthorized, 400))),
        Instant::now(),
    );
    assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
    assert_eq!(io.clears(), 1, "forgotten");

    let no_refresh = Tokens {
        refresh_token: None,
        ..planted
    };
    let (mut machine, mut io, check) = restoring(no_refresh);
    machine.reply(&mut io, reply(check, refused), Instant::now());
    assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
    assert_eq!(io.clears(), 1);
    assert!(io.sent.is_empty());
}

#[test]
fn an_expired_stored_session_is_refreshed_once() {
    let expired = expired("ada");
    let (mut machine, mut io, check) = restoring(expired.clone());
    machine.reply(
        &mut io,
        reply(check, Ok(AuthOutcome::Tokens(expired))),
        Instant::now(),
    );
    assert_eq!(io.sent.len(), 1);
    let fresh = tokens("ada", 3600, 3600);
    let id = io.last_sent();
    machine.reply(
        &mut io,
        reply(id, Ok(AuthOutcome::Tokens(fresh.clone()))),
        Instant::now(),
    );
    assert_eq!(
        events(&mut machine),
        [SessionEvent::SignedIn {
            tokens: fresh,
            restored: true
        }]
    );
    assert_eq!(io.saves(), 1, "the refreshed session is stored");
}

#[test]
fn a_browser_session_stays_one_through_restores_and_refreshes() {
    let browser = |sub: &str, left: u64| Tokens {
        from_browser: true,
        ..tokens(sub, 3600, left)
    };
    // The transports answer with tokens of their own making: the flag is
    // the machine's to carry.
    let answered = |sub: &str, left: u64| AuthOutcome::Tokens(tokens(sub, 3600, left));
    let signed_in_from = |machine: &mut SessionMachine| match events(machine).as_slice() {
        [SessionEvent::SignedIn { tokens, .. }] => tokens.from_browser,
        other => panic!("expected a sign-in, got {other:?}"),
    };

    let (mut machine, mut io, check) = restoring(browser("ada", 3600));
    machine.reply(
        &mut io,
        reply(check, Ok(answered("ada", 3600))),
        Instant::now(),
    );
    assert!(signed_in_from(&mut machine), "restored as checked");

    let (mut machine, mut io, check) = restoring(browser("ada", 0));
    machine.reply(
        &mut io,
        reply(check, Ok(answered("ada", 0))),
        Instant::now(),
    );
    let refresh = io.last_sent();
    machine.reply(
        &mut io,
        reply(refresh, Ok(answered("ada", 3600))),
        Instant::now(),
    );
    assert!(signed_in_from(&mut machine), "restored by a refresh");
    let saved = |io: &Io| match io.jobs.last() {
        Some((_, StoreJob::Save(tokens))) => tokens.from_browser,
        other => panic!("expected a save, got {other:?}"),
    };
    assert!(saved(&io), "kept as such in the store");

    machine.refresh_now(&mut io, Instant::now());
    let refresh = io.last_sent();
    machine.reply(
        &mut io,
        reply(refresh, Ok(answered("ada", 3600))),
        Instant::now(),
    );
    assert!(matches!(
        events(&mut machine).as_slice(),
        [SessionEvent::Refreshed(tokens)] if tokens.from_browser
    ));
    assert!(saved(&io), "and after a refresh");
    assert!(
        machine
            .sign_out(&mut io)
            .is_some_and(|tokens| tokens.from_browser)
    );
}

#[test]
fn a_silent_store_gives_up_and_its_late_answer_is_dropped() {
    let (mut machine, mut io) = (SessionMachine::new(SessionPolicy::default()), Io::default());
    let start = Instant::now();
    machine.restore(&mut io, start);
    let generation = machine.generation();
    machine.tick(&mut io, start + Duration::from_secs(6), SystemTime::now());
    assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
    machine.stored(
        &mut io,
        StoreReply {
            generation,
            job: StoreJobKind::Load,
            result: Ok(Some(tokens("ada", 3600, 3600))),
        },
    );
    assert!(io.checks.is_empty());
    assert_eq!(machine.phase(), SessionPhase::SignedOut);
}

#[test]
fn a_corrupt_store_entry_is_forgotten() {
    let (mut machine, mut io) = (SessionMachine::new(SessionPolicy::default()), Io::default());
    machine.restore(&mut io, Instant::now());
    load(
        &mut machine,
        &mut io,
        Err(StoreError::Corrupt("not JSON".into())),
    );
    assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
    assert_eq!(io.clears(), 1);
}

#[test]
fn without_remember_me_a_sign_in_clears_instead_of_saving() {
    let (mut machine, mut io) = (
        SessionMachine::new(SessionPolicy {
            remember: false,
            ..SessionPolicy::default()
        }),
        Io::default(),
    );
    machine.signed_in(&mut io, tokens("ada", 3600, 3600), SystemTime::now());
    assert_eq!((io.saves(), io.clears()), (0, 1));
}

#[test]
fn failed_refreshes_are_retried_spread_over_a_doubling_window() {
    use super::retry_delay;
    let secs = |failures, unit| retry_delay(failures, unit).as_secs_f64();
    for (failures, ceiling) in [
        (1, 10.0),
        (2, 20.0),
        (3, 40.0),
        (5, 160.0),
        (6, 300.0),
        (40, 300.0),
    ] {
        assert_eq!(secs(failures, 1.0), ceiling, "{failures}");
        assert_eq!(secs(failures, 0.0), ceiling / 2.0, "{failures}");
        assert_eq!(secs(failures, 0.5), ceiling * 0.75, "{failures}");
    }
    assert_eq!(secs(1, 7.0), 10.0, "the unit is clamped");

    // After a failure the machine waits within the first window.
    let (mut machine, mut io) = signed_in("ada", 3600, 60);
    let now = Instant::now();
    machine.tick(&mut io, now, SystemTime::now());
    let id = io.last_sent();
    let outage = AuthError::Transport {
        kind: TransportErrorKind::Refused,
        detail: String::new(),
    };
    machine.reply(&mut io, reply(id, Err(outage)), now);
    let retry = machine.retry_at.expect("a retry is planned") - now;
    assert!(
        (Duration::from_secs(5)..=Duration::from_secs(10)).contains(&retry),
        "{retry:?}"
    );
}

#[test]
fn a_rotated_refresh_token_replaces_its_predecessor() {
    let (mut machine, mut io) = signed_in("ada", 3600, 60);
    let now = Instant::now();
    machine.tick(&mut io, now, SystemTime::now());
    let mut rotated = tokens("ada", 3600, 60);
    rotated.refresh_token = Some("refresh-ada-2".into());
    let id = io.last_sent();
    machine.reply(&mut io, reply(id, Ok(AuthOutcome::Tokens(rotated))), now);
    assert!(
        matches!(&io.jobs.last(), Some((_, StoreJob::Save(saved))) if saved.refresh_token.as_ref().unwrap().expose() == "refresh-ada-2"),
        "the new token is kept"
    );
    // The next refresh (the answer's tokens are as short-lived) sends it.
    let later = now + Duration::from_secs(3600);
    machine.tick(&mut io, later, SystemTime::now());
    let refreshes: Vec<&str> = io
        .sent
        .iter()
        .filter_map(|(_, request)| match request {
            AuthRequest::Refresh { refresh_token, .. } => Some(refresh_token.expose()),
            _ => None,
        })
        .collect();
    assert_eq!(refreshes, ["refresh-ada", "refresh-ada-2"]);
}

fn outage() -> AuthError {
    AuthError::Transport {
        kind: TransportErrorKind::Refused,
        detail: String::new(),
    }
}

/// `tokens` as the check returns them when the pool's keys were out of
/// reach and the keys stored with them verified them.
fn verified_offline(mut tokens: Tokens) -> Tokens {
    tokens.signing_keys = Some(SigningKeys::stored(r#"{"keys":[]}"#));
    tokens
}

#[test]
fn a_session_checked_without_network_plays_offline_until_a_refresh_gets_through() {
    let stored = tokens("ada", 3600, 3600);
    let (mut machine, mut io, check) = restoring(stored.clone());
    let now = Instant::now();
    let offline = verified_offline(stored);
    machine.reply(
        &mut io,
        reply(check, Ok(AuthOutcome::Tokens(offline.clone()))),
        now,
    );
    assert_eq!(
        events(&mut machine),
        [
            SessionEvent::SignedIn {
                tokens: offline,
                restored: true
            },
            SessionEvent::Offline
        ]
    );
    assert!(machine.offline());
    assert_eq!(machine.phase(), SessionPhase::SignedIn);
    machine.tick(&mut io, now + Duration::from_secs(4), SystemTime::now());
    assert!(io.sent.is_empty(), "nothing before the backoff");
    machine.tick(&mut io, now + Duration::from_secs(11), SystemTime::now());
    assert_eq!(io.sent.len(), 1, "the session is confirmed once it can be");

    // Still no answer: still signed in, offline, nothing forgotten, one event.
    let later = now + Duration::from_secs(11);
    let id = io.last_sent();
    machine.reply(&mut io, reply(id, Err(outage())), later);
    assert!(events(&mut machine).is_empty());
    assert!(machine.offline());
    assert_eq!(io.clears(), 0);
    machine.tick(&mut io, later + Duration::from_secs(29), SystemTime::now());
    assert_eq!(io.sent.len(), 1, "refreshes stay 30 s apart");
    machine.tick(&mut io, later + Duration::from_secs(30), SystemTime::now());
    assert_eq!(io.sent.len(), 2, "past the doubled window (10 to 20 s)");

    let fresh = tokens("ada", 3600, 3600);
    let id = io.last_sent();
    machine.reply(
        &mut io,
        reply(id, Ok(AuthOutcome::Tokens(fresh.clone()))),
        later + Duration::from_secs(30),
    );
    assert_eq!(
        events(&mut machine),
        [SessionEvent::Refreshed(fresh), SessionEvent::Online]
    );
    assert!(!machine.offline());
    assert_eq!(io.saves(), 1);
}

#[test]
fn an_expired_session_stays_signed_in_offline_when_its_refresh_gets_no_answer() {
    let no_answer = [
        outage(),
        AuthError::Malformed {
            status: 502,
            reason: "bad gateway".into(),
            body: RawBody::default(),
        },
        server(ServerErrorKind::InternalError, 500),
    ];
    for error in no_answer {
        let expired = expired("ada");
        let (mut machine, mut io, check) = restoring(expired.clone());
        let now = Instant::now();
        machine.reply(
            &mut io,
            reply(check, Ok(AuthOutcome::Tokens(expired.clone()))),
            now,
        );
        let id = io.last_sent();
        machine.reply(&mut io, reply(id, Err(error.clone())), now);
        assert_eq!(
            events(&mut machine),
            [
                SessionEvent::SignedIn {
                    tokens: expired,
                    restored: true
                },
                SessionEvent::Offline
            ],
            "{error}"
        );
        assert_eq!(io.clears(), 0, "{error}");
        assert!(machine.refresh_due(SystemTime::now()), "{error}");
        machine.tick(&mut io, now + Duration::from_secs(1), SystemTime::now());
        assert_eq!(io.sent.len(), 1, "{error}: backs off");
    }

    // A refusal still ends it.
    let expired = expired("ada");
    let (mut machine, mut io, check) = restoring(expired.clone());
    machine.reply(
        &mut io,
        reply(check, Ok(AuthOutcome::Tokens(expired))),
        Instant::now(),
    );
    let refused = Err(server(ServerErrorKind::NotAuthorized, 400));
    let id = io.last_sent();
    machine.reply(&mut io, reply(id, refused), Instant::now());
    assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
    assert_eq!(io.clears(), 1);
}

#[test]
fn a_session_that_was_never_verified_is_never_signed_in_offline() {
    for check_error in [outage(), AuthError::InvalidToken("bad signature".into())] {
        let (mut machine, mut io, check) = restoring(tokens("mallory", 3600, 3600));
        let now = Instant::now();
        machine.reply(&mut io, reply(check, Err(check_error.clone())), now);
        let id = io.last_sent();
        machine.reply(&mut io, reply(id, Err(outage())), now);
        assert_eq!(
            events(&mut machine),
            [SessionEvent::NotRestored],
            "{check_error}"
        );
        assert!(!machine.offline());
    }
}

#[test]
fn a_refresh_without_an_answer_goes_offline_and_an_answer_brings_its_retry_forward() {
    let policy = SessionPolicy {
        min_refresh_interval: Duration::ZERO,
        ..SessionPolicy::default()
    };
    let (mut machine, mut io) = (SessionMachine::new(policy), Io::default());
    machine.signed_in(&mut io, tokens("ada", 3600, 60), SystemTime::now());
    events(&mut machine);
    let now = Instant::now();
    machine.tick(&mut io, now, SystemTime::now());
    let id = io.last_sent();
    machine.reply(&mut io, reply(id, Err(outage())), now);
    assert_eq!(events(&mut machine), [SessionEvent::Offline]);
    assert_eq!(machine.phase(), SessionPhase::SignedIn);

    // A request of the game's is answered: the server is back.
    let soon = now + Duration::from_secs(1);
    let theirs = Reply {
        id: RequestId(1_000),
        action: AuthAction::GetAccount,
        result: Ok(AuthOutcome::SignedOut),
    };
    assert!(machine.reply(&mut io, theirs.clone(), soon).is_some());
    assert_eq!(io.sent.len(), 2, "the refresh is tried at once");
    machine.reply(&mut io, theirs.clone(), soon);
    assert_eq!(io.sent.len(), 2, "once");
    let fresh = tokens("ada", 3600, 3600);
    let id = io.last_sent();
    machine.reply(
        &mut io,
        reply(id, Ok(AuthOutcome::Tokens(fresh.clone()))),
        soon,
    );
    assert_eq!(
        events(&mut machine),
        [SessionEvent::Refreshed(fresh), SessionEvent::Online]
    );
    machine.reply(&mut io, theirs, soon);
    assert_eq!(io.sent.len(), 2, "online, an answer sends nothing");

    // Throttling is an answer, not an outage.
    let (mut machine, mut io) = signed_in("ada", 3600, 60);
    machine.tick(&mut io, now, SystemTime::now());
    let throttled = Err(server(ServerErrorKind::TooManyRequests, 429));
    let id = io.last_sent();
    machine.reply(&mut io, reply(id, throttled), now);
    assert!(events(&mut machine).is_empty());
    assert!(!machine.offline());

    // A sign-out ends the offline state with the session.
    let (mut machine, mut io) = signed_in("ada", 3600, 60);
    machine.tick(&mut io, now, SystemTime::now());
    let id = io.last_sent();
    machine.reply(&mut io, reply(id, Err(outage())), now);
    assert!(machine.offline());
    machine.sign_out(&mut io);
    assert!(!machine.offline());
}

#[test]
fn a_refresh_that_returns_another_players_tokens_is_refused() {
    let (mut machine, mut io) = signed_in("ada", 3600, 60);
    let now = Instant::now();
    machine.tick(&mut io, now, SystemTime::now());
    let mallory = Ok(AuthOutcome::Tokens(tokens("mallory", 3600, 3600)));
    let id = io.last_sent();
    machine.reply(&mut io, reply(id, mallory.clone()), now);
    assert!(events(&mut machine).is_empty(), "no refresh");
    assert_eq!(Identity::of(machine.tokens().unwrap()).unwrap().sub, "ada");
    assert_eq!(io.saves(), 1, "only the sign-in was stored");

    let expired = expired("ada");
    let (mut machine, mut io, check) = restoring(expired.clone());
    machine.reply(&mut io, reply(check, Ok(AuthOutcome::Tokens(expired))), now);
    let id = io.last_sent();
    machine.reply(&mut io, reply(id, mallory), now);
    assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
    assert_eq!(io.saves(), 0);
}
