//! Starting and stopping the shop's HTTP server.

use anyhow::Context;
use hanjinbi_domain::ShopInfo;
use hanjinbi_services::{Services, SystemClock};
use hanjinbi_store::Db;
use hanjinbi_web::AppState;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What the server needs to run.
pub struct ServerSettings {
    pub database_url: String,
    pub max_connections: u32,
    pub shop: ShopInfo,
    pub load_demo: bool,
}

/// Opens and migrates the database (and loads the demo catalog when asked).
pub async fn prepare(settings: &ServerSettings) -> anyhow::Result<Services> {
    let db = Db::connect(&settings.database_url, settings.max_connections)
        .await
        .context("cannot open the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    let services = Services::new(db, Arc::new(SystemClock));
    if settings.load_demo {
        let outcome = hanjinbi_services::demo::load(&services.db, &SystemClock)
            .await
            .context("cannot load the demo catalog")?;
        tracing::info!(?outcome, "demo catalog");
    }
    Ok(services)
}

/// A server listening on `listener` until `shutdown` completes; requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    shop: ShopInfo,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let db = services.db.clone();
    let state = AppState {
        services,
        shop: Arc::new(shop),
        metrics: crate::telemetry::metrics(),
    };
    let app = hanjinbi_web::router(state);
    axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(shutdown)
        .await
        .context("the server stopped with an error")?;
    db.close().await;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// A server started in the background on a random port, for tests and benchmarks.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub services: Services,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl RunningServer {
    pub async fn start(settings: ServerSettings) -> anyhow::Result<RunningServer> {
        let services = prepare(&settings).await?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, services.clone(), settings.shop, async {
            let _ = stopped.await;
        }));
        Ok(RunningServer {
            addr,
            services,
            stop: Some(stop),
            task,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops accepting connections and waits for requests in flight.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await?
    }
}
