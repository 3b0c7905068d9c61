package io.kvsqueeze.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvsqueeze.engine.model.TinyModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine;

/** {@code serve} starts the whole server from the command line's options (on a tiny model, ephemeral database). */
class ServeCommandTest {

    @Test
    void servesTheApisWithTheCommandLinesModelAndSettings(@TempDir Path dir) throws Exception {
        Path model = new TinyModel().write(dir.resolve("tiny.gguf"));
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--model", model.toString(), "--port", "0", "--threads", "1",
                "--context", "128", "--kvsqueeze.embedded-database.ephemeral=true",
                "--kvsqueeze.admin.token=serve-test-admin-token", "--logging.level.io.zonky=WARN");
        try (ConfigurableApplicationContext context = serve.start()) {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> models = client.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(401);
            HttpResponse<String> tenants = client.send(HttpRequest.newBuilder(
                            URI.create("http://localhost:" + port + "/admin/v1/tenants"))
                    .header("Authorization", "Bearer serve-test-admin-token").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(tenants.statusCode()).isEqualTo(200);
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.body()).contains("\"status\":\"UP\"");
            // Readiness is the model, the KV pool and the guard; the database is not in it.
            HttpResponse<String> readiness = client.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/actuator/health/readiness")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(readiness.statusCode()).isEqualTo(200);
            assertThat(readiness.body()).contains("\"kvsqueeze-model\"", "\"kvsqueeze-kv-pool\"", "\"kvsqueeze-guard\"",
                    "\"readinessState\"").doesNotContain("\"db\"");
        }
    }

    @Test
    void refusesArgumentsThatAreNeitherOptionsNorProperties() {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--port", "0", "stray");
        assertThatThrownBy(serve::start).hasMessageContaining("unknown argument 'stray'");
    }
}
