//! A hostile web page, as its browser's requests reach `serve`: a foreign
//! `Origin`, a `text/plain` body (which needs no preflight), and a rebound
//! host name. None of them reaches Bedrock.

use super::wire::{Answer, chat_body, exchange, raw, served, start};
use integration_tests::{emulator, host, sigv4_env};

const ALLOWED: &str = "http://localhost:5173";

#[tokio::test(flavor = "multi_thread")]
async fn serve_refuses_a_hostile_browser() {
    let emulator = emulator().await;
    let serve = start(host(&sigv4_env(&emulator)), |c| {
        c.cors_origins = vec![ALLOWED.into()];
    })
    .await;
    let own = serve.addr.to_string();
    let body = chat_body("[emulator words=2] from a web page", false);
    let json = ("Content-Type", "application/json");
    let post = |host: &str, headers: &[(&str, &str)]| {
        raw(host, "POST", "/v1/chat/completions", headers, &body)
    };

    let refused: Vec<(&str, Answer, u16, &str)> = vec![
        (
            "a foreign origin",
            exchange(
                serve.addr,
                &post(&own, &[json, ("Origin", "https://evil.example")]),
            )
            .await,
            403,
            "origin_not_allowed",
        ),
        (
            "an opaque origin (sandboxed frame, file://)",
            exchange(serve.addr, &post(&own, &[json, ("Origin", "null")])).await,
            403,
            "origin_not_allowed",
        ),
        (
            "a cross-site request without an Origin (<img>, <script>)",
            exchange(
                serve.addr,
                &raw(
                    &own,
                    "GET",
                    "/v1/models",
                    &[("Sec-Fetch-Site", "cross-site")],
                    "",
                ),
            )
            .await,
            403,
            "origin_not_allowed",
        ),
        (
            "a foreign origin's preflight",
            exchange(
                serve.addr,
                &raw(
                    &own,
                    "OPTIONS",
                    "/v1/chat/completions",
                    &[
                        ("Origin", "https://evil.example"),
                        ("Access-Control-Request-Method", "POST"),
                    ],
                    "",
                ),
            )
            .await,
            403,
            "origin_not_allowed",
        ),
        (
            "a text/plain body",
            exchange(serve.addr, &post(&own, &[("Content-Type", "text/plain")])).await,
            415,
            "unsupported_media_type",
        ),
        (
            "a form body",
            exchange(
                serve.addr,
                &post(
                    &own,
                    &[("Content-Type", "application/x-www-form-urlencoded")],
                ),
            )
            .await,
            415,
            "unsupported_media_type",
        ),
        (
            "a rebound host name",
            exchange(serve.addr, &post("evil.example", &[json])).await,
            403,
            "host_not_allowed",
        ),
        (
            "a rebound host name with the port",
            exchange(
                serve.addr,
                &post(&format!("evil.example:{}", serve.addr.port()), &[json]),
            )
            .await,
            403,
            "host_not_allowed",
        ),
        (
            "the right name on another port",
            exchange(serve.addr, &post("localhost:1", &[json])).await,
            403,
            "host_not_allowed",
        ),
    ];
    for (attack, answer, status, code) in &refused {
        assert_eq!(
            (answer.status, answer.code()),
            (*status, *code),
            "{attack}: {answer:?}"
        );
        assert!(
            answer.body["error"]["type"].as_str().is_some(),
            "{attack}: OpenAI's error shape: {answer:?}"
        );
        assert_eq!(
            answer.header("access-control-allow-origin"),
            None,
            "{attack}: no CORS grant"
        );
    }
    assert!(
        emulator.requests().is_empty(),
        "no refused request reached Bedrock: {:?}",
        emulator.requests()
    );

    // The allowed origin: its preflight is answered, its call served, and
    // the browser is told it may read the answer.
    let preflight = exchange(
        serve.addr,
        &raw(
            &own,
            "OPTIONS",
            "/v1/chat/completions",
            &[
                ("Origin", ALLOWED),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "authorization,content-type",
                ),
            ],
            "",
        ),
    )
    .await;
    assert_eq!(preflight.status, 204, "{preflight:?}");
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(ALLOWED)
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("authorization,content-type")
    );
    let allowed = exchange(serve.addr, &post(&own, &[json, ("Origin", ALLOWED)])).await;
    assert_eq!(allowed.status, 200, "{allowed:?}");
    assert_eq!(allowed.header("access-control-allow-origin"), Some(ALLOWED));
    // Other names of the bound address are the server's own.
    let localhost = format!("localhost:{}", serve.addr.port());
    assert_eq!(
        exchange(serve.addr, &post(&localhost, &[json]))
            .await
            .status,
        200
    );

    assert_eq!(served(serve.addr).await, 0, "the next honest client");
    serve.stop().await;
}

/// `--allow-host` adds a name (a reverse proxy's, say) and nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn serve_accepts_only_the_host_names_it_was_given() {
    let emulator = emulator().await;
    let serve = start(host(&sigv4_env(&emulator)), |c| {
        c.allowed_hosts = vec!["gateway.internal".into()];
    })
    .await;
    let body = chat_body("[emulator words=2] via a proxy", false);
    let json = ("Content-Type", "application/json");
    let via = |host: &str| raw(host, "POST", "/v1/chat/completions", &[json], &body);
    assert_eq!(
        exchange(serve.addr, &via("gateway.internal")).await.status,
        200
    );
    assert_eq!(
        exchange(serve.addr, &via("Gateway.Internal:443"))
            .await
            .status,
        200
    );
    let other = exchange(serve.addr, &via("evil.internal")).await;
    assert_eq!((other.status, other.code()), (403, "host_not_allowed"));
    served(serve.addr).await;
    serve.stop().await;
}
