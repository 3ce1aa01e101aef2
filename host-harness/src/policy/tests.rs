//! The policy as a whole; each part's own rules are tested beside it.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn config(pairs: &[(&str, &str)], extra_env: &[&str], extra_hosts: &[&str]) -> HostConfig {
    HostConfig {
        env: env(pairs),
        extra_env: extra_env.iter().map(|s| s.to_string()).collect(),
        extra_hosts: extra_hosts.iter().map(|s| s.to_string()).collect(),
        ..HostConfig::new("x.wasm")
    }
}

fn request(method: http::Method, url: &str) -> http::Request<()> {
    http::Request::builder()
        .method(method)
        .uri(url)
        .body(())
        .unwrap()
}

fn check(policy: &Policy, url: &str) -> Result<(), Denied> {
    policy.check(&request(http::Method::GET, url), &[])
}

fn allowed(policy: &Policy, url: &str) -> bool {
    check(policy, url).is_ok()
}

#[test]
fn env_keeps_only_aws_home_and_extras() {
    let filtered = filter_env(
        &env(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("PATH", "/usr/bin"),
            ("HOME", "/home/me"),
            ("SECRET_TOKEN", "x"),
            ("aws_region", "lower"),
            ("AWS_", "empty suffix"),
            ("MY_PROXY", "p"),
            ("AWSX", "no underscore"),
        ]),
        &["MY_PROXY".to_string()],
    );
    assert_eq!(
        filtered,
        env(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("HOME", "/home/me"),
            ("MY_PROXY", "p"),
        ])
    );
}

#[test]
fn env_skips_empty_home_and_keeps_last_duplicate() {
    let filtered = filter_env(
        &env(&[("HOME", ""), ("AWS_REGION", "a"), ("AWS_REGION", "b")]),
        &[],
    );
    assert_eq!(filtered, env(&[("AWS_REGION", "b")]));
}

#[test]
fn env_name_allowed_on_policy() {
    let policy = Policy::new(&config(&[], &["EXTRA"], &[]));
    assert!(policy.env_name_allowed("AWS_PROFILE"));
    assert!(policy.env_name_allowed("HOME"));
    assert!(policy.env_name_allowed("EXTRA"));
    assert!(!policy.env_name_allowed("PATH"));
    assert!(!policy.env_name_allowed(""));
}

#[test]
fn outbound_bedrock_any_region_https_443() {
    let policy = Policy::new(&config(&[], &[], &[]));
    assert!(allowed(
        &policy,
        "https://bedrock-runtime.us-west-2.amazonaws.com/model/x/converse-stream"
    ));
    assert!(allowed(
        &policy,
        "https://bedrock.ap-northeast-1.amazonaws.com/foundation-models"
    ));
    assert!(allowed(
        &policy,
        "https://BEDROCK.us-east-1.AMAZONAWS.com./x"
    ));
    assert!(allowed(
        &policy,
        "https://bedrock-runtime.us-east-1.amazonaws.com:443/"
    ));
    assert!(!allowed(
        &policy,
        "http://bedrock-runtime.us-east-1.amazonaws.com/"
    ));
    assert!(!allowed(
        &policy,
        "https://bedrock-runtime.us-east-1.amazonaws.com:8443/"
    ));
    assert!(!allowed(&policy, "https://s3.us-east-1.amazonaws.com/"));
    assert!(!allowed(&policy, "https://example.com/"));
}

#[test]
fn outbound_loopback_denied_without_explicit_entry() {
    let policy = Policy::new(&config(&[("HOME", "/h")], &[], &[]));
    for url in [
        "http://127.0.0.1:8080/",
        "http://127.1.2.3/",
        "http://localhost:4566/",
        "http://api.localhost/",
        "http://[::1]:8080/",
        "http://0.0.0.0:80/",
        "http://[::ffff:127.0.0.1]/",
    ] {
        let err = check(&policy, url).unwrap_err();
        assert!(err.reason.contains("loopback"), "{url}: {err}");
    }
}

#[test]
fn outbound_endpoint_overrides_from_env() {
    let policy = Policy::new(&config(
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4567"),
            (
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
                "https://gateway.internal/bedrock",
            ),
            ("AWS_ENDPOINT_URL_BEDROCK", "http://[::1]:9000/"),
        ],
        &[],
        &[],
    ));
    assert!(allowed(
        &policy,
        "http://127.0.0.1:4567/model/m/converse-stream"
    ));
    assert!(!allowed(&policy, "http://127.0.0.1:4568/"));
    assert!(!allowed(&policy, "http://127.0.0.2:4567/"));
    assert!(allowed(&policy, "https://gateway.internal/x"));
    assert!(allowed(&policy, "https://GATEWAY.internal:443/x"));
    assert!(!allowed(&policy, "https://gateway.internal:8443/x"));
    assert!(allowed(&policy, "http://[::1]:9000/x"));
    let overrides: Vec<_> = policy
        .allowed_hosts()
        .iter()
        .filter(|h| h.origin.starts_with("AWS_ENDPOINT_URL"))
        .collect();
    assert_eq!(overrides.len(), 3);
    assert_eq!(overrides[0].origin, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME");
}

#[test]
fn overrides_only_from_passed_names() {
    // Not AWS_-prefixed: never reaches the guest, never widens the list.
    let policy = Policy::new(&config(&[("ENDPOINT_URL", "http://127.0.0.1:1")], &[], &[]));
    assert!(
        policy
            .allowed_hosts()
            .iter()
            .all(|h| h.origin == IMDS_ORIGIN)
    );
    assert!(!allowed(&policy, "http://127.0.0.1:1/"));
}

#[test]
fn outbound_call_base_url() {
    let policy = Policy::new(&config(&[], &[], &[]));
    let call = [AllowedHost::parse_url("http://localhost:8123", "base-url").unwrap()];
    let uri = request(
        http::Method::POST,
        "http://localhost:8123/model/x/converse-stream",
    );
    assert!(policy.check(&uri, &call).is_ok());
    assert!(policy.check(&uri, &[]).is_err());
    let other = request(http::Method::GET, "http://localhost:8124/");
    assert!(policy.check(&other, &call).is_err());
}

#[test]
fn outbound_extra_hosts() {
    let policy = Policy::new(&config(
        &[],
        &[],
        &[
            "proxy.corp:8080",
            "localhost",
            "[::1]:7000",
            "bad host",
            "x:notaport",
        ],
    ));
    assert!(allowed(&policy, "http://proxy.corp:8080/"));
    assert!(!allowed(&policy, "http://proxy.corp/"));
    assert!(allowed(&policy, "http://localhost:1234/"));
    assert!(allowed(&policy, "https://localhost/"));
    assert!(allowed(&policy, "http://[::1]:7000/"));
    assert!(!allowed(&policy, "http://[::1]:7001/"));
    assert!(!allowed(&policy, "http://127.0.0.1:1234/"));
    assert_eq!(policy.ignored().len(), 2);
}

#[test]
fn parse_host_specs() {
    let h = AllowedHost::parse("Example.COM:443", "t").unwrap();
    assert_eq!((h.host.as_str(), h.port), ("example.com", Some(443)));
    let h = AllowedHost::parse("::1", "t").unwrap();
    assert_eq!((h.host.as_str(), h.port), ("::1", None));
    let h = AllowedHost::parse("[fe80::1]", "t").unwrap();
    assert_eq!((h.host.as_str(), h.port), ("fe80::1", None));
    assert!(AllowedHost::parse("", "t").is_none());
    assert!(AllowedHost::parse("a/b", "t").is_none());
    assert!(AllowedHost::parse("host:99999", "t").is_none());
    let h = AllowedHost::parse_url("https://h.example", "t").unwrap();
    assert_eq!(h.port, Some(443));
    let h = AllowedHost::parse_url("http://h.example/path?q", "t").unwrap();
    assert_eq!(h.port, Some(80));
    assert!(AllowedHost::parse_url("ftp://h.example", "t").is_none());
    assert_eq!(
        AllowedHost::parse_url("http://[::1]:9/", "o")
            .unwrap()
            .to_string(),
        "[::1]:9 (o)"
    );
}

#[test]
fn aws_endpoints_come_from_the_core_resolver() {
    let p = Policy::new(&config(&[], &[], &[]));
    for url in [
        "https://sts.eu-west-1.amazonaws.com/",
        "https://sts-fips.us-east-1.amazonaws.com/",
        "https://portal.sso.us-east-1.amazonaws.com/federation/credentials",
        "https://bedrock-runtime.cn-north-1.amazonaws.com.cn/model/m/converse-stream",
    ] {
        assert!(allowed(&p, url), "{url}");
    }
    let denied = check(&p, "https://bedrock-runtime.us-east1.amazonaws.com/").unwrap_err();
    assert!(denied.reason.contains("not an AWS endpoint"), "{denied}");
    assert_eq!(
        denied.target,
        "https://bedrock-runtime.us-east1.amazonaws.com"
    );
    assert!(!allowed(&p, "http://sts.eu-west-1.amazonaws.com/"));
    assert!(!allowed(&p, "https://s3.us-east-1.amazonaws.com/"));
}

#[test]
fn instance_metadata_only_for_the_chains_requests_when_nothing_comes_first() {
    let put = |p: &Policy, url: &str| p.check(&request(http::Method::PUT, url), &[]);
    let p = Policy::new(&config(&[], &[], &[]));
    assert!(put(&p, "http://169.254.169.254/latest/api/token").is_ok());
    assert!(allowed(
        &p,
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/role"
    ));
    let user_data = check(&p, "http://169.254.169.254/latest/user-data").unwrap_err();
    assert!(
        user_data.reason.contains("only PUT /latest/api/token"),
        "{user_data}"
    );
    assert!(
        put(&p, "http://[fd00:ec2::254]/latest/api/token").is_err(),
        "IPv4 mode: the IPv6 address is not the one in use"
    );
    assert!(
        !allowed(&p, "http://169.254.170.2/v2/credentials/x"),
        "ECS only when selected"
    );
    let v6 = Policy::new(&config(
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")],
        &[],
        &[],
    ));
    assert!(put(&v6, "http://[fd00:ec2::254]/latest/api/token").is_ok());
    assert!(put(&v6, "http://169.254.169.254/latest/api/token").is_err());

    let keys = Policy::new(&config(
        &[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ],
        &[],
        &[],
    ));
    let closed = put(&keys, "http://169.254.169.254/latest/api/token").unwrap_err();
    assert!(
        closed.reason.contains("closed") && closed.reason.contains("AWS_ACCESS_KEY_ID"),
        "{closed}"
    );
    assert!(
        keys.allowed_hosts()
            .iter()
            .all(|h| h.host != "169.254.169.254"),
        "{:?}",
        keys.allowed_hosts()
    );
}

#[test]
fn other_clouds_metadata_headers_are_refused_everywhere() {
    let p = Policy::new(&config(&[], &[], &["127.0.0.1:9"]));
    let mut gcp = request(http::Method::GET, "http://127.0.0.1:9/computeMetadata/v1/");
    gcp.headers_mut()
        .insert("metadata-flavor", http::HeaderValue::from_static("Google"));
    assert!(p.check(&gcp, &[]).unwrap_err().reason.contains("GCP"));
    let mut oci = request(http::Method::GET, "http://169.254.169.254/opc/v2/instance/");
    oci.headers_mut().insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_static("Bearer Oracle"),
    );
    assert!(p.check(&oci, &[]).unwrap_err().reason.contains("OCI"));
}

#[test]
fn link_local_and_overrides_as_the_environment_selects_them() {
    let p = Policy::new(&config(
        &[
            ("AWS_EC2_METADATA_DISABLED", "TRUE"),
            (
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "/v2/credentials/x",
            ),
        ],
        &[],
        &[],
    ));
    assert!(!allowed(
        &p,
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    ));
    assert!(allowed(&p, "http://169.254.170.2/v2/credentials/x"));

    let p = Policy::new(&config(
        &[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9100"),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://127.0.0.1:9101/creds",
            ),
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9102"),
        ],
        &[],
        &[],
    ));
    assert!(
        !allowed(
            &p,
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
        ),
        "overridden IMDS replaces the default"
    );
    for port in [9100, 9101, 9102] {
        assert!(allowed(&p, &format!("http://127.0.0.1:{port}/")), "{port}");
    }
}

#[test]
fn readable_files_and_refused_directories() {
    let root = std::env::temp_dir().join(format!("bedrock-host-readable-{}", std::process::id()));
    let home = root.join("home");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    let home_s = home.to_str().unwrap();
    let p = Policy::new(&HostConfig {
        extra_dirs: vec![home.clone(), "/".into(), root.join("tokens")],
        ..config(
            &[("HOME", home_s), ("AWS_WEB_IDENTITY_TOKEN_FILE", "/token")],
            &[],
            &[],
        )
    });
    assert_eq!(
        p.readable().files,
        vec![
            home.join(".aws/config"),
            home.join(".aws/credentials"),
            "/token".into()
        ]
    );
    assert_eq!(
        p.readable().dirs,
        vec![home.join(".aws/sso/cache"), root.join("tokens")]
    );
    assert_eq!(p.ignored().len(), 2, "{:?}", p.ignored());
    let error = Policy::check_extra_dirs(&HostConfig {
        extra_dirs: vec!["/".into()],
        ..config(&[("HOME", home_s)], &[], &[])
    })
    .unwrap_err();
    assert!(error.to_string().contains("root directory"), "{error}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn debug_shows_variable_names_never_values() {
    let p = Policy::new(&config(
        &[("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI")],
        &[],
        &[],
    ));
    let shown = format!("{p:?}");
    assert!(shown.contains("AWS_SECRET_ACCESS_KEY"), "{shown}");
    assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
}
