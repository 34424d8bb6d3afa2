//! Writing a command's product to a file without ever leaving half of one:
//! through a temporary file in the same directory, renamed over the target
//! (a rename within one file system is atomic), so that a crash or a full
//! disk leaves either the old file or the new one.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Replaces `path` with `contents` through a temporary file in the same
/// directory (a rename within one file system is atomic), keeping the
/// file's permissions. A symbolic link is followed, so the link stays a link.
pub fn write_atomically(path: &Path, contents: &str) -> io::Result<()> {
    let path = match fs::canonicalize(path) {
        Ok(real) => real,
        Err(e) if e.kind() == io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(e),
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let permissions = fs::metadata(&path).ok().map(|m| m.permissions());

    let (temp, mut file) = create_temp(&dir, &file_name)?;
    let written = (|| {
        file.write_all(contents.as_bytes())?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// A new file `.NAME.squall-PID-N.tmp` in `dir`, created exclusively so that
/// no other file is ever overwritten by it.
fn create_temp(dir: &Path, file_name: &str) -> io::Result<(PathBuf, fs::File)> {
    let pid = std::process::id();
    let mut attempt = 0;
    loop {
        let temp = dir.join(format!(".{file_name}.squall-{pid}-{attempt}.tmp"));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_and_create_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("m.yaml");
        fs::write(&path, "old\n").expect("write");
        write_atomically(&path, "new\n").expect("replace");
        assert_eq!(fs::read_to_string(&path).expect("read"), "new\n");
        let fresh = dir.path().join("fresh.squall");
        write_atomically(&fresh, "x\n").expect("create");
        assert_eq!(fs::read_to_string(&fresh).expect("read"), "x\n");
        let names: Vec<_> = fs::read_dir(dir.path()).expect("list").map(|e| e.expect("entry").file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn atomic_writes_keep_permissions_and_links() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = tempfile::tempdir().expect("temporary directory");
        let real = dir.path().join("real.yaml");
        fs::write(&real, "old\n").expect("write");
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).expect("chmod");
        let link = dir.path().join("link.yaml");
        symlink(&real, &link).expect("symlink");
        write_atomically(&link, "new\n").expect("write through the link");
        assert!(fs::symlink_metadata(&link).expect("stat").file_type().is_symlink());
        assert_eq!(fs::read_to_string(&real).expect("read"), "new\n");
        assert_eq!(fs::metadata(&real).expect("stat").permissions().mode() & 0o777, 0o640);
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("temporary directory");
        assert!(write_atomically(&dir.path().join("no/such/dir/m.yaml"), "x").is_err());
    }
}
