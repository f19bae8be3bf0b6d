//! Starting and stopping the shop's HTTP server.

use anyhow::Context;
use hanjinbi_domain::ShopInfo;
use hanjinbi_privacy::gate::Gate;
use hanjinbi_privacy::policy::Policy;
use hanjinbi_privacy::{keycheck, Vault};
use hanjinbi_services::checkout::{OrderLimits, ShippingFees};
use hanjinbi_services::mail::{MailSettings, Mailer};
use hanjinbi_services::payments::BankTransferAccount;
use hanjinbi_services::{Clock, ServiceSettings, Services, SystemClock};
use hanjinbi_store::{keyring, Db};
use hanjinbi_web::limits::{Limiter, WebLimits};
use hanjinbi_web::AppState;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// How often a server looks at its key file and renews its row in `key_holders`. A row
/// older than three of these is a server that stopped without saying so.
pub const KEY_WATCH_EVERY: Duration = Duration::from_secs(10);

/// How long after start the server first erases the guests' records that are due.
pub const RETENTION_FIRST_RUN_AFTER: Duration = Duration::from_secs(5 * 60);

/// How often the server erases the guests' records that are due: a period in whole years
/// ends on a day, so once a day erases each address on the day it is due.
pub const RETENTION_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// What the server needs to run.
pub struct ServerSettings {
    pub database_url: String,
    pub max_connections: u32,
    pub shop: ShopInfo,
    pub load_demo: bool,
    /// The operator's key file; created with new keys only when missing and the database
    /// holds no sealed data.
    pub key_file: PathBuf,
    pub mail: MailSettings,
    pub fees: ShippingFees,
    pub limits: OrderLimits,
    /// The account that receives bank transfers; without one, bank transfer is not offered.
    pub bank: Option<BankTransferAccount>,
    /// How long catalog reads are kept in memory (zero: always read the database).
    pub catalog_cache: Duration,
    /// How often the outbox worker looks for messages to send; `None` runs no worker
    /// (tests send mail explicitly).
    pub outbox_every: Option<Duration>,
    /// Timeouts and limits on connections and requests.
    pub http: HttpLimits,
}

/// What one client may take from the server: how long it may be slow or silent, how many
/// connections the server holds at once, and the web layer's body and write-rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// A request's line and headers must arrive within this time, counted from when the
    /// server starts waiting for them (so it also bounds the pause between requests on a
    /// kept-alive connection).
    pub header_timeout: Duration,
    /// A connection on which no byte moves either way for this long is closed: an idle
    /// kept-alive connection, a stalled upload, a client that stops reading.
    pub idle_timeout: Duration,
    /// Connections served at once; more wait in the listening socket's backlog (and are
    /// refused by the system when it is full).
    pub max_connections: usize,
    /// On shutdown, requests in flight get this long to finish; then every connection still
    /// open is closed.
    pub shutdown_grace: Duration,
    /// How often the metrics recorder folds recorded latencies into its summaries, so that
    /// memory stays flat whether or not anything scrapes `/metrics`.
    pub metrics_upkeep: Duration,
    pub web: WebLimits,
}

impl HttpLimits {
    /// These limits with writes not rate-limited (benchmarks, tests of other behaviour).
    pub fn without_write_limit(self) -> HttpLimits {
        HttpLimits {
            web: WebLimits {
                write_rate: None,
                ..self.web
            },
            ..self
        }
    }
}

impl Default for HttpLimits {
    fn default() -> HttpLimits {
        HttpLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
            metrics_upkeep: Duration::from_secs(5),
            web: WebLimits {
                body_timeout: Duration::from_secs(30),
                write_rate: Some(hanjinbi_web::limits::WriteRate {
                    per_minute: std::num::NonZeroU32::MIN.saturating_add(119),
                    burst: std::num::NonZeroU32::MIN.saturating_add(29),
                }),
            },
        }
    }
}

/// Loads the key file and checks it against the database (see `keycheck`): the server
/// refuses to start with a key file that does not hold the keys the database was sealed
/// with, or without one when the database holds sealed data. Only for a database that was
/// never sealed are new keys made, with a loud warning.
pub async fn load_keys(db: &Db, path: &Path) -> anyhow::Result<Vault> {
    let (ring, created) = keycheck::load_checked(db, path, SystemClock.now())
        .await
        .context("the key file cannot be used with this database; the shop is not started")?;
    if created {
        tracing::warn!(
            key_file = %path.display(),
            "NEW ENCRYPTION KEYS were generated because no key file existed and the database \
             holds no sealed data. Every buyer's personal data will be sealed with them: back \
             this file up now, apart from the database. Losing it makes all personal data \
             unreadable; leaking it exposes it."
        );
    }
    Ok(Vault::from_file(ring, path))
}

/// Warns when the holiday data does not cover the year after `now`'s: a request that
/// arrives late in a year can be due in the next one, and is then refused a due date (and
/// so not recorded) rather than given a guessed one. Said a year ahead, the data can be
/// extended in time.
fn warn_if_holidays_run_out(holidays: &hanjinbi_domain::deadline::Holidays, now: i64) {
    let Some(year) = time::OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|at| hanjinbi_domain::deadline::day_in_vietnam(at).ok())
        .map(|day| day.year())
    else {
        tracing::warn!(now, "the clock is outside the calendar");
        return;
    };
    if !holidays.covers(year + 1) {
        tracing::warn!(
            source = holidays.source(),
            last_year = holidays.years().last(),
            "the public-holiday data does not cover {}: requests due then cannot be recorded; \
             extend crates/domain/data/vn-public-holidays.json",
            year + 1
        );
    }
}

/// Opens and migrates the database, loads keys and policy (and the demo catalog when asked).
pub async fn prepare(settings: &ServerSettings) -> anyhow::Result<Services> {
    hanjinbi_domain::address::try_units().context("this build cannot serve addresses")?;
    // Every data subject's request is recorded with due dates counted over these holidays:
    // on broken data each recording would fail, so the shop does not start.
    let holidays = hanjinbi_domain::deadline::Holidays::try_load()
        .context("this build cannot work out when data subjects' requests are due")?;
    warn_if_holidays_run_out(holidays, SystemClock.now());
    let policy = Arc::new(Policy::embedded().context("the privacy policy is invalid")?);
    let db = Db::connect(&settings.database_url, settings.max_connections)
        .await
        .context("cannot open the database")?;
    db.migrate().await.context("cannot migrate the database")?;
    let vault = load_keys(&db, &settings.key_file).await?;
    let gate = Gate::new(db.clone(), policy, vault);
    let mailer = Mailer::new(&settings.mail).context("cannot set up outgoing mail")?;
    let services = Services::new(
        db,
        Arc::new(SystemClock),
        gate,
        ServiceSettings {
            fees: settings.fees,
            limits: settings.limits,
            bank: settings.bank.clone(),
            cart_idle: hanjinbi_services::carts::IDLE_CART,
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

/// A server listening on `listener` until `shutdown` completes; requests in flight get
/// `limits.shutdown_grace` to finish, then every connection is closed.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    shop: ShopInfo,
    outbox_every: Option<Duration>,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let db = services.db.clone();
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    // New data keys must be wrapped with the newest master key soon after a rotation, not
    // only when an unknown key is met: look at the key file now and then, and tell the
    // database which master key this server wraps under, so `keys rotate --retire-old`
    // retires none that a running server still uses.
    let vault = services.gate.vault().clone();
    let server_id = hanjinbi_privacy::records::new_id();
    let watch_db = db.clone();
    let watch_id = server_id.clone();
    let key_watch = tokio::spawn(async move {
        let mut tick = tokio::time::interval(KEY_WATCH_EVERY);
        loop {
            tick.tick().await;
            vault.reload_if_changed();
            let current = vault.current_master_id();
            if let Err(e) =
                keyring::heartbeat(&watch_db, &watch_id, &current, SystemClock.now()).await
            {
                tracing::warn!(error = %e, "cannot record the master key this server uses");
            }
        }
    });
    let sweeper = tokio::spawn(services.clone().sweep_every(Duration::from_secs(600)));
    // Guests' records whose period from the last order has ended: a few minutes after start
    // (not in the way of start-up), then once a day. A failed run is logged and tried again.
    let retention = tokio::spawn(
        services
            .retention
            .clone()
            .run_every(RETENTION_FIRST_RUN_AFTER, RETENTION_EVERY),
    );
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
    let metrics = crate::telemetry::metrics();
    let limiter = Limiter::new(limits.web);
    let upkeep = tokio::spawn(upkeep(
        metrics.clone(),
        limiter.clone(),
        limits.metrics_upkeep,
    ));
    let state = AppState {
        services,
        shop: Arc::new(shop),
        metrics,
        limiter,
    };
    let app = hanjinbi_web::router(state);
    let served = accept_loop(listener, app, limits, shutdown).await;
    key_watch.abort();
    upkeep.abort();
    sweeper.abort();
    retention.abort();
    if let Err(e) = keyring::leave(&db, &server_id).await {
        tracing::warn!(error = %e, "cannot remove this server from the key holders");
    }
    let _ = stop_worker.send(());
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    let _ = stop_views.send(());
    let _ = view_log.await;
    db.close().await;
    served
}

/// Runs the metrics recorder's upkeep and forgets rate-limit entries of quiet clients.
async fn upkeep(
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    limiter: Limiter,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Some(handle) = &metrics {
            handle.run_upkeep();
        }
        limiter.forget_idle_clients();
    }
}

/// Accepts connections while fewer than `max_connections` are open and serves each with
/// the header and idle timeouts; on shutdown, closes idle connections at once and the rest
/// after the grace period.
async fn accept_loop(
    listener: TcpListener,
    app: axum::Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let (closing, closing_seen) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        // A slot first: beyond the limit, new connections wait in the backlog unaccepted.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => slot.context("the connection slots closed")?,
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        connections.spawn(serve_connection(
            stream,
            peer,
            app.clone(),
            limits,
            closing_seen.clone(),
            slot,
        ));
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    tracing::info!(open = connections.len(), "closing connections");
    let _ = closing.send(true);
    let finished = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still open after the shutdown grace period are closed"
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    Ok(())
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: axum::Router,
    limits: HttpLimits,
    mut closing: tokio::sync::watch::Receiver<bool>,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    use tower::ServiceExt;
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let mut req = req.map(axum::body::Body::new);
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        app.clone().oneshot(req)
    });
    let io = hyper_util::rt::TokioIo::new(IdleTimeout::new(stream, limits.idle_timeout));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let outcome = tokio::select! {
        outcome = connection.as_mut() => outcome,
        () = async { let _ = closing.wait_for(|closing| *closing).await.map(|_| ()); } => {
            // Idle connections close now; one with a request in flight after answering it.
            connection.as_mut().graceful_shutdown();
            connection.as_mut().await
        }
    };
    if let Err(e) = outcome {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// A connection that fails once no byte has moved either way for `idle`.
struct IdleTimeout {
    inner: TcpStream,
    idle: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl IdleTimeout {
    fn new(inner: TcpStream, idle: Duration) -> IdleTimeout {
        IdleTimeout {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn moved(&mut self) {
        let next = tokio::time::Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    /// Called when the socket is not ready: an error once the connection has been idle too
    /// long, else pending (and woken at the deadline).
    fn expired<T>(&mut self, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the connection was idle too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for IdleTimeout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.moved();
                Poll::Ready(result)
            }
            Poll::Pending => this.expired(cx),
        }
    }
}

impl AsyncWrite for IdleTimeout {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(result) => {
                this.moved();
                Poll::Ready(result)
            }
            Poll::Pending => this.expired(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(result) => {
                this.moved();
                Poll::Ready(result)
            }
            Poll::Pending => this.expired(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
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
            settings.http,
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
