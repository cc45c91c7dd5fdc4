//! The pool's triggers over the local stack, on both transports: the same
//! handlers the template's trigger function runs, called around the
//! embedded emulator.

use cognito_login_backend::triggers::TriggerConfig;
use cognito_login_backend::{CodePurpose, LocalConfig, LocalStack};
use cognito_login_client::{
    AuthError, AuthOutcome, AuthRequest, ServerErrorKind, unverified_claims,
};

use crate::support::{Emulator, PASSWORD, Stack, Via, username};

async fn stack(via: Via, triggers: TriggerConfig) -> Stack {
    let local = LocalStack::start(LocalConfig {
        triggers,
        ..LocalConfig::default()
    })
    .await
    .expect("the local stack starts");
    Stack::over(Emulator::Cognitox, via, local)
}

/// With auto-confirmation a new account signs in at once, its email
/// verified, and no code was sent for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auto_confirmed_player_signs_in_without_a_code() {
    for via in [Via::ApiGateway, Via::UserPool] {
        let stack = stack(
            via,
            TriggerConfig {
                auto_confirm: true,
                ..TriggerConfig::default()
            },
        )
        .await;
        let user = username(&format!("auto-{via:?}"));
        let signed_up = stack.sign_up(&user).await;
        assert!(
            matches!(
                signed_up,
                AuthOutcome::SignedUp {
                    confirmed: true,
                    delivery: None,
                    ..
                }
            ),
            "{via:?}: {signed_up:?}"
        );
        let tokens = stack.sign_in(&user, PASSWORD).await.expect("signed in");
        let claims = unverified_claims(tokens.id_token.expose()).unwrap();
        assert_eq!(claims["email_verified"], true, "{via:?}");
        assert!(
            stack
                .local
                .mailbox()
                .unwrap()
                .latest_code(&user, CodePurpose::ConfirmSignUp)
                .is_none(),
            "{via:?}: no code for a confirmed account"
        );
    }
}

/// A stack that lists email domains takes sign-ups from those only: the
/// player is told why, and no account is made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_listed_email_domains_sign_up() {
    for via in [Via::ApiGateway, Via::UserPool] {
        let stack = stack(
            via,
            TriggerConfig::from_values(None, Some("studio.example")),
        )
        .await;
        let outsider = username(&format!("outsider-{via:?}"));
        let refused = stack
            .ask(AuthRequest::SignUp {
                username: outsider.clone(),
                password: PASSWORD.into(),
                email: format!("{outsider}@example.com"),
                locale: None,
            })
            .await;
        let Err(AuthError::Server { kind, message, .. }) = &refused else {
            panic!("{via:?}: expected a refusal, got {refused:?}");
        };
        assert_eq!(
            kind,
            &ServerErrorKind::Unknown("UserLambdaValidationException".into()),
            "{via:?}"
        );
        assert!(
            kind.player_message(message).contains("listed domains"),
            "{via:?}: {message}"
        );
        let never_made = stack.sign_in(&outsider, PASSWORD).await;
        assert!(never_made.is_err(), "{via:?}: {never_made:?}");

        let insider = username(&format!("insider-{via:?}"));
        let signed_up = stack
            .ask(AuthRequest::SignUp {
                username: insider.clone(),
                password: PASSWORD.into(),
                email: format!("{insider}@Studio.Example"),
                locale: None,
            })
            .await;
        assert!(
            matches!(
                signed_up,
                Ok(AuthOutcome::SignedUp {
                    confirmed: false,
                    ..
                })
            ),
            "{via:?}: {signed_up:?}"
        );
        stack.confirm(&insider).await;
    }
}

/// A stack that gives new players a starting profile writes it once their
/// account is confirmed, whichever transport confirmed it: the first read
/// of the profile is that document, at version 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_player_starts_with_the_stacks_initial_profile() {
    for via in [Via::ApiGateway, Via::UserPool] {
        let stack = stack(
            via,
            TriggerConfig::default()
                .with_initial_profile(Some(r#"{"coins": 100}"#))
                .unwrap(),
        )
        .await;
        let user = username(&format!("starter-{via:?}"));
        stack.sign_up(&user).await;
        stack.confirm(&user).await;
        let tokens = stack.sign_in(&user, PASSWORD).await.expect("signed in");
        let profile = crate::support::http()
            .build()
            .unwrap()
            .get(format!("{}/profile", stack.local.url()))
            .bearer_auth(tokens.access_token.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(profile.status(), 200, "{via:?}");
        let profile: serde_json::Value =
            serde_json::from_slice(&profile.bytes().await.unwrap()).unwrap();
        assert_eq!(
            profile,
            serde_json::json!({"version": 1, "data": {"coins": 100}}),
            "{via:?}"
        );
    }
}

/// With game claims, the ID token carries the trigger's role: the local
/// stack signs the changed token again with a key the pool's key set lists,
/// and the client's checks take it, on both transports, at a sign-in and at
/// a refresh; an admin's refreshed token says so. The access token keeps
/// the emulator's signature and claims.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_id_token_carries_the_game_claims() {
    use cognito_login_backend::triggers::ROLE_CLAIM;
    use cognito_login_client::{TokenUse, TokenVerifier};
    for via in [Via::ApiGateway, Via::UserPool] {
        let stack = stack(
            via,
            TriggerConfig {
                game_claims: true,
                ..TriggerConfig::default()
            },
        )
        .await;
        let user = username(&format!("claims-{via:?}"));
        stack.sign_up(&user).await;
        stack.confirm(&user).await;
        // The transports check every token against the pool's keys.
        let tokens = stack.sign_in(&user, PASSWORD).await.expect("signed in");
        let claims = unverified_claims(tokens.id_token.expose()).unwrap();
        assert_eq!(claims[ROLE_CLAIM], "player", "{via:?}");
        assert_eq!(claims["cognito:username"], user.as_str(), "{via:?}");
        let access = unverified_claims(tokens.access_token.expose()).unwrap();
        assert!(!access.contains_key(ROLE_CLAIM), "{via:?}");
        let verifier = TokenVerifier::new(stack.local.endpoints().token_check()).unwrap();
        let checked = verifier
            .verify_token(tokens.id_token.expose(), TokenUse::Id)
            .await
            .expect("the pool's keys check the changed token");
        assert_eq!(checked.all[ROLE_CLAIM], "player", "{via:?}");
        // Signed with another key, the same claims are refused.
        let forged = {
            let mut parts = tokens.id_token.expose().split('.');
            let (header, body) = (parts.next().unwrap(), parts.next().unwrap());
            format!("{header}.{body}.c2lnbmF0dXJl")
        };
        assert!(verifier.verify_token(&forged, TokenUse::Id).await.is_err());

        cognito_login_backend::local::sdk_client(stack.local.cognito_endpoint())
            .admin_add_user_to_group()
            .user_pool_id(stack.local.user_pool_id())
            .username(&user)
            .group_name(cognito_login_backend::profile::ADMIN_GROUP)
            .send()
            .await
            .expect("the local pool has the template's admins group");
        let refreshed = stack
            .ask(AuthRequest::Refresh {
                refresh_token: tokens.refresh_token.clone().unwrap(),
                username: Some(user.clone()),
            })
            .await;
        let Ok(AuthOutcome::Tokens(refreshed)) = refreshed else {
            panic!("{via:?}: expected tokens, got {refreshed:?}");
        };
        let claims = unverified_claims(refreshed.id_token.expose()).unwrap();
        assert_eq!(claims[ROLE_CLAIM], "admin", "{via:?}");
        assert_eq!(
            claims["cognito:groups"],
            serde_json::json!(["admins"]),
            "{via:?}"
        );
    }
}

/// With game claims, a player added to the suspended group gets no tokens:
/// their next sign-in and their next refresh are refused with Cognito's
/// words for a refusing trigger, on both transports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_player_gets_no_tokens() {
    use cognito_login_backend::triggers::SUSPENDED_GROUP;
    for via in [Via::ApiGateway, Via::UserPool] {
        let stack = stack(
            via,
            TriggerConfig {
                game_claims: true,
                ..TriggerConfig::default()
            },
        )
        .await;
        let user = username(&format!("suspended-{via:?}"));
        stack.sign_up(&user).await;
        stack.confirm(&user).await;
        let tokens = stack.sign_in(&user, PASSWORD).await.expect("signed in");

        cognito_login_backend::local::sdk_client(stack.local.cognito_endpoint())
            .admin_add_user_to_group()
            .user_pool_id(stack.local.user_pool_id())
            .username(&user)
            .group_name(SUSPENDED_GROUP)
            .send()
            .await
            .expect("the local pool has the template's suspended group");
        let refused = |answer: Result<AuthOutcome, AuthError>| match answer {
            Err(AuthError::Server { kind, message, .. }) => {
                assert_eq!(
                    kind,
                    ServerErrorKind::Unknown("UserLambdaValidationException".into()),
                    "{via:?}"
                );
                assert!(
                    kind.player_message(&message).contains("suspended"),
                    "{via:?}: {message}"
                );
            }
            other => panic!("{via:?}: expected a refusal, got {other:?}"),
        };
        refused(
            stack
                .sign_in(&user, PASSWORD)
                .await
                .map(AuthOutcome::Tokens),
        );
        refused(
            stack
                .ask(AuthRequest::Refresh {
                    refresh_token: tokens.refresh_token.clone().unwrap(),
                    username: Some(user.clone()),
                })
                .await,
        );
    }
}

/// With translated emails, the code a new player gets is in the language
/// the game set at sign-up, on both transports; a password reset's too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_players_emails_are_in_the_language_they_signed_up_in() {
    for via in [Via::ApiGateway, Via::UserPool] {
        let stack = stack(
            via,
            TriggerConfig {
                translated_emails: true,
                ..TriggerConfig::default()
            },
        )
        .await;
        let user = username(&format!("sprache-{via:?}"));
        let signed_up = stack
            .ask(AuthRequest::SignUp {
                username: user.clone(),
                password: PASSWORD.into(),
                email: format!("{user}@example.com"),
                locale: Some("de".into()),
            })
            .await;
        assert!(signed_up.is_ok(), "{via:?}: {signed_up:?}");
        let mailbox = stack.local.mailbox().unwrap();
        let mail = mailbox
            .messages()
            .into_iter()
            .rfind(|mail| mail.username == user && mail.purpose == CodePurpose::ConfirmSignUp)
            .expect("a code was sent");
        let email = mail.email.expect("written by the trigger");
        assert_eq!(email.subject, "Bestätige dein Konto", "{via:?}");
        assert_eq!(
            email.body,
            format!(
                "Willkommen, {user}! Dein Bestätigungscode lautet {}.",
                mail.code
            ),
            "{via:?}"
        );
        stack.confirm(&user).await;
        stack
            .ask(AuthRequest::ForgotPassword {
                username: user.clone(),
            })
            .await
            .expect("a reset code");
        let reset = mailbox
            .messages()
            .into_iter()
            .rfind(|mail| mail.username == user && mail.purpose == CodePurpose::ResetPassword)
            .and_then(|mail| mail.email)
            .expect("a reset email");
        assert_eq!(reset.subject, "Setze dein Passwort zurück", "{via:?}");
    }
}
