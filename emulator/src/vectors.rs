//! Recorded ConverseStream streams, replayed by the `replay=NAME` directive.
//!
//! A vector file `NAME.chunks.txt` holds one event per line, `{"eventName": payload}`, as
//! recorded from real Bedrock traffic by others. Each line becomes one event frame whose
//! payload is the recorded JSON byte for byte, so clients meet real-world shapes (reasoning
//! signatures, tool use, events in unusual orders) that the scripted reply never produces.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;

use crate::errors::{ApiError, ErrorCode};
use crate::eventstream::Frame;

const SUFFIX: &str = ".chunks.txt";

#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    #[error("replay={0}: the emulator has no vectors directory configured")]
    NoDirectory(String),
    #[error("replay={0}: a vector name is made of letters, digits, '.', '-' and '_'")]
    BadName(String),
    #[error("replay={name}: unknown vector, {} does not exist", path.display())]
    Unknown { name: String, path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: expected one {{\"eventName\": payload}} object per line", path.display())]
    Malformed { path: PathBuf, line: usize },
}

impl From<VectorError> for ApiError {
    fn from(error: VectorError) -> Self {
        let code = match error {
            VectorError::NoDirectory(_) | VectorError::BadName(_) | VectorError::Unknown { .. } => {
                ErrorCode::Validation
            }
            VectorError::Io { .. } | VectorError::Malformed { .. } => ErrorCode::InternalServer,
        };
        ApiError::new(code, error.to_string())
    }
}

/// The frames of vector `name` in `dir`.
pub fn load(dir: Option<&Path>, name: &str) -> Result<Vec<Frame>, VectorError> {
    let dir = dir.ok_or_else(|| VectorError::NoDirectory(name.into()))?;
    let name_ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !name_ok {
        return Err(VectorError::BadName(name.into()));
    }
    let path = dir.join(format!("{name}{SUFFIX}"));
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VectorError::Unknown {
                name: name.into(),
                path,
            });
        }
        Err(source) => return Err(VectorError::Io { path, source }),
    };
    parse(&text).map_err(|line| VectorError::Malformed { path, line })
}

/// One frame per non-blank line; the error is the 1-based number of the first bad line.
fn parse(text: &str) -> Result<Vec<Frame>, usize> {
    let lines = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty());
    lines
        .map(|(i, line)| {
            let event: HashMap<String, Box<RawValue>> =
                serde_json::from_str(line).map_err(|_| i + 1)?;
            let mut entries = event.into_iter();
            match (entries.next(), entries.next()) {
                (Some((name, payload)), None) => Ok(Frame::event(name, payload.get().to_owned())),
                _ => Err(i + 1),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::shared_vectors;

    #[test]
    fn parses_lines_verbatim() {
        let text = "{\"messageStart\":{\"role\":\"assistant\"}}\n\n{\"messageStop\":{\"stopReason\":\"end_turn\",\"b\":1,\"a\":2}}";
        let frames = parse(text).unwrap();
        assert_eq!(
            frames,
            [
                Frame::event("messageStart", r#"{"role":"assistant"}"#),
                Frame::event("messageStop", r#"{"stopReason":"end_turn","b":1,"a":2}"#),
            ]
        );
        assert_eq!(parse("{\"a\":1}\nnot json"), Err(2));
        assert_eq!(parse("{\"a\":1,\"b\":2}"), Err(1));
        assert_eq!(parse("{}"), Err(1));
    }

    #[test]
    fn refuses_unknown_and_unsafe_names() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert!(matches!(load(None, "x"), Err(VectorError::NoDirectory(_))));
        assert!(matches!(
            load(Some(dir), "../Cargo"),
            Err(VectorError::BadName(_))
        ));
        assert!(matches!(load(Some(dir), ""), Err(VectorError::BadName(_))));
        let err = load(Some(dir), "no-such-vector").unwrap_err();
        assert!(
            err.to_string().contains("no-such-vector.chunks.txt"),
            "{err}"
        );
        assert_eq!(ApiError::from(err).code, ErrorCode::Validation);
    }

    /// Every recorded stream in the shared vectors loads, one frame per line.
    #[test]
    fn loads_every_shared_vector() {
        let Some(dir) = shared_vectors("converse-stream") else {
            return;
        };
        let mut loaded = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let file = entry.unwrap().file_name().into_string().unwrap();
            let Some(name) = file.strip_suffix(SUFFIX) else {
                continue;
            };
            let frames = load(Some(&dir), name).unwrap();
            let text = std::fs::read_to_string(dir.join(&file)).unwrap();
            assert_eq!(
                frames.len(),
                text.lines().filter(|l| !l.trim().is_empty()).count()
            );
            loaded += 1;
        }
        assert!(loaded >= 10, "only {loaded} vectors in {}", dir.display());
    }
}
