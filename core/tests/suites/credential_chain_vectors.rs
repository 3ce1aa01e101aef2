//! The AWS SDK's own credential-provider suites (smithy-rs's
//! `aws-config/test-data`), driven through [`chain::resolve`].
//!
//! Each case folder holds `env.json`, a fake file tree `fs/` (mounted at `/`,
//! as smithy-rs's harness mounts it), `http-traffic.json` (recorded requests
//! and answers) and `test-case.json` (the expected credentials, or an error
//! fragment). The runner answers every file read from `fs/` and every
//! request from the recording: the request must match the next
//! recorded one (method, URL with its query as a set, the headers that carry
//! meaning, the form `Action`, signed or not), and a request that does not
//! match is answered as if nothing listened (a connection error). A case
//! passes when the chain's result matches and it made every recorded
//! request, in order.
//!
//! What differs from smithy-rs's harness, and why:
//!
//! * Errors: the expected fragments are smithy-rs's own wording. Ours are
//!   checked by variant and by our own fragment, in [`expected_error`]; where
//!   ours also contains the SDK's fragment, so much the better (counted).
//! * `credential_process` cases must end in our "not supported in the
//!   sandbox" error naming the profile, whatever the SDK's process printed.
//! * `profile-provider/` tests the profile provider alone; the chain puts the
//!   environment first, so its keys are removed for those cases (and one
//!   extra check confirms that with them, the environment wins).
//! * The clock is fixed before every expiry in the suites, which are from
//!   2009 to 2022: our chain refuses credentials that are expired on arrival.
//! * `account_id` is not compared: the plugin does not use it.

use crate::vectors;

use base64::Engine as _;
use bedrock_core::credentials::profile_chain::{self, Base, PlanError, ProfileChain};
use bedrock_core::credentials::{ChainOptions, Credentials, Resolved, chain};
use bedrock_core::env::Environment;
use bedrock_core::error::{Error, NetworkKind};
use bedrock_core::platform::{Answered, Body, Chunk, HttpAnswer, Platform, Response, url};
use bedrock_core::profile::{ProfileSet, keys};
use bedrock_core::signing::SignedRequest;
use bedrock_core::time::unix_seconds;
use bedrock_core::timeouts::Timeouts;
use bedrock_core::types::CredentialKind;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// 2009-02-13T23:16:40Z: before the earliest expiry in the suites (23:31:30).
const NOW: u64 = 1_234_567_000;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(NOW)
}

/// The chain's world in these tests: files and answers from closures, the
/// fixed clock, no cache, no waiting.
struct Scripted<'a> {
    files: &'a dyn Fn(&str) -> Option<Vec<u8>>,
    send: &'a mut dyn FnMut(&SignedRequest, Timeouts) -> Result<HttpAnswer, Error>,
}

/// A body received in one piece.
struct Whole(Option<Vec<u8>>);

impl Body for Whole {
    fn read(&mut self) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.0.take())
    }

    fn try_read(&mut self) -> Result<Chunk, Error> {
        Ok(self.0.take().map_or(Chunk::End, Chunk::Data))
    }
}

impl Platform for Scripted<'_> {
    type Body = Whole;
    type Pending = Answered<Whole>;

    fn start_send(
        &mut self,
        request: &SignedRequest,
        timeouts: Timeouts,
    ) -> Result<Answered<Whole>, Error> {
        let answer = (self.send)(request, timeouts)?;
        Ok(Answered::new(Ok(Response {
            status: answer.status,
            headers: answer
                .headers
                .into_iter()
                .map(|(n, v)| (n, v.into_bytes()))
                .collect(),
            body: Whole(Some(answer.body)),
        })))
    }

    fn read_file(&mut self, path: &str, limit: usize) -> Option<Vec<u8>> {
        (self.files)(path).filter(|c| c.len() <= limit)
    }

    fn cache_get(&mut self, _: &str) -> Option<Vec<u8>> {
        None
    }

    fn cache_set(&mut self, _: &str, _: &[u8]) {}

    fn sleep(&mut self, _: Duration) {}

    fn now(&mut self) -> SystemTime {
        now()
    }

    fn random(&mut self) -> f64 {
        0.5
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// The recording.

/// One recorded exchange.
struct Recorded {
    method: String,
    uri: String,
    headers: BTreeMap<String, String>,
    body: String,
    answer: HttpAnswer,
}

/// One connection's request, request body, response and response body, as
/// the recording's events fill them in.
type Exchange = (Option<Value>, String, Option<Value>, Vec<u8>);

fn load_traffic(path: &Path) -> Vec<Recorded> {
    let traffic = read_json(path);
    let mut order: Vec<u64> = Vec::new();
    let mut by_connection: BTreeMap<u64, Exchange> = BTreeMap::new();
    for event in traffic["events"].as_array().expect("events") {
        let id = event["connection_id"].as_u64().expect("connection_id");
        if !order.contains(&id) {
            order.push(id);
        }
        let entry = by_connection.entry(id).or_default();
        let action = &event["action"];
        if let Some(request) = action.get("Request") {
            entry.0 = Some(request["request"].clone());
        } else if let Some(response) = action.get("Response") {
            entry.2 = Some(response["response"]["Ok"].clone());
        } else if let Some(data) = action.get("Data") {
            let bytes = match (data["data"].get("Utf8"), data["data"].get("Base64")) {
                (Some(text), _) => text.as_str().unwrap().as_bytes().to_vec(),
                (None, Some(b64)) => base64::engine::general_purpose::STANDARD
                    .decode(b64.as_str().unwrap())
                    .unwrap(),
                _ => panic!("unknown data in {}", path.display()),
            };
            match data["direction"].as_str() {
                Some("Request") => entry.1.push_str(&String::from_utf8(bytes).unwrap()),
                _ => entry.3.extend(bytes),
            }
        }
    }
    order
        .into_iter()
        .map(|id| {
            let (request, body, response, response_body) = by_connection.remove(&id).unwrap();
            let request = request.expect("a request");
            let response = response.expect("an answer");
            let first_values = |headers: &Value| -> BTreeMap<String, String> {
                headers
                    .as_object()
                    .map(|map| {
                        map.iter()
                            .map(|(name, values)| {
                                (
                                    name.to_ascii_lowercase(),
                                    values[0].as_str().unwrap_or("").to_string(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let answer_headers = first_values(&response["headers"]).into_iter().collect();
            Recorded {
                method: request["method"].as_str().unwrap().to_string(),
                uri: request["uri"].as_str().unwrap().to_string(),
                headers: first_values(&request["headers"]),
                body,
                answer: HttpAnswer {
                    status: response["status"].as_u64().unwrap() as u16,
                    headers: answer_headers,
                    body: response_body,
                },
            }
        })
        .collect()
}

/// A URL as `(scheme://host[:port], path, query pairs as a set)`.
fn split_url(url: &str) -> (String, String, BTreeSet<String>) {
    let (without_query, query) = url.split_once('?').unwrap_or((url, ""));
    let after_scheme = without_query.find("://").map(|i| i + 3).unwrap_or(0);
    let (origin, path) = match without_query[after_scheme..].find('/') {
        Some(i) => without_query.split_at(after_scheme + i),
        None => (without_query, "/"),
    };
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    (origin.to_ascii_lowercase(), path.to_string(), query)
}

fn header<'a>(request: &'a SignedRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
}

fn form_action(body: &str) -> Option<&str> {
    body.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
}

/// Why `request` is not the recorded one, or `None` when it is.
fn mismatch(request: &SignedRequest, recorded: &Recorded) -> Option<String> {
    if request.method.as_str() != recorded.method {
        return Some(format!(
            "method {} != recorded {}",
            request.method, recorded.method
        ));
    }
    let (ours, theirs) = (split_url(&url(request)), split_url(&recorded.uri));
    if ours != theirs {
        return Some(format!("URL {} != recorded {}", url(request), recorded.uri));
    }
    for name in [
        "content-type",
        "accept",
        "x-aws-ec2-metadata-token",
        "x-aws-ec2-metadata-token-ttl-seconds",
        "x-amz-sso_bearer_token",
    ] {
        if let Some(expected) = recorded.headers.get(name)
            && header(request, name) != Some(expected.as_str())
        {
            return Some(format!(
                "header {name}: {:?} != recorded {expected:?}",
                header(request, name)
            ));
        }
    }
    let body = String::from_utf8_lossy(&request.body);
    if let Some(action) = form_action(&recorded.body) {
        if form_action(&body) != Some(action) {
            return Some(format!(
                "form Action {:?} != recorded {action}",
                form_action(&body)
            ));
        }
        let signed = header(request, "authorization")
            .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256 Credential="));
        if signed != recorded.headers.contains_key("authorization") {
            return Some(format!("signed: {signed}, recorded signed: {}", !signed));
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Running one case folder.

struct Run {
    result: Result<Resolved, Error>,
    requests: Vec<String>,
    unmatched: Vec<String>,
    unconsumed: Vec<String>,
}

fn run_folder(dir: &Path, env: Environment) -> Run {
    let fs = dir.join("fs");
    let mut recorded = load_traffic(&dir.join("http-traffic.json"))
        .into_iter()
        .peekable();
    let mut run = Run {
        result: Err(Error::Cancelled),
        requests: Vec::new(),
        unmatched: Vec::new(),
        unconsumed: Vec::new(),
    };
    let files = |path: &str| std::fs::read(fs.join(path.trim_start_matches('/'))).ok();
    let mut send = |request: &SignedRequest, timeouts: Timeouts| {
        assert!(timeouts.connect <= Duration::from_secs(5), "{timeouts:?}");
        run.requests
            .push(format!("{} {}", request.method, url(request)));
        match recorded.peek() {
            Some(next) => match mismatch(request, next) {
                None => Ok(recorded.next().unwrap().answer),
                Some(why) => {
                    run.unmatched
                        .push(format!("{} {}: {why}", request.method, url(request)));
                    Err(Error::network(NetworkKind::Refused, "not in the recording"))
                }
            },
            None => {
                run.unmatched.push(format!(
                    "{} {}: after the end of the recording",
                    request.method,
                    url(request)
                ));
                Err(Error::network(NetworkKind::Refused, "not in the recording"))
            }
        }
    };
    let mut platform = Scripted {
        files: &files,
        send: &mut send,
    };
    let result = chain::resolve(&mut platform, &env, &ChainOptions::at(now()));
    run.result = result;
    run.unconsumed = recorded
        .map(|r| format!("{} {}", r.method, r.uri))
        .collect();
    run
}

fn message(error: &Error) -> String {
    error.to_string()
}

/// Which kind of error a case expects.
type IsKind = fn(&Error) -> bool;

/// Our answer for a case whose SDK answer is an error: the variant, and a
/// fragment of our message. Every error case is listed: a new one fails
/// until someone decides what we say.
fn expected_error(case: &str) -> Option<(IsKind, &'static str)> {
    fn no_credentials(e: &Error) -> bool {
        matches!(e, Error::NoCredentials(_))
    }
    fn source(e: &Error) -> bool {
        matches!(e, Error::CredentialSource(_))
    }
    Some(match case {
        "default-credential-provider-chain/eks_pod_identity_no_token_file" => (
            source,
            "cannot read the container authorization token file (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) `/token.jwt`",
        ),
        "default-credential-provider-chain/imds_default_chain_error" => {
            (no_credentials, "the instance has no IAM role attached")
        }
        "default-credential-provider-chain/imds_disabled" => (
            no_credentials,
            "EC2 instance metadata: disabled by AWS_EC2_METADATA_DISABLED",
        ),
        "default-credential-provider-chain/imds_no_iam_role" => (
            source,
            "profile `default` sets credential_source = Ec2InstanceMetadata, but EC2 instance metadata at http://169.254.169.254: the instance has no IAM role attached",
        ),
        "default-credential-provider-chain/imds_token_fail" => (
            source,
            "refused a session token (HTTP 403): request forbidden: IMDS is disabled",
        ),
        "default-credential-provider-chain/profile_overrides_web_identity" => (
            source,
            "profile `A` sets credential_source = Environment, but AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY: not set",
        ),
        "default-credential-provider-chain/sso_no_token_file" => (
            source,
            "failed to read the cached SSO token `/home/.aws/sso/cache/dace00cba5f8355ec9d274ceb2bcebdfbeed0e12.json`",
        ),
        "default-credential-provider-chain/sso_server_error" => (
            source,
            "SSO GetRoleCredentials for role MySsoRole in account 123456789 (profile `sso-test`) failed: no answer",
        ),
        "default-credential-provider-chain/web_identity_source_profile_no_env" => (
            source,
            "profile `B`: `web_identity_token_file` was specified but `role_arn` was missing",
        ),
        "default-credential-provider-chain/web_identity_token_invalid_jwt" => (
            source,
            "AssumeRoleWithWebIdentity for arn:aws:iam::123456789:role/RoleB (profile `B`) failed: InvalidIdentityToken: No OpenIDConnect provider found in your account",
        ),
        "profile-provider/empty_config" => (
            no_credentials,
            "~/.aws/config and ~/.aws/credentials do not exist",
        ),
        "profile-provider/invalid_config" => (
            source,
            "could not parse the AWS config file ~/.aws/config: line 2",
        ),
        "profile-provider/invalid_sso_credentials_config" | "profile-provider/sso_token" => (
            source,
            "profile `default` has SSO settings but no sso_account_id and sso_role_name, so the selected profile will resolve an access token instead of credentials",
        ),
        _ => return None,
    })
}

fn expected_kind(case: &str) -> CredentialKind {
    let name = case.rsplit('/').next().unwrap();
    match name {
        "environment_variables" | "prefer_environment" => CredentialKind::Environment,
        "environment_variables_blank"
        | "profile_name"
        | "profile_static_keys"
        | "profile_static_keys_case_insensitive" => CredentialKind::Profile,
        "ecs_credentials" | "ecs_credentials_invalid_profile" | "eks_pod_identity_credentials" => {
            CredentialKind::Container
        }
        "imds_config_with_no_creds"
        | "imds_default_chain_retries"
        | "imds_default_chain_success" => CredentialKind::InstanceRole,
        "web_identity_token_env" | "web_identity_token_profile" => CredentialKind::WebIdentity,
        n if n.starts_with("sso") || n.ends_with("_sso") => CredentialKind::Sso,
        _ => CredentialKind::AssumeRole,
    }
}

/// Why a case is not run. Empty: every case runs.
const SKIPPED: &[(&str, &str)] = &[];

fn check_folder(suite: &str, dir: &Path, tally: &mut Tally) {
    let case = format!("{suite}/{}", dir.file_name().unwrap().to_string_lossy());
    if let Some((_, why)) = SKIPPED.iter().find(|(c, _)| *c == case) {
        tally.skipped.push(format!("{case}: {why}"));
        return;
    }
    let mut vars: BTreeMap<String, String> =
        serde_json::from_value(read_json(&dir.join("env.json"))).unwrap();
    if suite == "profile-provider" {
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ] {
            vars.remove(name);
        }
    }
    let run = run_folder(dir, Environment::from_vars(vars));
    if std::env::var_os("VECTORS_VERBOSE").is_some() {
        let outcome = match &run.result {
            Ok(r) => format!("{:?} `{}` region {:?}", r.kind, r.label, r.profile_region),
            Err(e) => message(e),
        };
        eprintln!(
            "{case}: {outcome}\n    requests {:?}\n    unmatched {:?}",
            run.requests, run.unmatched
        );
    }
    let expected = read_json(&dir.join("test-case.json"));
    let mut problems = Vec::new();
    let is_process = std::fs::read_to_string(dir.join("fs/home/.aws/config"))
        .is_ok_and(|c| c.contains("credential_process"));
    match (&run.result, &expected["result"]) {
        _ if is_process => match &run.result {
            Err(Error::CredentialSource(m))
                if m.contains("not supported in the sandbox")
                    && m.contains("profile `default`") => {}
            other => problems.push(format!(
                "expected the credential_process error, got {other:?}"
            )),
        },
        (Ok(resolved), Value::Object(o)) if o.contains_key("Ok") => {
            let want = &o["Ok"];
            let Credentials::Aws(keys) = &resolved.credentials else {
                panic!("{case}: a bearer token?")
            };
            let got = serde_json::json!({
                "access_key_id": keys.access_key_id,
                "secret_access_key": keys.secret_access_key,
                "session_token": keys.session_token,
                "expiry": keys.expires_at.map(unix_seconds),
            });
            let want = serde_json::json!({
                "access_key_id": want["access_key_id"],
                "secret_access_key": want["secret_access_key"],
                "session_token": want.get("session_token").cloned().unwrap_or(Value::Null),
                "expiry": want.get("expiry").cloned().unwrap_or(Value::Null),
            });
            if got != want {
                problems.push(format!("credentials {got} != expected {want}"));
            }
            if resolved.kind != expected_kind(&case) {
                problems.push(format!(
                    "kind {:?} != {:?} (label {})",
                    resolved.kind,
                    expected_kind(&case),
                    resolved.label
                ));
            }
        }
        (Err(error), Value::Object(o)) if o.contains_key("ErrorContains") => {
            let sdk = o["ErrorContains"].as_str().unwrap();
            match expected_error(&case) {
                None => problems.push(format!(
                    "no expected error listed for this case (SDK: `{sdk}`): {}",
                    message(error)
                )),
                Some((variant, ours)) => {
                    if !variant(error) || !message(error).contains(ours) {
                        problems.push(format!(
                            "error `{}` is not the expected one containing `{ours}`",
                            message(error)
                        ));
                    }
                    if message(error).contains(sdk) {
                        tally.sdk_wording += 1;
                    }
                }
            }
        }
        (result, expected) => problems.push(format!("got {result:?}, expected {expected}")),
    }
    if !run.unconsumed.is_empty() {
        problems.push(format!(
            "recorded requests never made: {:?} (made: {:?}; unmatched: {:?})",
            run.unconsumed, run.requests, run.unmatched
        ));
    }
    if problems.is_empty() {
        tally.passed.push(case);
    } else {
        tally
            .failed
            .push(format!("{case}:\n    {}", problems.join("\n    ")));
    }
}

#[derive(Default)]
struct Tally {
    passed: Vec<String>,
    skipped: Vec<String>,
    failed: Vec<String>,
    sdk_wording: usize,
}

fn case_dirs(root: &Path, suite: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join(suite))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("test-case.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn sdk_credential_provider_cases() {
    let Some(root) = vectors::dir("aws-config/aws-config/test-data") else {
        return;
    };
    let mut tally = Tally::default();
    for (suite, size) in [
        ("default-credential-provider-chain", 29),
        ("profile-provider", 18),
    ] {
        let dirs = case_dirs(&root, suite);
        assert_eq!(
            dirs.len(),
            size,
            "{suite} changed size: review the new cases"
        );
        for dir in dirs {
            check_folder(suite, &dir, &mut tally);
        }
    }
    eprintln!(
        "credential provider cases: {} passed, {} skipped, {} failed ({} error cases also carry the SDK's wording)",
        tally.passed.len(),
        tally.skipped.len(),
        tally.failed.len(),
        tally.sdk_wording
    );
    for skipped in &tally.skipped {
        eprintln!("  skipped {skipped}");
    }
    assert!(
        tally.failed.is_empty(),
        "{} failed:\n{}",
        tally.failed.len(),
        tally.failed.join("\n")
    );
}

/// `profile-provider/e2e_assume_role` sets AWS keys in its environment for
/// the profile provider to ignore; the whole chain takes them first.
#[test]
fn the_environment_beats_the_profile_in_the_whole_chain() {
    let Some(root) = vectors::dir("aws-config/aws-config/test-data") else {
        return;
    };
    let dir = root.join("profile-provider/e2e_assume_role");
    let vars: BTreeMap<String, String> =
        serde_json::from_value(read_json(&dir.join("env.json"))).unwrap();
    let run = run_folder(&dir, Environment::from_vars(vars));
    let resolved = run.result.unwrap();
    assert_eq!(
        (resolved.kind, resolved.label.as_str()),
        (CredentialKind::Environment, "env: AWS_ACCESS_KEY_ID")
    );
    assert!(run.requests.is_empty(), "{:?}", run.requests);
}

// ---------------------------------------------------------------------------
// ecs-tests.json and imds-endpoint-tests.json: where the first request goes.

/// Runs the chain with nothing answering; returns the requests and the end.
fn first_requests(
    env: Environment,
    files: &BTreeMap<String, String>,
) -> (Vec<SignedRequest>, Result<Resolved, Error>) {
    let mut sent = Vec::new();
    let read = |path: &str| files.get(path).map(|c| c.as_bytes().to_vec());
    let mut send = |request: &SignedRequest, _: Timeouts| {
        sent.push(request.clone());
        Err(Error::network(NetworkKind::Refused, ""))
    };
    let mut platform = Scripted {
        files: &read,
        send: &mut send,
    };
    let result = chain::resolve(&mut platform, &env, &ChainOptions::at(now()));
    (sent, result)
}

#[test]
fn sdk_ecs_uri_cases() {
    let Some(root) = vectors::dir("aws-config/aws-config/test-data") else {
        return;
    };
    let suite = read_json(&root.join("ecs-tests.json"));
    let cases = suite["tests"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    let mut failed = Vec::new();
    for case in cases {
        let docs = case["docs"].as_str().unwrap();
        let vars: BTreeMap<String, String> = serde_json::from_value(case["env"].clone()).unwrap();
        let (sent, result) = first_requests(Environment::from_vars(vars), &BTreeMap::new());
        let first = sent.first().map(|r| format!("{} {}", r.method, url(r)));
        let ok = match (
            &case["result"]["Ok"],
            case["result"]["ErrorContains"].as_str(),
        ) {
            (Value::String(expected), _) => first.as_deref() == Some(&format!("GET {expected}")),
            (_, Some(sdk)) if sdk.contains("No environment variables") => {
                // Not configured: the chain moved on to IMDS and said why.
                first.as_deref() == Some("PUT http://169.254.169.254/latest/api/token")
                    && matches!(&result, Err(Error::NoCredentials(m)) if m.contains("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set"))
            }
            (_, Some(sdk)) if sdk.contains("did not specify a host") => {
                sent.is_empty()
                    && matches!(&result, Err(Error::CredentialSource(m)) if m.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI `/credentials` did not specify a host"))
            }
            _ => false,
        };
        if !ok {
            failed.push(format!(
                "{docs}: first request {first:?}, result {result:?}"
            ));
        }
    }
    eprintln!(
        "ecs-tests.json: {} passed, 0 skipped, {} failed",
        cases.len() - failed.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn sdk_imds_endpoint_cases() {
    let Some(root) = vectors::dir("aws-config/aws-config/test-data") else {
        return;
    };
    let suite = read_json(&root.join("imds-config/imds-endpoint-tests.json"));
    let cases = suite["tests"].as_array().unwrap();
    assert_eq!(cases.len(), 14);
    let (mut passed, mut skipped, mut failed) = (0, Vec::new(), Vec::new());
    for case in cases {
        let docs = case["docs"].as_str().unwrap();
        // The SDK's IMDS client builder takes an explicit endpoint or mode;
        // the plugin has no such option (variables and profile only). A mode
        // override under an endpoint variable changes nothing: that case runs.
        let env_endpoint = case["env"]
            .get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .is_some();
        if case.get("endpoint_override").is_some()
            || (case.get("mode_override").is_some() && !env_endpoint)
        {
            skipped.push(docs);
            continue;
        }
        let vars: BTreeMap<String, String> = serde_json::from_value(case["env"].clone()).unwrap();
        let files: BTreeMap<String, String> = serde_json::from_value(case["fs"].clone()).unwrap();
        let (sent, result) = first_requests(Environment::from_vars(vars), &files);
        let ok = match (&case["result"]["Ok"], case["result"]["Err"].as_str()) {
            (Value::String(expected), _) => {
                sent.first()
                    .is_some_and(|r| r.method == http::Method::PUT && url(r) == *expected)
                    && matches!(&result, Err(Error::NoCredentials(_)))
            }
            (_, Some(sdk)) => {
                let ours = if sdk == "invalid uri character" {
                    "endpoint URL `not a uri` is not a valid URL (set by AWS_EC2_METADATA_SERVICE_ENDPOINT)"
                } else {
                    sdk
                };
                sent.is_empty()
                    && matches!(&result, Err(Error::CredentialSource(m)) if m.contains(ours))
            }
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            failed.push(format!(
                "{docs}: sent {:?}, result {result:?}",
                sent.iter().map(url).collect::<Vec<_>>()
            ));
        }
    }
    eprintln!(
        "imds-endpoint-tests.json: {passed} passed, {} skipped ({skipped:?}), {} failed",
        skipped.len(),
        failed.len()
    );
    assert_eq!(skipped.len(), 2);
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

// ---------------------------------------------------------------------------
// assume-role-tests.json: the profile plan.

/// The SDK's wording where ours differs; every other expected fragment must
/// appear in our message as is.
const PLAN_WORDING: &[(&str, &str)] = &[
    (
        "profile contained both source_profile and credential_source",
        "profile `A` contains both source_profile and credential_source",
    ),
    (
        "profile missing aws_secret_access_key",
        "the profile is missing aws_secret_access_key",
    ),
    (
        "profile missing aws_access_key_id",
        "the profile is missing aws_access_key_id",
    ),
    (
        "could not find source profile B referenced from A",
        "could not find source profile `B` referenced from profile `A`",
    ),
    ("No profiles were defined", "no profiles are defined"),
    (
        "profile formed an infinite loop",
        "the profiles formed an infinite loop through source_profile: A -> B -> A",
    ),
];

fn profile_set(input: &Value) -> ProfileSet {
    let mut config = String::new();
    for (kind, field) in [("profile", "profiles"), ("sso-session", "sso_sessions")] {
        for (name, properties) in input[field].as_object().into_iter().flatten() {
            config.push_str(&format!("[{kind} {name}]\n"));
            for (key, value) in properties.as_object().unwrap() {
                config.push_str(&format!("{key} = {}\n", value.as_str().unwrap()));
            }
        }
    }
    ProfileSet::parse(Some(&config), None)
        .unwrap()
        .select(input["selected_profile"].as_str().unwrap())
}

fn opt(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

fn chain_matches(set: &ProfileSet, chain: &ProfileChain, expected: &[Value]) -> Result<(), String> {
    let (base, roles) = expected.split_first().ok_or("empty expected chain")?;
    let ok = match (&chain.base, base) {
        (Base::StaticKeys { profile }, Value::Object(o)) if o.contains_key("AccessKey") => {
            let p = set.get(profile).unwrap();
            let want = &o["AccessKey"];
            p.get(keys::AWS_ACCESS_KEY_ID) == want["access_key_id"].as_str()
                && p.get(keys::AWS_SECRET_ACCESS_KEY) == want["secret_access_key"].as_str()
        }
        (Base::CredentialSource { source, .. }, Value::Object(o))
            if o.contains_key("NamedSource") =>
        {
            o["NamedSource"].as_str() == Some(source.name())
        }
        (
            Base::WebIdentity {
                role_arn,
                token_file,
                session_name,
                ..
            },
            Value::Object(o),
        ) if o.contains_key("WebIdentityToken") => {
            let want = &o["WebIdentityToken"];
            Some(role_arn.clone()) == opt(&want["role_arn"])
                && Some(token_file.clone()) == opt(&want["web_identity_token_file"])
                && *session_name == opt(&want["role_session_name"])
        }
        (Base::Sso(sso), Value::Object(o)) if o.contains_key("Sso") => {
            let want = &o["Sso"];
            sso.account_id == opt(&want["sso_account_id"])
                && sso.role_name == opt(&want["sso_role_name"])
                && Some(sso.region.clone()) == opt(&want["sso_region"])
                && Some(sso.start_url.clone()) == opt(&want["sso_start_url"])
                && sso.session == opt(&want["sso_session"])
        }
        _ => false,
    };
    if !ok {
        return Err(format!("base {:?} != expected {base}", chain.base));
    }
    if chain.roles.len() != roles.len() {
        return Err(format!(
            "{} roles != expected {}",
            chain.roles.len(),
            roles.len()
        ));
    }
    for (role, want) in chain.roles.iter().zip(roles) {
        let want = &want["AssumeRole"];
        if Some(role.role_arn.clone()) != opt(&want["role_arn"])
            || role.session_name != opt(&want["role_session_name"])
            || role.external_id != opt(&want["external_id"])
        {
            return Err(format!("role {role:?} != expected {want}"));
        }
    }
    Ok(())
}

#[test]
fn sdk_assume_role_plan_cases() {
    let Some(root) = vectors::dir("aws-config/aws-config/test-data") else {
        return;
    };
    let cases = read_json(&root.join("assume-role-tests.json"));
    let cases = cases.as_array().unwrap();
    assert_eq!(cases.len(), 28);
    let mut failed = Vec::new();
    for case in cases {
        let docs = case["docs"].as_str().unwrap();
        let set = profile_set(&case["input"]);
        let outcome = match (profile_chain::plan(&set), &case["output"]) {
            (Ok(chain), Value::Object(o)) if o.contains_key("ProfileChain") => {
                chain_matches(&set, &chain, o["ProfileChain"].as_array().unwrap())
            }
            (Err(PlanError::Invalid(ours) | PlanError::NotConfigured(ours)), Value::Object(o))
                if o.contains_key("Error") =>
            {
                let sdk = o["Error"].as_str().unwrap();
                let want = PLAN_WORDING
                    .iter()
                    .find(|(s, _)| *s == sdk)
                    .map(|(_, o)| *o)
                    .unwrap_or(sdk);
                if ours.contains(want) {
                    Ok(())
                } else {
                    Err(format!("`{ours}` lacks `{want}`"))
                }
            }
            (got, want) => Err(format!("got {got:?}, expected {want}")),
        };
        if let Err(why) = outcome {
            failed.push(format!("{docs}: {why}"));
        }
    }
    eprintln!(
        "assume-role-tests.json: {} passed, 0 skipped, {} failed",
        cases.len() - failed.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
