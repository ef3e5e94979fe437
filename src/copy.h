/*
 * copy.h -- init_replica: consistent snapshot of MySQL and the data copy.
 *
 * copy.c owns opening a consistent snapshot on the source with its binlog
 * coordinates, streaming every table into PostgreSQL's COPY through a data
 * callback (or a CSV file, copy_mode: file), and the whole init_replica
 * sequence, in the caller's transaction.
 */
#ifndef CHAMELEON_COPY_H
#define CHAMELEON_COPY_H

/* The binlog coordinates the copied data is consistent with. */
typedef struct ChameleonSnapshot
{
	char	   *binlog_file;	/* NULL when the binary log is off */
	int64		binlog_position;
	char	   *gtid;			/* MariaDB gtid position / MySQL executed set; NULL if none */
	bool		global_lock;	/* FLUSH TABLES WITH READ LOCK was needed */
} ChameleonSnapshot;

/*
 * chameleon.init_replica(): create the PostgreSQL schema of the configured
 * MySQL database and copy every table consistently.  config_path NULL means
 * the pg_chameleon.config GUC.  force drops an existing replica first.
 * Returns a one-line summary.
 */
extern char *chameleon_copy_init_replica(const char *config_path, bool force);

#endif							/* CHAMELEON_COPY_H */
