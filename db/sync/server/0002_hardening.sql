-- Support Console sync server, version 2: safe against a hostile member.
--
-- * Everything in the schema belongs to console_sync_owner, a role nobody logs in as; the
--   functions run as that role (SECURITY DEFINER) with search_path pinned to pg_catalog and
--   pg_temp last, and every name in their bodies is schema-qualified, so a member's temporary
--   tables, views or functions can never stand in for ours.
-- * Each member has an app role (agent, lead, admin). The database administrator (a superuser
--   or a member of console_sync_owner) with no members row counts as admin.
-- * The log records who really pushed each change (session_user) and that member's app role;
--   a workstation id is bound to the member who first pushed from it.
-- * push checks every change and refuses the bad ones one by one (listed in its reply) while
--   storing the good ones; agents may not change lead-only kinds of record; a policy version
--   whose number is taken by another policy is stored under the next free number.
-- * push waits at most 5 s for the team's lock, and a caller's transaction left open after a
--   push is ended by the server after 15 s idle.
-- * Wake-ups go out on a channel only members learn (from hello), with an empty payload.
--
-- Members rows from version 1 become agents; rows already in the log keep member '' and
-- member_role NULL.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'console_sync_owner') THEN
        CREATE ROLE console_sync_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'console_sync_client') THEN
        CREATE ROLE console_sync_client NOLOGIN;
    END IF;
END
$$;

-- The definer grants console_sync_client to the members an admin adds.
GRANT console_sync_client TO console_sync_owner WITH ADMIN OPTION;

DROP FUNCTION IF EXISTS console_sync.pull(text, bigint, integer);
DROP FUNCTION IF EXISTS console_sync.push(text, text, jsonb, text);
DROP FUNCTION IF EXISTS console_sync.hello(text);
DROP FUNCTION IF EXISTS console_sync.check_team(text);

-- The server's secret: the teams' LISTEN channel names are derived from it.
ALTER TABLE console_sync.server
    ADD COLUMN secret text NOT NULL
        DEFAULT (pg_catalog.gen_random_uuid()::text || pg_catalog.gen_random_uuid()::text);

ALTER TABLE console_sync.members
    ADD COLUMN app_role text NOT NULL DEFAULT 'agent'
        CHECK (app_role IN ('agent', 'lead', 'admin'));

ALTER TABLE console_sync.changes
    ADD COLUMN member name NOT NULL DEFAULT '',
    ADD COLUMN member_role text CHECK (member_role IN ('agent', 'lead', 'admin'));

-- NULL: not bound yet (a workstation from version 1); the next member to push from it owns it.
ALTER TABLE console_sync.workstations ADD COLUMN member name;

CREATE OR REPLACE FUNCTION console_sync.refuse_rewrite() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'the sync change log is append-only: % is not allowed', TG_OP;
END
$$;

-- True for the database administrator: a superuser or a member of console_sync_owner.
CREATE FUNCTION console_sync.is_administrator() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM pg_catalog.pg_roles r
                   WHERE r.rolname = session_user AND r.rolsuper)
        OR pg_catalog.pg_has_role(session_user, 'console_sync_owner', 'MEMBER');
$$;

CREATE FUNCTION console_sync.check_team_name(p_team text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_team IS NULL OR p_team !~ '^[a-z0-9_]{1,40}$' THEN
        RAISE EXCEPTION 'invalid team name "%"', pg_catalog.left(p_team, 60)
            USING ERRCODE = '22023',
                  HINT = 'A team name is 1 to 40 lower-case letters, digits or underscores.';
    END IF;
END
$$;

-- The caller's app role in the team, or an error if they are not in it.
CREATE FUNCTION console_sync.check_team(p_team text) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_role text;
BEGIN
    PERFORM console_sync.check_team_name(p_team);
    SELECT m.app_role INTO v_role
    FROM console_sync.members m
    WHERE m.team = p_team AND m.member = session_user;
    IF v_role IS NOT NULL THEN
        RETURN v_role;
    END IF;
    IF console_sync.is_administrator() THEN
        RETURN 'admin';
    END IF;
    RAISE EXCEPTION 'user "%" is not a member of sync team "%"', session_user, p_team
        USING ERRCODE = '42501';
END
$$;

-- The team's LISTEN channel: unguessable without the server's secret.
CREATE FUNCTION console_sync.channel_of(p_team text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'sync_' || pg_catalog.left(pg_catalog.encode(pg_catalog.sha256(
               pg_catalog.convert_to(s.secret || ':' || p_team, 'UTF8')), 'hex'), 32)
    FROM console_sync.server s
    WHERE s.id = 1;
$$;

-- Why a change cannot be stored (NULL: it can), for a pusher with app role p_role. One CASE,
-- checked in order, in plain SQL with no SET clause of its own so that push can inline it
-- into its one INSERT (it runs inside push, under push's pinned search_path; nobody else may
-- call it).
CREATE FUNCTION console_sync.change_problem(p_change jsonb, p_role text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN pg_catalog.jsonb_typeof(p_change) IS DISTINCT FROM 'object'
            THEN 'a change must be a JSON object'
        WHEN pg_catalog.pg_column_size(p_change) > 67108864
            THEN 'a change may be at most 64 MiB'
        WHEN pg_catalog.jsonb_typeof(p_change->'id') IS DISTINCT FROM 'string'
             OR (p_change->>'id') !~ '^[0-9A-Za-z_-]{1,64}$'
            THEN 'a change id is 1 to 64 letters, digits, "-" or "_"'
        WHEN pg_catalog.jsonb_typeof(p_change->'entity') IS DISTINCT FROM 'string'
            THEN 'a change must name the kind of record it changes'
        WHEN (p_change->>'entity') NOT IN ('support_windows', 'agents', 'policy_versions',
                                          'customers', 'contacts', 'escalation_contacts',
                                          'attachments', 'incident_events')
            THEN pg_catalog.format('unknown kind of record "%s"',
                                   pg_catalog.left(p_change->>'entity', 40))
        WHEN pg_catalog.jsonb_typeof(p_change->'row') IS DISTINCT FROM 'string'
             OR pg_catalog.length(p_change->>'row') NOT BETWEEN 1 AND 64
            THEN 'a change must name its record by an id of 1 to 64 characters'
        WHEN pg_catalog.jsonb_typeof(p_change->'hlc') IS DISTINCT FROM 'string'
             OR (p_change->>'hlc') !~ '^[0-9]{13}-[0-9]{5,9}-[0-9A-Za-z_-]{1,64}$'
            THEN 'a change needs a well-formed clock stamp (hlc)'
        WHEN pg_catalog.jsonb_typeof(p_change->'fields') IS DISTINCT FROM 'object'
            THEN 'a change''s fields must be a JSON object'
        WHEN p_change ? 'bases'
             AND pg_catalog.jsonb_typeof(p_change->'bases') NOT IN ('object', 'null')
            THEN 'a change''s bases must be a JSON object'
        WHEN p_change ? 'cseq'
             AND NOT (pg_catalog.jsonb_typeof(p_change->'cseq') = 'number'
                      AND (p_change->>'cseq') ~ '^[0-9]{1,18}$')
            THEN 'a change''s cseq must be a whole number'
        WHEN p_role = 'agent'
             AND (p_change->>'entity') IN ('support_windows', 'agents', 'policy_versions',
                                           'escalation_contacts')
            THEN 'only a team lead or admin may change ' || CASE p_change->>'entity'
                WHEN 'support_windows' THEN 'support windows'
                WHEN 'agents' THEN 'agents and their roles'
                WHEN 'policy_versions' THEN 'the policy'
                ELSE 'vendor escalation contacts' END
    END
$$;

CREATE FUNCTION console_sync.hello(p_team text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_role text;
BEGIN
    v_role := console_sync.check_team(p_team);
    RETURN pg_catalog.jsonb_build_object(
        'server_id', (SELECT s.server_id FROM console_sync.server s WHERE s.id = 1),
        'version', (SELECT pg_catalog.max(v.version) FROM console_sync.schema_version v),
        'last_seq', COALESCE((SELECT t.last_seq FROM console_sync.teams t
                              WHERE t.team = p_team), 0),
        'channel', console_sync.channel_of(p_team),
        'role', v_role,
        'member', session_user
    );
END
$$;

-- changes: a JSON array of {id, cseq, entity, row, hlc, fields, bases}. Changes already in
-- the log (same id) are skipped, so a retried or duplicated push is harmless; changes that
-- fail a check are refused one by one and the rest stored. Returns {received, inserted, last
-- (the id of the last change received), seq (the team's last), refused: [{id, reason}]}.
-- The rows are checked and stored set-wise (one statement), so a push of thousands costs
-- little more than the insert itself; only policy versions, which are rare, are looked at
-- one by one, in order, for a clash of numbers.
CREATE FUNCTION console_sync.push(
    p_team text, p_workstation text, p_changes jsonb, p_author text DEFAULT ''
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $$
DECLARE
    v_role text;
    v_member name := session_user;
    v_author text := pg_catalog.left(COALESCE(p_author, ''), 200);
    v_last bigint;
    v_new bigint;
    v_bound name;
    v_refused jsonb;
    v_max_cseq bigint;
    v_renumbered jsonb := '{}';  -- ordinal in the push → the fields to store instead
    v_numbers jsonb := '{}';     -- version number → policy row, as this push assigns them
    v_change jsonb;
    v_ord bigint;
    v_row text;
    v_version text;
    v_stored jsonb;
    v_top bigint;
BEGIN
    v_role := console_sync.check_team(p_team);
    -- Whatever the caller does after this push, its transaction cannot hold the team for long.
    PERFORM pg_catalog.set_config('idle_in_transaction_session_timeout', '15000', true);
    IF pg_catalog.jsonb_typeof(p_changes) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'push expects a JSON array of changes' USING ERRCODE = '22023';
    END IF;
    IF p_workstation IS NULL OR pg_catalog.length(p_workstation) NOT BETWEEN 1 AND 128 THEN
        RAISE EXCEPTION 'push needs the workstation id (1 to 128 characters)'
            USING ERRCODE = '22023';
    END IF;

    BEGIN
        INSERT INTO console_sync.teams (team) VALUES (p_team) ON CONFLICT DO NOTHING;
        -- Held until commit: the next push of this team numbers its rows after ours commit.
        PERFORM pg_catalog.pg_advisory_xact_lock(
            pg_catalog.hashtextextended('console_sync:' || p_team, 0));
        PERFORM FROM console_sync.teams t WHERE t.team = p_team FOR UPDATE;
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'another push to sync team "%" has held the team for over 5 seconds; '
                        'nothing was stored, the next sync round will try again', p_team
            USING ERRCODE = '55P03';
    END;
    -- The log itself says where it ends: no stored counter can open a gap in it.
    SELECT COALESCE(pg_catalog.max(c.seq), 0) INTO v_last
    FROM console_sync.changes c WHERE c.team = p_team;

    SELECT w.member INTO v_bound
    FROM console_sync.workstations w
    WHERE w.team = p_team AND w.workstation = p_workstation
    FOR UPDATE;
    IF v_bound IS NOT NULL AND v_bound <> v_member THEN
        RAISE EXCEPTION 'workstation "%" of sync team "%" belongs to another member: a '
                        'workstation id stays bound to the member who first pushed from it',
                        pg_catalog.left(p_workstation, 128), p_team
            USING ERRCODE = '42501';
    END IF;

    -- A policy version whose number governs another policy already is never stored under
    -- it: it takes the next free number (or the number it was stored with before, if this
    -- policy is already in the log under a number of its own).
    FOR v_change, v_ord IN
        SELECT e.value, e.ord
        FROM pg_catalog.jsonb_array_elements(p_changes) WITH ORDINALITY AS e(value, ord)
        WHERE pg_catalog.jsonb_typeof(e.value) = 'object'
          AND e.value->>'entity' = 'policy_versions'
        ORDER BY e.ord
    LOOP
        CONTINUE WHEN console_sync.change_problem(v_change, v_role) IS NOT NULL
                   OR NOT (v_change->'fields') ? 'version'
                   OR EXISTS (SELECT FROM console_sync.changes x
                              WHERE x.team = p_team AND x.change_id = v_change->>'id');
        v_row := v_change->>'row';
        v_version := v_change->'fields'->>'version';
        IF EXISTS (SELECT FROM console_sync.changes x
                   WHERE x.team = p_team AND x.entity = 'policy_versions'
                     AND x.fields->>'version' = v_version AND x.row_id <> v_row)
           OR COALESCE(v_numbers->>v_version, v_row) <> v_row THEN
            SELECT x.fields->'version' INTO v_stored
            FROM console_sync.changes x
            WHERE x.team = p_team AND x.entity = 'policy_versions' AND x.row_id = v_row
              AND x.fields ? 'version'
            ORDER BY x.seq DESC LIMIT 1;
            IF v_stored IS NULL OR EXISTS (
                SELECT FROM console_sync.changes x
                WHERE x.team = p_team AND x.entity = 'policy_versions'
                  AND x.fields->>'version' = v_stored #>> '{}' AND x.row_id <> v_row) THEN
                SELECT COALESCE(pg_catalog.max((x.fields->>'version')::bigint), 0) INTO v_top
                FROM console_sync.changes x
                WHERE x.team = p_team AND x.entity = 'policy_versions'
                  AND x.fields->>'version' ~ '^[0-9]{1,15}$';
                SELECT greatest(v_top, COALESCE(pg_catalog.max(k::bigint), 0)) INTO v_top
                FROM pg_catalog.jsonb_object_keys(v_numbers) AS k
                WHERE k ~ '^[0-9]{1,15}$';
                v_stored := pg_catalog.to_jsonb(v_top + 1);
            END IF;
            v_version := v_stored #>> '{}';
            v_renumbered := v_renumbered || pg_catalog.jsonb_build_object(
                v_ord::text, pg_catalog.jsonb_set(v_change->'fields', '{version}', v_stored));
        END IF;
        v_numbers := v_numbers || pg_catalog.jsonb_build_object(v_version, v_row);
    END LOOP;

    WITH checked AS MATERIALIZED (
        SELECT e.ord, e.value AS c, console_sync.change_problem(e.value, v_role) AS problem
        FROM pg_catalog.jsonb_array_elements(p_changes) WITH ORDINALITY AS e(value, ord)
    ), fresh AS (
        SELECT DISTINCT ON (k.c->>'id') k.ord, k.c
        FROM checked k
        WHERE k.problem IS NULL
          AND NOT EXISTS (SELECT FROM console_sync.changes x
                          WHERE x.team = p_team AND x.change_id = k.c->>'id')
        ORDER BY k.c->>'id', k.ord
    ), stored AS (
        INSERT INTO console_sync.changes (team, seq, change_id, workstation, client_seq, author,
                                          entity, row_id, hlc, fields, bases, member,
                                          member_role)
        SELECT p_team, v_last + pg_catalog.row_number() OVER (ORDER BY f.ord), f.c->>'id',
               p_workstation, COALESCE((f.c->>'cseq')::bigint, 0), v_author, f.c->>'entity',
               f.c->>'row', f.c->>'hlc',
               COALESCE(v_renumbered->(f.ord::text), f.c->'fields'),
               CASE WHEN pg_catalog.jsonb_typeof(f.c->'bases') = 'object'
                    THEN f.c->'bases' ELSE '{}'::jsonb END,
               v_member, v_role
        FROM fresh f
        ORDER BY f.ord
        RETURNING client_seq
    )
    SELECT (SELECT pg_catalog.count(*) FROM stored),
           (SELECT COALESCE(pg_catalog.max(client_seq), 0) FROM stored),
           (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                       'id', CASE WHEN pg_catalog.jsonb_typeof(k.c) = 'object'
                                   AND pg_catalog.jsonb_typeof(k.c->'id') = 'string'
                                  THEN pg_catalog.left(k.c->>'id', 100) ELSE '' END,
                       'reason', CASE WHEN pg_catalog.jsonb_typeof(k.c) = 'object'
                                       AND pg_catalog.jsonb_typeof(k.c->'id') = 'string'
                                      THEN k.problem
                                      ELSE pg_catalog.format('change %s of the push: %s',
                                                             k.ord, k.problem) END)
                       ORDER BY k.ord), '[]'::jsonb)
            FROM checked k WHERE k.problem IS NOT NULL)
    INTO v_new, v_max_cseq, v_refused;

    UPDATE console_sync.teams t SET last_seq = v_last + v_new
    WHERE t.team = p_team AND t.last_seq IS DISTINCT FROM v_last + v_new;
    IF v_new > 0 THEN
        PERFORM pg_catalog.pg_notify(console_sync.channel_of(p_team), '');
    END IF;
    INSERT INTO console_sync.workstations AS w (team, workstation, author, last_client_seq,
                                                member)
    VALUES (p_team, p_workstation, v_author, v_max_cseq, v_member)
    ON CONFLICT (team, workstation) DO UPDATE
        SET author = excluded.author, last_push_at = pg_catalog.now(),
            last_client_seq = greatest(w.last_client_seq, excluded.last_client_seq),
            member = COALESCE(w.member, excluded.member);
    RETURN pg_catalog.jsonb_build_object(
        'received', pg_catalog.jsonb_array_length(p_changes),
        'inserted', v_new,
        'last', p_changes->-1->>'id',
        'seq', v_last + v_new,
        'refused', v_refused
    );
END
$$;

CREATE FUNCTION console_sync.pull(p_team text, p_cursor bigint, p_limit integer DEFAULT 1000)
RETURNS TABLE (
    seq bigint, workstation text, author text, entity text, row_id text, hlc text,
    fields jsonb, bases jsonb, member name, member_role text
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM console_sync.check_team(p_team);
    RETURN QUERY
        SELECT c.seq, c.workstation, c.author, c.entity, c.row_id, c.hlc, c.fields, c.bases,
               c.member, c.member_role
        FROM console_sync.changes c
        WHERE c.team = p_team AND c.seq > COALESCE(p_cursor, 0)
        ORDER BY c.seq
        LIMIT least(greatest(COALESCE(p_limit, 1000), 1), 10000);
END
$$;

-- Whether the caller may manage the team's members; true when they are the database
-- administrator (who may also remove or demote a team's last admin).
CREATE FUNCTION console_sync.check_manager(p_team text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM console_sync.check_team_name(p_team);
    IF console_sync.is_administrator() THEN
        RETURN true;
    END IF;
    IF EXISTS (SELECT FROM console_sync.members m
               WHERE m.team = p_team AND m.member = session_user AND m.app_role = 'admin') THEN
        RETURN false;
    END IF;
    RAISE EXCEPTION 'only an admin of sync team "%" or the database administrator may manage '
                    'its members', p_team
        USING ERRCODE = '42501';
END
$$;

CREATE FUNCTION console_sync.set_member(p_team text, p_member name, p_app_role text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_administrator boolean;
    v_current text;
BEGIN
    v_administrator := console_sync.check_manager(p_team);
    IF p_app_role IS NULL OR p_app_role NOT IN ('agent', 'lead', 'admin') THEN
        RAISE EXCEPTION 'unknown app role "%": a member is an agent, a lead or an admin',
                        pg_catalog.left(p_app_role, 40)
            USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r
                   WHERE r.rolname = p_member AND r.rolcanlogin) THEN
        RAISE EXCEPTION 'there is no login role "%" on this server: create it first '
                        '(CREATE ROLE ... LOGIN PASSWORD ...)', p_member
            USING ERRCODE = '42704';
    END IF;
    PERFORM pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('console_sync:members:' || p_team, 0));
    SELECT m.app_role INTO v_current
    FROM console_sync.members m WHERE m.team = p_team AND m.member = p_member;
    IF v_current = 'admin' AND p_app_role <> 'admin' AND NOT v_administrator
       AND (SELECT pg_catalog.count(*) FROM console_sync.members m
            WHERE m.team = p_team AND m.app_role = 'admin') <= 1 THEN
        RAISE EXCEPTION '"%" is the last admin of sync team "%": make another member admin '
                        'first', p_member, p_team
            USING ERRCODE = '42501';
    END IF;
    INSERT INTO console_sync.members AS m (team, member, app_role)
    VALUES (p_team, p_member, p_app_role)
    ON CONFLICT (team, member) DO UPDATE SET app_role = excluded.app_role;
    IF NOT pg_catalog.pg_has_role(p_member, 'console_sync_client', 'MEMBER') THEN
        EXECUTE pg_catalog.format('GRANT console_sync_client TO %I', p_member);
    END IF;
END
$$;

CREATE FUNCTION console_sync.remove_member(p_team text, p_member name) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_administrator boolean;
    v_current text;
BEGIN
    v_administrator := console_sync.check_manager(p_team);
    PERFORM pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('console_sync:members:' || p_team, 0));
    SELECT m.app_role INTO v_current
    FROM console_sync.members m WHERE m.team = p_team AND m.member = p_member;
    IF v_current IS NULL THEN
        RAISE EXCEPTION 'user "%" is not a member of sync team "%"; nothing was changed',
                        p_member, p_team
            USING ERRCODE = '42704';
    END IF;
    IF v_current = 'admin' AND NOT v_administrator
       AND (SELECT pg_catalog.count(*) FROM console_sync.members m
            WHERE m.team = p_team AND m.app_role = 'admin') <= 1 THEN
        RAISE EXCEPTION '"%" is the last admin of sync team "%": make another member admin '
                        'first', p_member, p_team
            USING ERRCODE = '42501';
    END IF;
    DELETE FROM console_sync.members m WHERE m.team = p_team AND m.member = p_member;
    IF NOT EXISTS (SELECT FROM console_sync.members m WHERE m.member = p_member) THEN
        BEGIN  -- in no team any more: no reason left to call the functions
            EXECUTE pg_catalog.format('REVOKE console_sync_client FROM %I', p_member);
        EXCEPTION WHEN insufficient_privilege OR undefined_object THEN
            NULL;
        END;
    END IF;
END
$$;

CREATE FUNCTION console_sync.members_of(p_team text)
RETURNS TABLE (member name, app_role text, workstations text[], last_push_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM console_sync.check_manager(p_team);
    RETURN QUERY
        SELECT m.member, m.app_role,
               COALESCE(pg_catalog.array_agg(w.workstation ORDER BY w.workstation)
                        FILTER (WHERE w.workstation IS NOT NULL), '{}'::text[]),
               pg_catalog.max(w.last_push_at)
        FROM console_sync.members m
        LEFT JOIN console_sync.workstations w ON w.team = m.team AND w.member = m.member
        WHERE m.team = p_team
        GROUP BY m.member, m.app_role
        ORDER BY m.member;
END
$$;

-- Hand everything to the owner role; nobody else may touch the tables.
ALTER SCHEMA console_sync OWNER TO console_sync_owner;
ALTER TABLE console_sync.server OWNER TO console_sync_owner;
ALTER TABLE console_sync.teams OWNER TO console_sync_owner;
ALTER TABLE console_sync.members OWNER TO console_sync_owner;
ALTER TABLE console_sync.changes OWNER TO console_sync_owner;
ALTER TABLE console_sync.workstations OWNER TO console_sync_owner;
ALTER TABLE console_sync.schema_version OWNER TO console_sync_owner;
DO $$
DECLARE
    v_function regprocedure;
BEGIN
    FOR v_function IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = 'console_sync'::regnamespace
    LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO console_sync_owner', v_function);
    END LOOP;
END
$$;

REVOKE ALL ON SCHEMA console_sync FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA console_sync FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA console_sync FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA console_sync FROM console_sync_client;
GRANT USAGE ON SCHEMA console_sync TO console_sync_client;
GRANT EXECUTE ON FUNCTION console_sync.hello(text) TO console_sync_client;
GRANT EXECUTE ON FUNCTION console_sync.push(text, text, jsonb, text) TO console_sync_client;
GRANT EXECUTE ON FUNCTION console_sync.pull(text, bigint, integer) TO console_sync_client;
GRANT EXECUTE ON FUNCTION console_sync.set_member(text, name, text) TO console_sync_client;
GRANT EXECUTE ON FUNCTION console_sync.remove_member(text, name) TO console_sync_client;
GRANT EXECUTE ON FUNCTION console_sync.members_of(text) TO console_sync_client;
