use crate::support::spawn;

#[tokio::test]
async fn health_and_ping() {
    let app = spawn().await;
    assert_eq!(app.get_text("/healthz").await, (200, "ok".into()));
    assert_eq!(app.get_text("/ping").await, (200, "pong".into()));
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = spawn().await;
    app.get("/san-pham/ao-khoac-jean-nu").await;
    let (status, text) = app.get_text("/metrics").await;
    assert_eq!(status, 200);
    assert!(text.contains("http_requests_total"));
    assert!(text.contains("route=\"/san-pham/{slug}\""));
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(
        !text.contains("ao-khoac-jean-nu"),
        "concrete paths never become labels"
    );
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn().await;
    let r = app.get("/").await;
    let csp = r
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'self'"));
    assert_eq!(
        r.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
}

#[tokio::test]
async fn graceful_shutdown_lets_a_request_in_flight_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn().await;
    let (id, token) = crate::support::cart_with(&app, "AKG2L-DEN-M", 1).await;
    let body = r#"{"sku": "AKG2L-DEN-L", "quantity": 2}"#;
    let mut stream = tokio::net::TcpStream::connect(app.server.addr)
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/carts/{id}/items HTTP/1.1\r\nHost: shop\r\nX-Cart-Token: {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // "100 Continue" comes when the application starts reading the body: the request is in
    // flight from here on.
    let mut buf = vec![0u8; 64 * 1024];
    let n = stream.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );

    let addr = app.server.addr;
    let crate::support::TestApp { server, dir, .. } = app;
    let stopping = tokio::spawn(server.stop());
    let mut refused = false;
    for _ in 0..1000 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(refused, "the server stopped accepting connections");

    stream.write_all(body.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("AKG2L-DEN-L"), "{answer}");
    stopping.await.unwrap().unwrap();
    drop(dir);
}
