-- Support Console sync server, version 1: the change log and the push/pull functions.
--
-- Clients never touch the tables: they call console_sync.hello/push/pull (SECURITY DEFINER),
-- which check that the caller belongs to the team. The change log is append-only and read in
-- sequence order. Pushes of one team are serialised by a transaction-level advisory lock held
-- until commit, so sequence numbers are handed out in commit order: a reader can never see a
-- row while an earlier-numbered one is still uncommitted, and never skips a row committed late.

CREATE SCHEMA IF NOT EXISTS console_sync;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'console_sync_client') THEN
        CREATE ROLE console_sync_client NOLOGIN;
    END IF;
END
$$;

CREATE TABLE console_sync.server (
    id integer PRIMARY KEY CHECK (id = 1),
    server_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO console_sync.server (id, server_id) VALUES (1, gen_random_uuid());

CREATE TABLE console_sync.teams (
    team text PRIMARY KEY,
    last_seq bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE console_sync.members (
    team text NOT NULL,
    member name NOT NULL,
    PRIMARY KEY (team, member)
);

CREATE TABLE console_sync.changes (
    team text NOT NULL,
    seq bigint NOT NULL,
    change_id text NOT NULL,
    workstation text NOT NULL,
    client_seq bigint NOT NULL,
    author text NOT NULL DEFAULT '',
    entity text NOT NULL,
    row_id text NOT NULL,
    hlc text NOT NULL,
    fields jsonb NOT NULL,
    bases jsonb NOT NULL DEFAULT '{}',
    pushed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team, seq),
    UNIQUE (team, change_id)
);
-- "Who overwrote what": every write of a record, the losing ones included.
CREATE INDEX changes_by_row ON console_sync.changes (team, entity, row_id, seq);

CREATE TABLE console_sync.workstations (
    team text NOT NULL,
    workstation text NOT NULL,
    author text NOT NULL DEFAULT '',
    last_push_at timestamptz NOT NULL DEFAULT now(),
    last_client_seq bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (team, workstation)
);

CREATE FUNCTION console_sync.refuse_rewrite() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the sync change log is append-only: % is not allowed', TG_OP;
END
$$;

CREATE TRIGGER changes_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON console_sync.changes
    FOR EACH STATEMENT EXECUTE FUNCTION console_sync.refuse_rewrite();

CREATE FUNCTION console_sync.check_team(p_team text) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = console_sync, pg_catalog AS $$
BEGIN
    IF p_team IS NULL OR p_team !~ '^[a-z0-9_]{1,40}$' THEN
        RAISE EXCEPTION 'invalid team name "%"', p_team
            USING ERRCODE = '22023',
                  HINT = 'A team name is 1 to 40 lower-case letters, digits or underscores.';
    END IF;
    IF EXISTS (SELECT FROM members m WHERE m.team = p_team AND m.member = session_user)
       OR EXISTS (SELECT FROM pg_roles r WHERE r.rolname = session_user AND r.rolsuper)
       OR session_user = (SELECT n.nspowner::regrole::name FROM pg_namespace n
                          WHERE n.nspname = 'console_sync') THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'user "%" is not a member of sync team "%"', session_user, p_team
        USING ERRCODE = '42501';
END
$$;

CREATE FUNCTION console_sync.hello(p_team text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = console_sync, pg_catalog AS $$
BEGIN
    PERFORM check_team(p_team);
    RETURN jsonb_build_object(
        'server_id', (SELECT s.server_id FROM server s WHERE s.id = 1),
        'version', (SELECT max(v.version) FROM schema_version v),
        'last_seq', COALESCE((SELECT t.last_seq FROM teams t WHERE t.team = p_team), 0)
    );
END
$$;

-- changes: a JSON array of {id, cseq, entity, row, hlc, fields, bases}. Changes already in
-- the log (same id) are skipped, so a retried or duplicated push is harmless. Returns
-- {received, inserted, last (the id of the last change received), seq (the team's last)}.
CREATE FUNCTION console_sync.push(
    p_team text, p_workstation text, p_changes jsonb, p_author text DEFAULT ''
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = console_sync, pg_catalog AS $$
DECLARE
    v_last bigint;
    v_new bigint;
BEGIN
    PERFORM check_team(p_team);
    IF jsonb_typeof(p_changes) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'push expects a JSON array of changes' USING ERRCODE = '22023';
    END IF;
    IF p_workstation IS NULL OR p_workstation = '' THEN
        RAISE EXCEPTION 'push needs the workstation id' USING ERRCODE = '22023';
    END IF;
    INSERT INTO teams (team) VALUES (p_team) ON CONFLICT DO NOTHING;
    -- Held until commit: the next push of this team numbers its rows after ours commit.
    PERFORM pg_advisory_xact_lock(hashtextextended('console_sync:' || p_team, 0));
    SELECT t.last_seq INTO v_last FROM teams t WHERE t.team = p_team FOR UPDATE;

    WITH incoming AS (
        SELECT e.ord, e.value AS c
        FROM jsonb_array_elements(p_changes) WITH ORDINALITY AS e(value, ord)
    ), fresh AS (
        SELECT DISTINCT ON (i.c->>'id') i.ord, i.c
        FROM incoming i
        WHERE NOT EXISTS (
            SELECT FROM changes x WHERE x.team = p_team AND x.change_id = i.c->>'id'
        )
        ORDER BY i.c->>'id', i.ord
    )
    INSERT INTO changes (team, seq, change_id, workstation, client_seq, author, entity,
                         row_id, hlc, fields, bases)
    SELECT p_team, v_last + row_number() OVER (ORDER BY f.ord), f.c->>'id', p_workstation,
           COALESCE((f.c->>'cseq')::bigint, 0), COALESCE(p_author, ''), f.c->>'entity',
           f.c->>'row', COALESCE(f.c->>'hlc', ''), COALESCE(f.c->'fields', '{}'),
           COALESCE(f.c->'bases', '{}')
    FROM fresh f
    ORDER BY f.ord;
    GET DIAGNOSTICS v_new = ROW_COUNT;

    IF v_new > 0 THEN
        UPDATE teams SET last_seq = v_last + v_new WHERE team = p_team;
        PERFORM pg_notify('sync_' || p_team, (v_last + v_new)::text);
    END IF;
    INSERT INTO workstations AS w (team, workstation, author, last_client_seq)
    VALUES (p_team, p_workstation, COALESCE(p_author, ''),
            COALESCE((SELECT max((e.value->>'cseq')::bigint)
                      FROM jsonb_array_elements(p_changes) e), 0))
    ON CONFLICT (team, workstation) DO UPDATE
        SET author = excluded.author, last_push_at = now(),
            last_client_seq = greatest(w.last_client_seq, excluded.last_client_seq);
    RETURN jsonb_build_object(
        'received', jsonb_array_length(p_changes),
        'inserted', v_new,
        'last', p_changes->-1->>'id',
        'seq', v_last + v_new
    );
END
$$;

CREATE FUNCTION console_sync.pull(p_team text, p_cursor bigint, p_limit integer DEFAULT 1000)
RETURNS TABLE (
    seq bigint, workstation text, author text, entity text, row_id text, hlc text,
    fields jsonb, bases jsonb
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = console_sync, pg_catalog AS $$
BEGIN
    PERFORM check_team(p_team);
    RETURN QUERY
        SELECT c.seq, c.workstation, c.author, c.entity, c.row_id, c.hlc, c.fields, c.bases
        FROM changes c
        WHERE c.team = p_team AND c.seq > COALESCE(p_cursor, 0)
        ORDER BY c.seq
        LIMIT least(greatest(COALESCE(p_limit, 1000), 1), 10000);
END
$$;

REVOKE ALL ON SCHEMA console_sync FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA console_sync FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA console_sync FROM PUBLIC;
GRANT USAGE ON SCHEMA console_sync TO console_sync_client;
GRANT EXECUTE ON FUNCTION console_sync.hello(text) TO console_sync_client;
GRANT EXECUTE ON FUNCTION console_sync.push(text, text, jsonb, text) TO console_sync_client;
GRANT EXECUTE ON FUNCTION console_sync.pull(text, bigint, integer) TO console_sync_client;
