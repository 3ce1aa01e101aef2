//! Locating `../shared/vectors`, which the tests read but never copy.

use std::path::PathBuf;

/// The shared vectors folder, or `None` (with a notice) when it is absent
/// outside CI. Under CI a missing folder fails the test loudly.
pub fn dir(sub: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors")
        .join(sub);
    if path.is_dir() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "test vectors missing at {}: CI needs ../shared/vectors beside the repository",
            path.display()
        );
    }
    eprintln!("notice: skipping, {} not found", path.display());
    None
}
