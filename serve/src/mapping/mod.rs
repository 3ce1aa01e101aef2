//! Between OpenAI's Chat Completions shapes and the contract's types, both
//! ways: [`request`] maps a chat request to a `converse-request`, [`events`]
//! maps the stream events back to OpenAI deltas or a whole message,
//! [`reasoning`] carries signed thinking both ways, and [`models`] maps
//! discovery's models to `/v1/models` entries.

mod events;
mod models;
mod reasoning;
mod request;

pub use events::{Collector, Piece, Turn};
pub use models::model;
pub use request::{InvalidRequest, converse_request};
