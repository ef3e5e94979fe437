/*
 * guard.h -- replicated tables reject local writes (guard.c).
 */
#ifndef CHAMELEON_GUARD_H
#define CHAMELEON_GUARD_H

/*
 * Give a replicated table the triggers that reject INSERT, UPDATE, DELETE
 * and TRUNCATE by anyone but pg_chameleon's workers (which run with
 * session_replication_role = replica); in the caller's transaction.
 */
extern void chameleon_guard_table(const char *pg_schema, const char *pg_table,
								  const char *source_name);

/* Remove them (detach_replica, remove_tables); nothing if there are none. */
extern void chameleon_unguard_table(const char *pg_schema, const char *pg_table);

#endif							/* CHAMELEON_GUARD_H */
