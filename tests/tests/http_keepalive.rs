//! A server that closes idle keep-alive connections, as Node's HTTP server under NapCat does
//! after 5 s (scaled down here): with the pool's idle timeout under the server's, no call is
//! sent on a connection the server is closing, so calls spaced around the server's idle time
//! never fail.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use api_core::Client;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Reads one HTTP/1.1 request (headers and a `Content-Length` body) from `stream` into `buf`;
/// `false` when the client closed.
async fn read_request(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> bool {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                buf.drain(..end + 4 + len);
                return true;
            }
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// An HTTP server that answers every request with an ok envelope and closes a connection
/// that has been idle for `idle`; it counts the connections it accepted.
async fn idle_closing_server(idle: Duration) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let body = r#"{"status":"ok","retcode":0,"data":{"online":true,"good":true},"message":"","wording":""}"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
                    body.len()
                );
                // Idle means no new request within `idle` of the last reply.
                while let Ok(true) =
                    tokio::time::timeout(idle, read_request(&mut stream, &mut buf)).await
                {
                    if stream.write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (addr, accepted)
}

#[tokio::test]
async fn calls_spaced_around_the_servers_idle_close_never_fail() {
    let idle = Duration::from_millis(300);
    let (addr, accepted) = idle_closing_server(idle).await;
    let api = Client::builder()
        .base_url(format!("http://{addr}"))
        .http_pool_idle_timeout(idle / 2)
        .build()
        .unwrap();
    let mut failures = Vec::new();
    for i in 0..40u64 {
        // 250, 275, 300, 325, 350 ms: just under, at and just over the server's idle close.
        tokio::time::sleep(Duration::from_millis(250 + (i % 5) * 25)).await;
        if let Err(e) = api.get_status().await {
            failures.push(e.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures: {failures:?}",
        failures.len()
    );
    assert!(
        accepted.load(Ordering::SeqCst) >= 2,
        "idle connections were not reused"
    );
}

#[tokio::test]
async fn calls_in_quick_succession_reuse_the_connection() {
    let (addr, accepted) = idle_closing_server(Duration::from_secs(30)).await;
    let api = Client::builder()
        .base_url(format!("http://{addr}"))
        .build()
        .unwrap();
    for _ in 0..20 {
        api.get_status().await.unwrap();
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "one pooled connection");
}
