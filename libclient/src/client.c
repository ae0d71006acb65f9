/*
 * client.c: libkeyport-client (keyport_client.h), the client of a Dfns-compatible API
 * (server/API.md) over libcurl. The only network code of keyport's libraries: libkeyport
 * itself links no network library.
 *
 * Every call is synchronous and uses the client's one curl handle (so the three requests of a
 * user action share a connection). Nothing global beyond curl_global_init, run once. The client
 * never reads the environment: proxies are switched off explicitly (libcurl would otherwise take
 * them from http_proxy and friends), redirects are not followed (the bearer token must not travel
 * to another host), and only http and https are allowed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "json.h"
#include "keyport_client.h"

#define KP_CLIENT_MAX_RESPONSE ((size_t)16 << 20) /* 16 MiB: the raw audit log is the largest answer */
#define KP_CLIENT_CONNECT_TIMEOUT 30L             /* seconds */
#define KP_CLIENT_TIMEOUT 300L                    /* seconds, the whole request */
#define KP_CLIENT_MAX_URL 2048

struct kp_client {
    CURL *curl;
    char *base;         /* the base URL without a trailing slash */
    char *auth;         /* "Authorization: Bearer <token>", secure memory */
    size_t auth_len;
    const kp_credential *cred;
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* A header value must not end the header early or start another one. */
static int header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) return 0;
    return 1;
}

kp_status kp_client_new(kp_client **out, const char *base_url, const char *token)
{
    KP_ARG_CHECK(NULL, out != NULL && base_url != NULL && token != NULL);
    *out = NULL;
    kp_clear_error();
    size_t blen = strlen(base_url), tlen = strlen(token);
    if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0)
        return kp_fail(KP_ERR_FORMAT, "the API URL \"%.200s\" must start with http:// or https://", base_url);
    if (blen > KP_CLIENT_MAX_URL / 2 || !header_safe(base_url) || strchr(base_url, ' ') != NULL)
        return kp_fail(KP_ERR_FORMAT, "the API URL \"%.200s\" is too long or holds spaces or control characters", base_url);
    if (tlen == 0) return kp_fail(KP_ERR_EMPTY, "the API token is empty");
    if (tlen > 4096 || !header_safe(token)) return kp_fail(KP_ERR_FORMAT, "the API token is over 4096 bytes or holds control characters");
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_result != CURLE_OK)
        return kp_fail(KP_ERR_INTERNAL, "libcurl could not start: %s", curl_easy_strerror(curl_init_result));

    kp_client *c = calloc(1, sizeof *c);
    if (c == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    while (blen > 0 && base_url[blen - 1] == '/') blen--;
    static const char prefix[] = "Authorization: Bearer ";
    c->auth_len = sizeof prefix - 1 + tlen;
    if ((c->base = strndup(base_url, blen)) == NULL || (c->auth = kp_secure_alloc(c->auth_len + 1)) == NULL ||
        (c->curl = curl_easy_init()) == NULL) {
        kp_client_free(c);
        return kp_fail(KP_ERR_NOMEM, "out of memory (or libcurl could not make a handle)");
    }
    memcpy(c->auth, prefix, sizeof prefix - 1);
    memcpy(c->auth + sizeof prefix - 1, token, tlen + 1);
    *out = c;
    return KP_OK;
}

void kp_client_free(kp_client *c)
{
    if (c == NULL) return;
    if (c->curl != NULL) curl_easy_cleanup(c->curl);
    free(c->base);
    kp_secure_free(c->auth);
    free(c);
}

void kp_client_set_credential(kp_client *c, const kp_credential *cred)
{
    if (c == NULL) {
        kp_misuse(NULL, "c != NULL");
        return;
    }
    c->cred = cred;
}

/* ------------------------------------------------------------ one HTTP exchange */

struct sink {
    kp_buf *buf;
    int too_large;
};

static size_t on_data(char *p, size_t size, size_t n, void *data)
{
    struct sink *s = data;
    size_t len = size * n;
    if (len > KP_CLIENT_MAX_RESPONSE - s->buf->len) {
        s->too_large = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (kp_buf_add(s->buf, p, len) != KP_OK) return 0;
    return len;
}

/* Frees a header list after wiping its strings: one of them holds the bearer token. */
static void headers_free(struct curl_slist *h)
{
    for (struct curl_slist *i = h; i != NULL; i = i->next) kp_memzero(i->data, strlen(i->data));
    curl_slist_free_all(h);
}

/* Appends "name: value" to the list; returns the new list, or NULL (the old list freed) on failure. */
static struct curl_slist *header_add(struct curl_slist *h, const char *name, const char *value)
{
    kp_buf line;
    kp_buf_init(&line, 0);
    struct curl_slist *r = NULL;
    if (kp_buf_addstr(&line, name) == KP_OK && kp_buf_addstr(&line, ": ") == KP_OK && kp_buf_addstr(&line, value) == KP_OK)
        r = curl_slist_append(h, (const char *)line.data);
    kp_buf_release(&line);
    if (r == NULL) headers_free(h);
    return r;
}

/* Sends method path with body and the given extra header (name, value; may be NULL), and puts
 * the answer in resp (reset first). Returns KP_OK once an HTTP answer arrived, whatever its status. */
static kp_status exchange(kp_client *c, kp_buf *resp, long *status, const char *method, const char *path,
                          const uint8_t *body, size_t len, const char *const extra[][2], size_t nextra)
{
    CURL *h = c->curl;
    struct curl_slist *hdr = NULL;
    struct sink sink = {resp, 0};
    char url[KP_CLIENT_MAX_URL + 1];
    kp_status st = KP_OK;
    *status = 0;
    kp_buf_reset(resp);
    int n = snprintf(url, sizeof url, "%s%s", c->base, path);
    if (n < 0 || (size_t)n >= sizeof url) return kp_fail(KP_ERR_FORMAT, "the URL %s%.64s… is over %d bytes", c->base, path, KP_CLIENT_MAX_URL);

    if ((hdr = curl_slist_append(NULL, c->auth)) == NULL || (hdr = header_add(hdr, "Content-Type", "application/json")) == NULL ||
        (hdr = header_add(hdr, "Accept", "application/json")) == NULL ||
        /* No "Expect: 100-continue" round trip before large bodies. */
        (hdr = curl_slist_append(hdr, "Expect:")) == NULL)
        return kp_fail(KP_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < nextra; i++)
        if ((hdr = header_add(hdr, extra[i][0], extra[i][1])) == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");

    curl_easy_reset(h);
    c->errbuf[0] = 0;
    int is_get = strcmp(method, "GET") == 0;
    CURLcode cc = CURLE_OK;
#define SETOPT(opt, val) if (cc == CURLE_OK) cc = curl_easy_setopt(h, opt, val)
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_HTTPHEADER, hdr);
    SETOPT(CURLOPT_ERRORBUFFER, c->errbuf);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_PROXY, ""); /* no proxy, whatever the environment says */
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: CURLOPT_PROTOCOLS is deprecated from there on */
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(CURLOPT_CONNECTTIMEOUT, KP_CLIENT_CONNECT_TIMEOUT);
    SETOPT(CURLOPT_TIMEOUT, KP_CLIENT_TIMEOUT);
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)KP_CLIENT_MAX_RESPONSE);
    SETOPT(CURLOPT_WRITEFUNCTION, on_data);
    SETOPT(CURLOPT_WRITEDATA, &sink);
    if (is_get && len == 0) {
        SETOPT(CURLOPT_HTTPGET, 1L);
    } else {
        /* POSTFIELDS is not copied: body outlives the transfer, which ends before we return. */
        SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        SETOPT(CURLOPT_POSTFIELDS, len ? (const char *)body : "");
        if (strcmp(method, "POST") != 0) SETOPT(CURLOPT_CUSTOMREQUEST, method);
    }
#undef SETOPT
    if (cc != CURLE_OK) {
        st = kp_fail(KP_ERR_INTERNAL, "libcurl refused an option for %s %s: %s", method, url, curl_easy_strerror(cc));
        goto done;
    }
    cc = curl_easy_perform(h);
    if (sink.too_large || cc == CURLE_FILESIZE_EXCEEDED) {
        st = kp_fail(KP_ERR_TOO_LARGE, "%s %s: the answer is larger than %zu bytes", method, url, KP_CLIENT_MAX_RESPONSE);
        goto done;
    }
    if (cc != CURLE_OK) {
        st = kp_fail(KP_ERR_IO, "%s %s: no answer: %s", method, url, c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
        goto done;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
done:
    /* the handle keeps pointers to hdr and errbuf; drop them before hdr goes */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    headers_free(hdr);
    if (st != KP_OK) {
        kp_buf_reset(resp);
        *status = 0;
    }
    return st;
}

/* The "message" of an error answer {"error":{"message":…}}, or a short printable excerpt of the
 * body when it is not one, into out (NUL-terminated). */
static void server_message(char *out, size_t cap, const kp_buf *body)
{
    kp_json j;
    int err, msg;
    char *s = NULL;
    out[0] = 0;
    if (body->len > 0 && kp_json_parse(&j, (const char *)body->data, body->len, "the error answer") == KP_OK) {
        if (j.tok[0].type == KP_J_OBJECT && (err = kp_json_get(&j, 0, "error")) >= 0 && j.tok[err].type == KP_J_OBJECT &&
            (msg = kp_json_get(&j, err, "message")) >= 0 && j.tok[msg].type == KP_J_STRING && kp_json_strdup(&j, msg, &s) == KP_OK) {
            snprintf(out, cap, "%s", s);
            free(s);
        }
        kp_json_free(&j);
    }
    kp_clear_error();
    if (out[0] != 0) return;
    size_t n = 0;
    for (size_t i = 0; i < body->len && n + 1 < cap && n < 200; i++) {
        unsigned char ch = body->data[i];
        out[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
    }
    out[n] = 0;
    if (n == 0) snprintf(out, cap, "(no message)");
}

/* ------------------------------------------------------------ user action (docs/wire.md §5) */


/* A refused step: the server's message in the detail. */
static kp_status refused(const char *step, long status, const kp_buf *body)
{
    char msg[600];
    server_message(msg, sizeof msg, body);
    return kp_fail(KP_ERR_SIGNATURE, "%s: the cluster refused the user action (HTTP %ld): %s", step, status, msg);
}

/* Checks that allowCredentials.key (when the answer has one, non-empty) names our credential. */
static kp_status check_allowed(const kp_json *j, const char *cred_id)
{
    int ac = kp_json_get(j, 0, "allowCredentials"), key, i;
    if (ac < 0 || j->tok[ac].type != KP_J_OBJECT) return KP_OK;
    if ((key = kp_json_get(j, ac, "key")) < 0 || j->tok[key].type != KP_J_ARRAY || j->tok[key].count == 0) return KP_OK;
    for (i = kp_json_first(j, key); i >= 0; i = kp_json_next(j, key, i)) {
        int id;
        char *s = NULL;
        if (j->tok[i].type != KP_J_OBJECT || (id = kp_json_get(j, i, "id")) < 0 || j->tok[id].type != KP_J_STRING) continue;
        if (kp_json_strdup(j, id, &s) != KP_OK) return kp_fail(KP_ERR_NOMEM, "out of memory");
        int same = strcmp(s, cred_id) == 0;
        free(s);
        if (same) return KP_OK;
    }
    return kp_fail(KP_ERR_SIGNATURE, "POST /auth/action/init: the cluster does not list credential \"%.128s\" among those "
                                     "allowed to sign (allowCredentials.key)", cred_id);
}

/* Gets a user action token for method, path and body into token (reset first). */
static kp_status user_action(kp_client *c, kp_buf *token, const char *method, const char *path, const uint8_t *body,
                             size_t len)
{
    kp_buf req, resp, client_data, sig;
    kp_json j = {0};
    int parsed = 0;
    long status;
    const char *s;
    size_t slen;
    kp_status st;
    const char *cred_id = kp_credential_id(c->cred);
    kp_buf_init(&req, 0);
    kp_buf_init(&resp, 0);
    kp_buf_init(&client_data, 0);
    kp_buf_init(&sig, 0);

    /* Step 1: init, with the exact body as the payload. */
    if (!kp_utf8_valid((const char *)body, len)) {
        st = kp_fail(KP_ERR_FORMAT, "%s %s: the request body is not UTF-8 text, so it cannot be a user action payload", method, path);
        goto done;
    }
    if ((st = kp_buf_addstr(&req, "{\"userActionPayload\":")) != KP_OK || (st = kp_buf_addjstr(&req, (const char *)body, len)) != KP_OK ||
        (st = kp_buf_addstr(&req, ",\"userActionHttpMethod\":")) != KP_OK ||
        (st = kp_buf_addjstr(&req, method, strlen(method))) != KP_OK ||
        (st = kp_buf_addstr(&req, ",\"userActionHttpPath\":")) != KP_OK || (st = kp_buf_addjstr(&req, path, strlen(path))) != KP_OK ||
        (st = kp_buf_addstr(&req, ",\"userActionServerKind\":\"Api\"}")) != KP_OK)
        goto nomem;
    if ((st = exchange(c, &resp, &status, "POST", "/auth/action/init", req.data, req.len, NULL, 0)) != KP_OK) goto done;
    if (status != 200) {
        st = refused("POST /auth/action/init", status, &resp);
        goto done;
    }
    const char *challenge, *ident;
    size_t chlen, idlen;
    if ((st = kp_json_parse(&j, (const char *)resp.data, resp.len, "the answer of POST /auth/action/init")) != KP_OK) goto done;
    parsed = 1;
    if (j.tok[0].type != KP_J_OBJECT) {
        st = kp_fail(KP_ERR_FORMAT, "the answer of POST /auth/action/init is not a JSON object");
        goto done;
    }
    if ((st = kp_json_need_str(&j, 0, "challenge", "challenge (POST /auth/action/init)", &challenge, &chlen)) != KP_OK ||
        (st = kp_json_need_str(&j, 0, "challengeIdentifier", "challengeIdentifier (POST /auth/action/init)", &ident, &idlen)) != KP_OK ||
        (st = check_allowed(&j, cred_id)) != KP_OK)
        goto done;

    /* Step 2: sign clientData, the UTF-8 bytes of {"type":"key.get","challenge":"<challenge>"}. */
    if ((st = kp_buf_addstr(&client_data, "{\"type\":\"key.get\",\"challenge\":")) != KP_OK ||
        (st = kp_buf_addjstr(&client_data, challenge, chlen)) != KP_OK || (st = kp_buf_addstr(&client_data, "}")) != KP_OK)
        goto nomem;
    if ((st = kp_credential_sign(c->cred, &sig, client_data.data, client_data.len)) != KP_OK) goto done;

    /* Step 3: answer the challenge. */
    kp_buf_reset(&req);
    if ((st = kp_buf_addstr(&req, "{\"challengeIdentifier\":")) != KP_OK || (st = kp_buf_addjstr(&req, ident, idlen)) != KP_OK ||
        (st = kp_buf_addstr(&req, ",\"firstFactor\":{\"kind\":\"Key\",\"credentialAssertion\":{\"credId\":")) != KP_OK ||
        (st = kp_buf_addjstr(&req, cred_id, strlen(cred_id))) != KP_OK || (st = kp_buf_addstr(&req, ",\"clientData\":\"")) != KP_OK ||
        (st = kp_buf_addb64(&req, client_data.data, client_data.len, 1)) != KP_OK || (st = kp_buf_addstr(&req, "\",\"signature\":\"")) != KP_OK ||
        (st = kp_buf_addb64(&req, sig.data, sig.len, 1)) != KP_OK || (st = kp_buf_addstr(&req, "\"}}}")) != KP_OK)
        goto nomem;
    kp_json_free(&j); /* it points into resp, which is reused below */
    parsed = 0;
    if ((st = exchange(c, &resp, &status, "POST", "/auth/action", req.data, req.len, NULL, 0)) != KP_OK) goto done;
    if (status != 200) {
        st = refused("POST /auth/action", status, &resp);
        goto done;
    }
    if ((st = kp_json_parse(&j, (const char *)resp.data, resp.len, "the answer of POST /auth/action")) != KP_OK) goto done;
    parsed = 1;
    if (j.tok[0].type != KP_J_OBJECT) {
        st = kp_fail(KP_ERR_FORMAT, "the answer of POST /auth/action is not a JSON object");
        goto done;
    }
    if ((st = kp_json_need_str(&j, 0, "userAction", "userAction (POST /auth/action)", &s, &slen)) != KP_OK) goto done;
    for (size_t i = 0; i < slen; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
            st = kp_fail(KP_ERR_FORMAT, "userAction (POST /auth/action) holds a character that cannot go in an HTTP header");
            goto done;
        }
    if (slen == 0) {
        st = kp_fail(KP_ERR_FORMAT, "userAction (POST /auth/action) is empty");
        goto done;
    }
    kp_buf_reset(token);
    if ((st = kp_buf_add(token, s, slen)) != KP_OK) goto nomem;
    goto done;
nomem:
    st = kp_fail(KP_ERR_NOMEM, "out of memory");
done:
    if (parsed) kp_json_free(&j);
    kp_buf_release(&req);
    kp_buf_release(&resp);
    kp_buf_release(&client_data);
    kp_buf_release(&sig);
    return st;
}

/* ------------------------------------------------------------ the call */

kp_status kp_client_call(kp_client *c, kp_buf *resp, long *status, const char *method, const char *path,
                         const uint8_t *body, size_t len, int user_action_wanted, const char *approvals_b64)
{
    KP_ARG_CHECK(NULL, c != NULL && resp != NULL && status != NULL && method != NULL && path != NULL &&
                           (body != NULL || len == 0));
    KP_ARG_CHECK(NULL, path[0] == '/');
    *status = 0;
    kp_clear_error();
    if (user_action_wanted && c->cred == NULL)
        return kp_fail(KP_ERR_FORMAT, "%s %s needs a user action, and no credential was given to sign it", method, path);
    if (!header_safe(method) || !header_safe(path) || strchr(method, ' ') != NULL || strchr(path, ' ') != NULL)
        return kp_fail(KP_ERR_FORMAT, "the method or path \"%.200s\" holds spaces or control characters", path);
    if (approvals_b64 != NULL && !header_safe(approvals_b64))
        return kp_fail(KP_ERR_FORMAT, "the approvals header value holds control characters");

    kp_buf token, answer;
    kp_buf_init(&token, 1);
    kp_buf_init(&answer, 0);
    const char *extra[2][2];
    size_t nextra = 0;
    kp_status st = KP_OK;
    if (user_action_wanted) {
        if ((st = user_action(c, &token, method, path, body, len)) != KP_OK) goto done;
        extra[nextra][0] = "X-DFNS-USERACTION";
        extra[nextra++][1] = (const char *)token.data;
    }
    if (approvals_b64 != NULL) {
        extra[nextra][0] = "X-Keyport-Approvals";
        extra[nextra++][1] = approvals_b64;
    }
    if ((st = exchange(c, &answer, status, method, path, body, len, (const char *const(*)[2])extra, nextra)) != KP_OK) goto done;
    if (kp_buf_add(resp, answer.data, answer.len) != KP_OK) {
        *status = 0;
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
    }
done:
    kp_buf_release(&token);
    kp_buf_release(&answer);
    return st;
}
