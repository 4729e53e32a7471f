package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The OkHttp echo recipe's shape ({@code okhttpstyle.EchoProgram}) in a JVM of its own: it must
 * connect, echo, close and then exit by itself with nothing else keeping it alive.
 */
class OkHttpSampleTest {
    /** Upper bound for the child JVM (a hang guard; the program needs well under a second). */
    private static final long CHILD_LIMIT_S = 60;

    @Test
    void echoProgramConnectsEchoesClosesAndTheJvmExitsByItself() throws Exception {
        try (Hub hub = TestHubs.echoHub()) {
            File lib = TestHubs.required("omnisock.test.nativelib");
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            Process p = new ProcessBuilder(java, "-Domnisock.library.path=" + lib.getPath(),
                    "-cp", System.getProperty("java.class.path"),
                    "dev.omnisock.okhttpstyle.EchoProgram", TestHubs.url(hub, "/echo"))
                    .redirectErrorStream(true)
                    .start();
            boolean exited = p.waitFor(CHILD_LIMIT_S, TimeUnit.SECONDS);
            if (!exited) {
                p.destroyForcibly();
            }
            String out = read(p.getInputStream());
            assertTrue(exited, "the program did not exit by itself; output:\n" + out);
            assertEquals(0, p.exitValue(), out);
            assertEquals(Arrays.asList(
                    "OPEN: 101",
                    "TEXT: first text",
                    "TEXT: second text",
                    "BINARY: cafe01ff",
                    "CLOSING: 1000 done here"), Arrays.asList(out.trim().split("\\r?\\n")),
                    "events printed by the program");
        }
    }

    private static String read(InputStream in) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) > 0) {
            b.write(buf, 0, n);
        }
        return new String(b.toByteArray(), StandardCharsets.UTF_8);
    }
}
