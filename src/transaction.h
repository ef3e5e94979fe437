/*
 * transaction.h -- the transaction ritual of pg_chameleon's background
 * workers (STYLE habit 6), in one place for the apply and sync workers.
 */
#ifndef CHAMELEON_TRANSACTION_H
#define CHAMELEON_TRANSACTION_H

#include "postmaster/bgworker.h"

/* Start a transaction with an active snapshot. */
extern void chameleon_xact_begin(void);
/* Pop the snapshot, commit, report statistics. */
extern void chameleon_xact_commit(void);

/*
 * The settings of a background worker's session that commits as it goes:
 * read committed, no statement or lock timeout, an empty search_path.
 */
extern void chameleon_worker_session_settings(void);

/*
 * A dynamic background worker of this library, connected to a database,
 * started after recovery, never restarted by the postmaster, notifying this
 * process: function is its entry point, type its pg_stat_activity type,
 * name its name.  The caller sets bgw_main_arg and bgw_extra.
 */
extern void chameleon_bgw_init(BackgroundWorker *bgw, const char *function, const char *type,
							   const char *name);

#endif							/* CHAMELEON_TRANSACTION_H */
