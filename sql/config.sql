--
-- config: loading and validating the YAML configuration (src/config.c).
--
-- The files are test/configs/*.yaml, copied by "make installcheck" (REGRESS_PREP)
-- into tmp_regress_configs/ with mode 0600, except the cases about modes.
-- Errors name the absolute path of the file: config_error() catches the error and
-- prints it with that directory replaced by <dir>, so this output does not depend
-- on where the checkout lives.
--
\getenv abs_builddir PG_ABS_BUILDDIR
\set confdir :abs_builddir '/tmp_regress_configs'
SELECT set_config('regress.confdir', :'confdir', false) IS NOT NULL AS confdir_set;

CREATE FUNCTION config_error(file text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    dir text := current_setting('regress.confdir');
    st text;
    msg text;
    det text;
    hnt text;
BEGIN
    BEGIN
        PERFORM * FROM chameleon.check_config(
            CASE WHEN file IS NULL OR file = '' OR file NOT LIKE '%.yaml' THEN file
                 ELSE dir || '/' || file END);
        RETURN NEXT 'no error';
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    END;
    RETURN NEXT 'sqlstate: ' || st;
    RETURN NEXT 'message:  ' || replace(msg, dir, '<dir>');
    IF det <> '' THEN
        RETURN NEXT 'detail:   ' || replace(det, dir, '<dir>');
    END IF;
    IF hnt <> '' THEN
        RETURN NEXT 'hint:     ' || replace(hnt, dir, '<dir>');
    END IF;
END;
$$;

-- Valid files: every known key is shown, with "file" or "default" as source.
SELECT * FROM chameleon.check_config(:'confdir' || '/good_minimal.yaml');
-- The password is never shown; lists in [a, b] form; hexify lower-cased;
-- the "sakila." prefix of a tables_limit entry dropped; enums lower-cased.
SELECT * FROM chameleon.check_config(:'confdir' || '/good_full.yaml');
-- Null and empty values mean the default.
SELECT * FROM chameleon.check_config(:'confdir' || '/empty_values.yaml');
-- pg_conn is accepted and ignored, with a NOTICE.
SELECT key, value, source FROM chameleon.check_config(:'confdir' || '/pg_conn.yaml')
WHERE key IN ('pg_conn', 'pg_database');

-- Which file: no argument and no pg_chameleon.config.
SELECT config_error(NULL);
SELECT config_error('');
SELECT config_error('configs/good_minimal.yml');

-- pg_chameleon.config is used when no path is passed.
\set good_minimal :confdir '/good_minimal.yaml'
SET pg_chameleon.config = :'good_minimal';
SELECT key, value FROM chameleon.check_config() WHERE key IN ('my_database', 'my_server_id');
SELECT key, value FROM chameleon.check_config(NULL) WHERE key = 'mysql_conn.user';
-- An explicit path wins over the setting.
SELECT key, value FROM chameleon.check_config(:'confdir' || '/good_full.yaml')
WHERE key = 'my_server_id';
SET pg_chameleon.config = 'relative/config.yaml';
SELECT config_error(NULL);
\set missing :confdir '/does_not_exist.yaml'
SET pg_chameleon.config = :'missing';
SELECT config_error(NULL);
RESET pg_chameleon.config;

-- The file itself.
SELECT config_error('does_not_exist.yaml');
SELECT config_error('a_directory.yaml');
SELECT config_error('unreadable.yaml');
SELECT config_error('world_readable.yaml');
SELECT config_error('group_readable.yaml');

-- YAML structure.
SELECT config_error('syntax_error.yaml');
SELECT config_error('syntax_error_flow.yaml');
SELECT config_error('bad_utf8.yaml');
SELECT config_error('not_a_mapping.yaml');
SELECT config_error('empty_file.yaml');
SELECT config_error('comments_only.yaml');
SELECT config_error('two_documents.yaml');

-- Keys.
SELECT config_error('unknown_key.yaml');
SELECT config_error('unknown_key_far.yaml');
SELECT config_error('unknown_nested_key.yaml');
SELECT config_error('misplaced_key.yaml');
SELECT config_error('dotted_key.yaml');
SELECT config_error('passwd_typo.yaml');
SELECT config_error('duplicate_key.yaml');
SELECT config_error('duplicate_nested_key.yaml');
SELECT config_error('missing_server_id.yaml');
SELECT config_error('missing_user.yaml');
SELECT config_error('missing_mysql_conn.yaml');
SELECT config_error('null_user.yaml');
SELECT config_error('empty_my_database.yaml');

-- Types.
SELECT config_error('wrong_type_list.yaml');
SELECT config_error('wrong_type_passwd.yaml');
SELECT config_error('wrong_type_mysql_conn.yaml');
SELECT config_error('list_expected.yaml');
SELECT config_error('list_bad_entry.yaml');
SELECT config_error('bad_integer.yaml');
SELECT config_error('bad_boolean.yaml');
SELECT config_error('zero_byte.yaml');

-- Ranges.
SELECT config_error('port_out_of_range.yaml');
SELECT config_error('server_id_out_of_range.yaml');
SELECT config_error('server_id_zero.yaml');
SELECT config_error('huge_integer.yaml');
SELECT config_error('batch_size_zero.yaml');
SELECT config_error('timeout_negative.yaml');
SELECT config_error('heartbeat_out_of_range.yaml');

-- Choices and cross-key checks.
SELECT config_error('bad_copy_mode.yaml');
SELECT config_error('bad_ssl_mode.yaml');
SELECT config_error('bad_on_error.yaml');
SELECT config_error('copy_workers_zero.yaml');
SELECT config_error('copy_workers_too_many.yaml');
SELECT config_error('bad_copy_snapshot.yaml');
SELECT config_error('bad_log_level.yaml');
SELECT config_error('relative_out_dir.yaml');
SELECT config_error('tables_limit_other_db.yaml');
-- my_charset (2.x): the copy reads utf8mb4 whatever it says; another value is a NOTICE
SELECT config_error('my_charset_latin1.yaml');
-- schema_mappings (2.x form): one mapping stands for my_database and pg_schema
SELECT key, value, source FROM chameleon.check_config(:'confdir' || '/schema_mappings_one.yaml')
WHERE key IN ('my_database', 'pg_schema', 'schema_mappings');
-- several databases in one replica: tables named "database.table", "database" for all of one
SELECT key, value, source FROM chameleon.check_config(:'confdir' || '/schema_mappings_two.yaml')
WHERE key IN ('my_database', 'pg_schema', 'schema_mappings', 'source_name', 'tables_limit',
              'skip_tables', 'skip_events.delete', 'type_override');
SELECT key, value, source FROM chameleon.check_config(:'confdir' || '/schema_mappings_named.yaml')
WHERE key IN ('source_name');
SELECT config_error('schema_mappings_unqualified.yaml');
SELECT config_error('schema_mappings_unmapped.yaml');
SELECT config_error('schema_mappings_same_schema.yaml');
SELECT config_error('schema_mappings_dot.yaml');
SELECT config_error('schema_mappings_skip_all.yaml');
SELECT config_error('schema_mappings_and_db.yaml');
SELECT config_error('schema_mappings_not_mapping.yaml');
-- type_override (2.x form)
SELECT config_error('type_override_not_mapping.yaml');
SELECT config_error('type_override_no_target.yaml');
SELECT config_error('type_override_bad_type.yaml');
SELECT config_error('type_override_bad_key.yaml');
SELECT config_error('type_override_other_db.yaml');
-- skip_tables and skip_events (2.x keys): "sakila" or "sakila.*" is every table
SELECT config_error('skip_tables_everything.yaml');
SELECT config_error('skip_events_other_db.yaml');
SELECT config_error('skip_events_bad_kind.yaml');
SELECT config_error('skip_events_not_mapping.yaml');
SELECT config_error('heartbeat_not_below_timeout.yaml');
SELECT config_error('heartbeat_not_below_default_timeout.yaml');

-- No message ever shows the password.
SELECT count(*) AS leaks
FROM (SELECT config_error(f) AS line
      FROM unnest(ARRAY['wrong_type_passwd.yaml', 'passwd_typo.yaml',
                        'missing_user.yaml', 'good_full.yaml']) AS f) AS errors
WHERE line LIKE '%hunter2%' OR line LIKE '%s3cr3t%';
SELECT count(*) AS leaks
FROM chameleon.check_config(:'confdir' || '/good_full.yaml')
WHERE value LIKE '%s3cr3t%';

-- Only superusers: the file holds a password.  EXECUTE is revoked from PUBLIC,
-- and pg_chameleon.config can only be set by a superuser.
CREATE ROLE regress_chameleon_user;
GRANT USAGE ON SCHEMA chameleon TO regress_chameleon_user;
SET ROLE regress_chameleon_user;
SELECT * FROM chameleon.check_config(NULL);
SELECT * FROM chameleon.check_config();
SET pg_chameleon.config = '/tmp/x.yaml';
RESET ROLE;
REVOKE USAGE ON SCHEMA chameleon FROM regress_chameleon_user;
DROP ROLE regress_chameleon_user;

DROP FUNCTION config_error(text);
