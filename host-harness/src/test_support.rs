//! The host's own tests run against a stand-in `plugin` component (every
//! export traps): loading, linking and limits need no guest build.

use crate::{Host, HostConfig};

pub(crate) fn stand_in_host(name: &str, with_keyvalue: bool) -> Host {
    let component = bedrock_test_fixtures::stand_in_component(name, with_keyvalue);
    let config = HostConfig {
        env: Vec::new(),
        code_cache: None,
        ..HostConfig::new(component.path())
    };
    Host::new(config).unwrap_or_else(|e| panic!("{e:#}"))
}
