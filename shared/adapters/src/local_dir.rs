//! Local stand-ins for SES and EventBridge (`MAIL_TRANSPORT=dir`): each mail
//! or event becomes one JSON file in a directory, so a developer or an
//! end-to-end test can open the invitation link without any AWS account.
//! The mailer can also play the receiving servers and bounce (issue 14).

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use roster_domain::clock::Clock;
use roster_domain::error::PortError;
use roster_domain::model::{DomainEvent, FeedbackKind, Mail, MailFeedback};
use roster_domain::ports::{EventPublisher, Mailer, Store};
use roster_domain::service::mail_feedback;
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Writes each mail to `dir` as `<created_at ms>-<uuid v7>-<template>.json`.
///
/// The millisecond prefix (from the injected clock, so tests that move time
/// see it) makes a plain directory listing chronological; the v7 uuid keeps
/// names unique and in send order within one millisecond.
#[derive(Clone)]
pub struct DirMailer {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    /// Where make-believe bounces are reported (`with_feedback`).
    feedback: Option<Arc<dyn Store>>,
}

impl DirMailer {
    /// The directory is created on the first send, so configuring a path that
    /// does not exist yet is fine.
    pub fn new(dir: impl Into<PathBuf>, clock: Arc<dyn Clock>) -> Self {
        Self { dir: dir.into(), clock, feedback: None }
    }

    /// Plays the receiving servers too: after writing a mail to an address
    /// whose local part starts with `bounce`, `complaint` or `transient`, it
    /// reports a permanent bounce, a complaint or a transient bounce to the
    /// same domain service the SES feedback handler calls, so the whole
    /// path runs without AWS (issue 14).
    pub fn with_feedback(mut self, store: Arc<dyn Store>) -> Self {
        self.feedback = Some(store);
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl std::fmt::Debug for DirMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirMailer").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// Exactly the fields the spec names for a local mail file, no more: readers
/// (scripts, end-to-end tests) rely on this shape.
#[derive(Serialize)]
struct MailFile<'a> {
    to: &'a str,
    subject: &'a str,
    text: &'a str,
    html: &'a str,
    template: &'a str,
    created_at: String,
}

#[async_trait]
impl Mailer for DirMailer {
    async fn send(&self, mail: &Mail) -> Result<(), PortError> {
        let created_at = self.clock.now();
        let file = MailFile {
            to: &mail.to,
            subject: &mail.subject,
            text: &mail.text,
            html: &mail.html,
            template: &mail.template,
            created_at: rfc3339(created_at),
        };
        let name = format!(
            "{}-{}-{}.json",
            millis_prefix(created_at),
            uuid::Uuid::now_v7(),
            file_safe(&mail.template, "mail")
        );
        let bytes = to_json(&file)?;
        write_atomically(&self.dir, &name, &bytes).await?;
        // The mail left, as through SES; what the receiving end makes of it
        // comes back afterwards, as SES's feedback would.
        if let (Some(store), Some(kind)) = (&self.feedback, make_believe_feedback(&mail.to)) {
            let feedback = MailFeedback { kind, recipients: vec![mail.to.clone()] };
            if let Err(e) = mail_feedback::record(store.as_ref(), &feedback, created_at).await {
                tracing::warn!(error = %e, "local mail feedback could not be recorded");
            }
        }
        Ok(())
    }
}

/// What the pretend receiving server says of mail to `to`, by its local
/// part's start.
fn make_believe_feedback(to: &str) -> Option<FeedbackKind> {
    let local = to.trim().rsplit_once('@')?.0.to_ascii_lowercase();
    [
        ("bounce", FeedbackKind::PermanentBounce),
        ("complaint", FeedbackKind::Complaint),
        ("transient", FeedbackKind::TransientBounce),
    ]
    .into_iter()
    .find(|(prefix, _)| local.starts_with(prefix))
    .map(|(_, kind)| kind)
}

/// Writes each domain event to `dir` as `<at ms>-<event id>-<detail type>.json`
/// with the fields `id, source, detail_type, at, detail`.
///
/// The name derives only from the event, so redelivering an event (the
/// outbox is at-least-once) replaces its file instead of adding a duplicate,
/// which is what a de-duplicating consumer would see.
#[derive(Debug, Clone)]
pub struct DirEvents {
    dir: PathBuf,
}

impl DirEvents {
    /// The directory is created on the first publish.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl EventPublisher for DirEvents {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), PortError> {
        for event in events {
            let file = json!({
                "id": event.id.to_string(),
                "source": crate::eventbridge::SOURCE,
                "detail_type": event.detail_type,
                "at": rfc3339(event.at),
                "detail": event.detail,
            });
            let name =
                format!("{}-{}-{}.json", millis_prefix(event.at), event.id, file_safe(&event.detail_type, "event"));
            write_atomically(&self.dir, &name, &to_json(&file)?).await?;
        }
        Ok(())
    }
}

/// Millisecond precision with a `Z`, matching what the system clock produces,
/// so every time in these files has one fixed-width shape.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Zero-padded so that names sort by time as plain strings.
fn millis_prefix(t: DateTime<Utc>) -> String {
    format!("{:015}", t.timestamp_millis().max(0))
}

/// Template and detail-type names come from code, but a stray `/` or `..`
/// must never turn a file name into a path.
fn file_safe(s: &str, fallback: &str) -> String {
    let cleaned: String =
        s.chars().take(64).map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    if cleaned.is_empty() {
        fallback.to_string()
    } else {
        cleaned
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, PortError> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| PortError::Backend(format!("cannot serialise for the local directory: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes under a hidden temporary name in the same directory and renames it
/// into place: a rename within one file system is atomic, so a reader polling
/// for `*.json` sees either nothing or the whole file.
async fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), PortError> {
    let io_err = |what: &str, path: &Path, e: std::io::Error| {
        PortError::Backend(format!("local directory: cannot {what} {}: {e}", path.display()))
    };
    tokio::fs::create_dir_all(dir).await.map_err(|e| io_err("create", dir, e))?;

    let target = dir.join(name);
    // Unique per write, so two writers of the same target never share a temp file.
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4()));
    let result = async {
        tokio::fs::write(&tmp, bytes).await.map_err(|e| io_err("write", &tmp, e))?;
        tokio::fs::rename(&tmp, &target).await.map_err(|e| io_err("rename into", &target, e))
    }
    .await;
    if result.is_err() {
        // Best effort: a leftover temp file is harmless (hidden, `.tmp`).
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    result
}
