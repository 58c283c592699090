//! Taking connections for the servers the bot runs (reverse WebSocket, HTTP post): at most so
//! many at once, and a pause after an accept that failed.
//!
//! At the cap no connection is accepted: those that come wait in the system's backlog until
//! one ends. An accept fails mostly when the process is out of file descriptors; trying again
//! at once would spin a core and log as fast as it can until some close, so the listener
//! waits, from [`FIRST_PAUSE`] doubling up to [`LONGEST_PAUSE`], logging each failure once.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The pause after the first failed accept in a row.
pub(crate) const FIRST_PAUSE: Duration = Duration::from_millis(10);

/// The longest pause between failed accepts.
pub(crate) const LONGEST_PAUSE: Duration = Duration::from_secs(1);

/// A listening socket and the connections it may still take.
pub(crate) struct Listener {
    socket: TcpListener,
    room: Arc<Semaphore>,
    pause: Pause,
    /// What the log calls this server.
    server: &'static str,
}

/// A connection taken, with its place among the server's connections: the place is given back
/// when this (or what it was moved into) is dropped.
pub(crate) struct Accepted {
    pub(crate) stream: TcpStream,
    pub(crate) peer: SocketAddr,
    pub(crate) place: OwnedSemaphorePermit,
}

impl Listener {
    /// Takes at most `max_connections` connections at once (at least 1).
    pub(crate) fn new(socket: TcpListener, max_connections: usize, server: &'static str) -> Self {
        Listener {
            socket,
            room: Arc::new(Semaphore::new(max_connections.max(1))),
            pause: Pause::default(),
            server,
        }
    }

    /// The next connection, once there is room for it.
    pub(crate) async fn next(&mut self) -> Accepted {
        let place = self
            .room
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let socket = &self.socket;
        let (stream, peer) = self.pause.accept(|| socket.accept(), self.server).await;
        Accepted {
            stream,
            peer,
            place,
        }
    }
}

/// The pause between failed accepts.
#[derive(Default)]
pub(crate) struct Pause {
    /// Failed accepts in a row.
    failures: u32,
}

impl Pause {
    /// Calls `accept` until it succeeds, pausing after each failure.
    pub(crate) async fn accept<T, F, Fut>(&mut self, mut accept: F, server: &'static str) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = io::Result<T>>,
    {
        loop {
            match accept().await {
                Ok(taken) => {
                    self.failures = 0;
                    return taken;
                }
                // The peer gave up before its connection was taken: nothing is wrong here.
                Err(e) if peer_gone(&e) => {}
                Err(e) => {
                    let pause = self.next_pause();
                    tracing::warn!(server, error = %e, retry_in = ?pause, "accepting a connection failed (out of file descriptors?)");
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }

    fn next_pause(&mut self) -> Duration {
        let pause = FIRST_PAUSE
            .saturating_mul(1 << self.failures.min(16))
            .min(LONGEST_PAUSE);
        self.failures = self.failures.saturating_add(1);
        pause
    }
}

fn peer_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Out of descriptors for a minute of (paused) time: the accept is tried about once a
    /// second once the pause has grown, not as fast as the loop can spin.
    #[tokio::test(start_paused = true)]
    async fn failed_accepts_are_tried_again_with_a_growing_pause() {
        let tries = AtomicUsize::new(0);
        let failing = || {
            tries.fetch_add(1, Ordering::Relaxed);
            std::future::ready(Err::<(), _>(io::Error::from_raw_os_error(24)))
        };
        let mut pause = Pause::default();
        let minute = tokio::time::sleep(Duration::from_secs(60));
        tokio::select! {
            () = pause.accept(failing, "test") => unreachable!(),
            () = minute => {}
        }
        // 10 ms, 20 ms, … 640 ms, then 1 s apart: 7 + 59 tries, give or take one.
        let tries = tries.load(Ordering::Relaxed);
        assert!((60..=70).contains(&tries), "{tries} tries");
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_starts_the_pause_over_and_a_vanished_peer_costs_none() {
        let mut pause = Pause::default();
        for _ in 0..10 {
            pause.next_pause();
        }
        let mut results = vec![
            Ok(1),
            Err(io::Error::from(io::ErrorKind::ConnectionAborted)),
        ];
        let before = tokio::time::Instant::now();
        let got = pause
            .accept(|| std::future::ready(results.pop().unwrap()), "test")
            .await;
        assert_eq!((got, before.elapsed()), (1, Duration::ZERO));
        assert_eq!(pause.next_pause(), FIRST_PAUSE);
    }
}
