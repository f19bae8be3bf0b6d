//! Sending email: over SMTP when configured, otherwise as `.eml` files in a folder (for a
//! shop being tried out, or tests). Messages reach here only from the outbox worker.

use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
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
    /// `smtp://user:password@host:port` (STARTTLS) or `smtps://…` (TLS from the start).
    Smtp { url: String },
    /// One `.eml` file per message in this folder.
    Folder(PathBuf),
}

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Folder(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::Folder(_, dir) => write!(f, "Mailer::Folder({})", dir.display()),
        }
    }
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Mailer, MailError> {
        match settings {
            MailSettings::Smtp { url } => {
                // The URL holds the SMTP password: the error must not repeat it.
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|_| {
                        MailError::Settings(
                            "the SMTP URL is not valid; expected smtp://USER:PASSWORD@HOST:PORT \
                             or smtps://…"
                                .into(),
                        )
                    })?
                    .build();
                Ok(Mailer::Smtp(transport))
            }
            MailSettings::Folder(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| MailError::Settings(e.to_string()))?;
                Ok(Mailer::Folder(AsyncFileTransport::new(dir), dir.clone()))
            }
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        match self {
            Mailer::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Send(smtp_failure(&e))),
            Mailer::Folder(t, _) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Send(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_smtp_url_is_refused_without_repeating_its_password() {
        let err = Mailer::new(&MailSettings::Smtp {
            url: "ftp://shop:s3cret-pass@mail.example.vn".into(),
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("SMTP URL"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[tokio::test]
    async fn the_folder_transport_writes_eml_files() {
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
            .collect();
        assert_eq!(files.len(), 1);
    }
}
