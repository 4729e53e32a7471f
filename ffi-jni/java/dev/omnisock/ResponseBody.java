package dev.omnisock;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The body of a handshake {@link Response}, with OkHttp's {@code ResponseBody} names. It is
 * held in memory (a refusal's body is capped at 64 KiB by the core; a {@code 101} has none), so
 * every method may be called any number of times and {@link #close()} does nothing.
 */
public final class ResponseBody implements Closeable {
    private final byte[] bytes;
    private final String contentType;

    ResponseBody(byte[] bytes, String contentType) {
        this.bytes = bytes;
        this.contentType = contentType;
    }

    /** The {@code Content-Type} header of the response, or null. */
    public String contentType() { return contentType; }

    /** The body's length in bytes. */
    public long contentLength() { return bytes.length; }

    /** A copy of the body. */
    public byte[] bytes() { return bytes.clone(); }

    /** The body as a {@link ByteString}. */
    public ByteString byteString() { return ByteString.of(bytes); }

    /** The body as UTF-8 text. */
    public String string() { return new String(bytes, StandardCharsets.UTF_8); }

    /** A stream over the body. */
    public InputStream byteStream() { return new ByteArrayInputStream(bytes); }

    /** Nothing to release: the body is in memory. */
    @Override
    public void close() {}
}
