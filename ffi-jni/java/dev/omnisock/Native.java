package dev.omnisock;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * The native methods (implemented in Rust, crate {@code omnisock-jni}) and the library loader.
 *
 * <p>Loading: the system property {@code omnisock.library.path} (a file) wins; then
 * {@code System.loadLibrary("omnisock_jni")} (Android: the AAR's {@code jni/<abi>/}); on a
 * desktop JVM it falls back to the library packed in the jar under
 * {@code dev/omnisock/native/<os>-<arch>/}.
 */
final class Native {
    static final String LIBRARY = "omnisock_jni";

    static {
        load();
    }

    private Native() {}

    private static void load() {
        String explicit = System.getProperty("omnisock.library.path");
        if (explicit != null && !explicit.isEmpty()) {
            System.load(new File(explicit).getAbsolutePath());
            return;
        }
        try {
            System.loadLibrary(LIBRARY);
            return;
        } catch (UnsatisfiedLinkError e) {
            if (isAndroid()) {
                throw e;
            }
            try {
                loadFromJar();
            } catch (IOException | RuntimeException | UnsatisfiedLinkError e2) {
                UnsatisfiedLinkError err = new UnsatisfiedLinkError(
                        "cannot load lib" + LIBRARY + ": not on java.library.path (" + e.getMessage()
                                + ") and not usable from the jar (" + e2.getMessage() + ")");
                err.initCause(e2);
                throw err;
            }
        }
    }

    private static boolean isAndroid() {
        String vm = System.getProperty("java.vm.vendor", "") + System.getProperty("java.vendor", "");
        return vm.toLowerCase(Locale.ROOT).contains("android");
    }

    /** The folder name of this platform inside the jar, e.g. {@code linux-x86_64}. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux" : os.startsWith("mac") || os.startsWith("darwin") ? "macos"
                : os.startsWith("windows") ? "windows" : os.replaceAll("[^a-z0-9]", "");
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64"
                : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : arch.replaceAll("[^a-z0-9_]", "");
        return o + "-" + a;
    }

    private static void loadFromJar() throws IOException {
        String name = System.mapLibraryName(LIBRARY);
        String resource = "/dev/omnisock/native/" + platform() + "/" + name;
        InputStream in = Native.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IOException("resource " + resource + " is not in the jar");
        }
        File tmp = File.createTempFile("omnisock-", "-" + name);
        try {
            try (InputStream src = in; OutputStream out = new java.io.FileOutputStream(tmp)) {
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = src.read(buf)) > 0) {
                    out.write(buf, 0, n);
                }
            }
            System.load(tmp.getAbsolutePath());
        } finally {
            // Once loaded the mapping stays valid on Unix; on Windows delete at exit instead.
            if (!tmp.delete()) {
                tmp.deleteOnExit();
            }
        }
    }

    static native String version();
    static native void panicForTest();

    // Client: see ffi-jni/src/client.rs. Methods returning int answer 0 or an error code.
    static native long clientConnect(String configJson);
    static native int clientSendText(long h, byte[] utf8, int off, int len);
    static native int clientSendBinary(long h, byte[] data, int off, int len);
    static native int clientSendDirect(long h, ByteBuffer direct, int off, int len);
    static native int clientPing(long h, byte[] payload);
    static native int clientClose(long h, int code, String reason);
    static native void clientCancel(long h);
    static native int clientState(long h);
    static native long clientQueuedBytes(long h);
    static native int clientPoll(long h, int timeoutMs, long[] meta, Object[] objs);
    static native void clientFree(long h);

    // Hub: see ffi-jni/src/hub.rs.
    static native long hubStart(String toml);
    static native String hubLocalAddress(long h);
    static native int hubSend(long h, long conn, byte[] data, boolean text);
    static native int hubClose(long h, long conn, int code, String reason);
    static native int hubJoin(long h, long conn, String group);
    static native int hubLeave(long h, long conn, String group);
    static native int hubPublish(long h, String group, byte[] data, boolean text, long exceptConn);
    static native int hubBroadcast(long h, String path, byte[] data, boolean text, long exceptConn);
    static native int hubGroupSize(long h, String group);
    static native int hubConnectionCount(long h);
    static native long hubQueuedBytes(long h, long conn);
    static native String hubStatusJson(long h);
    static native String hubMetricsText(long h);
    static native int hubSetReadingPaused(long h, long conn, boolean paused);
    static native int hubSetMaxRate(long h, long conn, double rate);
    static native int hubSendMany(long h, long[] conns, byte[] data, boolean text);
    static native int hubAccept(long h, long conn, String protocol);
    static native int hubReject(long h, long conn, int status, String body);
    static native int hubPing(long h, long conn, byte[] payload);
    static native int hubPoll(long h, int timeoutMs, long[] meta, Object[] objs);
    static native void hubShutdown(long h);
    static native void hubFree(long h);
}
