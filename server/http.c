/* http.c: see http.h. */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "http.h"

/* A body past the limit is read and dropped up to here (so that the client gets its 413 rather
 * than a reset connection); past this the connection is answered at once and closed. */
#define KS_HARD_LIMIT ((size_t)8 << 20)

struct ks_http {
    struct MHD_Daemon *daemon;
    ks_handler handler;
    void *app;
};

const char *ks_req_header(ks_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *ks_req_query(ks_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void ks_reply(ks_req *r, int status, const char *json, size_t len)
{
    kp_buf_reset(&r->out);
    r->status = status;
    r->content_type = "application/json";
    if (kp_buf_add(&r->out, json, len) != KP_OK) {
        r->status = 500;
        kp_buf_reset(&r->out);
    }
}

void ks_reply_error(ks_req *r, int status, const char *message)
{
    char clean[KS_ERR_MAX];
    snprintf(clean, sizeof clean, "%s", message);
    ks_utf8_clean(clean);
    message = clean;
    kp_buf_reset(&r->out);
    r->status = status;
    r->content_type = "application/json";
    if (ks_buf_addf(&r->out, "{\"error\":{\"status\":%d,\"message\":", status) != KP_OK ||
        kp_buf_addjstr(&r->out, message, strlen(message)) != KP_OK || kp_buf_addstr(&r->out, "}}") != KP_OK)
        kp_buf_reset(&r->out);
}

void ks_reply_err(ks_req *r, const ks_err *e)
{
    ks_reply_error(r, e->status >= 400 ? e->status : 500, e->msg);
}

/* Once per process: secrets held in memory that could not be locked may reach swap. */
static void warn_unlocked_once(void)
{
    static atomic_int warned;
    if (kp_secure_unlocked_count() > 0 && atomic_exchange(&warned, 1) == 0)
        ks_log("warning: secret buffers could not be locked in memory (the lock limit, ulimit -l, was reached), "
               "so they may be written to swap; raise the limit for this user");
}

static enum MHD_Result send_answer(ks_req *r)
{
    warn_unlocked_once();
    if (r->status == 0) ks_reply_error(r, 500, "the server gave no answer (internal error)");
    struct MHD_Response *resp = MHD_create_response_from_buffer(r->out.len, r->out.data, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type : "application/json");
    if (r->answer_auth[0]) MHD_add_response_header(resp, "X-Keyport-Signer-Auth", r->answer_auth);
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    kp_buf_release(&r->out);
    return ret;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    ks_http *h = cls;
    ks_req *r = *con_cls;
    if (r == NULL) {
        if ((r = calloc(1, sizeof *r)) == NULL) return MHD_NO;
        r->conn = conn;
        r->method = method;
        r->path = url;
        kp_buf_init(&r->body, 0);
        kp_buf_init(&r->out, 0);
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        r->received += n;
        if (!r->too_large && r->body.len + n <= KS_MAX_BODY) {
            if (kp_buf_add(&r->body, upload_data, n) != KP_OK) r->too_large = 1;
        } else if (!r->too_large) {
            r->too_large = 1;
            kp_buf_release(&r->body);
        }
        if (r->received > KS_HARD_LIMIT && r->status == 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "the request body is over %zu bytes (the limit is 1 MiB)", KS_HARD_LIMIT);
            ks_reply_error(r, 413, msg);
            return send_answer(r);
        }
        return MHD_YES;
    }
    if (r->status != 0) return MHD_YES; /* answered already (the hard limit) */
    if (r->body.data == NULL && kp_buf_add(&r->body, "", 0) != KP_OK) return MHD_NO;
    h->handler(h->app, r);
    return send_answer(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    ks_req *r = *con_cls;
    if (r == NULL) return;
    *con_cls = NULL;
    if (r->on_done != NULL) r->on_done(r->on_done_arg, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    kp_buf_release(&r->body);
    kp_buf_release(&r->out);
    free(r);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    ks_log("http: %s", line);
}

int ks_http_start(ks_err *e, ks_http **out, char *url, size_t url_cap, const char *listen, ks_handler handler,
                  void *app)
{
    *out = NULL;
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon == listen || colon[1] == 0)
        return ks_fail(e, 500, "--listen %s: expected HOST:PORT, e.g. 127.0.0.1:8600", listen);
    const char *hs = listen, *he = colon;
    if (*hs == '[' && he[-1] == ']') hs++, he--;
    if ((size_t)(he - hs) >= sizeof host) return ks_fail(e, 500, "--listen %s: the host is too long", listen);
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = 0;
    for (const char *p = colon + 1; *p; p++)
        if (*p < '0' || *p > '9') return ks_fail(e, 500, "--listen %s: the port must be a number", listen);

    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0 || ai == NULL) return ks_fail(e, 500, "--listen %s: %s", listen, gai_strerror(rc));

    ks_http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        freeaddrinfo(ai);
        return ks_fail(e, 500, "out of memory");
    }
    h->handler = handler;
    h->app = app;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_access, h,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_log, h,
                                 MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
                                 /* room for large headers: X-Keyport-Approvals carries a whole bundle */
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)512 * 1024,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                                 MHD_OPTION_END);
    int family = ai->ai_family;
    freeaddrinfo(ai);
    if (h->daemon == NULL) {
        free(h);
        return ks_fail(e, 500, "cannot listen on %s (is the address in use, or not one of this host?)", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info != NULL ? info->port : (unsigned)atoi(colon + 1);
    snprintf(url, url_cap, family == AF_INET6 ? "http://[%s]:%u" : "http://%s:%u", host, port);
    *out = h;
    return 0;
}

void ks_http_stop(ks_http *h)
{
    if (h == NULL) return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
