/*
 * binlog.h -- MySQL/MariaDB binary log events: framing and parsing.
 *
 * binlog.c owns the event layer: the 19-byte common header, the
 * FORMAT_DESCRIPTION state (checksum algorithm, post-header lengths), CRC32
 * verification, decompression of MariaDB compressed events, and the bodies
 * of the control events (ROTATE, QUERY, XID, GTID, GTID_LIST, ...).
 * binlog_tablemap.c owns TABLE_MAP events; decode.c turns rows events into
 * values.  Where the events come from is a ChameleonBinlogReader: a local
 * binlog file (binlog_file.c) or the replication stream (binlog_stream.c).
 *
 * Everything parsed is palloc'd in CurrentMemoryContext, except the table
 * map cache, which lives in the state's own context.  Damaged input is an
 * ERROR with ERRCODE_DATA_CORRUPTED, never a crash.
 */
#ifndef CHAMELEON_BINLOG_H
#define CHAMELEON_BINLOG_H

#include "nodes/pg_list.h"
#include "utils/hsearch.h"

/* Event type codes (MySQL and MariaDB share 0..35; 160.. are MariaDB's). */
#define BL_UNKNOWN_EVENT			0
#define BL_START_EVENT_V3			1
#define BL_QUERY_EVENT				2
#define BL_STOP_EVENT				3
#define BL_ROTATE_EVENT				4
#define BL_INTVAR_EVENT				5
#define BL_APPEND_BLOCK_EVENT		9	/* LOAD DATA's file (statement-based) */
#define BL_DELETE_FILE_EVENT		11
#define BL_RAND_EVENT				13
#define BL_USER_VAR_EVENT			14
#define BL_FORMAT_DESCRIPTION_EVENT	15
#define BL_XID_EVENT				16
#define BL_BEGIN_LOAD_QUERY_EVENT	17
#define BL_EXECUTE_LOAD_QUERY_EVENT	18	/* LOAD DATA as a statement: a QUERY body */
#define BL_TABLE_MAP_EVENT			19
#define BL_WRITE_ROWS_EVENT_V1		23
#define BL_UPDATE_ROWS_EVENT_V1		24
#define BL_DELETE_ROWS_EVENT_V1		25
#define BL_INCIDENT_EVENT			26
#define BL_HEARTBEAT_EVENT			27
#define BL_IGNORABLE_EVENT			28
#define BL_ROWS_QUERY_EVENT			29
#define BL_WRITE_ROWS_EVENT_V2		30
#define BL_UPDATE_ROWS_EVENT_V2		31
#define BL_DELETE_ROWS_EVENT_V2		32
#define BL_GTID_EVENT				33	/* MySQL */
#define BL_ANONYMOUS_GTID_EVENT		34	/* MySQL */
#define BL_PREVIOUS_GTIDS_EVENT		35	/* MySQL */
#define BL_TRANSACTION_CONTEXT_EVENT 36
#define BL_VIEW_CHANGE_EVENT		37
#define BL_XA_PREPARE_EVENT			38
#define BL_PARTIAL_UPDATE_ROWS_EVENT 39
#define BL_TRANSACTION_PAYLOAD_EVENT 40
#define BL_HEARTBEAT_V2_EVENT		41
#define BL_GTID_TAGGED_EVENT		42
#define BL_MARIA_ANNOTATE_ROWS_EVENT 160
#define BL_MARIA_BINLOG_CHECKPOINT_EVENT 161
#define BL_MARIA_GTID_EVENT			162
#define BL_MARIA_GTID_LIST_EVENT	163
#define BL_MARIA_START_ENCRYPTION_EVENT 164
#define BL_MARIA_QUERY_COMPRESSED_EVENT 165
#define BL_MARIA_WRITE_ROWS_COMPRESSED_V1 166
#define BL_MARIA_UPDATE_ROWS_COMPRESSED_V1 167
#define BL_MARIA_DELETE_ROWS_COMPRESSED_V1 168
#define BL_MARIA_WRITE_ROWS_COMPRESSED 169
#define BL_MARIA_UPDATE_ROWS_COMPRESSED 170
#define BL_MARIA_DELETE_ROWS_COMPRESSED 171

/* Common header */
#define BL_HEADER_LEN				19
#define BL_CHECKSUM_LEN				4
#define BL_FLAG_IN_USE				0x0001	/* LOG_EVENT_BINLOG_IN_USE_F */
#define BL_FLAG_ARTIFICIAL			0x0020	/* LOG_EVENT_ARTIFICIAL_F */
#define BL_FLAG_IGNORABLE			0x0080	/* LOG_EVENT_IGNORABLE_F */

/* Checksum algorithms (FORMAT_DESCRIPTION) */
#define BL_CHECKSUM_OFF				0
#define BL_CHECKSUM_CRC32			1
#define BL_CHECKSUM_UNDEF			255

/* Rows event flags */
#define BL_ROWS_STMT_END_F			0x0001

/* MariaDB GTID flags2 */
#define BL_MARIA_GTID_STANDALONE	0x01
#define BL_MARIA_GTID_GROUP_COMMIT	0x02
#define BL_MARIA_GTID_TRANSACTIONAL	0x04
#define BL_MARIA_GTID_DDL			0x20
#define BL_MARIA_GTID_PREPARED_XA	0x40
#define BL_MARIA_GTID_COMPLETED_XA	0x80

/* Column types as written in TABLE_MAP (enum_field_types) */
#define MYT_DECIMAL		0
#define MYT_TINY		1
#define MYT_SHORT		2
#define MYT_LONG		3
#define MYT_FLOAT		4
#define MYT_DOUBLE		5
#define MYT_NULL		6
#define MYT_TIMESTAMP	7
#define MYT_LONGLONG	8
#define MYT_INT24		9
#define MYT_DATE		10
#define MYT_TIME		11
#define MYT_DATETIME	12
#define MYT_YEAR		13
#define MYT_NEWDATE		14
#define MYT_VARCHAR		15
#define MYT_BIT			16
#define MYT_TIMESTAMP2	17
#define MYT_DATETIME2	18
#define MYT_TIME2		19
#define MYT_TYPED_ARRAY	20
#define MYT_BLOB_COMPRESSED 140		/* MariaDB column compression */
#define MYT_VARCHAR_COMPRESSED 141
#define MYT_VECTOR		242
#define MYT_INVALID		243
#define MYT_BOOL		244
#define MYT_JSON		245
#define MYT_NEWDECIMAL	246
#define MYT_ENUM		247
#define MYT_SET			248
#define MYT_TINY_BLOB	249
#define MYT_MEDIUM_BLOB	250
#define MYT_LONG_BLOB	251
#define MYT_BLOB		252
#define MYT_VAR_STRING	253
#define MYT_STRING		254
#define MYT_GEOMETRY	255

/* The state kept from the current binlog's FORMAT_DESCRIPTION event. */
typedef struct ChameleonBinlogFormat
{
	bool		valid;			/* a FORMAT_DESCRIPTION was seen */
	uint16		binlog_version;
	char		server_version[51];
	uint8		header_len;		/* common header length, 19 */
	uint8		checksum_alg;	/* BL_CHECKSUM_* */
	int			n_post_header;
	uint8		post_header_len[256];	/* indexed by event type - 1 */
	bool		is_mariadb;
} ChameleonBinlogFormat;

/* One column of a TABLE_MAP event, metadata already split by type. */
typedef struct ChameleonMapColumn
{
	uint8		type;			/* type byte of the table map */
	uint8		real_type;		/* STRING: STRING, ENUM or SET; else = type */
	uint16		meta;			/* raw metadata (first byte in the high byte) */
	uint32		length;			/* STRING/VARCHAR: max bytes; BLOB/GEOMETRY/JSON:
								 * length bytes; ENUM/SET: pack length */
	uint8		precision;		/* NEWDECIMAL */
	uint8		scale;			/* NEWDECIMAL */
	uint8		fsp;			/* TIME2/DATETIME2/TIMESTAMP2 */
	uint16		nbits;			/* BIT */
	bool		nullable;
	int8		is_unsigned;	/* numeric columns: 1/0, -1 unknown */
	int			collation;		/* character columns: collation id, -1 unknown */
	char	   *name;			/* NULL unless the table map has names */
	int			nlabels;		/* ENUM/SET labels, -1 unknown */
	char	  **labels;
	int			geometry_type;	/* -1 unknown */
	bool		in_primary_key;
	bool		visible;
} ChameleonMapColumn;

/* A parsed TABLE_MAP event. */
typedef struct ChameleonTableMap
{
	uint64		table_id;
	uint16		flags;
	char	   *schema;
	char	   *table;
	int			ncols;
	ChameleonMapColumn *cols;
	bool		has_signedness;	/* optional metadata present */
	bool		has_names;
	bool		has_labels;
	bool		has_charsets;
	int			npk;			/* primary key columns, -1 unknown */
	int		   *pk;
} ChameleonTableMap;

typedef enum ChameleonRowsKind
{
	CHAMELEON_ROWS_WRITE,
	CHAMELEON_ROWS_UPDATE,
	CHAMELEON_ROWS_DELETE
} ChameleonRowsKind;

/* A parsed rows event (WRITE/UPDATE/DELETE, v1, v2 or MariaDB compressed). */
typedef struct ChameleonRowsEvent
{
	ChameleonRowsKind kind;
	int			version;		/* 1 or 2 */
	bool		compressed;
	uint64		table_id;
	uint16		flags;
	int			ncols;
	const uint8 *present;		/* columns-present bitmap (before image) */
	const uint8 *present_after; /* UPDATE: after image; else NULL */
	const uint8 *rows;			/* the row images */
	size_t		rows_len;
} ChameleonRowsEvent;

typedef struct ChameleonQueryEvent
{
	uint32		thread_id;
	uint32		exec_time;
	uint16		error_code;
	char	   *db;				/* default database, "" when none */
	char	   *query;
	int			client_charset; /* -1 when the status var is absent */
	int			connection_collation;
	int			server_collation;
	int64		sql_mode;		/* -1 when absent */
} ChameleonQueryEvent;

/* A parsed event.  Only the part for its type is filled. */
typedef struct ChameleonBinlogEvent
{
	/* common header */
	uint32		timestamp;
	uint8		type;			/* after decompression: the plain type */
	uint8		wire_type;		/* the type byte as read */
	uint32		server_id;
	uint32		event_size;		/* as read, including header and checksum */
	uint32		log_pos;		/* header: end position in the source file */
	uint16		flags;

	/* where: filled by the reader */
	const char *file;
	uint64		position;		/* start of the event in file */
	uint64		end_position;

	const uint8 *raw;			/* the whole event as read */

	/* bodies */
	struct
	{
		uint64		position;
		char	   *file;
	}			rotate;
	ChameleonQueryEvent query;
	uint64		xid;
	char	   *gtid;			/* MariaDB d-s-n, MySQL uuid:gno */
	uint8		gtid_flags;
	char	   *gtid_list;		/* GTID_LIST / PREVIOUS_GTIDS as text */
	char	   *text;			/* ANNOTATE_ROWS / ROWS_QUERY / checkpoint file /
								 * heartbeat file / incident message */
	ChameleonTableMap *table_map;
	ChameleonRowsEvent rows;
	struct
	{
		uint64		compression;	/* 0 zstd, 255 none */
		uint64		uncompressed_size;
		const uint8 *data;		/* the (compressed) events */
		size_t		size;
	}			payload;
	bool		in_payload;		/* delivered from inside a TRANSACTION_PAYLOAD */
} ChameleonBinlogEvent;

/* Parser state: the format of the current file and the table map cache. */
typedef struct ChameleonBinlogState
{
	ChameleonBinlogFormat fmt;
	bool		verify_checksum;
	MemoryContext map_cxt;		/* owns the table maps */
	HTAB	   *maps;			/* table_id -> ChameleonTableMap * */
	char		gtid[128];		/* GTID of the current transaction, "" if none */
	bool		in_transaction;
	bool		gtid_ends;		/* the last event ended the transaction */
	bool		in_payload;		/* parsing events of a TRANSACTION_PAYLOAD:
								 * they carry no checksum */
} ChameleonBinlogState;

extern void chameleon_binlog_state_init(ChameleonBinlogState *st);
extern void chameleon_binlog_state_reset_maps(ChameleonBinlogState *st);

/*
 * Parse one whole event (common header .. checksum) of len bytes.  Updates
 * st for FORMAT_DESCRIPTION and TABLE_MAP events.  Unknown events are an
 * ERROR unless flagged ignorable.  ev->file/position are left to the caller.
 */
extern void chameleon_binlog_parse_event(ChameleonBinlogState *st,
										 const uint8 *buf, size_t len,
										 ChameleonBinlogEvent *ev);

/* The table map for a rows event; if none was seen, NULL or an ERROR. */
extern ChameleonTableMap *chameleon_binlog_lookup_map(ChameleonBinlogState *st,
													  uint64 table_id,
													  bool missing_ok);

/* Event type name as SHOW BINLOG EVENTS prints it, e.g. Write_rows_v1. */
extern const char *chameleon_binlog_event_name(uint8 type);
/* ERROR for a row event whose rows cannot be decoded (partial JSON updates). */
extern void chameleon_binlog_require_decodable_rows(const ChameleonBinlogEvent *ev);

/* Short human summary of a parsed event (for chameleon.binlog_events). */
extern char *chameleon_binlog_event_summary(const ChameleonBinlogEvent *ev);

/* Table map parsing (binlog_tablemap.c) */
extern char *chameleon_format_uuid(const uint8 *u);
extern ChameleonTableMap *chameleon_table_map_copy(const ChameleonTableMap *map);
extern ChameleonTableMap *chameleon_parse_table_map(const ChameleonBinlogFormat *fmt,
													const uint8 *body, size_t len);
extern bool chameleon_mysql_type_is_numeric(uint8 real_type);
extern bool chameleon_mysql_type_is_character(uint8 real_type);

/*
 * Error context: set what is being read so errors say where in the binlog
 * they happened.  Push with chameleon_binlog_context_push(), pop with
 * chameleon_binlog_context_pop().
 */
typedef struct ChameleonBinlogWhere
{
	const char *file;
	uint64		position;
	int			event_type;		/* -1 unknown */
	const char *table;			/* schema.table being decoded, or NULL */
} ChameleonBinlogWhere;

extern void chameleon_binlog_context_push(ErrorContextCallback *cb,
										  ChameleonBinlogWhere *where);
extern void chameleon_binlog_context_pop(ErrorContextCallback *cb);

/*
 * Event sources.  A reader delivers whole events in order and tracks the
 * file name and position; both sources share chameleon_binlog_read().
 */
typedef struct ChameleonBinlogReader ChameleonBinlogReader;

typedef struct ChameleonBinlogSourceOps
{
	/*
	 * Next raw event: point buf at its bytes and len at its size (valid
	 * until the next call) and return true, or return false at the end.
	 */
	bool		(*next) (ChameleonBinlogReader *reader, const uint8 **buf,
						 size_t *len);
	void		(*close) (ChameleonBinlogReader *reader);
} ChameleonBinlogSourceOps;

struct ChameleonBinlogReader
{
	ChameleonBinlogState state;
	MemoryContext cxt;			/* where the reader and its file name live */
	const ChameleonBinlogSourceOps *ops;
	void	   *source;			/* the source's private data */
	char	   *file;			/* current binlog file name */
	uint64		position;		/* start of the next event */
	bool		is_file;		/* local file: positions are file offsets */
	uint64		events_read;
	char	   *stop_file;		/* stream: stop on reaching stop_file:stop_position */
	uint64		stop_position;

	/* events of a MySQL TRANSACTION_PAYLOAD still to be delivered */
	uint8	   *payload;
	size_t		payload_len;
	size_t		payload_off;
	uint64		payload_position;	/* where the payload event is */
	uint64		payload_end;
};

/* Order of two binlog positions (file, offset): -1, 0 or 1. */
extern int	chameleon_binlog_position_cmp(const char *file_a, uint64 pos_a,
										  const char *file_b, uint64 pos_b);
/* Read the next event; false at the end of the source. */
extern bool chameleon_binlog_read(ChameleonBinlogReader *reader,
								  ChameleonBinlogEvent *ev);
extern void chameleon_binlog_close(ChameleonBinlogReader *reader);

/* binlog_file.c: a local binlog file (magic 0xfe 'b' 'i' 'n'). */
extern ChameleonBinlogReader *chameleon_binlog_open_file(const char *path);

#endif							/* CHAMELEON_BINLOG_H */
