/*
 * apply_session.c -- helpers of an apply session (apply_session.h): the
 * commit that ends a batch and the error-context callback that names the
 * binlog position of every failure.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "apply_session.h"
#include "transaction.h"

void
chameleon_session_commit(ChameleonApplySession *s)
{
	chameleon_xact_commit();
	MemoryContextSwitchTo(s->session_context);
	MemoryContextReset(s->batch_context);
}

void
chameleon_session_error_context(void *arg)
{
	ChameleonApplySession *s = (ChameleonApplySession *) arg;
	const ChameleonApplyWhere *where = &s->where;
	const char *name = s->source ? s->source->name : "?";

	if (where->file == NULL)
		return;
	if (where->table != NULL)
		errcontext("pg_chameleon source \"%s\", binlog %s:" UINT64_FORMAT "%s%s, table %s",
				   name, where->file, where->pos,
				   where->gtid ? ", GTID " : "", where->gtid ? where->gtid : "",
				   where->table);
	else
		errcontext("pg_chameleon source \"%s\", binlog %s:" UINT64_FORMAT "%s%s",
				   name, where->file, where->pos,
				   where->gtid ? ", GTID " : "", where->gtid ? where->gtid : "");
}
