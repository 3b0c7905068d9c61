package io.kvsqueeze.spring.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The bearer token of the admin API: {@code kvsqueeze.admin.token} (or {@code KVSQUEEZE_ADMIN_TOKEN}) when set;
 * otherwise the one stored in {@code <KVSQUEEZE_HOME>/admin-token}, created with 256 random bits and mode 0600
 * at the first start. Its path, never its value, is logged.
 */
public final class AdminToken {
    static final String FILE_NAME = "admin-token";
    private static final Log log = LogFactory.getLog(AdminToken.class);

    private final byte[] token;

    private AdminToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    public static AdminToken resolve(@Nullable String configured, Path home) {
        if (configured != null && !configured.isBlank()) {
            if (configured.length() < 16) {
                throw new IllegalArgumentException("kvsqueeze.admin.token must be at least 16 characters");
            }
            return new AdminToken(configured.strip());
        }
        Path file = home.resolve(FILE_NAME);
        try {
            if (!Files.exists(file)) {
                create(file);
                log.info("KVSqueeze admin token generated in " + file + " (mode 0600); set kvsqueeze.admin.token"
                        + " or KVSQUEEZE_ADMIN_TOKEN to choose your own");
            } else {
                log.info("KVSqueeze admin token read from " + file);
            }
            String stored = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (stored.length() < 16) {
                throw new IllegalStateException(file + " holds no usable admin token; delete it to have a new one made");
            }
            return new AdminToken(stored);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create or read the admin token file " + file, e);
        }
    }

    private static void create(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        try {
            // Created with 0600 from the start, so the token is never readable by others, even briefly.
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException raced) {
            return;
        }
        Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
    }

    /** Constant-time comparison, so response times say nothing about how much of a guess was right. */
    public boolean matches(@Nullable String candidate) {
        return candidate != null && MessageDigest.isEqual(token, candidate.getBytes(StandardCharsets.UTF_8));
    }
}
