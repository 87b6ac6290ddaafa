/*
 * keypairs.h - key pairs.
 */
#ifndef EC2D_STORE_KEYPAIRS_H
#define EC2D_STORE_KEYPAIRS_H

#include "store.h"

struct keypair {
	char id[32];
	char name[256];
	char type[16];
	char fingerprint[128];
	char *public_key; /* OpenSSH one-line form */
	time_t created;
};
void keypair_clear(struct keypair *k);
void keypairs_free(struct keypair *v, size_t n);
/* InvalidKeyPair.Duplicate when the name is taken. */
int store_keypair_insert(struct store_tx *tx, const struct keypair *k,
			 struct err *e);
/* By name when name is non-NULL, else by id. */
int store_keypair_get(struct store_tx *tx, const char *name, const char *id,
		      struct keypair *out, struct err *e);
/* All key pairs ordered by name. */
int store_keypair_list(struct store_tx *tx, struct keypair **ret, size_t *ret_n,
		       struct err *e);
int store_keypair_delete(struct store_tx *tx, const char *id, struct err *e);

/*
 * The key pairs that pass every condition, ordered by name, starting after
 * name after ("" or NULL: from the first), at most limit (0: all).
 */
struct keypair_query {
	struct store_values names, ids, fingerprints, types;
	const struct store_tag_match *tags;
	size_t ntags;
	const char *after;
	size_t limit;
};
int store_keypair_query(struct store_tx *tx, const struct keypair_query *q,
			struct keypair **ret, size_t *ret_n, struct err *e);

#endif
