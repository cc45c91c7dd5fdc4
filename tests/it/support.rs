//! Test fixtures shared by the plugin's tests and benchmarks.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A backend that answers every route after `delay`, with a valid body.
#[allow(dead_code)]
pub fn slow_backend(delay: Duration) -> String {
    counting_backend(delay).0
}

/// [`slow_backend`], and how many requests it has answered.
pub fn counting_backend(delay: Duration) -> (String, Arc<AtomicUsize>) {
    holding_backend(move |_| std::thread::sleep(delay))
}

/// A backend that runs `hold` with each request's head before it answers,
/// with a valid body, and how many requests it has answered.
pub fn holding_backend(hold: impl Fn(&[u8]) + Send + Sync + 'static) -> (String, Arc<AtomicUsize>) {
    let hold = Arc::new(hold);
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let (counter, hold) = (Arc::clone(&counter), Arc::clone(&hold));
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut buf = [0; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                hold(&request);
                counter.fetch_add(1, Ordering::SeqCst);
                let body = if request.starts_with(b"POST /signup") {
                    r#"{"UserConfirmed":false,"UserSub":"s","CodeDeliveryDetails":{"Destination":"s***@e***","DeliveryMedium":"EMAIL","AttributeName":"email"}}"#.to_owned()
                } else {
                    // sub "slow", cognito:username "slow"
                    let id = "e30.eyJzdWIiOiJzbG93IiwiY29nbml0bzp1c2VybmFtZSI6InNsb3cifQ.c2ln";
                    format!(
                        r#"{{"AuthenticationResult":{{"AccessToken":"{id}","IdToken":"{id}","RefreshToken":"r","ExpiresIn":3600}}}}"#
                    )
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    (url, count)
}

/// The menu's default settings in English, whatever the machine's locale:
/// the tests find fields and buttons by their English labels.
#[allow(dead_code)]
pub fn english() -> bevy_cognito_login::menu::MenuSettings {
    bevy_cognito_login::menu::MenuSettings {
        translations: cognito_login_client::Translations::shipped_in("en"),
        ..Default::default()
    }
}

/// A browser's GET of `url` on loopback: the status line, the `Location`
/// header if any, and the body.
#[allow(dead_code)]
pub fn get(url: &str) -> (String, Option<String>, String) {
    let rest = url.strip_prefix("http://").expect("a loopback URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let address = host.replace("localhost", "127.0.0.1");
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let location = head
        .lines()
        .find_map(|line| {
            line.strip_prefix("location: ")
                .or(line.strip_prefix("Location: "))
        })
        .map(str::to_owned);
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, location, body.to_owned())
}

/// A headless App with `plugin` (its menu on) and the window plugin
/// `windows`.
#[allow(dead_code)]
pub fn headless_menu_app(
    windows: bevy::window::WindowPlugin,
    plugin: bevy_cognito_login::CognitoLoginPlugin,
) -> bevy::app::App {
    let mut app = headless_app(windows);
    app.add_plugins(plugin);
    app
}

/// A headless App that egui can run in, with the window plugin `windows`.
/// Nothing renders: bevy_egui's shader and images get their asset types
/// here.
#[allow(dead_code)]
pub fn headless_app(windows: bevy::window::WindowPlugin) -> bevy::app::App {
    use bevy::prelude::*;
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        bevy::state::app::StatesPlugin,
        bevy::input::InputPlugin,
        AssetPlugin::default(),
        windows,
    ))
    .init_asset::<bevy::shader::Shader>()
    .init_asset::<Image>();
    app
}

/// A TCP relay in front of a server that can be cut off and reconnected:
/// cut off, it closes every connection it holds and each new one at once,
/// as a network that is down does; reconnected, it relays again.
#[allow(dead_code)]
pub struct Gate {
    /// `http://127.0.0.1:{port}`, to use in place of the server's URL.
    pub url: String,
    open: Arc<std::sync::atomic::AtomicBool>,
    streams: Arc<std::sync::Mutex<Vec<TcpStream>>>,
}

#[allow(dead_code)]
impl Gate {
    /// A relay to the server at `url` (`http://host:port`), open.
    pub fn new(url: &str) -> Self {
        let target = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let gate = Self {
            url: format!("http://{}", listener.local_addr().unwrap()),
            open: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            streams: Arc::default(),
        };
        let (open, streams) = (Arc::clone(&gate.open), Arc::clone(&gate.streams));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let mut held = streams.lock().unwrap();
                // Checked under the lock that `cut` takes: a connection is
                // either refused here or closed there.
                if !open.load(Ordering::SeqCst) {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server.try_clone().unwrap(), client.try_clone().unwrap()),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
                held.extend([client, server]);
            }
        });
        gate
    }

    /// Cuts the network: every connection is closed, new ones too.
    pub fn cut(&self) {
        let mut held = self.streams.lock().unwrap();
        self.open.store(false, Ordering::SeqCst);
        for stream in held.drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Connects the network again.
    pub fn reconnect(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}
