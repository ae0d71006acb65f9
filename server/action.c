/* action.c: user action signing (docs/wire.md §5, API.md "Authentication and authorization"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define ACTION_TTL 300        /* a challenge and a user action token live 5 minutes */
#define TOKENS_PER_CRED 64    /* unused user action tokens of one credential at once */
#define SPENT_PER_CRED 4096   /* answered challenges of one credential waiting to expire */
#define CRED_ID_MAX 128
#define PATH_MAX_BYTES 512

/* A challengeIdentifier is "ch-" and the base64url of: expiry (8 bytes, big-endian), 16 random
 * bytes, the method (8 bytes, NUL-padded), SHA-256 of the payload, and the path (1 to 512 bytes).
 * Its challenge is base64url(HMAC-SHA256(challenge_key, identifier)). */
#define CH_HEAD (8 + 16 + 8 + 32)
#define FAILED_RING 4096 /* challenges spent by a failed answer, most recent first out */

struct ks_action_token {
    ks_action_token *next;
    uint8_t hash[32]; /* SHA-256 of the token: the token itself is not kept */
    char method[8];
    char *path;
    uint8_t body_hash[32];
    int64_t expires;
    size_t cred; /* index into creds */
};

struct ks_spent {
    ks_spent *next;
    uint8_t id_hash[32];
    int64_t expires;
    size_t cred;
};

int ks_actions_init(ks_actions *a)
{
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->lock, NULL);
    if ((a->challenge_key = kp_secure_alloc(32)) == NULL || (a->failed = calloc(FAILED_RING, 32)) == NULL) return -1;
    ks_random(a->challenge_key, 32);
    return 0;
}

void ks_actions_free(ks_actions *a)
{
    for (size_t i = 0; i < a->ncreds; i++) {
        free(a->creds[i].id);
        free(a->creds[i].public_hex);
    }
    free(a->creds);
    while (a->tokens != NULL) {
        ks_action_token *t = a->tokens;
        a->tokens = t->next;
        free(t->path);
        kp_memzero(t, sizeof *t);
        free(t);
    }
    free(a->failed);
    a->failed = NULL;
    while (a->spent != NULL) {
        ks_spent *x = a->spent;
        a->spent = x->next;
        free(x);
    }
    kp_secure_free(a->challenge_key);
    a->challenge_key = NULL;
    pthread_mutex_destroy(&a->lock);
}

int ks_actions_load(ks_err *e, ks_actions *a, const char *path)
{
    uint8_t *text = NULL;
    size_t len = 0;
    char what[4300];
    snprintf(what, sizeof what, "the credentials file %s", path);
    if (ks_read_file(e, path, KP_MAX_INPUT_BYTES, 0, &text, &len) != 0) return 500;
    int rc = ks_actions_load_text(e, a, what, (const char *)text, len);
    ks_file_free(text, len, 0);
    return rc;
}

int ks_actions_load_text(ks_err *e, ks_actions *a, const char *what, const char *text, size_t len)
{
    cJSON *j = NULL;
    int rc = 0;
    if (ks_json_parse_value(e, &j, what, text, len) != 0) {
        rc = 500;
        goto done;
    }
    if (!cJSON_IsArray(j)) {
        rc = ks_fail(e, 500, "%s must be a JSON array of {\"credId\",\"algorithm\",\"publicKey\"}", what);
        goto done;
    }
    size_t n = (size_t)cJSON_GetArraySize(j), i = 0;
    if ((a->creds = calloc(n ? n : 1, sizeof *a->creds)) == NULL) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    for (const cJSON *c = j->child; c != NULL; c = c->next, i++) {
        char where[4400];
        const char *id, *alg, *pub;
        kp_cred_alg al;
        snprintf(where, sizeof where, "%s, entry %zu", what, i);
        if (!cJSON_IsObject(c)) {
            rc = ks_fail(e, 500, "%s must be an object", where);
            goto done;
        }
        if (ks_json_str(e, &id, c, where, "credId", 1) != 0 || ks_json_str(e, &alg, c, where, "algorithm", 1) != 0 ||
            ks_json_str(e, &pub, c, where, "publicKey", 1) != 0) {
            rc = 500;
            goto done;
        }
        if (id[0] == 0 || strlen(id) > CRED_ID_MAX) {
            rc = ks_fail(e, 500, "%s: credId must be 1 to %d bytes", where, CRED_ID_MAX);
            goto done;
        }
        if (kp_cred_alg_from_name(&al, alg) != KP_OK) {
            rc = ks_fail(e, 500, "%s: algorithm must be \"Ed25519\" or \"ECDSA-P256\", not \"%.40s\"", where, alg);
            goto done;
        }
        size_t want = al == KP_CRED_ED25519 ? 64 : 130;
        int hex_ok = strlen(pub) == want;
        for (size_t k = 0; hex_ok && k < want; k++)
            hex_ok = (pub[k] >= '0' && pub[k] <= '9') || (pub[k] >= 'a' && pub[k] <= 'f') || (pub[k] >= 'A' && pub[k] <= 'F');
        if (!hex_ok) {
            rc = ks_fail(e, 500, "%s: publicKey of an %s credential must be %zu hex digits", where, alg, want);
            goto done;
        }
        for (size_t k = 0; k < a->ncreds; k++)
            if (strcmp(a->creds[k].id, id) == 0) {
                rc = ks_fail(e, 500, "%s: credId \"%s\" is listed twice", where, id);
                goto done;
            }
        ks_cred *cr = &a->creds[a->ncreds];
        if ((cr->id = strdup(id)) == NULL || (cr->public_hex = strdup(pub)) == NULL) {
            rc = ks_fail(e, 500, "out of memory");
            goto done;
        }
        cr->alg = al;
        a->ncreds++;
    }
done:
    cJSON_Delete(j);
    if (rc != 0 && e != NULL) e->status = rc; /* a bad file stops the start (500), whoever said why */
    return rc;
}

/* Drops expired tokens and spent challenges (lock held). */
static void prune(ks_actions *a, int64_t now)
{
    for (ks_action_token **p = &a->tokens; *p != NULL;) {
        if ((*p)->expires <= now) {
            ks_action_token *t = *p;
            *p = t->next;
            free(t->path);
            kp_memzero(t, sizeof *t);
            free(t);
        } else {
            p = &(*p)->next;
        }
    }
    for (ks_spent **p = &a->spent; *p != NULL;) {
        if ((*p)->expires <= now) {
            ks_spent *x = *p;
            *p = x->next;
            free(x);
        } else {
            p = &(*p)->next;
        }
    }
}

static void challenge_of(char out[48], const ks_actions *a, const char *id)
{
    uint8_t mac[32];
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_hmac_sha256(mac, a->challenge_key, 32, (const uint8_t *)id, strlen(id));
    ks_buf_addb64url(&b, mac, sizeof mac);
    snprintf(out, 48, "%s", b.data ? (const char *)b.data : "");
    kp_buf_release(&b);
}

static void put_be64(uint8_t *p, int64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)(v & 0xff);
}

static int64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return (int64_t)v;
}

static int method_ok(const char *m)
{
    return strcmp(m, "POST") == 0 || strcmp(m, "GET") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0;
}

int ks_action_init(ks_err *e, ks_actions *a, const uint8_t *body, size_t len, kp_buf *out)
{
    static const char what[] = "the body of POST /auth/action/init";
    cJSON *j = NULL;
    const char *payload, *method, *path, *kind;
    int rc;
    if ((rc = ks_json_parse(e, &j, what, (const char *)body, len)) != 0) return rc;
    if ((rc = ks_json_str(e, &payload, j, what, "userActionPayload", 1)) != 0 ||
        (rc = ks_json_str(e, &method, j, what, "userActionHttpMethod", 1)) != 0 ||
        (rc = ks_json_str(e, &path, j, what, "userActionHttpPath", 1)) != 0 ||
        (rc = ks_json_str(e, &kind, j, what, "userActionServerKind", 0)) != 0)
        goto done;
    if (!method_ok(method)) {
        rc = ks_fail(e, 400, "%s: userActionHttpMethod must be POST, GET, PUT or DELETE", what);
        goto done;
    }
    if (path[0] != '/' || strlen(path) > PATH_MAX_BYTES) {
        rc = ks_fail(e, 400, "%s: userActionHttpPath must be a path beginning with '/' (at most %d bytes)", what,
                     PATH_MAX_BYTES);
        goto done;
    }
    if (kind != NULL && strcmp(kind, "Api") != 0) {
        rc = ks_fail(e, 400, "%s: userActionServerKind must be \"Api\"", what);
        goto done;
    }
    if (a->ncreds == 0) {
        rc = ks_fail(e, 401, "no credentials are registered with this cluster (keyportd --credentials FILE)");
        goto done;
    }
    uint8_t raw[CH_HEAD + PATH_MAX_BYTES];
    size_t plen = strlen(path);
    memset(raw, 0, sizeof raw);
    put_be64(raw, ks_now() + ACTION_TTL);
    ks_random(raw + 8, 16);
    memcpy(raw + 24, method, strlen(method));
    kp_sha256(raw + 32, (const uint8_t *)payload, strlen(payload));
    memcpy(raw + CH_HEAD, path, plen);
    kp_buf id;
    kp_buf_init(&id, 0);
    char challenge[48];
    if (kp_buf_addstr(&id, "ch-") != KP_OK || ks_buf_addb64url(&id, raw, CH_HEAD + plen) != KP_OK) {
        kp_buf_release(&id);
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    challenge_of(challenge, a, (const char *)id.data);
    if (ks_buf_addf(out, "{\"challenge\":\"%s\",\"challengeIdentifier\":\"%s\",\"allowCredentials\":{\"key\":[",
                    challenge, (const char *)id.data) != KP_OK)
        rc = ks_fail(e, 500, "out of memory");
    kp_buf_release(&id);
    for (size_t i = 0; rc == 0 && i < a->ncreds; i++)
        if (kp_buf_addstr(out, i ? ",{\"type\":\"public-key\",\"id\":" : "{\"type\":\"public-key\",\"id\":") != KP_OK ||
            kp_buf_addjstr(out, a->creds[i].id, strlen(a->creds[i].id)) != KP_OK || kp_buf_addstr(out, "}") != KP_OK)
            rc = ks_fail(e, 500, "out of memory");
    if (rc == 0 && kp_buf_addstr(out, "]},\"externalAuthenticationUrl\":\"\"}") != KP_OK) rc = ks_fail(e, 500, "out of memory");
done:
    cJSON_Delete(j);
    return rc;
}

/* base64url without padding, as WebAuthn has it; padding is tolerated */
static int b64url(uint8_t **out, size_t *len, const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '=') n--;
    return ks_b64_decode(out, len, s, n, 1);
}

int ks_action_sign(ks_err *e, ks_actions *a, const uint8_t *body, size_t len, kp_buf *out)
{
    static const char what[] = "the body of POST /auth/action";
    cJSON *j = NULL, *cd = NULL;
    const char *chid, *kind, *cred_id, *client_b64, *sig_b64, *type, *challenge;
    uint8_t *client = NULL, *sig = NULL, *raw = NULL;
    size_t client_len = 0, sig_len = 0, raw_len = 0;
    uint8_t id_hash[32];
    int rc, challenge_ok = 0;
    if ((rc = ks_json_parse(e, &j, what, (const char *)body, len)) != 0) return rc;
    const cJSON *ff = cJSON_GetObjectItemCaseSensitive(j, "firstFactor");
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(ff, "credentialAssertion");
    if ((rc = ks_json_str(e, &chid, j, what, "challengeIdentifier", 1)) != 0) goto done;
    if (!cJSON_IsObject(ff) || !cJSON_IsObject(ca)) {
        rc = ks_fail(e, 400, "%s: firstFactor must be {\"kind\":\"Key\",\"credentialAssertion\":{…}}", what);
        goto done;
    }
    if ((rc = ks_json_str(e, &kind, ff, "firstFactor", "kind", 1)) != 0 ||
        (rc = ks_json_str(e, &cred_id, ca, "credentialAssertion", "credId", 1)) != 0 ||
        (rc = ks_json_str(e, &client_b64, ca, "credentialAssertion", "clientData", 1)) != 0 ||
        (rc = ks_json_str(e, &sig_b64, ca, "credentialAssertion", "signature", 1)) != 0)
        goto done;
    if (strcmp(kind, "Key") != 0) {
        rc = ks_fail(e, 400, "%s: firstFactor.kind must be \"Key\" (the only kind this cluster accepts)", what);
        goto done;
    }
    if (b64url(&client, &client_len, client_b64) != 0 || b64url(&sig, &sig_len, sig_b64) != 0) {
        rc = ks_fail(e, 400, "%s: clientData and signature must be base64url", what);
        goto done;
    }

    /* the challenge: one this process made, unexpired */
    int64_t now = ks_now();
    char want[48];
    if (strncmp(chid, "ch-", 3) != 0 || strlen(chid) > 1000 ||
        ks_b64_decode(&raw, &raw_len, chid + 3, strlen(chid + 3), 1) != 0 || raw_len <= CH_HEAD ||
        raw_len > CH_HEAD + PATH_MAX_BYTES || get_be64(raw) <= now) {
        rc = ks_fail(e, 401, "challengeIdentifier %.60s is unknown, used or expired: start again at POST /auth/action/init",
                     chid);
        goto done;
    }
    challenge_of(want, a, chid);
    challenge_ok = 1;
    kp_sha256(id_hash, (const uint8_t *)chid, strlen(chid));
    /* a challenge is spent by its first answer, whatever the outcome */
    int spent_before = 0;
    pthread_mutex_lock(&a->lock);
    prune(a, now);
    for (const ks_spent *p = a->spent; p != NULL && !spent_before; p = p->next)
        spent_before = memcmp(p->id_hash, id_hash, 32) == 0;
    for (size_t i = 0; i < FAILED_RING && !spent_before; i++) spent_before = memcmp(a->failed[i], id_hash, 32) == 0;
    pthread_mutex_unlock(&a->lock);
    if (spent_before) {
        rc = ks_fail(e, 401, "challengeIdentifier %.60s is unknown, used or expired: start again at POST /auth/action/init",
                     chid);
        goto done;
    }
    size_t cred = a->ncreds;
    for (size_t i = 0; i < a->ncreds; i++)
        if (strcmp(a->creds[i].id, cred_id) == 0) cred = i;
    if (cred == a->ncreds) {
        rc = ks_fail(e, 401, "credential \"%.128s\" is not registered with this cluster", cred_id);
        goto done;
    }
    if (ks_json_parse(e, &cd, "clientData", (const char *)client, client_len) != 0 ||
        ks_json_str(e, &type, cd, "clientData", "type", 1) != 0 ||
        ks_json_str(e, &challenge, cd, "clientData", "challenge", 1) != 0) {
        char why[KS_ERR_MAX];
        snprintf(why, sizeof why, "%s", e->msg);
        rc = ks_fail(e, 401, "%s", why);
        goto done;
    }
    if (strcmp(type, "key.get") != 0 || strlen(challenge) != strlen(want) ||
        kp_memcmp_ct(challenge, want, strlen(want)) != 0) {
        rc = ks_fail(e, 401, "clientData must be {\"type\":\"key.get\",\"challenge\":<the challenge of %.60s>}", chid);
        goto done;
    }
    const ks_cred *cr = &a->creds[cred];
    kp_status st = kp_credential_verify(cr->alg, cr->public_hex, client, client_len, sig, sig_len);
    if (st != KP_OK) {
        rc = ks_fail_kp(e, 401, st, "the signature by credential \"%s\" over clientData does not verify", cr->id);
        goto done;
    }

    ks_action_token *t = calloc(1, sizeof *t);
    ks_spent *x = calloc(1, sizeof *x);
    uint8_t tok_raw[32];
    kp_buf tok;
    kp_buf_init(&tok, 1);
    ks_random(tok_raw, sizeof tok_raw);
    if (t == NULL || x == NULL || (t->path = strndup((const char *)raw + CH_HEAD, raw_len - CH_HEAD)) == NULL ||
        kp_buf_addstr(&tok, "ua-") != KP_OK || ks_buf_addb64url(&tok, tok_raw, sizeof tok_raw) != KP_OK) {
        if (t != NULL) free(t->path);
        free(t);
        free(x);
        kp_buf_release(&tok);
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    kp_memzero(tok_raw, sizeof tok_raw);
    kp_sha256(t->hash, tok.data, tok.len);
    memcpy(t->method, raw + 24, sizeof t->method);
    t->method[sizeof t->method - 1] = 0;
    memcpy(t->body_hash, raw + 32, 32);
    t->expires = now + ACTION_TTL;
    t->cred = cred;
    memcpy(x->id_hash, id_hash, 32);
    x->expires = get_be64(raw);
    x->cred = cred;

    /* a challenge is answered once; and each credential has its own allowance */
    pthread_mutex_lock(&a->lock);
    prune(a, now);
    size_t tokens = 0, spent = 0;
    int used = 0;
    for (const ks_action_token *p = a->tokens; p != NULL; p = p->next) tokens += p->cred == cred;
    for (const ks_spent *p = a->spent; p != NULL; p = p->next) {
        spent += p->cred == cred;
        if (memcmp(p->id_hash, x->id_hash, 32) == 0) used = 1;
    }
    for (size_t i = 0; i < FAILED_RING && !used; i++) used = memcmp(a->failed[i], x->id_hash, 32) == 0;
    if (used)
        rc = ks_fail(e, 401, "challengeIdentifier %.60s was answered already: start again at POST /auth/action/init", chid);
    else if (tokens >= TOKENS_PER_CRED)
        rc = ks_fail(e, 429, "credential \"%s\" has %d user actions that are not used yet, the most one credential may "
                             "have; use them or let them expire (%d s)", cr->id, TOKENS_PER_CRED, ACTION_TTL);
    else if (spent >= SPENT_PER_CRED)
        rc = ks_fail(e, 429, "credential \"%s\" signed %d user actions in %d s, the most one credential may; try again "
                             "in a few minutes", cr->id, SPENT_PER_CRED, ACTION_TTL);
    if (rc == 0) {
        t->next = a->tokens;
        a->tokens = t;
        x->next = a->spent;
        a->spent = x;
        t = NULL;
        x = NULL;
    }
    pthread_mutex_unlock(&a->lock);
    if (t != NULL) free(t->path);
    free(t);
    free(x);
    if (rc == 0 && (kp_buf_addstr(out, "{\"userAction\":\"") != KP_OK || kp_buf_add(out, tok.data, tok.len) != KP_OK ||
                    kp_buf_addstr(out, "\"}") != KP_OK))
        rc = ks_fail(e, 500, "out of memory");
    kp_buf_release(&tok);
done:
    if (rc != 0 && challenge_ok) {
        /* a failed answer spends the challenge too; these are kept in a ring, since anyone with the
         * token can make them: an old one forgotten only lets its challenge be answered again */
        pthread_mutex_lock(&a->lock);
        memcpy(a->failed[a->failed_next], id_hash, 32);
        a->failed_next = (a->failed_next + 1) % FAILED_RING;
        pthread_mutex_unlock(&a->lock);
    }
    free(raw);
    free(client);
    free(sig);
    cJSON_Delete(cd);
    cJSON_Delete(j);
    return rc;
}

int ks_action_use(ks_err *e, ks_actions *a, const char *token, const char *method, const char *path,
                  const uint8_t *body, size_t len, char *cred_id, size_t cred_cap)
{
    if (token == NULL || token[0] == 0)
        return ks_fail(e, 401, "the X-DFNS-USERACTION header is missing: sign this request with POST /auth/action/init "
                               "and POST /auth/action first");
    uint8_t hash[32], h[32];
    ks_action_token *t = NULL;
    kp_sha256(hash, (const uint8_t *)token, strlen(token));
    int64_t now = ks_now();
    pthread_mutex_lock(&a->lock);
    for (ks_action_token **p = &a->tokens; *p != NULL; p = &(*p)->next)
        if (kp_memcmp_ct((*p)->hash, hash, 32) == 0) {
            t = *p;
            *p = t->next;
            break;
        }
    pthread_mutex_unlock(&a->lock);
    int rc = 0;
    if (t == NULL) {
        rc = ks_fail(e, 401, "the user action in X-DFNS-USERACTION is unknown or was used already");
    } else if (t->expires <= now) {
        rc = ks_fail(e, 401, "the user action in X-DFNS-USERACTION has expired (they live %d s)", ACTION_TTL);
    } else {
        if (strcmp(t->method, method) != 0 || strcmp(t->path, path) != 0) {
            rc = ks_fail(e, 401, "the user action was signed for %s %.200s, not for %s %.200s", t->method, t->path, method,
                         path);
        } else {
            kp_sha256(h, body, len);
            if (memcmp(h, t->body_hash, 32) != 0)
                rc = ks_fail(e, 401, "the user action was signed for another body (userActionPayload must be the exact "
                                     "request body)");
        }
    }
    if (rc == 0) snprintf(cred_id, cred_cap, "%s", a->creds[t->cred].id);
    if (t != NULL) {
        free(t->path);
        kp_memzero(t, sizeof *t);
        free(t);
    }
    return rc;
}
