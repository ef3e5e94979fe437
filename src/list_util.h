/*
 * list_util.h -- helpers for Lists of C strings (char *), which pg_list.h
 * does not have (its list_member compares Nodes).
 */
#ifndef CHAMELEON_LIST_UTIL_H
#define CHAMELEON_LIST_UTIL_H

#include "nodes/pg_list.h"

/* Is name (compared byte for byte, case-sensitively) an element of names? */
extern bool chameleon_name_in_list(const List *names, const char *name);

/*
 * Is the table named by a rule list (tables_limit, skip_tables, skip_events,
 * type_override tables)?  An entry names it exactly, or is "*" (every
 * table), or "db.*" (every table of database db: key is "db.table").
 */
static inline bool
chameleon_table_listed(const List *entries, const char *key)
{
	const ListCell *lc;

	foreach(lc, entries)
	{
		const char *e = (const char *) lfirst(lc);
		size_t		len = strlen(e);

		if (strcmp(e, key) == 0 || strcmp(e, "*") == 0 ||
			(len > 2 && strcmp(e + len - 2, ".*") == 0 &&
			 strncmp(e, key, len - 1) == 0))
			return true;
	}
	return false;
}

#endif							/* CHAMELEON_LIST_UTIL_H */
