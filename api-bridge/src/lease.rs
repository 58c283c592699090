//! Which bridge owns an account: a key per account in a JetStream key-value bucket whose age
//! limit is the lease's TTL. The owner rewrites its key (expecting the revision it last
//! wrote) three times per TTL; a key nobody rewrites ages out, and then another bridge's
//! `create` succeeds. Only the owner answers the account's actions and paces its sends.

use std::time::Duration;

use async_nats::jetstream::kv::{CreateErrorKind, Operation, Store, UpdateErrorKind};
use bytes::Bytes;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Holds (or waits for) the lease on `key` for `holder` until `stop`, saying on `held`
/// whether this bridge owns the account now. On `stop` a lease held is given up at once
/// (deleted), so another bridge takes over without waiting for it to age out.
pub(crate) async fn hold(
    kv: Store,
    key: String,
    holder: Bytes,
    ttl: Duration,
    held: watch::Sender<bool>,
    stop: CancellationToken,
) {
    let renew_every = ttl / 3;
    // The owner stops acting as owner this long after its last renewal, a third of a TTL
    // before the key can age out and another bridge can take it.
    let trust_for = ttl * 2 / 3;
    let retry_every = (ttl / 4).max(Duration::from_millis(50));
    // The revision this bridge last wrote, and when, while it owns the account.
    let mut owned: Option<(u64, Instant)> = None;
    loop {
        owned = match owned {
            Some((revision, renewed)) => {
                match renew(&kv, &key, &holder, revision, renew_every).await {
                    Ok(revision) => Some((revision, Instant::now())),
                    Err(Renewal::Taken) => {
                        tracing::warn!(account = %key, "lost the lease: another bridge owns the account now");
                        None
                    }
                    Err(e) if renewed.elapsed() < trust_for => {
                        tracing::warn!(account = %key, error = %e, "could not renew the lease; trying again");
                        Some((revision, renewed))
                    }
                    Err(e) => {
                        tracing::warn!(account = %key, error = %e, "lost the lease: another bridge may own the account now");
                        None
                    }
                }
            }
            None => acquire(&kv, &key, &holder).await,
        };
        held.send_if_modified(|now| std::mem::replace(now, owned.is_some()) != owned.is_some());
        let wait = if owned.is_some() {
            renew_every
        } else {
            retry_every
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
        }
    }
    if let Some((revision, _)) = owned {
        held.send_replace(false);
        if let Err(e) = kv.delete_expect_revision(&key, Some(revision)).await {
            tracing::warn!(account = %key, error = %e, "could not give up the lease; it ages out instead");
        }
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
/// bridge's own from before a restart); its revision and the time it was written.
async fn acquire(kv: &Store, key: &str, holder: &Bytes) -> Option<(u64, Instant)> {
    match kv.create(key, holder.clone()).await {
        Ok(revision) => {
            tracing::info!(account = %key, "took the lease");
            return Some((revision, Instant::now()));
        }
        Err(e) if e.kind() == CreateErrorKind::AlreadyExists => {}
        Err(e) => {
            tracing::warn!(account = %key, error = %e, "could not take the lease; trying again");
            return None;
        }
    }
    match kv.entry(key).await {
        Ok(Some(entry)) if entry.operation == Operation::Put && entry.value == *holder => {
            match kv.update(key, holder.clone(), entry.revision).await {
                Ok(revision) => Some((revision, Instant::now())),
                Err(_) => None,
            }
        }
        _ => None,
    }
}
