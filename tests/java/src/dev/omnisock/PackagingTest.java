package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

import org.junit.jupiter.api.Test;

/** The AAR is well formed, the keep rules cover what JNI needs, and every native method is exported. */
class PackagingTest {
    static byte[] read(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    @Test
    void aarHasClassesManifestKeepRulesAndNativeLibraries() throws Exception {
        // run.sh builds this AAR with --jni-libs pointing at a folder holding the host library
        // as one ABI: it checks the packaging, not an Android build (no NDK here).
        File aar = TestHubs.required("omnisock.test.aar");
        try (ZipFile zip = new ZipFile(aar)) {
            Map<String, byte[]> entries = new HashMap<String, byte[]>();
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                if (!e.isDirectory()) {
                    entries.put(e.getName(), read(zip.getInputStream(e)));
                }
            }
            assertTrue(entries.containsKey("classes.jar"), entries.keySet().toString());
            assertTrue(entries.containsKey("R.txt"));
            String manifest = new String(entries.get("AndroidManifest.xml"), StandardCharsets.UTF_8);
            assertTrue(manifest.contains("package=\"dev.omnisock\""), manifest);
            assertTrue(manifest.contains("android.permission.INTERNET"), manifest);
            String rules = new String(entries.get("proguard.txt"), StandardCharsets.UTF_8);
            assertTrue(rules.contains("-keep class dev.omnisock.Native") && rules.contains("native <methods>"), rules);
            assertTrue(rules.contains("-keep class dev.omnisock.Errors")
                    && rules.contains("toThrowable(int, java.lang.String)"), rules);
            assertTrue(entries.containsKey("jni/x86_64/libomnisock_jni.so"), entries.keySet().toString());

            Set<String> classes = new HashSet<String>();
            try (ZipInputStream jar = new ZipInputStream(new ByteArrayInputStream(entries.get("classes.jar")))) {
                for (ZipEntry e = jar.getNextEntry(); e != null; e = jar.getNextEntry()) {
                    if (e.getName().endsWith(".class")) {
                        classes.add(e.getName());
                        DataInputStream d = new DataInputStream(new ByteArrayInputStream(read(jar)));
                        assertEquals(0xCAFEBABE, d.readInt());
                        d.readUnsignedShort();
                        assertEquals(52, d.readUnsignedShort(), e.getName() + " must be Java 8 bytecode");
                    }
                }
            }
            for (String c : new String[] {"Native", "Errors", "OmnisockClient", "WebSocket", "WebSocketListener", "Hub", "HubListener", "Request", "Response", "ByteString"}) {
                assertTrue(classes.contains("dev/omnisock/" + c + ".class"), c);
            }
            assertFalse(classes.stream().anyMatch(c -> c.contains("native/")), "no host library inside classes.jar");
        }
    }

    @Test
    void everyNativeMethodIsExportedByTheLibrary() throws Exception {
        File lib = TestHubs.required("omnisock.test.nativelib");
        Process p = new ProcessBuilder("nm", "-D", "--defined-only", lib.getPath()).redirectErrorStream(true).start();
        String symbols = new String(read(p.getInputStream()), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor());
        int natives = 0;
        for (Method m : Native.class.getDeclaredMethods()) {
            if (Modifier.isNative(m.getModifiers())) {
                natives++;
                String sym = "Java_dev_omnisock_Native_" + m.getName();
                assertTrue(symbols.contains(" " + sym + "\n"), sym + " is not exported");
            }
        }
        assertTrue(natives > 30, "found " + natives + " native methods");
    }

    @Test
    void theExceptionFactoryNativeCodeCallsExists() throws Exception {
        Method m = Errors.class.getMethod("toThrowable", int.class, String.class);
        assertTrue(Modifier.isStatic(m.getModifiers()));
        assertEquals(Throwable.class, m.getReturnType());
        assertTrue(Errors.toThrowable(Errors.TLS, "x") instanceof OmnisockException.Tls);
        assertTrue(Errors.toThrowable(Errors.INVALID_HANDLE, "x") instanceof IllegalStateException);
        assertTrue(Errors.toThrowable(Errors.INVALID_ARGUMENT, "x") instanceof IllegalArgumentException);
        assertEquals(99, ((OmnisockException) Errors.toThrowable(99, "future code")).code());
    }

    @Test
    void theLibraryWasLoadedFromTheJarFallback() {
        // run.sh puts no java.library.path: Native must have found the copy packed in the jar.
        assertNotNull(Native.class.getResource("/dev/omnisock/native/" + Native.platform() + "/" + System.mapLibraryName(Native.LIBRARY)));
        assertTrue(OmnisockClient.version().matches("\\d+\\.\\d+\\.\\d+.*"), OmnisockClient.version());
    }
}
