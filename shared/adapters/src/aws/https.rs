//! The https client every AWS SDK client takes.
//!
//! The SDK's own client (aws-smithy-http-client 1.5) takes roots of one's
//! own only as PEM, which it decodes and parses again each time it builds a
//! connector: about 1.2 ms of auth's 5.2 ms of start CPU (bench/history.md,
//! "branch size5"). It has no hook for a rustls configuration of one's own
//! (`ConnectorBuilder::wrap_connector` is crate-private), so this is its
//! connector again from the same parts: hyper-util's pooled client,
//! hyper-rustls, and rustls on ring with the SDK's cipher suites and TLS 1.2
//! and 1.3, its root store filled from webpki-roots' trust anchors, which are
//! already in the form the verifier reads. Servers' certificates are
//! verified by rustls' WebPKI verifier, as before.

use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper::Uri;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::crypto::CryptoProvider;
use rustls::{CipherSuite, ClientConfig, RootCertStore};
use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

/// The suites the SDK's client restricts rustls to (its `restrict_ciphers`).
const SUITES: [CipherSuite; 7] = [
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// Mozilla's roots, as webpki-roots compiles them in.
pub(super) fn mozilla_roots() -> RootCertStore {
    RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() }
}

/// A client trusting `roots` alone. Like the SDK's, it keeps one connector
/// (so one connection pool) per connect and read timeout it is asked for.
pub(super) fn client(roots: RootCertStore) -> SharedHttpClient {
    let tls = tls_config(roots);
    let connectors: Mutex<Vec<(Timeouts, SharedHttpConnector)>> = Mutex::default();
    http_client_fn(move |settings, _| {
        let key = Timeouts::of(settings);
        let mut connectors = connectors.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, connector)) = connectors.iter().find(|(timeouts, _)| *timeouts == key) {
            return connector.clone();
        }
        let connector = SharedHttpConnector::new(Connector::new(&tls, key));
        connectors.push((key, connector.clone()));
        connector
    })
}

fn tls_config(roots: RootCertStore) -> Result<ClientConfig, rustls::Error> {
    let ring = rustls::crypto::ring::default_provider();
    let cipher_suites = ring.cipher_suites.iter().filter(|suite| SUITES.contains(&suite.suite())).copied().collect();
    let provider = CryptoProvider { cipher_suites, ..ring };
    Ok(ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Timeouts {
    connect: Option<Duration>,
    read: Option<Duration>,
}

impl Timeouts {
    fn of(settings: &HttpConnectorSettings) -> Self {
        Self { connect: settings.connect_timeout(), read: settings.read_timeout() }
    }
}

#[derive(Debug)]
struct Connector {
    /// A TLS configuration rustls refused fails every call rather than the
    /// function's start.
    pool: Result<Client<TimedConnect<HttpsConnector<TcpConnector>>, SdkBody>, rustls::Error>,
    read_timeout: Option<Duration>,
}

impl Connector {
    fn new(tls: &Result<ClientConfig, rustls::Error>, timeouts: Timeouts) -> Self {
        let pool = tls.clone().map(|tls| {
            let mut tcp = TcpConnector::new();
            tcp.enforce_http(false);
            tcp.set_nodelay(true);
            let https =
                HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http().enable_http1().wrap_connector(tcp);
            let timed = TimedConnect { inner: https, limit: timeouts.connect };
            Client::builder(TokioExecutor::new()).pool_timer(TokioTimer::new()).build(timed)
        });
        Self { pool, read_timeout: timeouts.read }
    }
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let pool = match &self.pool {
            Ok(pool) => pool,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.clone().into()))),
        };
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        if !secure_or_local(request.uri()) {
            let refused: BoxError = "plain http only to a loopback address (AWS_ENDPOINT_URL*)".into();
            return HttpConnectorFuture::ready(Err(ConnectorError::user(refused)));
        }
        let response = pool.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let response = match read_timeout {
                Some(limit) => {
                    tokio::time::timeout(limit, response).await.map_err(|e| ConnectorError::timeout(e.into()))?
                }
                None => response.await,
            };
            let response = response.map_err(classify)?;
            HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                .map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// Signed requests and their data go out in clear only to this machine
/// (DynamoDB Local, moto, `make dev`): an `AWS_ENDPOINT_URL*` set to another
/// host over `http://` is refused rather than followed (hostile review).
fn secure_or_local(uri: &Uri) -> bool {
    let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    uri.scheme_str() != Some("http")
        || host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The connect timeout over the whole connection, TCP and the TLS handshake,
/// as the SDK's client applies it: bounding the TCP connect alone would let
/// a peer that accepts and then stalls the handshake hold the call until
/// the function's own time runs out (hostile review).
#[derive(Clone, Debug)]
struct TimedConnect<C> {
    inner: C,
    limit: Option<Duration>,
}

type BoxError = Box<dyn Error + Send + Sync>;

impl<C> tower_service::Service<Uri> for TimedConnect<C>
where
    C: tower_service::Service<Uri>,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let limit = self.limit;
        Box::pin(async move {
            match limit {
                None => connecting.await.map_err(Into::into),
                Some(limit) => match tokio::time::timeout(limit, connecting).await {
                    Ok(connected) => connected.map_err(Into::into),
                    // An io::Error of kind TimedOut, which `classify` reports
                    // as a timeout.
                    Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out").into()),
                },
            }
        })
    }
}

/// What the SDK's retry strategy needs to know of a failed call, as the
/// SDK's own client tells it (its `downcast_error`): a connection that could
/// not be made or was lost is I/O, and so retried.
fn classify(error: hyper_util::client::legacy::Error) -> ConnectorError {
    let timed_out = source::<std::io::Error>(&error).is_some_and(|e| e.kind() == std::io::ErrorKind::TimedOut);
    if timed_out || source::<hyper::Error>(&error).is_some_and(hyper::Error::is_timeout) {
        return ConnectorError::timeout(error.into());
    }
    if error.is_connect() {
        return ConnectorError::io(error.into());
    }
    match source::<hyper::Error>(&error) {
        Some(e) if e.is_user() => ConnectorError::user(error.into()),
        Some(e) if e.is_incomplete_message() => ConnectorError::other(error.into(), Some(ErrorKind::TransientError)),
        Some(e) if e.is_closed() || e.is_canceled() => ConnectorError::io(error.into()),
        _ if source::<std::io::Error>(&error).is_some() => ConnectorError::io(error.into()),
        _ => ConnectorError::other(error.into(), None),
    }
}

/// The first `E` in `error`'s chain, `error` included.
fn source<'a, E: Error + 'static>(error: &'a (dyn Error + 'static)) -> Option<&'a E> {
    std::iter::successors(Some(error), |&e| e.source()).find_map(|e| e.downcast_ref::<E>())
}

#[cfg(test)]
#[path = "https_tests.rs"]
mod tests;
