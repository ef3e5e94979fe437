/*
 * config_access.c -- which configuration files a role may make the server read.
 *
 * A configuration file is read by the server process, so naming one is a way
 * to read a server file: its existence, and pieces of its content through
 * parse errors (unknown keys are quoted).  Superusers and roles with the
 * privileges of pg_read_server_files may name any file.  Other roles (members
 * of chameleon_admin) may only use files a superuser registered: the file of
 * pg_chameleon.config (a superuser-only setting, also per role or database
 * with ALTER ROLE / ALTER DATABASE ... SET), or the config_path of a source in
 * t_sources (stored by init_replica / start_replica).
 *
 * The role checked is the outer user (current_user outside any SECURITY
 * DEFINER function): init_replica and the other functions that write the
 * state run as the extension owner.
 */
#include "postgres.h"

#include "commands/dbcommands.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "catalog.h"
#include "config.h"

/* Is path the (canonical) value of pg_chameleon.config? */
static bool
is_guc_path(const char *path)
{
	char	   *guc;

	if (chameleon_config_path == NULL || chameleon_config_path[0] == '\0')
		return false;
	guc = pstrdup(chameleon_config_path);
	canonicalize_path(guc);
	return strcmp(guc, path) == 0;
}

/*
 * Is path the config_path of a source of this database?  The caller cannot
 * read sch_chameleon: the lookup runs as the bootstrap superuser, with a
 * parameter, for this one question.
 */
static bool
is_registered_path(const char *path)
{
	Oid			save_userid;
	int			save_sec_context;
	volatile bool found = false;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		found = chameleon_source_path_registered(path);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec_context);
	}
	PG_END_TRY();
	return found;
}

void
chameleon_config_check_access(const char *path, bool from_guc)
{
	Oid			role = GetOuterUserId();

	if (from_guc || has_privs_of_role(role, ROLE_PG_READ_SERVER_FILES))
		return;
	if (is_guc_path(path) || is_registered_path(path))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to read configuration file \"%s\"", path),
			 errdetail("Only superusers and roles with privileges of the \"pg_read_server_files\" role may name a configuration file that is not pg_chameleon.config or the file of an existing replica."),
			 errhint("Ask a superuser to set pg_chameleon.config, e.g. ALTER ROLE %s SET pg_chameleon.config = '%s'.",
					 quote_identifier(GetUserNameFromId(role, false)), path)));
}

void
chameleon_config_require_this_database(const ChameleonConfig *cfg, const char *action)
{
	char	   *dbname = get_database_name(MyDatabaseId);

	if (cfg->pg_database != NULL && strcmp(cfg->pg_database, dbname) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("configuration \"%s\" is for database \"%s\"",
						cfg->path, cfg->pg_database),
				 errdetail("This is database \"%s\".", dbname),
				 errhint("Connect to database \"%s\" to %s.", cfg->pg_database, action)));
}
