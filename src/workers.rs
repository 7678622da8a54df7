//! Pure computation spread over the calling thread and helper threads (the setting
//! "threads"). Only work that calls nothing of the host runs on a helper: frame providers,
//! callbacks and logs stay on the thread that called the library. A map's result is the
//! sequential map's, in the items' order, whatever the number of threads.
//!
//! The helpers are started on first use and kept for the life of the process, idle on a
//! channel between maps (as a thread pool's are). Helpers that ended after each map freed
//! their thread-local buffers as they ended (faer's 2 MiB packing slab among them); glibc
//! raises its mmap threshold to the size of such a free, so later frame-sized allocations
//! came from the heap and stayed resident: the interview pair's peak grew 538 -> 582 MB.
//! A map called on a helper (a search inside a searched pair) runs on that helper alone, so
//! no helper ever waits for another. A process forked from one that used the pool has none of
//! its helpers, and the pool's lock may have been held by a thread it lacks: its maps run on
//! the calling thread alone.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use crossbeam::channel::{Receiver, Sender, bounded, unbounded};

/// Most helper threads the pool starts (the setting "threads" allows 256, the caller included).
const MAX_HELPERS: usize = 255;

/// Helper threads to use beside the calling one for `threads` (the setting; 0 is one per
/// core the system gives the process).
pub fn helpers(threads: u32) -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    let wanted = match threads {
        0 => *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        n => n as usize,
    };
    wanted.saturating_sub(1).min(MAX_HELPERS)
}

/// `f` of every item, in order: item `k` is computed by lane `k % lanes`, the calling thread
/// being lane 0 and each other lane a job for a helper. A panic in `f` is raised again on the
/// calling thread (where the C boundary catches it) once every lane has ended.
pub fn map<T: Sync, R: Send>(helpers: usize, items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let wanted = helpers.min(items.len().saturating_sub(1));
    if wanted == 0 || ON_HELPER.get() || !pool_is_ours() {
        return items.iter().map(f).collect();
    }
    let Some((jobs, started)) = pool_with(wanted) else {
        return items.iter().map(f).collect();
    };
    let lanes = started.min(wanted) + 1;
    let share = |lane: usize| -> Vec<(usize, R)> {
        items.iter().enumerate().skip(lane).step_by(lanes).map(|(k, item)| (k, f(item))).collect()
    };
    let (done_tx, done_rx) = bounded::<Part<R>>(lanes - 1);
    for lane in 1..lanes {
        send_job(&jobs, lane, &share, done_tx.clone());
    }
    drop(done_tx);
    let mine = catch_unwind(AssertUnwindSafe(|| share(0)));
    // Every job sent is waited for, even when this thread's share panicked: they borrow
    // `items` and `f` from this frame.
    let mut parts: Vec<Option<LaneResult<R>>> = (0..lanes).map(|_| None).collect();
    parts[0] = Some(mine);
    for (lane, part) in done_rx.iter() {
        parts[lane] = Some(part);
    }
    let mut done: Vec<(usize, R)> = Vec::with_capacity(items.len());
    for (lane, part) in parts.into_iter().enumerate() {
        // A lane without an answer was never run (its job was dropped): it is run here.
        match part.unwrap_or_else(|| catch_unwind(AssertUnwindSafe(|| share(lane)))) {
            Ok(values) => done.extend(values),
            Err(panic) => resume_unwind(panic),
        }
    }
    done.sort_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, r)| r).collect()
}

/// A lane's values (each with its item's index), or the panic that ended it.
type LaneResult<R> = std::thread::Result<Vec<(usize, R)>>;

/// A lane's result, sent by its helper.
type Part<R> = (usize, LaneResult<R>);

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Queues lane `lane`'s share for the helpers; it sends its part on `done`.
fn send_job<'a, R: Send + 'a>(
    jobs: &Sender<Job>,
    lane: usize,
    share: &'a (dyn Fn(usize) -> Vec<(usize, R)> + Sync),
    done: Sender<Part<R>>,
) {
    let job: Box<dyn FnOnce() + Send + 'a> = Box::new(move || {
        let part = catch_unwind(AssertUnwindSafe(|| share(lane)));
        let _ = done.send((lane, part));
    });
    // SAFETY: the job borrows `share` (and through it the items and `f` of `map`) for 'a, and
    // the pool wants 'static. The job owns a sender of `map`'s `done` channel, dropped when
    // the job has run (its captures dropped at the end of its call) or is dropped unrun; `map`
    // reads that channel until every sender is gone before it returns, and cannot unwind
    // before (its own share runs under catch_unwind). So no borrow outlives `map`'s frame.
    let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + 'a>, Job>(job) };
    // The pool keeps its receiver, so a send cannot fail; were it to, the job comes back and
    // is dropped here, unrun, which `map` handles.
    let _ = jobs.send(job);
}

struct Pool {
    jobs: Sender<Job>,
    queue: Receiver<Job>,
    /// Helper threads started.
    started: usize,
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

/// The process whose maps use the pool: the first to map claims it, before taking its lock.
static POOL_PID: AtomicU32 = AtomicU32::new(0);

/// Whether this process may use the pool: it claimed it or claims it now. A child forked from
/// a process that claimed it may not (see the module's doc).
fn pool_is_ours() -> bool {
    let pid = std::process::id();
    match POOL_PID.compare_exchange(0, pid, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => true,
        Err(owner) => owner == pid,
    }
}

thread_local! {
    /// Whether this thread is one of the pool's helpers.
    static ON_HELPER: Cell<bool> = const { Cell::new(false) };
}

/// The queue of a pool with `helpers` helpers started (fewer when the system cannot start
/// them), and how many it has; `None` when it has none.
fn pool_with(helpers: usize) -> Option<(Sender<Job>, usize)> {
    let mut pool = POOL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let pool = pool.get_or_insert_with(|| {
        let (jobs, queue) = unbounded();
        Pool { jobs, queue, started: 0 }
    });
    while pool.started < helpers.min(MAX_HELPERS) {
        let queue = pool.queue.clone();
        let helper = std::thread::Builder::new().name("vidkompy-helper".into()).spawn(move || {
            ON_HELPER.set(true);
            for job in queue {
                job();
            }
        });
        if helper.is_err() {
            break;
        }
        pool.started += 1;
    }
    (pool.started > 0).then(|| (pool.jobs.clone(), pool.started))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any number of helpers gives a sequential map's result, in order; lane 0 is the caller,
    /// every other lane a helper of the pool.
    #[test]
    fn a_map_over_helpers_is_the_sequential_map() {
        let items: Vec<u64> = (0..23).collect();
        let sequential: Vec<u64> = items.iter().map(|x| x * x + 1).collect();
        let caller = std::thread::current().id();
        for helpers in [0, 1, 2, 5, 40] {
            assert_eq!(map(helpers, &items, |x| x * x + 1), sequential, "{helpers} helpers");
            let lanes = (helpers + 1).min(items.len());
            let ran: Vec<(bool, bool)> = map(helpers, &items, |_| {
                let me = std::thread::current();
                (me.id() == caller, me.name() == Some("vidkompy-helper"))
            });
            for (k, &(on_caller, on_helper)) in ran.iter().enumerate() {
                assert_eq!((on_caller, on_helper), (k % lanes == 0, k % lanes != 0), "item {k}, {helpers} helpers");
            }
        }
        assert!(map(3, &[] as &[u8], |x| *x).is_empty());
        assert_eq!((helpers(1), helpers(3), helpers(1000)), (0, 2, MAX_HELPERS));
    }

    /// A panic on a helper reaches the calling thread, after which the helpers still work.
    #[test]
    fn a_helper_s_panic_is_raised_on_the_caller() {
        let caught = catch_unwind(|| map(1, &[1, 2, 3, 4], |&x| if x == 2 { panic!("two") } else { x }));
        assert!(caught.is_err());
        let caught = catch_unwind(|| map(1, &[1, 2, 3, 4], |&x| if x == 1 { panic!("one") } else { x }));
        assert!(caught.is_err());
        assert_eq!(map(1, &[1, 2, 3, 4], |&x| x * 2), vec![2, 4, 6, 8]);
    }

    /// Maps inside maps, and maps from several host threads at once, all end with the
    /// sequential answer (a helper never waits for another).
    #[test]
    fn nested_and_concurrent_maps_end() {
        let outer: Vec<u64> = (0..8).collect();
        let inner: Vec<u64> = (0..50).collect();
        let expected: Vec<u64> = outer.iter().map(|o| inner.iter().map(|i| o * i).sum()).collect();
        let nested = || map(3, &outer, |o| map(3, &inner, |i| o * i).into_iter().sum::<u64>());
        assert_eq!(nested(), expected);
        std::thread::scope(|s| {
            let hosts: Vec<_> = (0..4).map(|_| s.spawn(nested)).collect();
            for host in hosts {
                assert_eq!(host.join().unwrap(), expected);
            }
        });
    }

    /// A child forked from a process whose maps used the helpers (a host's worker processes)
    /// computes its maps on its calling thread: they end, with the right answer.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_forked_child_maps_on_its_calling_thread() {
        assert_eq!(map(2, &[1, 2, 3], |x| x + 1), vec![2, 3, 4]);
        // SAFETY: the child calls only this module's map, which takes no lock there (another
        // test's thread may have held the pool's at the fork), and ends with _exit.
        let child = unsafe { libc::fork() };
        assert!(child >= 0, "fork failed");
        if child == 0 {
            let caller = std::thread::current().id();
            let on_caller = map(2, &[1, 2, 3, 4, 5], |x| (x * 3, std::thread::current().id() == caller));
            let right = on_caller == [(3, true), (6, true), (9, true), (12, true), (15, true)];
            // SAFETY: ends the child without running the parent's exit handlers.
            unsafe { libc::_exit(if right { 0 } else { 1 }) };
        }
        let mut status = 0;
        for _ in 0..1000 {
            // SAFETY: waits on our own child; `status` is a live int.
            if unsafe { libc::waitpid(child, &mut status, libc::WNOHANG) } == child {
                assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child's map was wrong");
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        // SAFETY: our own child, still running.
        unsafe { libc::kill(child, libc::SIGKILL) };
        panic!("the forked child's map did not end within 10 s");
    }
}
