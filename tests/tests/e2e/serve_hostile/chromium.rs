//! A real browser: headless Chromium loads a page from one local origin
//! that calls `serve` on another, as any web page the user opens could.
//! The page of an origin `serve` was not told to allow is refused, with
//! and without a preflight; the page of an allowed origin is served, which
//! shows the refusal is `serve`'s and not the browser's.

use super::wire::{API_KEY, chat_body, served, start_on};
use integration_tests::{emulator, host, sigv4_env};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Chromium from `$BEDROCK_CHROMIUM` (scripts/test.sh sets it where it
/// installed Debian's `chromium`), else `/usr/bin/chromium`; `None`, with a
/// notice, on a machine without it.
fn chromium() -> Option<PathBuf> {
    match std::env::var_os("BEDROCK_CHROMIUM") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => {
            let path = PathBuf::from("/usr/bin/chromium");
            if path.is_file() {
                return Some(path);
            }
            eprintln!(
                "notice: skipping, no Chromium (scripts/test.sh installs Debian's under CI where apt-get is available)"
            );
            None
        }
    }
}

/// A page whose script makes two calls to `target` with synchronous
/// XMLHttpRequests (so that they are done before `--dump-dom` reads the
/// page): a JSON one, which the browser preflights, and a `text/plain` one,
/// which it sends without asking. Each writes its outcome into the page.
fn page(target: SocketAddr) -> String {
    let url = format!("http://{target}/v1/chat/completions");
    let body = chat_body("[emulator words=2] from a page", false);
    format!(
        r#"<!doctype html><html><body><pre id="json">pending</pre><pre id="text">pending</pre>
<script>
function call(type, key) {{
  var request = new XMLHttpRequest();
  try {{
    request.open("POST", {url:?}, false);
    request.setRequestHeader("Content-Type", type);
    if (key) request.setRequestHeader("Authorization", "Bearer " + key);
    request.send({body:?});
    return "status " + request.status + " " + request.responseText;
  }} catch (e) {{
    return "refused " + e.name;
  }}
}}
document.getElementById("json").textContent = call("application/json", {API_KEY:?});
document.getElementById("text").textContent = call("text/plain", null);
</script></body></html>"#
    )
}

/// Serves `html` to every request on a port of its own: the page's origin.
async fn page_origin(html: String) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let html = html.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match socket.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    addr
}

/// The page at `url` after its script ran, as Chromium renders it.
async fn dump_dom(chromium: PathBuf, page: SocketAddr) -> String {
    let url = format!("http://{page}/");
    // A new profile per run: nothing cached from an earlier page.
    let profile = std::env::temp_dir().join(format!(
        "bedrock-serve-chromium-{}-{}",
        std::process::id(),
        page.port()
    ));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile).unwrap();
    let dir = profile.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--timeout=30000",
            ])
            .arg(format!("--user-data-dir={}", dir.display()))
            .arg("--dump-dom")
            .arg(&url)
            .output()
    })
    .await
    .unwrap()
    .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        dom.contains("<pre id=\"json\">"),
        "chromium printed no page ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    dom
}

fn outcome<'a>(dom: &'a str, id: &str) -> &'a str {
    let open = format!("<pre id=\"{id}\">");
    let start = dom.find(&open).unwrap() + open.len();
    &dom[start..start + dom[start..].find("</pre>").unwrap()]
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_refuses_a_real_browser_page_from_another_origin() {
    let Some(chromium) = chromium() else { return };
    let emulator = emulator().await;
    // The allowed page's origin is known only once it listens; the server
    // is started after it, and both pages point at the server's port,
    // reserved first.
    let reserved = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = reserved.local_addr().unwrap();
    drop(reserved);
    let hostile = page_origin(page(target)).await;
    let friendly = page_origin(page(target)).await;
    let serve = start_on(target, host(&sigv4_env(&emulator)), |c| {
        c.cors_origins = vec![format!("http://{friendly}")];
    })
    .await;

    let dom = dump_dom(chromium.clone(), hostile).await;
    let (json, text) = (outcome(&dom, "json"), outcome(&dom, "text"));
    assert!(json.starts_with("refused"), "the preflighted call: {json}");
    assert!(text.starts_with("refused"), "the simple call: {text}");
    assert!(
        emulator.requests().is_empty(),
        "nothing of the hostile page reached Bedrock"
    );

    let dom = dump_dom(chromium, friendly).await;
    let json = outcome(&dom, "json");
    assert!(json.starts_with("status 200"), "the allowed page: {json}");
    assert!(json.contains("chat.completion"), "{json}");
    // The allowed page's call without the key is still refused, readably.
    assert!(
        outcome(&dom, "text").starts_with("status 401"),
        "{}",
        outcome(&dom, "text")
    );
    served(serve.addr).await;
    serve.stop().await;
}
