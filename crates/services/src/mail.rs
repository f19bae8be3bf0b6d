//! Sending email: over SMTP when configured, otherwise as `.eml` files in a folder (for a
//! shop being tried out, or tests). Messages reach here only from the outbox worker.

use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// What went wrong with SMTP, without the server's own words: a rejection often quotes the
/// recipient's address, and this text goes to the log and the outbox row.
fn smtp_failure(e: &lettre::transport::smtp::Error) -> String {
    let kind = if e.is_permanent() {
        "permanent rejection"
    } else if e.is_transient() {
        "temporary failure"
    } else if e.is_timeout() {
        "timeout"
    } else if e.is_tls() {
        "TLS failure"
    } else {
        "connection or protocol failure"
    };
    match e.status() {
        Some(code) => format!("SMTP {kind} (code {code})"),
        None => format!("SMTP {kind}"),
    }
}

#[derive(Debug, Error)]
pub enum MailError {
    #[error("invalid SMTP settings: {0}")]
    Settings(String),
    #[error("sending failed: {0}")]
    Send(String),
}

/// How outgoing mail leaves the shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailSettings {
    /// `smtps://user:password@host:465` (TLS from the start) or `smtp://…:587` (STARTTLS,
    /// which must succeed before anything else is sent).
    Smtp(SmtpSettings),
    /// One `.eml` file per message in this folder (mode 0700; files 0600).
    Folder(PathBuf),
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub url: String,
    /// The longest wait for any one SMTP step (connecting, each command); a whole message
    /// gets three times as long.
    pub timeout: Duration,
    /// Send in clear, without TLS: only for a relay on this same machine (a loopback
    /// address), where nothing crosses a network.
    pub insecure_plaintext_local_relay: bool,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL holds the password.
        f.debug_struct("SmtpSettings")
            .field("timeout", &self.timeout)
            .field(
                "insecure_plaintext_local_relay",
                &self.insecure_plaintext_local_relay,
            )
            .finish_non_exhaustive()
    }
}

impl SmtpSettings {
    pub fn new(url: String) -> SmtpSettings {
        SmtpSettings {
            url,
            timeout: Duration::from_secs(30),
            insecure_plaintext_local_relay: false,
        }
    }
}

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        deadline: Duration,
    },
    Folder(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { .. } => f.write_str("Mailer::Smtp"),
            Mailer::Folder(dir) => write!(f, "Mailer::Folder({})", dir.display()),
        }
    }
}

/// The host of an SMTP URL (without user, password, port or brackets).
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(bracketed) = host_port.strip_prefix('[') {
        return bracketed.split_once(']').map(|(h, _)| h);
    }
    host_port.split(':').next().filter(|h| !h.is_empty())
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn settings_error(text: &str) -> MailError {
    MailError::Settings(text.to_owned())
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Mailer, MailError> {
        match settings {
            MailSettings::Smtp(smtp) => Mailer::smtp(smtp),
            MailSettings::Folder(dir) => {
                create_private_dir(dir).map_err(|e| {
                    MailError::Settings(format!(
                        "cannot prepare the mail folder {}: {e}",
                        dir.display()
                    ))
                })?;
                Ok(Mailer::Folder(dir.clone()))
            }
        }
    }

    fn smtp(smtp: &SmtpSettings) -> Result<Mailer, MailError> {
        // The URL holds the SMTP password: no error may repeat it.
        let invalid = || {
            settings_error(
                "the SMTP URL is not valid; expected smtps://USER:PASSWORD@HOST:465 or \
                 smtp://USER:PASSWORD@HOST:587 (STARTTLS)",
            )
        };
        let (scheme, _) = smtp.url.split_once("://").ok_or_else(invalid)?;
        let host = url_host(&smtp.url).ok_or_else(invalid)?.to_owned();
        if smtp.url.contains('?') {
            return Err(settings_error(
                "the SMTP URL must not carry options (such as ?tls=): TLS is always required, \
                 with smtps:// from the start or smtp:// through STARTTLS",
            ));
        }
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp.url)
            .map_err(|_| invalid())?
            .timeout(Some(smtp.timeout));
        let builder =
            match (scheme, smtp.insecure_plaintext_local_relay) {
                ("smtps", false) => builder,
                ("smtp", false) => {
                    let parameters = TlsParameters::new(host).map_err(|_| {
                        settings_error("cannot prepare TLS for the SMTP server's host name")
                    })?;
                    builder.tls(Tls::Required(parameters))
                }
                ("smtp", true) if is_loopback(&host) => {
                    tracing::warn!(
                        "mail goes to the local SMTP relay WITHOUT TLS \
                     (insecure plaintext local relay is on): the relay must encrypt onwards"
                    );
                    builder.tls(Tls::None)
                }
                ("smtp", true) => return Err(settings_error(
                    "plaintext SMTP is allowed only to a relay on this machine (localhost or a \
                     loopback address); use smtps:// or smtp:// with STARTTLS for any other host",
                )),
                ("smtps", true) => {
                    return Err(settings_error(
                        "the insecure plaintext local relay setting needs an smtp:// URL",
                    ))
                }
                _ => return Err(invalid()),
            };
        Ok(Mailer::Smtp {
            transport: builder.build(),
            deadline: smtp.timeout.saturating_mul(3),
        })
    }

    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        match self {
            Mailer::Smtp {
                transport,
                deadline,
            } => match tokio::time::timeout(*deadline, transport.send(message)).await {
                Ok(sent) => sent
                    .map(|_| ())
                    .map_err(|e| MailError::Send(smtp_failure(&e))),
                Err(_) => Err(MailError::Send("SMTP timeout (whole message)".into())),
            },
            Mailer::Folder(dir) => write_private_file(dir, &message.formatted())
                .await
                .map_err(|e| MailError::Send(format!("cannot write the mail file: {e}"))),
        }
    }
}

/// The folder for mail files, readable by the shop's user only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Writes one message as a new `.eml` file created 0600 (never readable by others, not even
/// for a moment).
async fn write_private_file(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let name = format!("{:032x}.eml", rand::random::<u128>());
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(dir.join(name)).await?;
    file.write_all(bytes).await?;
    file.sync_all().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_smtp_url_is_refused_without_repeating_its_password() {
        let err = Mailer::new(&MailSettings::Smtp(SmtpSettings::new(
            "ftp://shop:s3cret-pass@mail.example.vn".into(),
        )))
        .unwrap_err()
        .to_string();
        assert!(err.contains("SMTP URL"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn hosts_are_read_from_smtp_urls() {
        assert_eq!(
            url_host("smtp://u:p@mail.example.vn:587"),
            Some("mail.example.vn")
        );
        assert_eq!(url_host("smtp://u:p@w@127.0.0.1"), Some("127.0.0.1"));
        assert_eq!(url_host("smtp://[::1]:25"), Some("::1"));
        assert_eq!(url_host("smtp://"), None);
    }

    #[test]
    fn plaintext_smtp_is_refused_unless_named_and_local() {
        let plain_remote = SmtpSettings {
            insecure_plaintext_local_relay: true,
            ..SmtpSettings::new("smtp://u:p@mail.example.vn:25".into())
        };
        let err = Mailer::new(&MailSettings::Smtp(plain_remote))
            .unwrap_err()
            .to_string();
        assert!(err.contains("only to a relay on this machine"), "{err}");
        let plain_local = SmtpSettings {
            insecure_plaintext_local_relay: true,
            ..SmtpSettings::new("smtp://127.0.0.1:25".into())
        };
        assert!(Mailer::new(&MailSettings::Smtp(plain_local)).is_ok());
        let opted_out = SmtpSettings::new("smtp://u:p@mail.example.vn:587?tls=none".into());
        assert!(Mailer::new(&MailSettings::Smtp(opted_out)).is_err());
    }

    #[tokio::test]
    async fn mail_files_are_written_0600_in_a_0700_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::new(&MailSettings::Folder(dir.path().join("mail"))).unwrap();
        let message = Message::builder()
            .from("Shop <shop@example.vn>".parse().unwrap())
            .to("lan@example.vn".parse().unwrap())
            .subject("Xin chào")
            .body(String::from("Nội dung"))
            .unwrap();
        mailer.send(message).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&files[0]), 0o600);
            assert_eq!(mode(&dir.path().join("mail")), 0o700);
        }
    }
}
