use super::*;

fn sign_in() -> AuthRequest {
    AuthRequest::SignIn {
        username: "ada".into(),
        password: "pw".into(),
        device: None,
    }
}

fn answer(status: u16, body: &str) -> Result<AuthOutcome, AuthError> {
    parse(
        &sign_in(),
        Answer {
            status,
            error_type_header: None,
            body: body.as_bytes(),
        },
        SystemTime::UNIX_EPOCH,
    )
}

fn kind(result: Result<AuthOutcome, AuthError>) -> ServerErrorKind {
    result
        .unwrap_err()
        .server_kind()
        .cloned()
        .expect("a server error")
}

#[test]
fn tokens_and_challenges() {
    let ok = answer(
        200,
        r#"{"AuthenticationResult":{"AccessToken":"a","IdToken":"i","RefreshToken":"r","ExpiresIn":3600}}"#,
    );
    let AuthOutcome::Tokens(tokens) = ok.unwrap() else {
        panic!()
    };
    assert_eq!(tokens.refresh_token, Some("r".into()));
    let challenge = answer(
        200,
        r#"{"ChallengeName":"SMS_MFA","Session":"s","ChallengeParameters":{"CODE_DELIVERY_DESTINATION":"+***12","n":3}}"#,
    );
    let AuthOutcome::Challenge(challenge) = challenge.unwrap() else {
        panic!()
    };
    assert_eq!(challenge.name, crate::ChallengeName::SmsMfa);
    assert_eq!(challenge.parameters["n"], "3");
}

#[test]
fn refresh_without_a_new_refresh_token_keeps_the_old_one() {
    let request = AuthRequest::Refresh {
        refresh_token: "old".into(),
        username: None,
    };
    let body = br#"{"AuthenticationResult":{"AccessToken":"a","IdToken":"i"}}"#;
    let answer = Answer {
        status: 200,
        error_type_header: None,
        body,
    };
    let Ok(AuthOutcome::Tokens(tokens)) = parse(&request, answer, SystemTime::UNIX_EPOCH) else {
        panic!()
    };
    assert_eq!(tokens.refresh_token, Some("old".into()));
}

#[test]
fn error_shapes() {
    assert_eq!(
        kind(answer(
            400,
            r#"{"__type":"NotAuthorizedException","message":"Incorrect username or password."}"#
        )),
        ServerErrorKind::NotAuthorized
    );
    assert_eq!(
        kind(answer(
            400,
            r#"{"__type":"x.y#CodeMismatchException","Message":"bad"}"#
        )),
        ServerErrorKind::CodeMismatch
    );
    assert_eq!(
        kind(answer(
            200,
            r#"{"errorType":"UsernameExistsException","errorMessage":"taken"}"#
        )),
        ServerErrorKind::UsernameExists
    );
    assert_eq!(
        kind(answer(500, r#"{"message":"Internal Server Error"}"#)),
        ServerErrorKind::InternalError
    );
    assert_eq!(
        kind(answer(429, r#"{"message":"Too Many Requests"}"#)),
        ServerErrorKind::TooManyRequests
    );
    let header = parse(
        &sign_in(),
        Answer {
            status: 400,
            error_type_header: Some("UserNotFoundException:http://internal"),
            body: b"",
        },
        SystemTime::UNIX_EPOCH,
    );
    assert_eq!(kind(header), ServerErrorKind::UserNotFound);
}

#[test]
fn malformed_bodies() {
    for (status, body) in [
        (200, ""),
        (200, "{\"AuthenticationResult\":{\"AccessT"),
        (502, "<html><body>Bad Gateway</body></html>"),
        (200, "[1,2]"),
        (200, "{}"),
        (200, r#"{"AuthenticationResult":{"AccessToken":5}}"#),
    ] {
        let error = answer(status, body).unwrap_err();
        assert!(
            matches!(error, AuthError::Malformed { .. }),
            "{status} {body}: {error:?}"
        );
        assert!(!error.player_message().is_empty());
    }
}
