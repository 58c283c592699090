//! Opening a forward WebSocket connection: TCP (and TLS for `wss://`), then the upgrade, with
//! the access token written into the request below the WebSocket library.
//!
//! The library logs every upgrade request it writes, whole, at TRACE through the `log` facade,
//! which a bot's output gets through `tracing_subscriber::fmt().init()` or `env_logger`. So it
//! is given the request with [`PLACEHOLDER`] where the token goes, and [`TokenWriter`], the
//! connection it writes to, puts the token in its place on the way out.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// What the WebSocket library is given (and logs) where the access token goes.
pub(crate) const PLACEHOLDER: &str = "redacted-access-token";

/// The longest upgrade request head [`TokenWriter`] collects before it gives up looking for
/// its end and passes the bytes on unchanged.
const MAX_HEAD: usize = 64 * 1024;

/// A connection whose upgrade request goes out with `find` replaced by `put`, once.
pub(crate) struct Swap {
    /// The bytes as the WebSocket library writes them, around [`PLACEHOLDER`].
    pub(crate) find: Vec<u8>,
    /// The same with the token.
    pub(crate) put: Vec<u8>,
}

/// A connection as the WebSocket library sees it: what it writes up to the end of the request
/// head (`\r\n\r\n`) is held, then written with the token in place of the placeholder;
/// everything after, and everything read, passes through.
pub(crate) struct TokenWriter<S> {
    inner: S,
    /// The swap still to make, with the head collected so far.
    pending: Option<(Swap, Vec<u8>)>,
    /// Bytes taken from the library and not yet written to `inner`.
    out: Vec<u8>,
    written: usize,
}

impl<S> TokenWriter<S> {
    pub(crate) fn new(inner: S, swap: Option<Swap>) -> Self {
        TokenWriter {
            inner,
            pending: swap.map(|s| (s, Vec::new())),
            out: Vec::new(),
            written: 0,
        }
    }
}

impl<S: AsyncWrite + Unpin> TokenWriter<S> {
    /// Writes what `out` holds.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.out.len() {
            let n = std::task::ready!(
                Pin::new(&mut self.inner).poll_write(cx, &self.out[self.written..])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.out.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }

    /// Takes bytes of the request head from `buf`; returns how many.
    fn collect(&mut self, buf: &[u8]) -> usize {
        let Some((_, head)) = &mut self.pending else {
            return 0;
        };
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(buf);
        let end = find(&head[from..], b"\r\n\r\n").map(|i| from + i + 4);
        let Some(end) = end.or((head.len() > MAX_HEAD).then_some(head.len())) else {
            return buf.len();
        };
        let taken = buf.len() - (head.len() - end);
        let Some((swap, mut head)) = self.pending.take() else {
            return taken;
        };
        head.truncate(end);
        self.out = match find(&head, &swap.find) {
            Some(at) => [&head[..at], &swap.put, &head[at + swap.find.len()..]].concat(),
            None => head,
        };
        taken
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TokenWriter<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.drain(cx))?;
        if self.pending.is_some() {
            return Poll::Ready(Ok(self.collect(buf)));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TokenWriter<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

/// A forward WebSocket connection.
pub(crate) type Upgraded = WebSocketStream<TokenWriter<MaybeTlsStream<TcpStream>>>;

/// Connects to the request's host (with TLS for `wss://`) and upgrades, making `swap` on the
/// way out.
pub(crate) async fn open(
    req: Request,
    swap: Option<Swap>,
    config: WebSocketConfig,
    nodelay: bool,
) -> Result<Upgraded, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::error::UrlError;
    let uri = req.uri();
    let host = uri.host().ok_or(UrlError::NoHostName)?;
    // IPv6 literals come bracketed in a URL, and without brackets to connect and check a name.
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let tls = match uri.scheme_str() {
        Some("wss") => true,
        Some("ws") => false,
        _ => return Err(UrlError::UnsupportedUrlScheme.into()),
    };
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let tcp = TcpStream::connect((host.as_str(), port)).await?;
    if nodelay {
        tcp.set_nodelay(true)?;
    }
    let stream = if tls {
        secure(tcp, host).await?
    } else {
        MaybeTlsStream::Plain(tcp)
    };
    let writer = TokenWriter::new(stream, swap);
    let (ws, _) = tokio_tungstenite::client_async_with_config(req, writer, Some(config)).await?;
    Ok(ws)
}

/// TLS over `tcp`, checked against the system's root certificates.
#[cfg(feature = "tls")]
async fn secure(
    tcp: TcpStream,
    host: String,
) -> Result<MaybeTlsStream<TcpStream>, tokio_tungstenite::tungstenite::Error> {
    use std::sync::Arc;
    use tokio_rustls::rustls::pki_types::ServerName;
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};
    use tokio_tungstenite::tungstenite::error::TlsError;

    let mut roots = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    if found.certs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no root certificates found: {:?}", found.errors),
        )
        .into());
    }
    roots.add_parsable_certificates(found.certs);
    let config = ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(host).map_err(|_| TlsError::InvalidDnsName)?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    Ok(MaybeTlsStream::Rustls(tls))
}

/// Without the `tls` feature, `wss://` cannot be served.
#[cfg(not(feature = "tls"))]
async fn secure(
    _tcp: TcpStream,
    _host: String,
) -> Result<MaybeTlsStream<TcpStream>, tokio_tungstenite::tungstenite::Error> {
    Err(tokio_tungstenite::tungstenite::error::UrlError::TlsFeatureNotEnabled.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn the_head_goes_out_with_the_token_in_place_whatever_the_writes() {
        let head = format!("GET / HTTP/1.1\r\nauthorization: Bearer {PLACEHOLDER}\r\n\r\n");
        let swap = || Swap {
            find: format!("Bearer {PLACEHOLDER}\r\n").into_bytes(),
            put: b"Bearer s3cret\r\n".to_vec(),
        };
        let want = b"GET / HTTP/1.1\r\nauthorization: Bearer s3cret\r\n\r\nframe".to_vec();
        for step in 1..head.len() + 6 {
            let mut writer = TokenWriter::new(Vec::new(), Some(swap()));
            let sent = [head.as_bytes(), b"frame"].concat();
            for piece in sent.chunks(step) {
                writer.write_all(piece).await.unwrap();
            }
            writer.flush().await.unwrap();
            assert_eq!(writer.inner, want, "writes of {step} bytes");
        }
    }
}
