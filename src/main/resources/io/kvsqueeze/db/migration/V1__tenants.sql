-- Tenants, their limits and KV policy, their API keys, and the append-only history of policy changes.
-- Everything lives in the kvsqueeze schema (Flyway creates it) with its own history table, apart from the
-- application's tables.

create table tenant (
    id                       text primary key check (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    display_name             text        not null check (length(display_name) between 1 and 200),
    -- Limits; null means no limit beyond the engine's own.
    max_context_tokens       integer     check (max_context_tokens > 0),
    max_new_tokens           integer     check (max_new_tokens > 0),
    kv_bytes_quota           bigint      check (kv_bytes_quota > 0),
    max_concurrent_requests  integer     check (max_concurrent_requests > 0),
    kv_policy                text        not null,
    -- Bumped by every policy change; the admin API's ETag, so that concurrent edits cannot silently overwrite.
    kv_policy_version        bigint      not null default 1,
    created_at               timestamptz not null default now(),
    updated_at               timestamptz not null default now()
);

-- No foreign key to tenant: the audit trail outlives a deleted tenant.
create table kv_policy_history (
    id          bigint generated always as identity primary key,
    tenant_id   text        not null,
    version     bigint      not null,
    old_policy  text,
    new_policy  text        not null,
    changed_by  text        not null,
    changed_at  timestamptz not null default now(),
    unique (tenant_id, version)
);

create function reject_history_change() returns trigger language plpgsql as $$
begin
    raise exception 'kv_policy_history is append-only';
end;
$$;

create trigger kv_policy_history_append_only
    before update or delete on kv_policy_history
    for each row execute function reject_history_change();

create trigger kv_policy_history_no_truncate
    before truncate on kv_policy_history
    for each statement execute function reject_history_change();

-- Only a SHA-256 of each key is kept: the key itself is shown once, when it is created.
create table api_key (
    id          text        primary key,
    tenant_id   text        not null references tenant (id) on delete cascade,
    key_sha256  bytea       not null unique check (length(key_sha256) = 32),
    key_prefix  text        not null,
    name        text,
    created_at  timestamptz not null default now()
);

create index api_key_tenant on api_key (tenant_id);

-- One number that every change to tenants or keys increases: replicas poll it and reload when it moves.
create table config_version (
    singleton boolean primary key default true check (singleton),
    version   bigint  not null
);

insert into config_version (version) values (1);

create function bump_config_version() returns trigger language plpgsql as $$
begin
    -- Qualified: triggers run with the caller's search_path, not the migration's.
    update kvsqueeze.config_version set version = version + 1;
    return null;
end;
$$;

create trigger tenant_changed after insert or update or delete or truncate on tenant
    for each statement execute function bump_config_version();

create trigger api_key_changed after insert or update or delete or truncate on api_key
    for each statement execute function bump_config_version();
