package dev.omnisock;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An immutable sequence of bytes, with the few methods of okio's {@code ByteString} that
 * listeners ported from OkHttp use ({@code hex()}, {@code utf8()}, {@code size()}, ...).
 */
public final class ByteString {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private final byte[] data;

    private ByteString(byte[] data) {
        this.data = data;
    }

    /** Wraps without copying: the array must not change afterwards. */
    static ByteString wrap(byte[] data) {
        return new ByteString(data);
    }

    public static ByteString of(byte... data) {
        return new ByteString(data.clone());
    }

    public static ByteString of(byte[] data, int offset, int length) {
        return new ByteString(Arrays.copyOfRange(data, offset, offset + length));
    }

    public static ByteString encodeUtf8(String s) {
        return new ByteString(s.getBytes(StandardCharsets.UTF_8));
    }

    public int size() { return data.length; }

    public byte getByte(int i) { return data[i]; }

    public String utf8() { return new String(data, StandardCharsets.UTF_8); }

    public String hex() {
        char[] out = new char[data.length * 2];
        for (int i = 0; i < data.length; i++) {
            out[2 * i] = HEX[(data[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[data[i] & 0xf];
        }
        return new String(out);
    }

    public byte[] toByteArray() { return data.clone(); }

    byte[] internalArray() { return data; }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteString && Arrays.equals(data, ((ByteString) o).data);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(data); }

    @Override
    public String toString() {
        return data.length <= 64 ? "[hex=" + hex() + "]" : "[size=" + data.length + "]";
    }
}
