//! The store boundary, checked: only `hanjinbi-store` talks to a database driver. Every
//! other crate of the workspace reaches the database through the store's functions, so no
//! crate but the store may depend on a driver (in any dependency table of its `Cargo.toml`)
//! or name one in its Rust sources, and only test and benchmark builds may turn on the
//! store's `testing` feature (raw SQL).
//!
//! A test rather than a review note: the rule breaks quietly, one `use sqlx::Row` at a time.

use std::path::{Path, PathBuf};

/// The crate allowed to use the drivers.
const STORE: &str = "hanjinbi-store";

/// Driver packages, by the name their `Cargo.toml` entry resolves to. `sqlx-*` covers the
/// parts of sqlx published separately (`sqlx-core`, `sqlx-sqlite`, …).
fn is_driver_package(package: &str) -> bool {
    package == "sqlx"
        || package.starts_with("sqlx-")
        || matches!(
            package,
            "rusqlite" | "libsqlite3-sys" | "postgres" | "tokio-postgres"
        )
}

/// What a driver is called in Rust source.
const DRIVER_PATHS: &[&str] = &["sqlx", "rusqlite", "libsqlite3_sys", "tokio_postgres"];

/// This file names the drivers to look for them; it is the one source exempt from the scan.
/// Its own dependencies are those of `hanjinbi`, which the manifest check covers.
const THIS_FILE: &str = "tests/boundary.rs";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/hanjinbi sits two folders below the workspace root")
        .to_owned()
}

fn read_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{} is not valid TOML: {e}", path.display()))
}

/// The folders of the workspace's member crates, from `[workspace] members` (a path, or a
/// folder followed by `/*` for every crate in it).
fn member_crates(root: &Path) -> Vec<PathBuf> {
    let manifest = read_toml(&root.join("Cargo.toml"));
    let members = manifest
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .expect("the root Cargo.toml lists [workspace] members");
    let mut crates = Vec::new();
    for member in members {
        let member = member.as_str().expect("a member is a path");
        match member.strip_suffix("/*") {
            Some(parent) => {
                let entries = std::fs::read_dir(root.join(parent))
                    .unwrap_or_else(|e| panic!("cannot list {parent}: {e}"));
                for entry in entries {
                    let path = entry.expect("a folder entry").path();
                    if path.join("Cargo.toml").is_file() {
                        crates.push(path);
                    }
                }
            }
            None => {
                assert!(
                    !member.contains('*'),
                    "workspace member {member:?}: only a trailing /* is understood here"
                );
                crates.push(root.join(member));
            }
        }
    }
    crates.sort();
    assert!(
        crates.len() >= 6,
        "found only {} crates in the workspace: {crates:?}",
        crates.len()
    );
    crates
}

/// Every dependency table of a manifest, named as in the file: `[dependencies]`,
/// `[dev-dependencies]`, `[build-dependencies]`, and the same under each
/// `[target.'cfg(…)']`.
fn dependency_tables(manifest: &toml::Table) -> Vec<(String, &toml::Table)> {
    const KINDS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    let mut tables = Vec::new();
    for kind in KINDS {
        if let Some(table) = manifest.get(kind).and_then(|t| t.as_table()) {
            tables.push((kind.to_owned(), table));
        }
    }
    if let Some(targets) = manifest.get("target").and_then(|t| t.as_table()) {
        for (target, spec) in targets {
            for kind in KINDS {
                if let Some(table) = spec.get(kind).and_then(|t| t.as_table()) {
                    tables.push((format!("target.{target}.{kind}"), table));
                }
            }
        }
    }
    tables
}

/// The package a dependency entry resolves to: its `package = "…"` when renamed, else its
/// key.
fn package_of<'a>(key: &'a str, entry: &'a toml::Value) -> &'a str {
    entry.get("package").and_then(|p| p.as_str()).unwrap_or(key)
}

fn package_name(manifest: &toml::Table, path: &Path) -> String {
    manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or_else(|| panic!("{} has no package name", path.display()))
        .to_owned()
}

/// Whether a dependency entry turns on the store's `testing` feature.
fn enables_testing(entry: &toml::Value) -> bool {
    entry
        .get("features")
        .and_then(|f| f.as_array())
        .is_some_and(|features| features.iter().any(|f| f.as_str() == Some("testing")))
}

/// Every `.rs` file under `dir`, build output excluded.
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_crate_but_the_store_depends_on_a_database_driver() {
    let root = workspace_root();
    let mut found = Vec::new();
    let mut store_seen = false;
    for krate in member_crates(&root) {
        let path = krate.join("Cargo.toml");
        let manifest = read_toml(&path);
        let name = package_name(&manifest, &path);
        if name == STORE {
            store_seen = true;
            continue;
        }
        for (table, deps) in dependency_tables(&manifest) {
            for (key, entry) in deps {
                let package = package_of(key, entry);
                if is_driver_package(package) {
                    found.push(format!(
                        "{}: [{table}] {key} (package {package})",
                        path.strip_prefix(&root).unwrap_or(&path).display()
                    ));
                }
            }
        }
    }
    assert!(store_seen, "no crate named {STORE} in the workspace");
    assert!(
        found.is_empty(),
        "only {STORE} may depend on a database driver; found:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_tests_and_benchmarks_turn_on_the_stores_raw_sql() {
    let root = workspace_root();
    let mut found = Vec::new();
    for krate in member_crates(&root) {
        let path = krate.join("Cargo.toml");
        let manifest = read_toml(&path);
        for (table, deps) in dependency_tables(&manifest) {
            if table.ends_with("dev-dependencies") {
                continue;
            }
            for (key, entry) in deps {
                if package_of(key, entry) == STORE && enables_testing(entry) {
                    found.push(format!(
                        "{}: [{table}] {key}",
                        path.strip_prefix(&root).unwrap_or(&path).display()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the store's `testing` feature belongs in [dev-dependencies] only; found:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_source_outside_the_store_names_a_database_driver() {
    let root = workspace_root();
    let this_file = Path::new(env!("CARGO_MANIFEST_DIR")).join(THIS_FILE);
    let mut scanned = 0;
    let mut found = Vec::new();
    for krate in member_crates(&root) {
        let path = krate.join("Cargo.toml");
        if package_name(&read_toml(&path), &path) == STORE {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&krate, &mut files);
        files.sort();
        for file in files.into_iter().filter(|f| *f != this_file) {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            scanned += 1;
            for (number, line) in text.lines().enumerate() {
                if let Some(driver) = DRIVER_PATHS.iter().find(|d| line.contains(*d)) {
                    found.push(format!(
                        "{}:{}: {driver}: {}",
                        file.strip_prefix(&root).unwrap_or(&file).display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(scanned > 50, "scanned only {scanned} source files");
    assert!(
        found.is_empty(),
        "only {STORE} may use a database driver; found:\n{}",
        found.join("\n")
    );
}
