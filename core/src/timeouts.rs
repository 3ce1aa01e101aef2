//! How long a request may take, per phase.

use crate::types::ProviderConfig;
use std::time::Duration;

/// Per-phase limits handed to `wasi:http`'s request options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// Until the response head arrives: a long prompt takes a while to read.
    pub first_byte: Duration,
    /// Between two body chunks: a stalled stream must end, not hang.
    pub between_bytes: Duration,
}

impl Timeouts {
    pub const DEFAULT: Timeouts = Timeouts {
        connect: Duration::from_secs(10),
        first_byte: Duration::from_secs(120),
        between_bytes: Duration::from_secs(60),
    };

    /// The call's settings, defaults for what it leaves unset.
    pub fn from_config(config: &ProviderConfig) -> Timeouts {
        let ms = |v: Option<u32>, default: Duration| {
            v.map(|ms| Duration::from_millis(ms.into()))
                .unwrap_or(default)
        };
        Timeouts {
            connect: ms(config.connect_timeout_ms, Self::DEFAULT.connect),
            first_byte: ms(config.first_byte_timeout_ms, Self::DEFAULT.first_byte),
            between_bytes: ms(config.between_bytes_timeout_ms, Self::DEFAULT.between_bytes),
        }
    }
}
