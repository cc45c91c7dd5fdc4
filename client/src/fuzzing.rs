//! Entry points for the fuzz targets in `fuzz/`, compiled only with
//! `--cfg fuzzing` (as `cargo fuzz` builds the crate). Each reads bytes an
//! attacker can shape the way the crate reads them; none may panic.

use std::time::SystemTime;

use crate::request::{AuthRequest, ChallengeName, MfaMethod};
use crate::response::{Answer, parse};
use crate::secret::{AccessToken, ChallengeSession, Code, Password, RefreshToken};
use crate::text::Translations;

/// A request head as the browser sign-in's loopback listener reads it.
pub fn redirect(head: &[u8]) {
    crate::browser::fuzz_redirect(head);
}

/// Keychain entries as a launch reads them: NUL separates the session, its
/// first two parts and the remembered devices.
pub fn keychain(data: &[u8]) {
    crate::store::fuzz(data);
}

/// A key document, a newline and a token, as a restore checks them.
pub fn token(data: &[u8]) {
    crate::verify::fuzz(data);
}

/// A translation file, added to the shipped ones and each of its sentences
/// filled in.
pub fn translations(data: &[u8]) {
    static SHIPPED: std::sync::OnceLock<Translations> = std::sync::OnceLock::new();
    let mut texts = SHIPPED.get_or_init(Translations::shipped).clone();
    if texts.add("fuzz", &String::from_utf8_lossy(data)).is_ok() {
        texts.select("fuzz");
        let keys: Vec<String> = texts.keys("fuzz").map(str::to_owned).collect();
        for key in keys {
            let _ = texts.format(&key, &[("name", "Ada"), ("seconds", "30")]);
        }
    }
}

/// An answer from Cognito or the routes: the first byte picks the request,
/// the second the status and whether Cognito's error header is set, the
/// rest is the body.
pub fn response(data: &[u8]) {
    let [which, status, body @ ..] = data else {
        return;
    };
    let token = || AccessToken::new("access");
    let requests = [
        AuthRequest::SignUp {
            username: "ada".into(),
            password: Password::new("pw"),
            email: "ada@example.com".into(),
            locale: None,
        },
        AuthRequest::ConfirmSignUp {
            username: "ada".into(),
            code: Code::new("123456"),
        },
        AuthRequest::ResendCode {
            username: "ada".into(),
        },
        AuthRequest::SignIn {
            username: "ada".into(),
            password: Password::new("pw"),
            device: None,
        },
        AuthRequest::RespondToChallenge {
            username: "ada".into(),
            challenge: ChallengeName::SoftwareTokenMfa,
            session: ChallengeSession::new("session"),
            answer: Password::new("123456"),
        },
        AuthRequest::Refresh {
            refresh_token: RefreshToken::new("refresh"),
            username: Some("ada".into()),
        },
        AuthRequest::SignOut {
            refresh_token: Some(RefreshToken::new("refresh")),
        },
        AuthRequest::GetAccount {
            access_token: token(),
        },
        AuthRequest::ChangeEmail {
            access_token: token(),
            email: "new@example.com".into(),
        },
        AuthRequest::AddAuthenticator {
            access_token: token(),
        },
        AuthRequest::VerifyAuthenticator {
            access_token: token(),
            code: Code::new("123456"),
            device_name: "phone".into(),
        },
        AuthRequest::SetMfa {
            access_token: token(),
            method: MfaMethod::Authenticator,
            enabled: true,
        },
        AuthRequest::ListDevices {
            access_token: token(),
        },
        AuthRequest::DeleteAccount {
            access_token: token(),
        },
    ];
    let statuses = [200, 400, 403, 404, 429, 500, 502, 503];
    let answer = Answer {
        status: statuses[usize::from(status & 7)],
        error_type_header: (status & 8 != 0).then_some("NotAuthorizedException"),
        body,
    };
    let request = &requests[usize::from(*which) % requests.len()];
    let _ = parse(request, answer, SystemTime::now());
}
