//! The keychain's own thread: store jobs run there one after another, in
//! the order they were asked for, never on a frame and never on the
//! worker's runtime, whose shutdown must not wait for a keychain prompt.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::Generation;
use crate::outcome::Tokens;
use crate::store::{SessionStore, StoreError};

/// Makes the store on the keychain thread (opening the OS keychain may
/// block on D-Bus).
pub type MakeStore = Box<dyn FnOnce() -> Result<Arc<dyn SessionStore>, StoreError> + Send>;

/// One keychain job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreJob {
    /// Read the stored session.
    Load,
    /// Replace the stored session.
    Save(Tokens),
    /// Forget the stored session.
    Clear,
}

/// The end of a [`StoreJob`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreReply {
    /// The session generation the job was asked for.
    pub generation: Generation,
    /// What it did; a `Save` or `Clear` that succeeded answers `Ok(None)`.
    pub job: StoreJobKind,
    /// The loaded session, or why the job failed.
    pub result: Result<Option<Tokens>, StoreError>,
}

/// Which [`StoreJob`] a [`StoreReply`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreJobKind {
    /// [`StoreJob::Load`].
    Load,
    /// [`StoreJob::Save`].
    Save,
    /// [`StoreJob::Clear`].
    Clear,
}

/// How often a failed clear is tried before the game is told.
const CLEAR_ATTEMPTS: u32 = 3;
/// How long dropping the thread waits for queued jobs (a sign-out's clear).
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

/// A thread that owns a [`SessionStore`] and runs its jobs in order.
///
/// A save asked for by an older generation than the newest job seen is
/// skipped, so a sign-out's clear is never undone by a save queued before
/// it. A failed clear is retried. Dropping it waits a bounded time for the
/// queue to drain, then leaves the thread behind: a keychain that never
/// answers cannot hold up the game's exit.
pub struct StoreThread {
    jobs: Option<Sender<(Generation, StoreJob)>>,
    replies: Receiver<StoreReply>,
    newest: Arc<AtomicU64>,
    finished: Receiver<()>,
}

impl StoreThread {
    /// Starts the thread; the store is made on it by `make`.
    pub fn spawn(make: MakeStore) -> std::io::Result<Self> {
        let (jobs, job_rx) = crossbeam_channel::unbounded::<(Generation, StoreJob)>();
        let (reply_tx, replies) = crossbeam_channel::unbounded();
        let (finished_tx, finished) = crossbeam_channel::bounded::<()>(0);
        let newest = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&newest);
        std::thread::Builder::new()
            .name("cognito-login-keychain".into())
            .spawn(move || {
                let _finished = finished_tx;
                let store = make();
                for (generation, job) in job_rx {
                    let stale = generation.0 < seen.load(Ordering::SeqCst);
                    if stale && matches!(job, StoreJob::Save(_)) {
                        continue;
                    }
                    let kind = kind(&job);
                    // A store that panics fails its job; the thread, and the
                    // clears queued after it, go on.
                    let result =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            match (&store, job) {
                                (Err(error), _) => Err(error.clone()),
                                (Ok(store), StoreJob::Load) => store.load(),
                                (Ok(store), StoreJob::Save(tokens)) => {
                                    store.save(&tokens).map(|()| None)
                                }
                                (Ok(store), StoreJob::Clear) => clear(&**store),
                            }
                        }))
                        .unwrap_or_else(|_| {
                            Err(StoreError::Failed("the session store panicked".into()))
                        });
                    let reply = StoreReply {
                        generation,
                        job: kind,
                        result,
                    };
                    if reply_tx.send(reply).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Self {
            jobs: Some(jobs),
            replies,
            newest,
            finished,
        })
    }

    /// Queues `job` for `generation`; never blocks.
    pub fn run(&self, generation: Generation, job: StoreJob) {
        self.newest.fetch_max(generation.0, Ordering::SeqCst);
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send((generation, job));
        }
    }

    /// The next finished job, if any. Never blocks.
    pub fn try_recv(&self) -> Option<StoreReply> {
        self.replies.try_recv().ok()
    }
}

impl Drop for StoreThread {
    fn drop(&mut self) {
        self.jobs.take();
        let _ = self.finished.recv_timeout(DRAIN_LIMIT);
    }
}

impl std::fmt::Debug for StoreThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreThread")
            .field("newest", &self.newest.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn kind(job: &StoreJob) -> StoreJobKind {
    match job {
        StoreJob::Load => StoreJobKind::Load,
        StoreJob::Save(_) => StoreJobKind::Save,
        StoreJob::Clear => StoreJobKind::Clear,
    }
}

/// Clears, trying again after a short pause when the keychain fails.
fn clear(store: &dyn SessionStore) -> Result<Option<Tokens>, StoreError> {
    let mut attempt = 1;
    loop {
        match store.clear() {
            Ok(()) => return Ok(None),
            Err(error) if attempt >= CLEAR_ATTEMPTS => return Err(error),
            Err(_) => {
                std::thread::sleep(Duration::from_millis(100 * u64::from(attempt)));
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Panics on every load; clears work.
    struct Flaky;

    impl SessionStore for Flaky {
        fn load(&self) -> Result<Option<Tokens>, StoreError> {
            panic!("a store of a game's own, with a bug")
        }
        fn save(&self, _: &Tokens) -> Result<(), StoreError> {
            Ok(())
        }
        fn clear(&self) -> Result<(), StoreError> {
            Ok(())
        }
    }

    #[test]
    fn a_panicking_store_fails_its_job_and_later_clears_still_run() {
        let thread =
            StoreThread::spawn(Box::new(|| Ok(Arc::new(Flaky) as Arc<dyn SessionStore>))).unwrap();
        thread.run(Generation(1), StoreJob::Load);
        thread.run(Generation(2), StoreJob::Clear);
        let replies: Vec<_> = (0..2)
            .map(|_| thread.replies.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        assert_eq!(replies[0].job, StoreJobKind::Load);
        assert!(matches!(replies[0].result, Err(StoreError::Failed(_))));
        assert_eq!(
            (replies[1].job, replies[1].result.clone()),
            (StoreJobKind::Clear, Ok(None))
        );
    }
}
