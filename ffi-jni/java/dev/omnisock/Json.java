package dev.omnisock;

import java.util.List;

/** Writes the few JSON values the client configuration needs (strings and string lists). */
final class Json {
    private Json() {}

    /** Appends {@code s} as a JSON string literal; a null string is refused. */
    static void string(StringBuilder out, String s) {
        if (s == null) {
            throw new NullPointerException("configuration strings must not be null");
        }
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }

    /** {@code s} as a JSON string literal. */
    static String quoted(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2);
        string(out, s);
        return out.toString();
    }

    /** Appends a JSON array of strings. */
    static void strings(StringBuilder out, List<String> list) {
        out.append('[');
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                out.append(',');
            }
            string(out, list.get(i));
        }
        out.append(']');
    }
}
