// FUZZ-SOURCES: user/json.c
// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the JSON-lines writer.  The input becomes string
 * values and keys; the line must then pass a strict RFC 8259 validator
 * written here independently of user/json.c, and the string must decode
 * back to the input whenever the input is valid UTF-8 (otherwise to valid
 * UTF-8 that encodes to itself).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_NEST	64

/* Code point decoding, unlike json.c's table of byte ranges. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint32_t cp, min;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = utf8_seq(s + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

struct in {
	const uint8_t *p, *e;
};

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex4(struct in *in, uint32_t *v)
{
	int i, h;

	if (in->e - in->p < 4)
		return false;
	for (*v = 0, i = 0; i < 4; i++) {
		h = hexval(in->p[i]);
		if (h < 0)
			return false;
		*v = *v << 4 | h;
	}
	in->p += 4;
	return true;
}

static void put_utf8(uint8_t *out, size_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		out[(*o)++] = cp;
	} else if (cp < 0x800) {
		out[(*o)++] = 0xc0 | cp >> 6;
		out[(*o)++] = 0x80 | (cp & 0x3f);
	} else if (cp < 0x10000) {
		out[(*o)++] = 0xe0 | cp >> 12;
		out[(*o)++] = 0x80 | (cp >> 6 & 0x3f);
		out[(*o)++] = 0x80 | (cp & 0x3f);
	} else {
		out[(*o)++] = 0xf0 | cp >> 18;
		out[(*o)++] = 0x80 | (cp >> 12 & 0x3f);
		out[(*o)++] = 0x80 | (cp >> 6 & 0x3f);
		out[(*o)++] = 0x80 | (cp & 0x3f);
	}
}

/*
 * A string at in->p; decoded into out (at least as large as the string's
 * source) when out is not NULL.
 */
static bool string(struct in *in, uint8_t *out, size_t *olen)
{
	size_t o = 0, k;
	uint32_t cp, lo;

	if (in->p == in->e || *in->p != '"')
		return false;
	in->p++;
	while (in->p < in->e) {
		uint8_t c = *in->p;

		if (c == '"') {
			in->p++;
			if (olen)
				*olen = o;
			return true;
		}
		if (c < 0x20)
			return false;	/* raw control character */
		if (c != '\\') {
			k = utf8_seq(in->p, in->e - in->p);
			if (!k)
				return false;
			if (out)
				memcpy(out + o, in->p, k);
			o += k;
			in->p += k;
			continue;
		}
		if (++in->p == in->e)
			return false;
		c = *in->p++;
		switch (c) {
		case '"': case '\\': case '/':
			cp = c;
			break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (!hex4(in, &cp))
				return false;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return false;	/* lone low surrogate */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (in->e - in->p < 2 || in->p[0] != '\\' ||
				    in->p[1] != 'u')
					return false;
				in->p += 2;
				if (!hex4(in, &lo) || lo < 0xdc00 ||
				    lo > 0xdfff)
					return false;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			}
			break;
		default:
			return false;
		}
		/* an escape is never shorter than what it decodes to */
		if (out)
			put_utf8(out, &o, cp);
		else
			o += cp < 0x80 ? 1 : cp < 0x800 ? 2 :
			     cp < 0x10000 ? 3 : 4;
	}
	return false;
}

static void ws(struct in *in)
{
	while (in->p < in->e && (*in->p == ' ' || *in->p == '\t' ||
				 *in->p == '\n' || *in->p == '\r'))
		in->p++;
}

static bool digits(struct in *in)
{
	const uint8_t *s = in->p;

	while (in->p < in->e && *in->p >= '0' && *in->p <= '9')
		in->p++;
	return in->p > s;
}

static bool number(struct in *in)
{
	if (in->p < in->e && *in->p == '-')
		in->p++;
	if (in->p < in->e && *in->p == '0')
		in->p++;
	else if (in->p == in->e || *in->p < '1' || *in->p > '9' ||
		 !digits(in))
		return false;
	if (in->p < in->e && *in->p == '.') {
		in->p++;
		if (!digits(in))
			return false;
	}
	if (in->p < in->e && (*in->p == 'e' || *in->p == 'E')) {
		in->p++;
		if (in->p < in->e && (*in->p == '+' || *in->p == '-'))
			in->p++;
		if (!digits(in))
			return false;
	}
	return true;
}

static bool literal(struct in *in, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(in->e - in->p) < n || memcmp(in->p, lit, n))
		return false;
	in->p += n;
	return true;
}

static bool value(struct in *in, int depth)
{
	bool obj;

	if (depth > MAX_NEST)
		return false;
	ws(in);
	if (in->p == in->e)
		return false;
	switch (*in->p) {
	case '"':
		return string(in, NULL, NULL);
	case 't':
		return literal(in, "true");
	case 'f':
		return literal(in, "false");
	case 'n':
		return literal(in, "null");
	case '{':
	case '[':
		break;
	default:
		return number(in);
	}
	obj = *in->p++ == '{';
	ws(in);
	if (in->p < in->e && *in->p == (obj ? '}' : ']')) {
		in->p++;
		return true;
	}
	for (;;) {
		if (obj) {
			ws(in);
			if (!string(in, NULL, NULL))
				return false;
			ws(in);
			if (in->p == in->e || *in->p++ != ':')
				return false;
		}
		if (!value(in, depth + 1))
			return false;
		ws(in);
		if (in->p == in->e)
			return false;
		if (*in->p == ',') {
			in->p++;
			continue;
		}
		return *in->p++ == (obj ? '}' : ']');
	}
}

/* One JSON object, then exactly "\n", then the NUL jw_end() promises. */
static void validate(const char *line, size_t len)
{
	struct in in = { (const uint8_t *)line, (const uint8_t *)line + len };

	if (!line || len < 3 || line[0] != '{' || line[len] != '\0' ||
	    memcmp(line + len - 2, "}\n", 2))
		abort();
	in.e--;		/* the newline is not part of the value */
	if (!value(&in, 0) || in.p != in.e)
		abort();
}

/* The value of the leading "s" member of a line. */
static uint8_t *decode_s(const char *line, size_t len, size_t *olen)
{
	struct in in = { (const uint8_t *)line + 5,
			 (const uint8_t *)line + len };
	uint8_t *out;

	if (len < 5 || memcmp(line, "{\"s\":", 5))
		abort();
	out = malloc(len);
	if (!out || !string(&in, out, olen))
		abort();
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jw w = { 0 };
	const char *line;
	size_t len, xlen, ylen, zlen;
	uint8_t *y, *z;
	char *cstr = malloc(size + 1);

	if (!cstr)
		return 0;
	memcpy(cstr, data, size);
	cstr[size] = '\0';
	xlen = strnlen(cstr, size);

	/* as a value: decodes back to the input up to its first NUL */
	jw_begin(&w);
	jw_strn(&w, "s", (const char *)data, size);
	line = jw_end(&w, &len);
	validate(line, len);
	y = decode_s(line, len, &ylen);
	if (!utf8_valid(y, ylen))
		abort();
	if (utf8_valid(data, xlen) &&
	    (ylen != xlen || memcmp(y, data, xlen)))
		abort();

	/* the decoded form is a fixed point */
	jw_begin(&w);
	jw_strn(&w, "s", (const char *)y, ylen);
	line = jw_end(&w, &len);
	validate(line, len);
	z = decode_s(line, len, &zlen);
	if (zlen != ylen || memcmp(y, z, ylen))
		abort();
	free(y);
	free(z);

	/* as keys and values in nested containers, with the input's bytes
	 * also steering which calls are made */
	jw_begin(&w);
	jw_str(&w, cstr, cstr);
	jw_obj_begin(&w, cstr);
	jw_arr_begin(&w, "a");
	jw_strn(&w, NULL, (const char *)data, size);
	jw_u64(&w, NULL, size);
	for (len = 0; len < size && len < 64; len++) {
		switch (data[len] % 8) {
		case 0: jw_obj_begin(&w, cstr); break;
		case 1: jw_arr_begin(&w, cstr); break;
		case 2: jw_obj_end(&w); break;
		case 3: jw_arr_end(&w); break;
		case 4: jw_str(&w, cstr + len, cstr); break;
		case 5: jw_i64(&w, NULL, -(int64_t)len); break;
		case 6: jw_double(&w, cstr, (double)data[len] / 7); break;
		case 7: jw_bool(&w, NULL, data[len] & 8); break;
		}
	}
	line = jw_end(&w, &len);
	validate(line, len);

	jw_free(&w);
	free(cstr);
	return 0;
}
