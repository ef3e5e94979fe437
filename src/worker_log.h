/*
 * worker_log.h -- what the replica's workers write to the server log, by
 * the log_level of their configuration (worker_log.c).
 */
#ifndef CHAMELEON_WORKER_LOG_H
#define CHAMELEON_WORKER_LOG_H

#include "config.h"

/* The level of the workers' state-change messages: LOG, or DEBUG1 (hidden). */
extern int	chameleon_state_log_level;

/* Apply cfg->log_level to this worker process. */
extern void chameleon_worker_set_log_level(const ChameleonConfig *cfg);

#endif							/* CHAMELEON_WORKER_LOG_H */
