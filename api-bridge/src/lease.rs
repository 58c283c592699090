//! Which bridge owns an account: a key per account in a JetStream key-value bucket whose age
//! limit is the lease's TTL. The owner rewrites its key (expecting the revision it last
//! wrote) three times per TTL; a key nobody rewrites ages out, and then another bridge's
//! `create` succeeds. Only the owner answers the account's actions and paces its sends.

use std::time::Duration;

use api_core::Connection;
use async_nats::jetstream::kv::{CreateErrorKind, Operation, Store, UpdateErrorKind, Watch};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Holds (or waits for) the lease on `key` for `holder` while `connection` (to the account's
/// NapCat) is up, until `stop`, saying on `held` whether this bridge owns the account now.
/// On `stop`, or when the connection goes down, a lease held is given up at once (deleted),
/// so that another bridge (one that can reach NapCat) takes over without waiting for it to
/// age out.
pub(crate) async fn hold(
    kv: Store,
    key: String,
    holder: Bytes,
    ttl: Duration,
    held: watch::Sender<bool>,
    stop: CancellationToken,
    mut connection: Connection,
) {
    let renew_every = ttl / 3;
    // The owner stops acting as owner this long after it sent its last successful write, a
    // third of a TTL before the key can age out and another bridge can take it.
    let trust_for = ttl * 2 / 3;
    let retry_every = (ttl / 4).max(Duration::from_millis(50));
    // The revision this bridge last wrote, and until when it may act as owner.
    let mut owned: Option<(u64, Instant)> = None;
    // The key's changes, so that a lease given up is taken at once rather than at the next
    // try (a quarter TTL later); without them, the tries alone.
    let mut changes = match kv.watch(&key).await {
        Ok(changes) => Some(changes),
        Err(e) => {
            tracing::warn!(account = %key, error = %e, "cannot watch the lease; trying every quarter TTL");
            None
        }
    };
    'hold: loop {
        if !connection.is_up() {
            if let Some((revision, _)) = owned.take() {
                tracing::info!(account = %key, "the account's connection is down: giving its lease up");
                give_up(&kv, &key, revision, &held).await;
            }
            tokio::select! {
                () = stop.cancelled() => break,
                up = connection.wait_for(true) => if !up { break },
            }
            continue;
        }
        let mut renewal_failed = false;
        owned = match owned {
            Some((revision, trusted_until)) => {
                let sent = Instant::now();
                // An attempt never runs past the time this bridge may act as owner.
                let within = renew_every.min(trusted_until.saturating_duration_since(sent));
                match renew(&kv, &key, &holder, revision, within).await {
                    Ok(revision) => Some((revision, sent + trust_for)),
                    Err(Renewal::Taken) => {
                        tracing::warn!(account = %key, "lost the lease: another bridge owns the account now");
                        None
                    }
                    Err(e) if Instant::now() < trusted_until => {
                        tracing::warn!(account = %key, error = %e, "could not renew the lease; trying again");
                        renewal_failed = true;
                        Some((revision, trusted_until))
                    }
                    Err(e) => {
                        tracing::warn!(account = %key, error = %e, "lost the lease: another bridge may own the account now");
                        None
                    }
                }
            }
            None => acquire(&kv, &key, &holder, trust_for).await,
        };
        held.send_if_modified(|now| std::mem::replace(now, owned.is_some()) != owned.is_some());
        let wait = match owned {
            // Renewed: again in a third of a TTL; a renewal that failed is tried again sooner.
            // Either way no later than the end of the trust, when the next attempt (given no
            // time) gives the account up.
            Some((_, trusted_until)) => {
                let pause = if renewal_failed {
                    retry_every
                } else {
                    renew_every
                };
                pause.min(trusted_until.saturating_duration_since(Instant::now()))
            }
            None => retry_every,
        };
        let pause = tokio::time::sleep(wait);
        tokio::pin!(pause);
        loop {
            tokio::select! {
                () = stop.cancelled() => break 'hold,
                () = &mut pause => break,
                // Noticed at the top of the loop.
                _ = connection.wait_for(false) => break,
                // The key changed. This bridge's own renewals are read and passed over;
                // another bridge giving the lease up (or writing it) means: try now.
                changed = next_change(&mut changes) => {
                    if !changed {
                        changes = None;
                    }
                    if owned.is_none() {
                        break;
                    }
                }
            }
        }
    }
    if let Some((revision, _)) = owned {
        give_up(&kv, &key, revision, &held).await;
    }
}

/// Waits for the next change of the watched key; `false` when the watch ended (or there is
/// none, in which case it never returns).
async fn next_change(changes: &mut Option<Watch>) -> bool {
    match changes {
        Some(changes) => matches!(changes.next().await, Some(Ok(_))),
        None => std::future::pending().await,
    }
}

/// Stops acting as owner, then deletes the lease written at `revision`.
async fn give_up(kv: &Store, key: &str, revision: u64, held: &watch::Sender<bool>) {
    held.send_replace(false);
    if let Err(e) = kv.delete_expect_revision(key, Some(revision)).await {
        tracing::warn!(account = %key, error = %e, "could not give up the lease; it ages out instead");
    }
}

/// Why a renewal failed.
enum Renewal {
    /// The key holds another revision: the lease aged out and another bridge took it.
    Taken,
    /// The write failed or took too long; the lease may still be this bridge's.
    Failed(String),
}

impl std::fmt::Display for Renewal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Renewal::Taken => f.write_str("another bridge took the lease"),
            Renewal::Failed(why) => f.write_str(why),
        }
    }
}

/// Rewrites the lease at `revision`, giving up after `within`; the new revision.
async fn renew(
    kv: &Store,
    key: &str,
    holder: &Bytes,
    revision: u64,
    within: Duration,
) -> Result<u64, Renewal> {
    match tokio::time::timeout(within, kv.update(key, holder.clone(), revision)).await {
        Ok(Ok(revision)) => Ok(revision),
        Ok(Err(e)) if e.kind() == UpdateErrorKind::WrongLastRevision => Err(Renewal::Taken),
        Ok(Err(e)) => Err(Renewal::Failed(e.to_string())),
        Err(_) => Err(Renewal::Failed(format!("no answer within {within:?}"))),
    }
}

/// Takes the lease on `key` when nobody holds it (or when it names `holder` already: this
/// bridge's own from before a restart); its revision and until when this bridge may act as
/// owner (`trust_for` from the moment the write was sent).
async fn acquire(
    kv: &Store,
    key: &str,
    holder: &Bytes,
    trust_for: Duration,
) -> Option<(u64, Instant)> {
    let sent = Instant::now();
    match kv.create(key, holder.clone()).await {
        Ok(revision) => {
            tracing::info!(account = %key, "took the lease");
            return Some((revision, sent + trust_for));
        }
        Err(e) if e.kind() == CreateErrorKind::AlreadyExists => {}
        Err(e) => {
            tracing::warn!(account = %key, error = %e, "could not take the lease; trying again");
            return None;
        }
    }
    match kv.entry(key).await {
        Ok(Some(entry)) if entry.operation == Operation::Put && entry.value == *holder => {
            let sent = Instant::now();
            match kv.update(key, holder.clone(), entry.revision).await {
                Ok(revision) => Some((revision, sent + trust_for)),
                Err(_) => None,
            }
        }
        _ => None,
    }
}
