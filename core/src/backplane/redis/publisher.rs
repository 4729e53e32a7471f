//! The publisher task: one pipeline of PUBLISH at a time, in queue order.

use super::*;

/// Sends queued frames as pipelines of PUBLISH, in queue order, one pipeline at a time.
pub(super) async fn publisher(sh: Arc<Shared>, mut rx: mpsc::Receiver<Outgoing>, conn: watch::Receiver<Option<MultiplexedConnection>>) {
    let mut seqs: HashMap<Arc<str>, u64> = HashMap::new();
    let mut epoch: u32 = 0;
    let mut batch = Vec::with_capacity(PIPELINE_MAX);
    let mut stop = sh.stop.subscribe();
    loop {
        batch.clear();
        tokio::select! {
            n = rx.recv_many(&mut batch, PIPELINE_MAX) => if n == 0 { return },
            _ = stopped(&mut stop) => return,
        }
        let current = conn.borrow().clone();
        let Some(mut c) = current else {
            sh.stats.publish_failed.fetch_add(batch.len() as u64, Ordering::Relaxed);
            continue;
        };
        if seqs.len() > MAX_SEQ_CHANNELS {
            seqs.clear();
            epoch = epoch.wrapping_add(1);
        }
        let mut pipe = redis::pipe();
        for m in &batch {
            let seq = seqs.entry(m.channel.clone()).or_insert(0);
            *seq += 1;
            let h = sh.header(m.kind, !m.payload.is_text(), epoch, *seq, m.conn);
            pipe.cmd("PUBLISH").arg(&*m.channel).arg(wire::encode_payload(&h, &m.payload));
        }
        sh.inc(&sh.stats.pipelines);
        match pipe.query_async::<Vec<i64>>(&mut c).await {
            Ok(receivers) => {
                sh.stats.published.fetch_add(batch.len() as u64, Ordering::Relaxed);
                let unroutable = batch.iter().zip(&receivers).filter(|(m, &n)| m.kind == Kind::Direct && n == 0).count();
                sh.stats.direct_unroutable.fetch_add(unroutable as u64, Ordering::Relaxed);
            }
            Err(e) => {
                sh.stats.publish_failed.fetch_add(batch.len() as u64, Ordering::Relaxed);
                sh.set_error(format!("publish: {e}"));
            }
        }
    }
}
