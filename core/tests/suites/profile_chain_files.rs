//! The shared files of smithy-rs's credential-provider suites (`fs/` of each
//! case under `aws-config/aws-config/test-data`), found through
//! [`location::locate`] from the case's `env.json` and read by
//! [`ProfileSet::parse`]: every file parses unless the case expects a parse
//! failure, and the selected profile's settings are what the chain will read.

use crate::vectors;

use bedrock_core::env::Environment;
use bedrock_core::profile::location::{Locations, Os, locate};
use bedrock_core::profile::{FileKind, ProfileSet, keys};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SUITES: &[&str] = &[
    "default-credential-provider-chain",
    "profile-provider",
    "default-token-provider-chain",
];

struct Case {
    dir: PathBuf,
    found: Locations,
    set: Result<ProfileSet, bedrock_core::profile::ProfileError>,
}

/// Reads `path` (as the guest would see it) inside the case's fake file tree.
fn read(dir: &Path, path: &str) -> Option<String> {
    std::fs::read_to_string(dir.join("fs").join(path.trim_start_matches('/'))).ok()
}

fn load(dir: &Path) -> Case {
    let env: BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("env.json")).unwrap()).unwrap();
    let found = locate(&Environment::from_vars(env), None, Os::Unix);
    let config = read(dir, &found.config.path);
    let credentials = read(dir, &found.credentials.path);
    let set = ProfileSet::parse(config.as_deref(), credentials.as_deref())
        .map(|set| set.select(found.profile.clone()));
    Case {
        dir: dir.to_path_buf(),
        found,
        set,
    }
}

fn cases() -> Vec<Case> {
    let Some(root) = vectors::dir("aws-config/aws-config/test-data") else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = SUITES
        .iter()
        .flat_map(|suite| std::fs::read_dir(root.join(suite)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("env.json").is_file())
        .collect();
    dirs.sort();
    dirs.iter().map(|dir| load(dir)).collect()
}

fn case<'a>(cases: &'a [Case], name: &str) -> &'a ProfileSet {
    let case = cases
        .iter()
        .find(|c| c.dir.ends_with(name))
        .unwrap_or_else(|| panic!("no case {name}"));
    case.set.as_ref().unwrap()
}

#[test]
fn every_case_file_parses_unless_the_case_expects_a_parse_error() {
    let cases = cases();
    if cases.is_empty() {
        return;
    }
    assert_eq!(
        cases.len(),
        29 + 18 + 3,
        "the suites changed size: review the new cases"
    );
    let mut failures = Vec::new();
    for case in &cases {
        let expected = std::fs::read_to_string(case.dir.join("test-case.json")).unwrap();
        let expected: Value = serde_json::from_str(&expected).unwrap();
        let expects_parse_error = expected["result"]["ErrorContains"]
            .as_str()
            .is_some_and(|e| e.contains("could not parse profile file"));
        match (&case.set, expects_parse_error) {
            (Ok(_), false) | (Err(_), true) => {}
            (Ok(_), true) => failures.push(format!(
                "{}: parsed, expected a parse error",
                case.dir.display()
            )),
            (Err(e), false) => failures.push(format!("{}: {e}", case.dir.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_chain_can_read_what_it_needs() {
    let cases = cases();
    if cases.is_empty() {
        return;
    }

    // The broken line is reported with its file and line.
    let broken = cases
        .iter()
        .find(|c| c.dir.ends_with("invalid_config"))
        .unwrap();
    let err = broken.set.as_ref().unwrap_err();
    assert_eq!((err.file, err.line), (FileKind::Config, 2), "{err}");
    assert!(
        err.to_string().contains("Property did not have a name"),
        "{err}"
    );

    // AWS_PROFILE selects a profile whose name uses every allowed punctuation.
    let set = case(&cases, "default-credential-provider-chain/profile_name");
    assert_eq!(set.selected_name(), "some-thing:long/the_one%only.foo@bar+");
    assert_eq!(
        set.selected().unwrap().get(keys::AWS_ACCESS_KEY_ID),
        Some("correct_key")
    );

    // Upper-case names in the credentials file; the keys come from that file.
    let set = case(
        &cases,
        "default-credential-provider-chain/profile_static_keys_case_insensitive",
    );
    let default = set.selected().unwrap();
    assert_eq!(
        default.get(keys::AWS_SECRET_ACCESS_KEY),
        Some("correct_secret")
    );
    assert_eq!(
        default.property(keys::AWS_ACCESS_KEY_ID).unwrap().file(),
        FileKind::Credentials
    );
    assert_eq!(
        default.property(keys::REGION).unwrap().file(),
        FileKind::Config
    );

    // A role profile whose STS endpoint comes from a [services] section.
    let set = case(
        &cases,
        "profile-provider/assume_role_override_service_profile_url",
    );
    let default = set.selected().unwrap();
    assert_eq!(default.get(keys::SOURCE_PROFILE), Some("base"));
    assert_eq!(
        set.service_property(default, "STS", keys::ENDPOINT_URL),
        Some("http://aws.service-profile-override")
    );
    assert_eq!(
        set.get("base").unwrap().get(keys::AWS_ACCESS_KEY_ID),
        Some("AKIAFAKE")
    );

    // sso_session names an [sso-session] section, keys in any case.
    let set = case(
        &cases,
        "default-token-provider-chain/profile_keys_case_insensitive",
    );
    let session = set
        .sso_session(set.selected().unwrap().get(keys::SSO_SESSION).unwrap())
        .unwrap();
    assert_eq!(
        session.get(keys::SSO_START_URL),
        Some("https://ssotest.awsapps.com/start")
    );
    assert_eq!(session.get(keys::SSO_REGION), Some("us-east-2"));

    // The files are where the SDK looks for them under HOME=/home.
    let any = cases
        .iter()
        .find(|c| c.dir.ends_with("profile_static_keys"))
        .unwrap();
    assert_eq!(any.found.config.path, "/home/.aws/config");
    assert_eq!(any.found.credentials.path, "/home/.aws/credentials");
}
