//! The local stack on its own thread, as a game without a runtime uses it.

use crate::support;

use cognito_login_backend::{CodePurpose, LocalConfig, LocalStack};
use cognito_login_client::{AuthOutcome, AuthRequest};
use std::time::Duration;

fn ask(
    worker: &cognito_login_client::AuthWorker,
    request: AuthRequest,
) -> Result<AuthOutcome, cognito_login_client::AuthError> {
    let id = worker.send(request);
    let reply = worker
        .replies()
        .recv_timeout(Duration::from_secs(20))
        .expect("a reply");
    assert_eq!(reply.id, id);
    reply.result
}

#[test]
fn a_background_stack_serves_a_whole_flow_and_stops_on_drop() {
    let stack = LocalStack::spawn(LocalConfig::default()).expect("starts");
    let worker = support::worker(&stack.endpoints().api_gateway_config().into());
    let user = "background";
    ask(
        &worker,
        AuthRequest::SignUp {
            username: user.into(),
            password: support::PASSWORD.into(),
            email: "b@example.com".into(),
            locale: None,
        },
    )
    .unwrap();
    assert!(
        ask(
            &worker,
            AuthRequest::ConfirmSignUp {
                username: user.into(),
                code: "WRONG-CODE".into()
            }
        )
        .is_err()
    );
    assert!(
        ask(
            &worker,
            AuthRequest::SignIn {
                username: user.into(),
                password: support::PASSWORD.into(),
                device: None,
            }
        )
        .is_err()
    );
    let code = stack
        .mailbox()
        .unwrap()
        .latest_code(user, CodePurpose::ConfirmSignUp)
        .unwrap();
    assert_eq!(
        ask(
            &worker,
            AuthRequest::ConfirmSignUp {
                username: user.into(),
                code: code.into()
            }
        ),
        Ok(AuthOutcome::Confirmed)
    );
    assert!(
        ask(
            &worker,
            AuthRequest::SignIn {
                username: user.into(),
                password: "Wrong-Pass-9".into(),
                device: None,
            }
        )
        .is_err()
    );
    let signed_in = ask(
        &worker,
        AuthRequest::SignIn {
            username: user.into(),
            password: support::PASSWORD.into(),
            device: None,
        },
    );
    assert!(
        matches!(signed_in, Ok(AuthOutcome::Tokens(_))),
        "{signed_in:?}"
    );
    let url = stack.endpoints().url.clone();
    drop(stack);
    assert!(
        std::net::TcpStream::connect(url.trim_start_matches("http://")).is_err(),
        "stopped"
    );
}
