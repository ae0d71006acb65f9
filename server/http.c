/* http.c: see http.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"

/* A body past the limit is read and dropped up to here (so that the client gets its 413 rather
 * than a reset connection); past this the connection is answered at once and closed. */
#define KS_HARD_LIMIT ((size_t)8 << 20)

/* One open connection, for its deadline (NOTIFY_CONNECTION makes and frees it). The reaper cuts a
 * connection past its deadline with shutdown(): its descriptor stays open until libmicrohttpd closes
 * it, after the CLOSED notice has taken the entry off the list under the same lock. */
typedef struct tracked {
    struct tracked *next, **prev;
    int fd;
    time_t deadline; /* 0: none (a request being handled or answered) */
    int cut;
    char peer[64];
} tracked;

struct ks_http {
    struct MHD_Daemon *daemon;
    ks_handler handler;
    void *app;
    int fd, family;
    unsigned total, per_address;

    pthread_mutex_t lock; /* the list, stopping */
    pthread_cond_t wake;
    tracked *conns;
    int stopping, reaper_running;
    pthread_t reaper;
    unsigned long cut_count;
};

static time_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static void set_deadline(ks_http *h, struct MHD_Connection *conn, int seconds)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    tracked *t = ci != NULL ? ci->socket_context : NULL;
    if (t == NULL) return;
    pthread_mutex_lock(&h->lock);
    t->deadline = seconds > 0 ? mono_now() + seconds : 0;
    pthread_mutex_unlock(&h->lock);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    ks_http *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        tracked *t = calloc(1, sizeof *t);
        if (t == NULL) return;
        const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        t->fd = fi != NULL ? fi->connect_fd : -1;
        snprintf(t->peer, sizeof t->peer, "?");
        if (ai != NULL && ai->client_addr != NULL) {
            const struct sockaddr *sa = ai->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, t->peer, sizeof t->peer);
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, t->peer, sizeof t->peer);
        }
        pthread_mutex_lock(&h->lock);
        t->deadline = mono_now() + KS_HEADER_SECONDS;
        t->next = h->conns;
        t->prev = &h->conns;
        if (h->conns != NULL) h->conns->prev = &t->next;
        h->conns = t;
        pthread_mutex_unlock(&h->lock);
        *socket_context = t;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        tracked *t = *socket_context;
        if (t == NULL) return;
        pthread_mutex_lock(&h->lock);
        *t->prev = t->next;
        if (t->next != NULL) t->next->prev = t->prev;
        pthread_mutex_unlock(&h->lock);
        free(t);
        *socket_context = NULL;
    }
}

/* Cuts every connection whose request did not arrive by its deadline (a slow or half-sent request:
 * the idle timeout alone lets a client keep a connection forever with one byte every few seconds). */
static void *reaper_main(void *arg)
{
    ks_http *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&h->wake, &h->lock, &ts);
        time_t now = mono_now();
        unsigned cut = 0;
        char peer[64] = "";
        for (tracked *t = h->conns; t != NULL; t = t->next)
            if (!t->cut && t->deadline != 0 && now > t->deadline && t->fd >= 0) {
                shutdown(t->fd, SHUT_RDWR);
                t->cut = 1;
                cut++;
                snprintf(peer, sizeof peer, "%s", t->peer);
            }
        if (cut > 0) {
            /* logged at most once a second, with a count: a flood does not flood the log */
            h->cut_count += cut;
            ks_log("http: closed %u connections (the last from %s) whose request did not arrive in time (headers %d s, "
                   "body %d s); %lu in all",
                   cut, peer, KS_HEADER_SECONDS, KS_BODY_SECONDS, h->cut_count);
        }
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

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
    if (r->missing.len > 0 && kp_buf_add(&r->missing, "", 0) == KP_OK)
        MHD_add_response_header(resp, "X-Keyport-Missing-Signers", (const char *)r->missing.data);
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
    (void)version;
    ks_req *r = *con_cls;
    if (r == NULL) {
        if ((r = calloc(1, sizeof *r)) == NULL) return MHD_NO;
        r->conn = conn;
        r->method = method;
        r->path = url;
        kp_buf_init(&r->body, 0);
        kp_buf_init(&r->out, 0);
        kp_buf_init(&r->missing, 0);
        *con_cls = r;
        set_deadline(h, conn, KS_BODY_SECONDS); /* the headers are in; the body has its own deadline */
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
    set_deadline(h, conn, 0); /* handling and answering are not the client's time */
    h->handler(h->app, r);
    return send_answer(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    ks_http *h = cls;
    ks_req *r = *con_cls;
    set_deadline(h, conn, KS_HEADER_SECONDS); /* a kept-alive connection: the next request's headers */
    if (r == NULL) return;
    *con_cls = NULL;
    if (r->on_done != NULL) r->on_done(r->on_done_arg, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    kp_buf_release(&r->body);
    kp_buf_release(&r->out);
    kp_buf_release(&r->missing);
    free(r);
}

static int listen_socket(int fd)
{
    return listen(fd, SOMAXCONN);
}

__attribute__((format(printf, 2, 0))) static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    ks_log("http: %s", line);
}

int ks_http_bind(ks_err *e, ks_http **out, char *url, size_t url_cap, const char *listen)
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
    if (strlen(colon + 1) > 5 || atoi(colon + 1) > 65535)
        return ks_fail(e, 500, "--listen %s: the port must be at most 65535", listen);

    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE | AI_NUMERICHOST;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0 || ai == NULL)
        return ks_fail(e, 500, "--listen %s: %s (give a numeric address)", listen, gai_strerror(rc));
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
    if (fd < 0) {
        freeaddrinfo(ai);
        return ks_fail(e, 500, "--listen %s: cannot make a socket: %s", listen, strerror(errno));
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen_socket(fd) != 0) {
        int err = errno;
        close(fd);
        freeaddrinfo(ai);
        return ks_fail(e, 500, "--listen %s: cannot listen there: %s", listen, strerror(err));
    }
    int family = ai->ai_family;
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    ks_http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        close(fd);
        return ks_fail(e, 500, "out of memory");
    }
    h->fd = fd;
    h->family = family;
    h->total = KS_CONNECTIONS;
    h->per_address = KS_CONNECTIONS_PER_ADDRESS;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->wake, NULL);
    snprintf(url, url_cap, family == AF_INET6 ? "http://[%s]:%u" : "http://%s:%u", host, port);
    *out = h;
    return 0;
}

void ks_http_limits(ks_http *h, unsigned total, unsigned per_address)
{
    h->total = total;
    h->per_address = per_address;
}

int ks_http_serve(ks_err *e, ks_http *h, ks_handler handler, void *app)
{
    h->handler = handler;
    h->app = app;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (h->family == AF_INET6) flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_access, h,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_log, h,
                                 MHD_OPTION_LISTEN_SOCKET, h->fd,
                                 MHD_OPTION_THREAD_POOL_SIZE, (unsigned)KS_HTTP_THREADS,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                                 MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
                                 MHD_OPTION_CONNECTION_LIMIT, h->total,
                                 MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->per_address,
                                 /* room for large headers: X-Keyport-Approvals carries a whole bundle */
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)512 * 1024,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)KS_IDLE_SECONDS,
                                 MHD_OPTION_END);
    if (h->daemon == NULL) return ks_fail(e, 500, "cannot start the HTTP server (libmicrohttpd refused its options)");
    h->fd = -1; /* the daemon's now */
    if (pthread_create(&h->reaper, NULL, reaper_main, h) != 0) return ks_fail(e, 500, "cannot start the reaper thread");
    h->reaper_running = 1;
    return 0;
}

void ks_http_stop(ks_http *h)
{
    if (h == NULL) return;
    if (h->reaper_running) {
        pthread_mutex_lock(&h->lock);
        h->stopping = 1;
        pthread_cond_signal(&h->wake);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->reaper, NULL);
    }
    if (h->daemon != NULL) MHD_stop_daemon(h->daemon);
    if (h->fd >= 0) close(h->fd);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->wake);
    free(h);
}
