use super::*;

#[test]
fn server_text_reaches_the_player_short_and_plain() {
    let kind = ServerErrorKind::Unknown("Weird".into());
    let said = kind.player_message("Go to\n\u{202E}moc.live\u{202C}  now\u{7}");
    assert_eq!(said, "The login server refused: Go to moc.live now");
    let long = kind.player_message(&"é".repeat(500));
    let words = long.trim_start_matches("The login server refused: ");
    assert_eq!(words.chars().count(), 200);
    assert!(words.ends_with('…'));
    let api = crate::ApiError::Failed(AuthError::Server {
        kind: kind.clone(),
        message: "\u{1b}\r\n\t".into(),
        status: 400,
    });
    assert_eq!(api.player_message(), "The game's server refused.");
}

#[test]
fn error_types_parse_with_prefixes_and_suffixes() {
    let cases = [
        ("NotAuthorizedException", ServerErrorKind::NotAuthorized),
        (
            "com.amazonaws.cognito.identity.idp.model#UsernameExistsException",
            ServerErrorKind::UsernameExists,
        ),
        (
            "CodeMismatchException:http://internal.amazon.com/coral/",
            ServerErrorKind::CodeMismatch,
        ),
        ("NotImplementedException", ServerErrorKind::Unsupported),
        (
            "WeirdException",
            ServerErrorKind::Unknown("WeirdException".into()),
        ),
    ];
    for (name, kind) in cases {
        assert_eq!(ServerErrorKind::from_type(name), kind, "{name}");
    }
}

#[test]
fn not_authorized_shows_the_server_message() {
    let kind = ServerErrorKind::NotAuthorized;
    assert_eq!(
        kind.player_message("Password attempts exceeded"),
        "Password attempts exceeded"
    );
    assert_eq!(kind.player_message(""), "Wrong username or password.");
}

#[test]
fn raw_body_debug_hides_tokens() {
    let body = RawBody::new(
        br#"{"AuthenticationResult":{"AccessToken":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc"#,
    );
    let debug = format!("{body:?}");
    assert!(!debug.contains("eyJ"), "{debug}");
    assert!(debug.contains("AccessToken"), "{debug}");
    assert!(
        !body.as_str().contains("eyJ"),
        "not even the raw text keeps a token"
    );
}

#[test]
fn raw_body_is_truncated() {
    assert_eq!(
        RawBody::new(&b"x ".repeat(2500)).as_str().len(),
        RawBody::LIMIT
    );
}
