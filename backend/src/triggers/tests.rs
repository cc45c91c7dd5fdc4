use super::*;

fn sign_up(email: &str) -> Value {
    pre_sign_up_event(
        "eu-west-1_Pool",
        "client",
        "ada",
        [("email".to_owned(), email.to_owned())],
    )
}

#[tokio::test]
async fn by_default_nothing_changes() {
    let answer = handle(&TriggerConfig::default(), sign_up("ada@example.com"))
        .await
        .unwrap();
    assert_eq!(answer["response"]["autoConfirmUser"], false);
    assert_eq!(answer["response"]["autoVerifyEmail"], false);
    assert_eq!(answer["userName"], "ada");
}

#[tokio::test]
async fn auto_confirm_confirms_and_verifies_the_email() {
    let config = TriggerConfig::from_values(Some("true"), None);
    let answer = handle(&config, sign_up("ada@example.com")).await.unwrap();
    assert_eq!(answer["response"]["autoConfirmUser"], true);
    assert_eq!(answer["response"]["autoVerifyEmail"], true);
    assert_eq!(answer["response"]["autoVerifyPhone"], false);
}

#[tokio::test]
async fn only_listed_domains_sign_up() {
    let config = TriggerConfig::from_values(None, Some(" Studio.example , @qa.example,"));
    assert_eq!(
        config.allowed_email_domains,
        ["studio.example", "qa.example"]
    );
    assert!(handle(&config, sign_up("ada@STUDIO.example")).await.is_ok());
    assert!(handle(&config, sign_up("bob@qa.example")).await.is_ok());
    for refused in [
        "eve@example.com",
        "eve@studio.example.evil",
        "eve@sub.studio.example",
        "no-at-sign",
    ] {
        assert!(
            handle(&config, sign_up(refused)).await.is_err(),
            "{refused}"
        );
    }
    let mut no_email = sign_up("x@studio.example");
    no_email["request"]["userAttributes"] = serde_json::json!({});
    assert!(handle(&config, no_email).await.is_err());
}

#[tokio::test]
async fn a_confirmed_player_starts_with_the_initial_profile_once() {
    use crate::profile::LocalProfiles;
    let config = TriggerConfig::default()
        .with_initial_profile(Some(r#" {"coins": 100} "#))
        .unwrap();
    let store = Arc::new(LocalProfiles::new(None));
    let triggers = Triggers::new(config).with_profiles(store.clone());
    let confirmed = post_confirmation_event(
        "eu-west-1_Pool",
        "client",
        "ada",
        [("sub".to_owned(), "4f1c".to_owned())],
    );
    let answer = triggers.handle(confirmed.clone()).await.unwrap();
    assert_eq!(answer["response"], serde_json::json!({}));
    let profile = store.get("4f1c").await.unwrap();
    assert_eq!(
        (profile.version, &profile.data),
        (1, &serde_json::json!({"coins": 100}))
    );

    // The player spends; a later confirmation (a password reset, or the
    // same event again) never resets the profile.
    store
        .put("4f1c", 1, serde_json::json!({"coins": 3}))
        .await
        .unwrap();
    let mut reset = confirmed.clone();
    reset["triggerSource"] = "PostConfirmation_ConfirmForgotPassword".into();
    for event in [confirmed, reset] {
        triggers.handle(event).await.unwrap();
    }
    assert_eq!(
        store.get("4f1c").await.unwrap().data,
        serde_json::json!({"coins": 3})
    );
}

#[test]
fn an_initial_profile_must_be_json_of_a_profiles_size() {
    let config = TriggerConfig::default();
    assert_eq!(
        config
            .clone()
            .with_initial_profile(Some(" "))
            .unwrap()
            .initial_profile,
        None
    );
    assert!(
        config
            .clone()
            .with_initial_profile(Some("{coins"))
            .unwrap_err()
            .contains("not JSON")
    );
    let huge = format!("\"{}\"", "x".repeat(MAX_PROFILE_BYTES));
    assert!(
        config
            .with_initial_profile(Some(&huge))
            .unwrap_err()
            .contains("bytes")
    );
}

/// The version 2 event of AWS's documentation for the trigger.
fn documented_token_event(groups: &[&str]) -> Value {
    serde_json::json!({
        "version": "2",
        "triggerSource": "TokenGeneration_Authentication",
        "region": "us-east-1",
        "userPoolId": "us-east-1_EXAMPLE",
        "userName": "JaneDoe",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": "1example23456789"},
        "request": {
            "userAttributes": {"sub": "a36036a8-7061-4f1c-9d8a-2d5e5a7a3d2f",
                "cognito:user_status": "CONFIRMED", "email_verified": "true",
                "email": "janedoe@example.com"},
            "groupConfiguration": {"groupsToOverride": groups,
                "iamRolesToOverride": [], "preferredRole": null},
            "scopes": ["aws.cognito.signin.user.admin", "openid", "email"]
        },
        "response": {"claimsAndScopeOverrideDetails": null}
    })
}

fn game_claims() -> TriggerConfig {
    TriggerConfig {
        game_claims: true,
        ..TriggerConfig::default()
    }
}

#[tokio::test]
async fn tokens_carry_the_players_role_and_keep_their_groups() {
    for (groups, role) in [
        (&["admins", "testers"][..], "admin"),
        (&["testers"][..], "tester"),
        (&[][..], "player"),
    ] {
        let answer = handle(&game_claims(), documented_token_event(groups))
            .await
            .unwrap();
        let details = &answer["response"]["claimsAndScopeOverrideDetails"];
        for token in ["idTokenGeneration", "accessTokenGeneration"] {
            assert_eq!(
                details[token]["claimsToAddOrOverride"],
                serde_json::json!({"game:role": role}),
                "{token} of {groups:?}"
            );
            assert_eq!(details[token]["claimsToSuppress"], serde_json::json!([]));
        }
        assert_eq!(
            details["groupOverrideDetails"]["groupsToOverride"],
            serde_json::json!(groups),
            "the groups stay"
        );
        assert_eq!(answer["userName"], "JaneDoe");
    }
    // The same event as the local stack makes it.
    let made = pre_token_generation_event("p", "c", "ada", &["testers".into()], true);
    let answer = handle(&game_claims(), made).await.unwrap();
    assert_eq!(
        answer["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]["claimsToAddOrOverride"]
            ["game:role"],
        "tester"
    );
}

#[tokio::test]
async fn a_suspended_player_gets_no_tokens() {
    let refused = handle(
        &game_claims(),
        documented_token_event(&["testers", "suspended"]),
    )
    .await;
    assert_eq!(
        refused,
        Err(TriggerRefusal("This account is suspended.".into()))
    );
    let mut refresh = documented_token_event(&["suspended"]);
    refresh["triggerSource"] = "TokenGeneration_RefreshTokens".into();
    assert!(handle(&game_claims(), refresh.clone()).await.is_err());
    // A version 1 event (the Lite tier's) too, its ID token keeping the role.
    let mut v1 = refresh;
    v1["version"] = "1".into();
    v1["response"] = serde_json::json!({"claimsOverrideDetails": null});
    assert!(handle(&game_claims(), v1.clone()).await.is_err());
    v1["request"]["groupConfiguration"]["groupsToOverride"] = serde_json::json!(["admins"]);
    let answer = handle(&game_claims(), v1).await.unwrap();
    assert_eq!(
        answer["response"]["claimsOverrideDetails"]["claimsToAddOrOverride"],
        serde_json::json!({"game:role": "admin"})
    );
    // Without game claims the event comes back as it came.
    let event = documented_token_event(&["suspended"]);
    assert_eq!(
        handle(&TriggerConfig::default(), event.clone()).await,
        Ok(event)
    );
}

fn translated() -> TriggerConfig {
    TriggerConfig {
        translated_emails: true,
        ..TriggerConfig::default()
    }
}

/// The custom message event of AWS's documentation.
fn documented_message_event(source: &str, attributes: Value) -> Value {
    serde_json::json!({
        "version": "1",
        "region": "us-east-1",
        "userPoolId": "us-east-1_EXAMPLE",
        "userName": "test-user",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": "1example23456789"},
        "triggerSource": source,
        "request": {
            "userAttributes": attributes,
            "codeParameter": "{####}",
            "linkParameter": "{##Click Here##}",
            "usernameParameter": null
        },
        "response": {"smsMessage": null, "emailMessage": null, "emailSubject": null}
    })
}

#[tokio::test]
async fn emails_are_written_in_the_players_language() {
    let attributes = serde_json::json!({"sub": "a36036a8", "email_verified": "false",
        "email": "test-user@example.com", "locale": "de-AT"});
    let answer = handle(
        &translated(),
        documented_message_event("CustomMessage_SignUp", attributes),
    )
    .await
    .unwrap();
    assert_eq!(answer["response"]["emailSubject"], "Bestätige dein Konto");
    assert_eq!(
        answer["response"]["emailMessage"],
        "Willkommen, test-user! Dein Bestätigungscode lautet {####}."
    );
    assert_eq!(
        answer["response"]["smsMessage"],
        Value::Null,
        "Cognito's own"
    );

    // No locale, or one without sentences: English.
    for attributes in [serde_json::json!({}), serde_json::json!({"locale": "xx"})] {
        let answer = handle(
            &translated(),
            documented_message_event("CustomMessage_ForgotPassword", attributes),
        )
        .await
        .unwrap();
        assert_eq!(answer["response"]["emailSubject"], "Reset your password");
    }

    // Each kind, in each language, carries the code where Cognito puts it.
    let texts = Translations::shipped_in(FALLBACK_LOCALE);
    for locale in texts.locales() {
        for source in [
            "CustomMessage_SignUp",
            "CustomMessage_ResendCode",
            "CustomMessage_ForgotPassword",
            "CustomMessage_UpdateUserAttribute",
            "CustomMessage_VerifyUserAttribute",
            "CustomMessage_Authentication",
        ] {
            let event = custom_message_event("p", "c", "ada", source, Some(locale));
            let answer = handle(&translated(), event).await.unwrap();
            let body = answer["response"]["emailMessage"].as_str().unwrap();
            assert!(body.contains("{####}"), "{locale} {source}: {body}");
            assert!(
                !answer["response"]["emailSubject"]
                    .as_str()
                    .unwrap()
                    .is_empty()
            );
        }
    }
}

#[tokio::test]
async fn an_invitation_names_the_username_cognito_fills_in_and_names_are_escaped() {
    let mut invite =
        documented_message_event("CustomMessage_AdminCreateUser", serde_json::json!({}));
    invite["request"]["usernameParameter"] = "{username}".into();
    let answer = handle(&translated(), invite).await.unwrap();
    let body = answer["response"]["emailMessage"].as_str().unwrap();
    assert!(
        body.contains("{username}") && body.contains("{####}"),
        "{body}"
    );

    let mut sign_up = documented_message_event("CustomMessage_SignUp", serde_json::json!({}));
    sign_up["userName"] = "<a href='x'>Eve</a>".into();
    let answer = handle(&translated(), sign_up.clone()).await.unwrap();
    let body = answer["response"]["emailMessage"].as_str().unwrap();
    assert!(
        body.contains("&lt;a href=&#39;x&#39;&gt;Eve&lt;/a&gt;") && !body.contains('<'),
        "{body}"
    );
    // Off, the event comes back as it came: Cognito's own message.
    assert_eq!(
        handle(&TriggerConfig::default(), sign_up.clone()).await,
        Ok(sign_up)
    );
}

#[tokio::test]
async fn other_triggers_come_back_unchanged() {
    let event = serde_json::json!({"triggerSource": "PostAuthentication_Authentication",
        "request": {}, "response": {}});
    assert_eq!(
        handle(&TriggerConfig::default(), event.clone()).await,
        Ok(event)
    );
}
