//! Entry points for the fuzz targets (feature `fuzzing`): the hub's request-head parser and
//! the checks run on a parsed head.

use crate::fuzz_io::MemIo;
use crate::io::Stream;

use super::{auth, http, static_files};

/// Parses `input` as a request head the way the hub does, then runs the upgrade, token and
/// static-path checks on it. Returns whether a head was parsed.
pub async fn request_head(input: &[u8]) -> bool {
    let mut io = Stream::boxed(MemIo::new(input));
    let Ok(req) = http::read_request(&mut io).await else { return false };
    let _ = req.is_upgrade();
    let _ = req.header_has("connection", "upgrade");
    if let Some(key) = req.header("sec-websocket-key") {
        if http::valid_ws_key(key) {
            let _ = http::upgrade_response(key, req.header("sec-websocket-protocol"), None, &[]);
        }
    }
    let _ = auth::authorized(&req, "s3cret");
    let _ = static_files::decode_path(&req.path);
    true
}

/// Reads `input` as frames sent by a client to the hub, with the hub's own message reader
/// (masked frames required, 64 KiB message limit); returns how many messages were read.
pub async fn client_frames(input: &[u8]) -> usize {
    let mut reader = crate::frame_io::MessageReader::new(MemIo::new(input), Vec::new(), true, 1 << 16);
    let mut n = 0;
    loop {
        match reader.next().await {
            Ok(_) => n += 1,
            Err(e) => {
                let _ = e.close_code();
                return n;
            }
        }
    }
}
