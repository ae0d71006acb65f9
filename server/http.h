/*
 * http.h: keyportd's HTTP front (libmicrohttpd), shared by the API and by a remote signer.
 *
 * One thread per connection. The handler runs once per request, when the whole body has
 * arrived (at most KS_MAX_BODY bytes; a larger body is read to its end, up to a hard limit,
 * and answered 413 without calling the handler). The handler fills the request's answer
 * (status, body, content type) and may ask to be told when the answer has been sent
 * completely (ks_req.on_done): that is how an export is archived only after it was answered.
 */
#ifndef KS_HTTP_H
#define KS_HTTP_H

#include <stddef.h>

#include "ks.h"

#define KS_MAX_BODY ((size_t)KP_MAX_INPUT_BYTES)

typedef struct ks_req ks_req;

struct ks_req {
    struct MHD_Connection *conn;
    const char *method; /* "GET", "POST", … */
    const char *path;   /* the URL path, without the query */
    kp_buf body;        /* the request body, NUL-terminated */
    size_t received;    /* bytes that arrived, also past the limit */
    int too_large;

    int status;         /* the answer */
    kp_buf out;
    const char *content_type;
    /* When set, sent as X-Keyport-Signer-Auth: a signer's answer authenticates itself (link.c). */
    char answer_auth[160];

    /* Called once the connection is finished: sent = 1 when the whole answer was sent. */
    void (*on_done)(void *arg, int sent);
    void *on_done_arg;
};

/** Handles one complete request: fills r->status, r->out and maybe r->content_type. */
typedef void (*ks_handler)(void *app, ks_req *r);

typedef struct ks_http ks_http;

/** Starts serving on listen ("HOST:PORT", "[V6]:PORT"; port 0 picks a free port).
 *  Out: *out, and the URL it listens on in url (e.g. "http://127.0.0.1:8600"). */
int ks_http_start(ks_err *e, ks_http **out, char *url, size_t url_cap, const char *listen, ks_handler h, void *app);
/** Stops: no new connections, waits for running ones. NULL is a no-op. */
void ks_http_stop(ks_http *h);

/** A request header (case-insensitive name), or NULL. */
const char *ks_req_header(ks_req *r, const char *name);
/** A query argument, or NULL. */
const char *ks_req_query(ks_req *r, const char *name);

/** Answers with a JSON body (copied). */
void ks_reply(ks_req *r, int status, const char *json, size_t len);
/** Answers {"error":{"status":…,"message":…}}. */
void ks_reply_error(ks_req *r, int status, const char *message);
/** Answers with e's status and message. */
void ks_reply_err(ks_req *r, const ks_err *e);

#endif
