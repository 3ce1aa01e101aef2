//! smithy-rs's shared file-location suite (`file-location-tests.json`): which
//! config and credentials files are read and which profile is selected, for
//! Linux and Windows environments alike (paths are computed, not opened).

use crate::vectors;

use bedrock_core::env::Environment;
use bedrock_core::profile::location::{Os, locate};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The number of cases in the copy of the suite under `../shared/vectors`.
const CASES: usize = 9;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Case {
    name: String,
    environment: BTreeMap<String, String>,
    platform: String,
    profile: Option<String>,
    config_location: String,
    credentials_location: String,
}

#[derive(Deserialize)]
struct Suite {
    tests: Vec<Case>,
}

#[test]
fn every_file_location_case_passes() {
    let Some(dir) = vectors::dir("aws-config/aws-runtime/test-data") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("file-location-tests.json")).unwrap();
    let suite: Suite = serde_json::from_str(&text).unwrap();
    assert_eq!(
        suite.tests.len(),
        CASES,
        "the suite changed size: review the new cases"
    );
    let mut failures = Vec::new();
    for case in &suite.tests {
        let os = match case.platform.as_str() {
            "windows" => Os::Windows,
            "linux" | "macos" => Os::Unix,
            other => panic!("{}: unknown platform {other}", case.name),
        };
        let found = locate(&Environment::from_vars(case.environment.clone()), None, os);
        let actual = (found.config.path.as_str(), found.credentials.path.as_str());
        let expected = (
            case.config_location.as_str(),
            case.credentials_location.as_str(),
        );
        if actual != expected {
            failures.push(format!(
                "{} ({}): expected {expected:?}, got {actual:?}",
                case.name, case.platform
            ));
        }
        if let Some(profile) = &case.profile
            && &found.profile != profile
        {
            failures.push(format!(
                "{}: expected profile {profile}, got {}",
                case.name, found.profile
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {CASES} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
