package io.kvsqueeze.engine.fetch;

import java.util.HexFormat;
import java.util.Locale;

/**
 * A model file as it must end up on disk: its name, and the SHA-256 and size every source must reproduce.
 *
 * @param fileName  file name inside the models directory (no directories)
 * @param sha256    lower-case hex SHA-256 of the whole file
 * @param sizeBytes exact size of the file
 */
public record ModelArtifact(String fileName, String sha256, long sizeBytes) {
    public ModelArtifact {
        if (fileName == null || fileName.isBlank() || fileName.contains("/") || fileName.contains("\\")
                || fileName.equals(".") || fileName.equals("..")) {
            throw new IllegalArgumentException("fileName must be a plain file name, got " + fileName);
        }
        sha256 = requireSha256(sha256, "sha256");
        if (sizeBytes <= 0) {
            throw new IllegalArgumentException("sizeBytes must be > 0, got " + sizeBytes);
        }
    }

    /** The name a download in progress has; only a verified download is renamed to {@link #fileName()}. */
    public String partFileName() {
        return fileName + ".part";
    }

    static String requireSha256(String hex, String what) {
        if (hex == null || hex.length() != 64 || !hex.chars().allMatch(HexFormat::isHexDigit)) {
            throw new IllegalArgumentException(what + " must be 64 hex digits, got " + hex);
        }
        return hex.toLowerCase(Locale.ROOT);
    }
}
