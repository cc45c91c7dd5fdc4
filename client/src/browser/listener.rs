//! The loopback listener of browser sign-ins: a small HTTP server on
//! `127.0.0.1` that takes the browser's redirect (or its return from
//! `/logout`), answers it with a page for the player, and reads the
//! redirect's query.

use std::time::Duration;

use reqwest::Url;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{BrowserErrorKind, REDIRECT_PATH, SIGNED_OUT_PATH};
use crate::error::AuthError;

/// How long the listener waits for one connection's request line.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest request head the listener reads.
const MAX_REQUEST_BYTES: usize = 8 * 1024;

/// The query of the one redirect the listener took.
pub(super) struct Redirect {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Redirect {
    fn parse(target: &str) -> Self {
        let url = Url::parse(&format!("http://localhost{target}")).ok();
        let pairs: Vec<(String, String)> = url
            .map(|url| url.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        Self {
            code: get("code"),
            state: get("state"),
            error: get("error"),
            error_description: get("error_description"),
        }
    }

    /// The code, when this redirect answers the sign-in whose state is
    /// `expected`.
    pub(super) fn code_for(self, expected: &str) -> Result<String, AuthError> {
        let forged = |detail: &str| AuthError::Browser {
            kind: BrowserErrorKind::Forged,
            detail: detail.to_owned(),
        };
        // The state is checked first: an error redirect for another
        // sign-in is as foreign as a code for it.
        if self.state.as_deref() != Some(expected) {
            return Err(forged("the redirect's state is not this sign-in's"));
        }
        if let Some(error) = self.error {
            let detail = match self.error_description {
                Some(description) => format!("{error}: {description}"),
                None => error,
            };
            return Err(AuthError::Browser {
                kind: BrowserErrorKind::Refused,
                detail,
            });
        }
        self.code
            .filter(|code| !code.is_empty())
            .ok_or_else(|| forged("the redirect carries no code"))
    }
}

/// Serves the loopback port until a request for `path` arrives; the
/// sign-out page is answered on the way, other requests (a favicon, a
/// browser's spare connection) get a 404 or nothing. Each connection is
/// read on its own task, so a silent one holds up none of the others.
pub(super) async fn wait_for(listener: &TcpListener, path: &'static str) -> Redirect {
    let (found, mut redirects) = tokio::sync::mpsc::channel(1);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let found = found.clone();
                connections.spawn(async move {
                    if let Some((served, redirect)) = answer(stream).await
                        && served == path
                    {
                        let _ = found.send(redirect).await;
                    }
                });
            }
            Some(redirect) = redirects.recv() => return redirect,
        }
    }
}

/// Reads one request; answers the redirect with a page that sends the
/// player back to the game, the return from `/logout` with one that says
/// they are signed out, anything else with a 404. Returns which of the two
/// it served, and the query.
async fn answer(mut stream: TcpStream) -> Option<(&'static str, Redirect)> {
    let mut head = Vec::with_capacity(1024);
    let read = tokio::time::timeout(REQUEST_TIMEOUT, async {
        let mut buffer = [0; 1024];
        while !head.windows(4).any(|window| window == b"\r\n\r\n") {
            let n = stream.read(&mut buffer).await.ok()?;
            if n == 0 || head.len() + n > MAX_REQUEST_BYTES {
                return None;
            }
            head.extend_from_slice(&buffer[..n]);
        }
        Some(())
    })
    .await;
    read.ok().flatten()?;
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?, parts.next()?);
    let path = target.split('?').next().unwrap_or_default();
    let served = [REDIRECT_PATH, SIGNED_OUT_PATH]
        .into_iter()
        .find(|served| method == "GET" && path == *served);
    let Some(served) = served else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return None;
    };
    let redirect = Redirect::parse(target);
    let (title, text) = if served == SIGNED_OUT_PATH {
        (
            "Signed out",
            "You are signed out. You can close this tab and return to the game.",
        )
    } else if redirect.error.is_some() {
        (
            "Sign-in cancelled",
            "The sign-in did not finish. You can close this tab and return to the game.",
        )
    } else {
        // The game has yet to check this answer: the page promises no more.
        (
            "Return to the game",
            "You can close this tab and return to the game.",
        )
    };
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;text-align:center;margin-top:20vh\">\
         <h1>{title}</h1><p>{text}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    Some((served, redirect))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_answers_only_its_own_sign_in() {
        let code = |target: &str| Redirect::parse(target).code_for("s1");
        assert_eq!(code("/callback?code=c1&state=s1").unwrap(), "c1");
        for target in [
            "/callback?code=c1&state=s2",
            "/callback?code=c1",
            "/callback?state=s1",
        ] {
            let error = code(target).unwrap_err();
            assert!(
                matches!(
                    error,
                    AuthError::Browser {
                        kind: BrowserErrorKind::Forged,
                        ..
                    }
                ),
                "{target}: {error:?}"
            );
        }
        let refused = code("/callback?error=access_denied&error_description=no&state=s1");
        assert!(matches!(
            refused,
            Err(AuthError::Browser { kind: BrowserErrorKind::Refused, ref detail }) if detail == "access_denied: no"
        ));
        // Another sign-in's error is as foreign as its code.
        let foreign = code("/callback?error=access_denied&state=s2");
        assert!(matches!(
            foreign,
            Err(AuthError::Browser {
                kind: BrowserErrorKind::Forged,
                ..
            })
        ));
    }
}
