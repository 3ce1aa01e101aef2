//! A running `serve` and raw HTTP/1.1 on its sockets: the attacks need
//! control over every byte (and over *not* sending some), which no client
//! library offers.

use bedrock_emulator::reply_text;
use bedrock_host::Host;
use bedrock_serve::ServeConfig;
use integration_tests::{MODEL, Serving, config};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const API_KEY: &str = "sk-serve-hostile";

/// Generous bounds on waits for something the server must do: a test that
/// would otherwise hang fails instead. Never a claim about speed.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The words of the honest request's reply.
const HONEST_WORDS: usize = 3;

/// `serve` on a free loopback port with [`API_KEY`], `tweak`ed.
pub async fn start(host: Host, tweak: impl FnOnce(&mut ServeConfig)) -> Serving {
    start_on(([127, 0, 0, 1], 0).into(), host, tweak).await
}

/// [`start`] on `addr`.
pub async fn start_on(
    addr: SocketAddr,
    host: Host,
    tweak: impl FnOnce(&mut ServeConfig),
) -> Serving {
    let mut serve = ServeConfig::new(config());
    serve.api_key = Some(API_KEY.into());
    tweak(&mut serve);
    Serving::start(addr, host, serve).await
}

/// A chat completion body asking the emulator for `prompt`.
pub fn chat_body(prompt: &str, stream: bool) -> String {
    json!({"model": MODEL, "stream": stream, "messages": [{"role": "user", "content": prompt}]})
        .to_string()
}

/// A request as a hostile client may write it: `host` as the `Host` header,
/// `headers` as given, the API key, and `body` with its length.
pub fn raw(host: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {API_KEY}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    request
}

/// An honest chat completion request to `addr`.
pub fn honest_request(addr: SocketAddr) -> String {
    let body = chat_body(&format!("[emulator words={HONEST_WORDS}] hello"), false);
    raw(
        &addr.to_string(),
        "POST",
        "/v1/chat/completions",
        &[("Content-Type", "application/json")],
        &body,
    )
}

/// One response: status, head (lower-cased) and body as JSON (`Null` when
/// it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim())
        })
    }
}

/// Reads one response with a `content-length` body (what `serve` sends for
/// everything but streams) without waiting for the connection to close.
pub async fn read_answer(socket: &mut TcpStream) -> std::io::Result<Answer> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        bytes.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    let status = head[9..12].parse().expect("a status line");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while bytes.len() < head_end + length {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&bytes[head_end..]).unwrap_or(Value::Null);
    Ok(Answer { status, head, body })
}

/// Sends `request` on a fresh connection and reads the answer.
pub async fn exchange(addr: SocketAddr, request: &str) -> Answer {
    let mut socket = TcpStream::connect(addr).await.expect("connects");
    socket.write_all(request.as_bytes()).await.expect("sends");
    read_answer(&mut socket).await.expect("an answer")
}

/// The next honest client: retried while the server still holds what the
/// attack took (a `429` or `503`, or a refused connection), for at most
/// [`PATIENCE`]; panics unless it is then served the whole reply. Returns
/// how many attempts were turned away first.
pub async fn served(addr: SocketAddr) -> usize {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut refused = 0;
    loop {
        let answer = async {
            let mut socket = TcpStream::connect(addr).await?;
            socket.write_all(honest_request(addr).as_bytes()).await?;
            read_answer(&mut socket).await
        }
        .await;
        match answer {
            Ok(answer) if answer.status == 200 => {
                let content = &answer.body["choices"][0]["message"]["content"];
                assert_eq!(content, &json!(reply_text(HONEST_WORDS)), "{answer:?}");
                return refused;
            }
            Ok(answer) if [429, 503].contains(&answer.status) => {}
            Ok(answer) => panic!("the honest client was refused: {answer:?}"),
            Err(_) => {}
        }
        refused += 1;
        assert!(
            tokio::time::Instant::now() < deadline,
            "the honest client was never served ({refused} attempts)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads until the server closes the connection (end of file or a reset),
/// for at most [`PATIENCE`]; returns the bytes read.
pub async fn until_closed(socket: &mut TcpStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 65536];
    tokio::time::timeout(PATIENCE, async {
        loop {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .expect("the server closes the connection");
    bytes
}
