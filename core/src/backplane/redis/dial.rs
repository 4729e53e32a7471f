//! Opens the backplane's connections to Redis: plain TCP for `redis://`, TLS for `rediss://`.
//!
//! TLS is omnisock's own rustls set-up ([`crate::tls::client_config`]: webpki roots plus the
//! hub's extra CA, `ring` provider), the same on every platform; redis-rs only gets the
//! established stream. So no platform certificate store (and on Apple platforms, no Security
//! framework) is linked, and a private CA works the same way as for WebSocket clients.

use redis::aio::{MultiplexedConnection, PubSub};
use redis::{AsyncConnectionConfig, ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::config::ClientTls;
use crate::error::{Error, Result};

/// A connected byte stream to Redis (TCP or TLS over TCP).
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Where and how to connect; cheap to share between the backplane's tasks.
pub(super) struct Dialer {
    host: String,
    port: u16,
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
    redis: RedisConnectionInfo,
}

impl Dialer {
    /// Parses a `redis://` or `rediss://` URL (`shown` is the URL with its password hidden, for
    /// errors). `extra_ca_pem` is trusted in addition to the webpki roots for `rediss://`.
    pub(super) fn new(url: &str, shown: &str, extra_ca_pem: &[u8]) -> Result<Dialer> {
        let (plain, tls) = match url.strip_prefix("rediss://") {
            Some(rest) => (format!("redis://{rest}"), true),
            None => (url.to_string(), false),
        };
        let info = plain.as_str().into_connection_info().map_err(|e| Error::config(format!("backplane URL {shown:?}: {e}")))?;
        let (host, port) = match info.addr() {
            ConnectionAddr::Tcp(host, port) => (host.clone(), *port),
            _ => return Err(Error::config(format!("backplane URL {shown:?}: expected redis://host:port/ or rediss://host:port/"))),
        };
        let tls = if tls {
            let config = crate::tls::client_config(&ClientTls { extra_ca_pem: extra_ca_pem.to_vec(), danger_accept_invalid_certs: false }, false)?;
            Some((tokio_rustls::TlsConnector::from(config), crate::tls::server_name(&host)?))
        } else {
            None
        };
        Ok(Dialer { host, port, tls, redis: info.redis_settings().clone() })
    }

    async fn stream(&self) -> redis::RedisResult<Box<dyn Io>> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port)).await?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Box::new(tcp)),
            Some((connector, name)) => Ok(Box::new(connector.connect(name.clone(), crate::io::NetStream::Tcp(tcp)).await?)),
        }
    }

    /// A command connection; its driver runs on the current runtime until the connection drops.
    pub(super) async fn cmd(&self, config: AsyncConnectionConfig) -> redis::RedisResult<MultiplexedConnection> {
        let stream = self.stream().await?;
        let (conn, driver) = MultiplexedConnection::new_with_config(&self.redis, stream, config).await?;
        tokio::spawn(driver);
        Ok(conn)
    }

    /// A pub/sub connection.
    pub(super) async fn pubsub(&self) -> redis::RedisResult<PubSub> {
        let stream = self.stream().await?;
        PubSub::new(&self.redis, stream).await
    }
}

