//! The whole credential chain inside the sandbox, against the emulator's
//! STS, IMDS, container and SSO endpoints: what `credential-source` reports,
//! that the credentials work, and that temporary ones are cached.

use bedrock_emulator::{Emulator, EmulatorConfig, IMDS_ROLE_NAME};
use bedrock_host::types::{CredentialKind, ProviderError};
use integration_tests::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// A scratch home directory with `~/.aws` files; removed on drop.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        let dir = std::env::temp_dir().join(format!("bedrock-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        Home(dir)
    }

    fn write(&self, relative: &str, contents: &str) -> &Self {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn env(&self, emulator: &Emulator) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", self.0.to_str().unwrap().to_string()),
            ("AWS_ENDPOINT_URL", emulator.endpoint()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn static_keys(profile: &str) -> String {
    format!(
        "[{profile}]\naws_access_key_id = {ACCESS_KEY_ID}\naws_secret_access_key = {SECRET_ACCESS_KEY}\n"
    )
}

async fn streams(host: &bedrock_host::Host) {
    let outcome = converse(host, &config(), &request(MODEL, "Hi"))
        .await
        .unwrap();
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.stops().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destination_off_the_allow_list_is_refused_by_the_host() {
    // Only the profile names this STS endpoint: the host's allow-list has not
    // heard of it, and says so; the chain names the role and the endpoint.
    let home = Home::new("denied");
    home.write(
        ".aws/config",
        "[profile keys]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s\n\
         [default]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = keys\n\
         endpoint_url = https://attacker.example.com\n",
    );
    let host = host(&[
        ("HOME", home.path().to_str().unwrap().to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]);
    let error = host
        .credential_source(&config())
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(&error, ProviderError::CredentialSource(m)
            if m.contains("https://attacker.example.com") && m.contains("the host denied")),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_static_keys_and_region() {
    let emulator = emulator().await;
    let home = Home::new("static");
    home.write(".aws/credentials", &static_keys("default"))
        .write(
            ".aws/config",
            "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-3\n",
        );
    let host = host(&home.env(&emulator));
    let info = host.credential_source(&config()).await.unwrap().unwrap();
    assert_eq!(info.kind, CredentialKind::Profile);
    assert_eq!(info.label, "profile: default (~/.aws/credentials)");
    assert_eq!(info.region, "us-east-1");
    assert_eq!(info.expires_at, None);
    assert!(!format!("{info:?}").contains(SECRET_ACCESS_KEY));
    streams(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_credentials_file_is_read_on_the_next_call() {
    let emulator = emulator().await;
    let home = Home::new("rotate");
    home.write(
        ".aws/credentials",
        &static_keys("default").replace("EXAMPLEKEY", "OLDEXAMPLE"),
    );
    let host = host(&home.env(&emulator));
    let error = converse(&host, &config(), &request(MODEL, "Hi"))
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::Auth(_)), "{error:?}");
    home.write(".aws/credentials", &static_keys("default"));
    streams(&host).await;
}

/// Streams share an instance, which keeps the file copies it was made
/// with: a stream started after a rotation gets an instance that reads the
/// new file, while the stream already open finishes on the old one.
#[tokio::test(flavor = "multi_thread")]
async fn a_rotated_credentials_file_reaches_the_next_stream_while_one_is_open() {
    let emulator = emulator().await;
    let home = Home::new("rotate-open");
    home.write(".aws/credentials", &static_keys("default"));
    let host = host(&home.env(&emulator));
    let mut open = host
        .converse_stream(&config(), &request(MODEL, "[emulator words=40 slow=5]"))
        .await
        .unwrap()
        .unwrap();
    home.write(
        ".aws/credentials",
        &static_keys("default").replace("EXAMPLEKEY", "OLDEXAMPLE"),
    );
    let error = converse(&host, &config(), &request(MODEL, "Hi"))
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::Auth(_)), "{error:?}");
    let mut batches = 0;
    while open.next().await.unwrap().unwrap().is_some() {
        batches += 1;
    }
    assert!(batches > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn assume_role_through_sts_is_cached_until_near_expiry() {
    let emulator = emulator().await;
    let home = Home::new("assume");
    home.write(".aws/credentials", &static_keys("base")).write(
        ".aws/config",
        "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/bedrock-dev\nsource_profile = base\nregion = us-east-1\n",
    );
    let mut env = home.env(&emulator);
    env.push(("AWS_PROFILE", "dev".into()));
    let host = host(&env);
    let info = host.credential_source(&config()).await.unwrap().unwrap();
    assert_eq!(info.kind, CredentialKind::AssumeRole);
    assert!(
        info.label
            .contains("arn:aws:iam::123456789012:role/bedrock-dev"),
        "{}",
        info.label
    );
    assert!(info.expires_at.is_some_and(|t| t > now_secs()));
    assert_eq!(sts_calls(&emulator), 1);
    host.credential_source(&config()).await.unwrap().unwrap();
    streams(&host).await;
    assert_eq!(
        sts_calls(&emulator),
        1,
        "a fresh instance reuses the cached role credentials"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_close_to_expiry_are_refreshed() {
    // Issued for 2 minutes: inside the refresh margin, so every call asks again.
    let emulator = Emulator::start(EmulatorConfig {
        issued_credentials_ttl: Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .unwrap();
    let tokens = Home::new("refresh");
    tokens.write(
        "token",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl",
    );
    let env = vec![
        ("HOME", tokens.path().to_str().unwrap().to_string()),
        ("AWS_ENDPOINT_URL", emulator.endpoint()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        (
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            tokens.path().join("token").to_str().unwrap().to_string(),
        ),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa".into()),
    ];
    let host = host(&env);
    let info = host.credential_source(&config()).await.unwrap().unwrap();
    assert_eq!(info.kind, CredentialKind::WebIdentity);
    assert_eq!(
        info.label,
        "web identity: arn:aws:iam::123456789012:role/irsa"
    );
    host.credential_source(&config()).await.unwrap().unwrap();
    assert_eq!(sts_calls(&emulator), 2);
    streams(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn container_credentials() {
    let emulator = Emulator::start(EmulatorConfig {
        container_authorization_token: Some("container-token-EXAMPLE".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let env = vec![
        ("AWS_ENDPOINT_URL", emulator.endpoint()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/container-credentials", emulator.endpoint()),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            "container-token-EXAMPLE".into(),
        ),
    ];
    let host = host(&env);
    let info = host.credential_source(&config()).await.unwrap().unwrap();
    assert_eq!(
        (info.kind, info.label.as_str()),
        (CredentialKind::Container, "container credentials")
    );
    assert!(info.expires_at.is_some());
    streams(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn instance_role_through_imdsv2() {
    let emulator = emulator().await;
    let env = vec![
        ("AWS_ENDPOINT_URL", emulator.endpoint()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", emulator.endpoint()),
    ];
    let host = host(&env);
    let info = host.credential_source(&config()).await.unwrap().unwrap();
    assert_eq!(info.kind, CredentialKind::InstanceRole);
    assert_eq!(info.label, format!("instance role: {IMDS_ROLE_NAME}"));
    let token_put = emulator
        .requests()
        .iter()
        .any(|r| r.method == "PUT" && r.raw_path == "/latest/api/token");
    assert!(token_put, "IMDSv2 starts with a token");
    streams(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sso_session_with_the_cached_token() {
    let emulator = emulator().await;
    let home = Home::new("sso");
    home.write(
        ".aws/config",
        "[profile sso-dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = BedrockUser\nregion = us-east-1\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
    );
    let cache = bedrock_core::credentials::sso::cache_path(home.path().to_str().unwrap(), "corp");
    let relative = cache
        .strip_prefix(home.path().to_str().unwrap())
        .unwrap()
        .trim_start_matches('/')
        .to_string();
    home.write(
        &relative,
        r#"{"accessToken":"sso-access-token-EXAMPLE","expiresAt":"2099-01-01T00:00:00Z","region":"us-east-1","startUrl":"https://corp.awsapps.com/start"}"#,
    );
    let mut env = home.env(&emulator);
    env.push(("AWS_PROFILE", "sso-dev".into()));
    let host = host(&env);
    let info = host.credential_source(&config()).await.unwrap().unwrap();
    assert_eq!(
        (info.kind, info.label.as_str()),
        (CredentialKind::Sso, "sso: corp")
    );
    streams(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn credential_process_is_refused_by_name() {
    let emulator = emulator().await;
    let home = Home::new("process");
    home.write(
        ".aws/config",
        "[profile tool]\ncredential_process = /usr/bin/get-creds --json\n",
    );
    let mut env = home.env(&emulator);
    env.push(("AWS_PROFILE", "tool".into()));
    let error = host(&env)
        .credential_source(&config())
        .await
        .unwrap()
        .unwrap_err();
    let ProviderError::CredentialSource(message) = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains("tool") && message.contains("credential_process"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn with_no_source_the_error_says_where_it_looked_and_an_absent_imds_is_quick() {
    let home = Home::new("none");
    // An instance metadata endpoint that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let imds = format!("http://{}", silent.local_addr().unwrap());
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let env = vec![
        ("HOME", home.path().to_str().unwrap().to_string()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds),
    ];
    let host = host(&env);
    let started = Instant::now();
    let error = host
        .credential_source(&config())
        .await
        .unwrap()
        .unwrap_err();
    let took = started.elapsed();
    let ProviderError::NoCredentials(message) = &error else {
        panic!("{error:?}")
    };
    for place in [
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_ACCESS_KEY_ID",
        "config and credentials files",
        "web identity",
        "container",
        "instance metadata",
    ] {
        assert!(message.contains(place), "{place} missing from: {message}");
    }
    assert!(
        took < Duration::from_secs(2),
        "an absent IMDS took {took:?}"
    );
}

fn sts_calls(emulator: &Emulator) -> usize {
    emulator
        .issued()
        .iter()
        .filter(|i| i.source.starts_with("sts"))
        .count()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
