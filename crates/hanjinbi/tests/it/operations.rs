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
async fn graceful_shutdown_lets_requests_in_flight_finish() {
    let app = spawn().await;
    let url = app.url("/danh-muc/ao?per_page=100");
    let requests: Vec<_> = (0..20)
        .map(|_| tokio::spawn(reqwest::get(url.clone())))
        .collect();
    tokio::task::yield_now().await;
    let crate::support::TestApp { server, dir, .. } = app;
    let _keep = dir;
    server.stop().await.unwrap();
    for r in requests {
        if let Ok(Ok(response)) = r.await {
            assert_eq!(response.status().as_u16(), 200);
        }
    }
}
