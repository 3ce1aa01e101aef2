//! Between OpenAI's Chat Completions shapes and the contract's types, both
//! ways: [`request`] maps a chat request to a `converse-request`, [`events`]
//! maps the stream events back to OpenAI deltas or a whole message.

mod events;
mod request;

pub use events::{Collector, Piece, Turn};
pub use request::{InvalidRequest, converse_request};
