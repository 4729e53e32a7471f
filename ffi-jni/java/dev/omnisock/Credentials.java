package dev.omnisock;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * OkHttp's {@code Credentials}: the value of an {@code Authorization} (or
 * {@code Proxy-Authorization}) header for HTTP Basic authentication, e.g. for a handshake:
 * {@code new Request.Builder().url(url).header("Authorization", Credentials.basic(user, password))}.
 */
public final class Credentials {
    private Credentials() {}

    /** {@code "Basic " + base64(username ":" password)} in ISO-8859-1, as OkHttp. */
    public static String basic(String username, String password) {
        return basic(username, password, StandardCharsets.ISO_8859_1);
    }

    /** {@code "Basic " + base64(username ":" password)} in {@code charset} (RFC 7617 allows UTF-8). */
    public static String basic(String username, String password, Charset charset) {
        if (username == null || password == null || charset == null) {
            throw new NullPointerException("username, password and charset must not be null");
        }
        return "Basic " + ByteString.encodeString(username + ":" + password, charset).base64();
    }
}
