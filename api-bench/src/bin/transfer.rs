//! One run of the file benchmark: `transfer <ours|raw> <upload|download> <ws-url> <path>`.
//! Uploads the file at `path`, or downloads the simulator's `big.bin` into `path`; prints the
//! seconds taken and the process's peak resident size in KiB.

use std::path::PathBuf;

use api_bench::transfer;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [client, direction, url, path] = args.as_slice() else {
        panic!("usage: transfer <ours|raw> <upload|download> <ws-url> <path>");
    };
    let path = PathBuf::from(path);
    let took = match (client.as_str(), direction.as_str()) {
        ("ours", "upload") => transfer::ours_upload(url, &path).await,
        ("raw", "upload") => transfer::raw_upload(url, &path).await,
        ("ours", "download") => transfer::ours_download(url, &path).await,
        ("raw", "download") => transfer::raw_download(url, &path).await,
        other => panic!("unknown run {other:?}"),
    };
    println!("{} {}", took.as_secs_f64(), transfer::peak_rss_kib());
}
