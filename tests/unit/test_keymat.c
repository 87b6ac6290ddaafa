/*
 * test_keymat.c - keymat judged by the real tools.
 *
 * Every generated private key is written to a 0600 file and read back by
 * ssh-keygen, puttygen or openssl; it must give the same public key and
 * the fingerprint EC2's guide says to compute with those tools, and it
 * must sign something that verifies against the public key keymat
 * reports. Imports use golden public keys made by ssh-keygen and openssl
 * (tests/data/keymat/generate.sh) with the expected values those tools
 * printed. A missing tool fails the test; nothing is skipped.
 * Runs from tests/unit/; needs openssh-client, putty-tools and openssl.
 */
#include "services/ec2/keymat.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "unit.h"

#define DATA	 "../data/keymat/"
#define OUT_MAX	 16384
#define PATH_LEN 256
#define MAX_TEMP 32

extern char **environ;

static char tmpdir[] = "/tmp/test_keymat.XXXXXX";
static char temps[MAX_TEMP][PATH_LEN];
static int ntemps;

/* A path in the scratch directory, remembered for cleanup. */
static const char *
temp_path(const char *name)
{
	int i;

	for (i = 0; i < ntemps; i++) {
		const char *slash = strrchr(temps[i], '/');

		if (slash && strcmp(slash + 1, name) == 0)
			return temps[i];
	}
	if (ntemps == MAX_TEMP)
		abort();
	snprintf(temps[ntemps], PATH_LEN, "%s/%s", tmpdir, name);
	return temps[ntemps++];
}

static void
cleanup(void)
{
	int i;

	for (i = 0; i < ntemps; i++)
		unlink(temps[i]);
	rmdir(tmpdir);
}

/* Write data to path, mode 0600 as ssh-keygen insists for private keys. */
static int
write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static int
write_text(const char *path, const char *s)
{
	return write_file(path, s, strlen(s));
}

/* Read up to cap - 1 bytes of path into buf, NUL-terminated; length or -1. */
static long
read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (long)len;
}

/*
 * Run argv (argv[0] looked up on PATH) with stdin from in_path or
 * /dev/null and stderr to /dev/null, capturing stdout into out. Returns
 * the exit status, or -1 if the program could not run at all.
 */
static int
run(char *const argv[], const char *in_path, char *out, size_t cap)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], status, rc;
	size_t len = 0;
	char discard[512];
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(
	    &fa, 0, in_path ? in_path : "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(rc));
		close(pipefd[0]);
		return -1;
	}
	while ((n = read(pipefd[0], len < cap - 1 ? out + len : discard,
			 len < cap - 1 ? cap - 1 - len : sizeof(discard))) >
	       0) {
		if (len < cap - 1)
			len += (size_t)n;
	}
	close(pipefd[0]);
	out[len] = '\0';
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* RUN(out, "prog", "arg", ...): run with no stdin, stdout into out[]. */
#define RUN(out, ...) run((char *[]){__VA_ARGS__, NULL}, NULL, out, sizeof(out))

/* The first n whitespace-separated fields of s, joined by one space. */
static const char *
fields(const char *s, int n, char *out, size_t cap)
{
	size_t len = 0, w;

	out[0] = '\0';
	while (n-- > 0) {
		s += strspn(s, " \t\r\n");
		w = strcspn(s, " \t\r\n");
		if (w == 0 || len + w + 2 > cap)
			break;
		if (len)
			out[len++] = ' ';
		memcpy(out + len, s, w);
		len += w;
		out[len] = '\0';
		s += w;
	}
	return out;
}

/* The nth (0-based) whitespace-separated field of s. */
static const char *
field(const char *s, int nth, char *out, size_t cap)
{
	char all[OUT_MAX];
	const char *last;

	fields(s, nth + 1, all, sizeof(all));
	last = strrchr(all, ' ');
	snprintf(out, cap, "%s", last && nth > 0 ? last + 1 : all);
	return out;
}

/* "SHA1(file)= aa:bb:..." as openssl prints a digest: the part after "= ". */
static const char *
digest_value(const char *s, char *out, size_t cap)
{
	const char *eq = strstr(s, "= ");

	return fields(eq ? eq + 2 : "", 1, out, cap);
}

static int
starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* "aa:bb:..." with n bytes. */
static int
is_colon_hex(const char *s, size_t n)
{
	size_t i;

	if (!s || strlen(s) != 3 * n - 1)
		return 0;
	for (i = 0; i < 3 * n - 1; i++) {
		if (i % 3 == 2 ? s[i] != ':'
			       : !strchr("0123456789abcdef", s[i]))
			return 0;
	}
	return 1;
}

/*
 * The private key at key_path signs a file with ssh-keygen -Y sign, and
 * the signature verifies against public_openssh: the private half really
 * belongs to the public key keymat reports. (ssh-keygen finds a PEM key
 * through KEY.pub, but signs with the private key and embeds the public
 * key derived from it, which verify then compares with allowed-signers.)
 */
static int
signs_for(const char *key_path, const char *public_openssh)
{
	const char *data = temp_path("signed-data");
	const char *sig = temp_path("signed-data.sig");
	const char *allowed = temp_path("allowed-signers");
	char out[OUT_MAX], line[OUT_MAX], pub[PATH_LEN];

	snprintf(pub, sizeof(pub), "%s.pub", strrchr(key_path, '/') + 1);
	snprintf(line, sizeof(line), "tester %s\n", public_openssh);
	unlink(sig);
	if (write_text(data, "keymat test data\n") < 0 ||
	    write_text(allowed, line) < 0 ||
	    write_text(temp_path(pub), line + strlen("tester ")) < 0)
		return 0;
	if (RUN(out, "ssh-keygen", "-Y", "sign", "-f", (char *)key_path, "-n",
		"test", (char *)data) != 0)
		return 0;
	return run((char *[]){"ssh-keygen", "-Y", "verify", "-f",
			      (char *)allowed, "-I", "tester", "-n", "test",
			      "-s", (char *)sig, NULL},
		   data, out, sizeof(out)) == 0;
}

/* openssl's SHA-1 of the DER PKCS#8 form of the PEM key at key_path. */
static const char *
openssl_pkcs8_sha1(const char *key_path, char *fp, size_t cap)
{
	const char *der = temp_path("pkcs8.der");
	char out[OUT_MAX];

	fp[0] = '\0';
	if (RUN(out, "openssl", "pkcs8", "-topk8", "-nocrypt", "-inform", "PEM",
		"-in", (char *)key_path, "-outform", "DER", "-out",
		(char *)der) != 0 ||
	    RUN(out, "openssl", "sha1", "-c", (char *)der) != 0)
		return fp;
	return digest_value(out, fp, cap);
}

/* openssl's MD5 of the DER SubjectPublicKeyInfo of the key at key_path. */
static const char *
openssl_spki_md5(const char *key_path, char *fp, size_t cap)
{
	const char *der = temp_path("spki.der");
	char out[OUT_MAX];

	fp[0] = '\0';
	if (RUN(out, "openssl", "pkey", "-in", (char *)key_path, "-pubout",
		"-outform", "DER", "-out", (char *)der) != 0 ||
	    RUN(out, "openssl", "md5", "-c", (char *)der) != 0)
		return fp;
	return digest_value(out, fp, cap);
}

/* ssh-keygen's "SHA256:xxx" for key_path, as EC2 shows it ("xxx="). */
static const char *
ssh_keygen_sha256(const char *key_path, char *fp, size_t cap)
{
	char out[OUT_MAX], f[OUT_MAX];

	fp[0] = '\0';
	if (RUN(out, "ssh-keygen", "-l", "-E", "sha256", "-f",
		(char *)key_path) != 0)
		return fp;
	field(out, 1, f, sizeof(f));
	if (starts_with(f, "SHA256:"))
		snprintf(fp, cap, "%s=", f + strlen("SHA256:"));
	return fp;
}

static void
test_names(void)
{
	enum keymat_type t = KEYMAT_ED25519;
	enum keymat_format f = KEYMAT_PPK;

	CHECK(keymat_type_parse("rsa", &t) == 0 && t == KEYMAT_RSA, "rsa");
	CHECK(keymat_type_parse("ed25519", &t) == 0 && t == KEYMAT_ED25519,
	      "ed25519");
	CHECK(keymat_type_parse("RSA", &t) < 0, "KeyType is case-sensitive");
	CHECK(keymat_type_parse("dsa", &t) < 0, "dsa");
	CHECK(keymat_type_parse("", &t) < 0, "empty type");
	CHECK(keymat_type_parse(NULL, &t) < 0, "NULL type");
	CHECK_STR(keymat_type_name(KEYMAT_RSA), "rsa");
	CHECK_STR(keymat_type_name(KEYMAT_ED25519), "ed25519");
	CHECK(keymat_format_parse("pem", &f) == 0 && f == KEYMAT_PEM, "pem");
	CHECK(keymat_format_parse("ppk", &f) == 0 && f == KEYMAT_PPK, "ppk");
	CHECK(keymat_format_parse("PEM", &f) < 0,
	      "KeyFormat is case-sensitive");
	CHECK(keymat_format_parse(NULL, &f) < 0, "NULL format");
	CHECK_STR(keymat_format_name(KEYMAT_PEM), "pem");
	CHECK_STR(keymat_format_name(KEYMAT_PPK), "ppk");
}

static void
test_rsa_pem(void)
{
	const char *key = temp_path("rsa.pem");
	struct keymat k = {0}, imp = {0};
	struct err e = {{0}, {0}};
	char out[OUT_MAX], got[OUT_MAX], want[OUT_MAX];
	int rc;

	rc = keymat_generate(KEYMAT_RSA, KEYMAT_PEM, "test-rsa", &k, &e);
	CHECK(rc == 0, "generate rsa pem: %s %s", e.code, e.message);
	if (rc != 0)
		return;
	CHECK(k.type == KEYMAT_RSA, "type");
	CHECK(starts_with(k.private_key, "-----BEGIN RSA PRIVATE KEY-----\n"),
	      "PKCS#1 PEM header: %.40s", k.private_key);
	CHECK(ends_with(k.private_key, "-----END RSA PRIVATE KEY-----\n"),
	      "PKCS#1 PEM trailer");
	CHECK(starts_with(k.public_openssh, "ssh-rsa AAAA"), "%s",
	      k.public_openssh);
	CHECK(is_colon_hex(k.fingerprint, 20), "SHA-1 colon hex: %s",
	      k.fingerprint);
	CHECK(write_text(key, k.private_key) == 0, "write %s", key);

	rc = RUN(out, "ssh-keygen", "-y", "-f", (char *)key);
	CHECK(rc == 0, "ssh-keygen -y: %d", rc);
	CHECK_STR(fields(out, 2, got, sizeof(got)), k.public_openssh);
	rc = RUN(out, "ssh-keygen", "-l", "-f", (char *)key);
	CHECK(rc == 0 && strcmp(field(out, 0, got, sizeof(got)), "2048") == 0,
	      "2048 bits: %s", out);
	rc = RUN(out, "openssl", "rsa", "-check", "-noout", "-in", (char *)key);
	CHECK(rc == 0 && strstr(out, "RSA key ok"), "openssl rsa -check: %s",
	      out);
	CHECK_STR(k.fingerprint, openssl_pkcs8_sha1(key, want, sizeof(want)));
	CHECK(signs_for(key, k.public_openssh), "RSA PEM key signs");

	/* Import the same public key: EC2 then shows MD5 of the DER SPKI. */
	rc =
	    keymat_import(k.public_openssh, strlen(k.public_openssh), &imp, &e);
	CHECK(rc == 0, "re-import: %s", e.message);
	CHECK_STR(imp.public_openssh, k.public_openssh);
	CHECK_STR(imp.fingerprint, openssl_spki_md5(key, want, sizeof(want)));
	CHECK(imp.private_key == NULL, "imported keys have no private key");
	keymat_clear(&imp);
	keymat_clear(&k);
}

static void
test_ed25519_pem(void)
{
	const char *key = temp_path("ed25519.key");
	struct keymat k = {0}, imp = {0};
	struct err e = {{0}, {0}};
	char out[OUT_MAX], got[OUT_MAX], want[OUT_MAX];
	int rc;

	rc =
	    keymat_generate(KEYMAT_ED25519, KEYMAT_PEM, "test-ed25519", &k, &e);
	CHECK(rc == 0, "generate ed25519 pem: %s %s", e.code, e.message);
	if (rc != 0)
		return;
	CHECK(k.type == KEYMAT_ED25519, "type");
	CHECK(
	    starts_with(k.private_key, "-----BEGIN OPENSSH PRIVATE KEY-----\n"),
	    "openssh-key-v1 header: %.40s", k.private_key);
	CHECK(ends_with(k.private_key, "-----END OPENSSH PRIVATE KEY-----\n"),
	      "openssh-key-v1 trailer");
	CHECK(k.fingerprint && strlen(k.fingerprint) == 44 &&
		  ends_with(k.fingerprint, "=") && !strchr(k.fingerprint, ':'),
	      "padded base64 SHA-256 without prefix: %s", k.fingerprint);
	CHECK(write_text(key, k.private_key) == 0, "write %s", key);

	rc = RUN(out, "ssh-keygen", "-y", "-f", (char *)key);
	CHECK(rc == 0, "ssh-keygen -y: %d", rc);
	CHECK_STR(fields(out, 2, got, sizeof(got)), k.public_openssh);
	CHECK_STR(field(out, 2, got, sizeof(got)), "test-ed25519");
	CHECK_STR(k.fingerprint, ssh_keygen_sha256(key, want, sizeof(want)));
	CHECK(signs_for(key, k.public_openssh), "Ed25519 key signs");

	/* Created and imported Ed25519 fingerprints are the same. */
	rc =
	    keymat_import(k.public_openssh, strlen(k.public_openssh), &imp, &e);
	CHECK(rc == 0, "re-import: %s", e.message);
	CHECK_STR(imp.fingerprint, k.fingerprint);
	CHECK_STR(imp.public_openssh, k.public_openssh);
	keymat_clear(&imp);
	keymat_clear(&k);
}

/*
 * Flip one letter of the comment: PuTTY must then refuse the MAC when it
 * loads the private key (public-only output does not check it).
 */
static void
check_ppk_mac_guards(const char *ppk_text)
{
	const char *bad = temp_path("tampered.ppk");
	const char *conv = temp_path("tampered.key");
	char copy[OUT_MAX], out[OUT_MAX];
	char *c;
	int rc;

	snprintf(copy, sizeof(copy), "%s", ppk_text);
	c = strstr(copy, "Comment: test-ppk");
	CHECK(c != NULL, "comment line");
	if (!c)
		return;
	c[strlen("Comment: test-pp")] = 'K';
	CHECK(write_text(bad, copy) == 0, "write %s", bad);
	rc = RUN(out, "puttygen", (char *)bad, "-O", "private-openssh-new",
		 "-o", (char *)conv);
	CHECK(rc != 0 && rc != -1, "puttygen rejects a bad MAC: %d", rc);
}

static void
test_ppk(enum keymat_type t)
{
	const char *ppk = temp_path("key.ppk");
	const char *conv = temp_path("converted.key");
	const char *ref = temp_path("puttygen.ppk");
	const char *alg = t == KEYMAT_RSA ? "ssh-rsa" : "ssh-ed25519";
	struct keymat k = {0};
	struct err e = {{0}, {0}};
	char out[OUT_MAX], got[OUT_MAX], want[OUT_MAX];
	int rc;

	rc = keymat_generate(t, KEYMAT_PPK, "test-ppk", &k, &e);
	CHECK(rc == 0, "generate %s ppk: %s %s", alg, e.code, e.message);
	if (rc != 0)
		return;
	snprintf(want, sizeof(want),
		 "PuTTY-User-Key-File-2: %s\nEncryption: none\n"
		 "Comment: test-ppk\nPublic-Lines: ",
		 alg);
	CHECK(starts_with(k.private_key, want), "PPK v2 header: %.80s",
	      k.private_key);
	CHECK(write_text(ppk, k.private_key) == 0, "write %s", ppk);

	rc = RUN(out, "puttygen", (char *)ppk, "-O", "public-openssh");
	CHECK(rc == 0, "puttygen -O public-openssh: %d", rc);
	CHECK_STR(fields(out, 2, got, sizeof(got)), k.public_openssh);
	CHECK_STR(field(out, 2, got, sizeof(got)), "test-ppk");

	/* The private half, converted by PuTTY, signs for our public key. */
	unlink(conv);
	rc = RUN(out, "puttygen", (char *)ppk, "-O",
		 t == KEYMAT_RSA ? "private-openssh" : "private-openssh-new",
		 "-o", (char *)conv);
	CHECK(rc == 0, "puttygen -O private-openssh: %d", rc);
	CHECK(signs_for(conv, k.public_openssh), "%s PPK key signs", alg);
	/* PuTTY writing the same key as PPK v2 gives the very same file. */
	rc = RUN(out, "puttygen", (char *)conv, "-O", "private", "--ppk-param",
		 "version=2", "-C", "test-ppk", "-o", (char *)ref);
	CHECK(rc == 0, "puttygen -O private: %d", rc);
	CHECK(read_file(ref, got, sizeof(got)) > 0 &&
		  strcmp(got, k.private_key) == 0,
	      "%s: PuTTY writes\n%s\nkeymat wrote\n%s", alg, got,
	      k.private_key);
	if (t == KEYMAT_RSA)
		CHECK_STR(k.fingerprint,
			  openssl_pkcs8_sha1(conv, want, sizeof(want)));
	else
		CHECK_STR(k.fingerprint,
			  ssh_keygen_sha256(conv, want, sizeof(want)));
	check_ppk_mac_guards(k.private_key);
	keymat_clear(&k);
}

static void
test_generate_rejects(void)
{
	struct keymat k = {0};
	struct keymat sentinel = {KEYMAT_ED25519, (char *)"p", (char *)"o",
				  (char *)"f"};
	struct err e = {{0}, {0}};
	char name[KEYMAT_NAME_MAX + 2];
	int rc;

	k = sentinel;
	rc = keymat_generate((enum keymat_type)7, KEYMAT_PEM, "x", &k, &e);
	CHECK(rc < 0 && strcmp(e.code, "InvalidParameterValue") == 0,
	      "bad type: %d %s", rc, e.code);
	CHECK(memcmp(&k, &sentinel, sizeof(k)) == 0, "out untouched");
	rc = keymat_generate(KEYMAT_RSA, (enum keymat_format)9, "x", &k, &e);
	CHECK(rc < 0 && strcmp(e.code, "InvalidParameterValue") == 0,
	      "bad format: %d %s", rc, e.code);
	rc = keymat_generate(KEYMAT_ED25519, KEYMAT_PEM, NULL, &k, &e);
	CHECK(rc < 0, "NULL name");
	rc = keymat_generate(KEYMAT_ED25519, KEYMAT_PEM, "", &k, &e);
	CHECK(rc < 0, "empty name");
	rc = keymat_generate(KEYMAT_ED25519, KEYMAT_PPK, "two\nlines", &k, &e);
	CHECK(rc < 0, "newline in name");
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	rc = keymat_generate(KEYMAT_ED25519, KEYMAT_PPK, name, &k, &e);
	CHECK(rc < 0, "256-byte name");
	CHECK(memcmp(&k, &sentinel, sizeof(k)) == 0, "out untouched");

	name[KEYMAT_NAME_MAX] = '\0';
	rc = keymat_generate(KEYMAT_ED25519, KEYMAT_PPK, name, &k, &e);
	CHECK(rc == 0, "255-byte name: %s", e.message);
	if (rc == 0)
		keymat_clear(&k);
	keymat_clear(NULL);
	keymat_clear(&k);
}

struct import_case {
	const char *input;
	const char *expect; /* NAME of NAME.fp and NAME.openssh; NULL rejects */
	enum keymat_type type;
};

static const struct import_case import_cases[] = {
    {"rsa1024.pub", "rsa1024", KEYMAT_RSA},
    {"rsa2048.pub", "rsa2048", KEYMAT_RSA},
    {"rsa3072.pub", "rsa3072", KEYMAT_RSA},
    {"rsa4096.pub", "rsa4096", KEYMAT_RSA},
    {"rsa2048.rfc4716", "rsa2048", KEYMAT_RSA},
    {"rsa2048-headers.rfc4716", "rsa2048", KEYMAT_RSA},
    {"rsa2048.der.b64", "rsa2048", KEYMAT_RSA},
    {"rsa2048-oneline.der.b64", "rsa2048", KEYMAT_RSA},
    {"rsa2048.pkcs1.b64", "rsa2048", KEYMAT_RSA},
    {"ed25519.pub", "ed25519", KEYMAT_ED25519},
    {"ed25519-crlf.pub", "ed25519", KEYMAT_ED25519},
    {"ed25519.openssh", "ed25519", KEYMAT_ED25519},
    {"reject-garbage.txt", NULL, KEYMAT_RSA},
    {"reject-truncated.pub", NULL, KEYMAT_RSA},
    {"reject-truncated4.pub", NULL, KEYMAT_RSA},
    {"reject-dsa.pub", NULL, KEYMAT_RSA},
    {"reject-ecdsa.pub", NULL, KEYMAT_RSA},
    {"reject-rsa768.pub", NULL, KEYMAT_RSA},
    {"reject-rsa8192.pub", NULL, KEYMAT_RSA},
    {"reject-two-keys.pub", NULL, KEYMAT_RSA},
    {"reject-blob-junk.pub", NULL, KEYMAT_RSA},
    {"reject-base64-junk.pub", NULL, KEYMAT_RSA},
    {"reject-ed25519-short.pub", NULL, KEYMAT_RSA},
    {"reject-type-mismatch.pub", NULL, KEYMAT_RSA},
    {"reject-options.pub", NULL, KEYMAT_RSA},
    {"reject-pem-armored.txt", NULL, KEYMAT_RSA},
    {"reject-ed25519.rfc4716", NULL, KEYMAT_RSA},
    {"reject-ed25519.der.b64", NULL, KEYMAT_RSA},
    {"reject-rfc4716-trailing.txt", NULL, KEYMAT_RSA},
    {"reject-rfc4716-unterminated.txt", NULL, KEYMAT_RSA},
};

/* The first line of DATA/name (a stored expected value). */
static const char *
expected(const char *name, const char *ext, char *out, size_t cap)
{
	char path[PATH_LEN], buf[OUT_MAX];

	snprintf(path, sizeof(path), DATA "%s.%s", name, ext);
	if (read_file(path, buf, sizeof(buf)) < 0) {
		CHECK(0, "cannot read %s", path);
		buf[0] = '\0';
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	snprintf(out, cap, "%s", buf);
	return out;
}

static void
run_import_case(const struct import_case *c)
{
	struct keymat k = {0};
	struct keymat sentinel = {KEYMAT_ED25519, (char *)"p", (char *)"o",
				  (char *)"f"};
	struct err e = {{0}, {0}};
	char path[PATH_LEN], text[OUT_MAX], want[OUT_MAX];
	long len;
	int rc;

	snprintf(path, sizeof(path), DATA "%s", c->input);
	len = read_file(path, text, sizeof(text));
	CHECK(len > 0, "cannot read %s", path);
	if (len <= 0)
		return;
	k = sentinel;
	rc = keymat_import(text, (size_t)len, &k, &e);
	if (!c->expect) {
		CHECK(rc < 0 && strcmp(e.code, "InvalidKey.Format") == 0,
		      "%s: want InvalidKey.Format, got %d %s", c->input, rc,
		      e.code);
		CHECK(memcmp(&k, &sentinel, sizeof(k)) == 0,
		      "%s: out untouched", c->input);
		return;
	}
	CHECK(rc == 0, "%s: %s %s", c->input, e.code, e.message);
	if (rc != 0)
		return;
	CHECK(k.type == c->type, "%s: type %d", c->input, (int)k.type);
	CHECK(k.private_key == NULL, "%s: no private key", c->input);
	CHECK_STR(k.fingerprint, expected(c->expect, "fp", want, sizeof(want)));
	CHECK_STR(k.public_openssh,
		  expected(c->expect, "openssh", want, sizeof(want)));
	keymat_clear(&k);
}

static void
test_import_golden(void)
{
	size_t i;

	for (i = 0; i < sizeof(import_cases) / sizeof(import_cases[0]); i++)
		run_import_case(&import_cases[i]);
}

/* Length limits, empty and NUL-bearing material. */
static void
test_import_bounds(void)
{
	static char big[KEYMAT_MATERIAL_MAX + 2];
	struct keymat k = {0};
	struct err e = {{0}, {0}};
	char want[OUT_MAX];
	long len;
	int rc;

	len = read_file(DATA "rsa2048.pub", big, sizeof(big));
	CHECK(len > 0, "read rsa2048.pub");
	if (len <= 0)
		return;
	/* Pad with blank lines to exactly the limit: still accepted. */
	memset(big + len, '\n', KEYMAT_MATERIAL_MAX - (size_t)len);
	rc = keymat_import(big, KEYMAT_MATERIAL_MAX, &k, &e);
	CHECK(rc == 0, "16 KiB material: %s", e.message);
	CHECK_STR(k.fingerprint, expected("rsa2048", "fp", want, sizeof(want)));
	keymat_clear(&k);
	big[KEYMAT_MATERIAL_MAX] = '\n';
	rc = keymat_import(big, KEYMAT_MATERIAL_MAX + 1, &k, &e);
	CHECK(rc < 0 && strcmp(e.code, "InvalidKey.Format") == 0,
	      "16 KiB + 1: %d %s", rc, e.code);

	rc = keymat_import("", 0, &k, &e);
	CHECK(rc < 0 && strcmp(e.code, "InvalidKey.Format") == 0, "empty");
	rc = keymat_import(NULL, 10, &k, &e);
	CHECK(rc < 0, "NULL material");
	rc = keymat_import("   \n\n", 5, &k, &e);
	CHECK(rc < 0, "blank material");
	big[len - 1] = '\0'; /* the newline after the key becomes a NUL */
	rc = keymat_import(big, (size_t)len, &k, &e);
	CHECK(rc < 0, "NUL in material");
	CHECK(k.fingerprint == NULL, "out untouched after failures");
}

/*
 * The base64 of a key goes through the one strict decoder: bits under the
 * padding, padding in the middle, or a line break inside the one-line
 * form's base64 make the key unreadable.
 */
static void
test_import_strict_base64(void)
{
	static const char digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char text[OUT_MAX], bad[OUT_MAX];
	struct keymat k = {0};
	struct err e = {{0}, {0}};
	long len = read_file(DATA "rsa1024.pub", text, sizeof(text));
	char *pad = len > 0 ? strstr(text, "== ") : NULL;
	size_t at;
	const char *d;

	CHECK(pad != NULL && pad > text, "rsa1024.pub: no '==' padding");
	if (!pad || pad == text)
		return;
	at = (size_t)(pad - text) - 1;
	CHECK(keymat_import(text, (size_t)len, &k, &e) == 0, "as stored: %s",
	      e.message);
	keymat_clear(&k);
	/* The character before "==" keeps 2 bits; any of its low 4 is stray. */
	d = strchr(digits, text[at]);
	CHECK(d && (((d - digits) & 15) == 0), "canonical padding bits");
	memcpy(bad, text, (size_t)len);
	bad[at] = d ? digits[(d - digits) | 1] : 'B';
	CHECK(keymat_import(bad, (size_t)len, &k, &e) < 0 &&
		  strcmp(e.code, "InvalidKey.Format") == 0,
	      "stray bits under the padding accepted");
	memcpy(bad, text, (size_t)len);
	bad[20] = '=';
	CHECK(keymat_import(bad, (size_t)len, &k, &e) < 0,
	      "padding inside the base64 accepted");
	memcpy(bad, text, (size_t)len);
	bad[20] = '\r';
	CHECK(keymat_import(bad, (size_t)len, &k, &e) < 0,
	      "CR inside the one-line base64 accepted");
}

int
main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_names();
	test_rsa_pem();
	test_ed25519_pem();
	test_ppk(KEYMAT_RSA);
	test_ppk(KEYMAT_ED25519);
	test_generate_rejects();
	test_import_golden();
	test_import_bounds();
	test_import_strict_base64();
	cleanup();
	return UNIT_DONE();
}
