//! The keychain's own thread: store jobs run there one after another, in
//! the order they were asked for, never on a frame and never on the
//! worker's runtime, whose shutdown must not wait for a keychain prompt.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::Generation;
use crate::device::{DeviceChange, RememberedDevices};
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
    /// Forget the stored session (the remembered devices stay).
    Clear,
    /// Read the remembered devices; answered on
    /// [`StoreThread::try_recv_devices`].
    LoadDevices,
    /// Change the remembered devices (read, changed, written back, so two
    /// instances of the game lose little to each other); answered on
    /// [`StoreThread::try_recv_devices`]. A forget is tried again, like a
    /// clear.
    ChangeDevices(DeviceChange),
    /// Read the guest this computer keeps; answered on
    /// [`StoreThread::try_recv_guest`].
    LoadGuest,
    /// Keep this guest identity id, or forget the guest (`None`). Not
    /// answered: a failure is logged, and the next guest is a new one.
    SaveGuest(Option<String>),
}

/// The guest identity id after a [`StoreJob::LoadGuest`] (`None`: no guest
/// kept), or why it could not be read.
pub type GuestReply = Result<Option<String>, StoreError>;

/// The remembered devices after a [`StoreJob::LoadDevices`] or
/// [`StoreJob::ChangeDevices`], or why the job failed.
pub type DevicesReply = Result<RememberedDevices, StoreError>;

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
    devices: Receiver<DevicesReply>,
    guest: Receiver<GuestReply>,
    newest: Arc<AtomicU64>,
    finished: Receiver<()>,
}

impl StoreThread {
    /// Starts the thread; the store is made on it by `make`.
    pub fn spawn(make: MakeStore) -> std::io::Result<Self> {
        let (jobs, job_rx) = crossbeam_channel::unbounded::<(Generation, StoreJob)>();
        let (reply_tx, replies) = crossbeam_channel::unbounded();
        let (devices_tx, devices) = crossbeam_channel::unbounded();
        let (guest_tx, guest) = crossbeam_channel::unbounded();
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
                    let (kind, result) = match job {
                        StoreJob::Load => (StoreJobKind::Load, guarded(&store, |s| s.load())),
                        StoreJob::Save(tokens) => (
                            StoreJobKind::Save,
                            guarded(&store, |s| s.save(&tokens).map(|()| None)),
                        ),
                        StoreJob::Clear => (StoreJobKind::Clear, guarded(&store, clear)),
                        StoreJob::LoadDevices => {
                            let loaded = guarded(&store, |s| s.load_devices());
                            if devices_tx.send(loaded).is_err() {
                                return;
                            }
                            continue;
                        }
                        StoreJob::ChangeDevices(change) => {
                            let changed = guarded(&store, |s| change_devices(s, &change));
                            if devices_tx.send(changed).is_err() {
                                return;
                            }
                            continue;
                        }
                        StoreJob::LoadGuest => {
                            if guest_tx.send(guarded(&store, |s| s.load_guest())).is_err() {
                                return;
                            }
                            continue;
                        }
                        StoreJob::SaveGuest(id) => {
                            let saved = guarded(&store, |s| s.save_guest(id.as_deref()));
                            if let Err(error) = saved {
                                tracing::warn!(%error, "the guest was not kept");
                            }
                            continue;
                        }
                    };
                    let sent = reply_tx.send(StoreReply {
                        generation,
                        job: kind,
                        result,
                    });
                    if sent.is_err() {
                        return;
                    }
                }
            })?;
        Ok(Self {
            jobs: Some(jobs),
            replies,
            devices,
            guest,
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

    /// The next finished session job, if any. Never blocks.
    pub fn try_recv(&self) -> Option<StoreReply> {
        self.replies.try_recv().ok()
    }

    /// The next finished device job, if any. Never blocks.
    pub fn try_recv_devices(&self) -> Option<DevicesReply> {
        self.devices.try_recv().ok()
    }

    /// The next finished [`StoreJob::LoadGuest`], if any. Never blocks.
    pub fn try_recv_guest(&self) -> Option<GuestReply> {
        self.guest.try_recv().ok()
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

/// Runs `job` on the store, or fails as the store did when it was made. A
/// store that panics fails its job; the thread, and the clears queued after
/// it, go on.
fn guarded<T>(
    store: &Result<Arc<dyn SessionStore>, StoreError>,
    job: impl FnOnce(&dyn SessionStore) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let store = store.as_ref().map_err(Clone::clone)?;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&**store)))
        .unwrap_or_else(|_| Err(StoreError::Failed("the session store panicked".into())))
}

/// Reads the devices, changes them and writes them back when they changed.
/// Unreadable devices are replaced; a forget is tried again like a clear.
fn change_devices(
    store: &dyn SessionStore,
    change: &DeviceChange,
) -> Result<RememberedDevices, StoreError> {
    let attempts = match change {
        DeviceChange::Remember { .. } => 1,
        DeviceChange::ForgetAccount(_) | DeviceChange::ForgetKey(_) => CLEAR_ATTEMPTS,
    };
    retried(attempts, || {
        let mut devices = match store.load_devices() {
            Err(StoreError::Corrupt(_)) => RememberedDevices::default(),
            loaded => loaded?,
        };
        if devices.apply(change) {
            store.save_devices(&devices)?;
        }
        Ok(devices)
    })
}

/// Clears, trying again after a short pause when the keychain fails.
fn clear(store: &dyn SessionStore) -> Result<Option<Tokens>, StoreError> {
    retried(CLEAR_ATTEMPTS, || store.clear().map(|()| None))
}

/// `job`, tried up to `attempts` times with a short pause between.
fn retried<T>(
    attempts: u32,
    mut job: impl FnMut() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut attempt = 1;
    loop {
        match job() {
            Err(_) if attempt < attempts => {
                std::thread::sleep(Duration::from_millis(100 * u64::from(attempt)));
                attempt += 1;
            }
            result => return result,
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

#[cfg(test)]
mod device_tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{NewDevice, RememberedDevice};

    /// Keeps devices in memory; its first `failures` device saves fail.
    #[derive(Default)]
    struct Memory {
        devices: Mutex<RememberedDevices>,
        failures: Mutex<u32>,
    }

    impl SessionStore for Memory {
        fn load(&self) -> Result<Option<Tokens>, StoreError> {
            Ok(None)
        }
        fn save(&self, _: &Tokens) -> Result<(), StoreError> {
            Ok(())
        }
        fn clear(&self) -> Result<(), StoreError> {
            Ok(())
        }
        fn load_devices(&self) -> Result<RememberedDevices, StoreError> {
            Ok(self.devices.lock().unwrap().clone())
        }
        fn save_devices(&self, devices: &RememberedDevices) -> Result<(), StoreError> {
            let mut failures = self.failures.lock().unwrap();
            if *failures > 0 {
                *failures -= 1;
                return Err(StoreError::Unavailable("busy".into()));
            }
            *self.devices.lock().unwrap() = devices.clone();
            Ok(())
        }
    }

    fn spawn(store: &Arc<Memory>) -> StoreThread {
        let store = Arc::clone(store);
        StoreThread::spawn(Box::new(move || Ok(store as Arc<dyn SessionStore>))).unwrap()
    }

    fn next(thread: &StoreThread) -> DevicesReply {
        thread.devices.recv_timeout(Duration::from_secs(5)).unwrap()
    }

    #[test]
    fn devices_are_kept_through_a_clear_and_a_forget_is_tried_again() {
        let store = Arc::new(Memory::default());
        let thread = spawn(&store);
        let device = RememberedDevice::new(NewDevice {
            key: "eu-west-1_d".into(),
            group_key: "-g".into(),
        })
        .unwrap();
        thread.run(
            Generation(1),
            StoreJob::ChangeDevices(DeviceChange::Remember {
                account: "4f1c".into(),
                names: vec!["ada".into()],
                device: device.clone(),
            }),
        );
        assert_eq!(next(&thread).unwrap().for_sign_in("ada"), Some(&device));
        thread.run(Generation(2), StoreJob::Clear);
        thread.run(Generation(2), StoreJob::LoadDevices);
        assert_eq!(next(&thread).unwrap().for_sign_in("ada"), Some(&device));

        *store.failures.lock().unwrap() = 2;
        thread.run(
            Generation(2),
            StoreJob::ChangeDevices(DeviceChange::ForgetAccount("4f1c".into())),
        );
        assert!(next(&thread).unwrap().is_empty());
        assert!(store.devices.lock().unwrap().is_empty());
    }

    #[test]
    fn a_store_that_keeps_no_devices_refuses_to_remember_one_and_forgets_quietly() {
        struct Plain;
        impl SessionStore for Plain {
            fn load(&self) -> Result<Option<Tokens>, StoreError> {
                Ok(None)
            }
            fn save(&self, _: &Tokens) -> Result<(), StoreError> {
                Ok(())
            }
            fn clear(&self) -> Result<(), StoreError> {
                Ok(())
            }
        }
        let thread =
            StoreThread::spawn(Box::new(|| Ok(Arc::new(Plain) as Arc<dyn SessionStore>))).unwrap();
        let device = RememberedDevice::new(NewDevice {
            key: "k".into(),
            group_key: "g".into(),
        })
        .unwrap();
        thread.run(
            Generation(1),
            StoreJob::ChangeDevices(DeviceChange::Remember {
                account: "a".into(),
                names: vec![],
                device,
            }),
        );
        assert!(matches!(next(&thread), Err(StoreError::Failed(_))));
        thread.run(
            Generation(1),
            StoreJob::ChangeDevices(DeviceChange::ForgetAccount("a".into())),
        );
        assert_eq!(next(&thread), Ok(RememberedDevices::default()));
    }
}
