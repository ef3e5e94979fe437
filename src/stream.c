/*
 * stream.c -- one streaming session of the apply worker with its source.
 *
 * Phase 1 placeholder: the binlog reader and the row apply are not merged
 * yet, so a session only keeps the worker alive: it reports itself
 * streaming, wakes every heartbeat_period and honours stop/reload at every
 * turn.  The real loop (open the binlog at MyPosition, read, apply, commit
 * per batch) replaces the body of chameleon_stream_session().
 */
#include "postgres.h"

#include "miscadmin.h"

#include "worker.h"
#include "worker_loop.h"

ChameleonBoundary
chameleon_stream_session(void)
{
	chameleon_worker_streaming();
	for (;;)
	{
		ChameleonBoundary next = chameleon_worker_boundary();

		if (next != CHAMELEON_BOUNDARY_CONTINUE)
			return next;
		chameleon_worker_nap(MyConfig->heartbeat_period * 1000L);
		chameleon_slot_report_heartbeat(true);
	}
}
