//! A player's browser on the embedded emulator's managed login, for tests
//! of a browser sign-in without a browser (feature `test-utils`).

use super::LocalError;

/// Plays the player's browser on the embedded emulator's managed login, for
/// tests of a browser sign-in without a browser: follows `authorize` (the
/// URL the game opened, at `/oauth2/authorize` or, for a fresh login, at
/// `/logout`) to the login page, submits its form as `username`
/// with `password`, and returns where the login page sends the browser next
/// (the game's redirect, not followed).
pub async fn play_managed_login(
    authorize: &str,
    username: &str,
    password: &str,
) -> Result<String, LocalError> {
    let origin = authorize
        .find("/oauth2/")
        .or_else(|| authorize.find("/logout?"))
        .map(|path| &authorize[..path])
        .ok_or_else(|| LocalError::ManagedLogin(format!("not an authorize URL: {authorize}")))?;
    // A fresh login starts at /logout, which goes on to /oauth2/authorize.
    let mut login_page = loopback_http("GET", authorize, "").await?.location()?;
    for _ in 0..3 {
        if login_page.starts_with("/login") {
            break;
        }
        login_page = loopback_http("GET", &format!("{origin}{login_page}"), "")
            .await?
            .location()?;
    }
    let page = loopback_http("GET", &format!("{origin}{login_page}"), "")
        .await?
        .body;
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(hidden_fields(&page))
        .append_pair("username", username)
        .append_pair("password", password);
    loopback_http("POST", &format!("{origin}/login"), &form.finish())
        .await?
        .location()
}

/// An answer of [`loopback_http`].
struct Answer {
    status: String,
    location: Option<String>,
    body: String,
}

impl Answer {
    fn location(self) -> Result<String, LocalError> {
        self.location.ok_or_else(|| {
            LocalError::ManagedLogin(format!("{} instead of a redirect", self.status))
        })
    }
}

/// One HTTP/1.1 request to the emulator on loopback, as a browser sends it
/// (a form body when there is one); no redirect is followed.
async fn loopback_http(method: &str, url: &str, form: &str) -> Result<Answer, LocalError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let failed = |what: String| LocalError::ManagedLogin(what);
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| failed(format!("not a loopback URL: {url}")))?;
    let (host, target) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(host.replace("localhost", "127.0.0.1")).await?;
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| failed("an answer without a head".into()))?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Err(failed("a chunked answer".into()));
    }
    let location = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("location")
            .then(|| value.trim().to_owned())
    });
    Ok(Answer {
        status: head.lines().next().unwrap_or_default().to_owned(),
        location,
        body: body.to_owned(),
    })
}

/// The hidden fields of a login page's form (the OAuth parameters it
/// carries on), unescaped.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].replace("&amp;", "&").replace("&#x2F;", "/"))
    };
    page.split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect()
}
