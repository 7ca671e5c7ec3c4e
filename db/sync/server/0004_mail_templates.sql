-- Support Console sync server, version 4: mail templates travel too, from leads only.
--
-- Mail templates (the team's own versions of the canned responses) are a record table like
-- customers, merged field by field, and lead-only: an agent's change to one is refused here,
-- naming the kind. The only change is again change_problem's lists of kinds; the function is
-- otherwise 0003's exactly: plain SQL, STABLE, with no SET clause of its own, so that push
-- still inlines it into its one INSERT (it runs inside push, under push's pinned search_path;
-- nobody else may call it). CREATE OR REPLACE keeps its owner and its grants; both are
-- asserted again below all the same.

CREATE OR REPLACE FUNCTION console_sync.change_problem(p_change jsonb, p_role text) RETURNS text
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
        WHEN (p_change->>'entity') NOT IN ('support_windows', 'agents', 'saved_views',
                                          'mail_templates', 'policy_versions', 'customers',
                                          'contacts',
                                          'escalation_contacts', 'attachments',
                                          'incident_events')
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
                                           'escalation_contacts', 'mail_templates')
            THEN 'only a team lead or admin may change ' || CASE p_change->>'entity'
                WHEN 'support_windows' THEN 'support windows'
                WHEN 'agents' THEN 'agents and their roles'
                WHEN 'policy_versions' THEN 'the policy'
                WHEN 'mail_templates' THEN 'mail templates'
                ELSE 'vendor escalation contacts' END
    END
$$;

ALTER FUNCTION console_sync.change_problem(jsonb, text) OWNER TO console_sync_owner;
REVOKE ALL ON FUNCTION console_sync.change_problem(jsonb, text) FROM PUBLIC;
