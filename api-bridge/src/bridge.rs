//! The bridge: it holds NapCat connections, publishes their events to a JetStream stream and
//! answers the workers' action requests for the accounts it owns.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api_core::{Client, Events, ReverseOptions, ReverseServer};
use async_nats::jetstream::{self, kv, stream};
use bytes::Bytes;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::actions::serve_actions;
use crate::lease;
use crate::options::BridgeOptions;
use crate::partition::{self, Partitions};
use crate::publish::{Published, publish_events};
use crate::subject;

/// How many events of one account may wait for the publisher in a server bound with
/// [`Bridge::reverse_options`].
pub const BRIDGE_EVENT_BUFFER: usize = 1 << 16;

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
    /// The stream divides each account's events into another count of chat partitions than
    /// this bridge would.
    #[error(
        "the event stream `{stream}` divides each account's events into {stream_has} chat partitions, \
         this bridge into {ours}; start it with {stream_has} partitions (every bridge of a stream \
         uses one count), or publish to another stream"
    )]
    Partitions {
        /// The stream's name.
        stream: String,
        /// The stream's count.
        stream_has: Partitions,
        /// This bridge's count.
        ours: Partitions,
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
/// that holds an account's lease answers its actions and paces its sends, and a bridge holds
/// an account only while its connection to that account's NapCat is up.
///
/// Cloning is cheap; clones are the same bridge. Its tasks run until
/// [`shutdown`](Bridge::shutdown): dropping every handle does not stop them.
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
    /// The leases, through a JetStream context of their own.
    leases: kv::Store,
    lease_ttl: Duration,
    options: BridgeOptions,
    accounts: Mutex<HashMap<u64, Account>>,
    /// Told whenever an account is added.
    joined: tokio::sync::Notify,
}

/// What the bridge knows of an account it serves.
struct Account {
    owned: watch::Receiver<bool>,
    published: watch::Receiver<Published>,
}

/// Forgets an account when its task ends.
struct Forget {
    shared: Arc<Shared>,
    self_id: u64,
}

impl Drop for Forget {
    fn drop(&mut self) {
        let mut accounts = self
            .shared
            .accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        accounts.remove(&self.self_id);
    }
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
        let stream_error = |e: &dyn fmt::Display| BridgeError::Stream {
            stream: options.stream.clone(),
            reason: e.to_string(),
        };
        let partitions = options.partitions;
        let mut events = js
            .get_or_create_stream(stream::Config {
                name: options.stream.clone(),
                subjects: vec![subject::events_of(None)],
                duplicate_window: options.duplicate_window,
                metadata: HashMap::from([(
                    partition::METADATA_KEY.to_owned(),
                    partitions.to_string(),
                )]),
                ..Default::default()
            })
            .await
            .map_err(|e| stream_error(&e))?;
        agree_on_partitions(&js, &mut events, partitions)
            .await
            .map_err(|e| match e {
                Disagreement::Differs(stream_has) => BridgeError::Partitions {
                    stream: options.stream.clone(),
                    stream_has,
                    ours: partitions,
                },
                Disagreement::Failed(reason) => stream_error(&reason),
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
                leases,
                lease_ttl,
                options,
                accounts: Mutex::new(HashMap::new()),
                joined: tokio::sync::Notify::new(),
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
        self.shared.joined.notify_waiters();
        if let Some(pacing) = &self.shared.options.pacing {
            client.set_pacing(pacing.clone());
        }
        let shared = self.shared.clone();
        let stop = self.stop.child_token();
        let tasks = self.tasks.clone();
        self.tasks.spawn(async move {
            // However this task ends (a panic included), the lease and the action server
            // stop and the account is forgotten.
            let account_stop = CancellationToken::new();
            let _stop_both = account_stop.clone().drop_guard();
            let _forget = Forget {
                shared: shared.clone(),
                self_id,
            };
            let holding = tasks.spawn(lease::hold(
                shared.leases.clone(),
                self_id.to_string(),
                Bytes::from(shared.options.bridge_id.clone()),
                shared.lease_ttl,
                owned_tx,
                account_stop.clone(),
                client.connection(),
            ));
            let answering = tasks.spawn(serve_actions(
                shared.nats.clone(),
                self_id,
                client,
                shared.options.queue_group.clone(),
                owned,
                account_stop.clone(),
            ));
            // Until the account's client is closed or the bridge stops. A context of its
            // own: the acknowledgements it waits for are bounded per context, and one
            // account's must not hold up another's, nor the leases'.
            publish_events(
                jetstream::new(shared.nats.clone()),
                events,
                shared.options.publish_window,
                shared.options.partitions,
                published_tx,
                stop,
            )
            .await;
            account_stop.cancel();
            let _ = tokio::join!(holding, answering);
            tracing::info!(self_id, "stopped serving the account");
        });
        Ok(())
    }

    /// Settings for the [`ReverseServer`] a bridge serves: the defaults, except that each
    /// account keeps up to [`BRIDGE_EVENT_BUFFER`] events (still within the byte limit, 64 MiB
    /// per account by default) for the publisher, so that a burst from NapCat waits for the
    /// stream instead of being dropped.
    pub fn reverse_options() -> ReverseOptions {
        ReverseOptions {
            event_buffer: BRIDGE_EVENT_BUFFER,
            ..ReverseOptions::default()
        }
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

    /// Waits until this bridge serves `self_id` and holds (`true`) or does not hold
    /// (`false`) its lease; `false` when the bridge stops (or stops serving the account)
    /// first.
    pub async fn wait_for_lease(&self, self_id: u64, held: bool) -> bool {
        let mut owned = loop {
            // Listening before looking, so that an account that joins in between is seen.
            let joined = self.shared.joined.notified();
            tokio::pin!(joined);
            joined.as_mut().enable();
            let owned = {
                let accounts = self.shared.accounts.lock().expect("not poisoned");
                accounts.get(&self_id).map(|a| a.owned.clone())
            };
            if let Some(owned) = owned {
                break owned;
            }
            tokio::select! {
                () = joined => {}
                () = self.stop.cancelled() => return false,
            }
        };
        owned.wait_for(|now| *now == held).await.is_ok()
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

/// Why a stream and a bridge do not agree on the count of chat partitions.
enum Disagreement {
    /// The stream has this count.
    Differs(Partitions),
    /// The stream could not be read or written, for this reason.
    Failed(String),
}

/// Makes sure the stream `events` divides chats into `ours` partitions: the count is written
/// into a stream that has none (one made by other means), and a stream with another count is
/// refused.
async fn agree_on_partitions(
    js: &jetstream::Context,
    events: &mut stream::Stream,
    ours: Partitions,
) -> Result<(), Disagreement> {
    let failed = |e: &dyn fmt::Display| Disagreement::Failed(e.to_string());
    let mut config = events.cached_info().config.clone();
    if Partitions::from_metadata(&config.metadata)
        .map_err(|e| failed(&e))?
        .is_none()
    {
        config
            .metadata
            .insert(partition::METADATA_KEY.to_owned(), ours.to_string());
        js.update_stream(&config).await.map_err(|e| failed(&e))?;
        // Read again: another bridge may have written its own count meanwhile.
        config = events.info().await.map_err(|e| failed(&e))?.config.clone();
    }
    match Partitions::from_metadata(&config.metadata).map_err(|e| failed(&e))? {
        Some(has) if has != ours => Err(Disagreement::Differs(has)),
        Some(_) => Ok(()),
        None => Err(failed(
            &"the server does not keep a stream's metadata, where the count of chat partitions \
              is written (servers before 2.10 drop it); run nats-server 2.10 or later",
        )),
    }
}
