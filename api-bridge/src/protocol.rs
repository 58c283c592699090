//! What an action request and its answer carry besides the params and NapCat's reply.
//!
//! A request's payload is the action's params as JSON (an empty payload means `{}`); its
//! subject names the account and the action ([`subject::action`](crate::subject::action)). The
//! answer's payload is NapCat's reply as NapCat sent it. When the bridge got no reply to hand
//! on, the answer's payload is empty and its headers say why.

/// Request header: how long the bridge waits for NapCat's reply, in milliseconds (the
/// bridge's client's default timeout when absent).
pub const TIMEOUT_MS: &str = "Napcat-Timeout-Ms";

/// Answer header: why there is no reply, one of the [`Failure`] names.
pub const FAILURE: &str = "Napcat-Bridge-Failure";

/// Answer header: the bridge's description of the failure, for a person.
pub const FAILURE_MESSAGE: &str = "Napcat-Bridge-Message";

/// Why an action request has no reply from NapCat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The request's params are not a JSON object.
    BadRequest,
    /// NapCat did not answer in time.
    Timeout,
    /// The connection to NapCat ended before the reply came.
    Disconnected,
    /// The bridge's client for the account was closed.
    Closed,
    /// NapCat refused the bridge's access token.
    Auth,
    /// Anything else; the message says what.
    Other,
}

impl Failure {
    /// The header value.
    pub fn name(self) -> &'static str {
        match self {
            Failure::BadRequest => "bad-request",
            Failure::Timeout => "timeout",
            Failure::Disconnected => "disconnected",
            Failure::Closed => "closed",
            Failure::Auth => "auth",
            Failure::Other => "other",
        }
    }

    /// The failure a header value names; an unknown one is [`Failure::Other`].
    pub fn from_name(name: &str) -> Failure {
        match name {
            "bad-request" => Failure::BadRequest,
            "timeout" => Failure::Timeout,
            "disconnected" => Failure::Disconnected,
            "closed" => Failure::Closed,
            "auth" => Failure::Auth,
            _ => Failure::Other,
        }
    }

    /// The failure of a call that ended with `error`.
    pub fn of(error: &api_core::Error) -> Failure {
        match error {
            api_core::Error::Timeout { .. } => Failure::Timeout,
            api_core::Error::Disconnected { .. } => Failure::Disconnected,
            api_core::Error::Closed { .. } => Failure::Closed,
            api_core::Error::InvalidArgument { .. } => Failure::BadRequest,
            api_core::Error::Auth { .. } => Failure::Auth,
            _ => Failure::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_reads_back_from_its_name() {
        for failure in [
            Failure::BadRequest,
            Failure::Timeout,
            Failure::Disconnected,
            Failure::Closed,
            Failure::Auth,
            Failure::Other,
        ] {
            assert_eq!(Failure::from_name(failure.name()), failure);
        }
        assert_eq!(Failure::from_name("something new"), Failure::Other);
    }
}
