/*
 * transaction.c -- the transaction ritual of the background workers: a
 * transaction with an active snapshot, committed with statistics reported.
 * Used by the apply worker (worker.c, apply_session.c) and the sync worker.
 */
#include "postgres.h"

#include "access/xact.h"
#include "pgstat.h"
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
