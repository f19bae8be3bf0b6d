//! Memory stays flat under sustained load when nothing scrapes `/metrics`: the real binary in
//! its own process, its resident size read from `/proc`.

use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Requests sent on one connection before reading their answers.
const BATCH: usize = 500;

/// A server process with its metrics upkeep every `upkeep_secs`.
struct Child {
    process: std::process::Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Child {
    async fn start(upkeep_secs: u64) -> Child {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut process = Command::new(env!("CARGO_BIN_EXE_hanjinbi"))
            .args(["serve", "--addr", &addr])
            .args(["--metrics-upkeep-secs", &upkeep_secs.to_string()])
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("HANJINBI_DATABASE_URL")
            .env("HANJINBI_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..400 {
            if TcpStream::connect(&addr).await.is_ok() {
                return Child {
                    process,
                    addr,
                    _dir: dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = process.kill();
        let _ = process.wait();
        panic!("the server did not start");
    }

    /// Resident memory in bytes.
    fn rss(&self) -> u64 {
        let statm = std::fs::read_to_string(format!("/proc/{}/statm", self.process.id())).unwrap();
        let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
        pages * 4096
    }

    /// Sends `count` pipelined `GET /ping` over `connections` connections and reads every answer.
    async fn load(&self, count: usize, connections: usize) {
        let per_connection = count / connections;
        let tasks: Vec<_> = (0..connections)
            .map(|_| {
                let addr = self.addr.clone();
                tokio::spawn(async move {
                    let mut stream = TcpStream::connect(&addr).await.unwrap();
                    let batch = "GET /ping HTTP/1.1\r\nHost: shop\r\n\r\n".repeat(BATCH);
                    let mut buf = vec![0u8; 256 * 1024];
                    let mut sent = 0;
                    while sent < per_connection {
                        stream.write_all(batch.as_bytes()).await.unwrap();
                        sent += BATCH;
                        let mut answered = 0;
                        let mut tail: Vec<u8> = Vec::new();
                        while answered < BATCH {
                            let n = stream.read(&mut buf).await.unwrap();
                            assert!(n > 0, "the server closed the connection");
                            tail.extend_from_slice(&buf[..n]);
                            answered += tail.windows(4).filter(|w| w == b"pong").count();
                            let keep = tail.len().min(3);
                            tail.drain(..tail.len() - keep);
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// How much the server's resident memory grows over `requests` after a warm-up.
async fn growth(upkeep_secs: u64, requests: usize) -> i64 {
    let child = Child::start(upkeep_secs).await;
    child.load(10_000, 4).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = child.rss();
    child.load(requests, 4).await;
    // Upkeep runs on its own timer: give it a turn after the load.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after = child.rss();
    after as i64 - before as i64
}

#[tokio::test]
async fn memory_stays_flat_under_load_without_any_scrape() {
    // Without upkeep the recorder keeps every latency sample until a scrape: about 16 bytes
    // a request, 1.6 MB over this load (measured: 4.9 MB over 300,000 requests, against
    // -8 kB with upkeep every second).
    let grew = growth(1, 100_000).await;
    assert!(
        grew < 600_000,
        "resident memory grew by {grew} bytes over 100,000 requests with no scrape"
    );
}
