//! Sending email: over SMTP when configured, otherwise as `.eml` files in a folder (for a
//! shop being tried out, or tests). Messages reach here only from the outbox worker.

use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use thiserror::Error;

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
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Settings(e.to_string()))?
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
                .map_err(|e| MailError::Send(e.to_string())),
            Mailer::Folder(t, _) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| MailError::Send(e.to_string())),
        }
    }
}
