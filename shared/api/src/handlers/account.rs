//! Sign-up, sign-in, sessions, `/me`, password reset and the second factor
//! (the `auth` function).

use crate::request::Req;
use crate::response::{empty, json, no_content};
use crate::routes::Pending;
use lambda_http::http::StatusCode;
use roster_domain::ports::App;
use roster_domain::service::context::Caller;
use roster_domain::service::sign_in::{self, SignIn};
use roster_domain::service::{account, recovery, second_factor, session, verification};

// ------------------------------------------------------------------ public

pub fn signup<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        let input = account::SignupInput { user_agent: req.user_agent(), ..req.json()? };
        let out = account::signup(app, input).await?;
        json(StatusCode::CREATED, &serde_json::json!({"user": out.user, "session": out.session}))
    })
}

pub fn login<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        let input = sign_in::LoginInput { user_agent: req.user_agent(), ..req.json()? };
        match sign_in::login(app, input).await? {
            SignIn::Session(session) => json(StatusCode::OK, &serde_json::json!({ "session": session })),
            SignIn::SecondFactor(token) => {
                json(StatusCode::OK, &serde_json::json!({"mfa_required": true, "mfa_token": token}))
            }
        }
    })
}

pub fn login_mfa<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        let input = sign_in::MfaLoginInput { user_agent: req.user_agent(), ..req.json()? };
        let session = sign_in::login_mfa(app, input).await?;
        json(StatusCode::OK, &serde_json::json!({ "session": session }))
    })
}

/// Always `202`, no sooner than R27's floor (a body that is no request at
/// all is still a `400`).
pub fn request_password_reset<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        recovery::request_password_reset(app, req.json()?, tokio::time::sleep).await;
        empty(StatusCode::ACCEPTED)
    })
}

pub fn confirm_password_reset<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        recovery::confirm_password_reset(app, req.json()?).await?;
        no_content()
    })
}

pub fn verify_email<'a>(app: &'a App, req: &'a Req) -> Pending<'a> {
    Box::pin(async move {
        verification::verify_email(app, req.json()?).await?;
        no_content()
    })
}

pub fn resend_verification<'a>(app: &'a App, _req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        verification::resend_verification(app, caller).await?;
        no_content()
    })
}

// ---------------------------------------------------------------- personal

pub fn logout<'a>(app: &'a App, _req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        session::logout(app, caller).await?;
        no_content()
    })
}

pub fn list_sessions<'a>(app: &'a App, _req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    // A list like every other (API.md), in one page: a user's live
    // sessions are those signed in within 12 hours.
    Box::pin(async move {
        let items = session::list_sessions(app, caller).await?;
        json(StatusCode::OK, &serde_json::json!({"items": items, "next_cursor": null}))
    })
}

pub fn end_session<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        session::end_session(app, caller, req.id("session_id")?).await?;
        no_content()
    })
}

pub fn end_other_sessions<'a>(app: &'a App, _req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        session::end_other_sessions(app, caller).await?;
        no_content()
    })
}

pub fn get_me<'a>(app: &'a App, _req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::OK, &account::me(app, caller).await?) })
}

pub fn patch_me<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        let user = account::patch_me(app, caller, req.json()?).await?;
        json(StatusCode::OK, &user)
    })
}

pub fn change_password<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        account::change_password(app, caller, req.json()?).await?;
        no_content()
    })
}

pub fn enroll_totp<'a>(app: &'a App, _req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move { json(StatusCode::OK, &second_factor::enroll_totp(app, caller).await?) })
}

pub fn confirm_totp<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        second_factor::confirm_totp(app, caller, req.json()?).await?;
        no_content()
    })
}

pub fn disable_totp<'a>(app: &'a App, req: &'a Req, caller: &'a Caller) -> Pending<'a> {
    Box::pin(async move {
        second_factor::disable_totp(app, caller, req.json()?).await?;
        no_content()
    })
}
