package dev.omnisock;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * An immutable sequence of bytes with the names of okio's {@code ByteString}: the factories
 * ({@code of}, {@code encodeUtf8}, {@code encodeString}, {@code decodeHex},
 * {@code decodeBase64}) and codecs ({@code hex}, {@code base64}, {@code base64Url},
 * {@code utf8}, {@code sha256}, ...) that WebSocket code ported from OkHttp uses.
 */
public final class ByteString implements Comparable<ByteString> {
    /** The empty byte string. */
    public static final ByteString EMPTY = new ByteString(new byte[0]);

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private final byte[] data;

    private ByteString(byte[] data) {
        this.data = data;
    }

    /** Wraps without copying: the array must not change afterwards. */
    static ByteString wrap(byte[] data) {
        return new ByteString(data);
    }

    /** A copy of {@code data}. */
    public static ByteString of(byte... data) {
        if (data == null) {
            throw new NullPointerException("data == null");
        }
        return new ByteString(data.clone());
    }

    /** A copy of {@code length} bytes of {@code data} at {@code offset}. */
    public static ByteString of(byte[] data, int offset, int length) {
        if (data == null) {
            throw new NullPointerException("data == null");
        }
        if (offset < 0 || length < 0 || offset > data.length - length) {
            throw new IndexOutOfBoundsException("offset " + offset + " and length " + length + " do not fit " + data.length + " bytes");
        }
        return new ByteString(Arrays.copyOfRange(data, offset, offset + length));
    }

    /** A copy of the remaining bytes of {@code buffer} (its position moves to the limit, as okio's). */
    public static ByteString of(ByteBuffer buffer) {
        byte[] copy = new byte[buffer.remaining()];
        buffer.get(copy);
        return new ByteString(copy);
    }

    /** The UTF-8 bytes of {@code s}. */
    public static ByteString encodeUtf8(String s) {
        if (s == null) {
            throw new NullPointerException("s == null");
        }
        return new ByteString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The bytes of {@code s} in {@code charset}. */
    public static ByteString encodeString(String s, Charset charset) {
        if (s == null || charset == null) {
            throw new NullPointerException("s and charset must not be null");
        }
        return new ByteString(s.getBytes(charset));
    }

    /**
     * Decodes hexadecimal digits (either case) to bytes.
     *
     * @throws IllegalArgumentException for an odd length or a character that is not a hex digit
     */
    public static ByteString decodeHex(String hex) {
        if (hex == null) {
            throw new NullPointerException("hex == null");
        }
        if (hex.length() % 2 != 0) {
            throw new IllegalArgumentException("Unexpected hex string: " + hex);
        }
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = Character.digit(hex.charAt(2 * i), 16);
            int lo = Character.digit(hex.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("Unexpected hex string: " + hex);
            }
            out[i] = (byte) ((hi << 4) | lo);
        }
        return new ByteString(out);
    }

    /**
     * Decodes Base64 (the standard or the URL-safe alphabet, padding optional, trailing
     * whitespace ignored), or returns null when {@code base64} is not Base64, as okio does.
     */
    public static ByteString decodeBase64(String base64) {
        if (base64 == null) {
            throw new NullPointerException("base64 == null");
        }
        byte[] out = Base64.decode(base64);
        return out == null ? null : new ByteString(out);
    }

    /**
     * Reads exactly {@code byteCount} bytes from {@code in}.
     *
     * @throws EOFException if the stream ends first
     */
    public static ByteString read(InputStream in, int byteCount) throws IOException {
        if (byteCount < 0) {
            throw new IllegalArgumentException("byteCount < 0: " + byteCount);
        }
        byte[] out = new byte[byteCount];
        int n = 0;
        while (n < byteCount) {
            int r = in.read(out, n, byteCount - n);
            if (r < 0) {
                throw new EOFException("stream ended after " + n + " of " + byteCount + " bytes");
            }
            n += r;
        }
        return new ByteString(out);
    }

    /** Writes the bytes to {@code out}. */
    public void write(OutputStream out) throws IOException {
        out.write(data);
    }

    /** The number of bytes. */
    public int size() { return data.length; }

    /** The byte at {@code i}. */
    public byte getByte(int i) { return data[i]; }

    /** The bytes decoded as UTF-8 (malformed input becomes U+FFFD). */
    public String utf8() { return new String(data, StandardCharsets.UTF_8); }

    /** The bytes decoded in {@code charset}. */
    public String string(Charset charset) { return new String(data, charset); }

    /** Lowercase hexadecimal, two digits per byte. */
    public String hex() {
        char[] out = new char[data.length * 2];
        for (int i = 0; i < data.length; i++) {
            out[2 * i] = HEX[(data[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[data[i] & 0xf];
        }
        return new String(out);
    }

    /** Base64 with the standard alphabet and padding. */
    public String base64() { return Base64.encode(data, false); }

    /** Base64 with the URL-safe alphabet ({@code -} and {@code _}) and padding. */
    public String base64Url() { return Base64.encode(data, true); }

    /** The MD5 digest of these bytes. */
    public ByteString md5() { return digest("MD5"); }

    /** The SHA-1 digest of these bytes. */
    public ByteString sha1() { return digest("SHA-1"); }

    /** The SHA-256 digest of these bytes. */
    public ByteString sha256() { return digest("SHA-256"); }

    /** The SHA-512 digest of these bytes. */
    public ByteString sha512() { return digest("SHA-512"); }

    /** The HMAC-SHA1 of these bytes under {@code key}. */
    public ByteString hmacSha1(ByteString key) { return hmac("HmacSHA1", key); }

    /** The HMAC-SHA256 of these bytes under {@code key}. */
    public ByteString hmacSha256(ByteString key) { return hmac("HmacSHA256", key); }

    /** The HMAC-SHA512 of these bytes under {@code key}. */
    public ByteString hmacSha512(ByteString key) { return hmac("HmacSHA512", key); }

    private ByteString hmac(String algorithm, ByteString key) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance(algorithm);
            mac.init(new javax.crypto.spec.SecretKeySpec(key.data, algorithm));
            return new ByteString(mac.doFinal(data));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(algorithm + ": " + e.getMessage(), e);
        }
    }

    /** These bytes with ASCII {@code A-Z} lowered (other bytes unchanged). */
    public ByteString toAsciiLowercase() { return mapAscii('A', 'Z', 'a' - 'A'); }

    /** These bytes with ASCII {@code a-z} raised (other bytes unchanged). */
    public ByteString toAsciiUppercase() { return mapAscii('a', 'z', 'A' - 'a'); }

    private ByteString mapAscii(char lo, char hi, int delta) {
        byte[] out = null;
        for (int i = 0; i < data.length; i++) {
            if (data[i] >= lo && data[i] <= hi) {
                if (out == null) {
                    out = data.clone();
                }
                out[i] = (byte) (data[i] + delta);
            }
        }
        return out == null ? this : new ByteString(out);
    }

    /** The first index of {@code other} at or after {@code fromIndex}, or -1. */
    public int indexOf(ByteString other, int fromIndex) {
        for (int i = Math.max(fromIndex, 0); i <= data.length - other.data.length; i++) {
            if (rangeEquals(i, other.data)) {
                return i;
            }
        }
        return -1;
    }

    /** The first index of {@code other}, or -1. */
    public int indexOf(ByteString other) { return indexOf(other, 0); }

    /** The last index of {@code other} at or before {@code fromIndex}, or -1. */
    public int lastIndexOf(ByteString other, int fromIndex) {
        for (int i = Math.min(fromIndex, data.length - other.data.length); i >= 0; i--) {
            if (rangeEquals(i, other.data)) {
                return i;
            }
        }
        return -1;
    }

    /** The last index of {@code other}, or -1. */
    public int lastIndexOf(ByteString other) { return lastIndexOf(other, data.length); }

    /** Whether {@code byteCount} bytes at {@code offset} equal those of {@code other} at {@code otherOffset}. */
    public boolean rangeEquals(int offset, ByteString other, int otherOffset, int byteCount) {
        if (offset < 0 || otherOffset < 0 || byteCount < 0
                || offset > data.length - byteCount || otherOffset > other.data.length - byteCount) {
            return false;
        }
        for (int i = 0; i < byteCount; i++) {
            if (data[offset + i] != other.data[otherOffset + i]) {
                return false;
            }
        }
        return true;
    }

    private ByteString digest(String algorithm) {
        try {
            return new ByteString(MessageDigest.getInstance(algorithm).digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is not available on this JVM", e);
        }
    }

    /** The bytes from {@code beginIndex} to the end. */
    public ByteString substring(int beginIndex) { return substring(beginIndex, data.length); }

    /** The bytes in {@code [beginIndex, endIndex)}. */
    public ByteString substring(int beginIndex, int endIndex) {
        if (beginIndex < 0 || endIndex > data.length || beginIndex > endIndex) {
            throw new IndexOutOfBoundsException("substring(" + beginIndex + ", " + endIndex + ") of " + data.length + " bytes");
        }
        return beginIndex == 0 && endIndex == data.length ? this : new ByteString(Arrays.copyOfRange(data, beginIndex, endIndex));
    }

    /** Whether these bytes start with {@code prefix}. */
    public boolean startsWith(ByteString prefix) { return rangeEquals(0, prefix.data); }

    /** Whether these bytes end with {@code suffix}. */
    public boolean endsWith(ByteString suffix) { return rangeEquals(data.length - suffix.data.length, suffix.data); }

    private boolean rangeEquals(int offset, byte[] other) {
        if (offset < 0 || offset > data.length - other.length) {
            return false;
        }
        for (int i = 0; i < other.length; i++) {
            if (data[offset + i] != other[i]) {
                return false;
            }
        }
        return true;
    }

    /** A copy of the bytes. */
    public byte[] toByteArray() { return data.clone(); }

    /** A read-only buffer over the bytes (no copy). */
    public ByteBuffer asByteBuffer() { return ByteBuffer.wrap(data).asReadOnlyBuffer(); }

    byte[] internalArray() { return data; }

    /** Unsigned lexicographic order, as okio's. */
    @Override
    public int compareTo(ByteString other) {
        int n = Math.min(data.length, other.data.length);
        for (int i = 0; i < n; i++) {
            int a = data[i] & 0xff;
            int b = other.data[i] & 0xff;
            if (a != b) {
                return a < b ? -1 : 1;
            }
        }
        return Integer.compare(data.length, other.data.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteString && Arrays.equals(data, ((ByteString) o).data);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(data); }

    @Override
    public String toString() {
        if (data.length == 0) {
            return "[size=0]";
        }
        return data.length <= 64 ? "[hex=" + hex() + "]" : "[size=" + data.length + " hex=" + substring(0, 64).hex() + "…]";
    }

    /** Base64 without {@code java.util.Base64} (absent before Android API 26). */
    private static final class Base64 {
        private static final char[] STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".toCharArray();
        private static final char[] URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray();

        static String encode(byte[] in, boolean url) {
            char[] map = url ? URL : STD;
            StringBuilder out = new StringBuilder((in.length + 2) / 3 * 4);
            int i = 0;
            for (; i + 2 < in.length; i += 3) {
                int v = (in[i] & 0xff) << 16 | (in[i + 1] & 0xff) << 8 | (in[i + 2] & 0xff);
                out.append(map[v >> 18]).append(map[(v >> 12) & 63]).append(map[(v >> 6) & 63]).append(map[v & 63]);
            }
            int rest = in.length - i;
            if (rest == 1) {
                int v = (in[i] & 0xff) << 16;
                out.append(map[v >> 18]).append(map[(v >> 12) & 63]).append("==");
            } else if (rest == 2) {
                int v = (in[i] & 0xff) << 16 | (in[i + 1] & 0xff) << 8;
                out.append(map[v >> 18]).append(map[(v >> 12) & 63]).append(map[(v >> 6) & 63]).append('=');
            }
            return out.toString();
        }

        private static int value(char c) {
            if (c >= 'A' && c <= 'Z') return c - 'A';
            if (c >= 'a' && c <= 'z') return c - 'a' + 26;
            if (c >= '0' && c <= '9') return c - '0' + 52;
            if (c == '+' || c == '-') return 62;
            if (c == '/' || c == '_') return 63;
            return -1;
        }

        /** The decoded bytes, or null if {@code s} is not Base64. */
        static byte[] decode(String s) {
            int end = s.length();
            while (end > 0) {
                char c = s.charAt(end - 1);
                if (c != '=' && c != '\n' && c != '\r' && c != ' ' && c != '\t') {
                    break;
                }
                end--;
            }
            byte[] out = new byte[end * 6 / 8];
            int n = 0;
            int acc = 0;
            int bits = 0;
            for (int i = 0; i < end; i++) {
                char c = s.charAt(i);
                if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
                    continue;
                }
                int v = value(c);
                if (v < 0) {
                    return null;
                }
                acc = acc << 6 | v;
                bits += 6;
                if (bits >= 8) {
                    bits -= 8;
                    out[n++] = (byte) (acc >> bits);
                }
            }
            // A single leftover character (6 bits) cannot end valid Base64.
            if (bits == 6) {
                return null;
            }
            return n == out.length ? out : Arrays.copyOf(out, n);
        }
    }
}
