package io.kvsqueeze.spring.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokenTest {

    @Test
    void generatesAPrivateTokenFileOnceAndReusesIt(@TempDir Path home) throws Exception {
        AdminToken first = AdminToken.resolve(null, home.resolve("kvs"));
        Path file = home.resolve("kvs").resolve(AdminToken.FILE_NAME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String stored = Files.readString(file).strip();
        assertThat(stored).hasSizeGreaterThanOrEqualTo(43);
        assertThat(first.matches(stored)).isTrue();
        assertThat(first.matches(stored + "x")).isFalse();
        assertThat(first.matches(null)).isFalse();

        AdminToken again = AdminToken.resolve("", home.resolve("kvs"));
        assertThat(again.matches(stored)).isTrue();
    }

    @Test
    void theConfiguredTokenWinsAndMustBeLongEnough(@TempDir Path home) {
        AdminToken token = AdminToken.resolve("a-configured-token-123", home);
        assertThat(token.matches("a-configured-token-123")).isTrue();
        assertThat(home.resolve(AdminToken.FILE_NAME)).doesNotExist();
        assertThatThrownBy(() -> AdminToken.resolve("short", home)).hasMessageContaining("at least 16");
    }
}
