/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small writer for JSON lines (--json): one object per line, built in a
 * growable buffer that is reused from line to line.
 *
 *	struct jw w = { 0 };
 *
 *	jw_begin(&w);
 *	jw_str(&w, "table", "filter");
 *	jw_obj_begin(&w, "tuple");
 *	jw_u64(&w, "sport", 80);
 *	jw_obj_end(&w);
 *	line = jw_end(&w, &len);	(NULL only when out of memory)
 *	...
 *	jw_free(&w);
 *
 * The output is valid JSON whatever the input: strings are escaped per
 * RFC 8259, bytes that are not valid UTF-8 become U+FFFD, containers left
 * open are closed by jw_end(), and misuse drops a member rather than the
 * validity of the line: a member without a key inside an object, members
 * outside jw_begin()/jw_end(), and containers nested deeper than
 * JW_MAX_DEPTH (with everything in them) are left out.
 */
#ifndef IPTT_JSON_H
#define IPTT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define JW_MAX_DEPTH	32	/* nested containers below the line's object */

struct jw {
	char *buf;
	size_t len;
	size_t cap;
	unsigned int depth;	/* open containers below the top object */
	unsigned int skipped;	/* dropped containers still open */
	__u32 arrays;		/* bit d: container at depth d is an array */
	bool open;		/* between jw_begin() and jw_end() */
	bool first;		/* no member yet in the innermost container */
	bool oom;
};

void jw_begin(struct jw *w);
/*
 * Members.  Inside an object the key names the member; inside an array the
 * key is ignored and may be NULL.  A NULL string value omits the member.
 */
void jw_str(struct jw *w, const char *key, const char *val);
/* At most n bytes of val, stopping at a NUL: for fixed-size char arrays. */
void jw_strn(struct jw *w, const char *key, const char *val, size_t n);
void jw_u64(struct jw *w, const char *key, __u64 val);
void jw_i64(struct jw *w, const char *key, __s64 val);
/* Non-finite values are written as null. */
void jw_double(struct jw *w, const char *key, double val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_null(struct jw *w, const char *key);
void jw_obj_begin(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);
/*
 * Close the line: the returned text ends in "}\n" and stays valid until the
 * next jw_begin() or jw_free().  NULL (and *len = 0) if memory ran out.
 */
const char *jw_end(struct jw *w, size_t *len);
void jw_free(struct jw *w);

#endif /* IPTT_JSON_H */
