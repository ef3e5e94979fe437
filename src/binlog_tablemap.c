/*
 * binlog_tablemap.c -- TABLE_MAP events (see binlog.h).
 *
 * Owns the layout of a table map: names, column types, the per-type
 * metadata block, the nullable bitmap and the optional metadata TLVs that
 * binlog_row_metadata=MINIMAL/FULL adds (signedness, charsets, column
 * names, ENUM/SET labels, geometry types, primary key, visibility).
 *
 * Counting rules of the TLVs (which columns a list covers) follow the
 * server: signedness covers numeric columns (TINY, SHORT, INT24, LONG,
 * LONGLONG, NEWDECIMAL, FLOAT, DOUBLE), charsets cover character columns
 * (STRING, VARCHAR, VAR_STRING, BLOB, GEOMETRY by their real type), and
 * ENUM/SET columns are counted by their real type from the metadata.
 */
#include "postgres.h"

#include "binlog.h"
#include "binlog_read.h"

/* Optional metadata field types */
#define OM_SIGNEDNESS					1
#define OM_DEFAULT_CHARSET				2
#define OM_COLUMN_CHARSET				3
#define OM_COLUMN_NAME					4
#define OM_SET_STR_VALUE				5
#define OM_ENUM_STR_VALUE				6
#define OM_GEOMETRY_TYPE				7
#define OM_SIMPLE_PRIMARY_KEY			8
#define OM_PRIMARY_KEY_WITH_PREFIX		9
#define OM_ENUM_AND_SET_DEFAULT_CHARSET 10
#define OM_ENUM_AND_SET_COLUMN_CHARSET	11
#define OM_COLUMN_VISIBILITY			12

bool
chameleon_mysql_type_is_numeric(uint8 real_type)
{
	switch (real_type)
	{
		case MYT_TINY:
		case MYT_SHORT:
		case MYT_INT24:
		case MYT_LONG:
		case MYT_LONGLONG:
		case MYT_NEWDECIMAL:
		case MYT_FLOAT:
		case MYT_DOUBLE:
			return true;
		default:
			return false;
	}
}

bool
chameleon_mysql_type_is_character(uint8 real_type)
{
	switch (real_type)
	{
		case MYT_STRING:
		case MYT_VAR_STRING:
		case MYT_VARCHAR:
		case MYT_BLOB:
		case MYT_GEOMETRY:
			return true;
		default:
			return false;
	}
}

static bool
is_enum_or_set(uint8 real_type)
{
	return real_type == MYT_ENUM || real_type == MYT_SET;
}

/* Read the metadata of one column from the metadata block. */
static void
read_column_meta(ChameleonByteReader *r, ChameleonMapColumn *c)
{
	uint8		b0,
				b1;

	c->real_type = c->type;
	switch (c->type)
	{
		case MYT_FLOAT:
		case MYT_DOUBLE:
			c->meta = chameleon_read_u8(r, "float metadata");
			c->length = c->meta;
			break;
		case MYT_BLOB:
		case MYT_TINY_BLOB:
		case MYT_MEDIUM_BLOB:
		case MYT_LONG_BLOB:
		case MYT_GEOMETRY:
		case MYT_JSON:
		case MYT_BLOB_COMPRESSED:
		case MYT_VECTOR:
			c->meta = chameleon_read_u8(r, "blob metadata");
			c->length = c->meta;
			if (c->type != MYT_VECTOR && (c->length < 1 || c->length > 4))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("invalid length size %u for a blob column", c->length)));
			break;
		case MYT_VARCHAR:
		case MYT_VAR_STRING:
		case MYT_VARCHAR_COMPRESSED:
			c->meta = chameleon_read_u16(r, "varchar metadata");
			c->length = c->meta;
			break;
		case MYT_BIT:
			b0 = chameleon_read_u8(r, "bit metadata");
			b1 = chameleon_read_u8(r, "bit metadata");
			c->meta = (uint16) ((b1 << 8) | b0);
			c->nbits = b1 * 8 + b0;
			if (c->nbits == 0 || c->nbits > 64)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("invalid BIT column width %u", c->nbits)));
			break;
		case MYT_NEWDECIMAL:
			b0 = chameleon_read_u8(r, "decimal precision");
			b1 = chameleon_read_u8(r, "decimal scale");
			c->meta = (uint16) ((b0 << 8) | b1);
			c->precision = b0;
			c->scale = b1;
			if (b0 == 0 || b0 > 65 || b1 > 30 || b1 > b0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("invalid DECIMAL(%u,%u) column", b0, b1)));
			break;
		case MYT_STRING:
		case MYT_ENUM:
		case MYT_SET:
			b0 = chameleon_read_u8(r, "string metadata");
			b1 = chameleon_read_u8(r, "string metadata");
			c->meta = (uint16) ((b0 << 8) | b1);
			if (b0 != 0 && (b0 & 0x30) != 0x30)
			{
				/* CHAR longer than 255 bytes: length bits hidden in byte 0 */
				c->real_type = b0 | 0x30;
				c->length = b1 | (((b0 & 0x30) ^ 0x30) << 4);
			}
			else
			{
				c->real_type = b0 ? b0 : c->type;
				c->length = b1;
			}
			if (is_enum_or_set(c->real_type) &&
				(c->length < 1 || c->length > (c->real_type == MYT_ENUM ? 2u : 8u)))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("invalid pack length %u for an ENUM or SET column", c->length)));
			break;
		case MYT_TIME2:
		case MYT_DATETIME2:
		case MYT_TIMESTAMP2:
			c->meta = chameleon_read_u8(r, "fractional seconds precision");
			c->fsp = (uint8) c->meta;
			if (c->fsp > 6)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("invalid fractional seconds precision %u", c->fsp)));
			break;
		default:
			c->meta = 0;
			break;
	}
}

/* Bitmap with the most significant bit first (optional metadata style). */
static bool
msb_bit(const uint8 *bits, size_t nbytes, int i)
{
	if ((size_t) (i / 8) >= nbytes)
		return false;
	return (bits[i / 8] >> (7 - i % 8)) & 1;
}

static void
om_signedness(ChameleonTableMap *map, ChameleonByteReader *v)
{
	size_t		nbytes = chameleon_reader_left(v);
	int			k = 0;

	for (int i = 0; i < map->ncols; i++)
	{
		ChameleonMapColumn *c = &map->cols[i];

		if (!chameleon_mysql_type_is_numeric(c->real_type))
			continue;
		c->is_unsigned = msb_bit(v->p, nbytes, k++) ? 1 : 0;
	}
	map->has_signedness = true;
}

typedef bool (*ColumnFilter) (uint8 real_type);

/* DEFAULT_CHARSET style: default collation, then (index, collation) pairs. */
static void
om_default_charset(ChameleonTableMap *map, ChameleonByteReader *v, ColumnFilter filter)
{
	int			dflt = (int) chameleon_read_packed(v, "default collation");
	int			k = 0;
	int		   *idx = palloc(sizeof(int) * map->ncols);

	for (int i = 0; i < map->ncols; i++)
	{
		if (!filter(map->cols[i].real_type))
			continue;
		map->cols[i].collation = dflt;
		idx[k++] = i;
	}
	while (chameleon_reader_left(v) > 0)
	{
		uint64		pos = chameleon_read_packed(v, "charset column index");
		int			coll = (int) chameleon_read_packed(v, "column collation");

		if (pos >= (uint64) k)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("charset entry for column " UINT64_FORMAT " of %d", pos, k)));
		map->cols[idx[pos]].collation = coll;
	}
	map->has_charsets = true;
}

/* COLUMN_CHARSET style: one collation per matching column. */
static void
om_column_charset(ChameleonTableMap *map, ChameleonByteReader *v, ColumnFilter filter)
{
	for (int i = 0; i < map->ncols; i++)
	{
		if (!filter(map->cols[i].real_type))
			continue;
		map->cols[i].collation = (int) chameleon_read_packed(v, "column collation");
	}
	map->has_charsets = true;
}

static char *
read_packed_string(ChameleonByteReader *v, const char *what)
{
	uint64		n = chameleon_read_packed(v, what);
	const uint8 *p;
	char	   *s;

	if (n > chameleon_reader_left(v))
		chameleon_reader_overrun(v, (size_t) n, what);
	p = chameleon_read_bytes(v, (size_t) n, what);
	s = palloc(n + 1);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static void
om_column_names(ChameleonTableMap *map, ChameleonByteReader *v)
{
	for (int i = 0; i < map->ncols; i++)
		map->cols[i].name = read_packed_string(v, "column name");
	map->has_names = true;
}

static void
om_labels(ChameleonTableMap *map, ChameleonByteReader *v, uint8 real_type)
{
	for (int i = 0; i < map->ncols; i++)
	{
		ChameleonMapColumn *c = &map->cols[i];
		uint64		n;

		if (c->real_type != real_type)
			continue;
		n = chameleon_read_packed(v, "number of labels");
		if (n > chameleon_reader_left(v) || n > 65535)
			chameleon_reader_overrun(v, (size_t) Min(n, 65536), "labels");
		c->nlabels = (int) n;
		c->labels = palloc(sizeof(char *) * Max(n, 1));
		for (uint64 j = 0; j < n; j++)
			c->labels[j] = read_packed_string(v, "label");
	}
	map->has_labels = true;
}

static void
om_geometry_types(ChameleonTableMap *map, ChameleonByteReader *v)
{
	for (int i = 0; i < map->ncols; i++)
		if (map->cols[i].real_type == MYT_GEOMETRY)
			map->cols[i].geometry_type = (int) chameleon_read_packed(v, "geometry type");
}

static void
om_primary_key(ChameleonTableMap *map, ChameleonByteReader *v, bool with_prefix)
{
	int			cap = 8;

	map->npk = 0;
	map->pk = palloc(sizeof(int) * cap);
	while (chameleon_reader_left(v) > 0)
	{
		uint64		col = chameleon_read_packed(v, "primary key column");

		if (with_prefix)
			(void) chameleon_read_packed(v, "primary key prefix");
		if (col >= (uint64) map->ncols)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("primary key column " UINT64_FORMAT " of a %d column table",
							col, map->ncols)));
		if (map->npk == cap)
		{
			cap *= 2;
			map->pk = repalloc(map->pk, sizeof(int) * cap);
		}
		map->pk[map->npk++] = (int) col;
		map->cols[col].in_primary_key = true;
	}
}

static void
om_visibility(ChameleonTableMap *map, ChameleonByteReader *v)
{
	size_t		nbytes = chameleon_reader_left(v);

	for (int i = 0; i < map->ncols; i++)
		map->cols[i].visible = msb_bit(v->p, nbytes, i);
}

static bool
filter_character(uint8 t)
{
	return chameleon_mysql_type_is_character(t);
}

static bool
filter_enum_set(uint8 t)
{
	return is_enum_or_set(t);
}

static void
parse_optional_metadata(ChameleonTableMap *map, ChameleonByteReader *r)
{
	while (chameleon_reader_left(r) > 0)
	{
		uint8		type = chameleon_read_u8(r, "optional metadata type");
		uint64		len = chameleon_read_packed(r, "optional metadata length");
		ChameleonByteReader v;

		if (len > chameleon_reader_left(r))
			chameleon_reader_overrun(r, (size_t) len, "optional metadata field");
		chameleon_reader_init(&v, chameleon_read_bytes(r, (size_t) len, "optional metadata"),
							  (size_t) len);
		switch (type)
		{
			case OM_SIGNEDNESS:
				om_signedness(map, &v);
				break;
			case OM_DEFAULT_CHARSET:
				om_default_charset(map, &v, filter_character);
				break;
			case OM_COLUMN_CHARSET:
				om_column_charset(map, &v, filter_character);
				break;
			case OM_COLUMN_NAME:
				om_column_names(map, &v);
				break;
			case OM_SET_STR_VALUE:
				om_labels(map, &v, MYT_SET);
				break;
			case OM_ENUM_STR_VALUE:
				om_labels(map, &v, MYT_ENUM);
				break;
			case OM_GEOMETRY_TYPE:
				om_geometry_types(map, &v);
				break;
			case OM_SIMPLE_PRIMARY_KEY:
				om_primary_key(map, &v, false);
				break;
			case OM_PRIMARY_KEY_WITH_PREFIX:
				om_primary_key(map, &v, true);
				break;
			case OM_ENUM_AND_SET_DEFAULT_CHARSET:
				om_default_charset(map, &v, filter_enum_set);
				break;
			case OM_ENUM_AND_SET_COLUMN_CHARSET:
				om_column_charset(map, &v, filter_enum_set);
				break;
			case OM_COLUMN_VISIBILITY:
				om_visibility(map, &v);
				break;
			default:
				/* a newer field: its length lets us step over it */
				break;
		}
	}
}

static char *
read_name(ChameleonByteReader *r, const char *what)
{
	uint8		n = chameleon_read_u8(r, what);
	const uint8 *p = chameleon_read_bytes(r, n + 1, what);
	char	   *s = palloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	if (strlen(s) != n || p[n] != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid %s in table map event", what)));
	return s;
}

ChameleonTableMap *
chameleon_parse_table_map(const ChameleonBinlogFormat *fmt, const uint8 *body,
						  size_t len)
{
	ChameleonByteReader r;
	ChameleonByteReader mr;
	ChameleonTableMap *map = palloc0(sizeof(ChameleonTableMap));
	int			phl = fmt->valid && fmt->n_post_header >= BL_TABLE_MAP_EVENT ?
		fmt->post_header_len[BL_TABLE_MAP_EVENT - 1] : 8;
	uint64		ncols;
	uint64		meta_len;
	const uint8 *types;
	const uint8 *nullbits;

	chameleon_reader_init(&r, body, len);
	map->table_id = chameleon_read_uint_le(&r, phl == 6 ? 4 : 6, "table id");
	map->flags = chameleon_read_u16(&r, "table map flags");
	if (phl > 8)
		(void) chameleon_read_bytes(&r, phl - 8, "post-header");
	map->schema = read_name(&r, "schema name");
	map->table = read_name(&r, "table name");

	ncols = chameleon_read_packed(&r, "column count");
	if (ncols == 0 || ncols > 4096)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid column count " UINT64_FORMAT " in table map of %s.%s",
						ncols, map->schema, map->table)));
	map->ncols = (int) ncols;
	types = chameleon_read_bytes(&r, map->ncols, "column types");

	meta_len = chameleon_read_packed(&r, "metadata length");
	if (meta_len > chameleon_reader_left(&r))
		chameleon_reader_overrun(&r, (size_t) meta_len, "column metadata");
	chameleon_reader_init(&mr, chameleon_read_bytes(&r, (size_t) meta_len, "column metadata"),
						  (size_t) meta_len);

	map->cols = palloc0(sizeof(ChameleonMapColumn) * map->ncols);
	for (int i = 0; i < map->ncols; i++)
	{
		ChameleonMapColumn *c = &map->cols[i];

		c->type = types[i];
		c->is_unsigned = -1;
		c->collation = -1;
		c->nlabels = -1;
		c->geometry_type = -1;
		c->visible = true;
		read_column_meta(&mr, c);
	}
	if (chameleon_reader_left(&mr) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("column metadata of %s.%s has %zu bytes left over",
						map->schema, map->table, chameleon_reader_left(&mr))));

	nullbits = chameleon_read_bytes(&r, (map->ncols + 7) / 8, "nullable bitmap");
	for (int i = 0; i < map->ncols; i++)
		map->cols[i].nullable = chameleon_bit_is_set(nullbits, i);

	map->npk = -1;
	parse_optional_metadata(map, &r);
	return map;
}

/*
 * A deep copy of a table map in CurrentMemoryContext (names, labels and key
 * columns included), for holders that outlive the reader's map cache.
 */
ChameleonTableMap *
chameleon_table_map_copy(const ChameleonTableMap *map)
{
	ChameleonTableMap *copy = palloc(sizeof(ChameleonTableMap));

	*copy = *map;
	copy->schema = pstrdup(map->schema);
	copy->table = pstrdup(map->table);
	copy->cols = palloc(sizeof(ChameleonMapColumn) * Max(map->ncols, 1));
	for (int i = 0; i < map->ncols; i++)
	{
		ChameleonMapColumn *c = &copy->cols[i];

		*c = map->cols[i];
		if (c->name)
			c->name = pstrdup(c->name);
		if (c->nlabels > 0)
		{
			c->labels = palloc(sizeof(char *) * c->nlabels);
			for (int j = 0; j < c->nlabels; j++)
				c->labels[j] = pstrdup(map->cols[i].labels[j]);
		}
	}
	if (map->npk > 0)
	{
		copy->pk = palloc(sizeof(int) * map->npk);
		memcpy(copy->pk, map->pk, sizeof(int) * map->npk);
	}
	return copy;
}
