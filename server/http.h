/*
 * http.h: keyportd's HTTP front (libmicrohttpd), shared by the API and by a remote signer.
 *
 * A fixed pool of threads polls every connection (epoll), so that idle or half-sent connections
 * cost a file descriptor and a little memory, never a thread. Connections are limited in all and
 * per client address, and a request has deadlines: its headers must arrive within
 * KS_HEADER_SECONDS of the connection (or of the previous answer), its body within
 * KS_BODY_SECONDS of the headers, and a connection idle for KS_IDLE_SECONDS is closed. The
 * handler runs once per request, when the whole body has arrived (at most KS_MAX_BODY bytes; a larger body is read to its end, up to a hard limit,
 * and answered 413 without calling the handler). The handler fills the request's answer
 * (status, body, content type) and may ask to be told when the answer has been sent
 * completely (ks_req.on_done): that is how an export is archived only after it was answered.
 */
#ifndef KS_HTTP_H
#define KS_HTTP_H

#include <stddef.h>

#include "ks.h"

#define KS_MAX_BODY ((size_t)KP_MAX_INPUT_BYTES)
#define KS_HEADER_SECONDS 10
#define KS_BODY_SECONDS 30
#define KS_IDLE_SECONDS 10
#define KS_HTTP_THREADS 16
#define KS_CONNECTIONS 1000          /* in all (--connections) */
#define KS_CONNECTIONS_PER_ADDRESS 64 /* from one client address (--connections-per-address; 0: no limit) */

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
    /* When set, sent as X-Keyport-Missing-Signers: the signers an export answer lacks. */
    kp_buf missing;

    /* Called once the connection is finished: sent = 1 when the whole answer was sent. */
    void (*on_done)(void *arg, int sent);
    void *on_done_arg;
};

/** Handles one complete request: fills r->status, r->out and maybe r->content_type. */
typedef void (*ks_handler)(void *app, ks_req *r);

typedef struct ks_http ks_http;

/** Binds listen ("HOST:PORT", "[V6]:PORT"; port 0 picks a free port) and listens, serving
 *  nothing yet: a start-up takes the port before it makes anything, and refuses early.
 *  Out: *out, and the URL it listens on in url (e.g. "http://127.0.0.1:8600"). */
int ks_http_bind(ks_err *e, ks_http **out, char *url, size_t url_cap, const char *listen);
/** Sets the connection limits (before ks_http_serve): in all, and per client address (0: none). */
void ks_http_limits(ks_http *h, unsigned total, unsigned per_address);
/** Starts serving on the bound socket with handler h. */
int ks_http_serve(ks_err *e, ks_http *http, ks_handler h, void *app);
/** Stops: no new connections, waits for running ones; closes the socket. NULL is a no-op. */
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
