/*
 * action.c - lookup in a service's sorted action table.
 */
#include "action.h"

#include <stdlib.h>
#include <string.h>

static int
action_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct action *)elem)->name);
}

const struct action *
action_find(const struct action *table, size_t n, const char *name)
{
	return bsearch(name, table, n, sizeof(*table), action_cmp);
}
