/*
 * detach.c -- chameleon.detach_replica(): the cut-over.
 *
 * Owns ending a replica for good and leaving plain PostgreSQL tables: stop
 * the apply worker at a transaction boundary (as stop_replica does), build
 * the unique indexes a sliced copy left to the stream if it has not built
 * them yet, create the MySQL foreign keys init_replica recorded in t_foreign_keys
 * (NOT VALID, then VALIDATE, each in its own subtransaction so that one bad
 * key is reported and the others go on), move every sequence and identity of
 * the replicated tables past the current maximum, drop the replication
 * origin and mark the source detached.  Every step is a row of the result.
 *
 * The tables never depended on extension objects (init_replica creates them
 * outside the extension script, with built-in types only); the last step
 * reports any object that does depend on one, so DROP EXTENSION would not
 * take it along.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "replication/origin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "ddl_apply.h"
#include "guard.h"
#include "list_util.h"
#include "position.h"
#include "schema.h"
#include "spi_util.h"
#include "subxact.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(chameleon_detach_replica);

/* The result rows: (step, object, result). */
typedef struct DetachReport
{
	Tuplestorestate *store;
	TupleDesc	desc;
} DetachReport;



static void
report(DetachReport *rep, const char *step, const char *object, const char *result)
{
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	values[0] = CStringGetTextDatum(step);
	nulls[1] = (object == NULL);
	values[1] = object ? CStringGetTextDatum(object) : (Datum) 0;
	values[2] = CStringGetTextDatum(result);
	tuplestore_putvalues(rep->store, rep->desc, values, nulls);
}

/* ---------------------------------------------------------------------
 * Which source, and its worker
 * ---------------------------------------------------------------------
 */

/* The source named, or the only one not detached yet. */
static ChameleonSource *
source_to_detach(FunctionCallInfo fcinfo)
{
	List	   *live = NIL;
	ListCell   *lc;
	ChameleonSource *src;

	if (!PG_ARGISNULL(0))
		return chameleon_source_named(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	foreach(lc, chameleon_source_list())
	{
		src = lfirst(lc);
		if (strcmp(src->state, "detached") != 0)
			live = lappend(live, src);
	}
	if (live == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("there is no replica to detach in this database")));
	if (list_length(live) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				 errmsg("this database has %d replicas", list_length(live)),
				 errhint("Name the one to detach, e.g. chameleon.detach_replica('%s').",
						 ((ChameleonSource *) linitial(live))->name)));
	return linitial(live);
}

/* Lock the source row against a concurrent start; ERROR if it cannot be detached. */
static void
lock_source(const ChameleonSource *src)
{
	char	   *state = chameleon_source_lock(src->source_id);
	pid_t		pid;

	if (state == NULL)
		state = "";

	if (strcmp(state, "detached") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("replica \"%s\" is already detached", src->name),
				 errdetail("Its tables are plain PostgreSQL tables.")));
	if (strcmp(state, "initialising") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("replica \"%s\" is being initialised", src->name),
				 errhint("Wait for chameleon.init_replica() to finish, or run it again if it failed.")));
	if (chameleon_worker_is_running(MyDatabaseId, src->source_id, &pid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("replica \"%s\" was started again while being detached", src->name),
				 errhint("Run chameleon.detach_replica() again.")));
}

/* ---------------------------------------------------------------------
 * Statements that may fail without failing the detach
 * ---------------------------------------------------------------------
 */

/*
 * Run sql in a subtransaction; NULL on success, else the error message
 * (palloc'd in the caller's context).
 */
static char *
try_sql(const char *sql)
{
	ErrorData  *edata = chameleon_run_in_subxact(chameleon_run_sql_cb, (void *) sql);

	return edata ? edata->message : NULL;
}

/* ---------------------------------------------------------------------
 * Unique indexes left to the stream by a copy read in slices
 * ---------------------------------------------------------------------
 */

static void
create_deferred_indexes(DetachReport *rep, const ChameleonSource *src,
						const ChameleonTableRow *t)
{
	ListCell   *lc;

	if (t->deferred_indexes == NIL)
		return;
	foreach(lc, t->deferred_indexes)
	{
		const char *sql = lfirst(lc);
		char	   *error = try_sql(sql);

		if (error != NULL)
			ereport(WARNING,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("a unique index of table \"%s\".\"%s\" was not created",
							t->pg_schema, t->pg_table),
					 errdetail("%s: %s", sql, error),
					 errhint("Create a suitable index by hand.")));
		report(rep, "unique_index", sql, error ? psprintf("not created: %s", error) : "created");
	}
	chameleon_catalog_table_window_passed(src->source_id, t->mysql_table);
}

/* ---------------------------------------------------------------------
 * Foreign keys
 * ---------------------------------------------------------------------
 */

/* The PostgreSQL name of a key: MySQL's, shortened to fit as index names are. */
static char *
pg_constraint_name(const ChameleonStoredForeignKey *fk)
{
	if (strlen(fk->constraint_name) < NAMEDATALEN)
		return fk->constraint_name;
	return chameleon_pg_index_name(fk->mysql_table, fk->constraint_name);
}

static char *
quoted_columns(List *columns)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, columns)
		appendStringInfo(&buf, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
						 quote_identifier(lfirst(lc)));
	return buf.data;
}

/* A MySQL rule as PostgreSQL writes it (the words are the same). */
static const char *
pg_rule(const char *rule)
{
	static const char *const rules[] = {"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"};

	for (int i = 0; i < (int) lengthof(rules); i++)
		if (rule && pg_strcasecmp(rule, rules[i]) == 0)
			return rules[i];
	return "NO ACTION";
}

/*
 * The referenced table: a replicated one where it is now, else the table
 * of that name in the source's schema (same database) or in the schema
 * named after the other MySQL database.
 */
static char *
referenced_table(const ChameleonSource *src, const ChameleonStoredForeignKey *fk)
{
	if (fk->ref_pg_table != NULL)
		return psprintf("%s.%s", quote_identifier(fk->ref_pg_schema),
						quote_identifier(fk->ref_pg_table));
	return psprintf("%s.%s",
					quote_identifier(list_length(src->databases) == 1 &&
									 strcmp(fk->referenced_schema, linitial(src->databases)) == 0 ?
									 src->pg_schema : fk->referenced_schema),
					quote_identifier(fk->referenced_table));
}

/* Create one key NOT VALID, then validate it; one result row. */
static void
create_foreign_key(DetachReport *rep, const ChameleonSource *src, const ChameleonStoredForeignKey *fk)
{
	const char *schema = fk->pg_schema ? fk->pg_schema : src->pg_schema;
	const char *table = fk->pg_table ? fk->pg_table : fk->mysql_table;
	char	   *qtable = psprintf("%s.%s", quote_identifier(schema), quote_identifier(table));
	char	   *name = pg_constraint_name(fk);
	char	   *object = psprintf("%s.%s", qtable, quote_identifier(name));
	char	   *error;

	error = try_sql(psprintf("ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s) "
							 "ON UPDATE %s ON DELETE %s NOT VALID",
							 qtable, quote_identifier(name), quoted_columns(fk->columns),
							 referenced_table(src, fk), quoted_columns(fk->referenced_columns),
							 pg_rule(fk->on_update), pg_rule(fk->on_delete)));
	if (error != NULL)
	{
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("foreign key \"%s\" of table %s was not created", name, qtable),
				 errdetail_internal("%s", error)));
		report(rep, "foreign_key", object, psprintf("not created: %s", error));
		return;
	}
	error = try_sql(psprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", qtable,
							 quote_identifier(name)));
	if (error != NULL)
	{
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("foreign key \"%s\" of table %s is NOT VALID", name, qtable),
				 errdetail_internal("%s", error),
				 errhint("Fix the rows, then run ALTER TABLE %s VALIDATE CONSTRAINT %s.",
						 qtable, quote_identifier(name))));
		report(rep, "foreign_key", object, psprintf("not valid: %s", error));
		return;
	}
	report(rep, "foreign_key", object, "created and validated");
}

/* ---------------------------------------------------------------------
 * Sequences and identities
 * ---------------------------------------------------------------------
 */

/* A sequence to move, its statement, and what came of it. */
typedef struct SequenceMove
{
	const ChameleonOwnedSequence *s;
	const char *sql;
	char	   *result;
} SequenceMove;

/* Run the statement of advance_sequence(), for chameleon_run_in_subxact(). */
static void
move_sequence(void *arg)
{
	SequenceMove *m = (SequenceMove *) arg;
	MemoryContext cxt = CurrentMemoryContext;
	char	   *max;
	char	   *last;
	bool		set;

	chameleon_spi_connect();
	if (SPI_execute(m->sql, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read sequence %s", m->s->sequence);
	max = chameleon_spi_text(0, 1, cxt);
	last = chameleon_spi_text(0, 2, cxt);
	set = chameleon_spi_text(0, 3, cxt) != NULL;
	SPI_finish();
	if (set)
		m->result = psprintf("set to %s (the maximum of %s)", max, quote_identifier(m->s->column));
	else if (max == NULL)
		m->result = psprintf("unchanged: table is empty (last value %s)", last);
	else
		m->result = psprintf("unchanged: last value %s is not below the maximum %s", last, max);
}

/*
 * Move a sequence past max(column) when it is not past it already; returns
 * the result text.  The values are read and set in one statement.
 */
static char *
advance_sequence(const ChameleonOwnedSequence *s)
{
	SequenceMove m = {s, NULL, NULL};
	ErrorData  *edata;

	/* last: the last value handed out (or the one before the first) */
	m.sql = psprintf("SELECT m, last, CASE WHEN m > last THEN pg_catalog.setval(%s, m) END"
					 " FROM (SELECT pg_catalog.max(%s)::bigint AS m FROM %s) x,"
					 " (SELECT CASE WHEN s.is_called THEN s.last_value"
					 "  ELSE s.last_value - q.seqincrement END AS last"
					 "  FROM %s s, pg_catalog.pg_sequence q"
					 "  WHERE q.seqrelid OPERATOR(pg_catalog.=) %s::pg_catalog.regclass) y",
					 quote_literal_cstr(s->sequence), quote_identifier(s->column), s->table,
					 s->sequence, quote_literal_cstr(s->sequence));

	edata = chameleon_run_in_subxact(move_sequence, &m);
	if (edata == NULL)
		return m.result;
	ereport(WARNING,
			(errcode(ERRCODE_WARNING),
			 errmsg("sequence %s was not moved past the maximum of %s", s->sequence,
					quote_identifier(s->column)),
			 errdetail_internal("%s", edata->message)));
	return psprintf("failed: %s", edata->message);
}

/* ---------------------------------------------------------------------
 * ON UPDATE CURRENT_TIMESTAMP
 * ---------------------------------------------------------------------
 */

/* The trigger function of a schema (not the extension's: DROP EXTENSION keeps it). */
#define ON_UPDATE_FUNCTION	"chameleon_on_update_current_timestamp"
#define ON_UPDATE_TRIGGER	"chameleon_on_update_current_timestamp"

/*
 * MySQL's ON UPDATE CURRENT_TIMESTAMP: when an UPDATE changes the row and
 * does not change the column itself, the column gets the statement's time.
 * One function per schema takes the columns as trigger arguments; rows are
 * compared as jsonb without those columns.  (A column an UPDATE sets to the
 * value it already has is taken as not set: MySQL would keep it too.)
 */
static char *
on_update_function_sql(const char *pg_schema)
{
	return psprintf("CREATE OR REPLACE FUNCTION %s.%s() RETURNS trigger"
					" LANGUAGE plpgsql SET search_path = pg_catalog AS $fn$\n"
					"DECLARE\n"
					"  new_row jsonb := to_jsonb(NEW);\n"
					"  old_row jsonb := to_jsonb(OLD);\n"
					"  col text;\n"
					"BEGIN\n"
					"  -- made by pg_chameleon's detach_replica: MySQL's ON UPDATE CURRENT_TIMESTAMP\n"
					"  IF (new_row - TG_ARGV) IS DISTINCT FROM (old_row - TG_ARGV) THEN\n"
					"    FOREACH col IN ARRAY TG_ARGV LOOP\n"
					"      IF new_row -> col IS NOT DISTINCT FROM old_row -> col THEN\n"
					"        NEW := jsonb_populate_record(NEW, jsonb_build_object(col, statement_timestamp()));\n"
					"      END IF;\n"
					"    END LOOP;\n"
					"  END IF;\n"
					"  RETURN NEW;\n"
					"END\n"
					"$fn$",
					quote_identifier(pg_schema), ON_UPDATE_FUNCTION);
}

static char *
on_update_trigger_sql(const ChameleonOnUpdateTable *t)
{
	StringInfoData s;
	ListCell   *lc;

	initStringInfo(&s);
	appendStringInfo(&s, "CREATE TRIGGER %s BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s.%s(",
					 ON_UPDATE_TRIGGER, quote_qualified_identifier(t->pg_schema, t->pg_table),
					 quote_identifier(t->pg_schema), ON_UPDATE_FUNCTION);
	foreach(lc, t->columns)
		appendStringInfo(&s, "%s%s", foreach_current_index(lc) ? ", " : "",
						 quote_literal_cstr(lfirst(lc)));
	appendStringInfoChar(&s, ')');
	return s.data;
}

/* The owner of a table, by name. */
static Oid
table_owner(const char *pg_schema, const char *pg_table)
{
	Oid			relid = get_relname_relid(pg_table, get_namespace_oid(pg_schema, false));
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s does not exist", quote_qualified_identifier(pg_schema, pg_table))));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

static char *
joined_names(List *names)
{
	StringInfoData s;
	ListCell   *lc;

	initStringInfo(&s);
	foreach(lc, names)
		appendStringInfo(&s, "%s%s", foreach_current_index(lc) ? ", " : "", (char *) lfirst(lc));
	return s.data;
}

typedef struct OnUpdateStep
{
	const ChameleonOnUpdateTable *t;
	bool		make_function;
} OnUpdateStep;

/* One table's trigger (and its schema's function first), in a subtransaction. */
static void
create_on_update_trigger(void *arg)
{
	OnUpdateStep *step = arg;
	const ChameleonOnUpdateTable *t = step->t;
	char	   *qtable = quote_qualified_identifier(t->pg_schema, t->pg_table);
	Oid			owner = table_owner(t->pg_schema, t->pg_table);

	if (step->make_function)
	{
		chameleon_run_sql(on_update_function_sql(t->pg_schema));
		/* owned like the schema's tables, not by the extension's owner */
		chameleon_run_sql(psprintf("ALTER FUNCTION %s.%s() OWNER TO %s",
								   quote_identifier(t->pg_schema), ON_UPDATE_FUNCTION,
								   quote_identifier(GetUserNameFromId(owner, false))));
	}
	chameleon_run_sql(psprintf("DROP TRIGGER IF EXISTS %s ON %s", ON_UPDATE_TRIGGER, qtable));
	chameleon_run_sql(on_update_trigger_sql(t));
}

static void
create_on_update_triggers(DetachReport *rep, const ChameleonSource *src)
{
	List	   *made_in = NIL;
	ListCell   *lc;

	foreach(lc, chameleon_shape_on_update_columns(src->source_id))
	{
		ChameleonOnUpdateTable *t = lfirst(lc);
		OnUpdateStep step = {t, !list_member(made_in, makeString(t->pg_schema))};
		char	   *object = psprintf("%s(%s)", quote_qualified_identifier(t->pg_schema, t->pg_table),
									  joined_names(t->columns));
		ErrorData  *edata = chameleon_run_in_subxact(create_on_update_trigger, &step);

		if (edata == NULL)
		{
			if (step.make_function)
				made_in = lappend(made_in, makeString(t->pg_schema));
			report(rep, "on_update_trigger", object, "created");
			continue;
		}
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("the ON UPDATE CURRENT_TIMESTAMP trigger of %s was not created", object),
				 errdetail_internal("%s", edata->message)));
		report(rep, "on_update_trigger", object, psprintf("failed: %s", edata->message));
	}
}

/* ---------------------------------------------------------------------
 * What still depends on the extension
 * ---------------------------------------------------------------------
 */

/*
 * Objects of the replica's schema (tables, columns' defaults, constraints,
 * types, triggers, views, functions) that depend on a member of the
 * extension: DROP EXTENSION would refuse them, or take them along with CASCADE.
 */
static void
report_extension_dependencies(DetachReport *rep, const char *pg_schema)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			type = TEXTOID;
	Datum		value = CStringGetTextDatum(pg_schema);
	List	   *found = NIL;
	ListCell   *lc;

	chameleon_spi_connect();
	if (SPI_execute_with_args("SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)"
							  " || ' depends on '"
							  " || pg_catalog.pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)"
							  " FROM pg_catalog.pg_depend d"
							  " JOIN pg_catalog.pg_depend m ON m.classid = d.refclassid"
							  "  AND m.objid = d.refobjid AND m.deptype = 'e'"
							  "  AND m.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass"
							  "  AND m.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e"
							  "   WHERE e.extname = 'pg_chameleon')"
							  " WHERE d.deptype = 'n' AND (CASE d.classid"
							  "  WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN"
							  "   (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid = d.objid)"
							  "  WHEN 'pg_catalog.pg_constraint'::pg_catalog.regclass THEN"
							  "   (SELECT c.connamespace FROM pg_catalog.pg_constraint c WHERE c.oid = d.objid)"
							  "  WHEN 'pg_catalog.pg_type'::pg_catalog.regclass THEN"
							  "   (SELECT t.typnamespace FROM pg_catalog.pg_type t WHERE t.oid = d.objid)"
							  "  WHEN 'pg_catalog.pg_proc'::pg_catalog.regclass THEN"
							  "   (SELECT p.pronamespace FROM pg_catalog.pg_proc p WHERE p.oid = d.objid)"
							  "  WHEN 'pg_catalog.pg_attrdef'::pg_catalog.regclass THEN"
							  "   (SELECT c.relnamespace FROM pg_catalog.pg_attrdef a"
							  "    JOIN pg_catalog.pg_class c ON c.oid = a.adrelid WHERE a.oid = d.objid)"
							  "  WHEN 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN"
							  "   (SELECT c.relnamespace FROM pg_catalog.pg_trigger t"
							  "    JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid WHERE t.oid = d.objid)"
							  "  WHEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN"
							  "   (SELECT c.relnamespace FROM pg_catalog.pg_rewrite r"
							  "    JOIN pg_catalog.pg_class c ON c.oid = r.ev_class WHERE r.oid = d.objid)"
							  "  END) OPERATOR(pg_catalog.=) (SELECT n.oid FROM pg_catalog.pg_namespace n"
							  "   WHERE n.nspname OPERATOR(pg_catalog.=) $1)"
							  " ORDER BY 1", 1, &type, &value, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_depend");
	for (uint64 i = 0; i < SPI_processed; i++)
		found = lappend(found, chameleon_spi_text(i, 1, cxt));
	SPI_finish();

	foreach(lc, found)
	{
		ereport(WARNING,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("%s", (char *) lfirst(lc)),
				 errdetail("DROP EXTENSION pg_chameleon would need CASCADE and drop it.")));
		report(rep, "extension_dependency", lfirst(lc), "remains");
	}
	if (found == NIL)
		report(rep, "extension_dependency", pg_schema, "none");
}

/* ---------------------------------------------------------------------
 * chameleon.detach_replica(source text DEFAULT NULL)
 *   RETURNS TABLE (step text, object text, result text)
 * ---------------------------------------------------------------------
 */
Datum
chameleon_detach_replica(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DetachReport rep;
	ChameleonSource *src;
	ListCell   *lc;
	char		origin[NAMEDATALEN * 2];
	List	   *schemas;

	InitMaterializedSRF(fcinfo, 0);
	rep.store = rsinfo->setResult;
	rep.desc = rsinfo->setDesc;

	src = source_to_detach(fcinfo);
	if (strcmp(src->state, "detached") == 0)
		lock_source(src);		/* reports it */

	/* 1. the worker: at a transaction boundary, and wait until it has exited */
	if (chameleon_worker_stop(MyDatabaseId, src->source_id))
		report(&rep, "stop_worker", src->name, "stopped");
	else
		report(&rep, "stop_worker", src->name, "was not running");
	lock_source(src);

	/* 2. unique indexes a copy left to the stream, which it has not passed yet */
	foreach(lc, chameleon_catalog_table_rows(src->source_id))
		create_deferred_indexes(&rep, src, lfirst(lc));

	/* 3. foreign keys (after the unique indexes they may reference) */
	foreach(lc, chameleon_catalog_foreign_keys(src->source_id))
	{
		ChameleonStoredForeignKey *fk = lfirst(lc);

		create_foreign_key(&rep, src, fk);
	}

	/* 4. sequences and identities */
	foreach(lc, chameleon_catalog_owned_sequences(src->source_id))
	{
		ChameleonOwnedSequence *s = lfirst(lc);

		report(&rep, "sequence", s->sequence, advance_sequence(s));
	}

	/* 5. the tables take local writes again; ON UPDATE CURRENT_TIMESTAMP keeps its behaviour */
	schemas = list_make1(src->pg_schema);
	foreach(lc, chameleon_catalog_table_rows(src->source_id))
	{
		ChameleonTableRow *row = lfirst(lc);

		chameleon_unguard_table(row->pg_schema, row->pg_table);
		if (!chameleon_name_in_list(schemas, row->pg_schema))
			schemas = lappend(schemas, row->pg_schema);
	}
	foreach(lc, schemas)
		report(&rep, "guard", lfirst(lc), "removed: the tables take local writes");
	create_on_update_triggers(&rep, src);

	/* 6. the replication origin */
	chameleon_origin_name(MyDatabaseId, src->source_id, origin, sizeof(origin));
	if (replorigin_by_name(origin, true) != InvalidRepOriginId)
	{
		chameleon_origin_drop(MyDatabaseId, src->source_id);
		report(&rep, "replication_origin", origin, "dropped");
	}
	else
		report(&rep, "replication_origin", origin, "did not exist");

	/* 7. state */
	chameleon_source_set_state(src->source_id, "detached", NULL, true);
	report(&rep, "state", src->name, "detached");

	foreach(lc, schemas)
		report_extension_dependencies(&rep, lfirst(lc));
	PG_RETURN_NULL();
}
