/*
 * subxact.c -- run a piece of work in an internal subtransaction and hand
 * its error back (see subxact.h): the one copy of the
 * BeginInternalSubTransaction / PG_TRY / CopyErrorData ritual.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

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

ErrorData *
chameleon_run_in_subxact_while_in_use(void (*fn) (void *), void *arg, int wait_ms)
{
	TimestampTz start = GetCurrentTimestamp();

	for (;;)
	{
		ErrorData  *edata = chameleon_run_in_subxact(fn, arg);

		if (edata == NULL || edata->sqlerrcode != ERRCODE_OBJECT_IN_USE ||
			TimestampDifferenceMilliseconds(start, GetCurrentTimestamp()) > wait_ms)
			return edata;
		FreeErrorData(edata);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 50,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}
