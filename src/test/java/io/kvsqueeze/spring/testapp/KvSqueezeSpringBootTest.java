package io.kvsqueeze.spring.testapp;

import io.kvsqueeze.engine.ReferenceModel;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The one application context the Spring tests share (Spring caches it, so the model loads and PostgreSQL
 * starts once per JVM): the test application on a random port, the reference model, greedy decoding of a few
 * tokens, one compute thread, and an ephemeral embedded PostgreSQL. Every test class must use exactly this
 * annotation and nothing that changes the context, or a second context (and a second database) would start.
 * Skipped, with a message, when the reference model is absent, as the engine's golden tests are.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(KvSqueezeSpringBootTest.RequiresReferenceModel.class)
@SpringBootTest(classes = KvSqueezeTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
                "kvsqueeze.model.threads=1",
                "kvsqueeze.model.context-tokens=512",
                "kvsqueeze.chat.temperature=0",
                "kvsqueeze.chat.max-tokens=" + KvSqueezeSpringBootTest.MAX_TOKENS,
                "kvsqueeze.embedded-database.ephemeral=true",
                "kvsqueeze.tenants.refresh-interval=250ms",
                // Memory is sampled only when a test asks (GuardTest), so that no background reading races it.
                "kvsqueeze.guard.sample-interval=0s",
                // Tenant breakers with tiny windows and waits, so that open, degrade and half-open take seconds.
                "kvsqueeze.guard.tenant-breaker.sliding-window-size=4",
                "kvsqueeze.guard.tenant-breaker.minimum-number-of-calls=2",
                "kvsqueeze.guard.tenant-breaker.wait-duration-in-open-state=1s",
                "kvsqueeze.guard.tenant-breaker.permitted-calls-in-half-open-state=1",
                "kvsqueeze.admin.token=" + KvSqueezeSpringBootTest.ADMIN_TOKEN,
                "management.endpoints.web.exposure.include=health,metrics,prometheus",
                "management.endpoint.health.show-details=always",
                "logging.level.io.zonky.test.db.postgres=WARN"
        })
public @interface KvSqueezeSpringBootTest {
    String ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

    /**
     * Default reply length. Short on purpose: the engine's greedy output is not bit-stable across JIT states (the
     * first generation in a JVM can pick a different token where two logits nearly tie, e.g. the 8th token of the
     * reply to "What is the capital of France?"), and the tests compare replies of separate generations exactly.
     */
    int MAX_TOKENS = 6;

    /** Runs before Spring's extension loads the context, so a missing model skips instead of failing. */
    final class RequiresReferenceModel implements BeforeAllCallback {
        @Override
        public void beforeAll(ExtensionContext context) {
            ReferenceModel.pathOrSkip();
        }
    }
}
