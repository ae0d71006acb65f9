/* vault.c: the key that seals a data folder's keys comes from outside that folder (see ks.h,
 * API.md "Keys from outside the data folder"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "ks.h"

#define KEY_FILE_HEX 64
#define KPX_NAME "storage.kpx"

int ks_keysource_option(ks_keysource *k, const char *name, const char *value, char *msg, size_t cap)
{
    if (strcmp(name, "--storage-key-file") == 0) {
        k->key_file = value;
    } else if (strcmp(name, "--storage-passphrase-file") == 0) {
        k->pass_file = value;
    } else if (strcmp(name, "--kdf") == 0) {
        if (kp_cli_kdf(value, &k->kdf) != 0) {
            snprintf(msg, cap, "--kdf must be interactive, moderate or sensitive, not \"%s\"", value);
            return -1;
        }
    } else {
        return 0;
    }
    return 1;
}

/* The absolute path of p, with symbolic links resolved as far as p exists. */
static void absolute(char out[PATH_MAX], const char *p)
{
    char *r = realpath(p, NULL);
    if (r != NULL) {
        snprintf(out, PATH_MAX, "%s", r);
        free(r);
        return;
    }
    char *c1 = strdup(p), *c2 = strdup(p);
    const char *dir = c1 ? dirname(c1) : p, *base = c2 ? basename(c2) : "";
    if (c1 != NULL && c2 != NULL && strcmp(dir, p) != 0) {
        char d[PATH_MAX];
        absolute(d, dir);
        size_t dl = strnlen(d, PATH_MAX - 2), bl = strlen(base);
        memcpy(out, d, dl);
        out[dl] = '/';
        if (bl > PATH_MAX - dl - 2) bl = PATH_MAX - dl - 2;
        memcpy(out + dl + 1, base, bl);
        out[dl + 1 + bl] = 0;
    } else {
        char cwd[PATH_MAX] = ".";
        if (p[0] != '/' && getcwd(cwd, sizeof cwd) == NULL) snprintf(cwd, sizeof cwd, ".");
        snprintf(out, PATH_MAX, "%s%s%s", p[0] == '/' ? "" : cwd, p[0] == '/' ? "" : "/", p);
    }
    free(c1);
    free(c2);
}

static int inside(const char *file, const char *data)
{
    char f[PATH_MAX], d[PATH_MAX];
    absolute(f, file);
    absolute(d, data);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/') d[--n] = 0;
    return strncmp(f, d, n) == 0 && (f[n] == '/' || f[n] == 0);
}

int ks_keysource_check(const ks_keysource *k, const char *data, char *msg, size_t cap)
{
    if (k->key_file != NULL && k->pass_file != NULL) {
        snprintf(msg, cap, "give --storage-key-file or --storage-passphrase-file, not both");
        return -1;
    }
    const char *f = k->key_file ? k->key_file : k->pass_file;
    if (f == NULL && !isatty(STDIN_FILENO)) {
        snprintf(msg, cap,
                 "the key that seals the keys in %s must come from outside it: give --storage-key-file FILE (a key file on "
                 "another path) or --storage-passphrase-file FILE, or start on a terminal to be asked for a passphrase",
                 data);
        return -1;
    }
    if (f != NULL && inside(f, data)) {
        snprintf(msg, cap, "%s %s is inside the data folder %s: keep it outside, or a copy of the folder opens everything",
                 k->key_file ? "--storage-key-file" : "--storage-passphrase-file", f, data);
        return -1;
    }
    return 0;
}

/* A key file: 64 hex digits, a final newline allowed. */
static int read_key_file(ks_err *e, const char *path, uint8_t key[32])
{
    uint8_t *text = NULL;
    size_t len = 0;
    if (ks_read_file(e, path, 4096, 1, &text, &len) != 0) return 500;
    size_t used = len;
    while (used > 0 && (text[used - 1] == '\n' || text[used - 1] == '\r')) used--;
    kp_status st = used == KEY_FILE_HEX ? kp_bytes_from_hex(key, 32, (const char *)text, used) : KP_ERR_FORMAT;
    ks_file_free(text, len, 1);
    if (st != KP_OK) return ks_fail(e, 500, "the storage key file %s must hold 64 hex digits (32 bytes)", path);
    return 0;
}

static int make_key_file(ks_err *e, const char *path)
{
    uint8_t raw[32];
    char *hex = kp_secure_alloc(KEY_FILE_HEX + 2);
    if (hex == NULL) return ks_fail(e, 500, "out of secure memory");
    ks_random(raw, sizeof raw);
    ks_hex(hex, raw, sizeof raw);
    hex[KEY_FILE_HEX] = '\n';
    int rc = ks_write_new_file(e, path, hex, KEY_FILE_HEX + 1, 0600);
    kp_memzero(raw, sizeof raw);
    kp_secure_free(hex);
    return rc;
}

int ks_keysource_open(ks_err *e, const kp_ctx *ctx, const ks_keysource *k, const char *data, int fresh, uint8_t **key,
                      int *made)
{
    *made = 0;
    if ((*key = kp_secure_alloc(32)) == NULL) return ks_fail(e, 500, "out of secure memory");
    int rc = 500;
    char *pass = NULL;
    size_t plen = 0;
    uint8_t *file = NULL;
    size_t flen = 0;
    if (k->key_file != NULL) {
        if (!ks_exists(k->key_file)) {
            if (!fresh) {
                ks_fail(e, 500, "the storage key file %s is missing, and %s was sealed with it: restore it from where you "
                                "keep it",
                        k->key_file, data);
                goto done;
            }
            if (make_key_file(e, k->key_file) != 0) goto done;
            *made = 1;
            ks_log("made a new storage key in %s: keep it apart from %s, and back it up apart from it", k->key_file, data);
        }
        if (read_key_file(e, k->key_file, *key) != 0) goto done;
        rc = 0;
        goto done;
    }
    /* a passphrase: the key is sealed under it in DATA/storage.kpx (Argon2id, XChaCha20-Poly1305) */
    char kpx[4200];
    snprintf(kpx, sizeof kpx, "%s/%s", data, KPX_NAME);
    int exists = ks_exists(kpx);
    if (!exists && !fresh) {
        ks_fail(e, 500, "%s is missing, and %s holds sealed keys: restore it from a backup", kpx, data);
        goto done;
    }
    if (k->pass_file != NULL) {
        uint8_t *p = NULL;
        size_t n = 0;
        if (ks_read_file(e, k->pass_file, 4096, 1, &p, &n) != 0) goto done;
        if (n > 0 && p[n - 1] == '\n') n--;
        if (n > 0 && p[n - 1] == '\r') n--;
        pass = (char *)p;
        plen = n;
        if (plen == 0) {
            ks_fail(e, 500, "the storage passphrase file %s is empty", k->pass_file);
            goto done;
        }
    } else if (kp_cli_passphrase(NULL, !exists, exists ? "Storage passphrase: " : "New storage passphrase: ", &pass,
                                 &plen) != 0) {
        ks_fail(e, 500, "no storage passphrase");
        goto done;
    }
    kp_status st;
    if (exists) {
        if (ks_read_file(e, kpx, 4096, 0, &file, &flen) != 0) goto done;
        if ((st = kp_context_open(ctx, *key, file, flen, pass, plen)) != KP_OK) {
            ks_fail(e, 500, "%s does not open: wrong passphrase, or the file was altered", kpx);
            goto done;
        }
    } else {
        uint8_t sealed[KP_CONTEXT_FILE_BYTES];
        do ks_random(*key, 32);
        while (kp_scalar_check(KP_CURVE_SECP256K1, *key) != KP_OK);
        if ((st = kp_context_seal(ctx, sealed, *key, pass, plen, k->kdf ? k->kdf : KP_KDF_MODERATE)) != KP_OK) {
            ks_fail_kp(e, 500, st, "sealing the storage key under the passphrase");
            goto done;
        }
        if (ks_mkdir(e, data) != 0 || ks_write_new_file(e, kpx, sealed, sizeof sealed, 0600) != 0) goto done;
    }
    rc = 0;
done:
    if (pass != NULL) kp_secure_free(pass);
    ks_file_free(file, flen, 0);
    if (rc != 0) {
        kp_secure_free(*key);
        *key = NULL;
    }
    return rc;
}

int ks_lock_folder(ks_err *e, int *fd, const char *dir, const char *file)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0) return ks_fail(e, 500, "cannot open %s: %s", path, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0)
        return ks_fail(e, 500, "another keyportd is using %s (it holds %s)", dir, path);
    return 0;
}

int ks_sealed_secret(ks_err *e, const uint8_t key[32], const char *dir, const char *name, uint8_t *out, size_t len,
                     int may_make, int (*make)(ks_err *e, void *arg, uint8_t *secret, size_t len), void *arg)
{
    char plain[4200], sealed_path[4300];
    snprintf(plain, sizeof plain, "%s/%s", dir, name);
    snprintf(sealed_path, sizeof sealed_path, "%s.sealed", plain);
    const uint8_t *ad = (const uint8_t *)name;
    size_t adlen = strlen(name);
    uint8_t *secret = kp_secure_alloc(len), *file = NULL;
    size_t flen = 0;
    kp_buf sealed;
    kp_buf_init(&sealed, 0);
    int rc = 500, have_sealed = ks_exists(sealed_path), have_plain = ks_exists(plain);
    if (secret == NULL) return ks_fail(e, 500, "out of secure memory");
    if (have_sealed) {
        if (ks_read_file(e, sealed_path, 4096, 0, &file, &flen) != 0) goto done;
        if (flen != len + KP_AT_REST_OVERHEAD || kp_at_rest_open(secret, key, ad, adlen, file, flen) != KP_OK) {
            ks_fail(e, 500, "%s does not open with this storage key (another key file or passphrase than the one it was "
                            "sealed with, or the file was altered)",
                    sealed_path);
            goto done;
        }
    }
    if (have_plain) {
        /* an older keyportd kept it in the clear here: seal it, then remove the clear copy */
        uint8_t *p = NULL;
        size_t n = 0;
        if (ks_read_file(e, plain, 4096, 1, &p, &n) != 0) goto done;
        int ok = n == len && (!have_sealed || kp_memcmp_ct(p, secret, len) == 0);
        if (ok) memcpy(secret, p, len);
        ks_file_free(p, n, 1);
        if (!ok) {
            ks_fail(e, 500, have_sealed ? "%s and its sealed copy differ: keep the right one" : "%s must be %zu bytes",
                    plain, len);
            goto done;
        }
    } else if (!have_sealed) {
        if (!may_make) {
            ks_fail(e, 500, "%s is missing, but %s holds data sealed with it: restore the file from a backup", sealed_path,
                    dir);
            goto done;
        }
        if (make(e, arg, secret, len) != 0) goto done;
    }
    if (!have_sealed) {
        kp_status st = kp_at_rest_seal(&sealed, key, ad, adlen, secret, len);
        if (st != KP_OK) {
            ks_fail_kp(e, 500, st, "sealing %s", sealed_path);
            goto done;
        }
        if (ks_write_new_file(e, sealed_path, sealed.data, sealed.len, 0600) != 0) goto done;
    }
    if (have_plain) {
        if (unlink(plain) != 0) {
            ks_fail(e, 500, "cannot remove the clear copy %s: %s", plain, strerror(errno));
            goto done;
        }
        ks_sync_parent(plain);
        ks_log("%s was kept in the clear beside what it protects; it is now sealed in %s and the clear copy is removed",
               plain, sealed_path);
    }
    memcpy(out, secret, len);
    rc = 0;
done:
    kp_secure_free(secret);
    ks_file_free(file, flen, 0);
    kp_buf_release(&sealed);
    return rc;
}

int ks_is_fresh(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return errno == ENOENT;
    if (!S_ISDIR(st.st_mode)) return 0;
    /* an empty folder (made by the operator beforehand) is as new as a missing one */
    DIR *d = opendir(path);
    int empty = 1;
    if (d == NULL) return 0;
    for (struct dirent *de; empty && (de = readdir(d)) != NULL;)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) empty = 0;
    closedir(d);
    return empty;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    if (ftw->level > 0) remove(path);
    return 0;
}

void ks_remove_tree(const char *path, int keep_top)
{
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    if (!keep_top) rmdir(path);
}
