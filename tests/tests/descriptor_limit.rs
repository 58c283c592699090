//! The servers a bot runs (reverse WebSocket, HTTP post) at the process's file-descriptor
//! limit: an accept that fails is tried again after a growing pause, not in a loop that spins
//! a core and logs as fast as it can until connections close.
//!
//! The servers run in a child process (this test binary again) whose descriptor limit is
//! lowered to 64 by the shell that starts it, so the machine's own limit is never neared.

use std::process::Stdio;
use std::time::Duration;

use api_core::{HttpPostOptions, HttpPostServer, ReverseOptions, ReverseServer};
use api_tests::CapturedLog;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Set in the child's environment.
const CHILD: &str = "API_TESTS_DESCRIPTOR_LIMIT_CHILD";

/// The warning a failed accept logs, and the servers it names.
const FAILED: &str = "accepting a connection failed";
const SERVERS: [&str; 2] = ["server=\"reverse WebSocket\"", "server=\"HTTP post\""];

/// How many warnings each server logged, from the child's last line.
fn counts(line: &str) -> (Vec<u64>, f64) {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let n = |i: usize| fields[i].parse::<u64>().expect("a count");
    (vec![n(1), n(2)], fields[3].parse().expect("seconds"))
}

/// What the child wrote from `prefix` to the end of its line, on the next line holding it
/// (the test harness writes its own text too, on the same lines), within a minute.
async fn line_after(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    prefix: &str,
) -> String {
    let found = async {
        loop {
            let line = lines.next_line().await.unwrap().expect("the child goes on");
            if let Some(at) = line.find(prefix) {
                return line[at..].to_owned();
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), found)
        .await
        .unwrap_or_else(|_| panic!("the child wrote no `{prefix}` within a minute"))
}

#[tokio::test]
async fn failed_accepts_at_the_descriptor_limit_are_retried_after_a_pause() {
    let exe = std::env::current_exe().unwrap();
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 64 && exec "$0" "$@""#)
        .arg(&exe)
        .args(["--exact", "servers_under_a_low_descriptor_limit"])
        .args(["--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the child");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ports = line_after(&mut lines, "ports ").await;
    // More connections than the child has descriptors, to each server; they are held.
    let mut held = Vec::new();
    for port in ports.split_whitespace().skip(1) {
        for _ in 0..100 {
            held.push(
                TcpStream::connect(("127.0.0.1", port.parse().unwrap()))
                    .await
                    .unwrap(),
            );
        }
    }
    // Both servers ran out of descriptors.
    line_after(&mut lines, "failing").await;
    // A while at the limit: the longer, the more a spinning loop would have logged.
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(held);
    stdin.write_all(b"done\n").await.unwrap();
    let (warnings, seconds) = counts(&line_after(&mut lines, "warnings ").await);
    for (server, n) in SERVERS.iter().zip(&warnings) {
        // 10 ms doubling to 1 s: about 7 tries in the first second, then one a second.
        let most = 10 + 2 * seconds.ceil() as u64;
        assert!(
            (1..=most).contains(n),
            "{server}: {n} failed accepts logged in {seconds:.1} s at the limit"
        );
    }
    child.wait().await.unwrap();
}

/// The child: both servers, taking far more connections than the descriptors allow, and the
/// warnings they log counted from the first failed accept until the parent says `done`.
#[tokio::test(flavor = "current_thread")]
#[ignore = "run by failed_accepts_at_the_descriptor_limit_are_retried_after_a_pause under a low limit"]
async fn servers_under_a_low_descriptor_limit() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let logs = CapturedLog::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let loopback = ([127, 0, 0, 1], 0).into();
    let reverse = ReverseServer::bind(
        loopback,
        ReverseOptions {
            max_connections: 10_000,
            ..ReverseOptions::default()
        },
    )
    .await
    .unwrap();
    let post = HttpPostServer::bind(
        loopback,
        HttpPostOptions {
            max_connections: Some(10_000),
            ..HttpPostOptions::default()
        },
    )
    .await
    .unwrap();
    println!(
        "ports {} {}",
        reverse.local_addr().port(),
        post.local_addr().port()
    );
    let failing = |text: &str| {
        SERVERS.map(|server| {
            text.lines()
                .filter(|l| l.contains(FAILED) && l.contains(server))
                .count() as u64
        })
    };
    while failing(&logs.text()).contains(&0) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let since = std::time::Instant::now();
    println!("failing");
    // The parent writes `done` when it has counted; read on a blocking thread, as tokio's
    // own stdin does.
    tokio::task::spawn_blocking(|| std::io::Read::read_exact(&mut std::io::stdin(), &mut [0; 5]))
        .await
        .unwrap()
        .unwrap();
    let [reverse_warnings, post_warnings] = failing(&logs.text());
    println!(
        "warnings {reverse_warnings} {post_warnings} {:.3}",
        since.elapsed().as_secs_f64()
    );
}
