//! The production mailer: one SES v2 `SendEmail` per rendered mail.

use async_trait::async_trait;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use roster_domain::error::PortError;
use roster_domain::model::Mail;
use roster_domain::ports::Mailer;

/// Sends mail through SES v2 from one verified sender.
///
/// The sender is fixed at construction because SES only accepts verified
/// identities, and it is configuration, not something a use case chooses.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_sesv2::Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    /// `from` must be an identity (address or domain) verified in SES for the
    /// client's region; otherwise every send is rejected.
    pub fn new(client: aws_sdk_sesv2::Client, from: impl Into<String>) -> Self {
        Self { client, from: from.into(), configuration_set: None }
    }

    /// Names the configuration set on every send: its event destination is
    /// what brings bounces and complaints back (issue 14). Without one, SES
    /// still sends, and Roster never hears of a bounce.
    pub fn with_configuration_set(mut self, name: impl Into<String>) -> Self {
        self.configuration_set = Some(name.into());
        self
    }
}

/// Subjects and bodies carry names typed by users, so the charset is stated
/// explicitly rather than left to SES's ASCII default.
const CHARSET: &str = "UTF-8";

fn utf8(data: &str, part: &str) -> Result<Content, PortError> {
    Content::builder()
        .data(data)
        .charset(CHARSET)
        .build()
        .map_err(|e| PortError::Backend(format!("SES v2: cannot build the mail's {part}: {e}")))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<(), PortError> {
        let mut body = Body::builder().text(utf8(&mail.text, "text body")?);
        // An empty HTML part would show a blank message in clients that prefer
        // HTML, so a mail without HTML goes out as plain text only.
        if !mail.html.is_empty() {
            body = body.html(utf8(&mail.html, "HTML body")?);
        }
        let message = Message::builder().subject(utf8(&mail.subject, "subject")?).body(body.build()).build();

        self.client
            .send_email()
            .from_email_address(&self.from)
            .set_configuration_set_name(self.configuration_set.clone())
            .destination(Destination::builder().to_addresses(&mail.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            // The recipient is personal data and stays out of the message,
            // SES's own included (the sandbox's "not verified" names it); the
            // template is enough to find the mail in the outbox.
            .map_err(|e| {
                PortError::Backend(format!(
                    "SES v2 SendEmail of a `{}` mail failed: {}",
                    mail.template,
                    without(&DisplayErrorContext(&e).to_string(), &mail.to)
                ))
            })?;
        Ok(())
    }
}

/// `text` with every occurrence of `address` (in any letter case: SES may
/// quote it as given or lower-cased) replaced by a placeholder.
fn without(text: &str, address: &str) -> String {
    if address.is_empty() || !address.is_ascii() {
        return text.to_string();
    }
    let (lower, needle) = (text.to_ascii_lowercase(), address.to_ascii_lowercase());
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    // ASCII lower-casing keeps every byte offset, so offsets found in
    // `lower` cut `text` on the same character boundaries.
    for (at, _) in lower.match_indices(&needle) {
        out.push_str(&text[rest..at]);
        out.push_str("<recipient>");
        rest = at + needle.len();
    }
    out.push_str(&text[rest..]);
    out
}

#[cfg(test)]
mod tests {
    use super::without;

    #[test]
    fn the_recipient_is_cut_out_of_sess_errors() {
        let e = "MessageRejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: Ana@Clinic.example, ana@clinic.example";
        let cut = without(e, "ana@clinic.example");
        assert!(!cut.to_ascii_lowercase().contains("ana@clinic.example"), "{cut}");
        assert!(cut.ends_with("EU-WEST-1: <recipient>, <recipient>"), "{cut}");
        assert_eq!(without("ünïcode text", "x@y.example"), "ünïcode text");
    }
}
