/*
 * filter.c - parsing and matching EC2 Describe filters. See filter.h.
 *
 * Tag filters (tag:KEY, tag-key, tag-value) are handled here once for every
 * resource that exposes its tags through filter_spec.tags.
 */
#include "filter.h"

#include <stdlib.h>
#include <string.h>

#include "store/tags.h"

/*
 * EC2's filter wildcards: '*' is any run (also empty), '?' is zero or one
 * character (the EC2 User Guide's words), '\' makes the next character
 * literal. Dynamic programming over the string, one pattern token at a
 * time, so no pattern can make it backtrack exponentially.
 */
bool
wildcard_match(const char *pattern, const char *s)
{
	size_t n = strlen(s);
	bool *cur = calloc(n + 1, sizeof(bool));
	bool *next = calloc(n + 1, sizeof(bool));
	bool hit = false;

	if (!cur || !next)
		goto out;
	cur[0] = true; /* the empty prefix matches the empty pattern */
	for (const char *p = pattern; *p; p++) {
		char tok = *p, lit = 0;
		bool any = false;

		if (tok == '\\' && p[1]) {
			lit = *++p;
			tok = 0;
		}
		memset(next, 0, (n + 1) * sizeof(bool));
		for (size_t i = 0; i <= n; i++) {
			if (tok == '*') {
				any = any || cur[i];
				next[i] = any;
			} else if (tok == '?') {
				next[i] = cur[i] || (i > 0 && cur[i - 1]);
			} else {
				char want = tok ? tok : lit;

				next[i] =
				    i > 0 && cur[i - 1] && s[i - 1] == want;
			}
		}
		bool *t = cur;
		cur = next;
		next = t;
	}
	hit = cur[n];
out:
	free(cur);
	free(next);
	return hit;
}

static bool
is_tag_filter(const char *name)
{
	return strncmp(name, "tag:", 4) == 0 || strcmp(name, "tag-key") == 0 ||
	       strcmp(name, "tag-value") == 0;
}

/* Borrow the filter's Value.M strings from the request tree. */
static int
filter_values(const struct param *fp, struct filter *f, struct err *e)
{
	const struct param **v;
	size_t n;

	if (param_list(fp, "Value", FILTER_VALUES_MAX, &v, &n, e) < 0)
		return -1;
	f->values = calloc(n ? n : 1, sizeof(*f->values));
	if (!f->values) {
		free(v);
		return err_set(e, "InternalError", "Out of memory.");
	}
	for (size_t i = 0; i < n; i++) {
		if (!v[i]->value) {
			free(v);
			return err_set(
			    e, "InvalidParameterValue",
			    "The filter '%.200s' has a value that is "
			    "not a string.",
			    f->name);
		}
		f->values[f->nvalues++] = v[i]->value;
	}
	free(v);
	return 0;
}

int
filters_parse(const struct param *req, const struct filter_spec *spec,
	      struct filter_set *out, struct err *e)
{
	const struct param **v = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (param_list(req, "Filter", FILTERS_MAX, &v, &n, e) < 0)
		return -1;
	if (n == 0)
		return 0;
	out->v = calloc(n, sizeof(*out->v));
	if (!out->v) {
		free(v);
		return err_set(e, "InternalError", "Out of memory.");
	}
	for (size_t i = 0; i < n; i++) {
		struct filter *f = &out->v[out->n++];
		const char *name = param_value(v[i], "Name");

		if (!name || !*name) {
			err_set(e, "InvalidParameterValue",
				"The filter Filter.%s has no Name.",
				v[i]->name);
			goto fail;
		}
		f->name = name;
		for (size_t j = 0; j < spec->nfields; j++)
			if (strcmp(spec->fields[j].name, name) == 0)
				f->field = &spec->fields[j];
		if (!f->field && !(spec->tags && is_tag_filter(name))) {
			err_set(e, "InvalidParameterValue",
				"The filter '%.200s' is invalid", name);
			goto fail;
		}
		if (filter_values(v[i], f, e) < 0)
			goto fail;
	}
	free(v);
	return 0;
fail:
	free(v);
	filters_free(out);
	return -1;
}

void
filters_free(struct filter_set *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->v[i].values);
	free(fs->v);
	fs->v = NULL;
	fs->n = 0;
}

static bool
any_value_matches(const struct filter *f, const char *s)
{
	for (size_t i = 0; i < f->nvalues; i++)
		if (wildcard_match(f->values[i], s))
			return true;
	return false;
}

static bool
tag_filter_match(const struct filter *f, const struct tags *t)
{
	for (size_t i = 0; t && i < t->n; i++) {
		const struct tag *tag = &t->v[i];

		if (strcmp(f->name, "tag-key") == 0) {
			if (any_value_matches(f, tag->key))
				return true;
		} else if (strcmp(f->name, "tag-value") == 0) {
			if (any_value_matches(f, tag->value))
				return true;
		} else if (strcmp(f->name + 4, tag->key) == 0) {
			if (any_value_matches(f, tag->value))
				return true;
		}
	}
	return false;
}

static bool
filter_match(const struct filter *f, const struct filter_spec *spec,
	     const void *res)
{
	struct strlist vals;
	bool hit = false;

	/* A filter with no values matches nothing, as EC2 does. */
	if (f->nvalues == 0)
		return false;
	if (!f->field)
		return tag_filter_match(f, spec->tags(res));
	strlist_init(&vals);
	f->field->values(res, &vals);
	for (size_t i = 0; i < vals.n && !hit; i++)
		hit = any_value_matches(f, vals.v[i]);
	strlist_free(&vals);
	return hit;
}

bool
filters_match(const struct filter_set *fs, const struct filter_spec *spec,
	      const void *res)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!filter_match(&fs->v[i], spec, res))
			return false;
	return true;
}

static bool
values_literal(const struct filter *f)
{
	if (f->nvalues == 0)
		return false;
	for (size_t i = 0; i < f->nvalues; i++)
		if (strpbrk(f->values[i], "*?\\"))
			return false;
	return true;
}

bool
filter_literal(const struct filter_set *fs, const char *name,
	       struct store_values *out)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct filter *f = &fs->v[i];

		if (strcmp(f->name, name) == 0 && values_literal(f)) {
			out->v = f->values;
			out->n = f->nvalues;
			return true;
		}
	}
	return false;
}

size_t
filter_tag_literals(const struct filter_set *fs, struct store_tag_match *out,
		    size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < fs->n && n < max; i++) {
		const struct filter *f = &fs->v[i];

		if (strncmp(f->name, "tag:", 4) != 0 || !values_literal(f))
			continue;
		out[n].key = f->name + 4;
		out[n].values.v = f->values;
		out[n].values.n = f->nvalues;
		n++;
	}
	return n;
}
