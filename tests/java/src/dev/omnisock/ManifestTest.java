package dev.omnisock;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The Java API has every capability {@code capabilities.toml} lists for it: each
 * {@code java = "pkg.Class#member"} entry names a public method or field, found by reflection.
 */
class ManifestTest {
    /** The {@code java} entries of the manifest as {id, value} pairs. */
    static List<String[]> javaEntries() throws Exception {
        String path = System.getProperty("omnisock.test.manifest");
        assertTrue(path != null, "-Domnisock.test.manifest must name capabilities.toml");
        List<String[]> out = new ArrayList<>();
        String id = null;
        for (String line : Files.readAllLines(Paths.get(path), StandardCharsets.UTF_8)) {
            line = line.trim();
            if (line.startsWith("id = \"")) {
                id = line.substring(6, line.length() - 1);
            } else if (line.startsWith("java = \"")) {
                out.add(new String[] {id, line.substring(8, line.length() - 1)});
            }
        }
        return out;
    }

    static boolean exists(String entry) {
        int hash = entry.indexOf('#');
        if (hash < 0) {
            return false;
        }
        Class<?> c;
        try {
            c = Class.forName(entry.substring(0, hash));
        } catch (ClassNotFoundException e) {
            return false;
        }
        String member = entry.substring(hash + 1);
        for (Method m : c.getMethods()) {
            if (m.getName().equals(member)) {
                return true;
            }
        }
        for (Field f : c.getFields()) {
            if (f.getName().equals(member)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void everyListedCapabilityExists() throws Exception {
        List<String[]> entries = javaEntries();
        assertTrue(entries.size() > 20, "capabilities.toml has java entries (read " + entries.size() + ")");
        List<String> missing = new ArrayList<>();
        for (String[] e : entries) {
            if (!e[1].startsWith("none:") && !exists(e[1])) {
                missing.add(e[0] + ": " + e[1]);
            }
        }
        assertTrue(missing.isEmpty(), "capabilities.toml lists Java members that do not exist: " + missing);
    }
}
