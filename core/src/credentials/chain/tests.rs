//! The chain against a scripted world: files in a map, HTTP answers by URL.

use super::*;
use crate::credentials::{imds, sso};
use crate::error::NetworkKind;
use crate::platform::fake::{FakePlatform, Scripted};
use crate::time::format_rfc3339;
use std::time::Duration;

/// 2021-01-01T00:00:00Z.
const NOW: u64 = 1_609_459_200;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(NOW)
}

fn later(secs: u64) -> String {
    format_rfc3339(now() + Duration::from_secs(secs))
}

/// A [`FakePlatform`] with the chain's test helpers.
#[derive(Default)]
struct World {
    platform: FakePlatform,
    /// `Debug` of every request sent, for the secrets check.
    shown: Vec<String>,
}

impl std::ops::Deref for World {
    type Target = FakePlatform;

    fn deref(&self) -> &FakePlatform {
        &self.platform
    }
}

impl std::ops::DerefMut for World {
    fn deref_mut(&mut self) -> &mut FakePlatform {
        &mut self.platform
    }
}

impl World {
    fn file(mut self, path: &str, contents: &str) -> Self {
        self.platform = self.platform.file(path, contents);
        self
    }

    fn answer(mut self, request: &str, status: u16, body: &str) -> Self {
        self.platform = self.platform.answer(request, status, body);
        self
    }

    fn run(&mut self, vars: &[(&str, &str)], options: ChainOptions) -> Result<Resolved, Error> {
        let env = Environment::from_vars(vars.iter().copied());
        let result = resolve(&mut self.platform, &env, &options);
        self.shown = self
            .platform
            .sent
            .iter()
            .map(|r| format!("{r:?}"))
            .collect();
        result
    }

    fn header(&self, index: usize, name: &str) -> Option<String> {
        self.sent[index]
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
    }

    fn body(&self, index: usize) -> String {
        String::from_utf8(self.sent[index].body.clone()).unwrap()
    }
}

fn opts() -> ChainOptions {
    ChainOptions::at(now())
}

fn sts_answer(action: &str, key: &str, secret: &str, token: &str, expiry: &str) -> String {
    format!(
        "<{action}Response><{action}Result><Credentials><AccessKeyId>{key}</AccessKeyId>\
         <SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken>\
         <Expiration>{expiry}</Expiration></Credentials></{action}Result></{action}Response>"
    )
}

fn imds_answer(key: &str, secret: &str, token: &str, expiry: &str) -> String {
    format!(
        r#"{{"Code":"Success","AccessKeyId":"{key}","SecretAccessKey":"{secret}","Token":"{token}","Expiration":"{expiry}"}}"#
    )
}

fn source_error(result: Result<Resolved, Error>) -> String {
    match result {
        Err(Error::CredentialSource(message)) => message,
        other => panic!("expected a credential-source error, got {other:?}"),
    }
}

const IMDS_TOKEN: &str = "PUT http://169.254.169.254/latest/api/token";
const IMDS_ROLE: &str = "GET http://169.254.169.254/latest/meta-data/iam/security-credentials/";
const STS: &str = "POST https://sts.us-east-1.amazonaws.com/";

#[test]
fn an_absent_imds_costs_one_attempt_and_the_message_lists_every_place() {
    let mut world = World::default();
    let result = world.run(&[("HOME", "/h"), ("AWS_PROFILE", "dev")], opts());
    assert_eq!(
        world.sent.len(),
        1,
        "the token request is not retried when nothing answers"
    );
    let Err(Error::NoCredentials(message)) = result else {
        panic!("{result:?}")
    };
    for place in [
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY",
        "~/.aws/config and ~/.aws/credentials do not exist",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "EC2 instance metadata at http://169.254.169.254: no answer",
    ] {
        assert!(message.contains(place), "{place} missing from: {message}");
    }
}

#[test]
fn imds_retries_server_errors_once() {
    let mut world = World::default()
        .answer(IMDS_TOKEN, 500, "")
        .answer(IMDS_TOKEN, 500, "");
    let message = source_error(world.run(&[], opts()));
    assert_eq!(world.sent.len(), imds::POLICY.max_attempts as usize);
    assert!(message.contains("HTTP 500"), "{message}");
}

#[test]
fn instance_role_end_to_end() {
    let mut world = World::default()
        .answer(IMDS_TOKEN, 200, "imds-token")
        .answer(IMDS_ROLE, 200, "web-role\n")
        .answer(
            &format!("{IMDS_ROLE}web-role"),
            200,
            &imds_answer("ASIAIMDS", "s", "t", &later(3600)),
        );
    let resolved = world
        .run(
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv4")],
            opts(),
        )
        .unwrap();
    assert_eq!(
        (resolved.kind, resolved.label.as_str()),
        (CredentialKind::InstanceRole, "instance role: web-role")
    );
    assert_eq!(
        world.header(0, imds::TOKEN_TTL_HEADER).as_deref(),
        Some("21600")
    );
    assert_eq!(
        world.header(2, imds::TOKEN_HEADER).as_deref(),
        Some("imds-token")
    );
    assert_eq!(
        resolved.expires_at(),
        Some(now() + Duration::from_secs(3600))
    );
}

#[test]
fn credentials_expired_on_arrival_are_an_error() {
    let mut world = World::default()
        .answer(IMDS_TOKEN, 200, "t")
        .answer(IMDS_ROLE, 200, "r")
        .answer(
            &format!("{IMDS_ROLE}r"),
            200,
            &imds_answer("ASIA", "s", "t", "2020-01-01T00:00:00Z"),
        );
    let message = source_error(world.run(&[], opts()));
    assert!(
        message.contains("already expired at 2020-01-01T00:00:00Z")
            && message.contains("instance role r"),
        "{message}"
    );
}

#[test]
fn region_comes_from_the_profile_only_when_nothing_else_names_it() {
    let config = "[default]\nregion = eu-west-3\n";
    let bearer = [("AWS_BEARER_TOKEN_BEDROCK", "api-key"), ("HOME", "/h")];
    let mut world = World::default().file("/h/.aws/config", config);
    let resolved = world.run(&bearer, opts()).unwrap();
    assert_eq!(resolved.profile_region.as_deref(), Some("eu-west-3"));
    let env = Environment::from_vars(bearer);
    assert_eq!(resolved.region(None, &env).unwrap(), "eu-west-3");
    assert_eq!(
        resolved.region(Some("ap-south-1"), &env).unwrap(),
        "ap-south-1"
    );

    let mut world = World::default().file("/h/.aws/config", config);
    let resolved = world
        .run(&[bearer[0], bearer[1], ("AWS_REGION", "us-west-2")], opts())
        .unwrap();
    assert!(
        world.reads.is_empty(),
        "AWS_REGION names the region: no file read"
    );
    assert_eq!(resolved.profile_region, None);

    // A broken config file does not stop environment credentials.
    let mut world = World::default().file("/h/.aws/config", "[default]\n= x\n");
    let resolved = world.run(&bearer, opts()).unwrap();
    assert_eq!(
        (resolved.kind, resolved.profile_region),
        (CredentialKind::BearerToken, None)
    );
}

#[test]
fn profile_keys_say_which_file_they_came_from_and_the_option_beats_aws_profile() {
    let mut world = World::default()
        .file("/h/.aws/config", "[profile dev]\naws_access_key_id = A\naws_secret_access_key = S\nregion = eu-north-1\n")
        .file("/h/.aws/credentials", "[prod]\naws_access_key_id = B\naws_secret_access_key = S\n");
    let options = ChainOptions {
        profile: Some("prod".into()),
        ..opts()
    };
    let resolved = world
        .run(&[("HOME", "/h"), ("AWS_PROFILE", "dev")], options)
        .unwrap();
    assert_eq!(
        (resolved.kind, resolved.label.as_str()),
        (
            CredentialKind::Profile,
            "profile: prod (~/.aws/credentials)"
        )
    );
    let resolved = world
        .run(&[("HOME", "/h"), ("AWS_PROFILE", "dev")], opts())
        .unwrap();
    assert_eq!(resolved.label, "profile: dev (~/.aws/config)");
    assert_eq!(resolved.profile_region.as_deref(), Some("eu-north-1"));
}

#[test]
fn a_named_profile_that_does_not_exist_stops_the_chain() {
    let mut world = World::default().file(
        "/h/.aws/config",
        "[dev]\nregion = x\n[profile prod]\nregion = y\n",
    );
    let message = source_error(world.run(&[("HOME", "/h"), ("AWS_PROFILE", "dev")], opts()));
    assert!(
        message.contains("`dev` is not defined")
            && message.contains("[profile dev]")
            && message.contains("prod"),
        "{message}"
    );
    assert!(world.sent.is_empty(), "no fallback to instance metadata");
}

#[test]
fn assume_role_signs_with_the_source_and_sends_the_profile_settings() {
    let config = "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = base\n\
                  external_id = ext-1\nrole_session_name = me\nduration_seconds = 1800\n\
                  [profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = S\n";
    let mut world = World::default().file("/h/.aws/config", config).answer(
        STS,
        200,
        &sts_answer("AssumeRole", "ASIAROLE", "rs", "rt", &later(1800)),
    );
    let resolved = world
        .run(&[("HOME", "/h"), ("AWS_PROFILE", "dev")], opts())
        .unwrap();
    assert_eq!(
        (resolved.kind, resolved.label.as_str()),
        (
            CredentialKind::AssumeRole,
            "assume role: arn:aws:iam::123456789012:role/R via profile dev"
        )
    );
    let body = world.body(0);
    for field in [
        "Action=AssumeRole",
        "RoleSessionName=me",
        "ExternalId=ext-1",
        "DurationSeconds=1800",
    ] {
        assert!(body.contains(field), "{field} missing from {body}");
    }
    let auth = world.header(0, "authorization").unwrap();
    assert!(
        auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDBASE/20210101/us-east-1/sts/aws4_request"
        ),
        "{auth}"
    );
}

#[test]
fn sts_errors_name_the_role_and_the_code() {
    let config = "[profile other]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = base\n\
                  [profile base]\naws_access_key_id = A\naws_secret_access_key = S\n";
    let denied = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>not authorized</Message></Error>\
                  <RequestId>req-9</RequestId></ErrorResponse>";
    let mut world = World::default()
        .file("/h/.aws/config", config)
        .answer(STS, 403, denied);
    let options = ChainOptions {
        profile: Some("other".into()),
        ..opts()
    };
    let message = source_error(world.run(&[("HOME", "/h")], options));
    assert_eq!(world.sent.len(), 1, "access denied is not retried");
    assert!(
        message.contains("AssumeRole for arn:aws:iam::1:role/R (profile `other`"),
        "{message}"
    );
    assert!(
        message.contains("AccessDenied: not authorized (HTTP 403, request id req-9)"),
        "{message}"
    );
    assert!(message.contains("trust policy"), "{message}");

    // Throttling and 5xx are retried, three attempts in all.
    let throttled = "<ErrorResponse><Error><Code>Throttling</Code><Message>slow down</Message></Error></ErrorResponse>";
    let mut world = World::default()
        .file("/h/.aws/config", config)
        .answer(STS, 400, throttled)
        .answer(STS, 503, "")
        .answer(STS, 400, throttled);
    let options = ChainOptions {
        profile: Some("other".into()),
        ..opts()
    };
    let message = source_error(world.run(&[("HOME", "/h")], options));
    assert_eq!(world.sent.len(), 3);
    assert!(
        message.contains("Throttling: slow down (HTTP 400)"),
        "{message}"
    );
}

#[test]
fn sts_is_retried_with_backoff_but_never_after_the_host_refused_it() {
    let config = "[profile other]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = base\n\
                  [profile base]\naws_access_key_id = A\naws_secret_access_key = S\n";
    let options = ChainOptions {
        profile: Some("other".into()),
        ..opts()
    };
    let denied = || Scripted::Fail(Error::network(NetworkKind::Denied, ""));
    let mut world = World::default().file("/h/.aws/config", config);
    world.platform = std::mem::take(&mut world.platform)
        .then(STS, denied())
        .then(STS, denied());
    let message = source_error(world.run(&[("HOME", "/h")], options.clone()));
    assert_eq!(
        world.sent.len(),
        1,
        "the allow-list does not change between attempts"
    );
    assert!(world.slept.is_empty());
    assert!(message.contains("the host denied"), "{message}");

    let mut world = World::default().file("/h/.aws/config", config);
    world.platform = std::mem::take(&mut world.platform)
        .then(STS, Scripted::Fail(Error::network(NetworkKind::Reset, "")))
        .answer(
            STS,
            200,
            &sts_answer("AssumeRole", "ASIAR", "secret", "token", &later(3600)),
        );
    let resolved = world.run(&[("HOME", "/h")], options).unwrap();
    assert_eq!(resolved.kind, CredentialKind::AssumeRole);
    assert_eq!(world.sent.len(), 2);
    assert_eq!(world.slept.len(), 1, "a backoff before the second attempt");
}

#[test]
fn roles_needing_mfa_and_processes_are_clear_errors() {
    let config = "[default]\nrole_arn = r\nsource_profile = base\nmfa_serial = arn:aws:iam::1:mfa/me\n\
                  [profile base]\naws_access_key_id = A\naws_secret_access_key = S\n\
                  [profile proc]\ncredential_process = /usr/bin/get-creds\n";
    let mut world = World::default().file("/h/.aws/config", config);
    let message = source_error(world.run(&[("HOME", "/h")], opts()));
    assert!(
        message.contains("mfa_serial") && message.contains("`default`"),
        "{message}"
    );
    let message = source_error(world.run(&[("HOME", "/h"), ("AWS_PROFILE", "proc")], opts()));
    assert!(
        message.contains("profile `proc` uses credential_process")
            && message.contains("not supported in the sandbox"),
        "{message}"
    );
    assert!(world.sent.is_empty());
}

#[test]
fn role_loops_stop_the_chain() {
    let config = "[default]\nrole_arn = a\nsource_profile = b\n[profile b]\nrole_arn = b\nsource_profile = default\n";
    let message = source_error(
        World::default()
            .file("/h/.aws/config", config)
            .run(&[("HOME", "/h")], opts()),
    );
    assert!(message.contains("default -> b -> default"), "{message}");
}

#[test]
fn web_identity_from_the_environment() {
    let vars = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
        ("AWS_ROLE_ARN", "arn:aws:iam::1:role/W"),
        ("AWS_REGION", "eu-central-1"),
    ];
    let mut world = World::default()
        .file("/var/run/token", "jwt-contents\n")
        .answer(
            "POST https://sts.eu-central-1.amazonaws.com/",
            200,
            &sts_answer("AssumeRoleWithWebIdentity", "ASIAW", "s", "t", &later(900)),
        );
    let resolved = world.run(&vars, opts()).unwrap();
    assert_eq!(
        (resolved.kind, resolved.label.as_str()),
        (
            CredentialKind::WebIdentity,
            "web identity: arn:aws:iam::1:role/W"
        )
    );
    assert!(
        world.body(0).ends_with("&WebIdentityToken=jwt-contents"),
        "trimmed: {}",
        world.body(0)
    );
    assert!(
        world
            .body(0)
            .contains("RoleSessionName=bedrock-plugin-1609459200")
    );
    assert_eq!(world.header(0, "authorization"), None);

    let message = source_error(World::default().run(&vars, opts()));
    assert!(
        message.contains("/var/run/token") && message.contains("AWS_WEB_IDENTITY_TOKEN_FILE"),
        "{message}"
    );
    let message = source_error(
        World::default()
            .file("/var/run/token", " \n")
            .run(&vars, opts()),
    );
    assert!(message.contains("is empty"), "{message}");
    let message = source_error(World::default().run(&vars[..1], opts()));
    assert!(message.contains("AWS_ROLE_ARN is not"), "{message}");
}

#[test]
fn container_credentials_with_a_token_file() {
    let vars = [
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://169.254.170.23/v1/credentials",
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/var/token"),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "ignored-when-the-file-is-set",
        ),
    ];
    let mut world = World::default().file("/var/token", "pod-token\n").answer(
        "GET http://169.254.170.23/v1/credentials",
        200,
        &imds_answer("ASIAC", "s", "t", &later(600)),
    );
    let resolved = world.run(&vars, opts()).unwrap();
    assert_eq!(
        (resolved.kind, resolved.label.as_str()),
        (CredentialKind::Container, "container credentials")
    );
    assert_eq!(
        world.header(0, "authorization").as_deref(),
        Some("pod-token")
    );
    assert_eq!(
        world.sent[0]
            .headers
            .iter()
            .filter(|(n, _)| n == "authorization")
            .count(),
        1
    );

    let mut world = World::default().file("/var/token", "pod-token").answer(
        "GET http://169.254.170.23/v1/credentials",
        403,
        r#"{"code":"AccessDenied","message":"bad token"}"#,
    );
    let message = source_error(world.run(&vars, opts()));
    assert!(
        message.contains("HTTP 403: AccessDenied: bad token")
            && message.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        "{message}"
    );

    let refused = [(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://198.51.100.7/creds",
    )];
    let message = source_error(World::default().run(&refused, opts()));
    assert!(message.contains("use https"), "{message}");
}

#[test]
fn sso_with_an_expired_token_says_to_log_in() {
    let config = "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n\
                  [sso-session corp]\nsso_region = eu-west-1\nsso_start_url = https://corp.awsapps.com/start\n";
    let cache = sso::cache_path("/h", "corp");
    let expired = r#"{"accessToken":"sso-access","expiresAt":"2020-12-31T00:00:00Z"}"#;
    let vars = [("HOME", "/h"), ("AWS_PROFILE", "dev")];
    let message = source_error(
        World::default()
            .file("/h/.aws/config", config)
            .file(&cache, expired)
            .run(&vars, opts()),
    );
    assert!(
        message.contains("expired at 2020-12-31T00:00:00Z")
            && message.contains("aws sso login --sso-session corp"),
        "{message}"
    );

    let valid = expired.replace("2020-12-31", "2021-01-02");
    let mut world = World::default()
        .file("/h/.aws/config", config)
        .file(&cache, &valid)
        .answer(
            "GET https://portal.sso.eu-west-1.amazonaws.com/federation/credentials?role_name=Dev&account_id=111122223333",
            401,
            r#"{"message":"Session token not found or invalid"}"#,
        );
    let message = source_error(world.run(&vars, opts()));
    assert!(
        message.contains("HTTP 401") && message.contains("aws sso login --sso-session corp"),
        "{message}"
    );
    assert_eq!(
        world.header(0, sso::TOKEN_HEADER).as_deref(),
        Some("sso-access")
    );
}

#[test]
fn unreadable_config_text_is_named() {
    let mut world = World::default();
    world
        .files
        .insert("/h/.aws/credentials".into(), vec![0xff, 0xfe, b'[']);
    let message = source_error(world.run(&[("HOME", "/h")], opts()));
    assert!(
        message.contains("~/.aws/credentials is not UTF-8"),
        "{message}"
    );
}

/// Unique secrets in every source; none may show in any step, result,
/// error, label or `Debug` output.
#[test]
fn no_secret_is_ever_shown() {
    const SECRETS: &[&str] = &[
        "SECRET-bearer-7f1",
        "SECRET-env-secret-7f2",
        "SECRET-env-token-7f3",
        "SECRET-file-secret-7f4",
        "SECRET-file-token-7f5",
        "SECRET-sts-secret-7f6",
        "SECRET-sts-token-7f7",
        "SECRET-jwt-7f8",
        "SECRET-sso-access-7f9",
        "SECRET-sso-secret-7fa",
        "SECRET-container-token-7fb",
        "SECRET-container-secret-7fc",
        "SECRET-imds-token-7fd",
        "SECRET-imds-secret-7fe",
    ];
    let config = format!(
        "[profile keys]\naws_access_key_id = AKIDFILE\naws_secret_access_key = {}\naws_session_token = {}\n\
         [profile role]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = keys\n\
         [profile web]\nrole_arn = arn:aws:iam::1:role/W\nweb_identity_token_file = /jwt\n\
         [profile sso]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n\
         [sso-session s]\nsso_region = us-east-1\nsso_start_url = https://x/start\n\
         [profile broken]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = keys\n",
        SECRETS[3], SECRETS[4]
    );
    let sso_cache = sso::cache_path("/h", "s");
    let world = || {
        World::default()
            .file("/h/.aws/config", &config)
            .file("/jwt", SECRETS[7])
            .file("/ctoken", SECRETS[10])
            .file(&sso_cache, &format!(r#"{{"accessToken":"{}","expiresAt":"{}"}}"#, SECRETS[8], later(3600)))
            .answer(STS, 200, &sts_answer("AssumeRole", "ASIASTS", SECRETS[5], SECRETS[6], &later(3600)))
            .answer(
                "GET https://portal.sso.us-east-1.amazonaws.com/federation/credentials?role_name=r&account_id=1",
                200,
                &format!(
                    r#"{{"roleCredentials":{{"accessKeyId":"ASIASSO","secretAccessKey":"{}","sessionToken":"x","expiration":{}}}}}"#,
                    SECRETS[9],
                    (NOW + 3600) * 1000
                ),
            )
            .answer("GET http://127.0.0.1:9/creds", 200, &imds_answer("ASIAC", SECRETS[11], "t", &later(3600)))
            .answer(IMDS_TOKEN, 200, SECRETS[12])
            .answer(IMDS_ROLE, 200, "r")
            .answer(&format!("{IMDS_ROLE}r"), 200, &imds_answer("ASIAI", SECRETS[13], "t", &later(3600)))
    };
    let home = ("HOME", "/h");
    use CredentialKind::*;
    let container = (
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://127.0.0.1:9/creds",
    );
    type Scenario<'a> = (Vec<(&'a str, &'a str)>, Option<CredentialKind>);
    let scenarios: Vec<Scenario<'_>> = vec![
        (
            vec![("AWS_BEARER_TOKEN_BEDROCK", SECRETS[0])],
            Some(BearerToken),
        ),
        (
            vec![
                ("AWS_ACCESS_KEY_ID", "AKIDENV"),
                ("AWS_SECRET_ACCESS_KEY", SECRETS[1]),
                ("AWS_SESSION_TOKEN", SECRETS[2]),
            ],
            Some(Environment),
        ),
        (vec![home, ("AWS_PROFILE", "keys")], Some(Profile)),
        (vec![home, ("AWS_PROFILE", "role")], Some(AssumeRole)),
        (vec![home, ("AWS_PROFILE", "web")], Some(WebIdentity)),
        (vec![home, ("AWS_PROFILE", "sso")], Some(Sso)),
        (
            vec![
                container,
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/ctoken"),
            ],
            Some(Container),
        ),
        (
            vec![
                container,
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", SECRETS[10]),
            ],
            Some(Container),
        ),
        (vec![], Some(InstanceRole)),
        // Failures: a source that answers errors, a missing token file.
        (
            vec![
                (
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "http://127.0.0.1:9/other",
                ),
                ("AWS_CONTAINER_AUTHORIZATION_TOKEN", SECRETS[10]),
            ],
            None,
        ),
        (
            vec![
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/missing"),
                ("AWS_ROLE_ARN", "arn:aws:iam::1:role/W"),
            ],
            None,
        ),
    ];
    for (vars, expected) in &scenarios {
        let mut world = world();
        let result = world.run(vars, opts());
        assert_eq!(
            result.as_ref().ok().map(|r| r.kind),
            *expected,
            "{vars:?}: {result:?}"
        );
        let mut shown = world.shown.join("\n");
        match &result {
            Ok(resolved) => {
                shown.push_str(&format!(
                    "{resolved:?} {:?} {}",
                    resolved.info("us-east-1".into()),
                    resolved.principal()
                ));
                assert!(
                    super::super::cache::decode(
                        &super::super::cache::encode(resolved).unwrap_or_default()
                    )
                    .is_none_or(|r| r == *resolved)
                );
            }
            Err(error) => shown.push_str(&format!("{error:?} {}", error)),
        }
        for secret in SECRETS {
            assert!(
                !shown.contains(secret),
                "{secret} shown in scenario {vars:?}:\n{shown}"
            );
        }
    }
}
