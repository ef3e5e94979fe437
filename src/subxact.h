/*
 * subxact.h -- run a piece of work in an internal subtransaction and hand
 * its error back instead of failing the caller's transaction.
 */
#ifndef CHAMELEON_SUBXACT_H
#define CHAMELEON_SUBXACT_H

/*
 * Run fn(arg) in a subtransaction.  NULL when it worked (the subtransaction
 * is released); else the subtransaction is rolled back, the error state
 * flushed, and the error returned, copied into the caller's memory context.
 * Every error is caught: the caller decides what to re-throw.  fn runs in
 * the caller's memory context; on return the caller's memory context and
 * resource owner are current again.
 */
extern ErrorData *chameleon_run_in_subxact(void (*fn) (void *), void *arg);

/*
 * The same, tried again every 50 ms while it fails with ERRCODE_OBJECT_IN_USE
 * (a replication origin that an exiting worker has not released yet), for
 * up to wait_ms.  NULL when it worked; else the error that ended the tries
 * (any other error at once, or OBJECT_IN_USE after wait_ms).
 */
extern ErrorData *chameleon_run_in_subxact_while_in_use(void (*fn) (void *), void *arg,
														int wait_ms);

#endif							/* CHAMELEON_SUBXACT_H */
