/*
 * list_util.h -- helpers for Lists of C strings (char *), which pg_list.h
 * does not have (its list_member compares Nodes).
 */
#ifndef CHAMELEON_LIST_UTIL_H
#define CHAMELEON_LIST_UTIL_H

#include "nodes/pg_list.h"

/* Is name (compared byte for byte, case-sensitively) an element of names? */
extern bool chameleon_name_in_list(const List *names, const char *name);

#endif							/* CHAMELEON_LIST_UTIL_H */
