//! The key file against the database: a missing, foreign or changed key file is refused;
//! rotation cannot mix keys or leak them; retirement waits for servers and rows; read-only
//! commands create nothing; the data folder is private.

use crate::checkout::{buyer, checkout};
use crate::support::{cart_with, settings, spawn, TestApp};
use hanjinbi::admin::{rotate_keys, RotateOptions};
use hanjinbi::server::RunningServer;
use hanjinbi_domain::ShopInfo;
use hanjinbi_privacy::keys::{self, Key, KeyRing};
use hanjinbi_services::{Clock, SystemClock};
use hanjinbi_store::keyring::{self, Retirement};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A clock that says what it is told.
struct FixedClock(i64);

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0
    }
}

/// A shop with `n` orders placed; their numbers and lookup tokens.
async fn shop_with_orders(n: usize) -> (TestApp, Vec<(String, String)>) {
    let app = spawn().await;
    let mut placed = Vec::new();
    for i in 0..n {
        let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
        let body: Value = checkout(&app, &cart, buyer(&format!("b{i}@example.vn")))
            .await
            .json()
            .await
            .unwrap();
        placed.push((
            body["number"].as_str().unwrap().to_owned(),
            body["lookup_token"].as_str().unwrap().to_owned(),
        ));
    }
    (app, placed)
}

async fn order_status(app: &TestApp, (number, token): &(String, String)) -> u16 {
    app.http
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .header("x-order-token", token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn key_file(app: &TestApp) -> std::path::PathBuf {
    app.dir.path().join("keys.toml")
}

/// Starts a second server on the same database and key file; the error it stops with.
async fn restart_error(app: &TestApp) -> String {
    let settings = settings(
        &app.database_url,
        app.dir.path(),
        false,
        ShopInfo::default(),
    );
    match RunningServer::start(settings).await {
        Ok(_) => panic!("the server started"),
        Err(e) => format!("{e:#}"),
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn hanjinbi(dir: &Path, database_url: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hanjinbi"));
    command.args(args).arg("--data-dir").arg(dir);
    match database_url {
        Some(url) => command.env("HANJINBI_DATABASE_URL", url),
        None => command.env_remove("HANJINBI_DATABASE_URL"),
    };
    command.env_remove("HANJINBI_KEY_FILE").output().unwrap()
}

#[tokio::test]
async fn serve_refuses_to_start_when_the_key_file_of_a_shop_with_data_is_gone() {
    let (app, _) = shop_with_orders(1).await;
    let master = keys::load(&key_file(&app)).unwrap().current;
    std::fs::remove_file(key_file(&app)).unwrap();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hanjinbi"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(app.dir.path())
        .env("HANJINBI_DATABASE_URL", &app.database_url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut exited = None;
    for _ in 0..300 {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if exited.is_none() {
        child.kill().unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(exited.is_some(), "serve kept running without its key file");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("is missing"), "{said}");
    assert!(
        said.contains(&master),
        "names the master key to restore: {said}"
    );
    assert!(said.contains("keys.toml"), "names the key file: {said}");
    assert!(!key_file(&app).exists(), "no new keys were made");
}

#[tokio::test]
async fn another_shops_key_file_is_refused() {
    let (app, _) = shop_with_orders(1).await;
    let ours = keys::load(&key_file(&app)).unwrap();
    keys::store(&key_file(&app), &KeyRing::generate()).unwrap();
    let said = restart_error(&app).await;
    assert!(said.contains("does not hold the keys"), "{said}");
    assert!(said.contains(&ours.current), "{said}");
}

#[tokio::test]
async fn a_changed_master_key_is_refused() {
    let (app, _) = shop_with_orders(1).await;
    let ours = keys::load(&key_file(&app)).unwrap();
    let changed = KeyRing {
        current: ours.current.clone(),
        masters: vec![(ours.current.clone(), Key::random())],
        index_key: ours.index_key.clone(),
        audit_key: ours.audit_key.clone(),
        audit_unkeyed: ours.audit_unkeyed,
    };
    keys::store(&key_file(&app), &changed).unwrap();
    let said = restart_error(&app).await;
    assert!(
        said.contains(&format!("master key {} is another key", ours.current)),
        "{said}"
    );
}

#[tokio::test]
async fn a_database_sealed_before_fingerprints_were_kept_is_checked_by_opening_its_keys() {
    let (app, _) = shop_with_orders(1).await;
    let db = &app.server.services.db;
    let forget = || db.raw_execute("DELETE FROM key_fingerprints", &[]);
    forget().await.unwrap();
    let ours = keys::load(&key_file(&app)).unwrap();
    let changed = KeyRing {
        masters: vec![(ours.current.clone(), Key::random())],
        ..ours.clone()
    };
    keys::store(&key_file(&app), &changed).unwrap();
    let said = restart_error(&app).await;
    assert!(
        said.contains(&format!(
            "master key {} does not open the data keys wrapped under it",
            ours.current
        )),
        "{said}"
    );

    forget().await.unwrap();
    keys::store(&key_file(&app), &ours).unwrap();
    let settings = settings(
        &app.database_url,
        app.dir.path(),
        false,
        ShopInfo::default(),
    );
    RunningServer::start(settings)
        .await
        .unwrap()
        .stop()
        .await
        .unwrap();
    assert_eq!(
        keyring::recorded(db).await.unwrap().len(),
        2,
        "recorded now"
    );
}

#[tokio::test]
async fn a_fresh_folder_gets_new_keys_and_records_their_fingerprints() {
    let app = spawn().await;
    let ring = keys::load(&key_file(&app)).unwrap();
    assert_eq!(mode(&key_file(&app)), 0o600);
    let recorded = keyring::recorded(&app.server.services.db).await.unwrap();
    let recorded: Vec<(String, String, Vec<u8>)> = recorded
        .into_iter()
        .map(|r| (r.kind, r.key_id, r.fingerprint))
        .collect();
    let mut expected: Vec<(String, String, Vec<u8>)> = ring
        .fingerprints()
        .into_iter()
        .map(|(kind, id, fp)| (kind.code().to_owned(), id, fp))
        .collect();
    expected.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(recorded, expected);
    assert_eq!(recorded.len(), 2, "the master key and the blind-index key");
    // A restart with the same file is accepted.
    let settings = settings(
        &app.database_url,
        app.dir.path(),
        false,
        ShopInfo::default(),
    );
    RunningServer::start(settings)
        .await
        .unwrap()
        .stop()
        .await
        .unwrap();
}

#[tokio::test]
async fn two_rotations_started_together_never_mix_keys() {
    let (app, placed) = shop_with_orders(3).await;
    let rotate = || {
        Command::new(env!("CARGO_BIN_EXE_hanjinbi"))
            .args(["keys", "rotate"])
            .arg("--data-dir")
            .arg(app.dir.path())
            .env("HANJINBI_DATABASE_URL", &app.database_url)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (rotate(), rotate());
    let outputs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let succeeded = outputs.iter().filter(|o| o.status.success()).count();
    assert!(succeeded >= 1);
    for output in outputs.iter().filter(|o| !o.status.success()) {
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(
            said.contains("another command is changing the key file"),
            "{said}"
        );
    }
    let ring = keys::load(&key_file(&app)).unwrap();
    let masters: Vec<String> = app
        .server
        .services
        .db
        .raw_rows("SELECT DISTINCT master_key_id FROM data_keys", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("master_key_id").unwrap())
        .collect();
    assert_eq!(masters, vec![ring.current.clone()]);
    for order in &placed {
        assert_eq!(order_status(&app, order).await, 200);
    }
    let check = hanjinbi(app.dir.path(), Some(&app.database_url), &["keys", "check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[tokio::test]
async fn a_leftover_world_readable_temporary_file_does_not_leak_into_the_key_file() {
    let (app, placed) = shop_with_orders(1).await;
    use std::os::unix::fs::PermissionsExt;
    for leftover in ["keys.tmp", "keys.toml.tmp"] {
        let path = app.dir.path().join(leftover);
        std::fs::write(&path, "left over").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let done = rotate_keys(
        &app.server.services.db,
        &key_file(&app),
        &RotateOptions::new(false),
        &SystemClock,
    )
    .await
    .unwrap();
    assert_eq!(mode(&key_file(&app)), 0o600);
    assert_eq!(
        keys::load(&key_file(&app)).unwrap().current,
        done.new_master
    );
    assert_eq!(done.verified, 1);
    assert_eq!(
        std::fs::read_to_string(app.dir.path().join("keys.tmp")).unwrap(),
        "left over"
    );
    assert_eq!(order_status(&app, &placed[0]).await, 200);
}

#[tokio::test]
async fn retire_old_retires_nothing_while_a_running_server_or_a_row_uses_the_old_key() {
    let (app, placed) = shop_with_orders(2).await;
    let db = &app.server.services.db;
    let old = keys::load(&key_file(&app)).unwrap().current;
    // The running server says which master key it wraps under, from its start on.
    let mut registered = false;
    for _ in 0..100 {
        if !keyring::holders_not_on(db, "", 0).await.unwrap().is_empty() {
            registered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(registered, "the running server recorded its master key");
    let now = SystemClock.now();
    let options = RotateOptions {
        wait_for_servers: Duration::ZERO,
        ..RotateOptions::new(true)
    };
    let refused = rotate_keys(db, &key_file(&app), &options, &FixedClock(now))
        .await
        .unwrap_err();
    let refused = format!("{refused:#}");
    assert!(refused.contains("no master key was retired"), "{refused}");
    assert!(refused.contains(&old), "{refused}");
    let ring = keys::load(&key_file(&app)).unwrap();
    assert!(ring.master(&old).is_some(), "the old key stays in the file");

    // A row under the old master key also keeps it.
    db.raw_execute(
        "INSERT INTO data_keys (subject_id, master_key_id, wrapped_key, created_at) \
         VALUES ('late-subject', $1, $2, 0)",
        &[old.as_str().into(), vec![1u8; 8].into()],
    )
    .await
    .unwrap();
    assert_eq!(
        keyring::retire(db, std::slice::from_ref(&old), now)
            .await
            .unwrap(),
        Retirement::StillInUse(vec![(old.clone(), 1)])
    );
    db.raw_execute(
        "DELETE FROM data_keys WHERE subject_id = 'late-subject'",
        &[],
    )
    .await
    .unwrap();

    // Once the server's row is stale (it stopped saying anything), retirement goes ahead.
    let later = FixedClock(now + 3600);
    let done = rotate_keys(db, &key_file(&app), &options, &later)
        .await
        .unwrap();
    assert!(done.retired.contains(&old), "{done:?}");
    let ring = keys::load(&key_file(&app)).unwrap();
    assert_eq!(ring.masters.len(), 1);
    assert!(ring.master(&old).is_none());
    for order in &placed {
        assert_eq!(order_status(&app, order).await, 200);
    }
    // Nothing can be wrapped under a retired key any more.
    let late = db
        .raw_execute(
            "INSERT INTO data_keys (subject_id, master_key_id, wrapped_key, created_at) \
             VALUES ('later-subject', $1, $2, 0)",
            &[old.as_str().into(), vec![1u8; 8].into()],
        )
        .await;
    assert!(late.is_err(), "a data key under a retired master key");
}

#[tokio::test]
async fn keys_init_makes_keys_only_for_a_database_without_sealed_data() {
    let (app, _) = shop_with_orders(1).await;
    let master = keys::load(&key_file(&app)).unwrap().current;
    std::fs::remove_file(key_file(&app)).unwrap();
    let refused = hanjinbi(app.dir.path(), Some(&app.database_url), &["keys", "init"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("holds sealed personal data"), "{said}");
    assert!(said.contains(&master), "{said}");
    assert!(!key_file(&app).exists());
    let rotate = hanjinbi(app.dir.path(), Some(&app.database_url), &["keys", "rotate"]);
    assert!(!rotate.status.success());
    let said = String::from_utf8_lossy(&rotate.stderr);
    assert!(
        said.contains("is missing") && said.contains(&master),
        "{said}"
    );
    assert!(!key_file(&app).exists());

    let empty = tempfile::tempdir().unwrap();
    let database_url = crate::support::fresh_database(empty.path()).await;
    let init = hanjinbi(empty.path(), Some(&database_url), &["keys", "init"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(String::from_utf8_lossy(&init.stdout).contains("NEW KEYS"));
    assert_eq!(mode(&empty.path().join("keys.toml")), 0o600);
    let check = hanjinbi(empty.path(), Some(&database_url), &["keys", "check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let again = hanjinbi(empty.path(), Some(&database_url), &["keys", "init"]);
    assert!(!again.status.success(), "an existing key file is kept");
}

#[tokio::test]
async fn read_only_commands_on_a_missing_database_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-shop");
    for args in [
        &["audit", "verify"][..],
        &["audit", "head"][..],
        &["keys", "check"][..],
    ] {
        let output = hanjinbi(&missing, None, args);
        assert!(!output.status.success(), "{args:?}");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains("no database at"), "{args:?}: {said}");
        assert!(!missing.exists(), "{args:?} created the data folder");
    }
}

#[tokio::test]
async fn the_data_folder_the_database_and_every_file_in_it_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    let migrated = hanjinbi(&data, None, &["migrate"]);
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("hanjinbi.sqlite3")), 0o600);

    let url = format!("sqlite://{}", data.join("hanjinbi.sqlite3").display());
    let mut server_settings = settings(&url, &data, true, ShopInfo::default());
    server_settings.mail = hanjinbi_services::mail::MailSettings::Folder(dir.path().join("mail"));
    let server = RunningServer::start(server_settings).await.unwrap();
    let app = TestApp {
        server,
        http: reqwest::Client::new(),
        database_url: url,
        dir,
    };
    let cart = cart_with(&app, "AKG2L-DEN-M", 1).await;
    assert_eq!(
        checkout(&app, &cart, buyer("lan@example.vn"))
            .await
            .status()
            .as_u16(),
        201
    );
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&path), expected, "{}", path.display());
        seen.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    seen.sort();
    assert!(seen.iter().any(|n| n == "hanjinbi.sqlite3-wal"), "{seen:?}");
    assert!(seen.iter().any(|n| n == "keys.toml"), "{seen:?}");
    app.server.stop().await.unwrap();
}
