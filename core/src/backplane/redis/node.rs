//! This node's identity in Redis: claiming and refreshing its id (the heartbeat) and releasing
//! it, as Lua scripts run with EVAL.

use super::*;

/// Claims or refreshes a node id and returns `{claimed, live node ids}`.
/// KEYS: node key, members hash, nodes zset. ARGV: token, ttl seconds, node id.
pub(super) const HEARTBEAT_SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local v = redis.call('GET', KEYS[1])
local ok = 0
if v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
  ok = 1
elseif v == ARGV[1] then
  redis.call('EXPIRE', KEYS[1], ttl)
  ok = 1
end
if ok == 1 then
  redis.call('ZADD', KEYS[3], now + ttl * 1000, ARGV[3])
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
return {ok, redis.call('ZRANGE', KEYS[3], 0, -1)}
"#;

/// Releases a node id if it is still ours. KEYS: node key, members hash, nodes zset.
/// ARGV: token, node id.
pub(super) const RELEASE_SCRIPT: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
end
return 1
"#;

/// A command connection with the I/O timeouts set.
pub(super) async fn connect_cmd(dial: &super::dial::Dialer) -> redis::RedisResult<MultiplexedConnection> {
    let cfg = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(IO_TIMEOUT))
        .set_response_timeout(Some(IO_TIMEOUT));
    dial.cmd(cfg).await
}

/// Runs the heartbeat script: `(claimed, live node ids)`.
pub(super) async fn heartbeat(prefix: &str, token: &str, conn: &mut MultiplexedConnection, node: u32) -> redis::RedisResult<(bool, Vec<u32>)> {
    let (ok, live): (i64, Vec<u32>) = redis::cmd("EVAL")
        .arg(HEARTBEAT_SCRIPT)
        .arg(3)
        .arg(format!("{prefix}:node:{node}"))
        .arg(format!("{prefix}:members:{node}"))
        .arg(format!("{prefix}:nodes"))
        .arg(token)
        .arg(NODE_TTL.as_secs())
        .arg(node)
        .query_async(conn)
        .await?;
    Ok((ok == 1, live))
}
