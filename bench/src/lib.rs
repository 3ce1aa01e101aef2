//! The peers and measurements behind `bedrock-bench` (src/main.rs) and the
//! criterion micro-benchmarks (benches/micro.rs).

pub mod decode;
pub mod drive;
pub mod measure;
pub mod native;
pub mod sdk;
pub mod soak;
pub mod wasm;

pub const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
pub const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const MODEL: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";
