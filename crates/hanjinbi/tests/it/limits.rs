//! Slow, silent or greedy clients: timeouts, body limits, write rates, a bounded shutdown.
//!
//! Bounds on waiting are generous (many times the configured timeouts): a test fails when
//! the server keeps a connection open forever, not when a busy machine is slow.

use crate::support::{spawn_tuned, TestApp};
use hanjinbi::server::{HttpLimits, ServerSettings};
use hanjinbi_domain::ShopInfo;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Far longer than any timeout these tests configure.
const GENEROUS: Duration = Duration::from_secs(20);

async fn spawn_limited(tune: impl FnOnce(&mut HttpLimits)) -> TestApp {
    spawn_tuned(true, ShopInfo::default(), |s: &mut ServerSettings| {
        let mut limits = HttpLimits {
            header_timeout: Duration::from_secs(3600),
            idle_timeout: Duration::from_secs(3600),
            shutdown_grace: Duration::from_secs(3600),
            ..HttpLimits::default().without_write_limit()
        };
        limits.web.body_timeout = Duration::from_secs(3600);
        tune(&mut limits);
        s.http = limits;
    })
    .await
}

/// Reads until the server closes the connection (or it fails); what was read.
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return seen,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one response head and body of `/ping` ("pong").
async fn read_pong(stream: &mut TcpStream) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.ends_with(b"pong") {
        let n = tokio::time::timeout(GENEROUS, stream.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        assert!(n > 0, "closed before answering");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(seen.starts_with(b"HTTP/1.1 200"));
}

#[tokio::test]
async fn a_client_sending_headers_byte_by_byte_is_cut_off() {
    let app = spawn_limited(|l| l.header_timeout = Duration::from_secs(1)).await;
    let stream = TcpStream::connect(app.server.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let closed = tokio::spawn(async move {
        let mut buf = [0u8; 256];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    });
    let head = b"GET /ping HTTP/1.1\r\nHost: shop\r\nX-Slow: ";
    writer.write_all(head).await.unwrap();
    let started = tokio::time::Instant::now();
    let mut cut_off = false;
    while started.elapsed() < GENEROUS {
        if closed.is_finished() || writer.write_all(b"a").await.is_err() {
            cut_off = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        cut_off,
        "a client trickling its headers keeps its connection"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let app = spawn_limited(|l| l.idle_timeout = Duration::from_secs(1)).await;
    let mut stream = TcpStream::connect(app.server.addr).await.unwrap();
    stream
        .write_all(b"GET /ping HTTP/1.1\r\nHost: shop\r\n\r\n")
        .await
        .unwrap();
    read_pong(&mut stream).await;
    let rest = tokio::time::timeout(GENEROUS, read_until_closed(&mut stream))
        .await
        .expect("the idle connection is closed by the server");
    assert!(rest.is_empty());
}

#[tokio::test]
async fn a_connection_that_never_sends_anything_is_closed() {
    let app = spawn_limited(|l| l.idle_timeout = Duration::from_secs(1)).await;
    let mut stream = TcpStream::connect(app.server.addr).await.unwrap();
    tokio::time::timeout(GENEROUS, read_until_closed(&mut stream))
        .await
        .expect("the silent connection is closed by the server");
}

#[tokio::test]
async fn a_ten_gigabyte_content_length_is_answered_413_without_waiting_for_the_body() {
    let app = spawn_limited(|_| {}).await;
    for (path, extra) in [
        ("/api/v1/carts", "Content-Type: application/json\r\n"),
        (
            "/gio-hang/them",
            "Content-Type: application/x-www-form-urlencoded\r\nSec-Fetch-Site: same-origin\r\n",
        ),
    ] {
        let mut stream = TcpStream::connect(app.server.addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: shop\r\n{extra}Content-Length: 10737418240\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(GENEROUS, stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("{path}: no answer while the body was not sent"))
            .unwrap();
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
    }
}

#[tokio::test]
async fn a_body_that_arrives_too_slowly_is_refused_with_408() {
    let app = spawn_limited(|l| l.web.body_timeout = Duration::from_secs(1)).await;
    let mut stream = TcpStream::connect(app.server.addr).await.unwrap();
    let head = "POST /api/v1/carts HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(GENEROUS, stream.read(&mut buf))
        .await
        .expect("an answer while the body is still missing")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_burst_of_writes_from_one_client_gets_429_while_another_client_is_served() {
    let app = spawn_limited(|l| {
        l.web.write_rate = Some(hanjinbi_web::limits::WriteRate {
            per_minute: NonZeroU32::new(1).unwrap(),
            burst: NonZeroU32::new(3).unwrap(),
        });
    })
    .await;
    let greedy = client_from("127.0.0.1");
    let other = client_from("127.0.0.2");
    for _ in 0..3 {
        let r = greedy.post(app.url("/api/v1/carts")).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
    }
    let refused = greedy.post(app.url("/api/v1/carts")).send().await.unwrap();
    let wait: u64 = refused
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body = crate::support::assert_problem(refused, 429, "too_many_requests").await;
    assert!(body["detail"].as_str().unwrap().contains("giây"), "{body}");

    let page = greedy
        .post(app.url("/gio-hang/them"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("sku", "AKG2L-DEN-M"), ("quantity", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 429);
    assert!(page.headers().contains_key("retry-after"));
    assert!(page.text().await.unwrap().contains("<html"));

    let reads = greedy.get(app.url("/ping")).send().await.unwrap();
    assert_eq!(reads.status().as_u16(), 200, "reads are not limited");
    let served = other.post(app.url("/api/v1/carts")).send().await.unwrap();
    assert!(served.status().is_success(), "{}", served.status());
}

/// Whether the server still accepts new connections.
async fn accepting(addr: SocketAddr) -> bool {
    TcpStream::connect(addr).await.is_ok()
}

#[tokio::test]
async fn shutdown_with_idle_and_half_sent_requests_open_ends_within_the_grace_period() {
    let app = spawn_limited(|l| l.shutdown_grace = Duration::from_secs(1)).await;
    let addr = app.server.addr;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /ping HTTP/1.1\r\nHost: shop\r\n\r\n")
        .await
        .unwrap();
    read_pong(&mut idle).await;
    let mut half_head = TcpStream::connect(addr).await.unwrap();
    half_head
        .write_all(b"GET /ping HTTP/1.1\r\nHost: sh")
        .await
        .unwrap();
    let mut half_body = TcpStream::connect(addr).await.unwrap();
    half_body
        .write_all(b"POST /api/v1/carts HTTP/1.1\r\nHost: shop\r\nContent-Length: 10\r\n\r\n{")
        .await
        .unwrap();

    let TestApp { server, dir, .. } = app;
    let stopped = tokio::time::timeout(GENEROUS, server.stop()).await;
    assert!(
        matches!(stopped, Ok(Ok(()))),
        "the server stopped despite open connections"
    );
    for (what, stream) in [
        ("idle", &mut idle),
        ("half a head", &mut half_head),
        ("half a body", &mut half_body),
    ] {
        tokio::time::timeout(GENEROUS, read_until_closed(stream))
            .await
            .unwrap_or_else(|_| panic!("the connection with {what} was closed"));
    }
    assert!(!accepting(addr).await);
    drop(dir);
}

/// A raw `GET` of `target` exactly as written (clients would normalise `\` and `//`).
async fn raw_get(addr: SocketAddr, target: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = tokio::time::timeout(GENEROUS, read_until_closed(&mut stream))
        .await
        .expect("an answer");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn paths_read_as_another_site_give_links_that_stay_on_the_site() {
    let app = spawn_limited(|_| {}).await;
    for target in [
        "//evil.example/x",
        "/\\evil.example",
        "/\\/evil.example/x?lang=vi",
    ] {
        let page = raw_get(app.server.addr, target).await;
        assert!(page.starts_with("HTTP/1.1 404"), "{target}: {page}");
        assert!(
            page.contains("hreflang=\"en\""),
            "{target}: no language link"
        );
        for href in page.split("href=\"").skip(1) {
            assert!(
                !href.starts_with("//") && !href.starts_with("/\\") && !href.contains('\\'),
                "{target}: a link leaves the site: {}",
                &href[..href.find('"').unwrap_or(href.len())]
            );
        }
        assert!(page.contains("href=\"/evil.example"), "{target}: {page}");
    }
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    let app = spawn_limited(|l| l.max_connections = 2).await;
    let mut first = TcpStream::connect(app.server.addr).await.unwrap();
    let mut second = TcpStream::connect(app.server.addr).await.unwrap();
    for stream in [&mut first, &mut second] {
        stream
            .write_all(b"GET /ping HTTP/1.1\r\nHost: shop\r\n\r\n")
            .await
            .unwrap();
        read_pong(stream).await;
    }
    let mut third = TcpStream::connect(app.server.addr).await.unwrap();
    third
        .write_all(b"GET /ping HTTP/1.1\r\nHost: shop\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_secs(1), third.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "a third connection was served while two were open"
    );
    drop(first);
    read_pong(&mut third).await;
}
