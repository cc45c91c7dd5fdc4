//! A loopback HTTP/1.1 server for tests: every request is answered by a
//! function of its head and body.

#![allow(dead_code)]

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What a test server does with one request: `(head, body)` in, `(status,
/// JSON body)` out.
pub type Handler = Arc<dyn Fn(&str, &[u8]) -> (u16, String) + Send + Sync>;

/// Serves `handler` on an ephemeral loopback port; returns `http://host:port`.
pub async fn serve(handler: Handler) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 8192];
                let (head, body) = loop {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&request[..end]).into_owned();
                    let length: usize =
                        header(&head, "content-length").map_or(0, |value| value.parse().unwrap());
                    if request.len() >= end + 4 + length {
                        break (head, request[end + 4..end + 4 + length].to_vec());
                    }
                };
                let (status, answer) = handler(&head, &body);
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    url
}

/// The value of header `name` in an HTTP head.
pub fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

/// Every departure of the request `bodies` sent to `route` from the routes
/// contract (`backend/openapi.yaml`), as its checker words them; empty when
/// all conform.
pub fn routes_contract_departures<'a>(
    requests: impl IntoIterator<Item = (&'a str, &'a serde_json::Value)>,
) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let backend = concat!(env!("CARGO_MANIFEST_DIR"), "/../backend");
    let mut checker = Command::new("python3")
        .arg(format!("{backend}/tests/openapi/check.py"))
        .arg(format!("{backend}/openapi.yaml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/setup.sh installs it with schemathesis)");
    let mut input = checker.stdin.take().unwrap();
    for (path, body) in requests {
        let line = serde_json::json!({"method": "post", "path": path, "request": body});
        writeln!(input, "{line}").unwrap();
    }
    drop(input);
    let output = checker.wait_with_output().unwrap();
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success() || !report.is_empty(),
        "the checker failed: {}",
        output.status
    );
    report
}
