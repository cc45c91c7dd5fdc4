//! A limit per client address on the routes a script aims at: how many
//! sign-in and sign-up requests one address may send in a window.
//!
//! API Gateway's throttling is per route, shared by every player: one
//! script hammering `/signin` would use it up for everyone. An HTTP API
//! takes no AWS WAF web ACL, so the handlers count each address's requests
//! themselves, in a store every instance of the function shares (a DynamoDB
//! table on AWS, [`MemoryCounter`] locally), in fixed windows, and answer
//! Cognito's `TooManyRequestsException` (429) past the limit. The game
//! already reads that answer as "too many attempts, try again later".
//!
//! A store that fails lets the request through (and logs it): the route's
//! own throttle still holds, and players are never locked out by a counter.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_login_client::{AuthAction, BoxFuture};

/// The kinds of request counted per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// `/signin` and `/challenge`: guessing passwords and codes.
    SignIn,
    /// `/signup`, `/confirm`, `/resend`, `/forgot` and `/reset`: creating
    /// accounts, sending email, guessing codes.
    SignUp,
}

impl LimitKind {
    /// The kind an action counts against; `None` for the routes that need a
    /// signed-in player's token (refresh, the account).
    pub fn of(action: AuthAction) -> Option<Self> {
        match action {
            AuthAction::SignIn | AuthAction::RespondToChallenge => Some(Self::SignIn),
            AuthAction::SignUp
            | AuthAction::ConfirmSignUp
            | AuthAction::ResendCode
            | AuthAction::ForgotPassword
            | AuthAction::ResetPassword => Some(Self::SignUp),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::SignIn => "signin",
            Self::SignUp => "signup",
        }
    }
}

/// How many requests of each kind one address may send in one window; 0
/// is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressLimits {
    /// Sign-ins and challenge answers per window.
    pub sign_in: u32,
    /// Sign-ups, confirmations, code resends and password resets per window.
    pub sign_up: u32,
    /// The window: a minute on AWS.
    pub window: Duration,
}

impl AddressLimits {
    /// `sign_in` and `sign_up` requests a minute.
    pub fn per_minute(sign_in: u32, sign_up: u32) -> Self {
        Self {
            sign_in,
            sign_up,
            window: Duration::from_secs(60),
        }
    }

    fn of(&self, kind: LimitKind) -> u32 {
        match kind {
            LimitKind::SignIn => self.sign_in,
            LimitKind::SignUp => self.sign_up,
        }
    }
}

/// Where the requests of each address are counted.
pub trait AddressCounter: Send + Sync + std::fmt::Debug + 'static {
    /// Counts one request under `key` unless `limit` requests were already
    /// counted there; `true` when this one was. The count may be dropped
    /// after `expires` (seconds since the Unix epoch).
    fn admit<'a>(
        &'a self,
        key: &'a str,
        limit: u32,
        expires: u64,
    ) -> BoxFuture<'a, Result<bool, String>>;
}

/// Counts per address with `counter` against `limits`.
#[derive(Debug, Clone)]
pub struct AddressLimiter {
    counter: Arc<dyn AddressCounter>,
    limits: AddressLimits,
}

impl AddressLimiter {
    /// A limiter counting in `counter`.
    pub fn new(counter: Arc<dyn AddressCounter>, limits: AddressLimits) -> Self {
        Self { counter, limits }
    }

    /// Whether a request of `kind` from `address` may go on now; counts it
    /// when it may.
    pub async fn admit(&self, kind: LimitKind, address: IpAddr) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |now| now.as_secs());
        self.admit_at(kind, address, now).await
    }

    /// [`admit`](Self::admit) at `now`, seconds since the Unix epoch.
    pub async fn admit_at(&self, kind: LimitKind, address: IpAddr, now: u64) -> bool {
        let limit = self.limits.of(kind);
        if limit == 0 {
            return true;
        }
        let window = self.limits.window.as_secs().max(1);
        let start = now - now % window;
        let key = format!("{}#{}#{start}", kind.name(), address_key(address));
        match self.counter.admit(&key, limit, start + window).await {
            Ok(admitted) => admitted,
            Err(error) => {
                tracing::warn!(%error, "the address limit could not be counted; let through");
                true
            }
        }
    }
}

/// What one address is counted as: an IPv4 address whole, an IPv6
/// address's /64 prefix (a home or a phone is handed a whole /64 and may
/// send from any address in it), an IPv4 address mapped into IPv6 as
/// itself.
pub fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Counts in this process's memory: for the local stack, and for tests.
/// Counts whose window has passed are dropped as new ones come.
#[derive(Debug, Default)]
pub struct MemoryCounter {
    counts: Mutex<HashMap<String, (u32, u64)>>,
}

impl MemoryCounter {
    fn count(&self, key: &str, limit: u32, expires: u64) -> bool {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if counts.len() >= 4096 {
            // Windows end in order: one ending before this one's is over.
            counts.retain(|_, (_, until)| *until >= expires);
        }
        let (count, until) = counts.entry(key.to_owned()).or_insert((0, expires));
        *until = expires;
        if *count >= limit {
            return false;
        }
        *count += 1;
        true
    }
}

impl AddressCounter for MemoryCounter {
    fn admit<'a>(
        &'a self,
        key: &'a str,
        limit: u32,
        expires: u64,
    ) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(async move { Ok(self.count(key, limit, expires)) })
    }
}

/// Counts in a DynamoDB table (hash key `key`, a string; time to live on
/// `expires`) with one conditional `UpdateItem` a request: every instance
/// of the function sees the same count.
#[cfg(feature = "lambda")]
#[derive(Debug, Clone)]
pub struct DynamoCounter {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

#[cfg(feature = "lambda")]
impl DynamoCounter {
    /// Counts in `table`, reached through `client`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn count(&self, key: &str, limit: u32, expires: u64) -> Result<bool, String> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("key", AttributeValue::S(key.to_owned()))
            .update_expression("ADD #hits :one SET #expires = :expires")
            .condition_expression("attribute_not_exists(#hits) OR #hits < :limit")
            .expression_attribute_names("#hits", "hits")
            .expression_attribute_names("#expires", "expires")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
            .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|error| error.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(error) => Err(crate::answer::error_chain(&error)),
        }
    }
}

#[cfg(feature = "lambda")]
impl AddressCounter for DynamoCounter {
    fn admit<'a>(
        &'a self,
        key: &'a str,
        limit: u32,
        expires: u64,
    ) -> BoxFuture<'a, Result<bool, String>> {
        Box::pin(self.count(key, limit, expires))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(counter: Arc<dyn AddressCounter>, sign_in: u32, sign_up: u32) -> AddressLimiter {
        AddressLimiter::new(counter, AddressLimits::per_minute(sign_in, sign_up))
    }

    #[tokio::test]
    async fn each_address_and_kind_has_its_own_count_for_one_window() {
        let limiter = limiter(Arc::new(MemoryCounter::default()), 3, 1);
        let one: IpAddr = "203.0.113.7".parse().unwrap();
        let two: IpAddr = "203.0.113.8".parse().unwrap();
        let minute: u64 = 1_800_000_000; // a whole minute
        for second in [0, 10, 59] {
            assert!(
                limiter
                    .admit_at(LimitKind::SignIn, one, minute + second)
                    .await
            );
        }
        assert!(!limiter.admit_at(LimitKind::SignIn, one, minute + 59).await);
        assert!(limiter.admit_at(LimitKind::SignIn, two, minute + 59).await);
        assert!(limiter.admit_at(LimitKind::SignUp, one, minute + 59).await);
        assert!(!limiter.admit_at(LimitKind::SignUp, one, minute + 59).await);
        assert!(
            limiter.admit_at(LimitKind::SignIn, one, minute + 60).await,
            "the next window counts anew"
        );
    }

    #[tokio::test]
    async fn zero_is_no_limit() {
        let limiter = limiter(Arc::new(MemoryCounter::default()), 0, 1);
        let one: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..100 {
            assert!(limiter.admit_at(LimitKind::SignIn, one, 60).await);
        }
    }

    #[derive(Debug)]
    struct Broken;

    impl AddressCounter for Broken {
        fn admit<'a>(&'a self, _: &'a str, _: u32, _: u64) -> BoxFuture<'a, Result<bool, String>> {
            Box::pin(async { Err("the table is unreachable".to_owned()) })
        }
    }

    #[tokio::test]
    async fn a_failing_store_lets_players_through() {
        let limiter = limiter(Arc::new(Broken), 1, 1);
        let one: IpAddr = "203.0.113.7".parse().unwrap();
        assert!(limiter.admit_at(LimitKind::SignIn, one, 60).await);
        assert!(limiter.admit_at(LimitKind::SignIn, one, 60).await);
    }

    #[test]
    fn an_ipv6_address_counts_as_its_64_and_a_mapped_ipv4_as_itself() {
        let key = |text: &str| address_key(text.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:203.0.113.7"), key("203.0.113.7"));
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
    }

    #[test]
    fn only_the_routes_a_script_aims_at_are_counted() {
        let counted: Vec<_> = AuthAction::ALL
            .into_iter()
            .filter(|action| LimitKind::of(*action).is_some())
            .map(AuthAction::default_route)
            .collect();
        assert_eq!(
            counted,
            [
                "/signup",
                "/confirm",
                "/resend",
                "/signin",
                "/challenge",
                "/forgot",
                "/reset"
            ]
        );
    }
}
