//! Entry points for the fuzz targets (feature `fuzzing`): URL and option validation and the
//! handshake-response parser of the client.

use tungstenite::client::IntoClientRequest;

use crate::fuzz_io::MemIo;
use crate::io::Stream;

/// Validates a client configuration as `Client::connect` does, without connecting; returns the
/// number of targets (URLs) on success.
pub fn validate(config: &crate::ClientConfig) -> crate::Result<usize> {
    super::session::Target::parse_all(config).map(|t| t.len())
}

/// Sends a fixed upgrade request into a stream whose server answers `input`, and checks the
/// answer as the client does.
pub async fn handshake_response(input: &[u8]) -> bool {
    let mut io = Stream::boxed(MemIo::new(input));
    let request = "ws://localhost/x".into_client_request().expect("a valid URL");
    super::handshake::handshake(&mut io, &request, &["chat".to_string()], "ws://localhost/x").await.is_ok()
}

/// Reads `input` as frames sent by a server to the client.
pub async fn server_frames(input: &[u8]) -> usize {
    crate::fuzz_io::read_frames(input, false).await
}
