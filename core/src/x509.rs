//! Just enough X.509 (DER) reading to tell whether a certificate is a CA certificate
//! (`basicConstraints` with `cA = TRUE`): such a certificate cannot be a server's own
//! certificate (webpki refuses it with `CaUsedAsEndEntity`), yet it is what
//! `openssl req -x509` makes by default.

/// One DER element: (tag, contents, rest after it).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The `basicConstraints` object identifier, 2.5.29.19, as DER contents.
const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];

/// Whether the DER certificate says `cA = TRUE`; `None` when it cannot be read.
pub fn is_ca_certificate(der: &[u8]) -> Option<bool> {
    let (0x30, cert, _) = tlv(der)? else { return None };
    let (0x30, mut tbs, _) = tlv(cert)? else { return None };
    // tbsCertificate: [0] version, serial, signature, issuer, validity, subject, spki,
    // [1] [2] unique ids, [3] extensions.
    while !tbs.is_empty() {
        let (tag, contents, rest) = tlv(tbs)?;
        tbs = rest;
        if tag != 0xa3 {
            continue;
        }
        let (0x30, mut exts, _) = tlv(contents)? else { return None };
        while !exts.is_empty() {
            let (0x30, ext, rest) = tlv(exts)? else { return None };
            exts = rest;
            let (0x06, oid, mut ext) = tlv(ext)? else { return None };
            if oid != BASIC_CONSTRAINTS {
                continue;
            }
            let (mut tag, mut value, after) = tlv(ext)?;
            if tag == 0x01 {
                // The optional `critical` flag.
                ext = after;
                (tag, value, _) = tlv(ext)?;
            }
            if tag != 0x04 {
                return None;
            }
            let (0x30, constraints, _) = tlv(value)? else { return None };
            return Some(matches!(tlv(constraints), Some((0x01, [b], _)) if *b != 0));
        }
        return Some(false);
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_input_is_unreadable_not_a_panic() {
        for bad in [&b""[..], b"\x30", b"\x30\x84\xff\xff\xff\xff", b"\x30\x03\x30\x01", b"not der at all"] {
            assert_ne!(is_ca_certificate(bad), Some(true));
        }
    }

    #[test]
    fn tells_a_ca_from_a_server_certificate() {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        assert_eq!(is_ca_certificate(ca_cert.der()), Some(true));
        let issuer = Issuer::new(ca, ca_key);
        let leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&KeyPair::generate().unwrap(), &issuer).unwrap();
        assert_eq!(is_ca_certificate(leaf.der()), Some(false));
        let mut explicit = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        explicit.is_ca = IsCa::ExplicitNoCa;
        let cert = explicit.self_signed(&KeyPair::generate().unwrap()).unwrap();
        assert_eq!(is_ca_certificate(cert.der()), Some(false));
    }
}
