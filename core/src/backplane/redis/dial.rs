//! Opens the backplane's connections to Redis: plain TCP for `redis://`, TLS for `rediss://`.
//!
//! TLS is omnisock's own rustls set-up ([`crate::tls::client_config`]: webpki roots plus the
//! hub's extra CA, `ring` provider), the same on every platform; redis-rs only gets the
//! established stream. So no platform certificate store (and on Apple platforms, no Security
//! framework) is linked, and a private CA works the same way as for WebSocket clients.

use redis::aio::{MultiplexedConnection, PubSub};
use redis::{AsyncConnectionConfig, RedisConnectionInfo};
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
        let super::url::RedisUrl { host, port, tls, info } = super::url::parse(url).map_err(|e| Error::config(format!("backplane URL {shown:?}: {e}")))?;
        let tls = if tls {
            let config = crate::tls::client_config(&ClientTls { extra_ca_pem: extra_ca_pem.to_vec(), danger_accept_invalid_certs: false, server_name: None }, false)?;
            Some((tokio_rustls::TlsConnector::from(config), crate::tls::server_name(&host)?))
        } else {
            None
        };
        Ok(Dialer { host, port, tls, redis: info })
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

