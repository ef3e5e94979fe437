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

#endif							/* CHAMELEON_SUBXACT_H */
