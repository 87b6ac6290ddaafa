/*
 * fuzz_query.c - libFuzzer target: arbitrary bytes as a Query body, then
 * the getters and the filter parser a handler would run on the tree.
 */
#include <stdint.h>
#include <stdlib.h>

#include "api/query.h"
#include "services/ec2/filter.h"
#include "services/ec2/paginate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
noop_values(const void *res, struct strlist *out)
{
	strlist_add(out, "value");
}

static const struct filter_field fields[] = {{"name", noop_values}};
static const struct filter_spec spec = {fields, 1, NULL};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A fixed key: the token's HMAC check runs, the store is not needed. */
	static const unsigned char secret[PAGE_SECRET_LEN] = {1, 2, 3};
	struct param *root = params_new();
	struct filter_set fs;
	struct strlist l;
	struct page pg;
	struct err e;
	long long n;

	if (query_decode((const char *)data, size, root, size & 1, &e) == 0) {
		strlist_init(&l);
		param_strlist(root, "InstanceId", 100, &l, &e);
		strlist_free(&l);
		param_int(root, "MaxResults", false, 5, 1000, &n, &e);
		page_parse_keyed(root, secret, "Fuzz", 5, 1000, &pg, &e);
		if (filters_parse(root, &spec, &fs, &e) == 0) {
			filters_match(&fs, &spec, "x");
			filters_free(&fs);
		}
	}
	params_free(root);
	return 0;
}
