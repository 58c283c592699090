//! Whether a client's connection to NapCat is up, as it changes: what a bridge watches to hold
//! an account only while it can reach it.

#[cfg(feature = "ws")]
use tokio::sync::watch;

#[cfg(feature = "ws")]
use crate::transport::ws::slots::ConnState;

/// A client's connection to NapCat, watched (from [`Client::connection`](crate::client::Client::connection)).
///
/// Over WebSocket (forward, or an account of a reverse server) it follows the connection: down
/// while the client reconnects or waits for NapCat to dial in again. A client without a
/// lasting connection (HTTP, a relay) is always up.
#[derive(Debug, Clone)]
pub struct Connection {
    #[cfg(feature = "ws")]
    state: Option<watch::Receiver<ConnState>>,
}

impl Connection {
    /// A connection that is always up.
    pub(crate) fn always_up() -> Connection {
        Connection {
            #[cfg(feature = "ws")]
            state: None,
        }
    }

    /// A WebSocket connection's state.
    #[cfg(feature = "ws")]
    pub(crate) fn watching(state: watch::Receiver<ConnState>) -> Connection {
        Connection { state: Some(state) }
    }

    /// Whether the connection is up now.
    pub fn is_up(&self) -> bool {
        #[cfg(feature = "ws")]
        if let Some(state) = &self.state {
            return matches!(*state.borrow(), ConnState::Up(_));
        }
        true
    }

    /// Waits until the connection is up (`up`) or down (`!up`). `false` when it never will be
    /// again: the client was closed, or NapCat refused its token. A connection that is always
    /// up never goes down: waiting for that never ends.
    pub async fn wait_for(&mut self, up: bool) -> bool {
        #[cfg(feature = "ws")]
        if let Some(state) = &mut self.state {
            let reached = state
                .wait_for(|s| {
                    matches!(s, ConnState::Closed(_) | ConnState::AuthFailed(_))
                        || matches!(s, ConnState::Up(_)) == up
                })
                .await
                .map(|s| !matches!(*s, ConnState::Closed(_) | ConnState::AuthFailed(_)));
            return reached.unwrap_or(false);
        }
        if !up {
            std::future::pending::<()>().await;
        }
        true
    }
}
