/*
 * apply_relation.c -- the relation map of the apply path (apply_int.h), as
 * core's logical/relation.c is for its apply worker.
 *
 * Owns which MySQL tables the session replicates (its rows of
 * t_replica_tables: PostgreSQL table, state, copy snapshot position, the
 * end of the idempotent replay window of a sliced copy) and the table
 * versions: every TABLE_MAP resolved once against its PostgreSQL table --
 * column mapping by name, key columns (the primary key when every column
 * of it is replicated, else the first unique index of NOT NULL replicated
 * columns, else all columns), the other UNIQUE indexes on
 * replicated columns, the decoding definition
 * (from the map's own metadata, else tabledef.c's choice: the shape the
 * DDL stream recorded, else the source's information_schema through the
 * side connection kept here).
 * Everything lives in two contexts emptied again after DDL.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"

#include "apply_int.h"
#include "catalog.h"
#include "ddl_apply.h"
#include "mysql_client.h"
#include "tabledef.h"

static ChameleonApplySession *Session = NULL;
static MemoryContext RelmapContext = NULL;	/* the side connection */
static MemoryContext TargetsContext = NULL; /* Targets */
static MemoryContext VersionsContext = NULL;	/* Tables, their statements */
static HTAB *Targets = NULL;
static HTAB *Tables = NULL;
static MYSQL *SideConn = NULL;	/* information_schema lookups */

/* ---------------------------------------------------------------------
 * Targets: the replicated tables
 * ---------------------------------------------------------------------
 */

static void
load_targets(void)
{
	HASHCTL		ctl;
	ListCell   *lc;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN * 2;
	ctl.entrysize = sizeof(ChameleonApplyTarget);
	ctl.hcxt = TargetsContext;
	Targets = hash_create("pg_chameleon targets", 64, &ctl,
						  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	foreach(lc, chameleon_catalog_table_rows(Session->source_id))
	{
		ChameleonTableRow *row = lfirst(lc);
		ChameleonApplyTarget *t;
		bool		found;
		MemoryContext old;
		ListCell   *ld;

		if (strlen(row->mysql_table) >= NAMEDATALEN * 2)
			continue;
		t = hash_search(Targets, row->mysql_table, HASH_ENTER, &found);
		old = MemoryContextSwitchTo(TargetsContext);
		t->pg_schema = pstrdup(row->pg_schema);
		t->pg_table = pstrdup(row->pg_table);
		t->state = pstrdup(row->state);
		t->snapshot_file = row->snapshot_file ? pstrdup(row->snapshot_file) : NULL;
		t->snapshot_pos = (uint64) row->snapshot_position;
		t->replay_file = row->replay_file ? pstrdup(row->replay_file) : NULL;
		t->replay_pos = (uint64) row->replay_position;
		t->deferred_indexes = NIL;
		foreach(ld, row->deferred_indexes)
			t->deferred_indexes = lappend(t->deferred_indexes, pstrdup(lfirst(ld)));
		MemoryContextSwitchTo(old);
		t->in_error = strcmp(t->state, "copied") != 0 &&
			strcmp(t->state, "streaming") != 0;
		t->careful = chameleon_apply_is_careful(row->mysql_table);
		for (int k = CHAMELEON_EVENT_INSERT; k <= CHAMELEON_EVENT_DELETE; k++)
			t->skip_events[k] = chameleon_config_skips_events(Session->config,
															  (ChameleonEventKind) k,
															  row->mysql_table);
		t->batch_rows = 0;
	}
}

bool
chameleon_relmap_before_snapshot(const ChameleonApplyTarget *t, const char *file, uint64 pos)
{
	if (t->snapshot_file == NULL || file == NULL)
		return false;
	return chameleon_binlog_position_cmp(file, pos, t->snapshot_file, t->snapshot_pos) < 0;
}

bool
chameleon_relmap_in_window(const ChameleonApplyTarget *t, const char *file, uint64 pos)
{
	if (t->replay_file == NULL || file == NULL ||
		chameleon_relmap_before_snapshot(t, file, pos))
		return false;
	return chameleon_binlog_position_cmp(file, pos, t->replay_file, t->replay_pos) < 0;
}

/*
 * May a DDL statement on a source table at (file, pos) be applied?  Not
 * while the table is syncing, removed or in error (its rows are skipped
 * too), nor before its copy's snapshot: the copy already has the change
 * (sync_tables rewinds the stream and replays what the others hold).  A
 * table the replica does not know yet (CREATE TABLE) may.  *why says why not.
 */
bool
chameleon_apply_table_takes_ddl(const char *mysql_table, const char *file, uint64 pos,
								const char **why)
{
	ChameleonApplyTarget *t = chameleon_relmap_target(mysql_table);

	if (t == NULL)
		return true;
	if (t->in_error)
	{
		*why = psprintf("table %s is in state %s: its changes are skipped", mysql_table, t->state);
		return false;
	}
	if (chameleon_relmap_before_snapshot(t, file, pos))
	{
		*why = psprintf("table %s was copied at %s:" UINT64_FORMAT ", after this statement",
						mysql_table, t->snapshot_file, t->snapshot_pos);
		return false;
	}
	return true;
}

bool
chameleon_apply_table_takes_drop(const char *mysql_table, const char *file, uint64 pos,
								 const char **why)
{
	ChameleonApplyTarget *t = chameleon_relmap_target(mysql_table);

	/* in error (marked in this session, or before it); not syncing or removed */
	if (t != NULL && t->in_error && strcmp(t->state, "syncing") != 0 &&
		strcmp(t->state, "removed") != 0 && strcmp(t->state, "pending") != 0 &&
		!chameleon_relmap_before_snapshot(t, file, pos))
		return true;
	return chameleon_apply_table_takes_ddl(mysql_table, file, pos, why);
}

/*
 * Is the MySQL table one of the replica's tables (a row of t_replica_tables
 * that is not 'removed')?  Unknown names (temporary tables, tables left out
 * by tables_limit or never added) are not.
 */
bool
chameleon_apply_table_is_replicated(const char *mysql_table)
{
	ChameleonApplyTarget *t = chameleon_relmap_target(mysql_table);

	return t != NULL && strcmp(t->state, "removed") != 0;
}

/* ---------------------------------------------------------------------
 * Table versions
 * ---------------------------------------------------------------------
 */

/*
 * A UNIQUE index other than the primary key as MySQL columns (att: the
 * table's attribute index of each MySQL column, -1: none); false when it
 * is not on replicated columns alone (expression, predicate, a column
 * without a MySQL column).
 */
static bool
unique_key_of_index(ChameleonApplyTable *t, Relation idx, const int *att,
					ChameleonUniqueKey *key)
{
	Form_pg_index form = idx->rd_index;

	if (!form->indisunique || !form->indimmediate ||
		!heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL) ||
		!heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL))
		return false;
	key->ncols = form->indnkeyatts;
	key->cols = palloc(sizeof(int) * key->ncols);
	key->nulls_not_distinct = form->indnullsnotdistinct;
	for (int k = 0; k < key->ncols; k++)
	{
		int			col = -1;

		for (int i = 0; i < t->ncols && col < 0; i++)
			if (att[i] >= 0 && att[i] + 1 == form->indkey.values[k])
				col = i;
		if (col < 0)
			return false;
		key->cols[k] = col;
	}
	return true;
}

/* The UNIQUE indexes of the table besides its row identity (see apply_int.h). */
static void
resolve_uniques(ChameleonApplyTable *t, Relation rel, const int *att, Oid identity)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;

	t->nuniques = 0;
	t->uniques = palloc0(sizeof(ChameleonUniqueKey) * Max(list_length(indexes), 1));
	foreach(lc, indexes)
	{
		Relation	idx;

		if (lfirst_oid(lc) == identity)
			continue;
		idx = index_open(lfirst_oid(lc), AccessShareLock);
		if (unique_key_of_index(t, idx, att, &t->uniques[t->nuniques]))
			t->nuniques++;
		index_close(idx, AccessShareLock);
	}
	list_free(indexes);
}

/*
 * Can this index identify the rows?  Unique, immediate, without expression
 * or predicate, on NOT NULL columns that all have a MySQL column.
 */
static bool
index_identifies_rows(Relation rel, Oid indexoid, const int *att, int ncols)
{
	Relation	idx = index_open(indexoid, AccessShareLock);
	Form_pg_index form = idx->rd_index;
	bool		ok = form->indisunique && form->indimmediate &&
		heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
		heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL);

	for (int k = 0; ok && k < form->indnkeyatts; k++)
	{
		AttrNumber	attnum = form->indkey.values[k];
		bool		mapped = false;

		for (int i = 0; i < ncols; i++)
			mapped |= (att[i] >= 0 && att[i] + 1 == attnum);
		ok = mapped && attnum > 0 &&
			TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attnotnull;
	}
	index_close(idx, AccessShareLock);
	return ok;
}

/*
 * The row identity of a table: its primary key, else -- as PostgreSQL's
 * REPLICA IDENTITY USING INDEX, and as InnoDB takes the first unique index
 * of NOT NULL columns for its key -- the first such index (the one a copy
 * in slices followed, copy.c); InvalidOid: none, the rows are identified by
 * all their columns.
 */
static Oid
identity_index(Relation rel, const int *att, int ncols)
{
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	List	   *indexes;
	ListCell   *lc;
	Oid			found = InvalidOid;

	if (OidIsValid(pk))
		return index_identifies_rows(rel, pk, att, ncols) ? pk : InvalidOid;
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		if (index_identifies_rows(rel, lfirst_oid(lc), att, ncols))
		{
			found = lfirst_oid(lc);
			break;
		}
	}
	list_free(indexes);
	return found;
}

/* Resolve the columns of a map against the PostgreSQL table. */
static void
resolve_columns(ChameleonApplyTable *t, const ChameleonTableMap *map, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	ChameleonTableDef *src = chameleon_tabledef_for_map(map, chameleon_ddl_apply_table_def,
														Session->config, &SideConn,
														RelmapContext);
	ChameleonTableDef def;
	int		   *att;
	Oid			identity;

	t->ncols = map->ncols;
	t->colname = palloc0(sizeof(char *) * t->ncols);
	t->coltype = palloc0(sizeof(char *) * t->ncols);
	t->is_key = palloc0(sizeof(bool) * t->ncols);
	att = palloc(sizeof(int) * t->ncols);

	def.ncols = map->ncols;
	def.cols = palloc0(sizeof(ChameleonColumnDef) * map->ncols);
	for (int i = 0; i < map->ncols; i++)
	{
		const char *name = map->cols[i].name ? map->cols[i].name :
			(src ? src->cols[i].name : NULL);

		att[i] = chameleon_tabledef_attribute(desc, name, i);
		if (src)
			def.cols[i] = src->cols[i];
		else
		{
			def.cols[i].kind = -1;
			def.cols[i].is_unsigned = -1;
		}
		if (att[i] >= 0)
		{
			Form_pg_attribute a = TupleDescAttr(desc, att[i]);
			int			kind = chameleon_tabledef_kind_for_type(a->atttypid, &map->cols[i]);

			if (kind >= 0)
				def.cols[i].kind = kind;
			t->colname[i] = pstrdup(quote_identifier(NameStr(a->attname)));
			/*
			 * The type without its modifier: the column applies it on
			 * assignment (an explicit cast would truncate char/varchar/bit
			 * silently; "character" alone would mean char(1)).
			 */
			t->coltype[i] = format_type_extended(a->atttypid, -1,
												 FORMAT_TYPE_TYPEMOD_GIVEN |
												 FORMAT_TYPE_FORCE_QUALIFY);
		}
	}
	t->decode = chameleon_decode_prepare(map, &def, &(ChameleonDecodeOptions)
										 {.zero_dates_to_null = Session->config->zero_dates_to_null});

	/* row identity: a key whose every column is replicated, else all */
	identity = identity_index(rel, att, t->ncols);
	t->has_pk = OidIsValid(identity);
	if (t->has_pk)
	{
		Relation	idx = index_open(identity, AccessShareLock);

		for (int k = 0; k < idx->rd_index->indnkeyatts; k++)
			for (int i = 0; i < t->ncols; i++)
				if (att[i] >= 0 && att[i] + 1 == idx->rd_index->indkey.values[k])
					t->is_key[i] = true;
		index_close(idx, AccessShareLock);
	}
	else
		for (int i = 0; i < t->ncols; i++)
			t->is_key[i] = (t->colname[i] != NULL);
	resolve_uniques(t, rel, att, identity);
}

bool
chameleon_relmap_same_map(const ChameleonTableMap *a, const ChameleonTableMap *b)
{
	if (a->ncols != b->ncols || strcmp(a->table, b->table) != 0 ||
		strcmp(a->schema, b->schema) != 0)
		return false;
	for (int i = 0; i < a->ncols; i++)
		if (a->cols[i].type != b->cols[i].type || a->cols[i].meta != b->cols[i].meta)
			return false;
	return true;
}

void
chameleon_relmap_resolve(ChameleonApplyTable *t, const ChameleonTableMap *map)
{
	ChameleonApplyTarget *target = t->target;
	MemoryContext old;
	Oid			relid;
	Relation	rel;

	t->cxt = VersionsContext;
	old = MemoryContextSwitchTo(VersionsContext);
	t->name = psprintf("%s.%s", map->schema, map->table);
	t->qualified = psprintf("%s.%s", quote_identifier(target->pg_schema),
							quote_identifier(target->pg_table));
	relid = RangeVarGetRelid(makeRangeVar(target->pg_schema, target->pg_table, -1),
							 AccessShareLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("replicated table %s does not exist", t->qualified),
				 errhint("Copy the table again with chameleon.sync_tables().")));
	rel = table_open(relid, NoLock);
	/* a table version keeps its own copy: the reader's maps are short-lived */
	resolve_columns(t, chameleon_table_map_copy(map), rel);
	table_close(rel, NoLock);
	MemoryContextSwitchTo(old);
}

/* ---------------------------------------------------------------------
 * The map's life
 * ---------------------------------------------------------------------
 */

/* The targets from the catalog, and no table version yet. */
static void
load_targets_and_versions(void)
{
	HASHCTL		ctl;

	load_targets();
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(ChameleonApplyTable);
	ctl.hcxt = VersionsContext;
	Tables = hash_create("pg_chameleon table versions", 64, &ctl,
						 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

void
chameleon_relmap_open(ChameleonApplySession *session, MemoryContext parent)
{
	Session = session;
	RelmapContext = parent;
	/* emptied again after DDL (chameleon_relmap_reload) */
	TargetsContext = AllocSetContextCreate(parent, "pg_chameleon apply targets",
										   ALLOCSET_DEFAULT_SIZES);
	VersionsContext = AllocSetContextCreate(parent, "pg_chameleon apply table versions",
											ALLOCSET_DEFAULT_SIZES);
	load_targets_and_versions();
}

void
chameleon_relmap_close(void)
{
	Tables = NULL;
	Targets = NULL;
	SideConn = NULL;			/* closed with the parent context */
	TargetsContext = NULL;		/* children of the parent context */
	VersionsContext = NULL;
}

void
chameleon_relmap_reload(void)
{
	Tables = NULL;
	Targets = NULL;
	MemoryContextReset(TargetsContext);
	MemoryContextReset(VersionsContext);
	load_targets_and_versions();
}

ChameleonApplyTarget *
chameleon_relmap_target(const char *mysql_table)
{
	if (Targets == NULL || strlen(mysql_table) >= NAMEDATALEN * 2)
		return NULL;
	return hash_search(Targets, mysql_table, HASH_FIND, NULL);
}

void
chameleon_relmap_foreach_target(void (*fn) (ChameleonApplyTarget *t))
{
	HASH_SEQ_STATUS seq;
	ChameleonApplyTarget *t;

	if (Targets == NULL)
		return;
	hash_seq_init(&seq, Targets);
	while ((t = hash_seq_search(&seq)) != NULL)
		fn(t);
}

void
chameleon_relmap_foreach_version(void (*fn) (ChameleonApplyTable *t))
{
	HASH_SEQ_STATUS seq;
	ChameleonApplyTable *t;

	if (Tables == NULL)
		return;
	hash_seq_init(&seq, Tables);
	while ((t = hash_seq_search(&seq)) != NULL)
		fn(t);
}

ChameleonApplyTable *
chameleon_relmap_version(const ChameleonTableMap *map, bool *found)
{
	return hash_search(Tables, &map->table_id, HASH_ENTER, found);
}
