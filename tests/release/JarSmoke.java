import dev.omnisock.Hub;
import dev.omnisock.OmnisockClient;
import dev.omnisock.Response;
import dev.omnisock.WebSocket;
import dev.omnisock.WebSocketListener;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Uses the released desktop jar alone (no java.library.path): the native library must come out
 * of the jar for this OS and architecture. An in-process hub echoes one message to a client.
 */
public final class JarSmoke {
    public static void main(String[] args) throws Exception {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        try (Hub hub = Hub.builder().listen("127.0.0.1:0").route("/echo", Hub.RouteKind.ECHO).start()) {
            OmnisockClient client = new OmnisockClient();
            WebSocket ws = client.newWebSocket("ws://127.0.0.1:" + hub.port() + "/echo", new WebSocketListener() {
                @Override
                public void onOpen(WebSocket w, Response r) {
                    w.send("hello from the jar");
                }

                @Override
                public void onMessage(WebSocket w, String text) {
                    got.add(text);
                }

                @Override
                public void onFailure(WebSocket w, Throwable t) {
                    got.add("failure: " + t);
                }
            });
            String m = got.poll(20, TimeUnit.SECONDS);
            ws.close(1000, "bye");
            if (!"hello from the jar".equals(m)) {
                System.out.println("FAIL - echo through the jar's native library: got " + m);
                System.exit(1);
            }
            System.out.println("ok   - omnisock " + OmnisockClient.version() + " loaded from the jar ("
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch") + "): echo round trip");
        }
        System.exit(0);
    }
}
