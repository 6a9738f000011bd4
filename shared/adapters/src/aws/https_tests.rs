//! The https client against a real TLS server on localhost, whose
//! certificate (testdata/leaf.pem, for `localhost`) is signed by a test CA
//! (testdata/ca.pem) that is none of Mozilla's roots.

use super::*;
use rustls::{CertificateError, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

const TEST_CA: &[u8] = include_bytes!("testdata/ca.pem");
const LEAF: &[u8] = include_bytes!("testdata/leaf.pem");
const LEAF_KEY: &[u8] = include_bytes!("testdata/leaf.key");

#[test]
fn the_roots_are_exactly_webpki_roots_trust_anchors() {
    let roots = mozilla_roots();
    assert!(roots.len() > 100);
    assert_eq!(roots.roots, webpki_roots::TLS_SERVER_ROOTS);
}

#[tokio::test]
async fn a_server_certified_by_none_of_the_roots_is_refused() {
    let port = serve_once().await;
    let error = get(mozilla_roots(), port).await.expect_err("an unknown issuer is refused");
    // I/O, as the SDK's client has it: a connection that could not be made.
    assert!(error.is_io(), "{error:?}");
    let unknown_issuer = chain(&error)
        .any(|e| matches!(e.downcast_ref(), Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))));
    assert!(unknown_issuer, "{error:?}");
}

// The other side of the test above: the same server, once its CA is a root,
// so the refusal is the roots' doing.
#[tokio::test]
async fn the_same_server_is_trusted_once_its_ca_is_a_root() {
    let port = serve_once().await;
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(TEST_CA).expect("CA")).expect("CA as a root");
    let response = get(roots, port).await.expect("trusted");
    assert_eq!(response.status().as_u16(), 200);
}

// The connect timeout covers the TLS handshake, not only TCP's connect: a
// peer that accepts and never answers the ClientHello is a timeout.
#[tokio::test]
async fn a_handshake_that_never_ends_is_a_connect_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let Ok((tcp, _)) = listener.accept().await else { return };
        // Held open, silent.
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(tcp);
    });
    let timeouts = Timeouts { connect: Some(Duration::from_millis(200)), read: None };
    let call = get_with(mozilla_roots(), port, timeouts);
    let error = tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("the connect timeout ends the call")
        .expect_err("no handshake, no response");
    assert!(error.is_timeout(), "{error:?}");
}

#[test]
fn plain_http_only_to_this_machine() {
    for ok in [
        "https://dynamodb.eu-west-1.amazonaws.com/",
        "http://127.0.0.1:8000/",
        "http://localhost:9/",
        "http://[::1]:8000/",
    ] {
        assert!(secure_or_local(&ok.parse().expect("uri")), "{ok}");
    }
    for refused in
        ["http://dynamodb.eu-west-1.amazonaws.com/", "http://10.0.0.5:8000/", "http://127.0.0.1.evil.example/"]
    {
        assert!(!secure_or_local(&refused.parse().expect("uri")), "{refused}");
    }
}

async fn get(roots: RootCertStore, port: u16) -> Result<HttpResponse, ConnectorError> {
    get_with(roots, port, Timeouts { connect: None, read: None }).await
}

async fn get_with(roots: RootCertStore, port: u16, timeouts: Timeouts) -> Result<HttpResponse, ConnectorError> {
    let connector = Connector::new(&tls_config(roots), timeouts);
    let request = HttpRequest::get(format!("https://localhost:{port}/")).expect("request");
    connector.call(request).await
}

/// Each error, then its source; after an `io::Error` its payload, which is
/// where hyper-rustls puts rustls' error (`io::Error::source` skips it).
fn chain<'a>(error: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&e| match e.downcast_ref::<std::io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as &(dyn Error + 'static)),
        None => e.source(),
    })
}

/// A TLS server on a free port that answers one request with 200.
async fn serve_once() -> u16 {
    let leaf = CertificateDer::from_pem_slice(LEAF).expect("leaf");
    let key = PrivateKeyDer::from_pem_slice(LEAF_KEY).expect("key");
    let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![leaf], key)
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let Ok((tcp, _)) = listener.accept().await else { return };
        let Ok(mut tls) = acceptor.accept(tcp).await else { return };
        let mut head = [0; 4096];
        let _ = tls.read(&mut head).await;
        let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
        let _ = tls.shutdown().await;
    });
    port
}
