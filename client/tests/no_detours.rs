//! Requests go to the configured host only: a redirect is never followed
//! (not by a sign-in carrying a password, not by the JWKS fetch), and an
//! environment proxy is never used for a loopback host.
//!
//! One test in its own binary: it sets the proxy variables of the process.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cognito_login_client::{
    ApiGatewayConfig, ApiGatewayTransport, AuthError, AuthRequest, SignInFlow, TokenCheck,
    Transport, UserPoolConfig, UserPoolTransport,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server that counts the connections it gets and answers each with
/// `answer`; returns its `http://host:port`.
async fn server(
    answer: impl Fn(&str) -> String + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let (counter, answer) = (Arc::clone(&count), Arc::new(answer));
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, Ordering::SeqCst);
            let answer = Arc::clone(&answer);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let _ = stream.write_all(answer(&head).as_bytes()).await;
            });
        }
    });
    (url, count)
}

fn redirect(to: &str) -> String {
    format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {to}/stolen\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
}

fn sign_in() -> AuthRequest {
    AuthRequest::SignIn {
        username: "ada".into(),
        password: "Secret-Pass-1".into(),
        device: None,
    }
}

#[test]
fn no_redirect_and_no_proxy_on_loopback() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // A proxy every request would go through if the environment applied.
        let (proxy, proxied) = server(|_| {
            "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into()
        })
        .await;
        for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"] {
            // SAFETY: set before any other thread of this process reads the
            // environment; the one test of this binary runs alone.
            unsafe { std::env::set_var(name, &proxy) };
        }
        for name in ["NO_PROXY", "no_proxy"] {
            // SAFETY: as above.
            unsafe { std::env::remove_var(name) };
        }

        let (thief, stolen) = server(|_| {
            let body = r#"{"AuthenticationResult":{"AccessToken":"a","IdToken":"i","ExpiresIn":60}}"#;
            format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
        })
        .await;
        let thief_url = thief.clone();
        let (login, _) = server(move |_| redirect(&thief_url)).await;

        let gateway = ApiGatewayTransport::new(ApiGatewayConfig::unverified(&login)).unwrap();
        let check = TokenCheck::new("https://issuer.example/pool", "client")
            .with_jwks_url(format!("{login}/jwks.json"));
        let pool = UserPoolTransport::new(
            UserPoolConfig::new("eu-west-1", "eu-west-1_Pool", "client")
                .with_endpoint(&login)
                .with_sign_in_flow(SignInFlow::UserPassword)
                .with_token_check(check),
        )
        .unwrap();
        let transports: [(&str, &dyn Transport); 2] = [("API Gateway", &gateway), ("user pool", &pool)];
        for (name, transport) in transports {
            let result = transport.send(sign_in()).await;
            assert!(
                matches!(&result, Err(AuthError::Malformed { status: 307, .. })),
                "{name}: {result:?}"
            );
        }

        // The keys' URL redirects too: the tokens are refused, the keys
        // never fetched from elsewhere.
        let (tokens_server, _) = server(|head| {
            let body = r#"{"AuthenticationResult":{"AccessToken":"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.c2ln","IdToken":"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30.c2ln","ExpiresIn":60}}"#;
            assert!(head.starts_with("POST"), "{head}");
            format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
        })
        .await;
        let keys = ApiGatewayTransport::new(ApiGatewayConfig::new(
            &tokens_server,
            TokenCheck::new("https://issuer.example/pool", "client")
                .with_jwks_url(format!("{login}/jwks.json")),
        ))
        .unwrap();
        let result = keys.send(sign_in()).await;
        assert!(
            matches!(&result, Err(AuthError::Malformed { status: 307, .. })),
            "{result:?}"
        );

        assert_eq!(stolen.load(Ordering::SeqCst), 0, "nothing reached the other host");
        assert_eq!(proxied.load(Ordering::SeqCst), 0, "no loopback request went through the proxy");
    });
}
