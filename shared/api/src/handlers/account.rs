//! Sign-up, sign-in, sessions, `/me`, password reset and the second factor
//! (the `auth` function).

use crate::request::Req;
use crate::response::{empty, json, no_content};
use crate::routes::Pending;
use lambda_http::http::StatusCode;
use roster_domain::ports::App;
use roster_domain::service::security::{self, SignIn};
use roster_domain::service::{auth, Caller};
use roster_domain::timing;

// ------------------------------------------------------------------ public

pub fn signup<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        let out = auth::signup(app, req.json()?).await?;
        json(StatusCode::CREATED, &serde_json::json!({"user": out.user, "session": out.session}))
    })
}

pub fn login<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        match auth::login(app, req.json()?).await? {
            SignIn::Session(session) => json(StatusCode::OK, &serde_json::json!({ "session": session })),
            SignIn::SecondFactor(token) => {
                json(StatusCode::OK, &serde_json::json!({"mfa_required": true, "mfa_token": token}))
            }
        }
    })
}

pub fn login_mfa<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        let session = security::login_mfa(app, req.json()?).await?;
        json(StatusCode::OK, &serde_json::json!({ "session": session }))
    })
}

/// Always `202`, no sooner than R27's floor (a body that is no request at
/// all is still a `400`).
pub fn request_password_reset<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        timing::request_password_reset(app, req.json()?, tokio::time::sleep).await;
        empty(StatusCode::ACCEPTED)
    })
}

pub fn confirm_password_reset<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        security::confirm_password_reset(app, req.json()?).await?;
        no_content()
    })
}

pub fn verify_email<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        auth::verify_email(app, req.json()?).await?;
        no_content()
    })
}

// ---------------------------------------------------------------- personal

pub fn logout<'a>(app: &'a App, _req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        auth::logout(app, caller).await?;
        no_content()
    })
}

pub fn get_me<'a>(app: &'a App, _req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::OK, &auth::me(app, caller).await?) })
}

pub fn patch_me<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        let user = auth::patch_me(app, caller, req.json()?).await?;
        json(StatusCode::OK, &user)
    })
}

pub fn change_password<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        auth::change_password(app, caller, req.json()?).await?;
        no_content()
    })
}

pub fn enroll_totp<'a>(app: &'a App, _req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::OK, &security::enroll_totp(app, caller).await?) })
}

pub fn confirm_totp<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        security::confirm_totp(app, caller, req.json()?).await?;
        no_content()
    })
}

pub fn disable_totp<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        security::disable_totp(app, caller, req.json()?).await?;
        no_content()
    })
}
