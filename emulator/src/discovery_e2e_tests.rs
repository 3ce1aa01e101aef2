//! The control plane end to end over real HTTP/1.1: signed GETs for ListFoundationModels
//! and every page of ListInferenceProfiles, and the refusal a principal without
//! `bedrock:ListInferenceProfiles` gets.

use std::time::SystemTime;

use serde_json::Value;

use crate::test_support::{self, signed_get};
use crate::{AuthOutcome, Emulator, EmulatorConfig, StaticCredentials};

fn key() -> StaticCredentials {
    EmulatorConfig::default().credentials[0].clone()
}

async fn get(emulator: &Emulator, path: &str) -> (http::response::Parts, Value) {
    let request = signed_get(
        &emulator.addr().to_string(),
        path,
        &key(),
        "us-east-1",
        SystemTime::now(),
    );
    let (parts, bytes) = test_support::send(emulator.addr(), request).await;
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
    (parts, json)
}

/// Escapes a token as a query value: everything but RFC 3986's unreserved characters.
fn escape(token: &str) -> String {
    percent_encoding::utf8_percent_encode(token, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn list_foundation_models_over_http() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let (parts, list) = get(&emulator, "/foundation-models").await;
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["content-type"], "application/json");
    assert_eq!(parts.headers["x-amzn-requestid"].len(), 36);
    let summaries = list["modelSummaries"].as_array().unwrap();
    assert!(summaries.len() > 20);
    assert!(
        summaries
            .iter()
            .any(|m| m["modelLifecycle"]["status"] == "LEGACY")
    );

    let (_, text_only) = get(
        &emulator,
        "/foundation-models?byProvider=cohere&byOutputModality=TEXT",
    )
    .await;
    let ids: Vec<&str> = text_only["modelSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["modelId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "cohere.command-r-v1:0",
            "cohere.command-r-plus-v1:0",
            "cohere.rerank-v3-5:0"
        ]
    );

    let recorded = emulator.requests();
    assert_eq!(recorded[0].method, "GET");
    assert_eq!(recorded[0].raw_path, "/foundation-models");
    assert_eq!(recorded[0].model_id, None);
    assert_eq!(
        recorded[0].auth,
        AuthOutcome::SigV4 {
            access_key_id: "AKIDEXAMPLE".into()
        }
    );
}

#[tokio::test]
async fn list_inference_profiles_page_by_page() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let mut path = "/inference-profiles".to_owned();
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let (parts, page) = get(&emulator, &path).await;
        assert_eq!(parts.status, 200, "{page}");
        pages += 1;
        for profile in page["inferenceProfileSummaries"].as_array().unwrap() {
            ids.push(profile["inferenceProfileId"].as_str().unwrap().to_owned());
        }
        match page["nextToken"].as_str() {
            Some(token) => path = format!("/inference-profiles?nextToken={}", escape(token)),
            None => break,
        }
    }
    assert!(pages >= 3, "the default page size makes clients paginate");
    for prefix in ["us.", "eu.", "apac.", "jp.", "au.", "global."] {
        assert!(ids.iter().any(|id| id.starts_with(prefix)), "{prefix}");
    }
    assert!(ids.contains(&"abc123example".to_owned()));
    // Every page request was signed with its query and verified.
    assert!(
        emulator
            .requests()
            .iter()
            .all(|r| matches!(r.auth, AuthOutcome::SigV4 { .. }))
    );

    let (parts, all) = get(
        &emulator,
        "/inference-profiles?maxResults=1000&type=APPLICATION",
    )
    .await;
    assert_eq!(parts.status, 200);
    assert_eq!(
        all["inferenceProfileSummaries"][0]["inferenceProfileArn"],
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123example"
    );
    assert!(all.get("nextToken").is_none());
}

#[tokio::test]
async fn bad_tokens_and_denied_profiles_have_aws_error_shape() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let (parts, body) = get(&emulator, "/inference-profiles?nextToken=forged").await;
    assert_eq!(parts.status, 400);
    assert!(
        parts.headers["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .starts_with("ValidationException:")
    );
    assert!(body["message"].is_string());

    let denied = Emulator::start(EmulatorConfig {
        deny_inference_profiles: true,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let (parts, body) = get(&denied, "/inference-profiles?maxResults=1000").await;
    assert_eq!(parts.status, 403);
    assert!(
        parts.headers["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .starts_with("AccessDeniedException:")
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("is not authorized to perform: bedrock:ListInferenceProfiles")
    );
    // Denying the profiles leaves the model list alone.
    let (parts, _) = get(&denied, "/foundation-models").await;
    assert_eq!(parts.status, 200);
}

#[tokio::test]
async fn list_calls_are_authenticated_first() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let stranger = StaticCredentials {
        access_key_id: "AKIDSTRANGER".into(),
        ..key()
    };
    let request = signed_get(
        &emulator.addr().to_string(),
        "/foundation-models",
        &stranger,
        "us-east-1",
        SystemTime::now(),
    );
    let response = test_support::open(emulator.addr(), request).await;
    assert_eq!(response.status(), 403);
    assert!(
        response.headers()["x-amzn-errortype"]
            .to_str()
            .unwrap()
            .starts_with("UnrecognizedClientException:")
    );
    // A path under a list operation is no operation.
    let (parts, _) = get(&emulator, "/foundation-models/extra").await;
    assert_eq!(parts.status, 404);
}
