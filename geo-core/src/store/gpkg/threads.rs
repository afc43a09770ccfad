//! Connection threads: SQLite calls block, so each connection lives on its own OS thread
//! and async callers send it closures over a channel, getting the result back through a
//! `tokio::sync::oneshot` (which works on any executor, so geo-core needs no runtime).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::{Error, Result};

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A fixed set of threads, each owning one connection, serving jobs from one queue.
pub struct ConnThreads {
    tx: Option<mpsc::Sender<Job>>,
    handles: Vec<JoinHandle<()>>,
    name: &'static str,
}

impl ConnThreads {
    /// Starts one thread per connection, each with a connection made by `open`.
    pub fn start(
        name: &'static str,
        threads: usize,
        mut open: impl FnMut() -> Result<Connection>,
    ) -> Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut handles = Vec::with_capacity(threads);
        for i in 0..threads {
            // Open on the caller's thread so that a failure is reported by `start`.
            let mut conn = open()?;
            let rx = Arc::clone(&rx);
            let handle = std::thread::Builder::new()
                .name(format!("onemap-gpkg-{name}-{i}"))
                .spawn(move || loop {
                    // The lock is held only while taking a job, never while running it.
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(&mut conn),
                        Err(_) => return,
                    }
                })?;
            handles.push(handle);
        }
        Ok(Self {
            tx: Some(tx),
            handles,
            name,
        })
    }

    /// Runs `f` on one of the connections and awaits its result.
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R> + Send + 'static,
    ) -> Result<R> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            // The caller may have gone away (future dropped); its result is then unwanted.
            let _ = reply.send(f(conn));
        });
        self.tx
            .as_ref()
            .ok_or_else(|| self.stopped())?
            .send(job)
            .map_err(|_| self.stopped())?;
        answer.await.map_err(|_| self.stopped())?
    }

    fn stopped(&self) -> Error {
        Error::Unavailable(format!("GeoPackage {} thread has stopped", self.name))
    }
}

impl Drop for ConnThreads {
    /// Lets queued jobs finish, then closes the connections (a clean WAL checkpoint).
    fn drop(&mut self) {
        self.tx = None;
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}
