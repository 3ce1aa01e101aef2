//! Event-stream frames written by aws-sdk-go and smithy-rs through the
//! plugin's frame decoder.

use crate::vectors;

use aws_smithy_types::DateTime;
use aws_smithy_types::event_stream::{HeaderValue, Message};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bedrock_core::eventstream::{FrameDecoder, FrameError};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct Decoded {
    total_length: usize,
    headers: Vec<DecodedHeader>,
    payload: String,
}

#[derive(Deserialize)]
struct DecodedHeader {
    name: String,
    #[serde(rename = "type")]
    kind: u8,
    value: serde_json::Value,
}

/// Decodes `bytes` fed in `chunk`-sized pieces; all frames, or the first error.
fn decode(bytes: &[u8], chunk: usize) -> Result<Vec<Message>, FrameError> {
    let mut decoder = FrameDecoder::new();
    let mut frames = Vec::new();
    for piece in bytes.chunks(chunk) {
        decoder.push(piece);
        while let Some(frame) = decoder.next_frame()? {
            frames.push(frame.to_message());
        }
    }
    decoder.finish()?;
    Ok(frames)
}

/// The vector's JSON header value, in aws-smithy-types' terms (wire types 0-9).
fn expected_value(h: &DecodedHeader) -> HeaderValue {
    let b64 = || BASE64.decode(h.value.as_str().unwrap()).unwrap();
    let int = || h.value.as_i64().unwrap();
    match h.kind {
        0 | 1 => HeaderValue::Bool(h.value.as_bool().unwrap()),
        2 => HeaderValue::Byte(int() as i8),
        3 => HeaderValue::Int16(int() as i16),
        4 => HeaderValue::Int32(int() as i32),
        5 => HeaderValue::Int64(int()),
        6 => HeaderValue::ByteArray(b64().into()),
        7 => HeaderValue::String(String::from_utf8(b64()).unwrap().into()),
        8 => HeaderValue::Timestamp(DateTime::from_millis(int())),
        9 => HeaderValue::Uuid(u128::from_be_bytes(b64().try_into().unwrap())),
        other => panic!("unknown header type {other}"),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn aws_sdk_go_positive_frames_decode_to_the_documented_message() {
    let Some(root) = vectors::dir("eventstream/aws-sdk-go") else {
        return;
    };
    let cases = files(&root.join("encoded/positive"));
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case.file_name().unwrap();
        let bytes = std::fs::read(&case).unwrap();
        let expected: Decoded = serde_json::from_slice(
            &std::fs::read(root.join("decoded/positive").join(name)).unwrap(),
        )
        .unwrap();
        assert_eq!(bytes.len(), expected.total_length, "{name:?}");
        for chunk in 1..=bytes.len() {
            let frames =
                decode(&bytes, chunk).unwrap_or_else(|e| panic!("{name:?} chunk {chunk}: {e}"));
            assert_eq!(frames.len(), 1);
            let frame = &frames[0];
            assert_eq!(
                frame.payload().as_ref(),
                BASE64.decode(&expected.payload).unwrap(),
                "{name:?}"
            );
            let got: Vec<_> = frame
                .headers()
                .iter()
                .map(|h| (h.name().as_str().to_string(), h.value().clone()))
                .collect();
            let want: Vec<_> = expected
                .headers
                .iter()
                .map(|h| (h.name.clone(), expected_value(h)))
                .collect();
            assert_eq!(got, want, "{name:?}");
        }
    }
}

#[test]
fn aws_sdk_go_negative_frames_are_rejected_for_the_documented_reason() {
    let Some(root) = vectors::dir("eventstream/aws-sdk-go") else {
        return;
    };
    let cases = files(&root.join("encoded/negative"));
    assert!(cases.len() >= 4);
    for case in cases {
        let name = case.file_name().unwrap();
        let bytes = std::fs::read(&case).unwrap();
        let reason = std::fs::read_to_string(root.join("decoded/negative").join(name)).unwrap();
        let error = decode(&bytes, bytes.len()).expect_err(&format!("{name:?} must be rejected"));
        match (reason.trim(), &error) {
            ("Prelude checksum mismatch", FrameError::PreludeChecksum { .. }) => {}
            ("Message checksum mismatch", FrameError::MessageChecksum { .. }) => {}
            _ => panic!("{name:?}: expected `{}`, got `{error}`", reason.trim()),
        }
    }
}

#[test]
fn smithy_rs_frames() {
    let Some(root) = vectors::dir("eventstream/smithy-rs") else {
        return;
    };
    let (mut valid, mut invalid) = (0, 0);
    for case in files(&root) {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        if name == "LICENSE" {
            continue;
        }
        let bytes = std::fs::read(&case).unwrap();
        let whole = decode(&bytes, bytes.len());
        if name.starts_with("valid_") {
            valid += 1;
            let frames = whole.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(frames.len(), 1, "{name}");
            for chunk in 1..bytes.len() {
                assert_eq!(
                    decode(&bytes, chunk).unwrap(),
                    frames,
                    "{name} chunk {chunk}"
                );
            }
        } else {
            invalid += 1;
            assert!(whole.is_err(), "{name} must be rejected");
            for chunk in 1..bytes.len() {
                assert!(
                    decode(&bytes, chunk).is_err(),
                    "{name} chunk {chunk} must be rejected"
                );
            }
        }
    }
    assert_eq!((valid, invalid), (3, 8));
}
