package io.kvsqueeze.spring.server;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The stand-alone server behind {@code ./kvsqueeze serve}: nothing but the starter's auto-configuration, so it
 * serves exactly what an application with the starter serves (OpenAI-compatible API, admin API, actuator).
 */
@SpringBootApplication
public class KvSqueezeServer {

    /**
     * Starts the server.
     *
     * @param properties Spring properties set by the command line's own options (lowest precedence)
     * @param args       further {@code --name=value} Spring arguments, which win over {@code properties}
     */
    public static ConfigurableApplicationContext start(Map<String, Object> properties, String... args) {
        SpringApplication application = new SpringApplication(KvSqueezeServer.class);
        application.setDefaultProperties(properties);
        return application.run(args);
    }
}
