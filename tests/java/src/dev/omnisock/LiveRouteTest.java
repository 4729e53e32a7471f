package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** A live route from Java: configured in the hub's TOML, snapshot on join, per-subscriber rate cap. */
class LiveRouteTest {
    @Test
    void aJoiningViewerGetsTheSnapshotAndTheHostCapsItsRate() throws Exception {
        final LinkedBlockingQueue<Long> opened = new LinkedBlockingQueue<Long>();
        String toml = "listen = \"127.0.0.1:0\"\n[[route]]\npath = \"/cam\"\nkind = \"host\"\n[route.live]\nkey = \"/id\"\n";
        try (Hub hub = Hub.start(toml, new HubListener() {
            @Override
            public void onOpen(Hub h, long conn, ConnectionInfo info) {
                opened.add(conn);
            }
        }, null)) {
            for (int seq = 0; seq < 6; seq++) {
                hub.broadcast("/cam", "{\"id\":\"cam" + (seq % 3) + "\",\"seq\":" + seq + "}", 0);
            }
            Recorder r = new Recorder();
            WebSocket ws = new OmnisockClient().newWebSocket(TestHubs.url(hub, "/cam"), r);
            r.awaitCount("text:", 3);
            List<String> got = new ArrayList<String>();
            for (String e : r.snapshot()) {
                if (e.startsWith("text:")) {
                    got.add(e.substring(5));
                }
            }
            Collections.sort(got);
            assertEquals(3, got.size(), "one snapshot value per key: " + got);
            assertEquals("{\"id\":\"cam0\",\"seq\":3}", got.get(0));
            assertEquals("{\"id\":\"cam2\",\"seq\":5}", got.get(2));
            Long conn = opened.poll(Recorder.WAIT_S, TimeUnit.SECONDS);
            assertTrue(conn != null, "onOpen");
            assertTrue(hub.setMaxRate(conn, 5.0));
            assertThrows(IllegalArgumentException.class, () -> hub.setMaxRate(conn, -1.0));
            assertTrue(hub.setMaxRate(conn, 0.0), "0 lifts the cap");
            assertTrue(hub.statusJson().contains("\"snapshot_sent\":3"), hub.statusJson());
            ws.close(1000, null);
            r.awaitEnd();
        }
    }
}
