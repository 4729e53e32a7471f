package dev.omnisock;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The server's answer to the opening handshake: {@code 101 Switching Protocols} in
 * {@code onOpen}; in {@code onFailure}, the refusal (status, headers, body) when the server
 * answered with another status, else null.
 */
public final class Response implements java.io.Closeable {
    private final Request request;
    private final int code;
    private final byte[] body;
    private final List<String[]> headers;
    private final String protocol;
    private final String remoteAddress;

    Response(Request request, List<String[]> headers, String protocol, String remoteAddress) {
        this(request, 101, headers, protocol, remoteAddress, new byte[0]);
    }

    Response(Request request, int code, List<String[]> headers, String protocol, String remoteAddress, byte[] body) {
        this.request = request;
        this.code = code;
        this.body = body;
        this.headers = Collections.unmodifiableList(headers);
        this.protocol = protocol;
        this.remoteAddress = remoteAddress;
    }

    public Request request() { return request; }

    /** The HTTP status: 101 in {@code onOpen}, the refusing status in {@code onFailure}. */
    public int code() { return code; }

    /** The reason phrase of the status (the standard phrase for the code; "HTTP nnn" for an unusual one). */
    public String message() { return reasonPhrase(code); }

    private static String reasonPhrase(int code) {
        switch (code) {
            case 101: return "Switching Protocols";
            case 200: return "OK";
            case 301: return "Moved Permanently";
            case 302: return "Found";
            case 303: return "See Other";
            case 307: return "Temporary Redirect";
            case 308: return "Permanent Redirect";
            case 400: return "Bad Request";
            case 401: return "Unauthorized";
            case 403: return "Forbidden";
            case 404: return "Not Found";
            case 407: return "Proxy Authentication Required";
            case 426: return "Upgrade Required";
            case 429: return "Too Many Requests";
            case 500: return "Internal Server Error";
            case 502: return "Bad Gateway";
            case 503: return "Service Unavailable";
            default: return "HTTP " + code;
        }
    }

    /** Whether the handshake succeeded (101). */
    public boolean isSuccessful() { return code == 101; }

    /** The response body of a refused handshake (at most 64 KiB), as UTF-8 text. */
    public String bodyString() { return new String(body, java.nio.charset.StandardCharsets.UTF_8); }

    /** The response body of a refused handshake, as bytes. */
    public byte[] bodyBytes() { return body.clone(); }

    /**
     * The body, as OkHttp's {@code body()}: the refusal's body in {@code onFailure}, empty in
     * {@code onOpen} (a {@code 101} has none). Never null.
     */
    public ResponseBody body() { return new ResponseBody(body, header("Content-Type")); }

    /** Whether the status is a redirect OkHttp would follow (300, 301, 302, 303, 307, 308). */
    public boolean isRedirect() {
        return (code >= 300 && code <= 303) || code == 307 || code == 308;
    }

    /** Nothing to release: the body is held in memory (OkHttp's {@code close()}). */
    @Override
    public void close() {}

    /** Every response header, in order (OkHttp's {@code headers()}). */
    public Headers headers() { return Headers.ofPairs(headers); }

    /** The first value of a response header (case-insensitive), or null. */
    public String header(String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return h[1];
            }
        }
        return null;
    }

    /** Every value of a response header, in order. */
    public List<String> headers(String name) {
        List<String> out = new ArrayList<String>();
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                out.add(h[1]);
            }
        }
        return out;
    }

    /** The negotiated subprotocol, or null. */
    public String subprotocol() { return protocol; }

    /** The server's address as {@code ip:port}. */
    public String remoteAddress() { return remoteAddress; }

    @Override
    public String toString() {
        return "Response{code=" + code + ", url=" + request.url() + (protocol != null ? ", subprotocol=" + protocol : "") + "}";
    }
}
