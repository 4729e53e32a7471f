package dev.omnisock;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import androidx.test.ext.junit.runners.AndroidJUnit4;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.Test;
import org.junit.runner.RunWith;

/**
 * On a device or emulator (CI: .github/workflows/mobile.yml): the AAR's JNI library loads for
 * the device's ABI, and an in-process hub echoes text and binary to a client over loopback.
 */
@RunWith(AndroidJUnit4.class)
public class EchoInstrumentedTest {
    @Test
    public void loadsAndEchoes() throws Exception {
        assertTrue(OmnisockClient.version().length() > 0);
        BlockingQueue<Object> got = new LinkedBlockingQueue<>();
        try (Hub hub = Hub.builder().listen("127.0.0.1:0").route("/echo", Hub.RouteKind.ECHO).start()) {
            WebSocket ws = new OmnisockClient().newWebSocket("ws://127.0.0.1:" + hub.port() + "/echo",
                    new WebSocketListener() {
                        @Override
                        public void onOpen(WebSocket w, Response r) {
                            w.send("text on android");
                            w.send(ByteString.of((byte) 0, (byte) 1, (byte) 2));
                        }

                        @Override
                        public void onMessage(WebSocket w, String text) {
                            got.add(text);
                        }

                        @Override
                        public void onMessage(WebSocket w, ByteString bytes) {
                            got.add(bytes);
                        }

                        @Override
                        public void onFailure(WebSocket w, Throwable t) {
                            got.add(t);
                        }
                    });
            assertEquals("text on android", got.poll(20, TimeUnit.SECONDS));
            assertEquals(ByteString.of((byte) 0, (byte) 1, (byte) 2), got.poll(20, TimeUnit.SECONDS));
            ws.close(1000, "bye");
        }
    }
}
