-- What a tenant's requests get while its KV-quota circuit breaker is open: 'reject' (503 with Retry-After) or
-- 'degrade' (run under the tenant's policy with half its budget). Null: the global kvsqueeze.guard.mode.
alter table tenant add column guard_mode text check (guard_mode in ('reject', 'degrade'));
