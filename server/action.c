/* action.c: user action signing (WIRE.md §5, API.md "Authentication and authorization"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define ACTION_TTL 300          /* a challenge and a user action token live 5 minutes */
#define MAX_OUTSTANDING 4096    /* challenges, and tokens, waiting at once */
#define CRED_ID_MAX 128

struct ks_challenge {
    ks_challenge *next;
    char id[40];        /* challengeIdentifier */
    char challenge[48]; /* base64url of 32 random bytes */
    char method[8];
    char *path;
    uint8_t body_hash[32];
    int64_t expires;
};

struct ks_action_token {
    ks_action_token *next;
    uint8_t hash[32]; /* SHA-256 of the token: the token itself is not kept */
    char method[8];
    char *path;
    uint8_t body_hash[32];
    int64_t expires;
    char cred_id[CRED_ID_MAX + 1];
};

void ks_actions_init(ks_actions *a)
{
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->lock, NULL);
}

void ks_actions_free(ks_actions *a)
{
    for (size_t i = 0; i < a->ncreds; i++) {
        free(a->creds[i].id);
        free(a->creds[i].public_hex);
    }
    free(a->creds);
    while (a->challenges != NULL) {
        ks_challenge *c = a->challenges;
        a->challenges = c->next;
        free(c->path);
        free(c);
    }
    while (a->tokens != NULL) {
        ks_action_token *t = a->tokens;
        a->tokens = t->next;
        free(t->path);
        kp_memzero(t, sizeof *t);
        free(t);
    }
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

/* Drops expired challenges and tokens (lock held). */
static void prune(ks_actions *a, int64_t now)
{
    for (ks_challenge **p = &a->challenges; *p != NULL;) {
        if ((*p)->expires <= now) {
            ks_challenge *c = *p;
            *p = c->next;
            free(c->path);
            free(c);
            a->nchallenges--;
        } else {
            p = &(*p)->next;
        }
    }
    for (ks_action_token **p = &a->tokens; *p != NULL;) {
        if ((*p)->expires <= now) {
            ks_action_token *t = *p;
            *p = t->next;
            free(t->path);
            free(t);
            a->ntokens--;
        } else {
            p = &(*p)->next;
        }
    }
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
    if (path[0] != '/' || strlen(path) > 512) {
        rc = ks_fail(e, 400, "%s: userActionHttpPath must be a path beginning with '/' (at most 512 bytes)", what);
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
    ks_challenge *c = calloc(1, sizeof *c);
    if (c == NULL || (c->path = strdup(path)) == NULL) {
        free(c);
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    uint8_t raw[32];
    kp_buf b;
    kp_buf_init(&b, 0);
    ks_random(raw, sizeof raw);
    ks_buf_addb64url(&b, raw, sizeof raw);
    snprintf(c->challenge, sizeof c->challenge, "%s", b.data ? (const char *)b.data : "");
    kp_buf_release(&b);
    ks_new_id(c->id, sizeof c->id, "ch-");
    snprintf(c->method, sizeof c->method, "%s", method);
    kp_sha256(c->body_hash, (const uint8_t *)payload, strlen(payload));
    int64_t now = ks_now();
    c->expires = now + ACTION_TTL;

    pthread_mutex_lock(&a->lock);
    prune(a, now);
    if (a->nchallenges >= MAX_OUTSTANDING) {
        pthread_mutex_unlock(&a->lock);
        free(c->path);
        free(c);
        rc = ks_fail(e, 429, "too many user action challenges are waiting; try again in a few minutes");
        goto done;
    }
    c->next = a->challenges;
    a->challenges = c;
    a->nchallenges++;
    if (ks_buf_addf(out, "{\"challenge\":\"%s\",\"challengeIdentifier\":\"%s\",\"allowCredentials\":{\"key\":[",
                    c->challenge, c->id) != KP_OK)
        rc = ks_fail(e, 500, "out of memory");
    for (size_t i = 0; rc == 0 && i < a->ncreds; i++)
        if (kp_buf_addstr(out, i ? ",{\"type\":\"public-key\",\"id\":" : "{\"type\":\"public-key\",\"id\":") != KP_OK ||
            kp_buf_addjstr(out, a->creds[i].id, strlen(a->creds[i].id)) != KP_OK || kp_buf_addstr(out, "}") != KP_OK)
            rc = ks_fail(e, 500, "out of memory");
    pthread_mutex_unlock(&a->lock);
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
    uint8_t *client = NULL, *sig = NULL;
    size_t client_len = 0, sig_len = 0;
    ks_challenge *c = NULL;
    int rc;
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

    /* the challenge is spent by this attempt, whatever its outcome */
    int64_t now = ks_now();
    pthread_mutex_lock(&a->lock);
    for (ks_challenge **p = &a->challenges; *p != NULL; p = &(*p)->next)
        if (strcmp((*p)->id, chid) == 0) {
            c = *p;
            *p = c->next;
            a->nchallenges--;
            break;
        }
    const ks_cred *cred = NULL;
    for (size_t i = 0; i < a->ncreds; i++)
        if (strcmp(a->creds[i].id, cred_id) == 0) cred = &a->creds[i];
    pthread_mutex_unlock(&a->lock);
    if (c == NULL || c->expires <= now) {
        rc = ks_fail(e, 401, "challengeIdentifier %.60s is unknown, used or expired: start again at POST /auth/action/init", chid);
        goto done;
    }
    if (cred == NULL) {
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
    if (strcmp(type, "key.get") != 0 || strcmp(challenge, c->challenge) != 0) {
        rc = ks_fail(e, 401, "clientData must be {\"type\":\"key.get\",\"challenge\":<the challenge of %s>}", chid);
        goto done;
    }
    kp_status st = kp_credential_verify(cred->alg, cred->public_hex, client, client_len, sig, sig_len);
    if (st != KP_OK) {
        rc = ks_fail_kp(e, 401, st, "the signature by credential \"%s\" over clientData does not verify", cred->id);
        goto done;
    }

    ks_action_token *t = calloc(1, sizeof *t);
    if (t == NULL) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    uint8_t raw[32];
    kp_buf tok;
    kp_buf_init(&tok, 1);
    ks_random(raw, sizeof raw);
    if (kp_buf_addstr(&tok, "ua-") != KP_OK || ks_buf_addb64url(&tok, raw, sizeof raw) != KP_OK) {
        free(t);
        kp_buf_release(&tok);
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    kp_memzero(raw, sizeof raw);
    kp_sha256(t->hash, tok.data, tok.len);
    memcpy(t->method, c->method, sizeof t->method);
    t->path = c->path;
    c->path = NULL;
    memcpy(t->body_hash, c->body_hash, 32);
    t->expires = now + ACTION_TTL;
    snprintf(t->cred_id, sizeof t->cred_id, "%s", cred->id);
    pthread_mutex_lock(&a->lock);
    prune(a, now);
    if (a->ntokens >= MAX_OUTSTANDING) {
        pthread_mutex_unlock(&a->lock);
        free(t->path);
        free(t);
        kp_buf_release(&tok);
        rc = ks_fail(e, 429, "too many user actions are waiting to be used; try again in a few minutes");
        goto done;
    }
    t->next = a->tokens;
    a->tokens = t;
    a->ntokens++;
    pthread_mutex_unlock(&a->lock);
    if (kp_buf_addstr(out, "{\"userAction\":\"") != KP_OK || kp_buf_add(out, tok.data, tok.len) != KP_OK ||
        kp_buf_addstr(out, "\"}") != KP_OK)
        rc = ks_fail(e, 500, "out of memory");
    kp_buf_release(&tok);
done:
    if (c != NULL) {
        free(c->path);
        free(c);
    }
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
    uint8_t hash[32], body_hash[32];
    ks_action_token *t = NULL;
    kp_sha256(hash, (const uint8_t *)token, strlen(token));
    int64_t now = ks_now();
    pthread_mutex_lock(&a->lock);
    for (ks_action_token **p = &a->tokens; *p != NULL; p = &(*p)->next)
        if (kp_memcmp_ct((*p)->hash, hash, 32) == 0) {
            t = *p;
            *p = t->next;
            a->ntokens--;
            break;
        }
    pthread_mutex_unlock(&a->lock);
    int rc = 0;
    if (t == NULL) {
        rc = ks_fail(e, 401, "the user action in X-DFNS-USERACTION is unknown or was used already");
    } else if (t->expires <= now) {
        rc = ks_fail(e, 401, "the user action in X-DFNS-USERACTION has expired (they live %d s)", ACTION_TTL);
    } else if (strcmp(t->method, method) != 0 || strcmp(t->path, path) != 0) {
        rc = ks_fail(e, 401, "the user action was signed for %s %.200s, not for %s %.200s", t->method, t->path, method,
                     path);
    } else {
        kp_sha256(body_hash, body, len);
        if (memcmp(body_hash, t->body_hash, 32) != 0)
            rc = ks_fail(e, 401, "the user action was signed for another body (userActionPayload must be the exact "
                                 "request body)");
    }
    if (rc == 0) snprintf(cred_id, cred_cap, "%s", t->cred_id);
    if (t != NULL) {
        free(t->path);
        free(t);
    }
    return rc;
}
