//! MFA at sign-in, against moto's Cognito server: the other emulators never
//! ask for it. A pool that requires MFA makes a new account add an
//! authenticator app inside its first sign-in (`MFA_SETUP`); later sign-ins
//! ask for the app's code (`SOFTWARE_TOKEN_MFA`). moto checks the codes, so
//! a wrong one is refused, and its tokens are checked against its keys.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cognitoidentityprovider::types::{SoftwareTokenMfaConfigType, UserPoolMfaType};
use cognito_login_backend::local::sdk_client;
use cognito_login_backend::{LocalConfig, LocalStack};
use cognito_login_client::{
    ApiGatewayConfig, AuthError, AuthOutcome, AuthRequest, AuthWorker, AuthenticatorSecret,
    Challenge, ChallengeName, ServerErrorKind, SignInFlow, TokenCheck, UserPoolConfig,
};

use crate::support::{self, Moto, PASSWORD, totp};

/// moto, a pool on it that requires MFA, and the local stack's routes over it.
pub(crate) struct MfaPool {
    moto: Moto,
    pub(crate) local: LocalStack,
    pool: String,
}

impl MfaPool {
    pub(crate) async fn start() -> Self {
        let moto = Moto::start();
        let sdk = sdk_client(&moto.endpoint);
        let pool = moto.create_pool("mfa-required").await;
        sdk.set_user_pool_mfa_config()
            .user_pool_id(&pool)
            .mfa_configuration(UserPoolMfaType::On)
            .software_token_mfa_configuration(
                SoftwareTokenMfaConfigType::builder().enabled(true).build(),
            )
            .send()
            .await
            .expect("moto requires MFA");
        let local = LocalStack::start(LocalConfig {
            cognito_endpoint: Some(moto.endpoint.clone()),
            user_pool_id: Some(pool.clone()),
            ..LocalConfig::default()
        })
        .await
        .expect("the local stack starts over moto");
        Self { moto, local, pool }
    }

    /// moto's issuer is the pool's AWS one; its keys are on loopback.
    pub(crate) fn token_check(&self) -> TokenCheck {
        TokenCheck::new(
            format!("https://cognito-idp.us-east-1.amazonaws.com/{}", self.pool),
            self.local.client_id(),
        )
        .with_jwks_url(format!(
            "{}/{}/.well-known/jwks.json",
            self.moto.endpoint, self.pool
        ))
    }

    /// The direct transport.
    fn direct(&self) -> AuthWorker {
        let config = UserPoolConfig::new("us-east-1", &self.pool, self.local.client_id())
            .with_endpoint(&self.moto.endpoint)
            .with_sign_in_flow(SignInFlow::UserPassword)
            .with_token_check(self.token_check());
        support::worker(&config.into())
    }

    /// The local stack's routes.
    fn routes(&self) -> AuthWorker {
        support::worker(&ApiGatewayConfig::new(self.local.url(), self.token_check()).into())
    }
}

/// A code the app shows now, taken early enough in its 30-second step that
/// the server checks it in the same step.
fn code_now(secret: &AuthenticatorSecret) -> String {
    let into_step = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 30;
    if into_step > 25 {
        std::thread::sleep(Duration::from_secs(31 - into_step));
    }
    totp(secret.expose(), SystemTime::now())
}

/// A code the app shows in no step near now.
fn wrong_code(secret: &AuthenticatorSecret) -> String {
    let now = SystemTime::now();
    let near: Vec<String> = [
        now - Duration::from_secs(30),
        now,
        now + Duration::from_secs(30),
    ]
    .into_iter()
    .map(|at| totp(secret.expose(), at))
    .collect();
    ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|code| !near.iter().any(|near| near == code))
        .unwrap()
        .to_owned()
}

async fn answer(
    worker: &AuthWorker,
    username: &str,
    challenge: &Challenge,
    answer: &str,
) -> Result<AuthOutcome, AuthError> {
    support::ask(
        worker,
        AuthRequest::RespondToChallenge {
            username: username.into(),
            challenge: challenge.name.clone(),
            session: challenge.session.clone(),
            answer: answer.into(),
        },
    )
    .await
}

fn challenge(outcome: Result<AuthOutcome, AuthError>, name: ChallengeName) -> Challenge {
    match outcome {
        Ok(AuthOutcome::Challenge(challenge)) if challenge.name == name => challenge,
        other => panic!("expected the {name:?} challenge, got {other:?}"),
    }
}

fn assert_code_refused(outcome: Result<AuthOutcome, AuthError>) {
    match outcome {
        Err(AuthError::Server {
            kind: ServerErrorKind::CodeMismatch,
            ..
        }) => {}
        other => panic!("a wrong code must be refused, got {other:?}"),
    }
}

fn assert_signed_in(outcome: Result<AuthOutcome, AuthError>) {
    assert!(
        matches!(outcome, Ok(AuthOutcome::Tokens(_))),
        "expected verified tokens, got {outcome:?}"
    );
}

/// Sets up the authenticator the `MFA_SETUP` challenge came with: a wrong
/// first code is refused and the same challenge answered again.
async fn set_up(worker: &AuthWorker, username: &str, setup: Challenge) {
    let secret = setup
        .authenticator
        .clone()
        .expect("MFA_SETUP arrives with the authenticator's secret");
    assert!(setup.answerable());
    assert_code_refused(answer(worker, username, &setup, &wrong_code(&secret)).await);
    assert_signed_in(answer(worker, username, &setup, &code_now(&secret)).await);
}

/// Signs in once more: the app's code is asked for, a wrong one refused.
async fn sign_in_with_code(worker: &AuthWorker, username: &str, password: &str, secret: &str) {
    let secret = AuthenticatorSecret::new(secret);
    let outcome = support::ask(
        worker,
        AuthRequest::SignIn {
            username: username.into(),
            password: password.into(),
            device: None,
        },
    )
    .await;
    let mfa = challenge(outcome, ChallengeName::SoftwareTokenMfa);
    assert_code_refused(answer(worker, username, &mfa, &wrong_code(&secret)).await);
    assert_signed_in(answer(worker, username, &mfa, &code_now(&secret)).await);
}

/// An account made by an administrator with a temporary password: its
/// first sign-in sets a new password, then (the pool requires MFA) adds an
/// authenticator app; later sign-ins ask for its code. moto asks for
/// `MFA_SETUP` only there and after SRP, whose `SECRET_BLOCK` it makes
/// unlike Cognito, so both transports sign in with the password here.
pub(crate) async fn set_up_then_asked_for(pool: &MfaPool, worker: &AuthWorker, username: &str) {
    sdk_client(&pool.moto.endpoint)
        .admin_create_user()
        .user_pool_id(&pool.pool)
        .username(username)
        .temporary_password("Temporary-Pass-1")
        .send()
        .await
        .unwrap();
    let outcome = support::ask(
        worker,
        AuthRequest::SignIn {
            username: username.into(),
            password: "Temporary-Pass-1".into(),
            device: None,
        },
    )
    .await;
    let new_password = challenge(outcome, ChallengeName::NewPasswordRequired);
    let outcome = answer(worker, username, &new_password, PASSWORD).await;
    let setup = challenge(outcome, ChallengeName::MfaSetup);
    let secret = setup.authenticator.clone().unwrap().expose().to_owned();
    set_up(worker, username, setup).await;
    sign_in_with_code(worker, username, PASSWORD, &secret).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_required_authenticator_is_set_up_inside_the_sign_in_on_both_transports() {
    let pool = MfaPool::start().await;
    set_up_then_asked_for(&pool, &pool.routes(), "neo-routes").await;
    set_up_then_asked_for(&pool, &pool.direct(), "neo-direct").await;
}
