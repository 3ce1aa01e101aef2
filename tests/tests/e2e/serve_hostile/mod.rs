//! `serve` against hostile callers: web pages, slow and stuck clients,
//! oversized bodies, too many sockets, and clients that must not read the
//! host's secrets. Each attack fails its own request (or connection) and the
//! next honest client is then served by the same server, with the real
//! component against the emulator.

mod browser;
mod chromium;
mod leaks;
mod slow_clients;
mod wire;
