//! The environment the host passed to the plugin.

use std::collections::HashMap;

/// A snapshot of the environment variables the host granted.
///
/// The AWS SDKs treat a variable set to an empty or all-blank value as unset
/// (`AWS_PROFILE=` does not select a profile named ""), so [`Environment::get`]
/// does too: every rule of the chain can then ask "is it set?" one way.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
}

impl Environment {
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        Environment {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value of `name`, trimmed, or `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Whether `name` holds a true-ish flag (`true`, case-insensitive), as the
    /// SDKs read `AWS_EC2_METADATA_DISABLED` and friends.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_count_as_unset() {
        let env = Environment::from_vars([("A", ""), ("B", "  \t"), ("C", " x ")]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get("B"), None);
        assert_eq!(env.get("C"), Some("x"));
        assert_eq!(env.get("D"), None);
    }

    #[test]
    fn flags_are_case_insensitive() {
        let env = Environment::from_vars([("A", "TRUE"), ("B", "1"), ("C", "false")]);
        assert!(env.flag("A"));
        assert!(!env.flag("B"));
        assert!(!env.flag("C"));
    }
}
