package io.kvsqueeze.spring.tenant;

public class TenantAlreadyExistsException extends RuntimeException {
    public TenantAlreadyExistsException(String tenantId) {
        super("a tenant '" + tenantId + "' already exists");
    }
}
