package dev.omnisock;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What to connect to: a {@code ws://} or {@code wss://} URL and extra handshake headers.
 * {@code http://} and {@code https://} are accepted and mean {@code ws://} and {@code wss://},
 * as in OkHttp.
 */
public final class Request {
    private final String url;
    private final List<String[]> headers;
    private final Map<Class<?>, Object> tags;

    private Request(Builder b) {
        this.url = b.url;
        this.tags = Collections.unmodifiableMap(new LinkedHashMap<Class<?>, Object>(b.tags));
        this.headers = Collections.unmodifiableList(new ArrayList<String[]>(b.headers));
    }

    /** The WebSocket URL. */
    public String url() {
        return url;
    }

    /** The first value of a header given to the builder, or null. */
    public String header(String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return h[1];
            }
        }
        return null;
    }

    /** Every header given to the builder, in order (OkHttp's {@code headers()}). */
    public Headers headers() {
        return Headers.ofPairs(headers);
    }

    /** Every value of a header given to the builder, in order. */
    public List<String> headers(String name) {
        return headers().values(name);
    }

    /** Whether the socket uses TLS ({@code wss://}). */
    public boolean isHttps() {
        return url.regionMatches(true, 0, "wss:", 0, 4);
    }

    /** The tag attached with {@link Builder#tag(Object)}, or null. */
    public Object tag() {
        return tags.get(Object.class);
    }

    /** The tag of {@code type} attached with {@link Builder#tag(Class, Object)}, or null. */
    public <T> T tag(Class<? extends T> type) {
        return type.cast(tags.get(type));
    }

    /** The HTTP method of the opening handshake: always {@code GET}. */
    public String method() {
        return "GET";
    }

    List<String[]> headerPairs() {
        return headers;
    }

    public Builder newBuilder() {
        Builder b = new Builder();
        b.url = url;
        b.headers.addAll(headers);
        b.tags.putAll(tags);
        return b;
    }

    @Override
    public String toString() {
        return "Request{url=" + url + "}";
    }

    /** Builds a {@link Request}. */
    public static final class Builder {
        private String url;
        private final List<String[]> headers = new ArrayList<String[]>();
        private final Map<Class<?>, Object> tags = new LinkedHashMap<Class<?>, Object>();

        /** Attaches {@code tag} (null removes it); read back with {@link Request#tag()}. */
        public Builder tag(Object tag) {
            return tag(Object.class, tag);
        }

        /** Attaches {@code tag} under {@code type} (null removes it); read back with {@link Request#tag(Class)}. */
        public <T> Builder tag(Class<? super T> type, T tag) {
            if (type == null) {
                throw new NullPointerException("type == null");
            }
            if (tag == null) {
                tags.remove(type);
            } else {
                tags.put(type, type.cast(tag));
            }
            return this;
        }

        /** The URL to connect to ({@code http(s)://} means {@code ws(s)://}). */
        public Builder url(String url) {
            if (url == null) {
                throw new NullPointerException("url == null");
            }
            String u = url.trim();
            if (u.regionMatches(true, 0, "http:", 0, 5)) {
                u = "ws:" + u.substring(5);
            } else if (u.regionMatches(true, 0, "https:", 0, 6)) {
                u = "wss:" + u.substring(6);
            }
            this.url = u;
            return this;
        }

        /** Sets a header, replacing earlier values of the same name. */
        public Builder header(String name, String value) {
            removeHeader(name);
            return addHeader(name, value);
        }

        /** Adds a header value. */
        public Builder addHeader(String name, String value) {
            if (name == null || value == null) {
                throw new NullPointerException("header name and value must not be null");
            }
            headers.add(new String[] {name, value});
            return this;
        }

        /** Replaces every header with {@code headers}. */
        public Builder headers(Headers headers) {
            this.headers.clear();
            this.headers.addAll(headers.pairs());
            return this;
        }

        /** The opening handshake is a {@code GET}; kept for code written against OkHttp. */
        public Builder get() {
            return this;
        }

        /** Removes every value of a header (case-insensitive). */
        public Builder removeHeader(String name) {
            for (int i = headers.size() - 1; i >= 0; i--) {
                if (headers.get(i)[0].equalsIgnoreCase(name)) {
                    headers.remove(i);
                }
            }
            return this;
        }

        public Request build() {
            if (url == null) {
                throw new IllegalStateException("url == null");
            }
            return new Request(this);
        }
    }
}
