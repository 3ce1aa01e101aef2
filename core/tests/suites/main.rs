//! The core's suites against AWS's own test vectors and recorded traffic,
//! as one test binary: each former test file is a module here, and they
//! share [`vectors`], which finds `../shared/vectors`.

mod converse_request_bodies;
mod converse_vectors;
mod credential_chain_vectors;
mod eventstream_vectors;
mod profile_chain_files;
mod profile_location_vectors;
mod profile_parser_vectors;
mod sigv4_suite;
mod vectors;
