//! The bridge: it holds NapCat connections, publishes their events to a JetStream stream and
//! answers the workers' action requests for the accounts it owns.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api_core::{Client, Events, ReverseServer};
use async_nats::jetstream::{self, kv, stream};
use bytes::Bytes;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::actions::serve_actions;
use crate::lease;
use crate::options::BridgeOptions;
use crate::publish::{Published, publish_events};
use crate::subject;

/// Why a bridge could not start or take an account.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// The stream could not be found or made.
    #[error("the event stream `{stream}` could not be found or made: {reason}")]
    Stream {
        /// The stream's name.
        stream: String,
        /// What NATS said.
        reason: String,
    },
    /// The lease bucket could not be found or made.
    #[error("the lease bucket `{bucket}` could not be found or made: {reason}")]
    LeaseBucket {
        /// The bucket's name.
        bucket: String,
        /// What NATS said.
        reason: String,
    },
    /// The account is served by this bridge already.
    #[error("account {0} is served by this bridge already")]
    AccountTaken(u64),
    /// The account's id is not a QQ number.
    #[error("`{0}` is not an account id (a QQ number); the connection's X-Self-ID must be one")]
    BadAccountId(String),
    /// The bridge was shut down.
    #[error("the bridge was shut down")]
    ShutDown,
}

/// The bridge between NapCat accounts and the workers on NATS (see the crate's docs).
///
/// Every bridge that sees an account's events publishes them: the stream keeps one copy of
/// each (by its [`EventKey`](crate::event_key::EventKey)), so a second bridge for the same
/// accounts adds no duplicates and loses nothing while the first goes away. Only the bridge
/// that holds an account's lease answers its actions and paces its sends.
///
/// Cloning is cheap; clones are the same bridge.
#[derive(Clone)]
pub struct Bridge {
    shared: Arc<Shared>,
    /// Every account's task and every server's accept loop.
    tasks: TaskTracker,
    stop: CancellationToken,
}

/// What every account's tasks share.
struct Shared {
    nats: async_nats::Client,
    js: jetstream::Context,
    leases: kv::Store,
    lease_ttl: Duration,
    options: BridgeOptions,
    accounts: Mutex<HashMap<u64, Account>>,
}

/// What the bridge knows of an account it serves.
struct Account {
    owned: watch::Receiver<bool>,
    published: watch::Receiver<Published>,
}

impl fmt::Debug for Bridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bridge")
            .field("bridge_id", &self.shared.options.bridge_id)
            .field("stream", &self.shared.options.stream)
            .finish_non_exhaustive()
    }
}

impl Bridge {
    /// A bridge publishing through `nats`: finds (or makes) the event stream and the lease
    /// bucket the options name.
    pub async fn start(
        nats: async_nats::Client,
        options: BridgeOptions,
    ) -> Result<Bridge, BridgeError> {
        let js = jetstream::new(nats.clone());
        js.get_or_create_stream(stream::Config {
            name: options.stream.clone(),
            subjects: vec![subject::events_of(None)],
            duplicate_window: options.duplicate_window,
            ..Default::default()
        })
        .await
        .map_err(|e| BridgeError::Stream {
            stream: options.stream.clone(),
            reason: e.to_string(),
        })?;
        let bucket_error = |e: &dyn fmt::Display| BridgeError::LeaseBucket {
            bucket: options.lease_bucket.clone(),
            reason: e.to_string(),
        };
        let leases = match js.get_key_value(&options.lease_bucket).await {
            Ok(leases) => leases,
            Err(_) => js
                .create_key_value(kv::Config {
                    bucket: options.lease_bucket.clone(),
                    history: 1,
                    max_age: options.lease_ttl,
                    ..Default::default()
                })
                .await
                .map_err(|e| bucket_error(&e))?,
        };
        let lease_ttl = leases
            .status()
            .await
            .map_err(|e| bucket_error(&e))?
            .max_age();
        if lease_ttl.is_zero() {
            return Err(bucket_error(
                &"it keeps keys forever, so a dead bridge's lease never ends; remove it or give it an age limit",
            ));
        }
        if lease_ttl != options.lease_ttl {
            tracing::warn!(bucket = %options.lease_bucket, ?lease_ttl, "the lease bucket exists with another age limit; leases last that long");
        }
        Ok(Bridge {
            shared: Arc::new(Shared {
                nats,
                js,
                leases,
                lease_ttl,
                options,
                accounts: Mutex::new(HashMap::new()),
            }),
            tasks: TaskTracker::new(),
            stop: CancellationToken::new(),
        })
    }

    /// How long a lease lasts without renewal (the bucket's age limit).
    pub fn lease_ttl(&self) -> Duration {
        self.shared.lease_ttl
    }

    /// Serves the account `self_id` over `client`, whose events `events` yields: publishes
    /// them, and, while this bridge holds the account's lease, answers its actions. It goes on
    /// until the events end (the client was closed) or the bridge shuts down.
    pub fn serve_account(
        &self,
        self_id: u64,
        client: Client,
        events: Events,
    ) -> Result<(), BridgeError> {
        if self.stop.is_cancelled() {
            return Err(BridgeError::ShutDown);
        }
        let (owned_tx, owned) = watch::channel(false);
        let (published_tx, published) = watch::channel(Published::default());
        {
            let mut accounts = self.shared.accounts.lock().expect("not poisoned");
            if accounts.contains_key(&self_id) {
                return Err(BridgeError::AccountTaken(self_id));
            }
            accounts.insert(
                self_id,
                Account {
                    owned: owned.clone(),
                    published,
                },
            );
        }
        if let Some(pacing) = &self.shared.options.pacing {
            client.set_pacing(pacing.clone());
        }
        let shared = self.shared.clone();
        let stop = self.stop.child_token();
        self.tasks.spawn(async move {
            let account_stop = CancellationToken::new();
            let holding = tokio::spawn(lease::hold(
                shared.leases.clone(),
                self_id.to_string(),
                Bytes::from(shared.options.bridge_id.clone()),
                shared.lease_ttl,
                owned_tx,
                account_stop.clone(),
            ));
            let answering = tokio::spawn(serve_actions(
                shared.nats.clone(),
                self_id,
                client,
                shared.options.queue_group.clone(),
                owned,
                account_stop.clone(),
            ));
            // Until the account's client is closed or the bridge stops.
            publish_events(
                shared.js.clone(),
                events,
                shared.options.publish_window,
                published_tx,
                stop,
            )
            .await;
            account_stop.cancel();
            let _ = tokio::join!(holding, answering);
            shared
                .accounts
                .lock()
                .expect("not poisoned")
                .remove(&self_id);
            tracing::info!(self_id, "stopped serving the account");
        });
        Ok(())
    }

    /// Serves every account that connects to `server` (NapCat's reverse WebSocket), from now
    /// until the bridge shuts down (which shuts the server down too). An account whose
    /// `X-Self-ID` is not a QQ number is refused and its connection closed.
    pub fn serve_reverse(&self, mut server: ReverseServer) -> Result<(), BridgeError> {
        if self.stop.is_cancelled() {
            return Err(BridgeError::ShutDown);
        }
        let bridge = self.clone();
        self.tasks.spawn(async move {
            loop {
                let connected = tokio::select! {
                    connected = server.accept() => connected,
                    () = bridge.stop.cancelled() => None,
                };
                let Some(account) = connected else { break };
                let served = match account.self_id.parse::<u64>() {
                    Ok(self_id) => {
                        bridge.serve_account(self_id, account.client.clone(), account.events)
                    }
                    Err(_) => Err(BridgeError::BadAccountId(account.self_id.clone())),
                };
                match served {
                    Ok(()) => tracing::info!(self_id = %account.self_id, "an account connected"),
                    Err(e) => {
                        tracing::warn!(self_id = %account.self_id, error = %e, "refused an account");
                        account.client.close().await;
                    }
                }
            }
            server.shutdown().await;
        });
        Ok(())
    }

    /// The accounts this bridge serves, each with whether it holds the account's lease.
    pub fn accounts(&self) -> Vec<(u64, bool)> {
        let accounts = self.shared.accounts.lock().expect("not poisoned");
        let mut list: Vec<_> = accounts
            .iter()
            .map(|(id, account)| (*id, *account.owned.borrow()))
            .collect();
        list.sort_unstable();
        list
    }

    /// What happened to the events of `self_id` so far, while this bridge serves it.
    pub fn published(&self, self_id: u64) -> Option<Published> {
        let accounts = self.shared.accounts.lock().expect("not poisoned");
        accounts.get(&self_id).map(|a| *a.published.borrow())
    }

    /// Waits until this bridge holds (`true`) or does not hold (`false`) the lease of
    /// `self_id`; `false` returned when the bridge stops serving the account first.
    pub async fn wait_for_lease(&self, self_id: u64, held: bool) -> bool {
        let owned = {
            let accounts = self.shared.accounts.lock().expect("not poisoned");
            accounts.get(&self_id).map(|a| a.owned.clone())
        };
        match owned {
            Some(mut owned) => owned.wait_for(|now| *now == held).await.is_ok(),
            None => false,
        }
    }

    /// Stops: takes no more events, waits until the stream has acknowledged the events on
    /// their way, finishes the action requests being answered, and gives up the leases held
    /// (so another bridge takes over at once).
    pub async fn shutdown(&self) {
        self.stop.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}
