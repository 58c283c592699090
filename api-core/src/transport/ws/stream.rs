//! Stream actions over WebSocket: a call whose envelopes all share its echo, handed to its
//! reader as they arrive, held for a while when it does not read.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::error::Error;
use crate::transport::ws::core::{WsCore, request_frame};
use crate::transport::ws::slots::{Ended, Pending, Routed, STREAM_BUFFER, StreamSink};
use crate::wire::reply::{RawReply, is_packet};

/// The envelopes of one stream action's call, as the connection's reader hands them over.
pub(crate) struct WsPackets {
    pub(super) core: Arc<WsCore>,
    pub(super) echo: u64,
    pub(super) rx: mpsc::Receiver<RawReply>,
    pub(super) end: Arc<OnceLock<Ended>>,
    pub(super) stall: Duration,
}

impl WsPackets {
    /// The next envelope; `Err` when they stopped before the final one (the connection
    /// closed, or the stream was not read for its stall time). After the final envelope the
    /// caller stops asking. A request its connection never wrote is sent on the next one.
    pub(crate) async fn next(&mut self, action: &str) -> Result<RawReply, Error> {
        loop {
            if let Some(reply) = self.rx.recv().await {
                return Ok(reply);
            }
            let ended = self
                .end
                .get()
                .cloned()
                .unwrap_or_else(|| Ended::Lost("the connection closed".into()));
            let Ended::Unwritten { frame, .. } = ended else {
                return Err(ended.into_error(action));
            };
            let (slot, rx, end) = stream_slot(self.stall);
            self.core
                .queue_when_up(action, self.echo, frame, slot)
                .await?;
            (self.rx, self.end) = (rx, end);
        }
    }
}

/// A stream's slot, with the receiving end of its envelopes and where the reader says why
/// they stopped.
pub(super) fn stream_slot(
    stall: Duration,
) -> (Pending, mpsc::Receiver<RawReply>, Arc<OnceLock<Ended>>) {
    let (tx, rx) = mpsc::channel(STREAM_BUFFER);
    let end = Arc::new(OnceLock::new());
    let slot = Pending::Stream(StreamSink {
        tx,
        end: end.clone(),
        stall,
    });
    (slot, rx, end)
}

impl WsPackets {
    /// The reader saw the final envelope: the slot is freed.
    pub(crate) fn done(&mut self) {
        self.core.calls(self.echo).pending.remove(&self.echo);
    }
}

impl Drop for WsPackets {
    /// A stream dropped before its final envelope: the rest is skipped when it arrives. If
    /// the final one already arrived unread, the slot is simply freed.
    fn drop(&mut self) {
        let mut ended = false;
        while let Ok(reply) = self.rx.try_recv() {
            ended |= match &reply.parsed {
                Some(parsed) => !is_packet(parsed, &reply.body),
                None => crate::wire::reply::parse("", &reply)
                    .map_or(true, |parsed| !is_packet(&parsed, &reply.body)),
            };
        }
        let pending = &mut self.core.calls(self.echo).pending;
        if ended {
            pending.remove(&self.echo);
        } else if let Some(slot @ Pending::Stream(_)) = pending.get_mut(&self.echo) {
            *slot = Pending::Abandoned;
        }
    }
}

/// Hands a stream's envelope to its reader, or says to wait for room.
pub(super) fn deliver(echo: u64, sink: StreamSink, reply: RawReply, last: bool) -> Routed {
    match sink.tx.try_send(reply) {
        Ok(()) => Routed::Done,
        Err(mpsc::error::TrySendError::Full(reply)) => Routed::Wait {
            echo,
            sink,
            reply,
            last,
        },
        // Its reader is being dropped, which marks the stream abandoned.
        Err(mpsc::error::TrySendError::Closed(_)) => Routed::Done,
    }
}

impl WsCore {
    /// Sends one stream action's call; its envelopes come through the returned packets, each
    /// of which the reader holds for up to `stall` while the caller is not reading.
    pub(crate) async fn send_stream(
        self: &Arc<Self>,
        action: &str,
        params: String,
        stall: Duration,
    ) -> Result<WsPackets, Error> {
        let echo = self.next_echo.fetch_add(1, Ordering::Relaxed);
        let frame = request_frame(action, &params, echo);
        let (slot, rx, end) = stream_slot(stall);
        self.queue_when_up(action, echo, Message::Text(frame.into()), slot)
            .await?;
        // From here on, dropping the packets frees the slot.
        Ok(WsPackets {
            core: self.clone(),
            echo,
            rx,
            end,
            stall,
        })
    }

    /// Waits for room in a stream's full buffer, holding up this connection's reader, for up
    /// to the stream's stall time; then gives up on that stream, which its reader learns as
    /// [`Error::StreamStalled`], and skips its remaining packets.
    pub(super) async fn deliver_late(
        &self,
        echo: u64,
        sink: StreamSink,
        reply: RawReply,
        last: bool,
    ) {
        self.holding.store(true, Ordering::Relaxed);
        let sent = tokio::time::timeout(sink.stall, sink.tx.send(reply)).await;
        self.holding.store(false, Ordering::Relaxed);
        self.received.fetch_add(1, Ordering::Relaxed);
        match sent {
            Ok(_) => {}
            Err(_) => {
                let _ = sink.end.set(Ended::Stalled(sink.stall));
                if !last {
                    self.calls(echo).pending.insert(echo, Pending::Abandoned);
                }
                tracing::warn!(echo, stall = ?sink.stall, "a stream was not read for its stall time; skipping its remaining packets");
            }
        }
    }
}
