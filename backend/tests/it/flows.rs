//! The client, through its worker and real loopback HTTP, against the local
//! stack's handlers over each Cognito emulator: cognitox (embedded) and
//! cognito-local (npm). Where an emulator lacks an operation, the test checks
//! that the client reports it as unsupported and says so.

use crate::support;

use std::time::SystemTime;

use cognito_login_backend::CodePurpose;
use cognito_login_client::{
    Account, AuthError, AuthOutcome, AuthRequest, MfaMethod, NewDevice, RememberedDevice,
    ServerErrorKind, Tokens,
};
use support::{Emulator, PASSWORD, Stack, Via, totp, username};

fn kind(result: Result<impl std::fmt::Debug, AuthError>) -> ServerErrorKind {
    match result {
        Err(AuthError::Server { kind, .. }) => kind,
        other => panic!("expected a server error, got {other:?}"),
    }
}

/// The signed-in account, as GetUser reads it.
async fn read_account(stack: &Stack, tokens: &Tokens) -> Account {
    let read = stack
        .ask(AuthRequest::GetAccount {
            access_token: tokens.access_token.clone(),
        })
        .await;
    match read {
        Ok(AuthOutcome::Account(account)) => account,
        other => panic!("expected the account, got {other:?}"),
    }
}

fn lacks(emulator: Emulator, operation: &str) {
    eprintln!("{emulator:?} lacks {operation}: checked that the client reports it as unsupported");
}

async fn sign_up_confirm_sign_in_refresh_sign_out(emulator: Emulator, via: Via) {
    let stack = Stack::start_via(emulator, via).await;
    let user = username("flow");

    let AuthOutcome::SignedUp {
        confirmed,
        delivery,
        ..
    } = stack.sign_up(&user).await
    else {
        panic!("expected SignedUp")
    };
    assert!(!confirmed);
    let delivery = delivery.expect("where the code went");
    assert_eq!(
        (delivery.medium.as_str(), delivery.attribute.as_str()),
        ("EMAIL", "email")
    );
    match emulator {
        Emulator::Cognitox => assert!(
            delivery.destination.contains("***"),
            "{}",
            delivery.destination
        ),
        // cognito-local does not mask the destination.
        Emulator::CognitoLocal => assert_eq!(delivery.destination, format!("{user}@example.com")),
    }

    let wrong_code = stack
        .ask(AuthRequest::ConfirmSignUp {
            username: user.clone(),
            code: "000000".into(),
        })
        .await;
    assert_eq!(kind(wrong_code), ServerErrorKind::CodeMismatch);
    stack.confirm(&user).await;

    let wrong_password = kind(stack.sign_in(&user, "Wrong-Pass-9").await);
    match emulator {
        Emulator::Cognitox => assert_eq!(wrong_password, ServerErrorKind::NotAuthorized),
        // cognito-local answers a wrong password with InvalidPasswordException.
        Emulator::CognitoLocal => assert_eq!(wrong_password, ServerErrorKind::InvalidPassword),
    }

    let tokens = stack.sign_in(&user, PASSWORD).await.expect("signed in");
    let refresh_token = tokens.refresh_token.clone().expect("a refresh token");
    assert!(tokens.expires_at.expect("an expiry") > SystemTime::now());
    let claims = cognito_login_client::unverified_claims(tokens.id_token.expose()).expect("a JWT");
    assert_eq!(claims["cognito:username"], user.as_str());

    let refreshed = stack
        .ask(AuthRequest::Refresh {
            refresh_token: refresh_token.clone(),
            username: None,
        })
        .await;
    let Ok(AuthOutcome::Tokens(refreshed)) = refreshed else {
        panic!("{refreshed:?}")
    };
    assert!(!refreshed.access_token.is_empty());
    assert!(
        refreshed.refresh_token.is_some(),
        "the refresh token is kept"
    );

    // Another session of the same account, on another device.
    let elsewhere = stack.sign_in(&user, PASSWORD).await.expect("signed in");
    let signed_out = stack
        .ask(AuthRequest::SignOut {
            refresh_token: Some(refresh_token.clone()),
        })
        .await;
    assert_eq!(signed_out, Ok(AuthOutcome::SignedOut));
    let after = stack
        .ask(AuthRequest::Refresh {
            refresh_token,
            username: None,
        })
        .await;
    assert_eq!(
        kind(after),
        ServerErrorKind::NotAuthorized,
        "sign-out revoked this device's refresh token"
    );
    let other_device = stack
        .ask(AuthRequest::Refresh {
            refresh_token: elsewhere.refresh_token.expect("a refresh token"),
            username: None,
        })
        .await;
    assert!(
        matches!(other_device, Ok(AuthOutcome::Tokens(_))),
        "the other device stays signed in: {other_device:?}"
    );
    assert_eq!(
        stack
            .ask(AuthRequest::SignOut {
                refresh_token: None
            })
            .await,
        Ok(AuthOutcome::SignedOut),
        "nothing to revoke"
    );
}

async fn the_signed_in_account_is_read_changed_signed_out_everywhere_and_deleted(
    emulator: Emulator,
    via: Via,
) {
    let stack = Stack::start_via(emulator, via).await;
    let user = username("account");
    stack.sign_up(&user).await;
    stack.confirm(&user).await;
    let tokens = stack.sign_in(&user, PASSWORD).await.expect("signed in");

    let account = read_account(&stack, &tokens).await;
    assert_eq!(
        account.email(),
        Some(format!("{user}@example.com").as_str())
    );
    assert!(account.attributes.contains_key("sub"), "{account:?}");
    assert!(account.mfa_methods.is_empty());

    let new_password = "Another-Pass-2";
    let wrong = stack
        .ask(AuthRequest::ChangePassword {
            access_token: tokens.access_token.clone(),
            previous: "Wrong-Pass-9".into(),
            proposed: new_password.into(),
        })
        .await;
    assert!(wrong.is_err(), "{wrong:?}");
    let changed = stack
        .ask(AuthRequest::ChangePassword {
            access_token: tokens.access_token.clone(),
            previous: PASSWORD.into(),
            proposed: new_password.into(),
        })
        .await;
    assert_eq!(changed, Ok(AuthOutcome::PasswordChanged));
    assert!(stack.sign_in(&user, PASSWORD).await.is_err());
    let tokens = stack
        .sign_in(&user, new_password)
        .await
        .expect("the new password works");

    // A new email address, verified with the code sent to it.
    let new_email = format!("{user}.new@example.com");
    let changed = stack
        .ask(AuthRequest::ChangeEmail {
            access_token: tokens.access_token.clone(),
            email: new_email.clone(),
        })
        .await;
    let Ok(AuthOutcome::CodeSent(delivery)) = changed else {
        panic!("{changed:?}")
    };
    assert_eq!(delivery.attribute, "email");
    let wrong = stack
        .ask(AuthRequest::VerifyEmail {
            access_token: tokens.access_token.clone(),
            code: "000000".into(),
        })
        .await;
    assert_eq!(kind(wrong), ServerErrorKind::CodeMismatch);
    let code = stack.code(&user, CodePurpose::VerifyEmail);
    let verified = stack
        .ask(AuthRequest::VerifyEmail {
            access_token: tokens.access_token.clone(),
            code: code.into(),
        })
        .await;
    assert_eq!(verified, Ok(AuthOutcome::EmailVerified));
    let account = read_account(&stack, &tokens).await;
    assert_eq!(account.email(), Some(new_email.as_str()));
    assert!(account.email_verified(), "{account:?}");

    // An authenticator app: its secret, its first code, then on and off.
    let added = stack
        .ask(AuthRequest::AddAuthenticator {
            access_token: tokens.access_token.clone(),
        })
        .await;
    let Ok(AuthOutcome::AuthenticatorSecret(secret)) = added else {
        panic!("{added:?}")
    };
    let right = totp(secret.expose(), SystemTime::now());
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let verify = |code: String| AuthRequest::VerifyAuthenticator {
        access_token: tokens.access_token.clone(),
        code: code.into(),
        device_name: "phone".into(),
    };
    let refused = stack.ask(verify(wrong)).await;
    match emulator {
        Emulator::CognitoLocal => assert_eq!(kind(refused), ServerErrorKind::CodeMismatch),
        // cognitox takes any six digits.
        Emulator::Cognitox => lacks(emulator, "a check of the authenticator code"),
    }
    let verified = stack.ask(verify(right)).await;
    assert_eq!(verified, Ok(AuthOutcome::AuthenticatorVerified));
    for enabled in [true, false] {
        let set = stack
            .ask(AuthRequest::SetMfa {
                access_token: tokens.access_token.clone(),
                method: MfaMethod::Authenticator,
                enabled,
            })
            .await;
        assert_eq!(set, Ok(AuthOutcome::MfaSet));
        let account = read_account(&stack, &tokens).await;
        assert_eq!(
            account
                .mfa_methods
                .iter()
                .any(|m| m == "SOFTWARE_TOKEN_MFA"),
            enabled,
            "{account:?}"
        );
    }

    let everywhere = stack
        .ask(AuthRequest::SignOutEverywhere {
            access_token: tokens.access_token.clone(),
        })
        .await;
    match emulator {
        Emulator::Cognitox => {
            assert_eq!(everywhere, Ok(AuthOutcome::SignedOut));
            let after = stack
                .ask(AuthRequest::Refresh {
                    refresh_token: tokens.refresh_token.clone().unwrap(),
                    username: None,
                })
                .await;
            assert_eq!(kind(after), ServerErrorKind::NotAuthorized);
        }
        Emulator::CognitoLocal => {
            assert_eq!(kind(everywhere), ServerErrorKind::Unsupported);
            lacks(emulator, "GlobalSignOut");
        }
    }

    let tokens = stack.sign_in(&user, new_password).await.expect("signed in");
    let deleted = stack
        .ask(AuthRequest::DeleteAccount {
            access_token: tokens.access_token.clone(),
        })
        .await;
    assert_eq!(deleted, Ok(AuthOutcome::AccountDeleted));
    assert!(
        stack.sign_in(&user, new_password).await.is_err(),
        "a deleted account cannot sign in"
    );
}

/// A device remembered with its verifier (`ConfirmDevice`), listed with
/// its name, forgotten. Neither emulator hands out `NewDeviceMetadata` at
/// sign-in, so the device key here is one the test makes up, as cognitox
/// accepts; the sign-in with a device is checked against a stand-in that
/// does the server's half of device SRP (`client/tests/it/srp_exchange.rs`).
async fn remembered_devices_are_listed_and_forgotten(emulator: Emulator, via: Via) {
    let stack = Stack::start_via(emulator, via).await;
    let user = username("devices");
    stack.sign_up(&user).await;
    stack.confirm(&user).await;
    let tokens = stack.sign_in(&user, PASSWORD).await.expect("signed in");
    let device = RememberedDevice::new(NewDevice {
        key: format!(
            "eu-west-1_{:08x}-0000-4000-8000-00000000d1ce",
            std::process::id()
        ),
        group_key: "-devicegroup".into(),
    })
    .unwrap();
    let remembered = stack
        .ask(AuthRequest::RememberDevice {
            access_token: tokens.access_token.clone(),
            device: device.clone(),
            name: "Living-room PC".into(),
        })
        .await;
    if emulator == Emulator::CognitoLocal {
        assert_eq!(kind(remembered), ServerErrorKind::Unsupported);
        return lacks(emulator, "devices");
    }
    assert_eq!(remembered, Ok(AuthOutcome::DeviceRemembered));
    let list = || AuthRequest::ListDevices {
        access_token: tokens.access_token.clone(),
    };
    let Ok(AuthOutcome::Devices(devices)) = stack.ask(list()).await else {
        panic!("the devices are listed")
    };
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(devices[0].key, device.key);
    assert_eq!(devices[0].name.as_deref(), Some("Living-room PC"));
    assert!(devices[0].created.is_some_and(|at| at <= SystemTime::now()));

    let forgotten = stack
        .ask(AuthRequest::ForgetDevice {
            access_token: tokens.access_token.clone(),
            device_key: device.key.clone(),
        })
        .await;
    assert_eq!(forgotten, Ok(AuthOutcome::DeviceForgotten));
    assert_eq!(stack.ask(list()).await, Ok(AuthOutcome::Devices(vec![])));
    // Forgetting it twice says so, never a success.
    let again = stack
        .ask(AuthRequest::ForgetDevice {
            access_token: tokens.access_token.clone(),
            device_key: device.key,
        })
        .await;
    assert!(again.is_err(), "{again:?}");
}

async fn a_taken_username_is_refused(emulator: Emulator, via: Via) {
    let stack = Stack::start_via(emulator, via).await;
    let user = username("taken");
    stack.sign_up(&user).await;
    let again = stack
        .ask(AuthRequest::SignUp {
            username: user.clone(),
            password: PASSWORD.into(),
            email: "other@example.com".into(),
            locale: None,
        })
        .await;
    let error = again.unwrap_err();
    assert_eq!(error.server_kind(), Some(&ServerErrorKind::UsernameExists));
    assert!(error.player_message().contains("taken"));
}

async fn an_unconfirmed_account_cannot_sign_in(emulator: Emulator, via: Via) {
    let stack = Stack::start_via(emulator, via).await;
    let user = username("unconfirmed");
    stack.sign_up(&user).await;
    assert_eq!(
        kind(stack.sign_in(&user, PASSWORD).await),
        ServerErrorKind::UserNotConfirmed
    );
}

async fn a_resent_code_confirms(emulator: Emulator, via: Via) {
    let stack = Stack::start_via(emulator, via).await;
    let user = username("resend");
    stack.sign_up(&user).await;
    let resent = stack
        .ask(AuthRequest::ResendCode {
            username: user.clone(),
        })
        .await;
    match emulator {
        Emulator::Cognitox => {
            let Ok(AuthOutcome::CodeSent(delivery)) = resent else {
                panic!("{resent:?}")
            };
            assert_eq!(delivery.medium, "EMAIL");
            let codes = stack.local.mailbox().unwrap().messages();
            assert_eq!(codes.iter().filter(|mail| mail.username == user).count(), 2);
            stack.confirm(&user).await;
        }
        Emulator::CognitoLocal => {
            assert_eq!(kind(resent), ServerErrorKind::Unsupported);
            lacks(emulator, "ResendConfirmationCode");
        }
    }
}

async fn forgot_then_reset_then_sign_in_with_the_new_password(emulator: Emulator, via: Via) {
    let stack = Stack::start_via(emulator, via).await;
    let user = username("forgot");
    stack.sign_up(&user).await;
    stack.confirm(&user).await;

    let sent = stack
        .ask(AuthRequest::ForgotPassword {
            username: user.clone(),
        })
        .await;
    assert!(matches!(sent, Ok(AuthOutcome::CodeSent(_))), "{sent:?}");
    let new_password = "Another-Pass-2";
    let wrong = stack
        .ask(AuthRequest::ResetPassword {
            username: user.clone(),
            code: "000000".into(),
            password: new_password.into(),
        })
        .await;
    assert_eq!(kind(wrong), ServerErrorKind::CodeMismatch);
    let code = stack.code(&user, CodePurpose::ResetPassword);
    let reset = stack
        .ask(AuthRequest::ResetPassword {
            username: user.clone(),
            code: code.into(),
            password: new_password.into(),
        })
        .await;
    assert_eq!(reset, Ok(AuthOutcome::PasswordReset));
    stack
        .sign_in(&user, new_password)
        .await
        .expect("the new password works");
    assert!(
        stack.sign_in(&user, PASSWORD).await.is_err(),
        "the old password no longer works"
    );
}

macro_rules! against_each_emulator {
    ($($flow:ident),* $(,)?) => {
        against_each_emulator!(@emulator cognitox, Cognitox, $($flow),*);
        against_each_emulator!(@emulator cognito_local, CognitoLocal, $($flow),*);
    };
    (@emulator $module:ident, $emulator:ident, $($flow:ident),*) => {
        mod $module {
            use super::*;
            against_each_emulator!(@via api_gateway, $emulator, ApiGateway, $($flow),*);
            against_each_emulator!(@via user_pool, $emulator, UserPool, $($flow),*);
        }
    };
    (@via $module:ident, $emulator:ident, $via:ident, $($flow:ident),*) => {
        mod $module {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $flow() {
                super::super::$flow(Emulator::$emulator, Via::$via).await;
            })*
        }
    };
}

against_each_emulator!(
    sign_up_confirm_sign_in_refresh_sign_out,
    the_signed_in_account_is_read_changed_signed_out_everywhere_and_deleted,
    remembered_devices_are_listed_and_forgotten,
    a_taken_username_is_refused,
    an_unconfirmed_account_cannot_sign_in,
    a_resent_code_confirms,
    forgot_then_reset_then_sign_in_with_the_new_password,
);

#[test]
fn totp_matches_rfc_6238() {
    // RFC 6238's SHA-1 key "12345678901234567890", in base32, at 59 s.
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(59);
    assert_eq!(totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", at), "287082");
}
