/*
 * Differential fuzz target: keyportd's JSON reader (ks_json_parse_value: libkeyport's strict
 * reader, then cJSON) against libkeyport's strict reader alone (kp_json_parse). They must accept
 * the same inputs, and where they accept, cJSON's tree must mean exactly what the strict reader
 * read: the same types, the same member names in the same order, the same decoded strings (byte
 * for byte, so no NUL cut one short), the same numbers. Any difference aborts (a finding).
 */
#include <stdio.h>

#include "fuzz_common.h"
#include "json.h"
#include "ks.h"

static void differ(const char *why, size_t tok)
{
    fprintf(stderr, "fuzz_server_json: the two readers differ at token %zu: %s\n", tok, why);
    abort();
}

/* Compares the subtree of token t with node n; returns the token after the subtree. */
static size_t same(const kp_json *j, size_t t, const cJSON *n)
{
    const kp_jtok *k = &j->tok[t];
    switch ((kp_jtype)k->type) {
    case KP_J_OBJECT:
    case KP_J_ARRAY: {
        int obj = k->type == KP_J_OBJECT;
        if (obj ? !cJSON_IsObject(n) : !cJSON_IsArray(n)) differ("container type", t);
        size_t i = t + 1;
        const cJSON *c = n->child;
        for (uint32_t m = 0; m < k->count; m++, c = c->next) {
            if (c == NULL) differ("cJSON has fewer members or elements", t);
            if (obj) {
                const kp_jtok *key = &j->tok[i];
                /* keys never hold escapes (the strict reader refuses them): compare the raw bytes */
                if (key->type != KP_J_STRING || key->escaped || c->string == NULL ||
                    strlen(c->string) != key->len || memcmp(c->string, j->text + key->start, key->len) != 0)
                    differ("member name", i);
                i++;
            }
            i = same(j, i, c);
        }
        if (c != NULL) differ("cJSON has more members or elements", t);
        if (i != k->next) differ("subtree size", t);
        return k->next;
    }
    case KP_J_STRING: {
        char *s = NULL;
        if (!cJSON_IsString(n) || n->valuestring == NULL) differ("string type", t);
        if (kp_json_strdup(j, (int)t, &s) != KP_OK) differ("an accepted string does not decode", t);
        /* both are C strings: the strict reader refuses an escaped NUL, so neither is cut short */
        if (strcmp(s, n->valuestring) != 0) differ("decoded string", t);
        free(s);
        return t + 1;
    }
    case KP_J_NUMBER: {
        if (!cJSON_IsNumber(n)) differ("number type", t);
        char *buf = malloc((size_t)k->len + 1);
        if (buf == NULL) abort();
        memcpy(buf, j->text + k->start, k->len);
        buf[k->len] = 0;
        double v = strtod(buf, NULL); /* the value a reader that keeps the text would compute */
        free(buf);
        if (!(v == n->valuedouble)) differ("number value", t);
        return t + 1;
    }
    case KP_J_TRUE:
        if (!cJSON_IsTrue(n)) differ("true", t);
        return t + 1;
    case KP_J_FALSE:
        if (!cJSON_IsFalse(n)) differ("false", t);
        return t + 1;
    case KP_J_NULL:
        if (!cJSON_IsNull(n)) differ("null", t);
        return t + 1;
    }
    differ("unknown token type", t);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_json j;
    cJSON *tree = NULL;
    ks_err e = {0};
    int strict_ok = kp_json_parse(&j, (const char *)data, size, "input") == KP_OK;
    int server_ok = ks_json_parse_value(&e, &tree, "input", (const char *)data, size) == 0;
    if (strict_ok != server_ok) {
        fprintf(stderr, "fuzz_server_json: the strict reader %s, keyportd %s (%s)\n", strict_ok ? "accepts" : "refuses",
                server_ok ? "accepts" : "refuses", e.msg);
        abort();
    }
    if (!server_ok && (e.status != 400 || e.msg[0] == 0)) abort(); /* a refusal says why */
    if (strict_ok) {
        if (same(&j, 0, tree) != j.ntok) differ("trailing tokens", 0);
        kp_json_free(&j);
    }
    cJSON_Delete(tree);
    return 0;
}
