package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Helpers to run hubs for the tests: in process (the Hub binding) or the `omnisock` CLI. */
public final class TestHubs {
    private TestHubs() {}

    /** An in-process hub with /echo (echo), /chat (broadcast), /ws/camera (relay). */
    public static Hub echoHub() throws IOException {
        return Hub.builder()
                .route("/echo", Hub.RouteKind.ECHO)
                .route("/chat", Hub.RouteKind.BROADCAST)
                .route("/ws/camera", Hub.RouteKind.RELAY)
                .start();
    }

    public static String url(Hub hub, String path) {
        return "ws://127.0.0.1:" + hub.port() + path;
    }

    /** The path of a file the run script passes as a system property. */
    public static File required(String property) {
        String p = System.getProperty(property);
        assertNotNull(p, "system property " + property + " is not set (run tests/java/run.sh)");
        File f = new File(p);
        assertTrue(f.exists(), property + "=" + p + " does not exist");
        return f;
    }

    /** `omnisock hub` running as a separate process (the CLI binary of this repository). */
    public static final class CliHub implements AutoCloseable {
        private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/");
        public final Process process;
        public final int port;

        /** The default configuration (/echo, /chat, /ws/camera) on a free port. */
        public CliHub() throws IOException, InterruptedException {
            this("127.0.0.1:0");
        }

        /** The default configuration on {@code listen}, plus extra CLI arguments. */
        public CliHub(String listen, String... extraArgs) throws IOException, InterruptedException {
            File bin = required("omnisock.test.cli");
            String[] cmd = new String[4 + extraArgs.length];
            cmd[0] = bin.getPath();
            cmd[1] = "hub";
            cmd[2] = "--listen";
            cmd[3] = listen;
            System.arraycopy(extraArgs, 0, cmd, 4, extraArgs.length);
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            int found = -1;
            StringBuilder seen = new StringBuilder();
            for (int i = 0; i < 50 && found < 0; i++) {
                String line = r.readLine();
                if (line == null) {
                    break;
                }
                seen.append(line).append('\n');
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    found = Integer.parseInt(m.group(1));
                }
            }
            if (found < 0) {
                process.destroyForcibly();
                throw new IOException("omnisock hub did not report its port; output:\n" + seen);
            }
            port = found;
            // Keep draining its output so it never blocks on a full pipe.
            Thread drain = new Thread(() -> {
                try {
                    while (r.readLine() != null) {
                        // discard
                    }
                } catch (IOException ignored) {
                    // process ended
                }
            }, "cli-hub-output");
            drain.setDaemon(true);
            drain.start();
        }

        public String url(String path) {
            return "ws://127.0.0.1:" + port + path;
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
