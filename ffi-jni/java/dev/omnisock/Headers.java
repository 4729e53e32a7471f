package dev.omnisock;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An immutable, ordered list of HTTP header fields with OkHttp's {@code Headers} names: names
 * compare case-insensitively and keep their order and repeats.
 */
public final class Headers {
    private final String[] namesAndValues;

    private Headers(String[] namesAndValues) {
        this.namesAndValues = namesAndValues;
    }

    /** Headers from alternating names and values ({@code "Accept", "text/plain", ...}). */
    public static Headers of(String... namesAndValues) {
        if (namesAndValues == null || namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("expected alternating header names and values");
        }
        Builder b = new Builder();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            b.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return b.build();
    }

    /** Headers from name/value pairs (package use: the events and builders hold pairs). */
    static Headers ofPairs(List<String[]> pairs) {
        String[] nv = new String[pairs.size() * 2];
        for (int i = 0; i < pairs.size(); i++) {
            nv[2 * i] = pairs.get(i)[0];
            nv[2 * i + 1] = pairs.get(i)[1];
        }
        return new Headers(nv);
    }

    /** The number of fields (a repeated name counts once per value). */
    public int size() { return namesAndValues.length / 2; }

    /** The name of field {@code index}. */
    public String name(int index) { return namesAndValues[checkIndex(index) * 2]; }

    /** The value of field {@code index}. */
    public String value(int index) { return namesAndValues[checkIndex(index) * 2 + 1]; }

    private int checkIndex(int index) {
        if (index < 0 || index >= size()) {
            throw new IndexOutOfBoundsException("header index " + index + " of " + size());
        }
        return index;
    }

    /** The last value of {@code name} (case-insensitive), or null, as OkHttp's {@code get}. */
    public String get(String name) {
        for (int i = namesAndValues.length - 2; i >= 0; i -= 2) {
            if (namesAndValues[i].equalsIgnoreCase(name)) {
                return namesAndValues[i + 1];
            }
        }
        return null;
    }

    /** Every value of {@code name} (case-insensitive), in order. */
    public List<String> values(String name) {
        List<String> out = new ArrayList<String>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (namesAndValues[i].equalsIgnoreCase(name)) {
                out.add(namesAndValues[i + 1]);
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** The distinct names, case-insensitively sorted. */
    public Set<String> names() {
        Set<String> out = new TreeSet<String>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < namesAndValues.length; i += 2) {
            out.add(namesAndValues[i]);
        }
        return Collections.unmodifiableSet(out);
    }

    /** Lowercased names to their values, in order. */
    public Map<String, List<String>> toMultimap() {
        Map<String, List<String>> out = new TreeMap<String, List<String>>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            String key = namesAndValues[i].toLowerCase(Locale.US);
            List<String> vs = out.get(key);
            if (vs == null) {
                vs = new ArrayList<String>(2);
                out.put(key, vs);
            }
            vs.add(namesAndValues[i + 1]);
        }
        return out;
    }

    /** A builder holding these fields. */
    public Builder newBuilder() {
        Builder b = new Builder();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            b.pairs.add(new String[] {namesAndValues[i], namesAndValues[i + 1]});
        }
        return b;
    }

    List<String[]> pairs() {
        List<String[]> out = new ArrayList<String[]>(size());
        for (int i = 0; i < namesAndValues.length; i += 2) {
            out.add(new String[] {namesAndValues[i], namesAndValues[i + 1]});
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Headers && java.util.Arrays.equals(namesAndValues, ((Headers) o).namesAndValues);
    }

    @Override
    public int hashCode() { return java.util.Arrays.hashCode(namesAndValues); }

    /** One {@code name: value} line per field. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            s.append(namesAndValues[i]).append(": ").append(namesAndValues[i + 1]).append('\n');
        }
        return s.toString();
    }

    /** Builds {@link Headers}. Names and values are checked when the handshake is made (by the core). */
    public static final class Builder {
        final List<String[]> pairs = new ArrayList<String[]>();

        /** Adds a field (repeats allowed). */
        public Builder add(String name, String value) {
            if (name == null || value == null) {
                throw new NullPointerException("header name and value must not be null");
            }
            pairs.add(new String[] {name, value});
            return this;
        }

        /** Adds a {@code "name: value"} line. */
        public Builder add(String line) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("Unexpected header: " + line);
            }
            return add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }

        /** Replaces every field named {@code name} with one field. */
        public Builder set(String name, String value) {
            removeAll(name);
            return add(name, value);
        }

        /** Removes every field named {@code name} (case-insensitive). */
        public Builder removeAll(String name) {
            for (int i = pairs.size() - 1; i >= 0; i--) {
                if (pairs.get(i)[0].equalsIgnoreCase(name)) {
                    pairs.remove(i);
                }
            }
            return this;
        }

        /** The last value of {@code name}, or null. */
        public String get(String name) {
            for (int i = pairs.size() - 1; i >= 0; i--) {
                if (pairs.get(i)[0].equalsIgnoreCase(name)) {
                    return pairs.get(i)[1];
                }
            }
            return null;
        }

        public Headers build() {
            return ofPairs(pairs);
        }
    }
}
