/*
 * params.c - the request parameter tree and its typed getters. See params.h.
 *
 * Children are kept sorted (numbered entries first, in numeric order, then
 * names in byte order) so lists come out in index order without a sort at
 * read time and lookups are a binary search.
 */
#include "params.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct param *
params_new(void)
{
	return calloc(1, sizeof(struct param));
}

void
params_free(struct param *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nkids; i++)
		params_free(p->kids[i]);
	free(p->kids);
	free(p->name);
	free(p->value);
	free(p);
}

int
parse_ll(const char *s, long long min, long long max, long long *ret)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '+')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*ret = v;
	return 0;
}

static bool
is_index(const char *s)
{
	if (!*s || *s == '0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Order: indexes numerically, before names; names bytewise. */
static int
name_cmp(const char *a, const char *b)
{
	bool ia = is_index(a), ib = is_index(b);
	size_t la, lb;

	if (ia != ib)
		return ia ? -1 : 1;
	if (ia) {
		la = strlen(a);
		lb = strlen(b);
		if (la != lb)
			return la < lb ? -1 : 1;
	}
	return strcmp(a, b);
}

/* Binary search; returns the slot where name is or would be inserted. */
static size_t
kid_slot(const struct param *p, const char *name, bool *found)
{
	size_t lo = 0, hi = p->nkids;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = name_cmp(p->kids[mid]->name, name);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct param *
kid_get_or_add(struct param *p, const char *name, size_t len)
{
	struct param *k;
	bool found;
	size_t slot;
	char *n = strndup(name, len);

	if (!n)
		return NULL;
	slot = kid_slot(p, n, &found);
	if (found) {
		free(n);
		return p->kids[slot];
	}
	if (p->nkids == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct param **v = realloc(p->kids, cap * sizeof(*v));

		if (!v) {
			free(n);
			return NULL;
		}
		p->kids = v;
		p->cap = cap;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		free(n);
		return NULL;
	}
	k->name = n;
	memmove(p->kids + slot + 1, p->kids + slot,
		(p->nkids - slot) * sizeof(*p->kids));
	p->kids[slot] = k;
	p->nkids++;
	return k;
}

int
params_set(struct param *root, const char *name, const char *value,
	   struct err *e)
{
	struct param *p = root;
	const char *s = name;
	int depth = 0;

	for (;;) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);
		long long idx;

		if (len == 0 || ++depth > PARAMS_MAX_DEPTH)
			return err_set(
			    e, "InvalidParameter",
			    "The parameter name '%.200s' is not valid.", name);
		if (isdigit((unsigned char)*s)) {
			char tmp[16];

			if (len >= sizeof(tmp))
				goto bad_index;
			memcpy(tmp, s, len);
			tmp[len] = '\0';
			if (!is_index(tmp) ||
			    parse_ll(tmp, 1, PARAMS_MAX_LIST, &idx) < 0)
				goto bad_index;
		}
		p = kid_get_or_add(p, s, len);
		if (!p)
			return err_set(e, "InternalError", "Out of memory.");
		if (!dot)
			break;
		s = dot + 1;
	}
	if (p->value)
		return err_set(
		    e, "InvalidParameterValue",
		    "The parameter '%.200s' is given more than once.", name);
	p->value = strdup(value);
	if (!p->value)
		return err_set(e, "InternalError", "Out of memory.");
	return 0;

bad_index:
	return err_set(e, "InvalidParameterValue",
		       "The list index in '%.200s' must be between 1 and %d.",
		       name, PARAMS_MAX_LIST);
}

const struct param *
param_child(const struct param *p, const char *name)
{
	bool found;
	size_t slot;

	if (!p)
		return NULL;
	slot = kid_slot(p, name, &found);
	return found ? p->kids[slot] : NULL;
}

const struct param *
param_path(const struct param *p, const char *path)
{
	char part[256];

	while (p && *path) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);

		if (len >= sizeof(part))
			return NULL;
		memcpy(part, path, len);
		part[len] = '\0';
		p = param_child(p, part);
		path = dot ? dot + 1 : path + len;
	}
	return p;
}

const char *
param_value(const struct param *p, const char *path)
{
	const struct param *n = param_path(p, path);

	return n ? n->value : NULL;
}

int
param_list(const struct param *p, const char *name, size_t max,
	   const struct param ***ret, size_t *ret_n, struct err *e)
{
	const struct param *l = param_path(p, name);
	const struct param **v;

	*ret = NULL;
	*ret_n = 0;
	if (!l || l->nkids == 0) {
		if (l && l->value)
			return err_set(e, "InvalidParameterValue",
				       "The parameter %s must be a list "
				       "(%s.1, %s.2, ...).",
				       name, name, name);
		return 0;
	}
	for (size_t i = 0; i < l->nkids; i++)
		if (!is_index(l->kids[i]->name))
			return err_set(e, "InvalidParameterValue",
				       "The parameter %s.%.100s is not valid: "
				       "list entries are numbered from 1.",
				       name, l->kids[i]->name);
	if (max && l->nkids > max)
		return err_set(e, "InvalidParameterValue",
			       "The parameter %s has %zu entries; at most %zu "
			       "are allowed.",
			       name, l->nkids, max);
	v = calloc(l->nkids, sizeof(*v));
	if (!v)
		return err_set(e, "InternalError", "Out of memory.");
	for (size_t i = 0; i < l->nkids; i++)
		v[i] = l->kids[i];
	*ret = v;
	*ret_n = l->nkids;
	return 0;
}

int
param_strlist(const struct param *p, const char *name, size_t max,
	      struct strlist *out, struct err *e)
{
	const struct param **v;
	size_t n;

	if (param_list(p, name, max, &v, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!v[i]->value || v[i]->nkids) {
			err_set(e, "InvalidParameterValue",
				"The parameter %s.%s must be a string.", name,
				v[i]->name);
			free(v);
			return -1;
		}
		strlist_add(out, v[i]->value);
	}
	free(v);
	if (out->failed)
		return err_set(e, "InternalError", "Out of memory.");
	return 0;
}

int
param_str(const struct param *p, const char *name, bool required, size_t maxlen,
	  const char **ret, struct err *e)
{
	const struct param *n = param_path(p, name);

	if (!n || !n->value) {
		if (n && n->nkids)
			return err_set(e, "InvalidParameterValue",
				       "The parameter %s must be a string.",
				       name);
		if (required)
			return err_set(e, "MissingParameter",
				       "The request must contain the parameter "
				       "%s.",
				       name);
		return 0;
	}
	if (maxlen && strlen(n->value) > maxlen)
		return err_set(
		    e, "InvalidParameterValue",
		    "Value for parameter %s is too long: at most %zu "
		    "characters.",
		    name, maxlen);
	*ret = n->value;
	return 0;
}

int
param_int(const struct param *p, const char *name, bool required, long long min,
	  long long max, long long *ret, struct err *e)
{
	const char *s = NULL;

	if (param_str(p, name, required, 32, &s, e) < 0)
		return -1;
	if (!s)
		return 0;
	if (parse_ll(s, min, max, ret) < 0)
		return err_set(e, "InvalidParameterValue",
			       "Value (%.40s) for parameter %s is invalid. "
			       "Expected an integer between %lld and %lld.",
			       s, name, min, max);
	return 0;
}

int
param_bool(const struct param *p, const char *name, bool *ret, struct err *e)
{
	const char *s = NULL;

	if (param_str(p, name, false, 8, &s, e) < 0)
		return -1;
	if (!s)
		return 0;
	if (strcasecmp(s, "true") == 0)
		*ret = true;
	else if (strcasecmp(s, "false") == 0)
		*ret = false;
	else
		return err_set(e, "InvalidParameterValue",
			       "Value (%.40s) for parameter %s is invalid. "
			       "Expected 'true' or 'false'.",
			       s, name);
	return 0;
}

int
param_enum(const struct param *p, const char *name, bool required,
	   const char *const *allowed, const char **ret, struct err *e)
{
	const char *s = NULL;
	char list[512] = "";
	size_t off = 0;

	if (param_str(p, name, required, 0, &s, e) < 0)
		return -1;
	if (!s)
		return 0;
	for (size_t i = 0; allowed[i]; i++) {
		if (strcmp(s, allowed[i]) == 0) {
			*ret = allowed[i];
			return 0;
		}
		if (off < sizeof(list)) {
			int n = snprintf(list + off, sizeof(list) - off, "%s%s",
					 i ? ", " : "", allowed[i]);
			off += n > 0 ? (size_t)n : 0;
		}
	}
	return err_set(e, "InvalidParameterValue",
		       "Value (%.100s) for parameter %s is invalid. "
		       "Valid values: %s.",
		       s, name, list);
}
