//! The loopback listener of browser sign-ins: a small HTTP server on
//! `127.0.0.1` and `[::1]` (the redirect says `localhost`, which a browser
//! may resolve to either) that takes the browser's redirect (or its return
//! from `/logout`), answers it with a page for the player, and reads the
//! redirect's query.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
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

/// How many connections the listener reads at once; more wait in the
/// kernel's queue.
const MAX_CONNECTIONS: usize = 16;

/// The listeners of one port on both loopback addresses. Whoever holds
/// either address's port first would receive the redirect, so the port is
/// taken on both or not at all (a machine without IPv6 has only the first).
pub(super) struct Loopback {
    v4: TcpListener,
    v6: Option<TcpListener>,
}

impl Loopback {
    /// Binds `port` on `127.0.0.1` and `[::1]`; `AddrInUse` when either is
    /// taken. Port 0 takes a free port, the same on both.
    pub(super) async fn bind(port: u16) -> io::Result<Self> {
        let mut tries = 0;
        loop {
            let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
            let chosen = v4.local_addr()?.port();
            match TcpListener::bind((Ipv6Addr::LOCALHOST, chosen)).await {
                Ok(v6) => return Ok(Self { v4, v6: Some(v6) }),
                // A free port of the first address may be taken on the
                // second: another one is tried.
                Err(error) if error.kind() == io::ErrorKind::AddrInUse => {
                    if port != 0 || tries >= 10 {
                        return Err(error);
                    }
                    tries += 1;
                }
                // No IPv6 loopback here: nobody can listen there either.
                Err(_) => return Ok(Self { v4, v6: None }),
            }
        }
    }

    /// The port both listen on.
    pub(super) fn port(&self) -> io::Result<u16> {
        Ok(self.v4.local_addr()?.port())
    }

    async fn accept(&self) -> io::Result<TcpStream> {
        match &self.v6 {
            Some(v6) => tokio::select! {
                accepted = self.v4.accept() => accepted.map(|(stream, _)| stream),
                accepted = v6.accept() => accepted.map(|(stream, _)| stream),
            },
            None => self.v4.accept().await.map(|(stream, _)| stream),
        }
    }
}

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

/// Serves the loopback port until a request for `path` arrives (for the
/// redirect: one that carries `state`); the sign-out page is answered on
/// the way, a redirect with another state is told it is not this game's
/// sign-in and the wait goes on, other requests (a favicon, a browser's
/// spare connection) get a 404 or nothing. Each connection is read on its
/// own task, so a silent one holds up none of the others, and at most
/// [`MAX_CONNECTIONS`] are read at once.
pub(super) async fn wait_for(
    listener: &Loopback,
    path: &'static str,
    state: Option<&str>,
) -> Redirect {
    let (found, mut redirects) = tokio::sync::mpsc::channel(1);
    let mut connections = tokio::task::JoinSet::new();
    let state: Option<std::sync::Arc<str>> = state.map(Into::into);
    loop {
        while connections.try_join_next().is_some() {}
        tokio::select! {
            accepted = listener.accept(), if connections.len() < MAX_CONNECTIONS => {
                let Ok(stream) = accepted else { continue };
                let (found, state) = (found.clone(), state.clone());
                connections.spawn(async move {
                    if let Some((served, redirect)) = answer(stream, state.as_deref()).await
                        && served == path
                    {
                        let _ = found.send(redirect).await;
                    }
                });
            }
            Some(_) = connections.join_next(), if connections.len() >= MAX_CONNECTIONS => {}
            Some(redirect) = redirects.recv() => return redirect,
        }
    }
}

/// Which of the two paths a request's head asks for, its query, and whether
/// it is a redirect of another sign-in than the one whose state is `state`;
/// `None` for anything else.
pub(super) fn route(head: &[u8], state: Option<&str>) -> Option<(&'static str, Redirect, bool)> {
    let line = String::from_utf8_lossy(head);
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?, parts.next()?);
    let path = target.split('?').next().unwrap_or_default();
    let served = [REDIRECT_PATH, SIGNED_OUT_PATH]
        .into_iter()
        .find(|served| method == "GET" && path == *served)?;
    let redirect = Redirect::parse(target);
    let foreign = served == REDIRECT_PATH && state.is_some() && redirect.state.as_deref() != state;
    Some((served, redirect, foreign))
}

/// Routes `head` as the listener does, and reads the code from a redirect
/// it serves: no input may panic.
#[cfg(fuzzing)]
pub(crate) fn fuzz(head: &[u8]) {
    for state in [None, Some("fuzz-state")] {
        if let Some((_, redirect, foreign)) = route(head, state)
            && !foreign
        {
            let _ = redirect.code_for(state.unwrap_or_default());
        }
    }
}

/// Reads one request; answers the redirect with a page that sends the
/// player back to the game (or, when its state is not `state`, one that
/// says it is not this sign-in's), the return from `/logout` with one that
/// says they are signed out, anything else with a 404. Returns which of the
/// two it served, and the query; a redirect of another state is not
/// returned.
async fn answer(mut stream: TcpStream, state: Option<&str>) -> Option<(&'static str, Redirect)> {
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
    let Some((served, redirect, foreign)) = route(&head, state) else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return None;
    };
    let (title, text) = if foreign {
        (
            "Not this sign-in",
            "This page does not belong to the sign-in the game is waiting for. \
             Return to the game and start the sign-in there.",
        )
    } else if served == SIGNED_OUT_PATH {
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
    let status = if foreign { "400 Bad Request" } else { "200 OK" };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n{page}",
        page.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    if foreign {
        tracing::warn!("a redirect for another sign-in reached the game's port; it is ignored");
        return None;
    }
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
