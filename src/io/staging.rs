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
    /// Whether an existing target may be replaced (`-y`); checked again at the commit.
    overwrite: bool,
    committed: bool,
}

impl Staged {
    /// Reserves a temporary file for `target` (created empty, exclusively). Refuses a folder,
    /// anything but a regular file (a FIFO or a device: the composite is only ever a regular
    /// file), and an existing target unless `overwrite`. A symbolic link is followed: the file
    /// it names is replaced and the link stays. Temporaries left by runs that were killed
    /// (their process is gone) beside the target are removed.
    pub fn new(target: &Path, overwrite: bool) -> Result<Staged> {
        let target = writable_target(target, overwrite)?;
        let name = target
            .file_name()
            .ok_or_else(|| Error::InvalidArgument(format!("{}: not a file name", target.display())))?
            .to_string_lossy()
            .into_owned();
        remove_stale_temporaries(&target, &name);
        let mut last_error = None;
        for _ in 0..16 {
            let temp =
                target.with_file_name(format!(".{name}.{}.{:016x}.partial", std::process::id(), unique_number()));
            // Registered before it exists, so a signal between the two finds it.
            let slot = interrupt::register(&temp);
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(_) => return Ok(Staged { target, temp, slot, overwrite, committed: false }),
                Err(e) => {
                    if let Some(slot) = slot {
                        interrupt::release(slot);
                    }
                    if e.kind() != ErrorKind::AlreadyExists {
                        return Err(Error::Io(format!("{}: cannot write here: {}", target.display(), io_message(&e))));
                    }
                    last_error = Some(e);
                }
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

/// Puts every staged file in place of its target, all or none. Call it only when all were
/// written. Without overwrite a target that appeared since [`Staged::new`] (another run
/// writing the same file) is never replaced: the commit fails naming it. When a later file
/// cannot be placed, the earlier ones are taken back (a replaced target gets its old content
/// back), so no job leaves half of its outputs.
pub fn commit(files: Vec<Staged>) -> Result<()> {
    let mut placed: Vec<(Staged, Option<PathBuf>)> = Vec::with_capacity(files.len());
    for f in files {
        match place(&f) {
            Ok(previous) => placed.push((f, previous)),
            Err(e) => {
                for (earlier, previous) in placed.into_iter().rev() {
                    take_back(earlier, previous);
                }
                return Err(e);
            }
        }
    }
    for (f, previous) in &mut placed {
        f.committed = true;
        if let Some(previous) = previous {
            let _ = std::fs::remove_file(previous);
        }
    }
    Ok(())
}

/// Moves one temporary file onto its target. Returns where the target's earlier content was
/// kept (a hard link beside it) when it was replaced, for [`take_back`].
fn place(f: &Staged) -> Result<Option<PathBuf>> {
    let named = |e: std::io::Error| Error::Io(format!("{}: {}", f.target.display(), io_message(&e)));
    if !f.overwrite {
        return place_without_replacing(f).map(|()| None);
    }
    let previous = if std::fs::symlink_metadata(&f.target).is_ok() {
        let keep = f.temp.with_extension("previous");
        std::fs::hard_link(&f.target, &keep).map_err(named)?;
        Some(keep)
    } else {
        None
    };
    if let Err(e) = std::fs::rename(&f.temp, &f.target) {
        if let Some(keep) = &previous {
            let _ = std::fs::remove_file(keep);
        }
        return Err(named(e));
    }
    Ok(previous)
}

/// A hard link fails when the name exists, atomically, so two runs racing for one target
/// cannot both win. File systems without hard links fall back to a check and a rename.
fn place_without_replacing(f: &Staged) -> Result<()> {
    let appeared = || {
        Error::InvalidArgument(format!(
            "{} appeared while this run was writing it: left as it is (use -y to overwrite)",
            f.target.display()
        ))
    };
    match std::fs::hard_link(&f.temp, &f.target) {
        Ok(()) => {
            let _ = std::fs::remove_file(&f.temp);
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(appeared()),
        Err(_) if std::fs::symlink_metadata(&f.target).is_ok() => Err(appeared()),
        Err(_) => std::fs::rename(&f.temp, &f.target)
            .map_err(|e| Error::Io(format!("{}: {}", f.target.display(), io_message(&e)))),
    }
}

/// Undoes [`place`]: the target gets its earlier content back, or is removed when it had none.
fn take_back(f: Staged, previous: Option<PathBuf>) {
    match previous {
        Some(keep) => {
            let _ = std::fs::rename(keep, &f.target);
        }
        None => {
            let _ = std::fs::remove_file(&f.target);
        }
    }
}

/// The target a file job may write: a symbolic link resolved to the file it names; a folder,
/// a FIFO or a device refused (with or without overwrite), an existing file without it.
fn writable_target(target: &Path, overwrite: bool) -> Result<PathBuf> {
    let shown = target.display();
    let target = match std::fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(target)
            .map_err(|e| Error::InvalidArgument(format!("{shown} is a link to nothing usable: {e}")))?,
        _ => target.to_path_buf(),
    };
    let Ok(meta) = std::fs::metadata(&target) else { return Ok(target) };
    if meta.is_dir() {
        return Err(Error::InvalidArgument(format!("{shown} is a folder, not a file")));
    }
    if !meta.is_file() {
        return Err(Error::InvalidArgument(format!(
            "{shown} is not a regular file (a FIFO, socket or device): outputs are written only as regular files"
        )));
    }
    if !overwrite {
        return Err(Error::InvalidArgument(format!("{shown} exists (use -y to overwrite)")));
    }
    Ok(target)
}

/// Removes `.NAME.PID.*.partial` beside `target` whose process is gone: what a run killed
/// by a signal nothing can catch (SIGKILL, the out-of-memory killer) left behind.
fn remove_stale_temporaries(target: &Path, name: &str) {
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else { continue };
        let Some(pid) = stale_pid(rest) else { continue };
        // SAFETY: kill with signal 0 only asks whether the process exists.
        let gone =
            unsafe { libc::kill(pid, 0) } != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The pid in `PID.HEX16.partial` (or `.previous`), the rest of a temporary file's name.
fn stale_pid(rest: &str) -> Option<libc::pid_t> {
    let (pid, tail) = rest.split_once('.')?;
    let (hex, ext) = tail.split_once('.')?;
    let ours = hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()) && matches!(ext, "partial" | "previous");
    ours.then(|| pid.parse().ok()).flatten().filter(|&p| p > 0)
}

/// An I/O error as a user reads it: "no space left on device" rather than its Debug form.
pub fn io_message(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            let text = std::io::Error::from_raw_os_error(code).to_string();
            // "No space left on device (os error 28)" -> "no space left on device"
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            let mut chars = text.chars();
            chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or(text)
        }
        None => e.to_string(),
    }
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

/// Signals whose default action ends the process and that a handler can catch: every one of
/// them removes the temporary files first (SIGKILL cannot be caught: the next run writing
/// beside the same target removes what it left, see [`Staged::new`]).
const ENDING_SIGNALS: [libc::c_int; 11] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGXCPU,
    libc::SIGXFSZ,
];

extern "C" fn on_ending_signal(signal: libc::c_int) {
    // Only async-signal-safe calls here: unlink (inside remove_temporaries_now), signal, raise.
    remove_temporaries_now();
    // SAFETY: restores the default action and raises the signal again, so the process ends as
    // it would have without the handler (the parent sees the signal, not an exit code).
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Makes every catchable ending signal remove this process's temporary files before the
/// process ends. For programs (the CLI); a library host keeps its own handlers.
pub fn remove_temporaries_on_signals() {
    for signal in ENDING_SIGNALS {
        // SAFETY: installs a handler that only calls async-signal-safe functions.
        unsafe { libc::signal(signal, on_ending_signal as *const () as libc::sighandler_t) };
    }
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
    fn a_target_that_appears_during_the_run_is_never_replaced_without_overwrite() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dir = folder("race");
        let target = dir.join("out.mp4");
        // Two runs start while the target does not exist; the first to finish wins.
        let (first, second) = (Staged::new(&target, false).unwrap(), Staged::new(&target, false).unwrap());
        std::fs::write(first.temp(), b"first").unwrap();
        std::fs::write(second.temp(), b"second").unwrap();
        commit(vec![first]).unwrap();
        let e = commit(vec![second]).unwrap_err().to_string();
        assert!(e.contains("out.mp4") && e.contains("appeared"), "{e}");
        assert_eq!(std::fs::read(&target).unwrap(), b"first");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "the loser leaves nothing");
        // With overwrite the later run replaces it.
        let third = Staged::new(&target, true).unwrap();
        std::fs::write(third.temp(), b"third").unwrap();
        commit(vec![third]).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"third");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn all_outputs_or_none_and_replaced_ones_get_their_content_back() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dir = folder("all-or-none");
        let (video, report) = (dir.join("out.mp4"), dir.join("out.json"));
        std::fs::write(&video, b"old video").unwrap();
        let (v, r) = (Staged::new(&video, true).unwrap(), Staged::new(&report, false).unwrap());
        std::fs::write(v.temp(), b"new video").unwrap();
        std::fs::write(r.temp(), b"new report").unwrap();
        // The report's target appears during the run: its commit fails after the video's.
        std::fs::write(&report, b"someone else's").unwrap();
        assert!(commit(vec![v, r]).is_err());
        assert_eq!(std::fs::read(&video).unwrap(), b"old video", "the replaced video came back");
        assert_eq!(std::fs::read(&report).unwrap(), b"someone else's");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2, "no temporary or kept copy remains");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn links_are_followed_and_fifos_refused() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dir = folder("special");
        let real = dir.join("real.y4m");
        std::fs::write(&real, b"old").unwrap();
        let link = dir.join("link.y4m");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let staged = Staged::new(&link, true).unwrap();
        std::fs::write(staged.temp(), b"new").unwrap();
        commit(vec![staged]).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        let fifo = dir.join("fifo.y4m");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        for overwrite in [false, true] {
            let e = Staged::new(&fifo, overwrite).unwrap_err().to_string();
            assert!(e.contains("not a regular file"), "{e}");
        }
        let e = Staged::new(&dir, true).unwrap_err().to_string();
        assert!(e.contains("is a folder") && !e.contains("exists"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn temporaries_of_runs_that_were_killed_are_removed() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let dir = folder("stale");
        // A process that has ended: its pid is free (pid reuse within this test is unlikely).
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = dir.join(format!(".out.y4m.{dead}.0123456789abcdef.partial"));
        let alive = dir.join(format!(".out.y4m.{}.0123456789abcdef.partial", std::process::id()));
        let other = dir.join(format!(".other.y4m.{dead}.0123456789abcdef.partial"));
        for f in [&stale, &alive, &other] {
            std::fs::write(f, b"x").unwrap();
        }
        let staged = Staged::new(&dir.join("out.y4m"), false).unwrap();
        assert!(!stale.exists(), "a dead run's temporary stays");
        assert!(alive.exists() && other.exists(), "a live run's or another target's temporary was removed");
        drop(staged);
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
