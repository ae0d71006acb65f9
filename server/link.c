/* link.c: reaching signers (in-process or over HTTP), and `keyportd signer` (see signer.h). */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http.h"
#include "signer.h"

/* ---------------------------------------------------------------- links */

static int copy_identity(ks_err *e, ks_link *l, const uint8_t *id, size_t id_len, const uint8_t ek[33])
{
    if (id_len == 0 || id_len > KS_SIGNER_ID_MAX) return ks_fail(e, 500, "a signerId must be 1 to %d bytes", KS_SIGNER_ID_MAX);
    memcpy(l->id, id, id_len);
    l->id_len = id_len;
    memcpy(l->ek, ek, 33);
    kp_buf b;
    kp_buf_init(&b, 0);
    if (ks_buf_addb64(&b, id, id_len) != KP_OK || b.len >= sizeof l->id_b64) {
        kp_buf_release(&b);
        return ks_fail(e, 500, "out of memory");
    }
    memcpy(l->id_b64, b.data, b.len + 1);
    kp_buf_release(&b);
    return 0;
}

int ks_link_local(ks_err *e, ks_link *l, const kp_ctx *ctx, ks_signer *s)
{
    memset(l, 0, sizeof *l);
    l->ctx = ctx;
    l->local = s;
    return ks_link_identify(e, l);
}

int ks_link_remote(ks_err *e, ks_link *l, const kp_ctx *ctx, const char *url, const uint8_t *secret,
                   size_t secret_len)
{
    memset(l, 0, sizeof *l);
    l->ctx = ctx;
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/') n--;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return ks_fail(e, 500, "--signer-url %s must begin with http:// or https://", url);
    if ((l->url = strndup(url, n)) == NULL || (l->secret = kp_secure_alloc(secret_len)) == NULL) {
        ks_link_release(l);
        return ks_fail(e, 500, "out of memory");
    }
    memcpy(l->secret, secret, secret_len);
    l->secret_len = secret_len;
    return 0;
}

void ks_link_release(ks_link *l)
{
    free(l->url);
    kp_secure_free(l->secret);
    memset(l, 0, sizeof *l);
}

int ks_link_identify(ks_err *e, ks_link *l)
{
    kp_buf out;
    cJSON *j = NULL;
    const char *id_b64, *ek_b64;
    uint8_t *id = NULL, ek[33];
    size_t id_len = 0;
    int rc;
    kp_buf_init(&out, 0);
    if ((rc = ks_link_call(e, l, "info", "{}", 2, &out)) != 0) goto done;
    if ((rc = ks_json_parse(e, &j, "a signer's info answer", (const char *)out.data, out.len)) != 0 ||
        (rc = ks_json_str(e, &id_b64, j, "a signer's info answer", "signerId", 1)) != 0 ||
        (rc = ks_json_str(e, &ek_b64, j, "a signer's info answer", "encryptionKey", 1)) != 0)
        goto done;
    if (ks_b64_decode(&id, &id_len, id_b64, strlen(id_b64), 0) != 0) {
        rc = ks_fail(e, 500, "a signer answered a signerId that is not base64");
        goto done;
    }
    kp_status st = kp_encryption_key_decode(l->ctx, ek, ek_b64, strlen(ek_b64));
    if (st != KP_OK) {
        rc = ks_fail_kp(e, 500, st, "signer %s answered a bad encryptionKey", id_b64);
        goto done;
    }
    rc = copy_identity(e, l, id, id_len, ek);
done:
    if (rc != 0 && rc != 503 && l->url != NULL) { /* a 503 names the URL already */
        char why[KS_ERR_MAX];
        snprintf(why, sizeof why, "%s", e->msg);
        ks_fail(e, rc, "signer at %s: %s", l->url, why);
    }
    free(id);
    cJSON_Delete(j);
    kp_buf_release(&out);
    return rc;
}

/* ---------------------------------------------------------------- signer authentication (API.md) */

static int auth_hex(char hex[65], const uint8_t *secret, size_t secret_len, int64_t t, const char *method,
                    const char *path, const uint8_t *body, size_t len)
{
    kp_buf msg;
    uint8_t mac[32];
    kp_buf_init(&msg, 0);
    int rc = ks_buf_addf(&msg, "%" PRId64 ".%s %s\n", t, method, path) == KP_OK && kp_buf_add(&msg, body, len) == KP_OK
                 ? 0
                 : -1;
    if (rc == 0) kp_hmac_sha256(mac, secret, secret_len, msg.data, msg.len);
    kp_buf_release(&msg);
    if (rc == 0) ks_hex(hex, mac, 32);
    kp_memzero(mac, sizeof mac);
    return rc;
}

int ks_signer_auth_make(char *out, size_t cap, const uint8_t *secret, size_t secret_len, int64_t now,
                        const char *method, const char *path, const uint8_t *body, size_t len)
{
    char hex[65];
    if (auth_hex(hex, secret, secret_len, now, method, path, body, len) != 0) return -1;
    snprintf(out, cap, "%" PRId64 ".%s", now, hex);
    return 0;
}

int ks_signer_auth_check(ks_err *e, const char *header, const uint8_t *secret, size_t secret_len, int64_t now,
                         const char *method, const char *path, const uint8_t *body, size_t len)
{
    if (header == NULL) return ks_fail(e, 401, "the X-Keyport-Signer-Auth header is missing");
    const char *dot = strchr(header, '.');
    int64_t t = 0;
    const char *p = header;
    if (dot == NULL || dot == header || dot - header > 12 || strlen(dot + 1) != 64)
        return ks_fail(e, 401, "X-Keyport-Signer-Auth must be <unix time>.<64 hex digits>");
    for (; p < dot; p++) {
        if (*p < '0' || *p > '9') return ks_fail(e, 401, "X-Keyport-Signer-Auth: the time is not a number");
        t = t * 10 + (*p - '0');
    }
    if (t < now - KS_SIGNER_AUTH_WINDOW || t > now + KS_SIGNER_AUTH_WINDOW)
        return ks_fail(e, 401, "X-Keyport-Signer-Auth is dated %" PRId64 ", more than %d s from this signer's clock (%" PRId64 ")",
                       t, KS_SIGNER_AUTH_WINDOW, now);
    char want[65];
    if (auth_hex(want, secret, secret_len, t, method, path, body, len) != 0)
        return ks_fail(e, 500, "cannot compute the HMAC");
    char given[65];
    for (int i = 0; i < 64; i++) {
        char c = dot[1 + i];
        given[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
    }
    given[64] = 0;
    if (kp_memcmp_ct(want, given, 64) != 0)
        return ks_fail(e, 401, "X-Keyport-Signer-Auth does not verify: another secret, or the request was changed");
    return 0;
}

int ks_read_secret_file(ks_err *e, const char *path, uint8_t **out, size_t *len)
{
    uint8_t *p = NULL;
    size_t n = 0;
    *out = NULL;
    *len = 0;
    if (ks_read_file(e, path, 4096, 1, &p, &n) != 0) return 500;
    size_t used = n;
    while (used > 0 && (p[used - 1] == '\n' || p[used - 1] == '\r')) used--;
    if (used < 16) {
        ks_file_free(p, n, 1);
        return ks_fail(e, 500, "the shared secret in %s must be at least 16 bytes", path);
    }
    kp_memzero(p + used, n - used);
    *out = p;
    *len = used;
    return 0;
}

/* ---------------------------------------------------------------- calls */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    kp_buf *b = arg;
    size_t n = size * nmemb;
    if (b->len + n > KS_MAX_BODY + 4096 || kp_buf_add(b, data, n) != KP_OK) return 0;
    return n;
}

/* Keeps the value of the answer's X-Keyport-Signer-Auth header. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    char *value = arg;
    size_t n = size * nmemb;
    static const char name[] = "x-keyport-signer-auth:";
    if (n > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        size_t a = sizeof name - 1, b = n;
        while (a < b && (data[a] == ' ' || data[a] == '\t')) a++;
        while (b > a && (data[b - 1] == '\r' || data[b - 1] == '\n' || data[b - 1] == ' ')) b--;
        if (b - a < 160) {
            memcpy(value, data + a, b - a);
            value[b - a] = 0;
        }
    }
    return n;
}

static int remote_call(ks_err *e, ks_link *l, const char *op, const char *body, size_t len, kp_buf *out)
{
    char answer_auth[160] = "";
    char url[4200], path[128], auth[160], header[200];
    snprintf(path, sizeof path, "/signer/%s", op);
    snprintf(url, sizeof url, "%s%s", l->url, path);
    if (ks_signer_auth_make(auth, sizeof auth, l->secret, l->secret_len, ks_now(), "POST", path, (const uint8_t *)body,
                            len) != 0)
        return ks_fail(e, 500, "cannot compute the signer authentication for %s", url);
    snprintf(header, sizeof header, "X-Keyport-Signer-Auth: %s", auth);
    CURL *c = curl_easy_init();
    struct curl_slist *hs = NULL;
    kp_buf answer;
    kp_buf_init(&answer, 0);
    if (c == NULL) return ks_fail(e, 500, "cannot start libcurl");
    hs = curl_slist_append(hs, "Content-Type: application/json");
    hs = curl_slist_append(hs, header);
    hs = curl_slist_append(hs, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, answer_auth);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cr = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
    int rc = 0;
    if (cr != CURLE_OK) {
        rc = ks_fail(e, 503, "cannot reach %s: %s", l->url, curl_easy_strerror(cr));
    } else if (status == 200) {
        /* The answer must authenticate too, bound to this request: else whoever sits between API
         * and signer could hand the API another encryption key, or forged shares. */
        ks_err ae = {0};
        if (ks_signer_auth_check(&ae, answer_auth[0] ? answer_auth : NULL, l->secret, l->secret_len, ks_now(), "ANSWER",
                                 auth, answer.data ? answer.data : (const uint8_t *)"", answer.len) != 0)
            rc = ks_fail(e, 502, "the answer of signer %s does not authenticate (%s): refused", l->url, ae.msg);
        else if (kp_buf_add(out, answer.data ? (const char *)answer.data : "", answer.len) != KP_OK)
            rc = ks_fail(e, 500, "out of memory");
    } else {
        /* pass the signer's own message on: {"error":{"status":…,"message":…}} */
        cJSON *j = NULL;
        ks_err pe = {0};
        ks_json_parse(&pe, &j, "a signer's error answer", answer.data ? (const char *)answer.data : "", answer.len);
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
        int st = status >= 400 && status < 600 ? (int)status : 502;
        /* the signer's 401 means the API and the signer disagree on the secret: a server fault */
        if (st == 401) st = 502;
        rc = ks_fail(e, st, "%s", cJSON_IsString(msg) ? msg->valuestring : "the signer gave no error message");
        if (e != NULL) ks_utf8_clean(e->msg); /* it came over the network unauthenticated: no control characters */
        cJSON_Delete(j);
    }
    kp_buf_release(&answer);
    return rc;
}

int ks_link_call(ks_err *e, ks_link *l, const char *op, const char *body, size_t len, kp_buf *out)
{
    if (l->local != NULL) return ks_signer_call(e, l->local, op, body, len, out);
    return remote_call(e, l, op, body, len, out);
}

/* ---------------------------------------------------------------- keyportd signer */

typedef struct signer_service {
    ks_signer *signer;
    uint8_t *secret;
    size_t secret_len;
} signer_service;

static void signer_handle(void *app, ks_req *r)
{
    signer_service *svc = app;
    ks_err e = {0};
    if (strncmp(r->path, "/signer/", 8) != 0) {
        ks_reply_error(r, 404, "no such path: a signer answers POST /signer/<operation>");
        return;
    }
    if (strcmp(r->method, "POST") != 0) {
        ks_reply_error(r, 405, "a signer answers POST only");
        return;
    }
    if (r->too_large) {
        ks_reply_error(r, 413, "the request body is over 1 MiB");
        return;
    }
    if (ks_signer_auth_check(&e, ks_req_header(r, "X-Keyport-Signer-Auth"), svc->secret, svc->secret_len, ks_now(),
                             r->method, r->path, r->body.data, r->body.len) != 0) {
        ks_log("refused %s %s: %s", r->method, r->path, e.msg);
        ks_reply_err(r, &e);
        return;
    }
    kp_buf out;
    kp_buf_init(&out, 0);
    if (ks_signer_call(&e, svc->signer, r->path + 8, (const char *)r->body.data, r->body.len, &out) != 0) {
        ks_reply_err(r, &e);
    } else {
        ks_reply(r, 200, (const char *)out.data, out.len);
        /* the answer, bound to the request it answers (its authentication value), authenticates itself */
        if (ks_signer_auth_make(r->answer_auth, sizeof r->answer_auth, svc->secret, svc->secret_len, ks_now(), "ANSWER",
                                ks_req_header(r, "X-Keyport-Signer-Auth"), out.data ? out.data : (const uint8_t *)"",
                                out.len) != 0) {
            r->answer_auth[0] = 0;
            ks_reply_error(r, 500, "cannot authenticate the answer");
        }
    }
    kp_buf_release(&out);
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "keyportd signer: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: keyportd signer --data DIR --listen HOST:PORT --secret-file FILE\n"
                    "                (--storage-key-file FILE | --storage-passphrase-file FILE [--kdf STRENGTH])\n");
    return 2;
}

int ks_signer_main(int argc, char **argv)
{
    const char *data = NULL, *listen = NULL, *secret_file = NULL;
    ks_keysource keys = {0};
    char msg[1024];
    for (int i = 1; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--data") == 0          ? &data
                            : strcmp(argv[i], "--listen") == 0      ? &listen
                            : strcmp(argv[i], "--secret-file") == 0 ? &secret_file
                                                                    : NULL;
        if (i + 1 >= argc) return usage("%s needs a value (or is not an option)", argv[i]);
        if (slot == NULL) {
            int k = ks_keysource_option(&keys, argv[i], argv[i + 1], msg, sizeof msg);
            if (k < 0) return usage("%s", msg);
            if (k == 0) return usage("unknown option \"%s\"", argv[i]);
            i++;
            continue;
        }
        *slot = argv[++i];
    }
    if (data == NULL || listen == NULL || secret_file == NULL)
        return usage("%s", "--data, --listen and --secret-file are all required");
    if (ks_keysource_check(&keys, data, msg, sizeof msg) != 0) return usage("%s", msg);

    ks_err e = {0};
    kp_ctx *ctx = NULL;
    signer_service svc = {0};
    ks_http *http = NULL;
    uint8_t *key = NULL;
    char url[300];
    int code = 1, fresh = ks_is_fresh(data), made_secret = 0, made_key = 0, made_data = 0;
    ks_crash_init();
    if (kp_ctx_new(&ctx) != KP_OK) {
        ks_log("cannot set up libkeyport: %s", kp_error_detail());
        return 1;
    }
    /* the port first, and every file that is read, before anything is made */
    if (ks_http_bind(&e, &http, url, sizeof url, listen) != 0) goto fail;
    if (ks_exists(secret_file) && ks_read_secret_file(&e, secret_file, &svc.secret, &svc.secret_len) != 0) goto fail;
    made_data = !ks_exists(data);
    if (ks_keysource_open(&e, ctx, &keys, data, fresh, &key, &made_key) != 0) goto fail;
    /* after the passphrase prompt (where Ctrl-C still stops the process), before any thread */
    ks_block_signals();
    if (ks_mkdir(&e, data) != 0) goto fail;
    if (svc.secret == NULL) {
        uint8_t raw[32];
        char hex[65];
        ks_random(raw, sizeof raw);
        ks_hex(hex, raw, sizeof raw);
        hex[64] = '\n';
        kp_memzero(raw, sizeof raw);
        int rc = ks_write_new_file(&e, secret_file, hex, 65, 0600);
        kp_memzero(hex, sizeof hex);
        if (rc != 0) goto fail;
        made_secret = 1;
        if (ks_read_secret_file(&e, secret_file, &svc.secret, &svc.secret_len) != 0) goto fail;
    }
    if (ks_signer_open(&e, &svc.signer, ctx, data, key) != 0 || ks_http_serve(&e, http, signer_handle, &svc) != 0)
        goto fail;
    if (made_secret)
        printf("keyportd signer: made a new shared secret in %s; give the API the same file (--signer-secret-file)\n",
               secret_file);
    size_t id_len;
    const uint8_t *id = ks_signer_id(svc.signer, &id_len);
    kp_buf idb;
    kp_buf_init(&idb, 0);
    ks_buf_addb64(&idb, id, id_len);
    printf("keyportd signer: listening on %s, signerId %s, data in %s\n", url, idb.data ? (char *)idb.data : "", data);
    fflush(stdout);
    kp_buf_release(&idb);
    int sig = ks_wait_signal();
    ks_log("signer: stopping on signal %d", sig);
    code = 0;
    goto done;
fail:
    ks_log("signer: %s", e.msg);
    /* a refused first start leaves nothing behind */
    ks_signer_close(svc.signer);
    svc.signer = NULL;
    if (fresh) ks_remove_tree(data, !made_data);
    if (made_key) unlink(keys.key_file);
    if (made_secret) unlink(secret_file);
done:
    ks_http_stop(http);
    ks_signer_close(svc.signer);
    kp_secure_free(svc.secret);
    kp_secure_free(key);
    kp_ctx_free(ctx);
    return code;
}
