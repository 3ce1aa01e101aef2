//! The AWS endpoints the plugin may reach without an override: exactly the
//! hostnames the core's own resolvers build, so the allow-list and the
//! requests the plugin makes cannot disagree.
//!
//! A host is allowed when some region named in it, put through
//! `bedrock_core::endpoint::resolve` (Bedrock runtime and control plane) or
//! `bedrock_core::credentials::endpoints::resolve` (STS and the IAM Identity
//! Center portal, with every FIPS / dual-stack variant), gives back that very
//! host. Partitions (`amazonaws.com.cn` for `cn-*`, GovCloud's FIPS rules)
//! come with the resolvers. The region must also have AWS's region syntax
//! ([`region::is_valid`], the validator the plugin itself uses): a bare hostname label would let
//! `bedrock.s3.amazonaws.com`, an S3 bucket anyone can own, through.

use bedrock_core::credentials::endpoints::{self as credential_endpoints, CredentialService};
use bedrock_core::endpoint::{self, Service};
use bedrock_core::env::Environment;
use bedrock_core::region;

/// Whether `host` (lower case, as `normalize_host` returns it) is an AWS
/// endpoint the plugin's core would build for some valid region.
pub fn is_aws_endpoint(host: &str) -> bool {
    host.split('.')
        .filter(|label| region::is_valid(label))
        .any(|region| built_for(region).iter().any(|built| built == host))
}

/// Every hostname the core builds for `region`: Bedrock's two services, STS
/// and the SSO portal in their four FIPS / dual-stack variants.
fn built_for(region: &str) -> Vec<String> {
    let none = Environment::default();
    let mut hosts: Vec<String> = [Service::BedrockRuntime, Service::Bedrock]
        .into_iter()
        .filter_map(|service| endpoint::resolve(service, region, None, &none).ok())
        .map(|e| e.authority)
        .collect();
    for fips in ["false", "true"] {
        for dual_stack in ["false", "true"] {
            let variant = Environment::from_vars([
                ("AWS_USE_FIPS_ENDPOINT", fips),
                ("AWS_USE_DUALSTACK_ENDPOINT", dual_stack),
            ]);
            hosts.extend(
                [CredentialService::Sts, CredentialService::Sso]
                    .into_iter()
                    .filter_map(|service| {
                        credential_endpoints::resolve(service, region, &variant, None).ok()
                    })
                    .map(|e| e.authority),
            );
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bedrock_endpoints_of_every_partition() {
        for host in [
            "bedrock.us-east-1.amazonaws.com",
            "bedrock-runtime.eu-west-3.amazonaws.com",
            "bedrock-runtime.us-gov-west-1.amazonaws.com",
            "bedrock-runtime.cn-north-1.amazonaws.com.cn",
            "bedrock.cn-northwest-1.amazonaws.com.cn",
        ] {
            assert!(is_aws_endpoint(host), "{host}");
        }
        for host in [
            "bedrock-agent.us-east-1.amazonaws.com",
            "s3.us-east-1.amazonaws.com",
            "bedrock.us-east-1.amazonaws.com.evil.com",
            "evil.bedrock.us-east-1.amazonaws.com",
            "bedrock.not-a-region.amazonaws.com",
            "bedrock.amazonaws.com",
            "bedrock.s3.amazonaws.com",
            "bedrock-runtime.us-east-1.amazonaws.com.cn",
            "bedrock-runtime.cn-north-1.amazonaws.com",
        ] {
            assert!(!is_aws_endpoint(host), "{host}");
        }
    }

    #[test]
    fn identity_endpoints_with_fips_and_dual_stack() {
        for host in [
            "sts.eu-west-1.amazonaws.com",
            "sts-fips.us-east-1.amazonaws.com",
            "sts-fips.us-east-1.api.aws",
            "sts.us-east-1.api.aws",
            "sts.us-gov-west-1.amazonaws.com",
            "sts.cn-north-1.amazonaws.com.cn",
            "sts.cn-north-1.api.amazonwebservices.com.cn",
            "portal.sso.us-east-1.amazonaws.com",
            "portal.sso-fips.us-east-2.amazonaws.com",
            "portal.sso-fips.us-east-2.api.aws",
        ] {
            assert!(is_aws_endpoint(host), "{host}");
        }
        for host in [
            "sts.amazonaws.com",
            "sts.example.com",
            "sts-fips.evil.api.aws",
            "portal.sso.amazonaws.com",
            "oidc.us-east-1.amazonaws.com",
        ] {
            assert!(!is_aws_endpoint(host), "{host}");
        }
    }

    #[test]
    fn the_allow_list_is_what_the_core_builds() {
        // Whatever region the core is asked for, the endpoint it builds passes.
        for region in ["us-east-1", "cn-north-1", "us-gov-east-1", "ap-south-2"] {
            for built in built_for(region) {
                assert!(is_aws_endpoint(&built), "{built}");
            }
        }
    }
}
