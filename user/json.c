// SPDX-License-Identifier: GPL-2.0
/*
 * JSON-lines writer.  Other tools parse --json output, so every line must be
 * valid JSON even when the strings in it are not: rule text comes from
 * "-m comment" and interface names from the kernel, both arbitrary bytes.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static bool reserve(struct jw *w, size_t n)
{
	size_t cap;
	char *b;

	if (w->oom)
		return false;
	if (n <= w->cap - w->len)
		return true;
	if (n > SIZE_MAX / 2 - w->len)
		goto oom;
	cap = w->cap ? w->cap : 256;
	while (cap - w->len < n)
		cap *= 2;
	b = realloc(w->buf, cap);
	if (!b)
		goto oom;
	w->buf = b;
	w->cap = cap;
	return true;
oom:
	w->oom = true;
	return false;
}

/* inline: a JSON line is many small pieces, and this is the consumer's loop */
static inline __attribute__((always_inline)) void put(struct jw *w, const char *s, size_t n)
{
	if (n > w->cap - w->len && !reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static inline __attribute__((always_inline)) void putc_(struct jw *w, char c)
{
	if (w->len == w->cap && !reserve(w, 1))
		return;
	w->buf[w->len++] = c;
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629, Unicode table
 * 3-7: no overlong forms, no surrogates, nothing above U+10FFFF), or minus
 * the length of its maximal ill-formed prefix.  Replacing each maximal
 * prefix by one U+FFFD is what the Unicode standard recommends, and what
 * most decoders that consumers use (Python, browsers) do too.
 */
static int utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int need, i;

	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return -1;	/* continuation byte, C0, C1, F5..FF */
	}
	for (i = 1; i < need; i++) {
		if ((size_t)i >= n || s[i] < lo || s[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

static void put_string(struct jw *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	/* the common case, a plain ASCII string: one copy between quotes */
	while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
		i++;
	if (i == n) {
		if (n + 2 > w->cap - w->len && !reserve(w, n + 2))
			return;
		w->buf[w->len++] = '"';
		memcpy(w->buf + w->len, str, n);
		w->len += n;
		w->buf[w->len++] = '"';
		return;
	}
	i = 0;
	putc_(w, '"');
	while (i < n) {
		size_t run = i;
		char esc[6];
		int k;

		/* copy plain ASCII in one go */
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 &&
		       s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			put(w, str + i, run - i);
			i = run;
			continue;
		}
		if (s[i] >= 0x80) {
			k = utf8_len(s + i, n - i);
			if (k > 0) {
				put(w, str + i, k);
				i += k;
			} else {
				put(w, "\\ufffd", 6);
				i += -k;
			}
			continue;
		}
		esc[0] = '\\';
		switch (s[i]) {
		case '"':  esc[1] = '"';  break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b';  break;
		case '\f': esc[1] = 'f';  break;
		case '\n': esc[1] = 'n';  break;
		case '\r': esc[1] = 'r';  break;
		case '\t': esc[1] = 't';  break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 0xf];
			put(w, esc, 6);
			i++;
			continue;
		}
		put(w, esc, 2);
		i++;
	}
	putc_(w, '"');
}

static bool in_array(const struct jw *w)
{
	return w->depth && (w->arrays >> (w->depth - 1) & 1);
}

/* Separator and key of the next member; false if it must be dropped. */
static bool member(struct jw *w, const char *key)
{
	bool arr = in_array(w);

	if (!w->open || w->skipped)
		return false;
	if (!arr && !key)
		return false;
	if (!w->first)
		putc_(w, ',');
	w->first = false;
	if (!arr) {
		put_string(w, key, strlen(key));
		putc_(w, ':');
	}
	return true;
}

void jw_begin(struct jw *w)
{
	w->len = 0;
	w->depth = 0;
	w->skipped = 0;
	w->arrays = 0;
	w->open = true;
	w->first = true;
	w->oom = false;
	putc_(w, '{');
}

void jw_strn(struct jw *w, const char *key, const char *val, size_t n)
{
	if (!val || !member(w, key))
		return;
	put_string(w, val, strnlen(val, n));
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	if (!val || !member(w, key))
		return;
	put_string(w, val, strlen(val));
}

/*
 * Decimal digits of val, written backwards from end; returns the first.
 * Every event carries several numbers: snprintf() was a tenth of the
 * consumer's time.
 */
static char *u64_digits(__u64 val, char *end)
{
	char *p = end;

	do {
		*--p = '0' + val % 10;
		val /= 10;
	} while (val);
	return p;
}

void jw_u64(struct jw *w, const char *key, __u64 val)
{
	char num[24], *p;

	if (!member(w, key))
		return;
	p = u64_digits(val, num + sizeof(num));
	put(w, p, num + sizeof(num) - p);
}

void jw_i64(struct jw *w, const char *key, __s64 val)
{
	char num[24];

	if (!member(w, key))
		return;
	put(w, num, snprintf(num, sizeof(num), "%lld", (long long)val));
}

void jw_double(struct jw *w, const char *key, double val)
{
	char num[40];
	int i, n;

	if (!member(w, key))
		return;
	if (!isfinite(val)) {
		put(w, "null", 4);
		return;
	}
	n = snprintf(num, sizeof(num), "%.15g", val);
	/* a locale with a decimal comma must not leak into the output */
	for (i = 0; i < n; i++)
		if (num[i] == ',')
			num[i] = '.';
	put(w, num, n);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	if (!member(w, key))
		return;
	if (val)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jw_null(struct jw *w, const char *key)
{
	if (member(w, key))
		put(w, "null", 4);
}

static void container_begin(struct jw *w, const char *key, bool array)
{
	if (!w->open)
		return;
	/*
	 * A container that cannot be written (too deep, no key, inside a
	 * dropped one) is dropped with its members; counting it keeps its
	 * end call from closing the container around it.
	 */
	if (w->depth >= JW_MAX_DEPTH || !member(w, key)) {
		w->skipped++;
		return;
	}
	putc_(w, array ? '[' : '{');
	if (array)
		w->arrays |= (__u32)1 << w->depth;
	else
		w->arrays &= ~((__u32)1 << w->depth);
	w->depth++;
	w->first = true;
}

/* Closes the innermost container, whichever begin function opened it. */
static void container_end(struct jw *w)
{
	if (!w->open)
		return;
	if (w->skipped) {
		w->skipped--;
		return;
	}
	if (!w->depth)
		return;		/* the line's own object: jw_end() */
	putc_(w, in_array(w) ? ']' : '}');
	w->depth--;
	w->first = false;
}

void jw_obj_begin(struct jw *w, const char *key)
{
	container_begin(w, key, false);
}

void jw_obj_end(struct jw *w)
{
	container_end(w);
}

void jw_arr_begin(struct jw *w, const char *key)
{
	container_begin(w, key, true);
}

void jw_arr_end(struct jw *w)
{
	container_end(w);
}

const char *jw_end(struct jw *w, size_t *len)
{
	if (!w->open)
		jw_begin(w);
	w->skipped = 0;
	while (w->depth)
		container_end(w);
	/* the caller gets a C string too; the NUL is not counted */
	put(w, "}\n", 3);
	w->open = false;
	if (w->oom) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = w->len - 1;
	return w->buf;
}

void jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}
