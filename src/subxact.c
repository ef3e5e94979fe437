/*
 * subxact.c -- run a piece of work in an internal subtransaction and hand
 * its error back (see subxact.h): the one copy of the
 * BeginInternalSubTransaction / PG_TRY / CopyErrorData ritual.
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/resowner.h"

#include "subxact.h"

ErrorData *
chameleon_run_in_subxact(void (*fn) (void *), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return edata;
}
