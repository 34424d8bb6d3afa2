//! Embeds the runtime crate's sources (`runtime/Cargo.toml`, `README.md` and
//! every file under `runtime/src/`) into the squall binary, so that
//! `squall gen` can copy the runtime into a generated workspace without
//! reading this repository at run time: an installed `squall` carries its
//! runtime with it.
//!
//! The list is written to `$OUT_DIR/runtime_files.rs` as
//! `&[(relative path, include_str!(absolute path))]`, sorted by path so that
//! the generated output does not depend on directory order.

use std::env;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

fn main() -> io::Result<()> {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or_else(|| io::Error::other("no manifest dir"))?);
    let runtime = manifest.join("runtime");
    println!("cargo:rerun-if-changed=runtime/Cargo.toml");
    println!("cargo:rerun-if-changed=runtime/README.md");
    println!("cargo:rerun-if-changed=runtime/src");

    let mut files = vec![PathBuf::from("Cargo.toml"), PathBuf::from("README.md")];
    collect(&runtime, Path::new("src"), &mut files)?;
    files.sort();

    let mut out = String::from("/// The runtime crate's files: (path inside the crate, contents).\n");
    out.push_str("pub const RUNTIME_FILES: &[(&str, &str)] = &[\n");
    for relative in &files {
        let absolute = runtime.join(relative);
        // Forward slashes on every platform: these become paths in the
        // generated workspace.
        let name = relative.to_string_lossy().replace('\\', "/");
        out.push_str(&format!("    ({name:?}, include_str!({:?})),\n", absolute.to_string_lossy()));
    }
    out.push_str("];\n");
    let target = PathBuf::from(env::var_os("OUT_DIR").ok_or_else(|| io::Error::other("no out dir"))?);
    fs::write(target.join("runtime_files.rs"), out)
}

/// Every file under `root/dir`, as paths relative to `root`.
fn collect(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(root.join(dir))? {
        let entry = entry?;
        let relative = dir.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            println!("cargo:rerun-if-changed=runtime/{}", relative.display());
            collect(root, &relative, files)?;
        } else {
            files.push(relative);
        }
    }
    Ok(())
}
