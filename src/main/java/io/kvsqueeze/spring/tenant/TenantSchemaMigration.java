package io.kvsqueeze.spring.tenant;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings the {@code kvsqueeze} schema up to date with the starter's own Flyway migrations and history table, so
 * that they never mix with the application's migrations (nor trigger Boot's Flyway auto-configuration, which
 * belongs to the application).
 */
public final class TenantSchemaMigration {
    public static final String SCHEMA = "kvsqueeze";
    private final MigrateResult result;

    public TenantSchemaMigration(DataSource dataSource) {
        this.result = Flyway.configure()
                .dataSource(dataSource)
                .schemas(SCHEMA)
                .defaultSchema(SCHEMA)
                .table("flyway_schema_history")
                .locations("classpath:io/kvsqueeze/db/migration")
                .load()
                .migrate();
    }

    /** The schema version after migrating. */
    public String schemaVersion() {
        return result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion;
    }
}
