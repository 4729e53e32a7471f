package com.example.camerareceiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.omnisock.OmnisockClient;
import dev.omnisock.Recorder;
import dev.omnisock.TestHubs;
import dev.omnisock.WebSocket;

/**
 * The seed scenario end to end: a sender posts camera positions as JSON to the `/ws/camera`
 * relay route of `omnisock hub` (the seed sends every 0.1 s; here every 10 ms), and the
 * android-sample's seed-style listener receives every one, in order, on its "main" executor and
 * parses x, y, z.
 */
class SeedScenarioTest {
    static final int POSITIONS = 60;

    /** Stands in for CustomCircleView. */
    static final class RecordingView implements PositionView {
        final List<double[]> positions = new ArrayList<double[]>();
        final List<String> threads = new ArrayList<String>();

        @Override
        public synchronized void setCirclePosition(double x, double y, double z) {
            positions.add(new double[] {x, y, z});
            threads.add(Thread.currentThread().getName());
            notifyAll();
        }

        synchronized void awaitCount(int n) throws InterruptedException {
            long deadline = System.currentTimeMillis() + Recorder.WAIT_S * 1000;
            while (positions.size() < n && System.currentTimeMillis() < deadline) {
                wait(200);
            }
        }
    }

    static double[] position(int i) {
        return new double[] {i * 0.5 - 3.25, 1.5, -i * 0.125};
    }

    @Test
    void everyPositionArrivesInOrderOnTheMainExecutor() throws Exception {
        ExecutorService main = Executors.newSingleThreadExecutor(r -> new Thread(r, "android-main"));
        try (TestHubs.CliHub hub = new TestHubs.CliHub()) {
            RecordingView view = new RecordingView();
            WebSocketClient receiver = new WebSocketClient(view, hub.url("/ws/camera"), main);
            receiver.start();
            for (int i = 0; i < 200 && !receiver.isOpen(); i++) {
                Thread.sleep(50);
            }
            assertTrue(receiver.isOpen(), "receiver connected");

            Recorder senderEvents = new Recorder();
            WebSocket sender = new OmnisockClient().newWebSocket(hub.url("/ws/camera"), senderEvents);
            senderEvents.await("open");
            for (int i = 0; i < POSITIONS; i++) {
                double[] p = position(i);
                // What the seed's Unity JsonUtility.ToJson(CameraPosition) produces.
                assertTrue(sender.send(String.format(Locale.ROOT, "{\"x\":%s,\"y\":%s,\"z\":%s}", p[0], p[1], p[2])));
                Thread.sleep(10);
            }
            // A malformed message is logged by the listener and skipped, not fatal.
            assertTrue(sender.send("not json"));
            assertTrue(sender.send("{\"x\":1,\"y\":2,\"z\":3}"));

            view.awaitCount(POSITIONS + 1);
            synchronized (view) {
                assertEquals(POSITIONS + 1, view.positions.size());
                for (int i = 0; i < POSITIONS; i++) {
                    double[] want = position(i);
                    double[] got = view.positions.get(i);
                    for (int k = 0; k < 3; k++) {
                        assertEquals(want[k], got[k], 0.0, "position " + i);
                    }
                }
                double[] last = view.positions.get(POSITIONS);
                assertEquals(3.0, last[2], 0.0);
                for (String t : view.threads) {
                    assertEquals("android-main", t);
                }
            }
            assertEquals(0, senderEvents.count("text:"), "relay: the sender gets nothing back");
            sender.close(1000, null);
            receiver.close();
            senderEvents.awaitEnd();
        } finally {
            main.shutdown();
            main.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void receiverReconnectsWhenTheHubComesBack() throws Exception {
        ExecutorService main = Executors.newSingleThreadExecutor(r -> new Thread(r, "android-main"));
        try {
            RecordingView view = new RecordingView();
            int port;
            WebSocketClient receiver;
            try (TestHubs.CliHub hub = new TestHubs.CliHub()) {
                port = hub.port;
                receiver = new WebSocketClient(view, hub.url("/ws/camera"), main);
                receiver.start();
                for (int i = 0; i < 200 && !receiver.isOpen(); i++) {
                    Thread.sleep(50);
                }
                assertTrue(receiver.isOpen());
            }
            // The hub process is gone: the receiver keeps retrying instead of failing.
            for (int i = 0; i < 200 && receiver.isOpen(); i++) {
                Thread.sleep(50);
            }
            try (TestHubs.CliHub again = new TestHubs.CliHub("127.0.0.1:" + port)) {
                for (int i = 0; i < 400 && !receiver.isOpen(); i++) {
                    Thread.sleep(50);
                }
                assertTrue(receiver.isOpen(), "reconnected to the restarted hub");
                Recorder s = new Recorder();
                WebSocket sender = new OmnisockClient().newWebSocket(again.url("/ws/camera"), s);
                s.await("open");
                sender.send("{\"x\":7,\"y\":8,\"z\":9}");
                view.awaitCount(1);
                synchronized (view) {
                    assertEquals(1, view.positions.size());
                    assertEquals(9.0, view.positions.get(0)[2], 0.0);
                }
                sender.close(1000, null);
                receiver.close();
                s.awaitEnd();
            }
        } finally {
            main.shutdown();
            main.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
