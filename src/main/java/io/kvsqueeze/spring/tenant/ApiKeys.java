package io.kvsqueeze.spring.tenant;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Tenant API keys: 256 random bits, so a plain SHA-256 is a safe way to store them (no salt or slow hash is
 * needed against guessing a key of that entropy), and lookups stay one indexed equality.
 */
public final class ApiKeys {
    /** Every key starts with this, so that a leaked key is recognisable (secret scanners, logs). */
    public static final String PREFIX = "kvs_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {
    }

    /** A new key, to be shown once to whoever created it. */
    public static String newKey() {
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    /** A new key id: public, names the key in the admin API. */
    public static String newKeyId() {
        byte[] id = new byte[8];
        RANDOM.nextBytes(id);
        return "key_" + HexFormat.of().formatHex(id);
    }

    public static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    /** The start of a key, safe to display so that people can tell their keys apart. */
    public static String displayPrefix(String key) {
        return key.substring(0, Math.min(key.length(), PREFIX.length() + 6));
    }
}
