//! Starting and stopping the shop's HTTP server.

use anyhow::Context;
use hanjinbi_domain::ShopInfo;
use hanjinbi_privacy::gate::Gate;
use hanjinbi_privacy::policy::Policy;
use hanjinbi_privacy::{keys, Vault};
use hanjinbi_services::checkout::ShippingFees;
use hanjinbi_services::mail::{MailSettings, Mailer};
use hanjinbi_services::{ServiceSettings, Services, SystemClock};
use hanjinbi_store::Db;
use hanjinbi_web::AppState;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// What the server needs to run.
pub struct ServerSettings {
    pub database_url: String,
    pub max_connections: u32,
    pub shop: ShopInfo,
    pub load_demo: bool,
    /// The operator's key file; created with new keys when missing.
    pub key_file: PathBuf,
    pub mail: MailSettings,
    pub fees: ShippingFees,
    /// How long catalog reads are kept in memory (zero: always read the database).
    pub catalog_cache: Duration,
    /// How often the outbox worker looks for messages to send; `None` runs no worker
    /// (tests send mail explicitly).
    pub outbox_every: Option<Duration>,
}

/// Loads the key file, creating it (with a loud warning) on a first run.
pub fn load_keys(path: &Path) -> anyhow::Result<Vault> {
    let (ring, created) = keys::load_or_create(path)?;
    if created {
        tracing::warn!(
            key_file = %path.display(),
            "NEW ENCRYPTION KEYS were generated because no key file existed. Every buyer's \
             personal data will be sealed with them: back this file up now, apart from the \
             database. Losing it makes all personal data unreadable; leaking it exposes it."
        );
    }
    Ok(Vault::from_file(ring, path))
}

/// Opens and migrates the database, loads keys and policy (and the demo catalog when asked).
pub async fn prepare(settings: &ServerSettings) -> anyhow::Result<Services> {
    let vault = load_keys(&settings.key_file)?;
    let policy = Arc::new(Policy::embedded().context("the privacy policy is invalid")?);
    let db = Db::connect(&settings.database_url, settings.max_connections)
        .await
        .context("cannot open the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    let gate = Gate::new(db.clone(), policy, vault);
    let mailer = Mailer::new(&settings.mail).context("cannot set up outgoing mail")?;
    let services = Services::new(
        db,
        Arc::new(SystemClock),
        gate,
        ServiceSettings {
            fees: settings.fees,
            mailer,
            shop: Arc::new(settings.shop.clone()),
            catalog_cache: settings.catalog_cache,
        },
    );
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
    outbox_every: Option<Duration>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let db = services.db.clone();
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    // New data keys must be wrapped with the newest master key soon after a rotation, not
    // only when an unknown key is met: look at the key file now and then.
    let vault = services.gate.vault().clone();
    let key_watch = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            vault.reload_if_changed();
        }
    });
    // Page views are audited in batches: one write transaction a second, and one more at
    // shutdown, however many views.
    let (stop_views, views_stopped) = tokio::sync::oneshot::channel::<()>();
    let view_log = tokio::spawn(services.gate.clone().run_view_log(
        Duration::from_secs(1),
        async {
            let _ = views_stopped.await;
        },
    ));
    let worker = outbox_every.map(|every| {
        tokio::spawn(services.notifier.clone().run(every, async {
            let _ = worker_stopped.await;
        }))
    });
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
    key_watch.abort();
    let _ = stop_worker.send(());
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    let _ = stop_views.send(());
    let _ = view_log.await;
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
        let task = tokio::spawn(serve(
            listener,
            services.clone(),
            settings.shop,
            settings.outbox_every,
            async {
                let _ = stopped.await;
            },
        ));
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
