//! Fixtures shared by the test binaries.
//!
//! [`stand_in_component`] builds a component of the `plugin` world from
//! `wit/` with every export trapping, so that loading, linking, limits and
//! the endpoints can be tested without building the guest.

use std::path::{Path, PathBuf};

/// A stand-in component file, removed (with its directory, once empty) when
/// dropped: load it first, then let it go.
pub struct StandIn {
    path: PathBuf,
}

impl StandIn {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = self.path.parent() {
            // Fails while another test's file is still there; the last one
            // out removes it.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// A component of the `plugin` world whose every export traps, built
/// from `wit/` (optionally without the `wasi:keyvalue` import, like the
/// guests built before it was added). Written under `name` in a
/// per-process directory.
pub fn stand_in_component(name: &str, with_keyvalue: bool) -> StandIn {
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
    let dir = std::env::temp_dir().join(format!("bedrock-stand-in-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, component).unwrap();
    StandIn { path }
}
