//! What the sandbox shows the plugin of the machine it runs on, tried with
//! the hostile plugin (`test-guests/hostile`): the credential files one by
//! one and never the directory around them, instance metadata only for the
//! chain's own requests and only when the chain needs it. Each refusal
//! fails that one request, and the same host then serves the next call.

use bedrock_host::types::StreamEvent;
use bedrock_host::{Host, HostConfig};
use integration_tests::*;
use std::path::PathBuf;

/// A scratch directory; removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("bedrock-exposure-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, relative: &str, contents: &str) -> String {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn hostile(env: &[(&str, String)]) -> Host {
    own_host(&hostile_component(), env, |_| {})
}

/// Runs `command` to its end: the plugin's report.
async fn run(host: &Host, command: &str) -> String {
    let mut stream = host
        .converse_stream(&config(), &request(MODEL, command))
        .await
        .unwrap()
        .expect("the hostile plugin starts every stream");
    let mut text = String::new();
    while let Some(batch) = stream.next().await.unwrap().expect("no provider error") {
        for event in batch {
            if let StreamEvent::TextDelta(delta) = event {
                text.push_str(&delta.text);
            }
        }
    }
    text
}

/// The files every attempt below goes for.
fn secrets() -> Vec<String> {
    vec![
        "/etc/passwd".into(),
        "/proc/self/environ".into(),
        std::env::current_exe().unwrap().display().to_string(),
    ]
}

async fn unreadable(host: &Host, path: &str) {
    let report = run(host, &format!("read {path}")).await;
    assert!(report.starts_with("read failed"), "{path}: {report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_file_at_the_root_does_not_open_the_root() {
    // The issue's own setup: the token's directory is `/`.
    let host = hostile(&[
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token".into()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r".into()),
    ]);
    for path in secrets() {
        unreadable(&host, &path).await;
    }
    assert_eq!(
        run(&host, "env").await,
        "AWS_REGION,AWS_WEB_IDENTITY_TOKEN_FILE,AWS_ROLE_ARN"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_file_shows_itself_not_its_neighbours_and_rotates() {
    let dir = Scratch::new("token");
    let token = dir.write("token", "first-token");
    let neighbour = dir.write("neighbour.key", "not for the plugin");
    let host = hostile(&[
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token.clone()),
    ]);
    assert_eq!(run(&host, &format!("read {token}")).await, "read 11 bytes");
    for path in secrets().iter().chain([&neighbour]) {
        unreadable(&host, path).await;
    }
    // Rotated by rename, as Kubernetes does: the next call reads the new one.
    let next = dir.write("token.next", "the-second-token");
    std::fs::rename(&next, &token).unwrap();
    assert_eq!(run(&host, &format!("read {token}")).await, "read 16 bytes");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credentials_file_in_home_does_not_open_home() {
    let home = Scratch::new("home");
    let credentials = home.write("creds", "[default]\nregion = eu-west-1\n");
    let ssh_key = home.write(".ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----");
    let config_file = home.write(".aws/config", "[default]\n");
    let host = hostile(&[
        ("HOME", home.0.to_str().unwrap().into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "~/creds".into()),
    ]);
    assert_eq!(
        run(&host, &format!("read {credentials}")).await,
        "read 29 bytes"
    );
    assert_eq!(
        run(&host, &format!("read {config_file}")).await,
        "read 10 bytes"
    );
    unreadable(&host, &ssh_key).await;
    for path in secrets() {
        unreadable(&host, &path).await;
    }
}

#[test]
fn the_root_or_home_as_a_directory_is_refused_with_a_clear_error() {
    let home = Scratch::new("refused");
    for dir in [PathBuf::from("/"), home.0.clone()] {
        let mut config = HostConfig::new(hostile_component());
        config.env = vec![("HOME".into(), home.0.to_str().unwrap().into())];
        config.extra_dirs = vec![dir.clone()];
        let error = Host::new(config).map(|_| ()).unwrap_err();
        let message = format!("{error:#}");
        assert!(
            message.contains(&format!("extra directory {}", dir.display()))
                && message.contains("refused"),
            "{message}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn instance_metadata_is_closed_when_keys_come_first() {
    let host = hostile(&[
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
    ]);
    assert!(
        host.policy()
            .allowed_hosts()
            .iter()
            .all(|entry| entry.host != "169.254.169.254"),
        "{:?}",
        host.policy().allowed_hosts()
    );
    let report = run(
        &host,
        "fetch http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    )
    .await;
    assert!(report.contains("HttpRequestDenied"), "{report}");
    assert_eq!(
        run(&host, "env").await,
        "AWS_REGION,AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn instance_metadata_serves_only_the_credential_requests() {
    // Nothing comes before instance metadata: it is open, for the chain's
    // requests only.
    let host = hostile(&[("AWS_REGION", "us-east-1".into())]);
    for url in [
        "http://169.254.169.254/latest/user-data",
        "http://169.254.169.254/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance",
        "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token",
        "http://169.254.169.254/metadata/identity/oauth2/token?resource=https://management.azure.com/",
        "http://169.254.169.254/opc/v2/instance/",
    ] {
        let report = run(&host, &format!("fetch {url}")).await;
        assert!(report.contains("HttpRequestDenied"), "{url}: {report}");
    }
    assert_eq!(run(&host, "env").await, "AWS_REGION");
}
