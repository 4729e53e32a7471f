package dev.omnisock;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Certificate pins with OkHttp's {@code CertificatePinner} names and semantics: for a host that
 * matches a pattern, the TLS handshake succeeds only if one certificate of the server's chain has
 * a Subject Public Key Info whose SHA-256 is one of that pattern's pins. The core checks the pins
 * (config key {@code certificate_pins}).
 *
 * <pre>{@code
 * CertificatePinner pinner = new CertificatePinner.Builder()
 *     .add("example.com", "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
 *     .add("*.example.com", "sha256/...")     // one label; "**.example.com" any depth
 *     .build();
 * }</pre>
 */
public final class CertificatePinner {
    /** No pins: every certificate the trust roots accept is accepted. */
    public static final CertificatePinner DEFAULT = new Builder().build();

    private final List<String[]> pins;

    private CertificatePinner(List<String[]> pins) {
        this.pins = Collections.unmodifiableList(new ArrayList<String[]>(pins));
    }

    /** {@code [pattern, "sha256/<base64>"]} pairs, in the order added. */
    List<String[]> pins() {
        return pins;
    }

    /** Whether no pin was added. */
    boolean isEmpty() {
        return pins.isEmpty();
    }

    /**
     * The pin of a certificate: {@code "sha256/"} and the Base64 SHA-256 of its Subject Public
     * Key Info (what {@link Builder#add} takes).
     */
    public static String pin(Certificate certificate) {
        if (!(certificate instanceof X509Certificate)) {
            throw new IllegalArgumentException("Certificate pinning requires X509 certificates");
        }
        return "sha256/" + ByteString.of(certificate.getPublicKey().getEncoded()).sha256().base64();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof CertificatePinner)) {
            return false;
        }
        List<String[]> other = ((CertificatePinner) o).pins;
        if (other.size() != pins.size()) {
            return false;
        }
        for (int i = 0; i < pins.size(); i++) {
            if (!java.util.Arrays.equals(pins.get(i), other.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (String[] p : pins) {
            h = 31 * h + java.util.Arrays.hashCode(p);
        }
        return h;
    }

    /** Collects pins. */
    public static final class Builder {
        private final List<String[]> pins = new ArrayList<String[]>();

        /**
         * Pins {@code pattern} (a host name, {@code *.host} for one more label, {@code **.host}
         * for any number) to each of {@code pins} ({@code "sha256/<base64 SPKI hash>"}).
         *
         * @throws IllegalArgumentException for a pin that is not {@code sha256/} followed by the
         *     Base64 of 32 bytes ({@code sha1/} pins are not supported by the core)
         */
        public Builder add(String pattern, String... pins) {
            if (pattern == null || pattern.isEmpty()) {
                throw new IllegalArgumentException("pattern must not be empty");
            }
            for (String pin : pins) {
                if (pin == null || !pin.startsWith("sha256/")) {
                    throw new IllegalArgumentException("pins must start with 'sha256/': " + pin);
                }
                ByteString hash = ByteString.decodeBase64(pin.substring("sha256/".length()));
                if (hash == null || hash.size() != 32) {
                    throw new IllegalArgumentException("Invalid pin hash (need the Base64 of a 32-byte SHA-256): " + pin);
                }
                this.pins.add(new String[] {pattern, pin});
            }
            return this;
        }

        public CertificatePinner build() {
            return new CertificatePinner(pins);
        }
    }
}
