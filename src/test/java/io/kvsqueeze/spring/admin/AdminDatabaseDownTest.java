package io.kvsqueeze.spring.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.spring.tenant.KvPolicy;
import io.kvsqueeze.spring.tenant.TenantDirectory;
import io.kvsqueeze.spring.tenant.TenantRepository;
import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import io.kvsqueeze.spring.testapp.StoppableDataSource;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockMvcRequestBuilders;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * With the tenant database stopped, the admin API answers 503 problem+json with Retry-After for reads and writes
 * alike, and answers again once it is back. A second controller over the shared test database, whose
 * connections the test can refuse; the shared application's own database cannot be stopped.
 */
@KvSqueezeSpringBootTest
class AdminDatabaseDownTest {
    @Autowired
    DataSource dataSource;

    @Test
    void theAdminApiAnswers503WhileTheDatabaseIsDown() throws Exception {
        AtomicBoolean down = new AtomicBoolean();
        DataSource stoppable = StoppableDataSource.over(dataSource, down);
        TenantRepository tenants = new TenantRepository(JdbcClient.create(stoppable),
                new TransactionTemplate(new DataSourceTransactionManager(stoppable)));
        try (TenantDirectory directory = new TenantDirectory(tenants, KvPolicy.full(), Duration.ZERO, Clock.systemUTC())) {
            MockMvc admin = MockMvcBuilders.standaloneSetup(new AdminController(tenants, directory, KvPolicy.full()))
                    .setControllerAdvice(new AdminExceptionHandler()).build();
            assertThat(send(admin, MockMvcRequestBuilders.get("/admin/v1/tenants")).getStatus()).isEqualTo(200);

            down.set(true);
            for (MockHttpServletResponse response : new MockHttpServletResponse[] {
                    send(admin, MockMvcRequestBuilders.get("/admin/v1/tenants")),
                    send(admin, MockMvcRequestBuilders.post("/admin/v1/tenants").contentType("application/json")
                            .content("{\"id\":\"down-test\",\"display_name\":\"Down\"}"))}) {
                assertThat(response.getStatus()).isEqualTo(503);
                assertThat(response.getContentType()).startsWith("application/problem+json");
                assertThat(response.getHeader("Retry-After")).isEqualTo("5");
                assertThat(response.getContentAsString()).contains("tenant database is unavailable");
            }

            down.set(false);
            assertThat(send(admin, MockMvcRequestBuilders.get("/admin/v1/tenants/down-test")).getStatus())
                    .as("the refused write wrote nothing").isEqualTo(404);
        }
    }

    private static MockHttpServletResponse send(MockMvc mvc,
                                                org.springframework.test.web.servlet.RequestBuilder request)
            throws Exception {
        return mvc.perform(request).andReturn().getResponse();
    }
}
