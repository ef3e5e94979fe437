/*
 * list_util.c -- helpers for Lists of C strings (see list_util.h).
 */
#include "postgres.h"

#include "list_util.h"

bool
chameleon_name_in_list(const List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}
