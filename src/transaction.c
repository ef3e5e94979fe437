/*
 * transaction.c -- the transaction ritual of the background workers: a
 * transaction with an active snapshot, committed with statistics reported.
 * Used by the apply worker (worker.c, apply_session.c), the sync worker and
 * the copy leader and workers; and the session settings the last three share.
 */
#include "postgres.h"

#include "access/xact.h"
#include "pgstat.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "transaction.h"

void
chameleon_xact_begin(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
}

void
chameleon_xact_commit(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
}

void
chameleon_worker_session_settings(void)
{
	/* a fresh snapshot per statement must show what the other workers committed */
	SetConfigOption("default_transaction_isolation", "read committed",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("search_path", "", PGC_SUSET, PGC_S_OVERRIDE);
}
