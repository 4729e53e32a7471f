//! `omnisock cert`: a private CA and a server certificate for local wss://, the way mkcert
//! does it. The CA (`ca.pem`, `ca-key.pem`) is made once per directory and reused; each run
//! writes a server certificate (`cert.pem`, `key.pem`) for the given host names and IPs,
//! signed by it. Clients trust `ca.pem`; the hub serves `cert.pem` and `key.pem`.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};

/// Options of `omnisock cert`.
#[derive(Args)]
pub struct CertArgs {
    /// Host names and IP addresses the server certificate is for, e.g. localhost 127.0.0.1 ::1.
    #[arg(required = true, value_name = "HOST")]
    hosts: Vec<String>,
    /// Directory for ca.pem, ca-key.pem, cert.pem and key.pem (created if missing; an existing
    /// CA there is reused).
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// Days the server certificate stays valid.
    #[arg(long, value_name = "DAYS", default_value_t = 825)]
    days: u32,
}

/// The subject of the private CA (fixed, so that a CA kept in a directory can sign again).
const CA_NAME: &str = "omnisock local development CA";
/// Days the CA stays valid.
const CA_DAYS: u32 = 3650;

/// Writes the files and prints how to use them.
pub fn run(args: CertArgs) -> Result<(), String> {
    let written = write_all(&args.dir, &args.hosts, args.days)?;
    println!("{}", written.summary);
    Ok(())
}

/// What `write_all` wrote.
pub struct Written {
    /// Human-readable report (whether the CA was created or reused) with the next steps.
    pub summary: String,
}

/// Creates (or reuses) the CA in `dir` and writes a server certificate for `hosts`.
pub fn write_all(dir: &Path, hosts: &[String], days: u32) -> Result<Written, String> {
    if hosts.iter().any(|h| h.trim().is_empty()) {
        return Err("host names must not be empty".into());
    }
    if days == 0 {
        return Err("--days must be at least 1".into());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (ca_pem_path, ca_key_path) = (dir.join("ca.pem"), dir.join("ca-key.pem"));
    let new_ca = !(ca_pem_path.exists() && ca_key_path.exists());
    let ca_key = if new_ca {
        let key = KeyPair::generate().map_err(|e| format!("cannot generate the CA key: {e}"))?;
        let cert = ca_params(CA_DAYS).self_signed(&key).map_err(|e| format!("cannot create the CA certificate: {e}"))?;
        write_private(&ca_key_path, &key.serialize_pem())?;
        write_file(&ca_pem_path, &cert.pem())?;
        key
    } else {
        let pem = std::fs::read_to_string(&ca_key_path).map_err(|e| format!("cannot read {}: {e}", ca_key_path.display()))?;
        KeyPair::from_pem(&pem).map_err(|e| format!("cannot read the CA key {}: {e}", ca_key_path.display()))?
    };
    let issuer = Issuer::new(ca_params(CA_DAYS), ca_key);

    let mut params = CertificateParams::new(hosts.to_vec()).map_err(|e| format!("invalid host name: {e}"))?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, hosts[0].clone());
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    set_validity(&mut params, days);
    let key = KeyPair::generate().map_err(|e| format!("cannot generate the server key: {e}"))?;
    let cert = params.signed_by(&key, &issuer).map_err(|e| format!("cannot sign the server certificate: {e}"))?;
    write_private(&dir.join("key.pem"), &key.serialize_pem())?;
    write_file(&dir.join("cert.pem"), &cert.pem())?;

    let d = dir.display();
    let summary = format!(
        "{} CA: {d}/ca.pem (key {d}/ca-key.pem: keep it private)\n\
         server certificate for {}: {d}/cert.pem, key {d}/key.pem (valid {days} days)\n\n\
         hub config (TOML):\n[tls]\ncert = \"{d}/cert.pem\"\nkey = \"{d}/key.pem\"\n\n\
         clients trust {d}/ca.pem, e.g.: omnisock connect --ca-file {d}/ca.pem wss://{}:9001/echo",
        if new_ca { "created" } else { "reused" },
        hosts.join(", "),
        hosts[0]
    );
    Ok(Written { summary })
}

/// The CA's parameters (the same on every run, so a stored CA key signs under the same name).
fn ca_params(days: u32) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.distinguished_name.push(DnType::CommonName, CA_NAME);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    set_validity(&mut p, days);
    p
}

/// Valid from yesterday (clock skew) to `days` from now.
fn set_validity(p: &mut CertificateParams, days: u32) {
    let today = (SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0) / 86_400) as i64;
    let (y, m, d) = ymd(today - 1);
    p.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = ymd(today + days as i64);
    p.not_after = rcgen::date_time_ymd(y, m, d);
}

/// (year, month, day) from days since 1970-01-01 (proleptic Gregorian; H. Hinnant's
/// civil_from_days).
fn ymd(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + if month <= 2 { 1 } else { 0 }) as i32;
    (year, month, day)
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes a private key readable by its owner only (on unix).
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    opts.open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(ymd(0), (1970, 1, 1));
        assert_eq!(ymd(19_723), (2024, 1, 1));
        assert_eq!(ymd(19_782), (2024, 2, 29));
    }
}
