//! The connection owner: subscriptions, receiving and sequence checks, heartbeat, presence,
//! and reconnecting with backoff.

use super::node::{connect_cmd, heartbeat, RELEASE_SCRIPT};
use super::*;

/// Sequence tracking of one channel: last (epoch, seq) per publishing process.
#[derive(Default)]
struct Seen(HashMap<(u32, u32), (u32, u64)>);

impl Seen {
    fn track(&mut self, h: &Header, stats: &Stats) {
        match self.0.get_mut(&(h.node, h.instance)) {
            Some((epoch, last)) if *epoch == h.epoch => {
                if h.seq > *last + 1 {
                    stats.missed.fetch_add(h.seq - *last - 1, Ordering::Relaxed);
                } else if h.seq <= *last {
                    stats.out_of_order.fetch_add(1, Ordering::Relaxed);
                }
                *last = (*last).max(h.seq);
            }
            _ => {
                if self.0.len() >= 4096 {
                    self.0.clear();
                }
                self.0.insert((h.node, h.instance), (h.epoch, h.seq));
            }
        }
    }
}

/// A subscribed topic channel.
struct Sub {
    topic: Topic,
    seen: Seen,
    /// SUBSCRIBE acknowledged on the current connection.
    active: bool,
}

/// The connection owner: subscriptions, receiving, heartbeat, presence.
pub(super) struct Driver {
    sh: Arc<Shared>,
    conn_tx: watch::Sender<Option<MultiplexedConnection>>,
    /// Channels this node wants (topics with local members) and their state.
    subs: HashMap<String, Sub>,
    inbox: String,
    inbox_seen: Seen,
    presence: String,
    /// Member counts per group last written to Redis.
    announced: HashMap<String, u32>,
    presence_epoch: u32,
    presence_seq: u64,
    connected_once: bool,
}

enum Exit {
    Stop,
    Lost(String),
}

impl Driver {
    pub(super) fn new(sh: Arc<Shared>, conn_tx: watch::Sender<Option<MultiplexedConnection>>) -> Driver {
        let inbox = sh.inbox(sh.node);
        let presence = sh.presence_channel();
        Driver {
            sh,
            conn_tx,
            subs: HashMap::new(),
            inbox,
            inbox_seen: Seen::default(),
            presence,
            announced: HashMap::new(),
            presence_epoch: 0,
            presence_seq: 0,
            connected_once: false,
        }
    }

    pub(super) async fn run(mut self, mut first: Option<MultiplexedConnection>) {
        let mut stop = self.sh.stop.subscribe();
        let mut attempt = 0u32;
        loop {
            if *stop.borrow() {
                break;
            }
            let conn = match first.take() {
                Some(c) => Ok(c),
                None => match tokio::time::timeout(IO_TIMEOUT, connect_cmd(&self.sh.dial)).await {
                    Ok(r) => r.map_err(|e| e.to_string()),
                    Err(_) => Err("connect timed out".to_string()),
                },
            };
            let conns = match conn {
                Ok(c) => match tokio::time::timeout(IO_TIMEOUT, self.sh.dial.pubsub()).await {
                    Ok(Ok(ps)) => Ok((c, ps)),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("pub/sub connect timed out".to_string()),
                },
                Err(e) => Err(e),
            };
            let exit = match conns {
                Ok((conn, ps)) => self.session(conn, ps, &mut stop, &mut attempt).await,
                Err(e) => Exit::Lost(e),
            };
            self.conn_tx.send_replace(None);
            match exit {
                Exit::Stop => break,
                Exit::Lost(e) => {
                    let sh = &self.sh;
                    if sh.state.load(Ordering::Acquire) == STATE_UP {
                        sh.inc(&sh.stats.disconnects);
                    } else {
                        sh.inc(&sh.stats.connect_failures);
                    }
                    sh.set_error(&e);
                    if sh.state.load(Ordering::Acquire) != STATE_STOPPED {
                        sh.set_state(STATE_DOWN);
                    }
                    for s in self.subs.values_mut() {
                        s.active = false;
                    }
                    self.sh.info.lock().unwrap_or_else(|e| e.into_inner()).channels = 0;
                }
            }
            // The clients' backoff (one implementation): 100 ms doubling to 5 s, with jitter.
            attempt = attempt.saturating_add(1);
            let delay = redis_backoff().delay(attempt);
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = stopped(&mut stop) => break,
            }
        }
        self.leave().await;
    }

    /// One connected period: returns why it ended.
    async fn session(
        &mut self,
        mut conn: MultiplexedConnection,
        ps: redis::aio::PubSub,
        stop: &mut watch::Receiver<bool>,
        attempt: &mut u32,
    ) -> Exit {
        let (mut sink, mut stream) = ps.split();
        // Everything the node wants now, in one go.
        self.take_dirty();
        let mut channels: Vec<String> = vec![self.inbox.clone(), self.presence.clone()];
        channels.extend(self.subs.keys().cloned());
        for chunk in channels.chunks(SUBSCRIBE_CHUNK) {
            if let Err(e) = self.command(&mut sink, "SUBSCRIBE", chunk).await {
                return Exit::Lost(e);
            }
        }
        for s in self.subs.values_mut() {
            s.active = true;
        }
        // Node id, live nodes, the others' presence, and ours.
        self.sh.remote.write().unwrap_or_else(|e| e.into_inner()).clear();
        if let Err(e) = self.heartbeat(&mut conn).await {
            return Exit::Lost(e);
        }
        if let Err(e) = self.announce_all(&mut conn).await {
            return Exit::Lost(e);
        }
        self.conn_tx.send_replace(Some(conn.clone()));
        self.sh.info.lock().unwrap_or_else(|e| e.into_inner()).channels = self.subs.len();
        if self.connected_once {
            self.sh.inc(&self.sh.stats.reconnects);
        }
        self.connected_once = true;
        self.sh.set_state(STATE_UP);
        *attempt = 0;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
        loop {
            tokio::select! {
                biased;
                _ = stopped(stop) => return Exit::Stop,
                _ = self.sh.wake.notified() => {
                    if let Err(e) = self.reconcile(&mut sink, &mut conn).await {
                        return Exit::Lost(e);
                    }
                }
                _ = tick.tick() => {
                    if let Err(e) = self.heartbeat(&mut conn).await {
                        return Exit::Lost(e);
                    }
                }
                m = stream.next() => match m {
                    Some(msg) => self.on_message(&msg),
                    None => return Exit::Lost("connection to Redis lost".into()),
                },
            }
        }
    }

    async fn command(&self, sink: &mut PubSubSink, cmd: &str, channels: &[String]) -> std::result::Result<(), String> {
        self.sh.inc(&self.sh.stats.subscribe_commands);
        let f = async {
            if cmd == "SUBSCRIBE" {
                sink.subscribe(channels).await
            } else {
                sink.unsubscribe(channels).await
            }
        };
        match tokio::time::timeout(IO_TIMEOUT, f).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("{cmd}: {e}")),
            Err(_) => Err(format!("{cmd}: timed out")),
        }
    }

    /// Applies membership changes to the wanted set; returns (to subscribe, to unsubscribe,
    /// groups whose count may have changed).
    fn take_dirty(&mut self) -> (Vec<String>, Vec<String>, Vec<String>) {
        let dirty = std::mem::take(&mut *self.sh.dirty.lock().unwrap_or_else(|e| e.into_inner()));
        let (mut add, mut remove, mut groups) = (Vec::new(), Vec::new(), Vec::new());
        let Some(local) = self.sh.local() else {
            // Not attached yet (or the hub is gone): keep the changes for later.
            self.sh.dirty.lock().unwrap_or_else(|e| e.into_inner()).extend(dirty);
            return (add, remove, groups);
        };
        for topic in dirty {
            let channel = self.sh.channel(&topic);
            let want = local.has_members(&topic);
            let have = self.subs.contains_key(&channel);
            if want && !have {
                self.subs.insert(channel.clone(), Sub { topic: topic.clone(), seen: Seen::default(), active: false });
                add.push(channel);
            } else if !want && have {
                self.subs.remove(&channel);
                remove.push(channel);
            }
            if let Topic::Group(g) = topic {
                groups.push(g);
            }
        }
        (add, remove, groups)
    }

    async fn reconcile(&mut self, sink: &mut PubSubSink, conn: &mut MultiplexedConnection) -> std::result::Result<(), String> {
        let (add, remove, groups) = self.take_dirty();
        for chunk in remove.chunks(SUBSCRIBE_CHUNK) {
            self.command(sink, "UNSUBSCRIBE", chunk).await?;
        }
        for chunk in add.chunks(SUBSCRIBE_CHUNK) {
            self.command(sink, "SUBSCRIBE", chunk).await?;
            for c in chunk {
                if let Some(s) = self.subs.get_mut(c) {
                    s.active = true;
                }
            }
        }
        let active = self.subs.values().filter(|s| s.active).count();
        self.sh.info.lock().unwrap_or_else(|e| e.into_inner()).channels = active;
        if !groups.is_empty() {
            self.announce(conn, groups, false).await?;
        }
        Ok(())
    }

    /// Writes this node's count of each group in `groups` to Redis and tells the other nodes.
    async fn announce(&mut self, conn: &mut MultiplexedConnection, groups: Vec<String>, all: bool) -> std::result::Result<(), String> {
        let Some(local) = self.sh.local() else { return Ok(()) };
        let key = self.sh.members_key(self.sh.node);
        let mut pipe = redis::pipe();
        let mut n = 0;
        for g in groups {
            let count = local.member_count(&Topic::Group(g.clone())) as u32;
            let before = self.announced.get(&g).copied().unwrap_or(0);
            if count == before && !all {
                continue;
            }
            if count == 0 {
                pipe.cmd("HDEL").arg(&key).arg(&g).ignore();
                self.announced.remove(&g);
            } else {
                pipe.cmd("HSET").arg(&key).arg(&g).arg(count).ignore();
                self.announced.insert(g.clone(), count);
            }
            self.presence_seq += 1;
            let h = self.sh.header(Kind::Presence, false, self.presence_epoch, self.presence_seq, 0);
            pipe.cmd("PUBLISH").arg(&self.presence).arg(wire::encode(&h, &wire::presence_body(&g, count))).ignore();
            n += 1;
        }
        if n == 0 {
            return Ok(());
        }
        pipe.cmd("EXPIRE").arg(&key).arg(NODE_TTL.as_secs()).ignore();
        match tokio::time::timeout(IO_TIMEOUT, pipe.query_async::<()>(conn)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("presence: {e}")),
            Err(_) => Err("presence: timed out".into()),
        }
    }

    /// After (re)connecting: rewrites this node's presence hash from the local counts.
    async fn announce_all(&mut self, conn: &mut MultiplexedConnection) -> std::result::Result<(), String> {
        let mut groups: HashSet<String> = self.announced.keys().cloned().collect();
        groups.extend(self.subs.values().filter_map(|s| match &s.topic {
            Topic::Group(g) => Some(g.clone()),
            Topic::Route(_) => None,
        }));
        let _: redis::RedisResult<()> = redis::cmd("DEL").arg(self.sh.members_key(self.sh.node)).query_async(conn).await;
        self.announced.clear();
        self.announce(conn, groups.into_iter().collect(), true).await
    }

    /// Refreshes the node id, learns the live nodes, drops dead nodes' presence and loads new ones'.
    async fn heartbeat(&mut self, conn: &mut MultiplexedConnection) -> std::result::Result<(), String> {
        let sh = self.sh.clone();
        let (ok, live) = match tokio::time::timeout(IO_TIMEOUT, heartbeat(&sh.prefix, &sh.token, conn, sh.node)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(format!("heartbeat: {e}")),
            Err(_) => return Err("heartbeat: timed out".into()),
        };
        if !ok {
            sh.inc(&sh.stats.node_id_conflicts);
        }
        let others: Vec<u32> = live.iter().copied().filter(|&n| n != sh.node).collect();
        let unknown: Vec<u32> = {
            let mut remote = sh.remote.write().unwrap_or_else(|e| e.into_inner());
            remote.retain(|n, _| others.contains(n));
            others.iter().copied().filter(|n| !remote.contains_key(n)).collect()
        };
        if !unknown.is_empty() {
            let mut pipe = redis::pipe();
            for &n in &unknown {
                pipe.cmd("HGETALL").arg(sh.members_key(n));
            }
            let maps: Vec<HashMap<String, u32>> = match tokio::time::timeout(IO_TIMEOUT, pipe.query_async(conn)).await {
                Ok(Ok(m)) => m,
                Ok(Err(e)) => return Err(format!("presence load: {e}")),
                Err(_) => return Err("presence load: timed out".into()),
            };
            let mut remote = sh.remote.write().unwrap_or_else(|e| e.into_inner());
            for (n, m) in unknown.into_iter().zip(maps) {
                // Announcements that arrived meanwhile are newer than the snapshot.
                let entry = remote.entry(n).or_default();
                for (g, c) in m {
                    entry.entry(g).or_insert(c);
                }
            }
        }
        let mut info = sh.info.lock().unwrap_or_else(|e| e.into_inner());
        info.node_id_conflict = !ok;
        info.live_nodes = live;
        Ok(())
    }

    fn on_message(&mut self, msg: &redis::Msg) {
        let sh = self.sh.clone();
        let stats = &sh.stats;
        sh.inc(&stats.received);
        let frame = msg.get_payload_bytes();
        let h = match wire::decode_header(frame) {
            Ok(h) => h,
            Err(_) => {
                sh.inc(&stats.decode_errors);
                return;
            }
        };
        if h.node == sh.node && h.instance == sh.instance {
            sh.inc(&stats.skipped_own);
            return;
        }
        match h.kind {
            Kind::Presence => match wire::decode_presence(frame) {
                Ok((group, count)) => {
                    let mut remote = sh.remote.write().unwrap_or_else(|e| e.into_inner());
                    if group.is_empty() {
                        remote.remove(&h.node);
                    } else if count == 0 {
                        if let Some(m) = remote.get_mut(&h.node) {
                            m.remove(&group);
                        }
                    } else {
                        remote.entry(h.node).or_default().insert(group, count);
                    }
                }
                Err(_) => sh.inc(&stats.decode_errors),
            },
            Kind::Direct => {
                if msg.get_channel_name() != self.inbox {
                    return;
                }
                self.inbox_seen.track(&h, stats);
                let Ok(payload) = wire::decode_payload(&h, frame) else {
                    sh.inc(&stats.decode_errors);
                    return;
                };
                match sh.local() {
                    Some(l) if l.deliver_to(h.conn, &payload) => sh.inc(&stats.delivered_direct),
                    _ => sh.inc(&stats.direct_not_found),
                }
            }
            Kind::Topic => {
                let Some(sub) = self.subs.get_mut(msg.get_channel_name()) else { return };
                sub.seen.track(&h, stats);
                let Ok(payload) = wire::decode_payload(&h, frame) else {
                    sh.inc(&stats.decode_errors);
                    return;
                };
                if let Some(l) = sh.local() {
                    l.deliver(&sub.topic, &payload, (h.conn != 0).then_some(h.conn));
                    sh.inc(&stats.delivered_topic);
                }
            }
        }
    }

    /// Best effort on shutdown: release the node id and tell the others it left.
    async fn leave(&mut self) {
        let sh = self.sh.clone();
        let f = async {
            let mut conn = connect_cmd(&sh.dial).await?;
            self.presence_seq += 1;
            let h = sh.header(Kind::Presence, false, self.presence_epoch, self.presence_seq, 0);
            redis::pipe()
                .cmd("EVAL")
                .arg(RELEASE_SCRIPT)
                .arg(3)
                .arg(sh.node_key(sh.node))
                .arg(sh.members_key(sh.node))
                .arg(sh.nodes_key())
                .arg(&sh.token)
                .arg(sh.node)
                .ignore()
                .cmd("PUBLISH")
                .arg(&self.presence)
                .arg(wire::encode(&h, &wire::presence_body("", 0)))
                .ignore()
                .query_async::<()>(&mut conn)
                .await
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), f).await;
        sh.set_state(STATE_STOPPED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(node: u32, instance: u32, epoch: u32, seq: u64) -> Header {
        Header { kind: Kind::Topic, binary: false, node, instance, epoch, seq, conn: 0 }
    }

    #[test]
    fn sequence_gaps_are_counted_per_publisher() {
        let stats = Stats::default();
        let mut seen = Seen::default();
        seen.track(&h(1, 9, 0, 5), &stats); // first frame: baseline, no loss
        seen.track(&h(1, 9, 0, 6), &stats);
        seen.track(&h(2, 3, 0, 1), &stats); // another publisher
        seen.track(&h(1, 9, 0, 9), &stats); // 7 and 8 missing
        assert_eq!(stats.missed.load(Ordering::Relaxed), 2);
        seen.track(&h(1, 9, 1, 1), &stats); // new epoch: baseline again
        seen.track(&h(1, 7, 0, 100), &stats); // restarted process (new instance): baseline
        assert_eq!(stats.missed.load(Ordering::Relaxed), 2);
        seen.track(&h(1, 9, 1, 1), &stats); // duplicate
        assert_eq!(stats.out_of_order.load(Ordering::Relaxed), 1);
    }
}
