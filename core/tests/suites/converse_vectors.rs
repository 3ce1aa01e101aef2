//! Recorded Bedrock ConverseStream events (vercel/ai's fixtures), framed as
//! Bedrock frames them, through the plugin's stream decoder: the same events
//! whatever the chunking, and the same text, tool input, reasoning and stop
//! reason as the recording.

use crate::vectors;

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bedrock_core::converse::ConverseStreamDecoder;
use bedrock_core::types::StreamEvent;
use serde_json::Value;

fn frame(event: &str, payload: &Value) -> Vec<u8> {
    let message = Message::new(payload.to_string().into_bytes())
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("event".to_string().into()),
        ))
        .add_header(Header::new(
            ":event-type",
            HeaderValue::String(event.to_string().into()),
        ))
        .add_header(Header::new(
            ":content-type",
            HeaderValue::String("application/json".to_string().into()),
        ));
    let mut out = Vec::new();
    write_message_to(&message, &mut out).unwrap();
    out
}

fn decode(bytes: &[u8], chunk: usize) -> Vec<StreamEvent> {
    let mut decoder = ConverseStreamDecoder::new();
    let mut events = Vec::new();
    for piece in bytes.chunks(chunk) {
        decoder
            .feed(piece, &mut events)
            .unwrap_or_else(|e| panic!("chunk {chunk}: {e:?}"));
    }
    decoder.finish().unwrap();
    events
}

/// What the recording says, read straight from its JSON.
#[derive(Default, Debug, PartialEq)]
struct Summary {
    text: String,
    tool_input: String,
    reasoning: String,
    stop_reason: String,
}

fn summarise_recording(lines: &[(String, Value)]) -> Summary {
    let mut s = Summary::default();
    for (event, payload) in lines {
        let delta = &payload["delta"];
        match event.as_str() {
            "contentBlockDelta" => {
                s.text += delta["text"].as_str().unwrap_or_default();
                s.tool_input += delta["toolUse"]["input"].as_str().unwrap_or_default();
                s.reasoning += delta["reasoningContent"]["text"]
                    .as_str()
                    .unwrap_or_default();
            }
            "messageStop" => s.stop_reason = payload["stopReason"].as_str().unwrap().to_string(),
            _ => {}
        }
    }
    s
}

fn summarise_events(events: &[StreamEvent]) -> Summary {
    let mut s = Summary::default();
    for event in events {
        match event {
            StreamEvent::TextDelta(d) => s.text += &d.text,
            StreamEvent::ToolInputDelta(d) => s.tool_input += &d.text,
            StreamEvent::ReasoningDelta(d) => s.reasoning += &d.text,
            StreamEvent::MessageStop(stop) => s.stop_reason = stop.raw_reason.clone(),
            _ => {}
        }
    }
    s
}

#[test]
fn recorded_streams_decode_the_same_at_every_chunk_boundary() {
    let Some(dir) = vectors::dir("converse-stream") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".chunks.txt"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 12);
    for file in files {
        let lines: Vec<(String, Value)> = std::fs::read_to_string(&file)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let Value::Object(map) = serde_json::from_str::<Value>(l).unwrap() else {
                    panic!()
                };
                map.into_iter().next().unwrap()
            })
            .collect();
        let bytes: Vec<u8> = lines
            .iter()
            .flat_map(|(event, payload)| frame(event, payload))
            .collect();
        let whole = decode(&bytes, bytes.len());
        assert_eq!(
            summarise_events(&whole),
            summarise_recording(&lines),
            "{}",
            file.display()
        );
        let tool_starts = lines
            .iter()
            .filter(|(e, p)| e == "contentBlockStart" && p["start"]["toolUse"].is_object())
            .count();
        let seen = whole
            .iter()
            .filter(|e| matches!(e, StreamEvent::ToolUseStart(_)))
            .count();
        assert_eq!(seen, tool_starts, "{}", file.display());
        for chunk in 1..bytes.len() {
            assert_eq!(
                decode(&bytes, chunk),
                whole,
                "{} chunk {chunk}",
                file.display()
            );
        }
    }
}
