//! TLS set-up with rustls and the `ring` provider chosen explicitly (no process-wide default
//! provider is needed, and the same code builds for Android and iOS).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::config::{ClientTls, HubTls};
use crate::error::{Error, ErrorCode, Result};

pub mod pins;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

fn tls_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Tls, format!("{what}: {e}"))
}

/// Parses every certificate in a PEM text.
pub fn certs_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| tls_err("cannot read PEM certificates", e))?;
    if certs.is_empty() {
        return Err(Error::new(ErrorCode::Tls, "no certificate found in the PEM data"));
    }
    Ok(certs)
}

/// Builds the rustls client configuration: webpki roots plus any extra CA, certificate errors
/// refused unless `danger_accept_invalid_certs` is set.
pub fn client_config(tls: &ClientTls, alpn_http1: bool) -> Result<Arc<rustls::ClientConfig>> {
    client_config_pinned(tls, alpn_http1, &pins::Pins::default())
}

/// [`client_config`] with certificate pins checked on the verified chain (see [`pins`]).
pub fn client_config_pinned(tls: &ClientTls, alpn_http1: bool, pins: &pins::Pins) -> Result<Arc<rustls::ClientConfig>> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err("TLS versions", e))?;
    let roots = if tls.danger_accept_invalid_certs {
        None
    } else {
        let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if !tls.extra_ca_pem.is_empty() {
            for cert in certs_from_pem(&tls.extra_ca_pem)? {
                roots.add(cert).map_err(|e| tls_err("cannot add the extra CA certificate", e))?;
            }
        }
        Some(roots)
    };
    let mut config = match (roots, pins.is_empty()) {
        (Some(roots), true) => builder.with_root_certificates(roots).with_no_client_auth(),
        (None, true) => builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider()))).with_no_client_auth(),
        (roots, false) => {
            let verifier = pins::PinningVerifier { pins: pins.clone(), roots: roots.map(Arc::new), provider: provider() };
            builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
        }
    };
    if alpn_http1 {
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
    }
    Ok(Arc::new(config))
}

/// Builds the rustls server configuration from PEM certificate and key files.
pub fn server_config(tls: &HubTls) -> Result<Arc<rustls::ServerConfig>> {
    let cert_pem = std::fs::read(&tls.cert).map_err(|e| tls_err(&format!("cannot read certificate file {}", tls.cert.display()), e))?;
    let key_pem = std::fs::read(&tls.key).map_err(|e| tls_err(&format!("cannot read key file {}", tls.key.display()), e))?;
    server_config_from_pem(&cert_pem, &key_pem)
}

/// What to do about a CA certificate used as a server certificate (shared by the hub's start
/// check and the client's connect error).
pub const CA_AS_SERVER_CERT_FIX: &str = "a CA certificate (basicConstraints CA:TRUE, what `openssl req -x509` makes by default) cannot be a server certificate; \
     create a private CA and a server certificate signed by it with `omnisock cert HOST...`, serve cert.pem/key.pem and let clients trust ca.pem";

/// Builds the rustls server configuration from PEM texts.
pub fn server_config_from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<rustls::ServerConfig>> {
    let certs = certs_from_pem(cert_pem)?;
    if crate::x509::is_ca_certificate(&certs[0]) == Some(true) {
        return Err(Error::new(ErrorCode::Tls, format!("the server certificate is a CA certificate: {CA_AS_SERVER_CERT_FIX}")));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| tls_err("cannot read the PEM private key", e))?;
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err("TLS versions", e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls_err("certificate and key do not form a valid pair", e))?;
    Ok(Arc::new(config))
}

/// Parses a host name or IP into a rustls server name.
pub fn server_name(host: &str) -> Result<ServerName<'static>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string()).map_err(|e| Error::invalid(format!("invalid TLS server name {host:?}: {e}")))
}

/// The verifier behind `danger_accept_invalid_certs`: accepts every certificate.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
