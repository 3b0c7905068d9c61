package io.kvsqueeze.cli;

import io.kvsqueeze.spring.server.KvSqueezeServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/** Serves the model over HTTP with the Spring Boot starter until stopped (Ctrl-C or SIGTERM). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the OpenAI-compatible API (/v1), the admin API (/admin/v1) and actuator over HTTP.",
                "Any other --name=value argument is a Spring Boot property, e.g. --kvsqueeze.kv-policy=full;"
                        + " KVSQUEEZE_ADMIN_TOKEN sets the admin token."})
final class ServeCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080",
            description = "HTTP port, 0 for any free one (default: ${DEFAULT-VALUE})")
    int port;

    @Unmatched
    List<String> springArguments = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException {
        ConfigurableApplicationContext context = start();
        CountDownLatch closed = new CountDownLatch(1);
        context.addApplicationListener(event -> {
            if (event instanceof ContextClosedEvent) {
                closed.countDown();
            }
        });
        if (context.isActive()) {
            closed.await();
        }
        return 0;
    }

    /** Starts the server and returns at once; the caller owns the context. */
    ConfigurableApplicationContext start() {
        for (String argument : springArguments) {
            if (!argument.startsWith("--") || !argument.contains("=")) {
                throw new IllegalArgumentException("unknown argument '" + argument + "': serve takes its own options"
                        + " (see --help) and Spring Boot properties as --name=value");
            }
        }
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("server.port", port);
        properties.put("kvsqueeze.model.path", modelOptions.modelPath().toString());
        properties.put("kvsqueeze.model.context-tokens", modelOptions.context);
        properties.put("kvsqueeze.model.batch-size", modelOptions.batch);
        if (modelOptions.threads != null) {
            properties.put("kvsqueeze.model.threads", modelOptions.threads);
        }
        // Ready means able to take chat: the model, room in the scheduler's queue, no memory breaker refusing.
        // Not the database: chat goes on without it. The guard may be switched off, so membership is not checked.
        properties.put("management.endpoint.health.probes.enabled", true);
        properties.put("management.endpoint.health.group.readiness.include",
                "readinessState,kvsqueeze-model,kvsqueeze-kv-pool,kvsqueeze-guard");
        properties.put("management.endpoint.health.validate-group-membership", false);
        // Which part makes a replica unready shows without details being exposed.
        properties.put("management.endpoint.health.group.readiness.show-components", "always");
        return KvSqueezeServer.start(properties, springArguments.toArray(String[]::new));
    }
}
