//! Stand-in components for the host's own tests: the `plugin` world built
//! from `wit/` with every export trapping, so that loading, linking, limits
//! and the endpoints can be tested without building the guest.

use crate::{Host, HostConfig};
use std::path::PathBuf;

/// A component of the `plugin` world whose every export traps, built
/// from `wit/` (optionally without the `wasi:keyvalue` import, like the
/// guests built before it was added). Written under `name` in a
/// per-process directory.
fn stand_in(name: &str, with_keyvalue: bool) -> PathBuf {
    use wit_component::{ComponentEncoder, StringEncoding, dummy_module, embed_component_metadata};
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve
        .push_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../wit"))
        .unwrap();
    let world = resolve.select_world(&[package], Some("plugin")).unwrap();
    if !with_keyvalue {
        let keyvalue: Vec<_> = resolve.worlds[world]
            .imports
            .keys()
            .filter(|key| resolve.name_world_key(key).starts_with("wasi:keyvalue/"))
            .cloned()
            .collect();
        assert!(
            !keyvalue.is_empty(),
            "the plugin world imports wasi:keyvalue"
        );
        for key in keyvalue {
            resolve.worlds[world].imports.shift_remove(&key);
        }
    }
    let mut module = dummy_module(&resolve, world, wit_parser::ManglingAndAbi::Standard32);
    embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8).unwrap();
    let component = ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("bedrock-host-stand-in-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, component).unwrap();
    path
}

pub(crate) fn stand_in_host(name: &str, with_keyvalue: bool) -> Host {
    let path = stand_in(name, with_keyvalue);
    let mut config = HostConfig::new(&path);
    config.env = Vec::new();
    config.code_cache = None;
    let host = Host::new(config).unwrap_or_else(|e| panic!("{e:#}"));
    // Compiled: the file is no longer needed (the directory goes with
    // the last test that uses it).
    let _ = std::fs::remove_file(&path);
    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_dir(dir);
    }
    host
}
