//! Certificate pinning with OkHttp `CertificatePinner` semantics: a pin is `sha256/BASE64`
//! of a certificate's SubjectPublicKeyInfo; a host matching a pattern (`host`, `*.host` for
//! one more label, `**.host` for any depth, the host itself included) must have one of the
//! pattern's pins somewhere in its verified chain (leaf, intermediates or trust anchor).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::{Error, Result};

/// One `[pattern, pin]` pair, parsed.
#[derive(Debug, Clone, PartialEq)]
struct Pin {
    pattern: String,
    sha256: [u8; 32],
}

/// A parsed list of pins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pins {
    pins: Vec<Pin>,
}

impl Pins {
    /// Parses `[pattern, "sha256/BASE64"]` pairs; a bad pattern or pin is an error naming it.
    pub fn parse(pairs: &[(String, String)]) -> Result<Pins> {
        let mut pins = Vec::with_capacity(pairs.len());
        for (pattern, pin) in pairs {
            let p = pattern.trim().to_ascii_lowercase();
            let base = p.strip_prefix("**.").or_else(|| p.strip_prefix("*.")).unwrap_or(&p);
            if base.is_empty() || base.contains('*') || base.starts_with('.') || base.ends_with('.') {
                return Err(Error::invalid(format!(
                    "certificate pin pattern {pattern:?}: expected a host name, *.host (one label) or **.host (any depth)"
                )));
            }
            let b64 = pin.strip_prefix("sha256/").ok_or_else(|| {
                Error::invalid(format!("certificate pin {pin:?} for {pattern:?}: pins must start with \"sha256/\" (the SHA-256 of the SubjectPublicKeyInfo, base64)"))
            })?;
            let bytes = crate::base64::decode(b64).filter(|b| b.len() == 32).ok_or_else(|| {
                Error::invalid(format!("certificate pin {pin:?} for {pattern:?}: not a base64 SHA-256 hash (44 characters)"))
            })?;
            let mut sha256 = [0u8; 32];
            sha256.copy_from_slice(&bytes);
            pins.push(Pin { pattern: p, sha256 });
        }
        Ok(Pins { pins })
    }

    /// No pins at all.
    pub fn is_empty(&self) -> bool {
        self.pins.is_empty()
    }

    /// The pins that apply to `host`.
    fn for_host(&self, host: &str) -> Vec<&Pin> {
        let host = host.to_ascii_lowercase();
        self.pins.iter().filter(|p| pattern_matches(&p.pattern, &host)).collect()
    }

    /// Checks the SPKI hashes of a host's chain; the error lists the chain's pins and the
    /// pins configured for the host, as OkHttp's does.
    pub fn check(&self, host: &str, chain: &[[u8; 32]]) -> std::result::Result<(), String> {
        let wanted = self.for_host(host);
        if wanted.is_empty() || chain.iter().any(|h| wanted.iter().any(|p| &p.sha256 == h)) {
            return Ok(());
        }
        let mut msg = String::from("Certificate pinning failure!\n  Peer certificate chain:");
        for h in chain {
            msg.push_str(&format!("\n    {}", pin_string(h)));
        }
        msg.push_str(&format!("\n  Pinned certificates for {host}:"));
        for p in wanted {
            msg.push_str(&format!("\n    {}", pin_string(&p.sha256)));
        }
        Err(msg)
    }
}

/// `sha256/BASE64` of a hash.
pub fn pin_string(hash: &[u8; 32]) -> String {
    format!("sha256/{}", crate::base64::encode(hash))
}

/// The pin of a DER certificate (SHA-256 of its SubjectPublicKeyInfo), if it can be read.
pub fn certificate_pin(der: &[u8]) -> Option<String> {
    spki_hash_of_cert(der).map(|h| pin_string(&h))
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

fn spki_hash_of_cert(der: &[u8]) -> Option<[u8; 32]> {
    let der = CertificateDer::from(der);
    let cert = webpki::EndEntityCert::try_from(&der).ok()?;
    Some(sha256(cert.subject_public_key_info().as_ref()))
}

/// OkHttp's pattern rules: `**.a.b` matches `a.b` and any subdomain, `*.a.b` exactly one
/// label more, anything else the host exactly.
fn pattern_matches(pattern: &str, host: &str) -> bool {
    if let Some(base) = pattern.strip_prefix("**.") {
        host == base || host.strip_suffix(base).is_some_and(|pre| pre.ends_with('.'))
    } else if let Some(base) = pattern.strip_prefix("*.") {
        host.strip_suffix(base)
            .and_then(|pre| pre.strip_suffix('.'))
            .is_some_and(|label| !label.is_empty() && !label.contains('.'))
    } else {
        host == pattern
    }
}

/// The verifier of a client with pins: webpki path building against `roots` and the host name
/// check (what rustls's own verifier does, without revocation lists, which omnisock does not
/// use), then the pins on the verified chain. Without roots (`danger_accept_invalid_certs`)
/// nothing is verified and the pins are checked on the presented certificates.
#[derive(Debug)]
pub(crate) struct PinningVerifier {
    pub(crate) pins: Pins,
    pub(crate) roots: Option<Arc<RootCertStore>>,
    pub(crate) provider: Arc<CryptoProvider>,
}

/// rustls's error for a webpki verification failure (the common cases by name).
fn pki_error(e: webpki::Error) -> rustls::Error {
    use rustls::CertificateError as C;
    use webpki::Error as W;
    rustls::Error::InvalidCertificate(match e {
        W::BadDer | W::BadDerTime => C::BadEncoding,
        W::CertExpired { .. } => C::Expired,
        W::CertNotValidYet { .. } => C::NotValidYet,
        W::CertNotValidForName(_) => C::NotValidForName,
        W::UnknownIssuer => C::UnknownIssuer,
        W::InvalidSignatureForPublicKey => C::BadSignature,
        other => C::Other(rustls::OtherError(Arc::new(other))),
    })
}

/// Wraps SEQUENCE contents in their DER header (trust anchors keep the SPKI without it).
fn der_sequence(contents: &[u8]) -> Vec<u8> {
    let n = contents.len();
    let mut out = vec![0x30];
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<[u8; 32]> = match &self.roots {
            Some(roots) => {
                let ee = webpki::EndEntityCert::try_from(end_entity).map_err(pki_error)?;
                let algs = self.provider.signature_verification_algorithms.all;
                let path = ee
                    .verify_for_usage(algs, &roots.roots, intermediates, now, webpki::KeyUsage::server_auth(), None, None)
                    .map_err(pki_error)?;
                ee.verify_is_valid_for_subject_name(server_name).map_err(pki_error)?;
                let mut out = vec![sha256(path.end_entity().subject_public_key_info().as_ref())];
                out.extend(path.intermediate_certificates().map(|c| sha256(c.subject_public_key_info().as_ref())));
                out.push(sha256(&der_sequence(path.anchor().subject_public_key_info.as_ref())));
                out
            }
            None => std::iter::once(end_entity).chain(intermediates).filter_map(|c| spki_hash_of_cert(c)).collect(),
        };
        self.pins.check(&server_name.to_str(), &chain).map_err(rustls::Error::General)?;
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn okhttp_pattern_rules() {
        assert!(pattern_matches("example.com", "example.com"));
        assert!(!pattern_matches("example.com", "a.example.com"));
        assert!(pattern_matches("*.example.com", "a.example.com"));
        assert!(!pattern_matches("*.example.com", "example.com"));
        assert!(!pattern_matches("*.example.com", "a.b.example.com"));
        assert!(pattern_matches("**.example.com", "example.com"));
        assert!(pattern_matches("**.example.com", "a.b.example.com"));
        assert!(!pattern_matches("**.example.com", "badexample.com"));
    }

    #[test]
    fn parse_errors_name_the_pair_and_check_lists_pins() {
        let good = format!("sha256/{}", crate::base64::encode(&[7u8; 32]));
        let pins = Pins::parse(&[("**.Example.com".into(), good.clone())]).unwrap();
        assert!(pins.check("a.example.com", &[[7u8; 32]]).is_ok());
        assert!(pins.check("other.org", &[[1u8; 32]]).is_ok(), "hosts without a pattern are not pinned");
        let e = pins.check("a.example.com", &[[1u8; 32], [2u8; 32]]).unwrap_err();
        assert!(e.contains(&pin_string(&[1u8; 32])) && e.contains(&pin_string(&[2u8; 32])) && e.contains(&good), "{e}");
        for (pat, pin, says) in [
            ("*.*.x", good.as_str(), "pattern"),
            ("", good.as_str(), "pattern"),
            ("x.com", "sha1/AAAA", "sha256/"),
            ("x.com", "sha256/AAAA", "base64"),
        ] {
            let e = Pins::parse(&[(pat.into(), pin.into())]).unwrap_err();
            assert!(e.to_string().contains(says), "{e}");
        }
        assert_eq!(der_sequence(&[1, 2]), vec![0x30, 2, 1, 2]);
        assert_eq!(&der_sequence(&[0u8; 300])[..4], &[0x30, 0x82, 0x01, 0x2c]);
    }
}
