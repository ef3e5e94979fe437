/*
 * pg_stub.c -- the few PostgreSQL backend services the DDL translator uses,
 * for running it outside the server (the libFuzzer harness fuzz_ddl.c).
 *
 * It owns:
 *   - palloc and friends over an arena: every block is on a list and
 *     stub_arena_reset() frees them all after each input, so AddressSanitizer
 *     sees every overrun and use-after-free and nothing leaks between inputs;
 *     a request above MaxAllocSize is an ERROR, as in the server;
 *   - ereport: errstart/errfinish; an ERROR siglongjmps to stub_error_jmp
 *     (set by the harness), lower levels are ignored;
 *   - the List functions used (PostgreSQL 15 layout: elements array);
 *   - quote_identifier (simplified: no keyword list), quote_literal_cstr,
 *     and UTF-8 versions of pg_verifymbstr, pg_mbcliplen,
 *     pg_mbstrlen_with_len.
 * StringInfo, psprintf, hash_bytes and the pg_str*cmp functions come from
 * PostgreSQL's libpgcommon.a / libpgport.a.  This is test code: it is never
 * linked into the extension.
 */
#include "postgres.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

sigjmp_buf *stub_error_jmp = NULL;
char		stub_error_message[512];

MemoryContext CurrentMemoryContext = NULL;
ErrorContextCallback *error_context_stack = NULL;

void		stub_arena_reset(void);

/* ---------- the arena ---------- */

typedef struct Block
{
	struct Block *prev;
	struct Block *next;
	size_t		size;
	/* the data follows, max-aligned */
} Block;

#define BLOCK_HEADER MAXALIGN(sizeof(Block))

static Block arena = {&arena, &arena, 0};

static void pg_attribute_noreturn()
alloc_error(Size size)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("invalid memory alloc request size %zu", (size_t) size)));
	abort();
}

static void *
block_data(Block *b)
{
	return (char *) b + BLOCK_HEADER;
}

static Block *
data_block(void *p)
{
	return (Block *) ((char *) p - BLOCK_HEADER);
}

static void
link_block(Block *b)
{
	b->next = arena.next;
	b->prev = &arena;
	arena.next->prev = b;
	arena.next = b;
}

static void
unlink_block(Block *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
}

void *
palloc(Size size)
{
	Block	   *b;

	if (!AllocSizeIsValid(size))
		alloc_error(size);
	b = malloc(BLOCK_HEADER + size);
	if (b == NULL)
		abort();
	b->size = size;
	link_block(b);
	return block_data(b);
}

void *
palloc0(Size size)
{
	void	   *p = palloc(size);

	memset(p, 0, size);
	return p;
}

void *
palloc_extended(Size size, int flags)
{
	return (flags & MCXT_ALLOC_ZERO) ? palloc0(size) : palloc(size);
}

void
pfree(void *pointer)
{
	Block	   *b = data_block(pointer);

	unlink_block(b);
	free(b);
}

void *
repalloc(void *pointer, Size size)
{
	Block	   *b = data_block(pointer);
	Block	   *nb;

	if (!AllocSizeIsValid(size))
		alloc_error(size);
	unlink_block(b);
	nb = realloc(b, BLOCK_HEADER + size);
	if (nb == NULL)
		abort();
	nb->size = size;
	link_block(nb);
	return block_data(nb);
}

char *
pstrdup(const char *in)
{
	size_t		len = strlen(in);
	char	   *out = palloc(len + 1);

	memcpy(out, in, len + 1);
	return out;
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

void
stub_arena_reset(void)
{
	while (arena.next != &arena)
	{
		Block	   *b = arena.next;

		unlink_block(b);
		free(b);
	}
}

/* ---------- ereport ---------- */

static int	current_elevel;

bool
errstart(int elevel, const char *domain)
{
	current_elevel = elevel;
	if (elevel >= ERROR)
		stub_error_message[0] = '\0';
	return elevel >= ERROR;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (current_elevel < ERROR)
		return;
	error_context_stack = NULL;
	if (stub_error_jmp == NULL)
	{
		fprintf(stderr, "ERROR outside the harness: %s\n", stub_error_message);
		abort();
	}
	siglongjmp(*stub_error_jmp, 1);
}

int
errcode(int sqlerrcode)
{
	return 0;
}

int
errmsg(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	vsnprintf(stub_error_message, sizeof(stub_error_message), fmt, args);
	va_end(args);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	vsnprintf(stub_error_message, sizeof(stub_error_message), fmt, args);
	va_end(args);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	return 0;
}

int
errhint(const char *fmt,...)
{
	return 0;
}

int
errcontext_msg(const char *fmt,...)
{
	return 0;
}

int
set_errcontext_domain(const char *domain)
{
	return 0;
}

/* ---------- List (PostgreSQL 15 layout) ---------- */

static List *
new_list(NodeTag type, int length)
{
	List	   *list = palloc(offsetof(List, initial_elements));
	int			cap = Max(length, 4);

	list->type = type;
	list->length = length;
	list->max_length = cap;
	list->elements = palloc(sizeof(ListCell) * cap);
	return list;
}

static void
grow(List *list, int min_size)
{
	if (min_size <= list->max_length)
		return;
	list->max_length = Max(min_size, list->max_length * 2);
	list->elements = repalloc(list->elements, sizeof(ListCell) * list->max_length);
}

List *
list_make1_impl(NodeTag t, ListCell datum1)
{
	List	   *list = new_list(t, 1);

	list->elements[0] = datum1;
	return list;
}

List *
list_make2_impl(NodeTag t, ListCell datum1, ListCell datum2)
{
	List	   *list = new_list(t, 2);

	list->elements[0] = datum1;
	list->elements[1] = datum2;
	return list;
}

List *
lappend(List *list, void *datum)
{
	if (list == NIL)
		list = new_list(T_List, 0);
	grow(list, list->length + 1);
	list->elements[list->length++].ptr_value = datum;
	return list;
}

List *
lappend_int(List *list, int datum)
{
	if (list == NIL)
		list = new_list(T_IntList, 0);
	grow(list, list->length + 1);
	list->elements[list->length++].int_value = datum;
	return list;
}

List *
lcons(void *datum, List *list)
{
	if (list == NIL)
		return lappend(NIL, datum);
	grow(list, list->length + 1);
	memmove(&list->elements[1], &list->elements[0], sizeof(ListCell) * list->length);
	list->elements[0].ptr_value = datum;
	list->length++;
	return list;
}

List *
list_insert_nth(List *list, int pos, void *datum)
{
	if (list == NIL)
	{
		if (pos != 0)
			abort();
		return lappend(NIL, datum);
	}
	if (pos < 0 || pos > list->length)
		abort();
	grow(list, list->length + 1);
	memmove(&list->elements[pos + 1], &list->elements[pos],
			sizeof(ListCell) * (list->length - pos));
	list->elements[pos].ptr_value = datum;
	list->length++;
	return list;
}

List *
list_concat(List *list1, const List *list2)
{
	if (list1 == NIL)
		return list_copy(list2);
	if (list2 == NIL)
		return list1;
	grow(list1, list1->length + list2->length);
	memcpy(&list1->elements[list1->length], list2->elements,
		   sizeof(ListCell) * list2->length);
	list1->length += list2->length;
	return list1;
}

List *
list_copy(const List *oldlist)
{
	List	   *list;

	if (oldlist == NIL)
		return NIL;
	list = new_list(oldlist->type, oldlist->length);
	memcpy(list->elements, oldlist->elements, sizeof(ListCell) * oldlist->length);
	return list;
}

List *
list_delete_nth_cell(List *list, int n)
{
	if (n < 0 || n >= list->length)
		abort();
	if (list->length == 1)
		return NIL;
	memmove(&list->elements[n], &list->elements[n + 1],
			sizeof(ListCell) * (list->length - n - 1));
	list->length--;
	return list;
}

List *
list_delete_cell(List *list, ListCell *cell)
{
	return list_delete_nth_cell(list, cell - list->elements);
}

List *
list_delete_ptr(List *list, void *datum)
{
	if (list == NIL)
		return NIL;
	for (int i = 0; i < list->length; i++)
	{
		if (list->elements[i].ptr_value == datum)
			return list_delete_nth_cell(list, i);
	}
	return list;
}

/* ---------- quoting ---------- */

const char *
quote_identifier(const char *ident)
{
	bool		safe = (ident[0] >= 'a' && ident[0] <= 'z') || ident[0] == '_';
	char	   *result;
	char	   *out;

	for (const char *c = ident; *c && safe; c++)
		safe = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
	if (safe)
		return ident;
	result = palloc(strlen(ident) * 2 + 3);
	out = result;
	*out++ = '"';
	for (const char *c = ident; *c; c++)
	{
		if (*c == '"')
			*out++ = '"';
		*out++ = *c;
	}
	*out++ = '"';
	*out = '\0';
	return result;
}

char *
quote_literal_cstr(const char *rawstr)
{
	char	   *result = palloc(strlen(rawstr) * 2 + 4);
	char	   *out = result;

	if (strchr(rawstr, '\\') != NULL)
		*out++ = 'E';
	*out++ = '\'';
	for (const char *c = rawstr; *c; c++)
	{
		if (*c == '\'' || *c == '\\')
			*out++ = *c;
		*out++ = *c;
	}
	*out++ = '\'';
	*out = '\0';
	return result;
}

/* ---------- UTF-8 ---------- */

/* Length of the valid UTF-8 character at s (at most len bytes); 0 if invalid. */
static int
utf8_char_length(const unsigned char *s, int len)
{
	int			n;

	if (s[0] < 0x80)
		return s[0] == 0 ? 0 : 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > len)
		return 0;
	for (int i = 1; i < n; i++)
	{
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

bool
pg_verifymbstr(const char *mbstr, int len, bool noError)
{
	for (int i = 0; i < len;)
	{
		int			n = utf8_char_length((const unsigned char *) mbstr + i, len - i);

		if (n == 0)
		{
			if (noError)
				return false;
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("invalid byte sequence for encoding \"UTF8\"")));
		}
		i += n;
	}
	return true;
}

int
pg_mbcliplen(const char *mbstr, int len, int limit)
{
	int			clen = 0;

	while (clen < len && mbstr[clen] != '\0')
	{
		int			n = utf8_char_length((const unsigned char *) mbstr + clen, len - clen);

		if (n == 0)
			n = 1;
		if (clen + n > limit)
			break;
		clen += n;
	}
	return clen;
}

int
pg_mbstrlen_with_len(const char *mbstr, int limit)
{
	int			chars = 0;

	for (int i = 0; i < limit; i++)
	{
		if (((unsigned char) mbstr[i] & 0xc0) != 0x80)
			chars++;
	}
	return chars;
}
