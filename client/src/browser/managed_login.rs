//! Where and how a browser sign-in goes: the managed login's domain, the
//! app client, the loopback redirect, the providers offered.

use super::*;

/// A provider the menu offers ("Continue with Google"): its name in the
/// pool (`identity_provider`) and the label of its button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    /// The provider's name in the user pool: `Google`, `SignInWithApple`,
    /// `COGNITO` (the pool's own accounts), or a SAML or OIDC provider's name.
    pub name: String,
    /// The button's label.
    pub label: String,
}

/// Where and how the pool's managed login is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedLogin {
    /// The pool's domain: `https://{prefix}.auth.{region}.amazoncognito.com`
    /// or a custom one (loopback may be `http`).
    pub domain: String,
    /// The app client, which must allow the code flow and list the redirect
    /// URI ([`redirect_uri`](Self::redirect_uri)) among its callback URLs.
    pub client_id: String,
    /// The loopback port of the redirect. Cognito matches callback URLs
    /// exactly, port included, so a deployed pool needs a fixed one; `0`
    /// takes any free port, for an app client that lists no callback URLs.
    pub redirect_port: u16,
    /// The scopes asked for: `openid` for the ID token, and
    /// `aws.cognito.signin.user.admin` for the account screens (reading
    /// and changing the account with the access token). The app client
    /// must allow each one.
    pub scopes: Vec<String>,
    /// The providers the menu offers, each a button.
    pub providers: Vec<IdentityProvider>,
    /// How long the player has to finish in the browser.
    pub timeout: Duration,
    /// Each sign-in first ends the managed login's session in the browser,
    /// so whoever signed in there before (at a shared PC, an hour ago) is
    /// not signed in again without their password: the sign-in starts at
    /// `/logout` with the authorize parameters, which Cognito documents as
    /// "clears out the existing session and shows the login screen". On by
    /// default; [`with_browser_session_reused`](Self::with_browser_session_reused)
    /// goes straight to `/oauth2/authorize`. A provider's own session
    /// (Google's, Apple's) is theirs to end.
    pub fresh_login: bool,
    /// Opens URLs instead of the system browser, when set.
    pub(super) opener: Option<Opener>,
}

/// [`OpenBrowser`], compared by identity.
#[derive(Clone)]
pub(super) struct Opener(pub(super) OpenBrowser);

impl PartialEq for Opener {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Opener {}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Opener")
    }
}

impl ManagedLogin {
    /// The managed login at `domain` for `client_id`, redirecting to
    /// [`DEFAULT_REDIRECT_PORT`], asking for `openid email profile
    /// aws.cognito.signin.user.admin`, with no provider buttons (the menu
    /// then offers one "Continue in browser" button, to the managed
    /// login's own page).
    pub fn new(domain: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            domain: domain.into().trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            redirect_port: DEFAULT_REDIRECT_PORT,
            scopes: ["openid", "email", "profile", ACCOUNT_SCOPE]
                .map(String::from)
                .to_vec(),
            providers: Vec::new(),
            timeout: DEFAULT_BROWSER_TIMEOUT,
            fresh_login: true,
            opener: None,
        }
    }

    /// Redirects to `port` on loopback (`0`: any free port).
    pub fn with_redirect_port(mut self, port: u16) -> Self {
        self.redirect_port = port;
        self
    }

    /// Asks for these scopes instead.
    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Offers a provider: `name` as the pool knows it, `label` as players
    /// know it (the menu's button says "Continue with {label}").
    pub fn with_provider(mut self, name: impl Into<String>, label: impl Into<String>) -> Self {
        self.providers.push(IdentityProvider {
            name: name.into(),
            label: label.into(),
        });
        self
    }

    /// Opens the sign-in's URLs with `open` instead of the system browser
    /// (a launcher's own browser; a test playing the browser).
    pub fn with_browser(
        mut self,
        open: impl Fn(&str) -> io::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.opener = Some(Opener(Arc::new(open)));
        self
    }

    /// Lets a sign-in reuse the managed login's session in the browser
    /// ([`fresh_login`](Self::fresh_login) off): a player signed in there
    /// in the last hour (Cognito's default) is signed in without a page.
    /// Only for games that never run on a shared computer.
    pub fn with_browser_session_reused(mut self) -> Self {
        self.fresh_login = false;
        self
    }

    /// Gives the player `timeout` to finish in the browser.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The redirect URI for `port`, as the app client must list it.
    /// Cognito takes plain `http` only for `localhost`; the listener is on
    /// both `127.0.0.1` and `[::1]`, either of which a browser may try.
    pub fn redirect_uri(port: u16) -> String {
        format!("http://localhost:{port}{REDIRECT_PATH}")
    }

    /// The sign-out URI for `port`, as the app client must list it among
    /// its sign-out URLs.
    pub fn logout_uri(port: u16) -> String {
        format!("http://localhost:{port}{SIGNED_OUT_PATH}")
    }
}
