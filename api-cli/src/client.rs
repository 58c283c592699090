//! The options of the commands that talk to NapCat (`call`, `download`, `upload`) and the
//! client they make: to `--url`, or to an embedded simulator when none is given.

use std::time::Duration;

use api_core::Client;
use api_sim::{SimConfig, Simulator};
use clap::{Args, ValueEnum};

/// Where NapCat is and how to reach it.
#[derive(Args)]
pub struct ClientArgs {
    /// NapCat's URL (http://… for HTTP, ws://… for WebSocket); without it an embedded
    /// simulator is started.
    #[arg(long, env = "NAPCAT_URL")]
    pub url: Option<String>,
    /// Access token.
    #[arg(long, env = "NAPCAT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Transport to use.
    #[arg(long, value_enum, default_value = "http")]
    pub transport: Transport,
    /// Timeout per call, in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
}

/// How calls go to NapCat.
#[derive(Clone, Copy, ValueEnum)]
pub enum Transport {
    /// POST /{action}.
    Http,
    /// Forward WebSocket.
    Ws,
}

impl ClientArgs {
    /// Embedded-simulator settings for a command that has no `--url` to give (the tour).
    pub fn embedded(transport: Transport) -> ClientArgs {
        ClientArgs {
            url: None,
            token: None,
            transport,
            timeout: 30,
        }
    }

    /// A client for these settings, and the embedded simulator it talks to when no `--url`
    /// was given (kept alive by the caller).
    pub async fn connect(&self) -> Result<(Client, Option<Simulator>), String> {
        let (url, sim) = match &self.url {
            Some(u) => (u.clone(), None),
            None => {
                let sim = Simulator::start(SimConfig {
                    token: self.token.clone(),
                    ..SimConfig::default()
                })
                .await
                .map_err(|e| format!("cannot start the embedded simulator: {e}"))?;
                let url = match self.transport {
                    Transport::Http => sim.http_url(),
                    Transport::Ws => sim.ws_url("/api"),
                };
                eprintln!("no --url given: using the embedded NapCat simulator at {url}");
                (url, Some(sim))
            }
        };
        let mut builder = Client::builder().timeout(Duration::from_secs(self.timeout));
        builder = match self.transport {
            Transport::Http => builder.base_url(url),
            Transport::Ws => builder.ws_url(url),
        };
        if let Some(t) = &self.token {
            builder = builder.access_token(t);
        }
        let client = builder.connect().await.map_err(|e| e.to_string())?;
        Ok((client, sim))
    }
}
