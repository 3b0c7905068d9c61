package io.kvsqueeze.spring.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TenantContextTest {

    @Test
    void scopesNestAndRestoreThePreviousTenant() {
        assertThat(TenantContext.current()).isEmpty();
        try (TenantContext.Scope outer = TenantContext.open("a")) {
            TenantContext.runAs("b", () -> assertThat(TenantContext.current()).hasValue("b"));
            assertThat(TenantContext.current()).hasValue("a");
        }
        assertThat(TenantContext.current()).isEmpty();
    }

    @Test
    void restoresEvenWhenTheWorkFails() {
        assertThatThrownBy(() -> TenantContext.runAs("a", () -> {
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThat(TenantContext.current()).isEmpty();
    }

    @Test
    void kvPolicyIsCheckedByTheEnginesParserAndNamesTheField() {
        assertThat(KvPolicy.parse("f", " full ").source()).isEqualTo("full");
        assertThat(KvPolicy.parse("f", "{\"preset\":\"snapkv\"}").engine().isFull()).isFalse();
        assertThatThrownBy(() -> KvPolicy.parse("kv_policy", "{\"preset\":\"snapkv\",\"budget\":{\"ratio\":1.5}}"))
                .hasMessageStartingWith("kv_policy: budget.ratio must be in (0, 1], was 1.5");
        assertThatThrownBy(() -> KvPolicy.parse("kv_policy", " ")).hasMessageStartingWith("kv_policy must not be empty");
    }
}
