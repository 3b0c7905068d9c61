package io.kvsqueeze.spring.tenant;

/** A tenant field with a value the store refuses; {@link #field()} names it as the admin API spells it. */
public class InvalidTenantException extends IllegalArgumentException {
    private final String field;

    public InvalidTenantException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
