/*
 * err.h - the error a service hands back to the API layer.
 *
 * Service and store code fill a caller-given struct err with an EC2 error
 * code ("InvalidParameterValue", "InvalidKeyPair.NotFound", ...) and a
 * human-readable message, and return -1. Only api/ turns a struct err into
 * an HTTP status and a wire-format error body. System-level code returns
 * 0 or -errno instead and never touches struct err.
 */
#ifndef EC2D_COMMON_ERR_H
#define EC2D_COMMON_ERR_H

#define ERR_CODE_MAX	96
#define ERR_MESSAGE_MAX 1024

struct err {
	char code[ERR_CODE_MAX];
	char message[ERR_MESSAGE_MAX];
};

/* Fill e (when not NULL) and return -1, so callers can `return err_set(...)`.
 */
int err_set(struct err *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True once err_set has been called on e. */
int err_is_set(const struct err *e);

void err_clear(struct err *e);

#endif
