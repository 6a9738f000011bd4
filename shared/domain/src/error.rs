use serde::Serialize;

/// One field that broke its rule, reported in `422 validation_failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Every way a use case can refuse. The HTTP layer maps each variant to its
/// status and API.md code in one place; nothing else decides a status.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("the request is not valid: {0}")]
    Malformed(String),
    #[error("one or more fields are invalid")]
    Validation(Vec<FieldError>),
    #[error("authentication required")]
    Unauthenticated,
    #[error("email or password is wrong")]
    InvalidCredentials,
    #[error("you may not do this")]
    Forbidden,
    #[error("support agents have read-only access")]
    SupportReadOnly,
    #[error("not found")]
    NotFound,
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("this person is already a member of the practice")]
    AlreadyMember,
    #[error("this person is a deactivated member; reactivate them instead")]
    MemberDeactivated,
    #[error("an invitation to this email is already pending; resend it instead")]
    InvitationPending,
    #[error("this invitation has expired")]
    InvitationExpired,
    #[error("this invitation was revoked")]
    InvitationRevoked,
    #[error("this invitation is no longer pending")]
    InvitationNotPending,
    #[error("this invitation was sent to another email address")]
    InvitationEmailMismatch,
    #[error("a practice must keep at least one active director")]
    LastDirector,
    #[error("the role is held by a member or a pending invitation")]
    RoleInUse,
    #[error("the member's former role no longer exists; name a role")]
    RoleRequired,
    #[error("a paid seat (a practitioner or a module) requires accepting the license terms: send accept_license_terms: true")]
    LicenseTermsRequired,
    #[error("the resource changed since you read it")]
    PreconditionFailed,
    #[error("the account is locked; an administrator can unlock it")]
    AccountLocked,
    #[error("two-factor enrollment is required first")]
    MfaRequired,
    #[error("this practice's security policy does not enable emergency access")]
    EmergencyAccessDisabled,
    #[error("the session was unused for longer than this practice allows; sign in again")]
    SessionIdle,
    #[error("verify your email address first")]
    EmailUnverified,
    #[error("the temporary password must be changed first")]
    PasswordChangeRequired,
    #[error("too many requests; try again later")]
    RateLimited,
    #[error("the token is no longer valid")]
    TokenGone,
    #[error("this Idempotency-Key was used with another request; use a new key")]
    IdempotencyKeyReused,
    #[error("the state of the resource forbids this: {0}")]
    Conflict(&'static str),
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn field(field: &str, message: &str) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A failure on the service's side (the `5xx` of the problem mapping),
    /// not the request's: worth the same request again.
    pub fn is_ours(&self) -> bool {
        matches!(self, Self::Internal(_))
    }
}

/// Errors from a port. Conditions that failed inside a transaction come back
/// as [`PortError::Conflict`] carrying the domain error the use case attached to that write.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error("transaction refused: {0}")]
    Conflict(DomainError),
    #[error("concurrent transaction on the same items")]
    Contention,
    #[error("{0}")]
    Backend(String),
}

impl From<PortError> for DomainError {
    fn from(e: PortError) -> Self {
        match e {
            PortError::Conflict(d) => d,
            // Two writers raced on one item and both lost; the caller may retry.
            PortError::Contention => DomainError::PreconditionFailed,
            PortError::Backend(m) => DomainError::Internal(m),
        }
    }
}
