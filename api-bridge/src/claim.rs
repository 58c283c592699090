//! One answer from several accounts, across workers. When several of the bot's accounts sit
//! in one group, each receives the group's messages, and their workers may run anywhere: the
//! first to claim a message here (a key per message in a JetStream key-value bucket) answers
//! it, and the others leave it. The claims age out of the bucket (ten minutes by default).
//!
//! Inside one process, `api_bot::claim::Claim` does the same without NATS. A handler on a
//! worker asks here instead:
//!
//! ```no_run
//! use api_bridge::claim::Claims;
//! use api_bot::extract::State;
//! use api_core::types::MessageEvent;
//!
//! async fn answer(m: MessageEvent, State(claims): State<Claims>) {
//!     if claims.claim(&m).await.unwrap_or(false) {
//!         // This account answers.
//!     }
//! }
//! # async fn run(nats: async_nats::Client) -> Result<(), api_bridge::claim::ClaimError> {
//! let bot = api_bot::Bot::new().state(Claims::open(nats).await?).on(answer);
//! # Ok(()) }
//! ```

use std::fmt::Write;
use std::time::Duration;

use api_bot::claim::MessageKey;
use api_core::types::MessageEvent;
use async_nats::jetstream::{self, kv};
use sha2::{Digest, Sha256};

/// The key-value bucket that holds the claims, by default.
pub const DEFAULT_CLAIM_BUCKET: &str = "napcat_claims";

/// How long a claim is kept, by default.
pub const DEFAULT_CLAIM_TTL: Duration = Duration::from_secs(600);

/// Why a claim could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimError {
    /// The bucket could not be found or made.
    #[error("the claim bucket `{bucket}` could not be found or made: {reason}")]
    Bucket {
        /// The bucket's name.
        bucket: String,
        /// What NATS said.
        reason: String,
    },
    /// The claim could not be read or written.
    #[error("the claim on `{key}` could not be made: {reason}")]
    Store {
        /// The message's key in the bucket.
        key: String,
        /// What NATS said.
        reason: String,
    },
}

/// The claims of every worker, in a key-value bucket. Cloning is cheap.
#[derive(Clone, Debug)]
pub struct Claims {
    kv: kv::Store,
}

impl Claims {
    /// The claims in [`DEFAULT_CLAIM_BUCKET`] (made, with [`DEFAULT_CLAIM_TTL`], when it
    /// does not exist).
    pub async fn open(nats: async_nats::Client) -> Result<Claims, ClaimError> {
        Claims::open_bucket(nats, DEFAULT_CLAIM_BUCKET, DEFAULT_CLAIM_TTL).await
    }

    /// The claims in `bucket`, made with `ttl` as its age limit when it does not exist.
    pub async fn open_bucket(
        nats: async_nats::Client,
        bucket: &str,
        ttl: Duration,
    ) -> Result<Claims, ClaimError> {
        let js = jetstream::new(nats);
        let error = |e: &dyn std::fmt::Display| ClaimError::Bucket {
            bucket: bucket.to_owned(),
            reason: e.to_string(),
        };
        let kv = match js.get_key_value(bucket).await {
            Ok(kv) => kv,
            Err(_) => js
                .create_key_value(kv::Config {
                    bucket: bucket.to_owned(),
                    history: 1,
                    max_age: ttl,
                    ..Default::default()
                })
                .await
                .map_err(|e| error(&e))?,
        };
        Ok(Claims { kv })
    }

    /// Claims `m` for the account that received it: `true` when it is this account's to
    /// answer (claimed now, or by this account before: a worker handling it again after a
    /// crash), `false` when another account has it. A message that is not a group message
    /// (a private one), or that names no account, is always its account's.
    pub async fn claim(&self, m: &MessageEvent) -> Result<bool, ClaimError> {
        let (Some(key), Some(account)) = (MessageKey::of(m), m.self_id) else {
            return Ok(true);
        };
        let (key, account) = (bucket_key(&key), account.0.to_string());
        let error = |e: &dyn std::fmt::Display| ClaimError::Store {
            key: key.clone(),
            reason: e.to_string(),
        };
        match self.kv.create(&key, account.clone().into()).await {
            Ok(_) => return Ok(true),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {}
            Err(e) => return Err(error(&e)),
        }
        let owner = self.kv.get(&key).await.map_err(|e| error(&e))?;
        Ok(owner.is_some_and(|owner| owner == account.as_bytes()))
    }
}

/// A message's key in the bucket: `<group>.<seq>` when the sequence number is a plain token,
/// else `<group>.h<SHA-256 of the rest, first 16 bytes in hex>`.
fn bucket_key(key: &MessageKey) -> String {
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    let (group, hashed) = match key {
        MessageKey::Seq(group, seq) if plain(seq) => return format!("{}.{seq}", group.0),
        MessageKey::Seq(group, seq) => (group, format!("seq\0{seq}")),
        MessageKey::Content(group, sender, time, text) => {
            (group, format!("content\0{}\0{time}\0{text}", sender.0))
        }
    };
    format!("{}.h{}", group.0, hex16(&hashed))
}

/// The first 16 bytes of the SHA-256 of `text`, in hex.
fn hex16(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(32);
    for byte in &digest[..16] {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}
