//! Output files that never destroy anything.
//!
//! Every output (the composite, the report) is written to its own temporary file beside the
//! target, created exclusively under a unique name (so two runs writing the same target never
//! share one), and all of a job's outputs are renamed into place together, only once every one
//! of them was written whole. An output that is the same file as an input, or as another
//! output, is refused before anything is written, whether or not overwriting was allowed.
//!
//! Temporary files are removed when their [`Staged`] is dropped uncommitted, and by
//! [`remove_temporaries_now`] from a signal handler when the user interrupts.

use std::cell::UnsafeCell;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use crate::error::{Error, Result};

/// A target file being written through a temporary file beside it.
#[derive(Debug)]
pub struct Staged {
    target: PathBuf,
    temp: PathBuf,
    slot: Option<usize>,
    committed: bool,
}

impl Staged {
    /// Reserves a temporary file for `target` (created empty, exclusively). Refuses an existing
    /// target unless `overwrite`, and a folder that cannot take a file.
    pub fn new(target: &Path, overwrite: bool) -> Result<Staged> {
        if target.exists() && !overwrite {
            return Err(Error::InvalidArgument(format!("{} exists (use -y to overwrite)", target.display())));
        }
        if target.is_dir() {
            return Err(Error::InvalidArgument(format!("{} is a folder, not a file", target.display())));
        }
        let name = target
            .file_name()
            .ok_or_else(|| Error::InvalidArgument(format!("{}: not a file name", target.display())))?
            .to_string_lossy()
            .into_owned();
        let mut last_error = None;
        for _ in 0..16 {
            let temp =
                target.with_file_name(format!(".{name}.{}.{:016x}.partial", std::process::id(), unique_number()));
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(_) => {
                    let slot = interrupt::register(&temp);
                    return Ok(Staged { target: target.to_path_buf(), temp, slot, committed: false });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(Error::Io(format!("{}: cannot write here: {e}", target.display()))),
            }
        }
        Err(Error::Io(format!(
            "{}: no free temporary name: {}",
            target.display(),
            last_error.expect("set in the loop")
        )))
    }

    /// The file the output is meant for.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary file to write to.
    pub fn temp(&self) -> &Path {
        &self.temp
    }

    /// Opens the temporary file for writing (emptied).
    pub fn open(&self) -> Result<File> {
        OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&self.temp)
            .map_err(|e| Error::Io(format!("{}: {e}", self.temp.display())))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            interrupt::release(slot);
        }
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Renames every staged file onto its target, in order. Call it only when all were written.
pub fn commit(files: Vec<Staged>) -> Result<()> {
    for mut f in files {
        std::fs::rename(&f.temp, &f.target).map_err(|e| Error::Io(format!("{}: {e}", f.target.display())))?;
        f.committed = true;
    }
    Ok(())
}

/// Writes one file through a temporary file beside `path`, renamed on success, removed on failure.
pub fn write_atomically(
    path: &Path,
    overwrite: bool,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let staged = Staged::new(path, overwrite)?;
    write_staged(&staged, write)?;
    commit(vec![staged])
}

/// Writes a staged file's whole content (buffered); nothing is renamed yet.
pub fn write_staged(staged: &Staged, write: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<()> {
    let mut w = BufWriter::new(staged.open()?);
    write(&mut w)?;
    w.flush().map_err(|e| Error::Io(format!("{}: {e}", staged.temp.display())))
}

/// A number no other temporary name of this process has, mixed with the clock so that other
/// processes (same pid in another namespace, say) are unlikely to pick it either.
fn unique_number() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    // splitmix64 of both: well spread, cheap, no dependency.
    let mut z = nanos ^ count.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What a path names: the file (device and inode) when it exists, and its canonical path
/// (the canonical folder plus the name when the file does not exist yet).
#[derive(Debug, PartialEq, Eq)]
struct Identity {
    inode: Option<(u64, u64)>,
    path: PathBuf,
}

fn identity(path: &Path) -> Identity {
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
        folder.join(path.file_name().unwrap_or_default())
    });
    Identity { inode, path: canonical }
}

fn same_file(a: &Identity, b: &Identity) -> bool {
    (a.inode.is_some() && a.inode == b.inode) || a.path == b.path
}

/// Refuses outputs that are the same file as an input or as each other. Each path comes with
/// the name the user knows it by (`--bg`, `-o`, ...).
pub fn check_distinct(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<()> {
    let ids: Vec<Identity> = outputs.iter().map(|(_, p)| identity(p)).collect();
    for (k, (name, path)) in outputs.iter().enumerate() {
        for (input_name, input) in inputs {
            if same_file(&ids[k], &identity(input)) {
                return Err(Error::InvalidArgument(format!(
                    "{name} {} is the same file as {input_name} {}: an input is never overwritten",
                    path.display(),
                    input.display()
                )));
            }
        }
        for (other_name, other) in &outputs[..k] {
            if same_file(&ids[k], &identity(other)) {
                return Err(Error::InvalidArgument(format!(
                    "{name} {} is the same file as {other_name} {}: each output needs its own file",
                    path.display(),
                    other.display()
                )));
            }
        }
    }
    Ok(())
}

/// Removes every temporary file still in use. Async-signal-safe: it only reads atomics and
/// fixed buffers and calls `unlink`, so a SIGINT handler may call it.
pub fn remove_temporaries_now() {
    interrupt::unlink_all();
}

/// The temporary files a signal handler must remove, in fixed slots (no allocation, no lock).
mod interrupt {
    use super::*;

    const SLOTS: usize = 8;
    const PATH_BYTES: usize = 4096;
    const FREE: u8 = 0;
    const BUSY: u8 = 1;
    const READY: u8 = 2;

    struct Slot {
        state: AtomicU8,
        path: UnsafeCell<[u8; PATH_BYTES]>,
    }

    // SAFETY: `path` is written only by the thread that moved `state` from FREE to BUSY, and
    // read only while `state` is READY (published with Release, observed with Acquire).
    unsafe impl Sync for Slot {}

    static REGISTRY: [Slot; SLOTS] =
        [const { Slot { state: AtomicU8::new(FREE), path: UnsafeCell::new([0; PATH_BYTES]) } }; SLOTS];

    /// Records a temporary file; `None` when every slot is taken or the path cannot be stored
    /// (it is still removed on every other way out, just not on a signal).
    pub(super) fn register(path: &Path) -> Option<usize> {
        let bytes = path.as_os_str().as_encoded_bytes();
        if bytes.len() >= PATH_BYTES || bytes.contains(&0) {
            return None;
        }
        for (i, slot) in REGISTRY.iter().enumerate() {
            if slot.state.compare_exchange(FREE, BUSY, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                // SAFETY: this thread owns the slot while it is BUSY (see `impl Sync`).
                let buf = unsafe { &mut *slot.path.get() };
                buf[..bytes.len()].copy_from_slice(bytes);
                buf[bytes.len()] = 0;
                slot.state.store(READY, Ordering::Release);
                return Some(i);
            }
        }
        None
    }

    pub(super) fn release(i: usize) {
        REGISTRY[i].state.store(FREE, Ordering::Release);
    }

    pub(super) fn unlink_all() {
        for slot in &REGISTRY {
            if slot.state.load(Ordering::Acquire) == READY {
                // SAFETY: a READY slot holds a NUL-terminated path (see `register`).
                unsafe { libc::unlink(slot.path.get() as *const libc::c_char) };
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `remove_temporaries_now` removes every registered file of the process: tests that
    /// stage files take turns.
    pub(crate) static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vidkompy-staging-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn same_file_by_inode_path_and_link() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dir = folder("identity");
        let input = dir.join("bg.mp4");
        std::fs::write(&input, b"bg").unwrap();
        let sub = dir.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        std::os::unix::fs::symlink(&input, dir.join("link.mp4")).unwrap();
        std::fs::hard_link(&input, dir.join("hard.mp4")).unwrap();
        for same in [input.clone(), sub.join("../bg.mp4"), dir.join("link.mp4"), dir.join("hard.mp4")] {
            let e = check_distinct(&[("--bg", &input)], &[("-o", &same)]).unwrap_err();
            assert!(e.to_string().contains("same file as --bg"), "{same:?}: {e}");
        }
        let report = dir.join("new.json");
        let e = check_distinct(&[("--bg", &input)], &[("-o", &report), ("--report", &sub.join("../new.json"))])
            .unwrap_err();
        assert!(e.to_string().contains("--report"), "{e}");
        check_distinct(&[("--bg", &input)], &[("-o", &dir.join("out.mp4")), ("--report", &report)]).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn temporaries_are_unique_and_removed_unless_committed() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dir = folder("temps");
        let target = dir.join("out.y4m");
        let (a, b) = (Staged::new(&target, false).unwrap(), Staged::new(&target, false).unwrap());
        assert_ne!(a.temp(), b.temp());
        assert!(a.temp().exists() && b.temp().exists());
        let b_temp = b.temp().to_path_buf();
        drop(b);
        assert!(!b_temp.exists());
        std::fs::write(a.temp(), b"whole").unwrap();
        commit(vec![a]).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"whole");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "only the target remains");
        assert!(Staged::new(&target, false).unwrap_err().to_string().contains("exists"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn interrupt_removes_registered_temporaries() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dir = folder("interrupt");
        let staged = Staged::new(&dir.join("out.mp4"), false).unwrap();
        assert!(staged.temp().exists());
        remove_temporaries_now();
        assert!(!staged.temp().exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
