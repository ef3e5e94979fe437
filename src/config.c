/*
 * config.c -- the pg_chameleon YAML configuration file.
 *
 * Owns reading one YAML file (libyaml document API) into a ChameleonConfig:
 * locating the file (argument or GUC pg_chameleon.config), refusing files
 * other users could read (they hold the MySQL password), checking every key
 * against the table of known keys below, applying defaults and building the
 * key/value list shown by chameleon.check_config().
 *
 * Every problem is an ERROR naming the file, and the key and line when there
 * is one.  The password never appears in a message: no message quotes the
 * value of a string key.  libyaml allocates with malloc, so its parser and
 * document are freed in a PG_FINALLY block before any error propagates.
 */
#include "postgres.h"

#include <ctype.h>
#include <sys/stat.h>
#include <yaml.h>

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/varlena.h"

#include "config.h"
#include "list_util.h"

/* Larger files are refused: a config is a few hundred bytes. */
#define CONFIG_MAX_FILE_SIZE	(1024 * 1024)

#define PASSWORD_MASK			"********"

/* Keys longer than this get no "did you mean" (Levenshtein is quadratic). */
#define SUGGEST_MAX_KEY_LEN		64

typedef enum ConfigKeyType
{
	CK_MAPPING,					/* mysql_conn: holds the "mysql_conn.*" keys */
	CK_STRING,					/* char * */
	CK_PATH,					/* char *, must be absolute */
	CK_SECRET,					/* char *, never shown */
	CK_INT,						/* int within [min, max] */
	CK_UINT32,					/* uint32 within [min, max] */
	CK_BOOL,					/* bool */
	CK_CHOICE,					/* char *, lower-cased, one of choices */
	CK_ENUM,					/* C enum = index in choices */
	CK_TYPE_LIST,				/* List of lower-cased char * */
	CK_TABLE_LIST,				/* List of table names */
	CK_TYPE_OVERRIDES,			/* List of ChameleonTypeOverride * */
	CK_SCHEMA_MAPPINGS,			/* List of (MySQL database, schema) pairs */
	CK_IGNORED					/* accepted, not used (pg_conn) */
} ConfigKeyType;

typedef struct ConfigKey
{
	const char *name;			/* full name: "my_database", "mysql_conn.host" */
	ConfigKeyType type;
	size_t		offset;			/* field in ChameleonConfig */
	bool		required;
	int64		min_value;		/* CK_INT, CK_UINT32 */
	int64		max_value;
	const char *const *choices; /* CK_CHOICE, CK_ENUM: NULL-terminated */
} ConfigKey;

static const char *const ssl_mode_choices[] =
{"disabled", "preferred", "required", "verify_ca", "verify_identity", NULL};

/* In the order of the C enums. */
static const char *const copy_mode_choices[] = {"direct", "file", NULL};
static const char *const on_error_choices[] = {"skip_table", "stop", NULL};
static const char *const copy_snapshot_choices[] = {"auto", "watermark", NULL};

static const char *const log_level_choices[] =
{"debug", "info", "warning", "error", NULL};

#define F(field)	offsetof(ChameleonConfig, field)
#define NO_RANGE	0, 0

/*
 * Every known key, in the order check_config() shows them.  A key under a
 * mapping is named "<mapping>.<key>" and follows its mapping.
 */
static const ConfigKey config_keys[] =
{
	{"mysql_conn", CK_MAPPING, 0, true, NO_RANGE, NULL},
	{"mysql_conn.host", CK_STRING, F(host), false, NO_RANGE, NULL},
	{"mysql_conn.port", CK_INT, F(port), false, 1, 65535, NULL},
	{"mysql_conn.socket", CK_PATH, F(socket), false, NO_RANGE, NULL},
	{"mysql_conn.user", CK_STRING, F(user), true, NO_RANGE, NULL},
	{"mysql_conn.passwd", CK_SECRET, F(passwd), false, NO_RANGE, NULL},
	{"mysql_conn.connect_timeout", CK_INT, F(connect_timeout), false, 1, PG_INT32_MAX, NULL},
	{"mysql_conn.read_timeout", CK_INT, F(read_timeout), false, 1, PG_INT32_MAX, NULL},
	{"mysql_conn.charset", CK_STRING, F(charset), false, NO_RANGE, NULL},
	{"mysql_conn.ssl_mode", CK_CHOICE, F(ssl_mode), false, NO_RANGE, ssl_mode_choices},
	{"mysql_conn.ssl_ca", CK_STRING, F(ssl_ca), false, NO_RANGE, NULL},
	{"mysql_conn.ssl_cert", CK_STRING, F(ssl_cert), false, NO_RANGE, NULL},
	{"mysql_conn.ssl_key", CK_STRING, F(ssl_key), false, NO_RANGE, NULL},
	{"my_database", CK_STRING, F(my_database), true, NO_RANGE, NULL},
	{"pg_schema", CK_STRING, F(pg_schema), false, NO_RANGE, NULL},
	{"schema_mappings", CK_SCHEMA_MAPPINGS, F(schema_mappings), false, NO_RANGE, NULL},
	{"source_name", CK_STRING, F(source_name), false, NO_RANGE, NULL},
	{"my_server_id", CK_UINT32, F(my_server_id), true, 1, PG_UINT32_MAX, NULL},
	{"replica_batch_size", CK_INT, F(replica_batch_size), false, 1, PG_INT32_MAX, NULL},
	{"copy_max_size", CK_INT, F(copy_max_size), false, 1, PG_INT32_MAX, NULL},
	{"copy_mode", CK_ENUM, F(copy_mode), false, NO_RANGE, copy_mode_choices},
	{"copy_workers", CK_INT, F(copy_workers), false, 1, CHAMELEON_MAX_COPY_WORKERS, NULL},
	{"copy_snapshot", CK_ENUM, F(copy_snapshot), false, NO_RANGE, copy_snapshot_choices},
	{"out_dir", CK_PATH, F(out_dir), false, NO_RANGE, NULL},
	{"hexify", CK_TYPE_LIST, F(hexify), false, NO_RANGE, NULL},
	{"my_charset", CK_STRING, F(my_charset), false, NO_RANGE, NULL},
	{"pg_charset", CK_STRING, F(pg_charset), false, NO_RANGE, NULL},
	{"tables_limit", CK_TABLE_LIST, F(tables_limit), false, NO_RANGE, NULL},
	{"skip_tables", CK_TABLE_LIST, F(skip_tables), false, NO_RANGE, NULL},
	{"skip_events", CK_MAPPING, 0, false, NO_RANGE, NULL},
	{"skip_events.insert", CK_TABLE_LIST, F(skip_events[CHAMELEON_EVENT_INSERT]), false, NO_RANGE, NULL},
	{"skip_events.update", CK_TABLE_LIST, F(skip_events[CHAMELEON_EVENT_UPDATE]), false, NO_RANGE, NULL},
	{"skip_events.delete", CK_TABLE_LIST, F(skip_events[CHAMELEON_EVENT_DELETE]), false, NO_RANGE, NULL},
	{"on_error", CK_ENUM, F(on_error), false, NO_RANGE, on_error_choices},
	{"zero_dates_to_null", CK_BOOL, F(zero_dates_to_null), false, NO_RANGE, NULL},
	{"protect_tables", CK_BOOL, F(protect_tables), false, NO_RANGE, NULL},
	{"type_override", CK_TYPE_OVERRIDES, F(type_override), false, NO_RANGE, NULL},
	{"tinyint1_as_boolean", CK_BOOL, F(tinyint1_as_boolean), false, NO_RANGE, NULL},
	{"heartbeat_period", CK_INT, F(heartbeat_period), false, 1, 4294967, NULL},
	{"log_level", CK_CHOICE, F(log_level), false, NO_RANGE, log_level_choices},
	{"log_dir", CK_STRING, F(log_dir), false, NO_RANGE, NULL},
	{"log_dest", CK_STRING, F(log_dest), false, NO_RANGE, NULL},
	{"pg_database", CK_STRING, F(pg_database), false, NO_RANGE, NULL},
	{"pg_conn", CK_IGNORED, F(pg_conn_given), false, NO_RANGE, NULL},
};

#define NUM_CONFIG_KEYS lengthof(config_keys)

/* State of one load; lives in the caller's memory context. */
typedef struct ConfigLoader
{
	const char *path;
	ChameleonConfig *cfg;
	yaml_parser_t parser;
	yaml_document_t document;
	yaml_document_t extra;		/* a second document, which is an error */
	bool		parser_ready;
	bool		document_ready;
	bool		extra_ready;
	int			line[NUM_CONFIG_KEYS];	/* where the key was seen; 0: absent */
	bool		from_file[NUM_CONFIG_KEYS]; /* a non-empty value was given */
} ConfigLoader;

static void walk_mapping(ConfigLoader *ld, yaml_node_t *map, const char *prefix);


/* ---------------------------------------------------------------- helpers */

static inline void *
field_ptr(ChameleonConfig *cfg, const ConfigKey *key)
{
	return (char *) cfg + key->offset;
}

static inline int
node_line(const yaml_node_t *node)
{
	return (int) node->start_mark.line + 1;
}

static inline const char *
scalar_value(const yaml_node_t *node)
{
	return (const char *) node->data.scalar.value;
}

/* YAML null: an empty plain scalar, ~, null/Null/NULL, or the !!null tag. */
static bool
node_is_null(const yaml_node_t *node)
{
	const char *v;

	if (node->type != YAML_SCALAR_NODE)
		return false;
	if (node->tag && strcmp((const char *) node->tag, YAML_NULL_TAG) == 0)
		return true;
	if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = scalar_value(node);
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
		strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* A null or empty-string value: the key takes its default. */
static bool
node_is_empty(const yaml_node_t *node)
{
	return node_is_null(node) ||
		(node->type == YAML_SCALAR_NODE && node->data.scalar.length == 0);
}

static const char *
node_kind(const yaml_node_t *node)
{
	switch (node->type)
	{
		case YAML_SEQUENCE_NODE:
			return "a list";
		case YAML_MAPPING_NODE:
			return "a mapping";
		default:
			return "a single value";
	}
}

static int
find_key(const char *fullname)
{
	for (int i = 0; i < (int) NUM_CONFIG_KEYS; i++)
		if (strcmp(config_keys[i].name, fullname) == 0)
			return i;
	return -1;
}

/* The part of a full key name after its mapping prefix ("host"). */
static const char *
short_name(const char *fullname)
{
	const char *dot = strrchr(fullname, '.');

	return dot ? dot + 1 : fullname;
}

/* Does fullname sit directly in the mapping named by prefix ("" = top)? */
static bool
key_in_mapping(const char *fullname, const char *prefix)
{
	size_t		plen = strlen(prefix);

	return strncmp(fullname, prefix, plen) == 0 &&
		strchr(fullname + plen, '.') == NULL;
}

/*
 * Unknown keys are quoted in messages; one that starts like the password key
 * may be a mistyped "passwd secret" line, so only its first word is shown.
 */
static char *
printable_key(const char *name)
{
	size_t		n = 0;

	if (pg_strncasecmp(name, "pass", 4) != 0)
		return pstrdup(name);
	while (name[n] && (isalnum((unsigned char) name[n]) ||
					   name[n] == '_' || name[n] == '-'))
		n++;
	if (name[n] == '\0')
		return pstrdup(name);
	return psprintf("%.*s...", (int) n, name);
}

/*
 * The closest known key in the same mapping, or NULL when nothing is close
 * enough to be a likely typo.
 */
static const char *
suggest_key(const char *prefix, const char *name)
{
	int			len = strlen(name);
	int			max_d;
	int			best_d;
	const char *best = NULL;
	char	   *lower;

	if (len == 0 || len > SUGGEST_MAX_KEY_LEN)
		return NULL;
	lower = asc_tolower(name, len);
	max_d = (len <= 3) ? 1 : Min(3, Max(2, len / 3));
	best_d = max_d + 1;

	for (int i = 0; i < (int) NUM_CONFIG_KEYS; i++)
	{
		const char *cand;
		int			d;

		if (!key_in_mapping(config_keys[i].name, prefix))
			continue;
		cand = short_name(config_keys[i].name);
		d = varstr_levenshtein_less_equal(lower, len, cand, strlen(cand),
										  1, 1, 1, max_d, true);
		if (d < best_d)
		{
			best_d = d;
			best = config_keys[i].name;
		}
	}
	return best;
}

/* A known key of another mapping with exactly this name, or NULL. */
static const char *
misplaced_key(const char *prefix, const char *name)
{
	for (int i = 0; i < (int) NUM_CONFIG_KEYS; i++)
	{
		if (key_in_mapping(config_keys[i].name, prefix))
			continue;
		if (strcmp(short_name(config_keys[i].name), name) == 0)
			return config_keys[i].name;
	}
	return NULL;
}

static char *
choices_text(const char *const *choices)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; choices[i]; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", choices[i]);
	return buf.data;
}

/* Errors about one key's value: the message names key, file and line. */
#define value_error(ld, key, node, ...) \
	ereport(ERROR, \
			errcode(ERRCODE_CONFIG_FILE_ERROR), \
			errmsg("invalid value for key \"%s\" in configuration file \"%s\" line %d", \
				   (key)->name, (ld)->path, node_line(node)), \
			__VA_ARGS__)


/* ------------------------------------------------------------ the file */

/* The absolute path to read: the argument, else pg_chameleon.config. */
static char *
resolve_config_path(const char *path)
{
	bool		from_guc = false;
	char	   *result;

	if (path == NULL || path[0] == '\0')
	{
		path = chameleon_config_path;
		from_guc = true;
	}
	if (path == NULL || path[0] == '\0')
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("no pg_chameleon configuration file given"),
				errhint("Pass the path of the YAML file, or SET pg_chameleon.config = '/path/to/file.yaml'."));
	if (!is_absolute_path(path))
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("configuration file path \"%s\" is not absolute", path),
				from_guc ? errdetail("The path comes from pg_chameleon.config.") : 0,
				errhint("Give the full path of the file, starting with \"/\"."));

	result = pstrdup(path);
	canonicalize_path(result);
	return result;
}

/* The file must be a regular file that only its owner can read or write. */
static void
check_file_status(const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("configuration file \"%s\" is not a regular file", path));
	if (st->st_mode & (S_IRWXG | S_IRWXO))
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("configuration file \"%s\" has group or world access", path),
				errdetail("The file holds the MySQL password; its permissions are %04o, they must be 0600 or less.",
						  (unsigned int) (st->st_mode & 07777)),
				errhint("Run \"chmod 600 %s\".", path));
	if (st->st_size > CONFIG_MAX_FILE_SIZE)
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("configuration file \"%s\" is too large", path),
				errdetail("The file has %lld bytes; the limit is %d.",
						  (long long) st->st_size, CONFIG_MAX_FILE_SIZE));
}

/* Read the whole file into a palloc'd buffer after checking it. */
static char *
read_config_file(const char *path, size_t *len)
{
	struct stat st;
	FILE	   *fp;
	char	   *buf;

	if (stat(path, &st) != 0)
	{
		if (errno == ENOENT)
			ereport(ERROR,
					errcode(ERRCODE_UNDEFINED_FILE),
					errmsg("configuration file \"%s\" does not exist", path));
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not stat configuration file \"%s\": %m", path));
	}
	/* Check before opening: opening a FIFO would block. */
	check_file_status(path, &st);

	fp = AllocateFile(path, "r");
	if (fp == NULL)
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not open configuration file \"%s\": %m", path));
	/* The file may have been replaced since stat(): check what we opened. */
	if (fstat(fileno(fp), &st) != 0)
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not stat configuration file \"%s\": %m", path));
	check_file_status(path, &st);

	buf = palloc(st.st_size + 1);
	*len = fread(buf, 1, st.st_size, fp);
	if (ferror(fp))
		ereport(ERROR,
				errcode_for_file_access(),
				errmsg("could not read configuration file \"%s\": %m", path));
	buf[*len] = '\0';
	FreeFile(fp);
	return buf;
}


/* ------------------------------------------------------------ YAML */

static void
report_syntax_error(ConfigLoader *ld)
{
	yaml_parser_t *p = &ld->parser;
	const char *problem = p->problem ? p->problem : "unknown problem";

	if (p->error == YAML_MEMORY_ERROR)
		ereport(ERROR,
				errcode(ERRCODE_OUT_OF_MEMORY),
				errmsg("out of memory while parsing configuration file \"%s\"",
					   ld->path));
	/* Reader errors (bad encoding) carry a byte offset, not a line. */
	if (p->error == YAML_READER_ERROR)
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("invalid text in configuration file \"%s\" at byte %zu",
					   ld->path, p->problem_offset),
				errdetail("YAML parser: %s.", problem),
				errhint("The file must be UTF-8 (or UTF-16) text."));
	if (p->context)
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("syntax error in configuration file \"%s\" line %d, column %d",
					   ld->path, (int) p->problem_mark.line + 1,
					   (int) p->problem_mark.column + 1),
				errdetail("YAML parser: %s (line %d), %s.", p->context,
						  (int) p->context_mark.line + 1, problem));
	ereport(ERROR,
			errcode(ERRCODE_CONFIG_FILE_ERROR),
			errmsg("syntax error in configuration file \"%s\" line %d, column %d",
				   ld->path, (int) p->problem_mark.line + 1,
				   (int) p->problem_mark.column + 1),
			errdetail("YAML parser: %s.", problem));
}

/* Parse buf into ld->document; one document, whose top is a mapping. */
static yaml_node_t *
parse_document(ConfigLoader *ld, const char *buf, size_t len)
{
	yaml_node_t *root;

	if (!yaml_parser_initialize(&ld->parser))
		ereport(ERROR,
				errcode(ERRCODE_OUT_OF_MEMORY),
				errmsg("out of memory"));
	ld->parser_ready = true;
	yaml_parser_set_input_string(&ld->parser, (const unsigned char *) buf, len);

	if (!yaml_parser_load(&ld->parser, &ld->document))
		report_syntax_error(ld);
	ld->document_ready = true;

	root = yaml_document_get_root_node(&ld->document);
	if (root == NULL)
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("configuration file \"%s\" is empty", ld->path),
				errhint("At least \"mysql_conn\" with \"user\", \"my_database\" and \"my_server_id\" must be given."));

	if (!yaml_parser_load(&ld->parser, &ld->extra))
		report_syntax_error(ld);
	ld->extra_ready = true;
	if (yaml_document_get_root_node(&ld->extra) != NULL)
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("configuration file \"%s\" holds more than one YAML document",
					   ld->path),
				errdetail("The second document starts at line %d.",
						  (int) ld->extra.start_mark.line + 1));

	if (root->type != YAML_MAPPING_NODE)
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("top level of configuration file \"%s\" is not a mapping",
					   ld->path),
				errdetail("Found %s at line %d.", node_kind(root), node_line(root)),
				errhint("The file must consist of \"key: value\" lines."));
	return root;
}

static void
free_yaml(ConfigLoader *ld)
{
	if (ld->extra_ready)
		yaml_document_delete(&ld->extra);
	if (ld->document_ready)
		yaml_document_delete(&ld->document);
	if (ld->parser_ready)
		yaml_parser_delete(&ld->parser);
	ld->extra_ready = ld->document_ready = ld->parser_ready = false;
}


/* ------------------------------------------------------------ values */

/* The value must be a scalar without NUL bytes; returns it palloc'd. */
static char *
scalar_text(ConfigLoader *ld, const ConfigKey *key, yaml_node_t *node)
{
	if (node->type != YAML_SCALAR_NODE)
		value_error(ld, key, node,
					errdetail("A single value is expected, not %s.", node_kind(node)));
	if (strlen(scalar_value(node)) != node->data.scalar.length)
		value_error(ld, key, node,
					errdetail("The value contains a zero byte."));
	return pnstrdup(scalar_value(node), node->data.scalar.length);
}

/* A decimal integer within the key's range. */
static int64
parse_integer(ConfigLoader *ld, const ConfigKey *key, yaml_node_t *node)
{
	char	   *text = scalar_text(ld, key, node);
	const char *p = text;
	char	   *end;
	long long	v;

	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char) *p))
		value_error(ld, key, node,
					errdetail("\"%s\" is not an integer.", text));
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*end != '\0')
		value_error(ld, key, node,
					errdetail("\"%s\" is not an integer.", text));
	if (errno == ERANGE || v < key->min_value || v > key->max_value)
		value_error(ld, key, node,
					errdetail("%s is out of range; valid values are %lld to %lld.",
							  text, (long long) key->min_value,
							  (long long) key->max_value));
	return (int64) v;
}

static bool
parse_boolean(ConfigLoader *ld, const ConfigKey *key, yaml_node_t *node)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	char	   *text = scalar_text(ld, key, node);

	for (int i = 0; i < (int) lengthof(yes); i++)
	{
		if (pg_strcasecmp(text, yes[i]) == 0)
			return true;
		if (pg_strcasecmp(text, no[i]) == 0)
			return false;
	}
	value_error(ld, key, node,
				errdetail("\"%s\" is not a boolean.", text),
				errhint("Use true or false (yes/no and on/off are accepted too)."));
	return false;				/* keep compiler quiet */
}

/* Index of the value in key->choices, compared case-insensitively. */
static int
parse_choice(ConfigLoader *ld, const ConfigKey *key, yaml_node_t *node)
{
	char	   *text = scalar_text(ld, key, node);

	for (int i = 0; key->choices[i]; i++)
		if (pg_strcasecmp(text, key->choices[i]) == 0)
			return i;
	value_error(ld, key, node,
				errdetail("\"%s\" is not a valid value.", text),
				errhint("Valid values are: %s.", choices_text(key->choices)));
	return 0;					/* keep compiler quiet */
}

/* A list of non-empty single values. */
static List *
parse_list(ConfigLoader *ld, const ConfigKey *key, yaml_node_t *node,
		   bool lower)
{
	List	   *result = NIL;

	if (node->type != YAML_SEQUENCE_NODE)
		value_error(ld, key, node,
					errdetail("A list is expected, not %s.", node_kind(node)),
					errhint("Write the list as [a, b] or as lines starting with \"- \"."));

	for (yaml_node_item_t *item = node->data.sequence.items.start;
		 item < node->data.sequence.items.top; item++)
	{
		yaml_node_t *elem = yaml_document_get_node(&ld->document, *item);
		char	   *text;

		if (node_is_empty(elem))
			value_error(ld, key, elem,
						errdetail("The list has an empty entry."));
		text = scalar_text(ld, key, elem);
		if (lower)
			text = asc_tolower(text, strlen(text));
		result = lappend(result, text);
	}
	return result;
}

/*
 * A MySQL type of type_override, parsed (an error names the key and line).
 * The parser's own error is caught and given again as a config error.
 */
static ChameleonMySQLType *
parse_override_type(ConfigLoader *ld, const ConfigKey *key, yaml_node_t *node, const char *text)
{
	MemoryContext cxt = CurrentMemoryContext;
	ChameleonMySQLType *volatile mt = NULL;
	char	   *volatile problem = NULL;

	PG_TRY();
	{
		mt = chameleon_parse_mysql_type(text);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		problem = edata->message;
	}
	PG_END_TRY();
	if (problem != NULL)
		value_error(ld, key, node,
					errdetail("\"%s\" is not a MySQL column type: %s", text, problem),
					errhint("Write the type as MySQL prints it, e.g. \"tinyint(1)\" or \"bigint unsigned\"."));
	return mt;
}

/* The value of key must be a mapping of what; example shows one. */
static void
expect_mapping(ConfigLoader *ld, const ConfigKey *key, yaml_node_t *node, const char *what,
			   const char *example)
{
	if (node->type != YAML_MAPPING_NODE)
		value_error(ld, key, node,
					errdetail("A mapping of %s is expected, not %s.", what, node_kind(node)),
					errhint("Write for example: %s", example));
}

/*
 * type_override (the 2.x form): a mapping of MySQL column types to
 * {override_to: <PostgreSQL type>, override_tables: [<tables>, or "*"]}.
 * override_tables defaults to every table.  The tables are normalized with
 * the other table lists (finish_config); the PostgreSQL type is checked
 * against the catalog when the copy or DDL uses it.
 */
static List *
parse_type_overrides(ConfigLoader *ld, const ConfigKey *key, yaml_node_t *node)
{
	List	   *result = NIL;

	expect_mapping(ld, key, node, "MySQL types to {override_to: ..., override_tables: [...]}",
				   "\"tinyint(1)\": {override_to: boolean, override_tables: [\"*\"]}");
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
		 pair < node->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *tnode = yaml_document_get_node(&ld->document, pair->key);
		yaml_node_t *spec = yaml_document_get_node(&ld->document, pair->value);
		ChameleonTypeOverride *o = palloc0(sizeof(ChameleonTypeOverride));

		o->mysql_type = scalar_text(ld, key, tnode);
		o->parsed = parse_override_type(ld, key, tnode, o->mysql_type);
		if (spec->type != YAML_MAPPING_NODE)
			value_error(ld, key, spec,
						errdetail("The override of \"%s\" must be a mapping with override_to and override_tables, not %s.",
								  o->mysql_type, node_kind(spec)));
		for (yaml_node_pair_t *p = spec->data.mapping.pairs.start;
			 p < spec->data.mapping.pairs.top; p++)
		{
			yaml_node_t *k = yaml_document_get_node(&ld->document, p->key);
			yaml_node_t *v = yaml_document_get_node(&ld->document, p->value);
			const char *name = k->type == YAML_SCALAR_NODE ? scalar_value(k) : "";

			if (strcmp(name, "override_to") == 0 && !node_is_empty(v))
				o->pg_type = scalar_text(ld, key, v);
			else if (strcmp(name, "override_tables") == 0)
				o->tables = node_is_empty(v) ? NIL : parse_list(ld, key, v, false);
			else if (strcmp(name, "override_to") != 0)
				value_error(ld, key, k,
							errdetail("Unknown key \"%s\" in the override of \"%s\".",
									  name, o->mysql_type),
							errhint("The keys are override_to and override_tables."));
		}
		if (o->pg_type == NULL)
			value_error(ld, key, spec,
						errdetail("The override of \"%s\" has no override_to.", o->mysql_type),
						errhint("Add override_to: <a PostgreSQL type>."));
		if (o->tables == NIL)
			o->tables = list_make1(pstrdup("*"));
		result = lappend(result, o);
	}
	return result;
}

/*
 * schema_mappings (the 2.x form): MySQL database -> PostgreSQL schema, as
 * a list of two-element lists.  take_schema_mappings() makes it the
 * replica's databases (one: my_database and pg_schema).
 */
static List *
parse_schema_mappings(ConfigLoader *ld, const ConfigKey *key, yaml_node_t *node)
{
	List	   *result = NIL;

	expect_mapping(ld, key, node, "MySQL databases to PostgreSQL schemas",
				   "schema_mappings: {sakila: sakila_pg}");
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
		 pair < node->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *db = yaml_document_get_node(&ld->document, pair->key);
		yaml_node_t *schema = yaml_document_get_node(&ld->document, pair->value);

		if (node_is_empty(db) || node_is_empty(schema))
			value_error(ld, key, db,
						errdetail("Each entry maps a MySQL database to a PostgreSQL schema; both are needed."));
		result = lappend(result, list_make2(scalar_text(ld, key, db), scalar_text(ld, key, schema)));
	}
	return result;
}

/* Store one key's value (not empty) in the config. */
static void
apply_value(ConfigLoader *ld, const ConfigKey *key, yaml_node_t *node)
{
	void	   *field = field_ptr(ld->cfg, key);

	switch (key->type)
	{
		case CK_MAPPING:
			if (node->type != YAML_MAPPING_NODE)
				value_error(ld, key, node,
							errdetail("A mapping of \"key: value\" lines is expected, not %s.",
									  node_kind(node)));
			walk_mapping(ld, node, psprintf("%s.", key->name));
			break;
		case CK_STRING:
		case CK_SECRET:
			*(char **) field = scalar_text(ld, key, node);
			break;
		case CK_PATH:
			*(char **) field = scalar_text(ld, key, node);
			if (!is_absolute_path(*(char **) field))
				value_error(ld, key, node,
							errdetail("\"%s\" is not an absolute path.", *(char **) field));
			break;
		case CK_INT:
			*(int *) field = (int) parse_integer(ld, key, node);
			break;
		case CK_UINT32:
			*(uint32 *) field = (uint32) parse_integer(ld, key, node);
			break;
		case CK_BOOL:
			*(bool *) field = parse_boolean(ld, key, node);
			break;
		case CK_CHOICE:
			*(char **) field = pstrdup(key->choices[parse_choice(ld, key, node)]);
			break;
		case CK_ENUM:
			*(int *) field = parse_choice(ld, key, node);
			break;
		case CK_TYPE_LIST:
			*(List **) field = parse_list(ld, key, node, true);
			break;
		case CK_TABLE_LIST:
			*(List **) field = parse_list(ld, key, node, false);
			break;
		case CK_TYPE_OVERRIDES:
			*(List **) field = parse_type_overrides(ld, key, node);
			break;
		case CK_SCHEMA_MAPPINGS:
			*(List **) field = parse_schema_mappings(ld, key, node);
			break;
		case CK_IGNORED:
			*(bool *) field = true;
			break;
	}
}

/* Unknown key in the mapping named by prefix: error, with a suggestion. */
static void
report_unknown_key(ConfigLoader *ld, const char *prefix, yaml_node_t *keynode)
{
	const char *name = scalar_value(keynode);
	const char *near = suggest_key(prefix, name);
	const char *moved = misplaced_key(prefix, name);
	const char *dot = strchr(name, '.');
	char	   *shown = psprintf("%s%s", prefix, printable_key(name));

	/* "mysql_conn.host: x" written flat instead of nested */
	if (dot && prefix[0] == '\0' && find_key(name) >= 0)
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("unrecognized key \"%s\" in configuration file \"%s\" line %d",
					   shown, ld->path, node_line(keynode)),
				errhint("Write \"%.*s:\" on a line of its own, and \"%s:\" indented on the next line.",
						(int) (dot - name), name, dot + 1));
	if (moved)
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("unrecognized key \"%s\" in configuration file \"%s\" line %d",
					   shown, ld->path, node_line(keynode)),
				errhint("Did you mean \"%s\"?  Check the indentation.", moved));
	ereport(ERROR,
			errcode(ERRCODE_CONFIG_FILE_ERROR),
			errmsg("unrecognized key \"%s\" in configuration file \"%s\" line %d",
				   shown, ld->path, node_line(keynode)),
			near ? errhint("Did you mean \"%s\"?", near) : 0);
}

/*
 * Check and store every "key: value" pair of a mapping; prefix is "" for the
 * top level or "mysql_conn." for the keys under it.
 */
static void
walk_mapping(ConfigLoader *ld, yaml_node_t *map, const char *prefix)
{
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
		 pair < map->data.mapping.pairs.top; pair++)
	{
		yaml_node_t *keynode = yaml_document_get_node(&ld->document, pair->key);
		yaml_node_t *value = yaml_document_get_node(&ld->document, pair->value);
		const ConfigKey *key;
		int			k;

		if (keynode->type != YAML_SCALAR_NODE)
			ereport(ERROR,
					errcode(ERRCODE_CONFIG_FILE_ERROR),
					errmsg("invalid key in configuration file \"%s\" line %d",
						   ld->path, node_line(keynode)),
					errdetail("A key must be a plain name, not %s.", node_kind(keynode)));

		k = strchr(scalar_value(keynode), '.') ? -1 :
			find_key(psprintf("%s%s", prefix, scalar_value(keynode)));
		if (k < 0)
			report_unknown_key(ld, prefix, keynode);
		key = &config_keys[k];

		if (ld->line[k] != 0)
			ereport(ERROR,
					errcode(ERRCODE_CONFIG_FILE_ERROR),
					errmsg("duplicate key \"%s\" in configuration file \"%s\" line %d",
						   key->name, ld->path, node_line(keynode)),
					errdetail("The key was first given at line %d.", ld->line[k]));
		ld->line[k] = node_line(keynode);

		/* pg_conn's content is never looked at. */
		if (key->type == CK_IGNORED)
		{
			apply_value(ld, key, value);
			ld->from_file[k] = true;
			continue;
		}
		if (node_is_empty(value))
			continue;			/* the default stays */
		apply_value(ld, key, value);
		ld->from_file[k] = true;
	}
}


/* ------------------------------------------------------------ the result */

static void
set_defaults(ChameleonConfig *cfg)
{
	cfg->host = pstrdup("localhost");
	cfg->port = 3306;
	cfg->passwd = pstrdup("");
	cfg->connect_timeout = 10;
	cfg->read_timeout = 60;
	cfg->charset = pstrdup("utf8mb4");
	cfg->ssl_mode = pstrdup("preferred");
	cfg->replica_batch_size = 1000;
	cfg->copy_max_size = 100000;
	cfg->copy_mode = CHAMELEON_COPY_DIRECT;
	cfg->copy_workers = 2;
	cfg->copy_snapshot = CHAMELEON_COPY_SNAPSHOT_AUTO;
	cfg->out_dir = pstrdup("/tmp");
	cfg->hexify = NIL;
	cfg->my_charset = pstrdup("utf8mb4");
	cfg->pg_charset = pstrdup("utf8");
	cfg->tables_limit = NIL;
	cfg->skip_tables = NIL;
	cfg->on_error = CHAMELEON_ON_ERROR_SKIP_TABLE;
	cfg->zero_dates_to_null = true;
	cfg->protect_tables = true;
	cfg->tinyint1_as_boolean = false;
	cfg->heartbeat_period = 1;
	cfg->log_level = pstrdup("info");
}

/* ERROR for a schema_mappings entry: the key's line, detail and hint. */
static void
mapping_error(ConfigLoader *ld, const char *detail, const char *hint)
{
	int			k = find_key("schema_mappings");

	ereport(ERROR,
			errcode(ERRCODE_CONFIG_FILE_ERROR),
			errmsg("invalid value for key \"schema_mappings\" in configuration file \"%s\" line %d",
				   ld->path, ld->line[k]),
			errdetail_internal("%s", detail),
			errhint("%s", hint));
}

/*
 * The databases of a schema_mappings: names a table key can be split at
 * (no "."), schemas PostgreSQL can name, no schema given twice (two
 * databases' tables of one name would meet there).
 */
static void
check_mappings(ConfigLoader *ld)
{
	ListCell   *lc;

	foreach(lc, ld->cfg->schema_mappings)
	{
		char	   *db = linitial(lfirst(lc));
		char	   *schema = lsecond(lfirst(lc));
		ListCell   *other;

		if (strchr(db, '.') != NULL && list_length(ld->cfg->schema_mappings) > 1)
			mapping_error(ld, psprintf("Database \"%s\" has a \".\" in its name: the replica names its tables \"database.table\".", db),
						  "Replicate that database with a configuration file of its own (my_database).");
		if (strlen(schema) >= NAMEDATALEN)
			mapping_error(ld, psprintf("The schema name \"%s\" is longer than %d bytes.", schema, NAMEDATALEN - 1),
						  "Map the database to a shorter schema name.");
		for (other = lnext(ld->cfg->schema_mappings, lc); other != NULL;
			 other = lnext(ld->cfg->schema_mappings, other))
			if (strcmp(lsecond(lfirst(other)), schema) == 0)
				mapping_error(ld, psprintf("Databases \"%s\" and \"%s\" both map to schema \"%s\".",
										   db, (char *) linitial(lfirst(other)), schema),
							  "Map each database to a schema of its own.");
	}
}

/*
 * schema_mappings or my_database/pg_schema: one of the two forms.  One
 * mapping stands for my_database and pg_schema; several make one replica
 * of several databases, its tables named "db.table".
 */
static void
take_schema_mappings(ConfigLoader *ld)
{
	ChameleonConfig *cfg = ld->cfg;
	int			k = find_key("schema_mappings");
	int			other = ld->line[find_key("my_database")] ? find_key("my_database") :
		ld->line[find_key("pg_schema")] ? find_key("pg_schema") : -1;
	ListCell   *lc;

	if (!ld->from_file[k])
		return;
	if (other >= 0)
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("configuration file \"%s\" gives both \"schema_mappings\" (line %d) and \"%s\" (line %d)",
					   ld->path, ld->line[k], config_keys[other].name, ld->line[other]),
				errdetail("They are two forms of one setting: the MySQL databases and the PostgreSQL schemas they go to."),
				errhint("Keep one of them."));
	check_mappings(ld);
	foreach(lc, cfg->schema_mappings)
	{
		ChameleonDatabaseMap *m = palloc(sizeof(ChameleonDatabaseMap));

		m->database = pstrdup(linitial(lfirst(lc)));
		m->schema = pstrdup(lsecond(lfirst(lc)));
		cfg->databases = lappend(cfg->databases, m);
	}
	cfg->qualified_names = list_length(cfg->databases) > 1;
	if (cfg->qualified_names)
		return;
	cfg->my_database = pstrdup(linitial(linitial(cfg->schema_mappings)));
	cfg->pg_schema = pstrdup(lsecond(linitial(cfg->schema_mappings)));
	ld->from_file[find_key("my_database")] = true;
	ld->from_file[find_key("pg_schema")] = true;
}

/* The replica's name: source_name, else my_database, else "db1,db2,...". */
static void
take_source_name(ConfigLoader *ld)
{
	ChameleonConfig *cfg = ld->cfg;
	StringInfoData buf;
	ListCell   *lc;

	if (cfg->source_name != NULL)
	{
		if (strlen(cfg->source_name) >= NAMEDATALEN)
		{
			int			k = find_key("source_name");

			ereport(ERROR,
					errcode(ERRCODE_CONFIG_FILE_ERROR),
					errmsg("invalid value for key \"source_name\" in configuration file \"%s\" line %d",
						   ld->path, ld->line[k]),
					errdetail("The name is longer than %d bytes.", NAMEDATALEN - 1));
		}
		return;
	}
	if (cfg->my_database != NULL)
	{
		cfg->source_name = pstrdup(cfg->my_database);
		return;
	}
	initStringInfo(&buf);
	foreach(lc, cfg->databases)
		appendStringInfo(&buf, "%s%s", buf.len ? "," : "",
						 ((ChameleonDatabaseMap *) lfirst(lc))->database);
	cfg->source_name = buf.data;
}

/* Required keys: present, and with a value. */
static void
check_required(ConfigLoader *ld)
{
	take_schema_mappings(ld);
	for (int k = 0; k < (int) NUM_CONFIG_KEYS; k++)
	{
		const ConfigKey *key = &config_keys[k];

		if (!key->required || ld->from_file[k] ||
			(ld->cfg->qualified_names && strcmp(key->name, "my_database") == 0))
			continue;
		if (ld->line[k] != 0)
			ereport(ERROR,
					errcode(ERRCODE_CONFIG_FILE_ERROR),
					errmsg("key \"%s\" in configuration file \"%s\" line %d must not be empty",
						   key->name, ld->path, ld->line[k]));
		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("missing required key \"%s\" in configuration file \"%s\"",
					   key->name, ld->path),
				key->type == CK_MAPPING ?
				errhint("Add a \"%s:\" section.", key->name) :
				strchr(key->name, '.') ?
				errhint("Add \"%s:\" under \"%.*s:\".", short_name(key->name),
						(int) (strchr(key->name, '.') - key->name), key->name) :
				errhint("Add a line \"%s: ...\".", key->name));
	}
}

/* Is db one of the replica's databases? */
static bool
maps_database(const ChameleonConfig *cfg, const char *db, int len)
{
	ListCell   *lc;

	foreach(lc, cfg->databases)
	{
		const char *d = ((ChameleonDatabaseMap *) lfirst(lc))->database;

		if ((int) strlen(d) == len && strncmp(d, db, len) == 0)
			return true;
	}
	return false;
}

/*
 * A table list of a replica of several databases: entries are
 * "database.table", or "database" / "database.*" for every table of a
 * database (kept as "database.*"); the database must be mapped.
 */
static void
normalize_qualified_list(ConfigLoader *ld, int k, List *list, bool whole_database)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		char	   *entry = (char *) lfirst(lc);
		char	   *dot = strchr(entry, '.');
		int			dblen = dot ? (int) (dot - entry) : (int) strlen(entry);

		if (whole_database && strcmp(entry, "*") == 0)
			continue;			/* every table of every database */

		if (!maps_database(ld->cfg, entry, dblen) || (dot != NULL && dot[1] == '\0'))
			ereport(ERROR,
					errcode(ERRCODE_CONFIG_FILE_ERROR),
					errmsg("invalid value for key \"%s\" in configuration file \"%s\" line %d",
						   config_keys[k].name, ld->path, ld->line[k]),
					dot == NULL ?
					errdetail("Entry \"%s\" is neither \"database.table\" nor a database of schema_mappings.", entry) :
					errdetail("Entry \"%s\" is not a table of a database of schema_mappings.", entry),
					errhint("This replica maps several databases: write entries as \"database.table\", or \"database\" for every table of one."));
		if (dot == NULL)
			lfirst(lc) = psprintf("%s.*", entry);
	}
}

/*
 * Entries of a table list are "table" or "my_database.table"; keep the
 * plain table name.  Another database is an error: one config replicates
 * one.  Where whole_database is allowed (skip_tables, skip_events), the
 * entry "my_database" or "my_database.*" -- the 2.x form for a whole
 * schema -- stands for every table and is kept as "*" (a table named like
 * the database is written "my_database.name").
 */
static void
normalize_table_list(ConfigLoader *ld, const char *keyname, List *list, bool whole_database)
{
	ChameleonConfig *cfg = ld->cfg;
	int			k = find_key(keyname);
	ListCell   *lc;

	if (cfg->qualified_names)
	{
		normalize_qualified_list(ld, k, list, whole_database);
		return;
	}
	foreach(lc, list)
	{
		char	   *entry = (char *) lfirst(lc);
		char	   *dot = strchr(entry, '.');

		if (whole_database &&
			(strcmp(entry, cfg->my_database) == 0 ||
			 (dot != NULL && strcmp(dot, ".*") == 0 &&
			  strncmp(entry, cfg->my_database, dot - entry) == 0 &&
			  cfg->my_database[dot - entry] == '\0')))
		{
			lfirst(lc) = pstrdup("*");
			continue;
		}
		if (dot == NULL)
			continue;
		if (strchr(dot + 1, '.') != NULL || dot[1] == '\0' || strcmp(dot, ".*") == 0 ||
			strncmp(entry, cfg->my_database, dot - entry) != 0 ||
			cfg->my_database[dot - entry] != '\0')
			ereport(ERROR,
					errcode(ERRCODE_CONFIG_FILE_ERROR),
					errmsg("invalid value for key \"%s\" in configuration file \"%s\" line %d",
						   config_keys[k].name, ld->path, ld->line[k]),
					errdetail("Entry \"%s\" is not a table of database \"%s\".",
							  entry, cfg->my_database),
					whole_database ?
					errhint("Write entries as \"table\" or \"%s.table\", or \"%s\" for every table.",
							cfg->my_database, cfg->my_database) :
					errhint("Write entries as \"table\" or \"%s.table\".",
							cfg->my_database));
		lfirst(lc) = pstrdup(dot + 1);
	}
}

/* Does skip_tables name every database of several? */
static bool
skips_every_database(const ChameleonConfig *cfg)
{
	ListCell   *lc;

	if (!cfg->qualified_names)
		return false;
	foreach(lc, cfg->databases)
		if (!chameleon_name_in_list(cfg->skip_tables,
									psprintf("%s.*", ((ChameleonDatabaseMap *) lfirst(lc))->database)))
			return false;
	return true;
}

/* Table lists, and skip_tables that would leave nothing to replicate. */
static void
normalize_table_lists(ConfigLoader *ld)
{
	ChameleonConfig *cfg = ld->cfg;
	static const char *const events[] =
	{"skip_events.insert", "skip_events.update", "skip_events.delete"};
	ListCell   *lc;

	normalize_table_list(ld, "tables_limit", cfg->tables_limit, false);
	normalize_table_list(ld, "skip_tables", cfg->skip_tables, true);
	for (int e = 0; e < (int) lengthof(events); e++)
		normalize_table_list(ld, events[e], cfg->skip_events[e], true);
	foreach(lc, cfg->type_override)
		normalize_table_list(ld, "type_override",
							 ((ChameleonTypeOverride *) lfirst(lc))->tables, true);
	if (chameleon_name_in_list(cfg->skip_tables, "*") || skips_every_database(cfg))
	{
		int			k = find_key("skip_tables");

		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("invalid value for key \"%s\" in configuration file \"%s\" line %d",
					   config_keys[k].name, ld->path, ld->line[k]),
				cfg->qualified_names ?
				errdetail("It skips every database of schema_mappings: nothing would be replicated.") :
				errdetail("It skips every table of database \"%s\": nothing would be replicated.",
						  cfg->my_database),
				cfg->qualified_names ?
				errhint("Name tables, as \"database.table\".") :
				errhint("Name tables, as \"table\" or \"%s.table\".", cfg->my_database));
	}
}

/*
 * The source sends a heartbeat after heartbeat_period idle seconds; a worker
 * that hears nothing for mysql_conn.read_timeout seconds drops the
 * connection.  A period not below the timeout makes every idle moment a lost
 * connection.
 */
static void
check_heartbeat_period(ConfigLoader *ld)
{
	ChameleonConfig *cfg = ld->cfg;
	int			k = find_key("heartbeat_period");

	if (cfg->heartbeat_period < cfg->read_timeout)
		return;
	if (!ld->from_file[k])
		k = find_key("mysql_conn.read_timeout");
	ereport(ERROR,
			errcode(ERRCODE_CONFIG_FILE_ERROR),
			errmsg("invalid value for key \"%s\" in configuration file \"%s\" line %d",
				   config_keys[k].name, ld->path, ld->line[k]),
			errdetail("heartbeat_period (%d s) must be less than mysql_conn.read_timeout (%d s): an idle source would look like a lost connection.",
					  cfg->heartbeat_period, cfg->read_timeout),
			errhint("Keep heartbeat_period well below mysql_conn.read_timeout (defaults 1 and 60 seconds)."));
}

/* my_database and pg_schema: the one database of the replica. */
static void
finish_one_database(ConfigLoader *ld)
{
	ChameleonConfig *cfg = ld->cfg;
	ChameleonDatabaseMap *m = palloc(sizeof(ChameleonDatabaseMap));

	if (cfg->pg_schema == NULL)
		cfg->pg_schema = pstrdup(cfg->my_database);
	if (strlen(cfg->pg_schema) >= NAMEDATALEN)
	{
		int			k = find_key(ld->from_file[find_key("pg_schema")] ?
								 "pg_schema" : "my_database");

		ereport(ERROR,
				errcode(ERRCODE_CONFIG_FILE_ERROR),
				errmsg("invalid value for key \"%s\" in configuration file \"%s\" line %d",
					   config_keys[k].name, ld->path, ld->line[k]),
				errdetail("The schema name \"%s\" is longer than %d bytes.",
						  cfg->pg_schema, NAMEDATALEN - 1),
				errhint("Set \"pg_schema\" to a shorter name."));
	}

	m->database = cfg->my_database;
	m->schema = cfg->pg_schema;
	cfg->databases = list_make1(m);
}

/* Defaults that depend on other keys, and checks across keys. */
static void
finish_config(ConfigLoader *ld)
{
	ChameleonConfig *cfg = ld->cfg;

	if (!cfg->qualified_names)
		finish_one_database(ld);
	take_source_name(ld);
	normalize_table_lists(ld);
	check_heartbeat_period(ld);

	if (cfg->pg_database == NULL && IsTransactionState() &&
		OidIsValid(MyDatabaseId))
		cfg->pg_database = get_database_name(MyDatabaseId);

	if (pg_strcasecmp(cfg->my_charset, "utf8mb4") != 0 &&
		pg_strcasecmp(cfg->my_charset, "utf8") != 0 &&
		pg_strcasecmp(cfg->my_charset, "utf8mb3") != 0)
		ereport(NOTICE,
				errmsg("the copy reads MySQL in utf8mb4, not in my_charset \"%s\"",
					   cfg->my_charset),
				errdetail("MySQL converts every column from its own character set to utf8mb4, which holds every character; a narrower connection character set could only lose characters."),
				errhint("Remove my_charset from the configuration file, or set it to utf8mb4."));
	if (cfg->pg_conn_given)
		ereport(NOTICE,
				errmsg("configuration key \"pg_conn\" is ignored"),
				errdetail("The replica runs inside this PostgreSQL server, in database \"%s\"; it needs no connection settings.",
						  cfg->pg_database ? cfg->pg_database : "?"));
}

static char *
list_text(List *list)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, list)
		appendStringInfo(&buf, "%s%s", foreach_current_index(lc) ? ", " : "",
						 (char *) lfirst(lc));
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* {"tinyint(1)": boolean [*], ...} */
static char *
overrides_text(List *list)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	foreach(lc, list)
	{
		ChameleonTypeOverride *o = lfirst(lc);

		appendStringInfo(&buf, "%s\"%s\": %s %s", foreach_current_index(lc) ? ", " : "",
						 o->mysql_type, o->pg_type, list_text(o->tables));
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* The text shown by check_config() for a key; NULL when unset. */
static char *
setting_text(ChameleonConfig *cfg, const ConfigKey *key)
{
	void	   *field = field_ptr(cfg, key);

	switch (key->type)
	{
		case CK_STRING:
		case CK_PATH:
		case CK_CHOICE:
			return *(char **) field ? pstrdup(*(char **) field) : NULL;
		case CK_SECRET:
			return pstrdup(*(char **) field && **(char **) field ?
						   PASSWORD_MASK : "");
		case CK_INT:
			return psprintf("%d", *(int *) field);
		case CK_UINT32:
			return psprintf("%u", *(uint32 *) field);
		case CK_BOOL:
			return pstrdup(*(bool *) field ? "true" : "false");
		case CK_ENUM:
			return pstrdup(key->choices[*(int *) field]);
		case CK_TYPE_LIST:
		case CK_TABLE_LIST:
			return list_text(*(List **) field);
		case CK_TYPE_OVERRIDES:
			return overrides_text(*(List **) field);
		case CK_SCHEMA_MAPPINGS:
			{
				StringInfoData buf;
				ListCell   *lc;

				initStringInfo(&buf);
				appendStringInfoChar(&buf, '{');
				foreach(lc, *(List **) field)
					appendStringInfo(&buf, "%s%s: %s", foreach_current_index(lc) ? ", " : "",
									 (char *) linitial(lfirst(lc)), (char *) lsecond(lfirst(lc)));
				appendStringInfoChar(&buf, '}');
				return buf.data;
			}
		case CK_IGNORED:
			return *(bool *) field ? pstrdup("ignored") : NULL;
		case CK_MAPPING:
			break;
	}
	return NULL;
}

static List *
build_settings(ConfigLoader *ld)
{
	List	   *settings = NIL;

	for (int k = 0; k < (int) NUM_CONFIG_KEYS; k++)
	{
		ChameleonSetting *s;

		if (config_keys[k].type == CK_MAPPING)
			continue;
		s = palloc(sizeof(ChameleonSetting));
		s->key = pstrdup(config_keys[k].name);
		s->value = setting_text(ld->cfg, &config_keys[k]);
		s->from_file = ld->from_file[k];
		settings = lappend(settings, s);
	}
	return settings;
}


/* ------------------------------------------------------------ entry point */

ChameleonConfig *
chameleon_config_load(const char *path)
{
	ConfigLoader *ld = palloc0(sizeof(ConfigLoader));
	char	   *buf;
	size_t		len;

	StaticAssertStmt(sizeof(ChameleonCopyMode) == sizeof(int) &&
					 sizeof(ChameleonOnError) == sizeof(int),
					 "CK_ENUM fields are stored as int");

	ld->path = resolve_config_path(path);
	/* before any look at the file: a non-superuser names registered files only */
	chameleon_config_check_access(ld->path, path == NULL || path[0] == '\0');
	buf = read_config_file(ld->path, &len);

	ld->cfg = palloc0(sizeof(ChameleonConfig));
	ld->cfg->path = pstrdup(ld->path);
	set_defaults(ld->cfg);

	PG_TRY();
	{
		yaml_node_t *root = parse_document(ld, buf, len);

		walk_mapping(ld, root, "");
	}
	PG_FINALLY();
	{
		free_yaml(ld);
	}
	PG_END_TRY();

	check_required(ld);
	finish_config(ld);
	ld->cfg->settings = build_settings(ld);
	pfree(buf);
	return ld->cfg;
}
