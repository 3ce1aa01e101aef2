//! smithy-rs's shared profile-parser suite (`profile-parser-tests.json`):
//! every case's config and credentials text through [`ProfileSet::parse`],
//! compared with the expected profiles and SSO sessions, or the expected
//! error text.

use crate::vectors;

use bedrock_core::profile::ProfileSet;
use serde_json::Value;
use std::collections::BTreeMap;

type Sections = BTreeMap<String, BTreeMap<String, String>>;

/// The number of cases in the copy of the suite under `../shared/vectors`.
const CASES: usize = 65;

fn expected_sections(value: Option<&Value>) -> Sections {
    let Some(value) = value else {
        return Sections::new();
    };
    serde_json::from_value(value.clone()).expect("a map of maps of strings")
}

fn actual_profiles(set: &ProfileSet) -> Sections {
    set.profile_names()
        .map(|name| {
            let profile = set.get(name).unwrap();
            (
                name.to_string(),
                profile
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        })
        .collect()
}

fn actual_sso_sessions(set: &ProfileSet) -> Sections {
    set.sso_session_names()
        .map(|name| {
            let session = set.sso_session(name).unwrap();
            (
                name.to_string(),
                session
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        })
        .collect()
}

/// `None` when the case passes, else what went wrong.
fn check(case: &Value) -> Option<String> {
    let input = &case["input"];
    let config = input
        .get("configFile")
        .map(|v| v.as_str().expect("configFile is text"));
    let credentials = input
        .get("credentialsFile")
        .map(|v| v.as_str().expect("credentialsFile is text"));
    let output = &case["output"];
    let parsed = ProfileSet::parse(config, credentials);
    match (parsed, output.get("errorContaining")) {
        (Err(e), Some(expected)) => {
            let expected = expected.as_str().unwrap();
            (!e.to_string().contains(expected))
                .then(|| format!("error `{e}` does not contain `{expected}`"))
        }
        (Err(e), None) => Some(format!("unexpected error: {e}")),
        (Ok(set), Some(expected)) => Some(format!(
            "expected an error containing `{expected}`, parsed {:?}",
            actual_profiles(&set)
        )),
        (Ok(set), None) => {
            let expected = &output["config"];
            let want_profiles = expected_sections(expected.get("profiles"));
            let want_sessions = expected_sections(expected.get("sso_sessions"));
            let (profiles, sessions) = (actual_profiles(&set), actual_sso_sessions(&set));
            if profiles != want_profiles {
                Some(format!(
                    "profiles:\n  expected {want_profiles:?}\n  actual   {profiles:?}"
                ))
            } else if sessions != want_sessions {
                Some(format!(
                    "sso sessions:\n  expected {want_sessions:?}\n  actual   {sessions:?}"
                ))
            } else {
                None
            }
        }
    }
}

#[test]
fn every_profile_parser_case_passes() {
    let Some(dir) = vectors::dir("aws-config/aws-runtime/test-data") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("profile-parser-tests.json")).unwrap();
    let suite: Value = serde_json::from_str(&text).unwrap();
    let cases = suite["tests"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        CASES,
        "the suite changed size: review the new cases"
    );
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, case)| check(case).map(|why| format!("#{i} {}: {why}", case["name"])))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {CASES} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
