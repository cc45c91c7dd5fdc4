//! Browser sign-in against the embedded emulator's managed login: its
//! `/oauth2/authorize`, login page and `/oauth2/token` with PKCE, over real
//! loopback HTTP. The test plays the browser: it fetches the login page,
//! submits its form and follows the redirect to the client's listener.

use crate::support;

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cognito_login_backend::local::play_managed_login;
use cognito_login_backend::{LocalConfig, LocalStack};
use cognito_login_client::{
    AuthError, AuthOutcome, AuthRequest, BrowserErrorKind, BrowserRequest, BrowserSignIn,
    ManagedLogin, ServerErrorKind, Tokens, unverified_claims,
};
use support::{Emulator, PASSWORD, Stack, Via, username};
use tempfile::TempDir;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// A stack whose app client redirects to a port of this test's own, and a
/// confirmed player.
async fn stack_with_player(test: &str) -> (Stack, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let local = LocalStack::start(LocalConfig {
        redirect_port: Some(port),
        ..LocalConfig::default()
    })
    .await
    .expect("the local stack starts");
    let stack = Stack::over(Emulator::Cognitox, Via::UserPool, local);
    let user = username(test);
    stack.sign_up(&user).await;
    stack.confirm(&user).await;
    (stack, user)
}

/// A browser sign-in whose "browser" hands the authorize URL to the test.
fn sign_in(stack: &Stack) -> (BrowserSignIn, UnboundedReceiver<String>) {
    let endpoints = stack.local.endpoints();
    let (opened, urls) = unbounded_channel();
    let login = endpoints.managed_login().with_browser(move |url| {
        opened.send(url.to_owned()).unwrap();
        Ok(())
    });
    let browser =
        BrowserSignIn::new(login, endpoints.token_check()).expect("a valid configuration");
    (browser, urls)
}

/// The test's browser: no redirect is followed by itself.
fn browser() -> reqwest::Client {
    crate::support::http()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

fn location(answer: &reqwest::Response) -> String {
    answer
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect, got {}", answer.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Plays the browser up to the redirect back to the game: the authorize URL
/// sends it to the login page, whose form it submits as `user`. Returns
/// the redirect's URL, not yet followed.
async fn log_in(authorize: &str, user: &str) -> String {
    play_managed_login(authorize, user, PASSWORD)
        .await
        .expect("the login page signs the player in")
}

/// `application/x-www-form-urlencoded`, as a browser sends a form.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Follows the redirect to the game's listener and returns its page.
async fn return_to_game(redirect: &str) -> String {
    browser()
        .get(redirect)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The value of `name` in `url`'s query, as sent.
fn param(url: &str, name: &str) -> String {
    let start = url
        .find(&format!("?{name}="))
        .or_else(|| url.find(&format!("&{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {url}"))
        + name.len()
        + 2;
    url[start..].split('&').next().unwrap().to_owned()
}

/// The game's redirect URL with `query`, as a browser would be sent to it.
fn callback(stack: &Stack, query: &str) -> String {
    let port = stack.local.endpoints().redirect_port;
    format!("http://localhost:{port}/callback?{query}")
}

fn kind(result: &Result<Tokens, AuthError>) -> BrowserErrorKind {
    match result {
        Err(AuthError::Browser { kind, .. }) => *kind,
        other => panic!("expected a browser error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_player_signs_in_in_the_browser_and_the_session_is_an_ordinary_one() {
    let (stack, user) = stack_with_player("browser").await;
    let (browser_sign_in, mut urls) = sign_in(&stack);
    let player = async {
        let authorize = urls.recv().await.unwrap();
        // A fresh login: the managed login's own session ends first.
        let logout = format!("{}/logout?", stack.local.endpoints().cognito_endpoint);
        assert!(authorize.starts_with(&logout), "{authorize}");
        for expected in [
            "response_type=code",
            "client_id=",
            "redirect_uri=http%3A%2F%2Flocalhost%3A",
            "code_challenge_method=S256",
            "code_challenge=",
            "state=",
            "scope=openid+email+profile+aws.cognito.signin.user.admin",
            "identity_provider=COGNITO",
            "login_hint=",
        ] {
            assert!(authorize.contains(expected), "{expected} in {authorize}");
        }
        let redirect = log_in(&authorize, &user).await;
        assert!(redirect.starts_with(&format!(
            "http://localhost:{}/callback?code=",
            stack.local.endpoints().redirect_port
        )));
        return_to_game(&redirect).await
    };
    let request = BrowserRequest {
        provider: Some("COGNITO".into()),
        login_hint: Some(user.clone()),
    };
    let (tokens, page) = tokio::join!(browser_sign_in.sign_in(request), player);
    let tokens = tokens.expect("signed in");
    assert!(page.contains("return to the game"), "{page}");
    let claims = unverified_claims(tokens.id_token.expose()).unwrap();
    assert_eq!(claims["cognito:username"], user.as_str());
    assert!(
        tokens.expires_at.is_some(),
        "the expiry is set from the verified token"
    );

    assert!(
        tokens.from_browser,
        "a browser session's sign-out ends the browser's"
    );

    // An ordinary session: its access token reads the account (the account
    // screens' scope), and the transport refreshes and revokes it.
    let account = stack
        .ask(AuthRequest::GetAccount {
            access_token: tokens.access_token.clone(),
        })
        .await;
    assert!(
        matches!(&account, Ok(AuthOutcome::Account(account)) if account.username == user),
        "{account:?}"
    );
    let refresh_token = tokens.refresh_token.clone().expect("a refresh token");
    let refreshed = stack
        .ask(AuthRequest::Refresh {
            refresh_token: refresh_token.clone(),
            username: None,
        })
        .await;
    assert!(
        matches!(refreshed, Ok(AuthOutcome::Tokens(_))),
        "{refreshed:?}"
    );
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
    assert!(
        matches!(
            &after,
            Err(AuthError::Server {
                kind: ServerErrorKind::NotAuthorized,
                ..
            })
        ),
        "{after:?}"
    );

    // The browser's session ends too: `/logout` sends it back to the game,
    // which says the player is signed out.
    let player = async {
        let logout = urls.recv().await.unwrap();
        let port = stack.local.endpoints().redirect_port;
        assert!(
            logout.starts_with(&format!("{}/logout?", stack.local.cognito_endpoint())),
            "{logout}"
        );
        assert_eq!(
            param(&logout, "client_id"),
            stack.local.endpoints().client_id
        );
        assert_eq!(
            param(&logout, "logout_uri"),
            format!("http%3A%2F%2Flocalhost%3A{port}%2Fsigned-out")
        );
        let answer = browser().get(&logout).send().await.unwrap();
        return_to_game(&location(&answer)).await
    };
    let (ended, page) = tokio::join!(browser_sign_in.sign_out(), player);
    ended.expect("the browser session ended");
    assert!(page.contains("You are signed out"), "{page}");
}

#[tokio::test]
async fn only_a_listed_sign_out_url_ends_the_browser_session() {
    let (stack, user) = stack_with_player("browser-logout").await;
    let endpoints = stack.local.endpoints();
    let logout = |client: &str, uri: &str| {
        format!(
            "{}/logout?client_id={client}&logout_uri={}",
            stack.local.cognito_endpoint(),
            encode(uri)
        )
    };
    let listed = ManagedLogin::logout_uri(endpoints.redirect_port);
    let answer = browser()
        .get(logout(&endpoints.client_id, &listed))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&answer), listed);
    for (client, uri) in [
        (
            endpoints.client_id.as_str(),
            "https://evil.example/signed-out",
        ),
        (endpoints.client_id.as_str(), ""),
        ("1example23456789", listed.as_str()),
    ] {
        let answer = browser().get(logout(client, uri)).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{client} {uri}");
    }

    // A password sign-in's session is no browser session: its sign-out
    // opens no browser.
    let tokens = stack.sign_in(&user, PASSWORD).await.expect("signed in");
    assert!(!tokens.from_browser);
}

#[tokio::test]
async fn the_next_sign_in_takes_the_port_from_a_sign_out_still_waiting() {
    let (stack, _) = stack_with_player("browser-takeover").await;
    let (browser_sign_in, mut urls) = sign_in(&stack);
    // The browser never comes back from /logout: the sign-out waits on the
    // port, for a minute at most.
    let signing_out = browser_sign_in.sign_out();
    let next_player = async {
        let logout = urls.recv().await.unwrap();
        assert!(logout.contains("/logout?"), "{logout}");
        let sign_in = browser_sign_in.sign_in(BrowserRequest::default());
        tokio::pin!(sign_in);
        tokio::select! {
            ended = &mut sign_in => return ended,
            authorize = urls.recv() => {
                assert!(authorize.unwrap().contains("/logout?response_type=code&"));
                browser_sign_in.cancel();
            }
        }
        sign_in.await
    };
    let both = async { tokio::join!(signing_out, next_player) };
    let (ended, next) = tokio::time::timeout(Duration::from_secs(10), both)
        .await
        .expect("the sign-out let the port go");
    ended.expect("the sign-out ended");
    assert_eq!(next, Err(AuthError::Cancelled), "the sign-in got the port");
}

#[tokio::test]
async fn a_redirect_with_another_state_is_turned_away_and_the_wait_goes_on() {
    let (stack, user) = stack_with_player("browser-state").await;
    let (browser_sign_in, mut urls) = sign_in(&stack);
    let player = async {
        let authorize = urls.recv().await.unwrap();
        let redirect = log_in(&authorize, &user).await;
        let (start, state) = redirect.split_once("&state=").unwrap();
        assert!(!state.is_empty());
        // Another program, or a stale tab, calls the port first: it is
        // told so, and the player's own redirect still ends the sign-in.
        let stray = return_to_game(&format!("{start}&state=someone-elses")).await;
        assert!(stray.contains("does not belong"), "{stray}");
        let stray = return_to_game(&callback(&stack, "code=forged")).await;
        assert!(stray.contains("does not belong"), "{stray}");
        return_to_game(&redirect).await
    };
    let (result, page) = tokio::join!(browser_sign_in.sign_in(BrowserRequest::default()), player);
    let tokens = result.expect("the player's own redirect signs in");
    assert!(tokens.from_browser);
    assert!(page.contains("return to the game"), "{page}");
}

#[tokio::test]
async fn an_error_redirect_ends_the_sign_in() {
    let (stack, _) = stack_with_player("browser-denied").await;
    let (browser_sign_in, mut urls) = sign_in(&stack);
    let player = async {
        let authorize = urls.recv().await.unwrap();
        let state = param(&authorize, "state");
        return_to_game(&callback(
            &stack,
            &format!("error=access_denied&state={state}"),
        ))
        .await
    };
    let (result, page) = tokio::join!(browser_sign_in.sign_in(BrowserRequest::default()), player);
    assert_eq!(kind(&result), BrowserErrorKind::Refused);
    assert!(page.contains("did not finish"), "{page}");
}

#[tokio::test]
async fn a_code_used_twice_and_a_code_for_another_verifier_are_refused() {
    let (stack, user) = stack_with_player("browser-replay").await;
    let (browser_sign_in, mut urls) = sign_in(&stack);

    // The first sign-in uses its code; the next one is handed that code
    // again, under its own state.
    let player = async {
        let authorize = urls.recv().await.unwrap();
        let redirect = log_in(&authorize, &user).await;
        return_to_game(&redirect).await;
        redirect
    };
    let (first, used) = tokio::join!(browser_sign_in.sign_in(BrowserRequest::default()), player);
    first.expect("the first sign-in");
    let used_code = param(&used, "code");
    let player = async {
        let authorize = urls.recv().await.unwrap();
        let state = param(&authorize, "state");
        return_to_game(&callback(
            &stack,
            &format!("code={used_code}&state={state}"),
        ))
        .await
    };
    let (replayed, _) = tokio::join!(browser_sign_in.sign_in(BrowserRequest::default()), player);
    assert!(
        matches!(
            &replayed,
            Err(AuthError::Server {
                kind: ServerErrorKind::NotAuthorized,
                ..
            })
        ),
        "{replayed:?}"
    );

    // A code issued for another PKCE challenge (one an attacker made) does
    // not exchange with this sign-in's verifier.
    let player = async {
        let authorize = urls.recv().await.unwrap();
        let (start, rest) = authorize.split_once("code_challenge=").unwrap();
        let rest = rest.split_once('&').map_or("", |(_, rest)| rest);
        let forged =
            format!("{start}code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&{rest}");
        let redirect = log_in(&forged, &user).await;
        return_to_game(&redirect).await
    };
    let (other_verifier, _) =
        tokio::join!(browser_sign_in.sign_in(BrowserRequest::default()), player);
    match &other_verifier {
        Err(AuthError::Server {
            kind: ServerErrorKind::NotAuthorized,
            message,
            ..
        }) => {
            assert!(message.contains("verifier"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_player_who_closes_the_browser_gets_the_menu_back() {
    let (stack, _) = stack_with_player("browser-closed").await;
    let endpoints = stack.local.endpoints();
    let port = endpoints.redirect_port;
    let browser_sign_in = BrowserSignIn::new(
        endpoints
            .managed_login()
            .with_timeout(Duration::from_millis(300))
            .with_browser(|_| Ok(())),
        endpoints.token_check(),
    )
    .unwrap();
    let result = browser_sign_in.sign_in(BrowserRequest::default()).await;
    assert_eq!(kind(&result), BrowserErrorKind::TimedOut);
    // The port is free again for the next try.
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free");

    // A cancelled wait ends at once, and frees the port too.
    let slow = BrowserSignIn::new(
        endpoints.managed_login().with_browser(|_| Ok(())),
        endpoints.token_check(),
    )
    .unwrap();
    let cancel_slow = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        slow.cancel();
    };
    let (result, ()) = tokio::join!(slow.sign_in(BrowserRequest::default()), cancel_slow);
    assert_eq!(result, Err(AuthError::Cancelled));
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free");

    // No browser to open: said at once.
    let no_browser = BrowserSignIn::new(
        endpoints
            .managed_login()
            .with_browser(|_| Err(std::io::Error::other("no browser"))),
        endpoints.token_check(),
    )
    .unwrap();
    let result = no_browser.sign_in(BrowserRequest::default()).await;
    assert_eq!(kind(&result), BrowserErrorKind::NotOpened);
}

#[tokio::test]
async fn a_port_already_taken_is_said_plainly() {
    let (stack, _) = stack_with_player("browser-port").await;
    let port = stack.local.endpoints().redirect_port;
    // Held on either loopback address, the port would hand the redirect to
    // whoever holds it: `localhost` may resolve to either.
    for address in ["127.0.0.1", "::1"] {
        let taken = std::net::TcpListener::bind((address, port)).unwrap();
        let (browser_sign_in, mut urls) = sign_in(&stack);
        let result = browser_sign_in.sign_in(BrowserRequest::default()).await;
        assert_eq!(kind(&result), BrowserErrorKind::PortInUse, "{address}");
        assert!(urls.try_recv().is_err(), "{address}: no browser was opened");
        let message = result.unwrap_err().player_message();
        assert!(message.contains("Another program"), "{message}");
        drop(taken);
    }
}

/// Chromium as the player's browser: each URL the client opens starts a
/// headless Chromium with a fresh profile and its DevTools port, where the
/// test reads the page and types into it as the player would.
#[derive(Clone, Default)]
struct Chromium {
    opened: Arc<Mutex<Vec<(Child, TempDir)>>>,
}

impl Chromium {
    fn open(&self, url: &str) -> std::io::Result<()> {
        let profile = tempfile::tempdir()?;
        let child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.opened.lock().unwrap().push((child, profile));
        Ok(())
    }

    /// The page of the `n`th browser opened, over DevTools.
    async fn page(&self, n: usize) -> Page {
        let deadline = Instant::now() + Duration::from_secs(30);
        let port_file = loop {
            let profile = self
                .opened
                .lock()
                .unwrap()
                .get(n)
                .map(|(_, profile)| profile.path().join("DevToolsActivePort"));
            if let Some(file) = profile.filter(|file| file.exists()) {
                break file;
            }
            assert!(Instant::now() < deadline, "Chromium {n} did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let port = loop {
            let text = std::fs::read_to_string(&port_file).unwrap_or_default();
            if let Some(port) = text
                .lines()
                .next()
                .and_then(|port| port.parse::<u16>().ok())
            {
                break port;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let targets = browser()
            .get(format!("http://127.0.0.1:{port}/json/list"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let targets: serde_json::Value = serde_json::from_str(&targets).unwrap();
        let socket = targets
            .as_array()
            .unwrap()
            .iter()
            .find(|target| target["type"] == "page")
            .and_then(|page| page["webSocketDebuggerUrl"].as_str())
            .expect("a page to drive")
            .to_owned();
        let (socket, _) = tokio_tungstenite::connect_async(socket).await.unwrap();
        Page { socket, next_id: 0 }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if Arc::strong_count(&self.opened) == 1 {
            for (child, _) in self.opened.lock().unwrap().iter_mut() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// One Chromium page, driven over the DevTools protocol.
struct Page {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
}

impl Page {
    /// The value of a JavaScript expression in the page.
    async fn evaluate(&mut self, expression: &str) -> serde_json::Value {
        use futures_util::{SinkExt as _, StreamExt as _};
        use tokio_tungstenite::tungstenite::Message;
        self.next_id += 1;
        let id = self.next_id;
        let call = serde_json::json!({
            "id": id,
            "method": "Runtime.evaluate",
            "params": {"expression": expression, "returnByValue": true},
        });
        self.socket
            .send(Message::text(call.to_string()))
            .await
            .unwrap();
        while let Some(message) = self.socket.next().await {
            let Ok(Message::Text(text)) = message else {
                continue;
            };
            let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
            if answer["id"] == id {
                return answer["result"]["result"]["value"].clone();
            }
        }
        panic!("DevTools closed")
    }

    /// Waits until `expression` is true in the page (it loads, or moves on).
    async fn until(&mut self, what: &str, expression: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.evaluate(expression).await != serde_json::Value::Bool(true) {
            let text = self
                .evaluate("document.body && document.body.innerText")
                .await;
            assert!(Instant::now() < deadline, "no {what}; the page says {text}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Fails loudly where Chromium is missing: `scripts/setup.sh` installs it.
fn chromium_installed() {
    let found = Command::new("chromium")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "this test needs Chromium: apt-get install chromium (scripts/setup.sh)"
    );
}

#[tokio::test]
async fn a_real_browser_signs_the_player_in_and_out() {
    chromium_installed();
    let (stack, user) = stack_with_player("chromium").await;
    let endpoints = stack.local.endpoints();
    let chromium = Chromium::default();
    let opener = chromium.clone();
    let login = endpoints
        .managed_login()
        .with_browser(move |url| opener.open(url));
    let browser_sign_in = BrowserSignIn::new(login, endpoints.token_check()).unwrap();

    // The player types into the managed login's page and sends it.
    let player = async {
        let mut page = chromium.page(0).await;
        page.until("login page", "!!document.querySelector('#password')")
            .await;
        let type_in = |field: &str, text: &str| {
            format!(
                "document.querySelector('#{field}').value = {}",
                serde_json::Value::from(text)
            )
        };
        page.evaluate(&type_in("username", &user)).await;
        page.evaluate(&type_in("password", PASSWORD)).await;
        page.evaluate("document.querySelector('form').submit()")
            .await;
        page.until(
            "page of the game's",
            "document.body.innerText.includes('return to the game')",
        )
        .await;
        page.evaluate("location.href").await
    };
    let (tokens, landed) = tokio::join!(browser_sign_in.sign_in(BrowserRequest::default()), player);
    let tokens = tokens.expect("signed in in Chromium");
    assert!(tokens.from_browser);
    let claims = unverified_claims(tokens.id_token.expose()).unwrap();
    assert_eq!(claims["cognito:username"], user.as_str());
    let landed = landed.as_str().unwrap().to_owned();
    assert!(
        landed.starts_with(&format!(
            "http://localhost:{}/callback?code=",
            endpoints.redirect_port
        )),
        "{landed}"
    );

    // The sign-out takes the browser through /logout and back to the game.
    let player = async {
        let mut page = chromium.page(1).await;
        page.until(
            "signed-out page",
            "document.body && document.body.innerText.includes('You are signed out')",
        )
        .await;
    };
    let (ended, ()) = tokio::join!(browser_sign_in.sign_out(), player);
    ended.expect("the browser session ended");
}

#[tokio::test]
async fn a_game_that_allows_it_reuses_the_browsers_session() {
    let (stack, user) = stack_with_player("reuse").await;
    let endpoints = stack.local.endpoints();
    let (opened, mut urls) = unbounded_channel();
    let login = endpoints
        .managed_login()
        .with_browser_session_reused()
        .with_browser(move |url| {
            opened.send(url.to_owned()).unwrap();
            Ok(())
        });
    assert!(!login.fresh_login);
    let browser_sign_in = BrowserSignIn::new(login, endpoints.token_check()).unwrap();
    let player = async {
        let authorize = urls.recv().await.unwrap();
        let straight = format!("{}/oauth2/authorize?", endpoints.cognito_endpoint);
        assert!(authorize.starts_with(&straight), "{authorize}");
        return_to_game(&log_in(&authorize, &user).await).await
    };
    let (tokens, page) = tokio::join!(browser_sign_in.sign_in(BrowserRequest::default()), player);
    tokens.expect("signed in");
    assert!(page.contains("return to the game"), "{page}");
}
