package io.kvsqueeze.spring.tenant;

public class TenantNotFoundException extends RuntimeException {
    public TenantNotFoundException(String tenantId) {
        super("no tenant '" + tenantId + "'");
    }
}
