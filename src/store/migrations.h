/*
 * migrations.h - the store's schema, as numbered steps applied in order at
 * open. A step is never edited once released; a change is a new step.
 */
#ifndef EC2D_STORE_MIGRATIONS_H
#define EC2D_STORE_MIGRATIONS_H

#include <stddef.h>

/* migrations[i] takes the schema from version i to version i + 1. */
extern const char *const store_migrations[];
extern const size_t store_migrations_count;

#endif
