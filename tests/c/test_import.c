/*
 * test_import.c: import (docs/wire.md §4) through the public API: the signers list,
 * kp_import_prepare, kp_import_request_parse and kp_import_open_share at every signer
 * position, the plaintext checked with cJSON, and tampered plaintexts written with the
 * internal wire.h writers and sealed to a signer.
 */
#include "curve.h"
#include "kptest.h"
#include "wire.h"

TestSuite(import, .init = kpt_setup, .fini = kpt_teardown, .timeout = 300);

#define MAXN 8

typedef struct cluster {
    unsigned n;
    uint8_t dk[MAXN][32];
    kp_signer_info info[MAXN];
    uint8_t id[MAXN][40];
    char *id64[MAXN];
    kp_signers *signers;
    unsigned sorted[MAXN]; /* sorted position -> our signer number */
} cluster;

static int bytes_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    size_t m = al < bl ? al : bl;
    int c = memcmp(a, b, m);
    return c ? c : (al > bl) - (al < bl);
}

/* n signers with random keys and random signerIds of 1..40 bytes. */
static void make_cluster(cluster *cl, unsigned n)
{
    memset(cl, 0, sizeof *cl);
    cl->n = n;
    for (unsigned i = 0; i < n; i++) {
        int dup;
        do {
            cl->info[i].signer_id_len = 1 + kpt_uniform(40);
            kpt_random(cl->id[i], cl->info[i].signer_id_len);
            /* some ids share a prefix with another, to exercise "a proper prefix sorts first" */
            if (i > 0 && i % 3 == 0 && cl->info[i - 1].signer_id_len < 40) {
                cl->info[i].signer_id_len = cl->info[i - 1].signer_id_len + 1;
                memcpy(cl->id[i], cl->id[i - 1], cl->info[i - 1].signer_id_len);
            }
            dup = 0;
            for (unsigned j = 0; j < i; j++)
                dup |= bytes_cmp(cl->id[i], cl->info[i].signer_id_len, cl->id[j], cl->info[j].signer_id_len) == 0;
        } while (dup);
        cl->info[i].signer_id = cl->id[i];
        KPT_ST(kp_encryption_keypair(ctx, cl->dk[i], cl->info[i].encryption_key), KP_OK);
        cl->id64[i] = kpt_b64(cl->id[i], cl->info[i].signer_id_len);
    }
    kp_buf js;
    kp_buf_init(&js, 0);
    KPT_ST(kp_signers_write(&js, "cluster-1", cl->info, n), KP_OK);
    KPT_ST(kp_signers_parse(ctx, &cl->signers, (const char *)js.data, js.len, NULL), KP_OK);
    kp_buf_release(&js);
    cr_assert_eq(kp_signers_count(cl->signers), n);
    /* docs/wire.md §4 step 2: sorted by the decoded signerId bytes, checked here independently */
    for (unsigned pos = 0; pos < n; pos++) {
        uint8_t ek[33];
        const char *id = kp_signers_get(cl->signers, pos, ek);
        cr_assert_not_null(id);
        unsigned who;
        for (who = 0; who < n; who++)
            if (strcmp(id, cl->id64[who]) == 0) break;
        cr_assert_lt(who, n, "signer %s is not ours", id);
        cr_assert_arr_eq(ek, cl->info[who].encryption_key, 33);
        cl->sorted[pos] = who;
        if (pos > 0) {
            unsigned prev = cl->sorted[pos - 1];
            cr_assert_lt(bytes_cmp(cl->id[prev], cl->info[prev].signer_id_len, cl->id[who], cl->info[who].signer_id_len),
                         0, "signers are not sorted by decoded signerId at position %u", pos);
        }
    }
    cr_assert_null(kp_signers_get(cl->signers, n, NULL));
}

static void free_cluster(cluster *cl)
{
    kp_signers_free(cl->signers);
    for (unsigned i = 0; i < cl->n; i++) free(cl->id64[i]);
}

static size_t plaintext_len(kp_curve c, unsigned n)
{
    /* docs/wire.md §2 layout: 959 bytes for secp256k1 and n = 5 */
    size_t name = strlen(kp_curve_name(c));
    size_t pointhex = c == KP_CURVE_ED25519 ? 64 : 130;
    size_t scalar = 10 + name + 12 + 64 + 2;
    size_t point = 10 + name + 11 + pointhex + 2;
    return 28 + scalar + 17 + 2 + n * point + (n - 1) + 1;
}

/* The whole flow for one shape. */
static void flow(kp_curve c, kp_protocol p, unsigned n, unsigned t, const char *name)
{
    cluster cl;
    uint8_t secret[32], pub[33], opened[MAXN][32];
    size_t publen;
    make_cluster(&cl, n);
    kpt_random_scalar(secret, c);
    KPT_ST(kp_public_key(ctx, pub, &publen, c, secret), KP_OK);

    kp_buf body;
    kp_buf_init(&body, 0);
    KPT_ST(kp_import_prepare(ctx, &body, cl.signers, c, p, t, name, secret), KP_OK);

    /* the body, read with cJSON */
    cJSON *j = cJSON_ParseWithLength((const char *)body.data, body.len);
    cr_assert_not_null(j, "the import body is not JSON");
    if (name) cr_assert_str_eq(kpt_jstr(j, "name"), name);
    else cr_assert_null(cJSON_GetObjectItemCaseSensitive(j, "name"));
    cr_assert_str_eq(kpt_jstr(j, "curve"), kp_curve_name(c));
    cr_assert_str_eq(kpt_jstr(j, "protocol"), kp_protocol_name(p));
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(j, "minSigners")->valuedouble, (double)t);
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "encryptedKeyShares");
    cr_assert_eq((unsigned)cJSON_GetArraySize(arr), n);

    kp_import_request *req = NULL;
    KPT_ST(kp_import_request_parse(&req, (const char *)body.data, body.len), KP_OK);
    cr_assert_eq(kp_import_request_curve(req), c);
    cr_assert_eq(kp_import_request_protocol(req), p);
    cr_assert_eq(kp_import_request_min_signers(req), t);
    cr_assert_eq(kp_import_request_count(req), n);
    if (name) cr_assert_str_eq(kp_import_request_name(req), name);
    else cr_assert_null(kp_import_request_name(req));
    cr_assert_null(kp_import_request_share(req, n, NULL, NULL));

    char *first_pubs = NULL;
    for (unsigned pos = 0; pos < n; pos++) {
        cJSON *e = cJSON_GetArrayItem(arr, (int)pos);
        const char *id = kpt_jstr(e, "signerId");
        const char *ct64 = kpt_jstr(e, "encryptedKeyShare");
        unsigned who = cl.sorted[pos];
        cr_assert_str_eq(id, cl.id64[who], "share %u is not for the signer at sorted position %u", pos, pos);
        size_t ctlen = 0;
        uint8_t *ct = kpt_unb64(ct64, strlen(ct64), &ctlen);
        cr_assert_not_null(ct);
        cr_assert_eq(ctlen, plaintext_len(c, n) + 49, "%s n=%u: ciphertext %zu bytes", kpt_curve_str(c), n, ctlen);

        const uint8_t *rct;
        size_t rctlen;
        cr_assert_str_eq(kp_import_request_share(req, pos, &rct, &rctlen), id);
        cr_assert_eq(rctlen, ctlen);
        cr_assert_arr_eq(rct, ct, ctlen);

        /* the plaintext, read with cJSON */
        size_t mlen = ctlen - 49;
        char *m = malloc(mlen + 1);
        KPT_ST(kp_envelope_open(ctx, (uint8_t *)m, cl.dk[who], ct, ctlen), KP_OK);
        m[mlen] = 0;
        cr_assert_eq(strlen(m), mlen);
        cJSON *pj = cJSON_Parse(m);
        cr_assert_not_null(pj, "the import plaintext is not JSON");
        cr_assert_eq(cJSON_GetObjectItemCaseSensitive(pj, "version")->valueint, 1);
        cJSON *ss = cJSON_GetObjectItemCaseSensitive(pj, "secret_share");
        cr_assert_str_eq(kpt_jstr(ss, "curve"), kp_curve_name(c));
        cJSON *ps = cJSON_GetObjectItemCaseSensitive(pj, "public_shares");
        cr_assert_eq((unsigned)cJSON_GetArraySize(ps), n);
        char *pstext = cJSON_PrintUnformatted(ps);
        if (first_pubs == NULL) first_pubs = pstext;
        else {
            cr_assert_str_eq(pstext, first_pubs, "signers got different public_shares");
            free(pstext);
        }
        cr_assert_null(strstr(m, "index"), "docs/wire.md §2: an import plaintext has no index field");

        /* the signer side */
        uint8_t share[32], gpub[KP_PUBKEY_MAX_BYTES];
        size_t gpublen = 0;
        KPT_ST(kp_import_open_share(ctx, share, gpub, &gpublen, cl.dk[who], c, pos + 1, n, t, ct, ctlen), KP_OK);
        cr_assert_eq(gpublen, publen);
        cr_assert_arr_eq(gpub, pub, publen, "the group key from public_shares is not the key's");
        char hex[65];
        kpt_hex(hex, share, 32);
        cr_assert_str_eq(kpt_jstr(ss, "scalar"), hex);
        memcpy(opened[pos], share, 32);

        /* public_shares[pos] is share·G, uncompressed (ed25519: its 32-byte form) */
        uint8_t sp[33];
        size_t splen;
        KPT_ST(kp_public_key(ctx, sp, &splen, c, share), KP_OK);
        const char *pt = kpt_jstr(cJSON_GetArrayItem(ps, (int)pos), "point");
        char sphex[67];
        kpt_hex(sphex, c == KP_CURVE_ED25519 ? sp : sp + 1, 32);
        if (c == KP_CURVE_ED25519) {
            cr_assert_str_eq(pt, sphex);
        } else {
            cr_assert_eq(strlen(pt), 130);
            cr_assert(strncmp(pt, "04", 2) == 0);
            cr_assert(strncmp(pt + 2, sphex, 64) == 0, "public_shares[%u] x", pos);
            cr_assert_eq(kpt_hexval((unsigned char)pt[129]) & 1, sp[0] & 1, "public_shares[%u] y parity", pos);
        }
        cJSON_Delete(pj);
        free(m);
        free(ct);
    }
    free(first_pubs);

    /* the opened shares are Shamir shares of the key at x = 1..n (the sorted positions) */
    uint32_t idx[MAXN];
    for (unsigned i = 0; i < n; i++) idx[i] = i + 1;
    uint8_t got[32];
    KPT_ST(kpt_combine_u32(got, c, idx + (n - t), (const uint8_t(*)[32])(opened + (n - t)), t), KP_OK);
    cr_assert_arr_eq(got, secret, 32);
    if (t > 2) {
        KPT_ST(kpt_combine_u32(got, c, idx, (const uint8_t(*)[32])opened, t - 1), KP_OK);
        cr_assert(memcmp(got, secret, 32) != 0);
    }

    cJSON_Delete(j);
    kp_import_request_free(req);
    kp_buf_release(&body);
    free_cluster(&cl);
}

Test(import, flow_five_signers_every_scheme)
{
    flow(KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21, 5, 3, "wallet 1");
    flow(KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP24, 5, 3, NULL);
    flow(KP_CURVE_SECP256K1, KP_PROTOCOL_FROST_BITCOIN, 5, 3, "taproot");
    flow(KP_CURVE_STARK, KP_PROTOCOL_CGGMP21, 5, 3, "stark key");
    flow(KP_CURVE_STARK, KP_PROTOCOL_CGGMP24, 5, 3, NULL);
    flow(KP_CURVE_ED25519, KP_PROTOCOL_FROST, 5, 3, "solana");
}

Test(import, flow_other_shapes)
{
    static const unsigned shapes[][2] = {{2, 2}, {3, 2}, {4, 4}, {7, 4}, {8, 2}};
    for (int ci = 0; ci < 3; ci++)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            flow(KPT_CURVES[ci], kpt_protocol_for(KPT_CURVES[ci]), shapes[s][0], shapes[s][1], "k");
}

Test(import, sizes_secp256k1_five_signers)
{
    /* docs/wire.md §2: plaintext 959 bytes, ciphertext 1008, for secp256k1 and n = 5 */
    cr_assert_eq(plaintext_len(KP_CURVE_SECP256K1, 5), 959);
    cluster cl;
    uint8_t secret[32];
    make_cluster(&cl, 5);
    kpt_random_scalar(secret, KP_CURVE_SECP256K1);
    kp_buf body;
    kp_buf_init(&body, 0);
    KPT_ST(kp_import_prepare(ctx, &body, cl.signers, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21, 3, NULL, secret), KP_OK);
    cJSON *j = cJSON_ParseWithLength((const char *)body.data, body.len);
    cJSON *e;
    int count = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "encryptedKeyShares")) {
        const char *b = kpt_jstr(e, "encryptedKeyShare");
        size_t len = 0;
        uint8_t *ct = kpt_unb64(b, strlen(b), &len);
        cr_assert_not_null(ct);
        cr_assert_eq(len, 1008);
        free(ct);
        count++;
    }
    cr_assert_eq(count, 5);
    cJSON_Delete(j);
    kp_buf_release(&body);
    free_cluster(&cl);
}

Test(import, name_is_escaped)
{
    cluster cl;
    uint8_t secret[32];
    const char *name = "a \"quoted\" name\\ with a slash / and é";
    make_cluster(&cl, 3);
    kpt_random_scalar(secret, KP_CURVE_ED25519);
    kp_buf body;
    kp_buf_init(&body, 0);
    KPT_ST(kp_import_prepare(ctx, &body, cl.signers, KP_CURVE_ED25519, KP_PROTOCOL_FROST, 2, name, secret), KP_OK);
    cJSON *j = cJSON_ParseWithLength((const char *)body.data, body.len);
    cr_assert_not_null(j);
    cr_assert_str_eq(kpt_jstr(j, "name"), name);
    kp_import_request *req;
    KPT_ST(kp_import_request_parse(&req, (const char *)body.data, body.len), KP_OK);
    cr_assert_str_eq(kp_import_request_name(req), name);
    kp_import_request_free(req);
    cJSON_Delete(j);
    /* control characters (a newline, a tab, an ANSI escape) are refused, as in operator names,
     * both when a request is made and when one is read */
    static const char *bad[] = {"new\nline", "tab\there", "\x1b[2J", ("csi \xc2\x9b" "2J"), "del\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t before = body.len;
        KPT_ST(kp_import_prepare(ctx, &body, cl.signers, KP_CURVE_ED25519, KP_PROTOCOL_FROST, 2, bad[i], secret),
               KP_ERR_FORMAT);
        cr_assert_eq(body.len, before);
        kp_buf doc;
        kp_buf_init(&doc, 0);
        KPT_ST(kp_buf_addstr(&doc, "{\"name\":"), KP_OK);
        KPT_ST(kp_buf_addjstr(&doc, bad[i], strlen(bad[i])), KP_OK);
        const char *rest = strchr((const char *)body.data, ','); /* after the name */
        KPT_ST(kp_buf_add(&doc, rest, body.len - (size_t)(rest - (const char *)body.data)), KP_OK);
        KPT_ST(kp_import_request_parse(&req, (const char *)doc.data, doc.len), KP_ERR_FORMAT);
        cr_assert(strstr(kp_error_detail(), "name") != NULL && strstr(kp_error_detail(), "control") != NULL, "%s",
                  kp_error_detail());
        kp_buf_release(&doc);
    }
    kp_buf_release(&body);
    free_cluster(&cl);
}

/* ------------------------------------------------------------ the signer side refuses */

typedef struct prepared {
    cluster cl;
    kp_curve c;
    unsigned n, t;
    uint8_t secret[32];
    uint8_t shares[MAXN][32];  /* f(1..n), from opening the real request */
    kp_import_request *req;
} prepared;

static void prepare(prepared *pr, kp_curve c, unsigned n, unsigned t)
{
    pr->c = c;
    pr->n = n;
    pr->t = t;
    make_cluster(&pr->cl, n);
    kpt_random_scalar(pr->secret, c);
    kp_buf body;
    kp_buf_init(&body, 0);
    KPT_ST(kp_import_prepare(ctx, &body, pr->cl.signers, c, kpt_protocol_for(c), t, NULL, pr->secret), KP_OK);
    KPT_ST(kp_import_request_parse(&pr->req, (const char *)body.data, body.len), KP_OK);
    kp_buf_release(&body);
    for (unsigned pos = 0; pos < n; pos++) {
        const uint8_t *ct;
        size_t ctlen;
        uint8_t pub[33];
        size_t publen;
        kp_import_request_share(pr->req, pos, &ct, &ctlen);
        KPT_ST(kp_import_open_share(ctx, pr->shares[pos], pub, &publen, pr->cl.dk[pr->cl.sorted[pos]], c, pos + 1, n, t,
                                    ct, ctlen),
               KP_OK);
    }
}

static void unprepare(prepared *pr)
{
    kp_import_request_free(pr->req);
    free_cluster(&pr->cl);
}

static kp_status open_at(prepared *pr, unsigned share_pos, unsigned as_pos, unsigned n, unsigned t, kp_curve c)
{
    const uint8_t *ct;
    size_t ctlen;
    uint8_t share[32], pub[33];
    size_t publen = 99;
    memset(share, 0xaa, 32);
    kp_import_request_share(pr->req, share_pos, &ct, &ctlen);
    kp_status st = kp_import_open_share(ctx, share, pub, &publen, pr->cl.dk[pr->cl.sorted[share_pos]], c, as_pos, n, t,
                                        ct, ctlen);
    if (st != KP_OK) {
        cr_assert(kpt_is_zero(share, 32), "the share must be zeroed on failure");
        cr_assert_eq(publen, 0);
    }
    return st;
}

Test(import, share_opened_at_the_wrong_position)
{
    for (int ci = 0; ci < 3; ci++) {
        prepared pr;
        prepare(&pr, KPT_CURVES[ci], 5, 3);
        for (unsigned pos = 0; pos < 5; pos++)
            for (unsigned as = 1; as <= 5; as++) {
                kp_status st = open_at(&pr, pos, as, 5, 3, pr.c);
                cr_assert_eq(st, as == pos + 1 ? KP_OK : KP_ERR_SHARE_MISMATCH, "%s: share %u opened as position %u: %s",
                             kpt_curve_str(pr.c), pos, as, kp_status_name(st));
            }
        unprepare(&pr);
    }
}

Test(import, wrong_parameters_at_the_signer)
{
    prepared pr;
    prepare(&pr, KP_CURVE_SECP256K1, 5, 3);
    KPT_ST(open_at(&pr, 0, 1, 5, 3, KP_CURVE_SECP256K1), KP_OK);
    KPT_ST(open_at(&pr, 0, 1, 5, 3, KP_CURVE_STARK), KP_ERR_CURVE_MISMATCH);
    KPT_ST(open_at(&pr, 0, 1, 5, 3, KP_CURVE_ED25519), KP_ERR_CURVE_MISMATCH);
    KPT_ST(open_at(&pr, 0, 1, 6, 3, KP_CURVE_SECP256K1), KP_ERR_FORMAT); /* 5 public shares, not 6 */
    KPT_ST(open_at(&pr, 0, 1, 4, 3, KP_CURVE_SECP256K1), KP_ERR_FORMAT);
    /* a lower threshold than the polynomial's: the public shares are not on a line */
    KPT_ST(open_at(&pr, 0, 1, 5, 2, KP_CURVE_SECP256K1), KP_ERR_SHARE_MISMATCH);
    KPT_ST(open_at(&pr, 0, 0, 5, 3, KP_CURVE_SECP256K1), KP_ERR_THRESHOLD);
    KPT_ST(open_at(&pr, 0, 6, 5, 3, KP_CURVE_SECP256K1), KP_ERR_THRESHOLD);
    KPT_ST(open_at(&pr, 0, 1, 5, 1, KP_CURVE_SECP256K1), KP_ERR_THRESHOLD);
    KPT_ST(open_at(&pr, 0, 1, 5, 6, KP_CURVE_SECP256K1), KP_ERR_THRESHOLD);
    KPT_ST(open_at(&pr, 0, 1, 65, 3, KP_CURVE_SECP256K1), KP_ERR_THRESHOLD);
    KPT_ST(open_at(&pr, 0, 1, 5, 3, (kp_curve)0), KP_ERR_CURVE);

    /* another signer's key, a short or cut ciphertext */
    const uint8_t *ct;
    size_t ctlen;
    uint8_t share[32], pub[33];
    size_t publen;
    kp_import_request_share(pr.req, 0, &ct, &ctlen);
    KPT_ST(kp_import_open_share(ctx, share, pub, &publen, pr.cl.dk[pr.cl.sorted[1]], pr.c, 1, 5, 3, ct, ctlen),
           KP_ERR_DECRYPT);
    KPT_ST(kp_import_open_share(ctx, share, pub, &publen, pr.cl.dk[pr.cl.sorted[0]], pr.c, 1, 5, 3, ct, ctlen - 1),
           KP_ERR_DECRYPT);
    KPT_ST(kp_import_open_share(ctx, share, pub, &publen, pr.cl.dk[pr.cl.sorted[0]], pr.c, 1, 5, 3, ct, 49),
           KP_ERR_DECRYPT);
    KPT_ST(kp_import_open_share(ctx, share, pub, &publen, pr.cl.dk[pr.cl.sorted[0]], pr.c, 1, 5, 3, NULL, 0),
           KP_ERR_DECRYPT);
    uint8_t *bad = malloc(ctlen);
    memcpy(bad, ct, ctlen);
    bad[ctlen / 2] ^= 0x20;
    KPT_ST(kp_import_open_share(ctx, share, pub, &publen, pr.cl.dk[pr.cl.sorted[0]], pr.c, 1, 5, 3, bad, ctlen),
           KP_ERR_DECRYPT);
    free(bad);
    unprepare(&pr);
}

/* ------------------------------------------------------------ hand-made plaintexts */

/* A point as the wire writes it. */
static void point_json(kp_buf *b, kp_curve c, const uint8_t s[32])
{
    kp_point p;
    KPT_ST(kp_curve_ops_of(c)->base_mul(ctx, &p, s), KP_OK);
    KPT_ST(kp_wire_point_write(ctx, b, &p), KP_OK);
}

/* Writes {"version":1,"secret_share":<share>,"public_shares":[…]} where public_shares[j] is
 * override[j] when given, else shares[j]·G; seals it to the signer at sorted position pos and
 * opens it there. */
static kp_status open_forged(prepared *pr, unsigned pos, const uint8_t share[32], const char *const *override,
                             unsigned count)
{
    kp_buf pubs, pt;
    kp_buf_init(&pubs, 0);
    kp_buf_init(&pt, 1);
    KPT_ST(kp_buf_addstr(&pubs, "["), KP_OK);
    for (unsigned j = 0; j < count; j++) {
        if (j) KPT_ST(kp_buf_addstr(&pubs, ","), KP_OK);
        if (override && override[j]) KPT_ST(kp_buf_addstr(&pubs, override[j]), KP_OK);
        else point_json(&pubs, pr->c, pr->shares[j % pr->n]);
    }
    KPT_ST(kp_buf_addstr(&pubs, "]"), KP_OK);
    KPT_ST(kp_wire_import_plaintext_write(&pt, pr->c, share, &pubs), KP_OK);
    uint8_t *ct = malloc(pt.len + 49);
    uint8_t ek[33];
    kp_signers_get(pr->cl.signers, pos, ek);
    KPT_ST(kp_envelope_seal(ctx, ct, ek, pt.data, pt.len), KP_OK);
    uint8_t out[32], pub[33];
    size_t publen;
    kp_status st = kp_import_open_share(ctx, out, pub, &publen, pr->cl.dk[pr->cl.sorted[pos]], pr->c, pos + 1, pr->n,
                                        pr->t, ct, pt.len + 49);
    free(ct);
    kp_buf_release(&pubs);
    kp_buf_release(&pt);
    return st;
}

static char *point_text(kp_curve c, const char *hex)
{
    char *s = malloc(300);
    snprintf(s, 300, "{\"curve\":\"%s\",\"point\":\"%s\"}", kp_curve_name(c), hex);
    return s;
}

Test(import, forged_plaintext_baseline_opens)
{
    for (int ci = 0; ci < 3; ci++) {
        prepared pr;
        prepare(&pr, KPT_CURVES[ci], 5, 3);
        KPT_ST(open_forged(&pr, 0, pr.shares[0], NULL, 5), KP_OK);
        KPT_ST(open_forged(&pr, 3, pr.shares[3], NULL, 5), KP_OK);
        unprepare(&pr);
    }
}

Test(import, public_shares_not_on_one_polynomial)
{
    for (int ci = 0; ci < 3; ci++) {
        prepared pr;
        prepare(&pr, KPT_CURVES[ci], 5, 3);
        kp_curve c = pr.c;
        for (unsigned j = 0; j < 5; j++) {
            /* public_shares[j] replaced by another point; opened by a signer other than j */
            uint8_t other[32];
            kpt_random_scalar(other, c);
            kp_buf b;
            kp_buf_init(&b, 0);
            point_json(&b, c, other);
            const char *ov[5] = {0};
            ov[j] = (const char *)b.data;
            unsigned pos = (j + 1) % 5;
            kp_status st = open_forged(&pr, pos, pr.shares[pos], ov, 5);
            cr_assert_eq(st, KP_ERR_SHARE_MISMATCH, "%s: public_shares[%u] replaced, opened at %u: %s",
                         kpt_curve_str(c), j, pos, kp_status_name(st));
            kp_buf_release(&b);
        }
        /* two public shares swapped */
        kp_buf b3, b4;
        kp_buf_init(&b3, 0);
        kp_buf_init(&b4, 0);
        point_json(&b3, c, pr.shares[3]);
        point_json(&b4, c, pr.shares[4]);
        const char *ov[5] = {NULL, NULL, NULL, (const char *)b4.data, (const char *)b3.data};
        KPT_ST(open_forged(&pr, 0, pr.shares[0], ov, 5), KP_ERR_SHARE_MISMATCH);
        kp_buf_release(&b3);
        kp_buf_release(&b4);
        /* the signer's own share is not the point listed for it */
        uint8_t off[32];
        kpt_random_scalar(off, c);
        KPT_ST(open_forged(&pr, 2, off, NULL, 5), KP_ERR_SHARE_MISMATCH);
        unprepare(&pr);
    }
}

Test(import, identity_or_off_curve_public_share)
{
    for (int ci = 0; ci < 3; ci++) {
        prepared pr;
        prepare(&pr, KPT_CURVES[ci], 5, 3);
        kp_curve c = pr.c;
        char hex[131];
        char *bad[4];
        int nbad = 0;
        if (c == KP_CURVE_ED25519) {
            /* the identity (0, 1), a point of order 2 (0, -1), a y that is not canonical, an off-curve y */
            bad[nbad++] = point_text(c, "0100000000000000000000000000000000000000000000000000000000000000");
            bad[nbad++] = point_text(c, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
            bad[nbad++] = point_text(c, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
            bad[nbad++] = point_text(c, "0200000000000000000000000000000000000000000000000000000000000000");
        } else {
            /* "04" and zeros (the identity has no affine form), y off by one, and x = p */
            memset(hex, '0', 130);
            hex[130] = 0;
            hex[1] = '4';
            bad[nbad++] = point_text(c, hex);
            uint8_t s[32], pub[33], full[65];
            size_t publen;
            kpt_random_scalar(s, c);
            KPT_ST(kp_public_key(ctx, pub, &publen, c, s), KP_OK);
            kp_point p;
            KPT_ST(kp_curve_ops_of(c)->parse(ctx, &p, pub, 33), KP_OK);
            kp_curve_ops_of(c)->serialize(ctx, full, &p, 0);
            full[64] ^= 1;
            kpt_hex(hex, full, 65);
            bad[nbad++] = point_text(c, hex);
            /* the compressed form is not what the wire carries */
            kpt_hex(hex, pub, 33);
            bad[nbad++] = point_text(c, hex);
            full[64] ^= 1;
            full[0] = 6; /* the hybrid form */
            kpt_hex(hex, full, 65);
            bad[nbad++] = point_text(c, hex);
        }
        static const kp_status want_ed[4] = {KP_ERR_POINT, KP_ERR_POINT, KP_ERR_POINT, KP_ERR_POINT};
        static const kp_status want_w[4] = {KP_ERR_POINT, KP_ERR_POINT, KP_ERR_HEX, KP_ERR_POINT};
        for (int b = 0; b < nbad; b++) {
            const char *ov[5] = {0};
            ov[b + 1] = bad[b]; /* opened at position 0, whose own point stays valid */
            kp_status st = open_forged(&pr, 0, pr.shares[0], ov, 5);
            kp_status want = c == KP_CURVE_ED25519 ? want_ed[b] : want_w[b];
            cr_assert_eq(st, want, "%s: bad public share %d (%s): %s, want %s", kpt_curve_str(c), b, bad[b],
                         kp_status_name(st), kp_status_name(want));
            free(bad[b]);
        }
        unprepare(&pr);
    }
}

Test(import, bad_fields_in_the_plaintext)
{
    prepared pr;
    prepare(&pr, KP_CURVE_SECP256K1, 5, 3);
    uint8_t zero[32] = {0}, n[32];
    /* a zero secret_share, one not below the order */
    KPT_ST(open_forged(&pr, 0, zero, NULL, 5), KP_ERR_SCALAR);
    kpt_order(n, KP_CURVE_SECP256K1);
    KPT_ST(open_forged(&pr, 0, n, NULL, 5), KP_ERR_SCALAR);
    /* four or six public shares for five signers */
    KPT_ST(open_forged(&pr, 0, pr.shares[0], NULL, 4), KP_ERR_FORMAT);
    KPT_ST(open_forged(&pr, 0, pr.shares[0], NULL, 6), KP_ERR_FORMAT);
    /* a public share tagged with another curve */
    kp_buf b;
    uint8_t ss[32];
    kpt_random_scalar(ss, KP_CURVE_STARK);
    kp_buf_init(&b, 0);
    point_json(&b, KP_CURVE_STARK, ss);
    const char *ov[5] = {NULL, (const char *)b.data, NULL, NULL, NULL};
    KPT_ST(open_forged(&pr, 0, pr.shares[0], ov, 5), KP_ERR_CURVE_MISMATCH);
    kp_buf_release(&b);
    unprepare(&pr);
}

/* text with every `from` replaced by `to` (the caller frees) */
static char *subst(const char *text, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    for (const char *q = strstr(text, from); q; q = strstr(q + fl, from)) n++;
    char *out = malloc(strlen(text) + n * tl + 1), *w = out;
    for (const char *q = text;;) {
        const char *at = strstr(q, from);
        if (!at) {
            strcpy(w, q);
            break;
        }
        memcpy(w, q, (size_t)(at - q));
        w += at - q;
        memcpy(w, to, tl);
        w += tl;
        q = at + fl;
    }
    return out;
}

/* Whole plaintexts written by hand: version, a secret_share of another curve, missing fields. */
Test(import, bad_plaintext_documents)
{
    prepared pr;
    prepare(&pr, KP_CURVE_ED25519, 3, 2);
    kp_buf pubs;
    kp_buf_init(&pubs, 0);
    KPT_ST(kp_buf_addstr(&pubs, "["), KP_OK);
    for (unsigned j = 0; j < 3; j++) {
        if (j) KPT_ST(kp_buf_addstr(&pubs, ","), KP_OK);
        point_json(&pubs, pr.c, pr.shares[j]);
    }
    KPT_ST(kp_buf_addstr(&pubs, "]"), KP_OK);
    char sh[65], sh62[63];
    kpt_hex(sh, pr.shares[0], 32);
    memcpy(sh62, sh, 62);
    sh62[62] = 0;
    const char *p = (const char *)pubs.data;
    struct { const char *tmpl; kp_status want; } docs[] = {
        {"{\"version\":1,\"secret_share\":{\"curve\":\"ed25519\",\"scalar\":\"{S}\"},\"public_shares\":{P}}", KP_OK},
        {"{\"version\":2,\"secret_share\":{\"curve\":\"ed25519\",\"scalar\":\"{S}\"},\"public_shares\":{P}}", KP_ERR_VERSION},
        {"{\"secret_share\":{\"curve\":\"ed25519\",\"scalar\":\"{S}\"},\"public_shares\":{P}}", KP_ERR_FORMAT},
        {"{\"version\":1,\"secret_share\":{\"curve\":\"stark\",\"scalar\":\"{S}\"},\"public_shares\":{P}}",
         KP_ERR_CURVE_MISMATCH},
        {"{\"version\":1,\"secret_share\":{\"scalar\":\"{S}\"},\"public_shares\":{P}}", KP_ERR_FORMAT},
        {"{\"version\":1,\"secret_share\":{\"curve\":\"ed25519\",\"scalar\":\"{s62}\"},\"public_shares\":{P}}", KP_ERR_HEX},
        {"{\"version\":1,\"secret_share\":{\"curve\":\"ed25519\",\"scalar\":\"{S}\"}}", KP_ERR_FORMAT},
        {"{\"version\":1,\"secret_share\":{\"curve\":\"ed25519\",\"scalar\":\"{S}\"},\"public_shares\":{P},\"extra\":[1]}",
         KP_OK},
        {"{\"version\":1,\"secret_share\":{\"curve\":\"ed25519\",\"scalar\":\"{S}\"},\"public_shares\":{P}", KP_ERR_JSON},
        {"{\"version\":1,\"version\":1,\"secret_share\":{\"curve\":\"ed25519\",\"scalar\":\"{S}\"},\"public_shares\":{P}}",
         KP_ERR_JSON},
        {"[\"{S}\",{P}]", KP_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        char *t1 = subst(docs[i].tmpl, "{S}", sh), *t2 = subst(t1, "{s62}", sh62), *text = subst(t2, "{P}", p);
        int len = (int)strlen(text);
        free(t1);
        free(t2);
        uint8_t *ct = malloc((size_t)len + 49), ek[33], out[32], pub[33];
        size_t publen;
        kp_signers_get(pr.cl.signers, 0, ek);
        KPT_ST(kp_envelope_seal(ctx, ct, ek, (const uint8_t *)text, (size_t)len), KP_OK);
        kp_status st = kp_import_open_share(ctx, out, pub, &publen, pr.cl.dk[pr.cl.sorted[0]], pr.c, 1, 3, 2, ct,
                                            (size_t)len + 49);
        cr_assert_eq(st, docs[i].want, "document %zu: %s, want %s (%s)", i, kp_status_name(st),
                     kp_status_name(docs[i].want), kp_error_detail());
        free(ct);
        free(text);
    }
    kp_buf_release(&pubs);
    unprepare(&pr);
}


/* What kp_import_prepare writes, kp_import_request_parse (the cluster side) must read:
 * "exact writers and strict readers" (wire.h), "nothing is half-written" (docs/design.md). A name
 * the parser would refuse must be refused by prepare instead. */
Test(import, prepare_output_is_accepted_by_the_parser)
{
    cluster cl;
    uint8_t secret[32];
    make_cluster(&cl, 3);
    kpt_random_scalar(secret, KP_CURVE_SECP256K1);
    char n256[257], n257[258], q200[201];
    memset(n256, 'a', 256);
    n256[256] = 0;
    memset(n257, 'a', 257);
    n257[257] = 0;
    memset(q200, '"', 200); /* 200 bytes, 400 once escaped */
    q200[200] = 0;
    const char *names[] = {"", "plain", n256, n257, q200, "bad utf-8 \xff: \xff", "lone continuation \x80"};
    char *decoded[7]; /* the last two hold bytes that are not UTF-8 */
    for (size_t i = 0; i < 7; i++) decoded[i] = strdup(names[i]);
    for (size_t i = 0; i < 7; i++) {
        kp_buf body;
        kp_buf_init(&body, 0);
        kp_status st = kp_import_prepare(ctx, &body, cl.signers, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21, 2, decoded[i],
                                         secret);
        if (st == KP_OK) {
            kp_import_request *r;
            kp_status pst = kp_import_request_parse(&r, (const char *)body.data, body.len);
            cr_expect_eq(pst, KP_OK, "name %zu (%zu bytes) is written by kp_import_prepare, but the parser refuses it: %s (%s)",
                         i, strlen(decoded[i]), kp_status_name(pst), kp_error_detail());
            if (pst == KP_OK) {
                cr_expect_str_eq(kp_import_request_name(r), decoded[i]);
                kp_import_request_free(r);
            }
        } else {
            cr_expect(i >= 3, "name %zu refused: %s", i, kp_status_name(st));
            cr_expect_eq(body.len, 0);
        }
        kp_buf_release(&body);
    }
    for (size_t i = 0; i < 7; i++) free(decoded[i]);
    free_cluster(&cl);
}

/* kp_signers_write escapes the clusterId; kp_signers_parse must then find that cluster. */
Test(import, signers_write_output_is_accepted_by_the_parser)
{
    cluster cl;
    make_cluster(&cl, 2);
    const char *ids[] = {"cluster-1", "cl \"quoted\"", "back\\slash", "tab\there"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        kp_buf b;
        kp_buf_init(&b, 0);
        KPT_ST(kp_signers_write(&b, ids[i], cl.info, 2), KP_OK);
        cJSON *j = cJSON_ParseWithLength((const char *)b.data, b.len);
        cr_assert_not_null(j, "not JSON");
        cJSON_Delete(j);
        kp_signers *s = NULL;
        kp_status st = kp_signers_parse(ctx, &s, (const char *)b.data, b.len, ids[i]);
        cr_expect_eq(st, KP_OK, "clusterId \"%s\" is written by kp_signers_write, but kp_signers_parse gives %s (%s)",
                     ids[i], kp_status_name(st), kp_error_detail());
        kp_signers_free(s);
        kp_buf_release(&b);
    }
    free_cluster(&cl);
}

/* ------------------------------------------------------------ prepare: refusals */

Test(import, prepare_errors_leave_the_buffer_unchanged)
{
    cluster cl;
    uint8_t secret[32], zero[32] = {0}, n[32];
    make_cluster(&cl, 5);
    kpt_random_scalar(secret, KP_CURVE_SECP256K1);
    kp_buf out;
    kp_buf_init(&out, 0);
    KPT_ST(kp_buf_addstr(&out, "kept"), KP_OK);
    KPT_ST(kp_import_prepare(ctx, &out, cl.signers, KP_CURVE_SECP256K1, KP_PROTOCOL_FROST, 3, NULL, secret),
           KP_ERR_SCHEME);
    KPT_ST(kp_import_prepare(ctx, &out, cl.signers, KP_CURVE_ED25519, KP_PROTOCOL_FROST_BITCOIN, 3, NULL, secret),
           KP_ERR_SCHEME);
    KPT_ST(kp_import_prepare(ctx, &out, cl.signers, KP_CURVE_ED25519, KP_PROTOCOL_CGGMP21, 3, NULL, secret),
           KP_ERR_SCHEME);
    KPT_ST(kp_import_prepare(ctx, &out, cl.signers, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21, 1, NULL, secret),
           KP_ERR_THRESHOLD);
    KPT_ST(kp_import_prepare(ctx, &out, cl.signers, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21, 0, NULL, secret),
           KP_ERR_THRESHOLD);
    KPT_ST(kp_import_prepare(ctx, &out, cl.signers, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21, 6, NULL, secret),
           KP_ERR_THRESHOLD);
    KPT_ST(kp_import_prepare(ctx, &out, cl.signers, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21, 3, NULL, zero),
           KP_ERR_SCALAR);
    for (int ci = 0; ci < 3; ci++) {
        kpt_order(n, KPT_CURVES[ci]);
        KPT_ST(kp_import_prepare(ctx, &out, cl.signers, KPT_CURVES[ci], kpt_protocol_for(KPT_CURVES[ci]), 3, NULL, n),
               KP_ERR_SCALAR);
    }
    cr_assert_eq(out.len, 4);
    cr_assert_str_eq((char *)out.data, "kept");
    /* and a success appends */
    KPT_ST(kp_import_prepare(ctx, &out, cl.signers, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21, 3, NULL, secret), KP_OK);
    cr_assert(strncmp((char *)out.data, "kept{", 5) == 0);
    kp_buf_release(&out);
    free_cluster(&cl);
}

/* ------------------------------------------------------------ request parsing */

/* A valid request as a cJSON tree, to be spoiled by each test. */
static cJSON *request_tree(cluster *cl, unsigned n, unsigned t)
{
    uint8_t secret[32];
    make_cluster(cl, n);
    kpt_random_scalar(secret, KP_CURVE_SECP256K1);
    kp_buf body;
    kp_buf_init(&body, 0);
    KPT_ST(kp_import_prepare(ctx, &body, cl->signers, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21, t, "n", secret), KP_OK);
    cJSON *j = cJSON_ParseWithLength((const char *)body.data, body.len);
    cr_assert_not_null(j);
    kp_buf_release(&body);
    return j;
}

static kp_status parse_tree(const cJSON *j)
{
    char *text = cJSON_PrintUnformatted(j);
    kp_import_request *r = (kp_import_request *)text;
    kp_status st = kp_import_request_parse(&r, text, strlen(text));
    if (st == KP_OK) kp_import_request_free(r);
    else cr_assert_null(r);
    free(text);
    return st;
}

static kp_status parse_tree(const cJSON *j);

/* Parses j with its encryptedKeyShares replaced by copies of the entries order[0..count). */
static kp_status parse_reordered(const cJSON *j, const int *order, size_t count)
{
    cJSON *copy = cJSON_Duplicate(j, 1);
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "encryptedKeyShares");
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < count; i++) cJSON_AddItemToArray(arr, cJSON_Duplicate(cJSON_GetArrayItem(src, order[i]), 1));
    cJSON_ReplaceItemInObjectCaseSensitive(copy, "encryptedKeyShares", arr);
    kp_status st = parse_tree(copy);
    cJSON_Delete(copy);
    return st;
}

Test(import, request_parse_refusals)
{
    cluster cl;
    cJSON *j = request_tree(&cl, 5, 3);
    KPT_ST(parse_tree(j), KP_OK);
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "encryptedKeyShares");

    /* out of order: the first two entries swapped */
    static const int swapped[] = {1, 0, 2, 3, 4}, dup[] = {0, 1, 2, 2, 3, 4}, dup_apart[] = {0, 1, 2, 3, 4, 1};
    static const int same[] = {0, 1, 2, 3, 4}, last_first[] = {4, 0, 1, 2, 3};
    KPT_ST(parse_reordered(j, swapped, 5), KP_ERR_FORMAT);
    KPT_ST(parse_reordered(j, last_first, 5), KP_ERR_FORMAT);
    KPT_ST(parse_reordered(j, same, 5), KP_OK);
    /* a duplicate signerId, next to its twin (sorted) or apart (then also out of order) */
    KPT_ST(parse_reordered(j, dup, 6), KP_ERR_DUPLICATE);
    kp_status st = parse_reordered(j, dup_apart, 6);
    cr_assert(st == KP_ERR_FORMAT || st == KP_ERR_DUPLICATE, "%s", kp_status_name(st));
    /* fewer shares than minSigners */
    KPT_ST(parse_reordered(j, same, 2), KP_ERR_THRESHOLD);
    KPT_ST(parse_reordered(j, same, 3), KP_OK);
    KPT_ST(parse_reordered(j, same, 0), KP_ERR_THRESHOLD);

    /* minSigners below 2, above the shares, not a whole number */
    static const double bad_t[] = {0, 1, 6, 100};
    for (size_t i = 0; i < sizeof bad_t / sizeof *bad_t; i++) {
        cJSON_ReplaceItemInObjectCaseSensitive(j, "minSigners", cJSON_CreateNumber(bad_t[i]));
        KPT_ST(parse_tree(j), KP_ERR_THRESHOLD);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(j, "minSigners", cJSON_CreateNumber(2.5));
    KPT_ST(parse_tree(j), KP_ERR_FORMAT);
    cJSON_ReplaceItemInObjectCaseSensitive(j, "minSigners", cJSON_CreateNumber(-3));
    KPT_ST(parse_tree(j), KP_ERR_FORMAT);
    cJSON_ReplaceItemInObjectCaseSensitive(j, "minSigners", cJSON_CreateString("3"));
    KPT_ST(parse_tree(j), KP_ERR_FORMAT);
    cJSON_ReplaceItemInObjectCaseSensitive(j, "minSigners", cJSON_CreateNumber(5));
    KPT_ST(parse_tree(j), KP_OK);

    /* schemes */
    cJSON_ReplaceItemInObjectCaseSensitive(j, "protocol", cJSON_CreateString("FROST"));
    KPT_ST(parse_tree(j), KP_ERR_SCHEME);
    cr_assert_not_null(strstr(kp_error_detail(), kp_scheme_list()));
    cJSON_ReplaceItemInObjectCaseSensitive(j, "protocol", cJSON_CreateString("GG20"));
    KPT_ST(parse_tree(j), KP_ERR_SCHEME);
    cJSON_ReplaceItemInObjectCaseSensitive(j, "protocol", cJSON_CreateString("CGGMP24"));
    KPT_ST(parse_tree(j), KP_OK);
    cJSON_ReplaceItemInObjectCaseSensitive(j, "curve", cJSON_CreateString("p256"));
    KPT_ST(parse_tree(j), KP_ERR_CURVE);
    cJSON_ReplaceItemInObjectCaseSensitive(j, "curve", cJSON_CreateString("secp256k1secp256k1secp256k1"));
    KPT_ST(parse_tree(j), KP_ERR_CURVE);
    cJSON_ReplaceItemInObjectCaseSensitive(j, "curve", cJSON_CreateString("secp256k1"));

    /* a ciphertext that is not base64 */
    cJSON *e1 = cJSON_GetArrayItem(arr, 1);
    char *saved = strdup(kpt_jstr(e1, "encryptedKeyShare"));
    char *spoiled = strdup(saved);
    spoiled[5] = '*';
    cJSON_ReplaceItemInObjectCaseSensitive(e1, "encryptedKeyShare", cJSON_CreateString(spoiled));
    KPT_ST(parse_tree(j), KP_ERR_BASE64);
    cJSON_ReplaceItemInObjectCaseSensitive(e1, "encryptedKeyShare", cJSON_CreateString(saved));
    KPT_ST(parse_tree(j), KP_OK);
    free(saved);
    free(spoiled);

    /* a signerId that is not base64 */
    cJSON_ReplaceItemInObjectCaseSensitive(e1, "signerId", cJSON_CreateString("not base64!"));
    KPT_ST(parse_tree(j), KP_ERR_BASE64);

    cJSON_Delete(j);
    free_cluster(&cl);
}

Test(import, request_with_too_many_shares)
{
    /* 65 entries with increasing two-byte ids */
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "curve", "secp256k1");
    cJSON_AddStringToObject(r, "protocol", "CGGMP21");
    cJSON_AddNumberToObject(r, "minSigners", 3);
    cJSON *a = cJSON_AddArrayToObject(r, "encryptedKeyShares");
    uint8_t ctb[100];
    kpt_random(ctb, sizeof ctb);
    char *ct64 = kpt_b64(ctb, sizeof ctb);
    for (unsigned i = 0; i < KP_MAX_SIGNERS + 1; i++) {
        uint8_t id[2] = {(uint8_t)(i >> 8), (uint8_t)i};
        char *id64 = kpt_b64(id, 2);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "signerId", id64);
        cJSON_AddStringToObject(e, "encryptedKeyShare", ct64);
        cJSON_AddItemToArray(a, e);
        free(id64);
    }
    KPT_ST(parse_tree(r), KP_ERR_TOO_MANY);
    cJSON_DeleteItemFromArray(a, 0);
    KPT_ST(parse_tree(r), KP_OK); /* exactly KP_MAX_SIGNERS */
    free(ct64);
    cJSON_Delete(r);
}

/* ------------------------------------------------------------ the signers list */

static kp_status parse_signers(const char *text, const char *cluster_id)
{
    kp_signers *s = (kp_signers *)text;
    kp_status st = kp_signers_parse(ctx, &s, text, strlen(text), cluster_id);
    if (st == KP_OK) kp_signers_free(s);
    else cr_assert_null(s);
    return st;
}

static char *signers_text(const kp_signer_info *info, size_t n)
{
    kp_buf b;
    kp_buf_init(&b, 0);
    KPT_ST(kp_signers_write(&b, "c1", info, n), KP_OK);
    char *s = strdup((const char *)b.data);
    kp_buf_release(&b);
    return s;
}

Test(import, signers_list_refusals)
{
    cluster cl;
    make_cluster(&cl, 4);
    kp_signer_info info[5];
    memcpy(info, cl.info, sizeof cl.info[0] * 4);
    char *t = signers_text(info, 4);
    KPT_ST(parse_signers(t, NULL), KP_OK);
    KPT_ST(parse_signers(t, "c1"), KP_OK);
    KPT_ST(parse_signers(t, "c2"), KP_ERR_NOT_FOUND);
    free(t);

    /* a duplicate signerId, listed apart from its twin */
    info[4] = info[1];
    uint8_t dk[32];
    KPT_ST(kp_encryption_keypair(ctx, dk, info[4].encryption_key), KP_OK);
    t = signers_text(info, 5);
    KPT_ST(parse_signers(t, NULL), KP_ERR_DUPLICATE);
    cr_assert_not_null(strstr(kp_error_detail(), cl.id64[1]), "%s", kp_error_detail());
    free(t);

    /* a duplicate encryptionKey */
    info[4] = info[2];
    uint8_t other_id[3] = {9, 9, 9};
    info[4].signer_id = other_id;
    info[4].signer_id_len = 3;
    t = signers_text(info, 5);
    KPT_ST(parse_signers(t, NULL), KP_ERR_DUPLICATE);
    free(t);

    /* an encryptionKey whose first byte is not 1, or whose point is off the curve */
    uint8_t raw[34];
    raw[0] = 2;
    memcpy(raw + 1, info[0].encryption_key, 33);
    char *bad = kpt_b64(raw, 34);
    t = signers_text(info, 4);
    char ek0[49];
    KPT_ST(kp_encryption_key_encode(ek0, info[0].encryption_key), KP_OK);
    char *at = strstr(t, ek0);
    cr_assert_not_null(at);
    memcpy(at, bad, 48);
    KPT_ST(parse_signers(t, NULL), KP_ERR_ENCRYPTION_KEY);
    free(bad);
    raw[0] = 1;
    raw[1] = 2;
    memset(raw + 2, 0xff, 32); /* x above p */
    bad = kpt_b64(raw, 34);
    memcpy(at, bad, 48);
    KPT_ST(parse_signers(t, NULL), KP_ERR_ENCRYPTION_KEY);
    free(bad);
    free(t);

    /* two clusters: one must be chosen */
    const char *two = "{\"clusters\":[{\"clusterId\":\"a\",\"signers\":[]},{\"clusterId\":\"b\",\"signers\":[]}]}";
    KPT_ST(parse_signers(two, NULL), KP_ERR_NOT_FOUND);
    KPT_ST(parse_signers(two, "c"), KP_ERR_NOT_FOUND);
    KPT_ST(parse_signers("{\"clusters\":[]}", NULL), KP_ERR_NOT_FOUND);
    KPT_ST(parse_signers("{\"clusters\":[{\"clusterId\":\"a\",\"signers\":[]}]}", NULL), KP_ERR_FORMAT);
    KPT_ST(parse_signers("{\"clusters\":{}}", NULL), KP_ERR_FORMAT);
    KPT_ST(parse_signers("{\"nothing\":1}", NULL), KP_ERR_FORMAT);
    KPT_ST(parse_signers("[]", NULL), KP_ERR_FORMAT);
    /* a signerId that is not base64, or empty */
    KPT_ST(parse_signers("{\"clusters\":[{\"clusterId\":\"a\",\"signers\":[{\"signerId\":\"a b\",\"encryptionKey\":\"x\"}]}]}",
                         NULL),
           KP_ERR_BASE64);
    KPT_ST(parse_signers("{\"clusters\":[{\"clusterId\":\"a\",\"signers\":[{\"signerId\":\"\",\"encryptionKey\":\"x\"}]}]}",
                         NULL),
           KP_ERR_BASE64);
    free_cluster(&cl);
}

Test(import, signers_list_picks_the_named_cluster)
{
    cluster a, b;
    make_cluster(&a, 3);
    make_cluster(&b, 4);
    kp_buf ta, tb;
    kp_buf_init(&ta, 0);
    kp_buf_init(&tb, 0);
    KPT_ST(kp_signers_write(&ta, "alpha", a.info, 3), KP_OK);
    KPT_ST(kp_signers_write(&tb, "beta", b.info, 4), KP_OK);
    /* {"clusters":[A,B]}: splice the two single-cluster documents */
    char *doc = malloc(ta.len + tb.len + 10);
    size_t pa = ta.len - 2, hb = strlen("{\"clusters\":[");
    memcpy(doc, ta.data, pa);
    doc[pa] = ',';
    memcpy(doc + pa + 1, tb.data + hb, tb.len - hb);
    doc[pa + 1 + tb.len - hb] = 0;
    kp_signers *s;
    KPT_ST(kp_signers_parse(ctx, &s, doc, strlen(doc), "beta"), KP_OK);
    cr_assert_eq(kp_signers_count(s), 4);
    kp_signers_free(s);
    KPT_ST(kp_signers_parse(ctx, &s, doc, strlen(doc), "alpha"), KP_OK);
    cr_assert_eq(kp_signers_count(s), 3);
    kp_signers_free(s);
    KPT_ST(kp_signers_parse(ctx, &s, doc, strlen(doc), NULL), KP_ERR_NOT_FOUND);
    free(doc);
    kp_buf_release(&ta);
    kp_buf_release(&tb);
    free_cluster(&a);
    free_cluster(&b);
}

Test(import, signers_list_too_many)
{
    kp_signer_info *info = calloc(KP_MAX_SIGNERS + 1, sizeof *info);
    uint8_t ids[KP_MAX_SIGNERS + 1][2];
    for (unsigned i = 0; i < KP_MAX_SIGNERS + 1; i++) {
        uint8_t dk[32];
        ids[i][0] = (uint8_t)(i >> 8);
        ids[i][1] = (uint8_t)i;
        info[i].signer_id = ids[i];
        info[i].signer_id_len = 2;
        KPT_ST(kp_encryption_keypair(ctx, dk, info[i].encryption_key), KP_OK);
    }
    char *t = signers_text(info, KP_MAX_SIGNERS + 1);
    KPT_ST(parse_signers(t, NULL), KP_ERR_TOO_MANY);
    free(t);
    t = signers_text(info, KP_MAX_SIGNERS);
    KPT_ST(parse_signers(t, NULL), KP_OK);
    free(t);
    free(info);
}

/* signerIds are 1 to 256 bytes (import.c MAX_SIGNER_ID_BYTES and its message). */
Test(import, signer_id_over_256_bytes_is_refused)
{
    for (size_t len = 256; len <= 259; len++) {
        uint8_t *id = malloc(len), dk[32];
        kpt_random(id, len);
        kp_signer_info info[2];
        uint8_t id2[1] = {0};
        info[0].signer_id = id;
        info[0].signer_id_len = len;
        info[1].signer_id = id2;
        info[1].signer_id_len = 1;
        KPT_ST(kp_encryption_keypair(ctx, dk, info[0].encryption_key), KP_OK);
        KPT_ST(kp_encryption_keypair(ctx, dk, info[1].encryption_key), KP_OK);
        char *t = signers_text(info, 2);
        kp_status st = parse_signers(t, NULL);
        free(t);
        free(id);
        cr_assert_eq(st, len <= 256 ? KP_OK : KP_ERR_BASE64, "a signerId of %zu bytes: %s", len, kp_status_name(st));
    }
}

/* ------------------------------------------------------------ Dfns' own import requests */

/* tests/vectors/dfns-trusted-dealer.generated.json: 20 import requests made by Dfns'
 * build_key_import_request. Every signer opens its share with its secret through
 * kp_import_open_share (checking it against public_shares), gets publicKey, and the shares
 * interpolate to privateKey. Then keyport prepares its own request for the same signers and key,
 * which the signers open the same way. */
static void open_all(cJSON *e, const char *req_text, size_t req_len, const char *id)
{
    kp_signers *sg = NULL;
    kp_import_request *req = NULL;
    char *signers = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "signers"));
    cJSON *secrets = cJSON_GetObjectItemCaseSensitive(e, "signerSecrets");
    kp_curve c;
    KPT_ST(kp_curve_from_name(&c, kpt_jstr(e, "curve")), KP_OK);
    unsigned t = (unsigned)cJSON_GetObjectItemCaseSensitive(e, "minSigners")->valueint;
    uint8_t want[32], pubwant[33], got[32];
    size_t publen_want = strlen(kpt_jstr(e, "publicKey")) / 2;
    kpt_unhex(want, 32, kpt_jstr(e, "privateKey"));
    kpt_unhex(pubwant, publen_want, kpt_jstr(e, "publicKey"));
    KPT_ST(kp_signers_parse(ctx, &sg, signers, strlen(signers), NULL), KP_OK);
    KPT_ST(kp_import_request_parse(&req, req_text, req_len), KP_OK);
    size_t n = kp_import_request_count(req);
    cr_assert_eq(n, kp_signers_count(sg), "%s", id);
    uint8_t shares[KP_MAX_SIGNERS][32];
    uint32_t idx[KP_MAX_SIGNERS];
    for (size_t i = 0; i < n; i++) {
        const uint8_t *ct;
        size_t ctlen, publen = 0;
        uint8_t dk[32], pub[33];
        const char *sid = kp_import_request_share(req, i, &ct, &ctlen);
        cr_assert_str_eq(sid, kp_signers_get(sg, i, NULL), "%s: share %zu is not for the %zu-th sorted signer", id, i, i);
        kpt_unhex(dk, 32, kpt_jstr(secrets, sid));
        kp_status st = kp_import_open_share(ctx, shares[i], pub, &publen, dk, c, (unsigned)i + 1, (unsigned)n, t, ct, ctlen);
        cr_assert_eq(st, KP_OK, "%s: signer %s: %s: %s", id, sid, kp_status_name(st), kp_error_detail());
        cr_assert_eq(publen, publen_want);
        cr_assert_arr_eq(pub, pubwant, publen, "%s: group key", id);
        idx[i] = (uint32_t)i + 1;
    }
    KPT_ST(kpt_combine_u32(got, c, idx, (const uint8_t(*)[32])shares, t), KP_OK);
    cr_assert_arr_eq(got, want, 32, "%s: the first t shares", id);
    KPT_ST(kpt_combine_u32(got, c, idx + (n - t), (const uint8_t(*)[32])(shares + (n - t)), t), KP_OK);
    cr_assert_arr_eq(got, want, 32, "%s: the last t shares", id);
    kp_memzero(shares, sizeof shares);
    kp_import_request_free(req);
    kp_signers_free(sg);
    free(signers);
}

Test(import, dfns_generated_requests_all_20)
{
    cJSON *doc = kpt_load_json("dfns-trusted-dealer.generated.json");
    cJSON *e;
    int count = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(doc, "import")) {
        const char *id = kpt_jstr(e, "id");
        char *req = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "request"));
        open_all(e, req, strlen(req), id);
        free(req);
        /* keyport's own request for the same signers and key */
        kp_signers *sg = NULL;
        char *signers = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(e, "signers"));
        KPT_ST(kp_signers_parse(ctx, &sg, signers, strlen(signers), NULL), KP_OK);
        kp_curve c;
        kp_protocol p;
        uint8_t key[32];
        KPT_ST(kp_curve_from_name(&c, kpt_jstr(e, "curve")), KP_OK);
        KPT_ST(kp_protocol_from_name(&p, kpt_jstr(e, "protocol")), KP_OK);
        kpt_unhex(key, 32, kpt_jstr(e, "privateKey"));
        kp_buf out;
        kp_buf_init(&out, 0);
        KPT_ST(kp_import_prepare(ctx, &out, sg, c, p, (unsigned)cJSON_GetObjectItemCaseSensitive(e, "minSigners")->valueint,
                                 NULL, key),
               KP_OK);
        open_all(e, (const char *)out.data, out.len, id);
        kp_buf_release(&out);
        kp_signers_free(sg);
        free(signers);
        count++;
    }
    cr_assert_eq(count, 20);
    cJSON_Delete(doc);
}

/* ------------------------------------------------------------ the digest of public_shares */

/* keyport.h kp_import_open_share_digest, written out from its documentation */
static void documented_digest(uint8_t out[32], kp_curve c, unsigned t, unsigned n, const uint8_t (*shares)[32])
{
    uint8_t m[4096];
    size_t len = 0;
    static const char tag[] = "keyport public_shares v1";
    memcpy(m, tag, sizeof tag);
    len += sizeof tag;
    memcpy(m + len, kp_curve_name(c), strlen(kp_curve_name(c)) + 1);
    len += strlen(kp_curve_name(c)) + 1;
    uint8_t be[8] = {0, 0, 0, (uint8_t)t, 0, 0, 0, (uint8_t)n};
    memcpy(m + len, be, 8);
    len += 8;
    for (unsigned i = 0; i < n; i++) {
        size_t publen;
        KPT_ST(kp_public_key(ctx, m + len, &publen, c, shares[i]), KP_OK);
        len += publen;
    }
    kp_sha256(out, m, len);
}

static kp_status open_digest(prepared *pr, unsigned pos, const uint8_t *ct, size_t ctlen, uint8_t digest[32])
{
    uint8_t share[32], pub[33];
    size_t publen;
    return kp_import_open_share_digest(ctx, share, pub, &publen, digest, pr->cl.dk[pr->cl.sorted[pos]], pr->c, pos + 1,
                                       pr->n, pr->t, ct, ctlen);
}

Test(import, every_signer_reports_the_same_public_shares_digest)
{
    for (int ci = 0; ci < 3; ci++) {
        prepared pr;
        prepare(&pr, KPT_CURVES[ci], 5, 3);
        uint8_t want[32], got[32];
        documented_digest(want, pr.c, 3, 5, (const uint8_t(*)[32])pr.shares);
        for (unsigned pos = 0; pos < 5; pos++) {
            const uint8_t *ct;
            size_t ctlen;
            kp_import_request_share(pr.req, pos, &ct, &ctlen);
            KPT_ST(open_digest(&pr, pos, ct, ctlen, got), KP_OK);
            cr_assert_arr_eq(got, want, 32, "%s: signer %u", kpt_curve_str(pr.c), pos + 1);
        }
        /* a failed open leaves the digest zeroed */
        const uint8_t *ct;
        size_t ctlen;
        kp_import_request_share(pr.req, 1, &ct, &ctlen);
        memset(got, 0xaa, 32);
        cr_assert_neq(open_digest(&pr, 0, ct, ctlen, got), KP_OK);
        cr_assert(kpt_is_zero(got, 32));
        unprepare(&pr);
    }
}

Test(import, one_polynomial_per_signer_shows_in_the_digest)
{
    /* each signer's plaintext is consistent in itself (its share, its polynomial, the same value
     * at 0): every open succeeds with the same group key, only the digests tell them apart */
    for (int ci = 0; ci < 3; ci++) {
        prepared pr;
        prepare(&pr, KPT_CURVES[ci], 5, 3);
        uint8_t digests[5][32], group[5][33];
        for (unsigned pos = 0; pos < 5; pos++) {
            uint8_t poly[5][32];
            KPT_ST(kp_share_split(ctx, poly, pr.c, 3, 5, pr.secret), KP_OK);
            kp_buf pubs, pt;
            kp_buf_init(&pubs, 0);
            kp_buf_init(&pt, 1);
            KPT_ST(kp_buf_addstr(&pubs, "["), KP_OK);
            for (unsigned j = 0; j < 5; j++) {
                if (j) KPT_ST(kp_buf_addstr(&pubs, ","), KP_OK);
                point_json(&pubs, pr.c, poly[j]);
            }
            KPT_ST(kp_buf_addstr(&pubs, "]"), KP_OK);
            KPT_ST(kp_wire_import_plaintext_write(&pt, pr.c, poly[pos], &pubs), KP_OK);
            uint8_t *ct = malloc(pt.len + 49), ek[33], share[32];
            size_t publen;
            kp_signers_get(pr.cl.signers, pos, ek);
            KPT_ST(kp_envelope_seal(ctx, ct, ek, pt.data, pt.len), KP_OK);
            KPT_ST(kp_import_open_share_digest(ctx, share, group[pos], &publen, digests[pos], pr.cl.dk[pr.cl.sorted[pos]],
                                               pr.c, pos + 1, 5, 3, ct, pt.len + 49),
                   KP_OK);
            uint8_t want[32];
            documented_digest(want, pr.c, 3, 5, (const uint8_t(*)[32])poly);
            cr_assert_arr_eq(digests[pos], want, 32);
            free(ct);
            kp_buf_release(&pubs);
            kp_buf_release(&pt);
            if (pos > 0) {
                cr_assert_arr_eq(group[pos], group[0], publen, "the same value at 0: the same group key");
                cr_assert(memcmp(digests[pos], digests[0], 32) != 0, "%s: signer %u", kpt_curve_str(pr.c), pos + 1);
            }
        }
        unprepare(&pr);
    }
}
