/*
 * floor: the machine's floor for Herald's benchmarks.
 *
 * A minimal HTTP/1.1 server on libevent doing only what the benchmarks exercise: a reverse proxy to
 * one upstream, and Server-Sent Events fan-out of one channel. Measured in the same run as Herald
 * and its peers, it shows what a server doing the least work reaches on this machine.
 *
 * Build:  cc -O2 -Wall -Wextra -o floor benchmarks/floor/floor.c -levent_core
 *         (-DFLUSH_SLICE=n: subscribers the flush writes per loop iteration, 32 by default)
 * Run:    floor LISTEN_PORT PUBLISH_PORT UPSTREAM_PORT         (all on 127.0.0.1)
 *         e.g. taskset -c 0 ./floor 18440 18441 18430; SIGINT or SIGTERM stops it cleanly.
 *
 * LISTEN_PORT   GET /events/<any> subscribes to the one channel (the name is ignored): a
 *               text/event-stream that ends with the connection. Any other request is proxied,
 *               unchanged, to 127.0.0.1:UPSTREAM_PORT over a keep-alive connection dedicated to
 *               that client, one request at a time.
 * PUBLISH_PORT  POST /publish/<any> with a Content-Length body of one line (at most 64 KiB) sends
 *               "id: <n>\ndata: <body>\n\n" to every subscriber; GET /healthz answers "ok".
 *
 * Deliberately not done: no header rewriting (no Via, no X-Forwarded-*, hop-by-hop fields pass),
 * one channel, no replay (Last-Event-ID is ignored), no auth, no timeouts, no limits beyond the
 * bounds below, no chunked request bodies (501), no retry on a stale upstream connection, and a
 * chunked response is relayed as one that ends when the upstream closes.
 *
 * Design: one thread, one event loop. Every read is one recv into one static buffer, and what was
 * read goes on at once with one send, copied only when that send is partial (its source is then
 * not read until the copy drains). Publishes append to one log; a flush event below I/O priority
 * writes the log to the subscribers in slices, so the publishes read in one loop iteration leave
 * together and each subscriber costs one send per pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"  /* callbacks have libevent's signature */

#define RX_SIZE      (64 * 1024)  /* the one receive buffer: a bulk body moves in few calls */
#define HEAD_MAX     (16 * 1024)  /* request and response heads; real ones are far smaller */
#define IN_MAX       HEAD_MAX     /* client bytes held while a response is awaited (next head) */
#define BODY_MAX     (64 * 1024)  /* one published event; more is refused with 413 */
#define LOG_MAX      (64u << 20)  /* the event log's buffer; a publish that does not fit gets 503 */
#define LOG_MIN      (64 * 1024)  /* the log's first allocation */
#define LOG_KEEP     (1u << 20)   /* an emptied log bigger than this gives its memory back */
#define LAG_MAX      (8u << 20)   /* a subscriber further behind than this is closed */
#define BUF_MIN      512          /* first allocation of a connection's buffer */
#ifndef FLUSH_SLICE
#define FLUSH_SLICE  32           /* subscribers written per loop iteration: publishes are read
                                     between slices, so smaller ones coalesce more of a burst per
                                     pass (256 halved the 1k burst's rate; 8-64 measured alike) */
#endif
#define ACCEPT_BATCH 64           /* accepts per wake-up, so a storm cannot hold the loop */
#define STREAK_MAX   64           /* read callbacks in a row before a starved flush runs anyway */
#define LENGTH_LIMIT 100000000000000000ull  /* Content-Length digits stop here: no overflow */

#define ANSWER(status)  "HTTP/1.1 " status "\r\nContent-Length: 0\r\n\r\n"
#define CLOSING(status) "HTTP/1.1 " status "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
static const char SSE_HEAD[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
    "Cache-Control: no-cache\r\nConnection: keep-alive\r\nX-Accel-Buffering: no\r\n\r\n";
static const char HEALTHY[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";

enum { CLIENT, SUBSCRIBER, PUBLISHER };  /* roles: a CLIENT becomes a SUBSCRIBER for good */
enum { RD = 1, WR = 2, URD = 4, UWR = 8 };  /* which of a connection's events are added */
enum { R_HEAD, R_LENGTH, R_CLOSE };         /* how the response being relayed ends */

struct buf { char *p; size_t pos, len, cap; };  /* holds p[pos..len) */

struct conn {
    struct conn *prev, *next;     /* every connection, to free them all at exit */
    int fd, ufd;                  /* ufd: a client's own upstream connection, or -1 */
    unsigned on;                  /* RD|WR|URD|UWR: the events added */
    unsigned char role, resp;     /* resp: R_*, the framing of the response being relayed */
    bool busy;                    /* a request went upstream and its response is not over */
    bool replied;                 /* some of that response reached the client */
    bool head_req;                /* that request was HEAD: its response has no body */
    bool connecting, closing;
    bool close_after, up_close_after;  /* close the client / the upstream when the response ends */
    struct event *rd, *wr, *urd, *uwr;  /* wr made on first need; urd/uwr live with ufd */
    size_t idx, off;              /* subscriber: place in g_subs, absolute offset in the log */
    size_t scanned;               /* bytes of `in` known to hold no whole head */
    uint64_t req_left, resp_left; /* body bytes still to relay upstream / downstream */
    struct buf in;                /* bytes read and not used yet: a partial or a next request */
    struct buf out, uout;         /* what a partial send left for the client / the upstream */
    struct buf rhead;             /* a response head split across reads */
};

struct head { const char *method, *target; size_t mlen, tlen; uint64_t length;
              bool has_length, te, close, http10; };

static struct event_base *g_base;
static struct event *g_flush;
static struct sockaddr_in g_upstream;
static struct conn *g_all;
static int g_spare_fd = -1;       /* given up at the fd limit, to accept and shed a connection */
static unsigned g_streak;         /* read callbacks since the flush last ran */
static char g_rx[RX_SIZE];

static struct {                   /* every event published, until every subscriber has it */
    char *p;
    size_t lo, hi, cap;           /* live bytes p[lo..hi) */
    size_t base;                  /* absolute offset of p[0] */
    uint64_t next_id;
} g_log = { .next_id = 1 };

static struct {                   /* the subscribers, and the flush's pass over them */
    struct conn **v;
    size_t n, cap, cursor;        /* cursor: v[0..cursor) were visited in this pass */
    bool passing;
    size_t mark;                  /* the log's end when the pass began */
    size_t min;                   /* lowest offset seen in the pass: the log before it can go */
} g_subs;

static void conn_close(struct conn *c);
static int client_next(struct conn *c);
static int response_input(struct conn *c, const char *p, size_t len);
static void on_write(evutil_socket_t fd, short what, void *arg);

static bool again(void) { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR; }
static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static bool digit(char ch) { return ch >= '0' && ch <= '9'; }

/* ---- buffers and sends ---- */

static size_t buf_size(const struct buf *b) { return b->len - b->pos; }
static char *buf_data(const struct buf *b) { return b->p + b->pos; }
static void buf_free(struct buf *b) { free(b->p); *b = (struct buf){ 0 }; }

static void buf_drop(struct buf *b, size_t n) {
    if ((b->pos += n) == b->len) b->pos = b->len = 0;
}

/* Callers bound every buffer (see the constants); this only grows it. -1: out of memory. */
static int buf_add(struct buf *b, const char *d, size_t n) {
    if (!n) return 0;
    if (b->len + n > b->cap) {
        size_t live = buf_size(b), cap = b->cap ? b->cap : BUF_MIN;
        if (b->pos) { memmove(b->p, buf_data(b), live); b->pos = 0; b->len = live; }
        if (live + n > b->cap) {
            while (cap < live + n) cap *= 2;
            char *p = realloc(b->p, cap);
            if (!p) return -1;
            b->p = p; b->cap = cap;
        }
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return 0;
}

/* Sends what b holds, once. -1: the connection failed. */
static int buf_send(int fd, struct buf *b) {
    if (!buf_size(b)) return 0;
    ssize_t n = send(fd, buf_data(b), buf_size(b), MSG_NOSIGNAL);
    if (n < 0) return again() ? 0 : -1;
    buf_drop(b, (size_t)n);
    return 0;
}

/* Sends p with one send, keeping in `pending` what it did not take (after what waits there). */
static int push(int fd, struct buf *pending, const char *p, size_t len) {
    if (!buf_size(pending)) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && !again()) return -1;
        if (n > 0) { p += n; len -= (size_t)n; }
    }
    return buf_add(pending, p, len);
}

/* ---- events ---- */

static struct event *io_event(int fd, short what, event_callback_fn cb, void *arg) {
    struct event *ev = event_new(g_base, fd, what | EV_PERSIST, cb, arg);
    if (ev && event_priority_set(ev, 0)) { event_free(ev); ev = NULL; }  /* I/O before the flush */
    return ev;
}

/* Adds or removes ev to match `want`: system calls only on a change. */
static int set_event(struct event *ev, unsigned *on, unsigned bit, bool want) {
    if (!(*on & bit) == !want) return 0;
    if (want ? event_add(ev, NULL) : event_del(ev)) return -1;
    *on ^= bit;
    return 0;
}

static void free_event(struct event **ev) {
    if (*ev) { event_free(*ev); *ev = NULL; }
}

static int want_write(struct conn *c, bool want) {
    if (want && !c->wr && !(c->wr = io_event(c->fd, EV_WRITE, on_write, c))) return -1;
    return c->wr ? set_event(c->wr, &c->on, WR, want) : 0;
}

/* Matches c's events to its state: a side is read only while nothing waits to be sent to the
 * other (back-pressure), and written only while something waits for it. -1: c was closed. */
static int sync_events(struct conn *c) {
    bool rd = c->role == PUBLISHER ? !buf_size(&c->out)
                                   : !c->closing && !buf_size(&c->uout) && buf_size(&c->in) < IN_MAX;
    bool ok = !set_event(c->rd, &c->on, RD, rd) && !want_write(c, buf_size(&c->out) > 0);
    if (ok && c->ufd >= 0)
        ok = !set_event(c->urd, &c->on, URD, !c->closing && !buf_size(&c->out)) &&
             !set_event(c->uwr, &c->on, UWR, c->connecting || buf_size(&c->uout) > 0);
    if (ok) return 0;
    conn_close(c);
    return -1;
}

/* ---- HTTP heads: only what framing and routing need ---- */

/* Length of the head at p through its blank line if that lies within HEAD_MAX, else 0.
 * `from`: bytes already searched in vain, so a head trickling in is not rescanned. */
static size_t head_len(const char *p, size_t len, size_t from) {
    if (len > HEAD_MAX) len = HEAD_MAX;
    from = from > 3 ? from - 3 : 0;
    const char *e = from < len ? memmem(p + from, len - from, "\r\n\r\n", 4) : NULL;
    return e ? (size_t)(e - p) + 4 : 0;
}

/* Reads Content-Length, Transfer-Encoding and Connection: close from the field lines [p, end). */
static int parse_fields(const char *p, const char *end, struct head *h) {
    h->length = 0, h->has_length = h->te = h->close = false;
    for (const char *eol; p < end; p = eol + 1) {
        if (!(eol = memchr(p, '\n', end - p))) eol = end;
        const char *colon = memchr(p, ':', eol - p), *v, *ve = eol;
        if (!colon) continue;  /* the blank line */
        size_t nl = colon - p;
        for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++) {}
        while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
        if (nl == 14 && !strncasecmp(p, "content-length", 14)) {
            uint64_t n = 0;
            if (v == ve) return -1;
            for (; v < ve; v++) {
                if (!digit(*v) || n >= LENGTH_LIMIT) return -1;
                n = n * 10 + (uint64_t)(*v - '0');
            }
            if (h->has_length && n != h->length) return -1;  /* two lengths: which one is it? */
            h->has_length = true, h->length = n;
        } else if (nl == 17 && !strncasecmp(p, "transfer-encoding", 17)) {
            h->te = true;
        } else if (nl == 10 && !strncasecmp(p, "connection", 10)) {
            h->close = ve - v == 5 && !strncasecmp(v, "close", 5);
        }
    }
    return 0;
}

/* Parses the request head p[0..hl): 0, or the status to refuse it with (400 or 501). */
static int parse_request(const char *p, size_t hl, struct head *h) {
    const char *eol = memchr(p, '\n', hl), *end = eol;
    if (end > p && end[-1] == '\r') end--;
    const char *sp = memchr(p, ' ', end - p);
    if (!sp || sp == p) return 400;
    const char *t = sp + 1, *sp2 = memchr(t, ' ', end - t);
    if (!sp2 || sp2 == t || end - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.", 7) || !digit(sp2[8]))
        return 400;
    h->method = p; h->mlen = sp - p;
    h->target = t; h->tlen = sp2 - t;
    h->http10 = sp2[8] == '0';
    if (parse_fields(eol + 1, p + hl, h)) return 400;
    return h->te ? 501 : 0;
}

static bool is(const struct head *h, const char *method, const char *target, bool prefix) {
    size_t ml = strlen(method), tl = strlen(target);
    return h->mlen == ml && !memcmp(h->method, method, ml) &&
           (prefix ? h->tlen >= tl : h->tlen == tl) && !memcmp(h->target, target, tl);
}

/* ---- the event log ---- */

static size_t log_end(void) { return g_log.base + g_log.hi; }

/* Appends "id: <n>\ndata: <data>\n\n"; -1 when it does not fit within LOG_MAX. */
static int log_append(const char *data, size_t n) {
    char id[32];
    size_t il = (size_t)snprintf(id, sizeof id, "id: %llu\ndata: ", (unsigned long long)g_log.next_id);
    size_t need = il + n + 2, live = g_log.hi - g_log.lo;
    if (g_log.hi + need > g_log.cap) {
        if (live + need > LOG_MAX) return -1;
        if (g_log.lo) {  /* the front was delivered: move the rest there */
            memmove(g_log.p, g_log.p + g_log.lo, live);
            g_log.base += g_log.lo; g_log.hi = live; g_log.lo = 0;
        }
        if ((live + need) * 2 > g_log.cap && g_log.cap < LOG_MAX) {  /* half free: moves stay rare */
            size_t cap = g_log.cap ? g_log.cap : LOG_MIN;
            while (cap < (live + need) * 2 && cap < LOG_MAX) cap *= 2;
            char *p = realloc(g_log.p, cap < LOG_MAX ? cap : LOG_MAX);
            if (!p) return -1;
            g_log.p = p; g_log.cap = cap < LOG_MAX ? cap : LOG_MAX;
        }
    }
    char *w = g_log.p + g_log.hi;
    memcpy(w, id, il); memcpy(w + il, data, n); memcpy(w + il + n, "\n\n", 2);
    g_log.hi += need;
    g_log.next_id++;
    return 0;
}

/* Forgets the log before `upto`, which every subscriber has been sent. */
static void log_drop(size_t upto) {
    g_log.lo = upto - g_log.base;
    if (g_log.lo < g_log.hi) return;
    g_log.base += g_log.hi, g_log.lo = g_log.hi = 0;  /* all delivered: start again at the front */
    if (g_log.cap > LOG_KEEP) { free(g_log.p); g_log.p = NULL; g_log.cap = 0; }
}

/* ---- subscribers and the flush ---- */

static int subs_add(struct conn *s) {
    if (g_subs.n == g_subs.cap) {
        size_t cap = g_subs.cap ? g_subs.cap * 2 : 1024;
        struct conn **v = realloc(g_subs.v, cap * sizeof *v);
        if (!v) return -1;
        g_subs.v = v; g_subs.cap = cap;
    }
    g_subs.v[s->idx = g_subs.n++] = s;
    return 0;
}

static void subs_move(size_t to, size_t from) {
    if (to == from) return;
    g_subs.v[to] = g_subs.v[from];
    g_subs.v[to]->idx = to;
}

/* Swap-remove. During a pass v[0..cursor) are visited: a hole there is filled with the last
 * visited one, whose place takes the last one, still unvisited; nobody is skipped or revisited. */
static void subs_remove(struct conn *s) {
    size_t j = s->idx, last = --g_subs.n;
    if (g_subs.passing && j < g_subs.cursor) {
        size_t k = --g_subs.cursor;
        subs_move(j, k);
        subs_move(k, last);
    } else {
        subs_move(j, last);
    }
}

/* Sends the subscriber everything it has not got, in one send. -1: it was closed. */
static int sub_push(struct conn *s) {
    size_t end = log_end(), left = end - s->off;
    if (left > LAG_MAX) goto drop;
    if (left) {
        ssize_t n = send(s->fd, g_log.p + (s->off - g_log.base), left, MSG_NOSIGNAL);
        if (n < 0 && !again()) goto drop;
        if (n > 0) s->off += (size_t)n;
    }
    if (want_write(s, s->off < end) == 0) return 0;  /* a partial send finishes on EV_WRITE */
drop:
    conn_close(s);
    return -1;
}

/* One slice of a pass over the subscribers; a pass starts when the log grew since the last. */
static void on_flush(evutil_socket_t fd, short what, void *arg) {
    g_streak = 0;
    if (!g_subs.passing) {
        if (log_end() == g_subs.mark) return;
        g_subs.passing = true;
        g_subs.cursor = 0, g_subs.mark = g_subs.min = log_end();
    }
    for (int k = 0; k < FLUSH_SLICE && g_subs.cursor < g_subs.n; k++) {
        struct conn *s = g_subs.v[g_subs.cursor++];
        int alive = 0;
        if (!(s->on & WR)) alive = sub_push(s);
        else if (log_end() - s->off > LAG_MAX) { conn_close(s); alive = -1; }  /* else EV_WRITE's */
        if (alive == 0 && s->off < g_subs.min) g_subs.min = s->off;
    }
    if (g_subs.cursor < g_subs.n) {  /* the rest after the next poll: publishes go on meanwhile */
        event_active(g_flush, EV_TIMEOUT, 0);
        return;
    }
    g_subs.passing = false;
    log_drop(g_subs.min);
    if (log_end() != g_subs.mark) event_active(g_flush, EV_TIMEOUT, 0);  /* grew during the pass */
}

/* Strict priority would let a connection that never stops sending starve the flush: after
 * STREAK_MAX read callbacks in a row it gets a slice anyway. Called last in a read callback. */
static void read_done(void) {
    if (++g_streak >= STREAK_MAX && (g_subs.passing || log_end() != g_subs.mark))
        on_flush(-1, 0, NULL);
}

/* ---- connections ---- */

static void up_close(struct conn *c) {
    if (c->ufd < 0) return;
    free_event(&c->urd); free_event(&c->uwr);
    close(c->ufd);
    c->ufd = -1;
    c->on &= ~(unsigned)(URD | UWR);
    c->connecting = false;
    buf_free(&c->uout); buf_free(&c->rhead);
}

static void conn_close(struct conn *c) {
    if (c->role == SUBSCRIBER) subs_remove(c);
    up_close(c);
    free_event(&c->rd); free_event(&c->wr);
    close(c->fd);
    buf_free(&c->in); buf_free(&c->out);
    if (c->prev) c->prev->next = c->next; else g_all = c->next;
    if (c->next) c->next->prev = c->prev;
    free(c);
}

/* Sends what is pending and a last answer, then closes. -1: c is gone. */
static int fail(struct conn *c, const char *answer) {
    if (!buf_add(&c->out, answer, strlen(answer))) buf_send(c->fd, &c->out);
    conn_close(c);
    return -1;
}

/* Closes c once what is pending for it is sent. -1: closed now. */
static int close_when_sent(struct conn *c) {
    c->closing = true;
    if (buf_size(&c->out)) return 0;
    conn_close(c);
    return -1;
}

/* ---- the proxy ---- */

static void on_up_read(evutil_socket_t fd, short what, void *arg);
static void on_up_write(evutil_socket_t fd, short what, void *arg);

/* The upstream failed: 502 if the client has seen nothing of the response, else just close. */
static int up_failed(struct conn *c) {
    if (!c->replied) return fail(c, CLOSING("502 Bad Gateway"));
    conn_close(c);
    return -1;
}

/* The upstream connection ends between responses; the rest of a body would have nowhere to go. */
static int up_drop(struct conn *c) {
    up_close(c);
    return c->req_left ? close_when_sent(c) : 0;
}

static int up_connect(struct conn *c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0) return -1;
    c->ufd = fd;
    if (!setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) &&
        (c->urd = io_event(fd, EV_READ, on_up_read, c)) &&
        (c->uwr = io_event(fd, EV_WRITE, on_up_write, c))) {
        int r = connect(fd, (struct sockaddr *)&g_upstream, sizeof g_upstream);
        c->connecting = r != 0;  /* the request waits in uout until EV_WRITE says how it went */
        if (r == 0 || errno == EINPROGRESS) return 0;
    }
    up_close(c);
    return -1;
}

static int to_upstream(struct conn *c, const char *p, size_t len) {
    if (c->ufd < 0 && up_connect(c)) return fail(c, CLOSING("502 Bad Gateway"));
    if (c->connecting ? buf_add(&c->uout, p, len) : push(c->ufd, &c->uout, p, len)) return up_failed(c);
    return 0;
}

/* The response is over: the next request may go, once the body of this one is sent too. */
static int response_end(struct conn *c) {
    c->busy = c->replied = false;
    c->resp = R_HEAD;
    if (c->up_close_after) {
        c->up_close_after = false;
        if (up_drop(c)) return -1;
    }
    if (c->close_after) return close_when_sent(c);  /* it asked for that (or spoke HTTP/1.0) */
    return client_next(c);
}

/* Reads the framing of the response head p[0..hl). -1: not an HTTP/1.x response. */
static int response_head(struct conn *c, const char *p, size_t hl) {
    struct head h;
    if (memcmp(p, "HTTP/1.", 7) || p[8] != ' ' || !digit(p[9]) || !digit(p[10]) || !digit(p[11]))
        return -1;
    int status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    if (parse_fields((const char *)memchr(p, '\n', hl) + 1, p + hl, &h)) return -1;
    c->up_close_after = h.close || p[7] == '0';
    c->resp = R_LENGTH, c->resp_left = 0;
    if (status < 200 && status != 101) c->resp = R_HEAD;  /* interim (100): the final head follows */
    else if (c->head_req || status == 204 || status == 304) {}  /* no body */
    else if (h.has_length && !h.te) c->resp_left = h.length;
    else c->resp = R_CLOSE;
    if (status == 101) c->req_left = UINT64_MAX;  /* a tunnel now: the client's bytes go up too */
    return 0;
}

/* A response head split across reads: gathered in rhead, then parsed from a detached copy. */
static int response_split(struct conn *c, const char *p, size_t len) {
    size_t old = buf_size(&c->rhead);
    if (buf_add(&c->rhead, p, len)) return up_failed(c);
    if (!head_len(buf_data(&c->rhead), buf_size(&c->rhead), old))
        return buf_size(&c->rhead) < HEAD_MAX ? 0 : up_failed(c);
    struct buf b = c->rhead;
    c->rhead = (struct buf){ 0 };
    int r = response_input(c, buf_data(&b), buf_size(&b));
    buf_free(&b);
    return r;
}

/* Relays what the upstream sent, tracking where the response ends. -1: c was closed. */
static int response_input(struct conn *c, const char *p, size_t len) {
    while (len) {
        size_t take = len;
        if (c->resp == R_HEAD) {
            size_t hl = buf_size(&c->rhead) ? 0 : head_len(p, len, 0);
            if (!hl) return response_split(c, p, len);
            if (response_head(c, p, hl)) return up_failed(c);
            take = hl;
            if (c->resp == R_CLOSE) take = len;
            if (c->resp == R_LENGTH) {
                uint64_t body = min64(len - hl, c->resp_left);
                take += body;
                c->resp_left -= body;
            }
        } else if (c->resp == R_LENGTH) {
            take = min64(len, c->resp_left);
            c->resp_left -= take;
        }
        c->replied = true;
        if (push(c->fd, &c->out, p, take)) { conn_close(c); return -1; }
        p += take, len -= take;
        if (c->resp == R_LENGTH && !c->resp_left) {
            if (len) c->up_close_after = true;  /* more than the response: out of step */
            return response_end(c);
        }
    }
    return 0;
}

/* The upstream closed or failed (or sent bytes between responses: out of step). */
static void up_ended(struct conn *c) {
    int r;
    if (!c->busy) r = up_drop(c);
    else if (c->resp != R_CLOSE) r = up_failed(c);
    else {  /* the end of a response delimited by the close */
        up_close(c);
        c->busy = false;
        r = close_when_sent(c);
    }
    if (r == 0) sync_events(c);
}

static void on_up_read(evutil_socket_t fd, short what, void *arg) {
    struct conn *c = arg;
    ssize_t n = recv(fd, g_rx, sizeof g_rx, 0);
    if (n < 0 && again()) return;
    if (n <= 0 || !c->busy) up_ended(c);
    else if (response_input(c, g_rx, (size_t)n) == 0) sync_events(c);
    read_done();
}

static void on_up_write(evutil_socket_t fd, short what, void *arg) {
    struct conn *c = arg;
    int err = 0;
    socklen_t l = sizeof err;
    if (c->connecting && (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) || err)) { up_ended(c); return; }
    c->connecting = false;
    if (buf_send(fd, &c->uout)) up_ended(c);
    else sync_events(c);
}

/* The client becomes a subscriber; its read event stays, on_read now drops what it reads. */
static int become_subscriber(struct conn *c) {
    up_close(c);
    buf_free(&c->in);
    /* Nothing is pending for it (requests start only then), so one send takes this short head;
     * a client that does not even take that much is not worth keeping. */
    if (want_write(c, false) ||
        send(c->fd, SSE_HEAD, sizeof SSE_HEAD - 1, MSG_NOSIGNAL) != (ssize_t)sizeof SSE_HEAD - 1 ||
        subs_add(c)) {
        conn_close(c);
        return -1;
    }
    c->role = SUBSCRIBER;
    c->off = log_end();  /* no replay: events from now on */
    return -1;
}

/* Starts the request at p: bytes used, 0 if its head is incomplete, -1 if c was closed or is a
 * subscriber now. `from`: bytes of p already searched for the end of the head. */
static ssize_t client_request(struct conn *c, const char *p, size_t len, size_t from) {
    struct head h;
    size_t hl = head_len(p, len, from);
    c->scanned = hl ? 0 : len;
    if (!hl) return len < HEAD_MAX ? 0 : fail(c, CLOSING("431 Request Header Fields Too Large"));
    int status = parse_request(p, hl, &h);
    if (status) return fail(c, status == 501 ? CLOSING("501 Not Implemented") : CLOSING("400 Bad Request"));
    if (is(&h, "GET", "/events/", true)) return become_subscriber(c);
    size_t body = min64(h.length, len - hl);
    c->busy = true, c->replied = false, c->resp = R_HEAD;
    c->head_req = is(&h, "HEAD", "", true);
    c->close_after = h.close || h.http10;
    c->req_left = h.length - body;
    return to_upstream(c, p, hl + body) ? -1 : (ssize_t)(hl + body);
}

/* Starts the request waiting in `in`, once the previous exchange is over and its answer sent. */
static int client_next(struct conn *c) {
    if (c->busy || c->req_left || c->closing || buf_size(&c->out) || !buf_size(&c->in)) return 0;
    ssize_t used = client_request(c, buf_data(&c->in), buf_size(&c->in), c->scanned);
    if (used < 0) return -1;
    buf_drop(&c->in, (size_t)used);
    return 0;
}

static void client_input(struct conn *c, const char *p, size_t len) {
    if (c->closing) return;  /* its last answer is on its way: nothing more is used */
    if (c->req_left) {       /* the body of the request in flight goes straight up */
        size_t k = min64(len, c->req_left);
        c->req_left -= k;
        if (to_upstream(c, p, k)) return;
        p += k, len -= k;
    }
    if (len && !c->busy && !c->req_left && !buf_size(&c->out) && !buf_size(&c->in)) {
        ssize_t used = client_request(c, p, len, 0);  /* the usual case: used where it was read */
        if (used < 0) return;
        if (buf_add(&c->in, p + used, len - (size_t)used)) { conn_close(c); return; }
    } else if (len) {        /* behind a response, or the rest of a head */
        if (buf_add(&c->in, p, len)) { conn_close(c); return; }
        if (client_next(c)) return;
    }
    sync_events(c);
}

/* ---- the publish port ---- */

static const char *publish(const char *body, size_t n) {
    if (memchr(body, '\r', n) || memchr(body, '\n', n)) return ANSWER("400 Bad Request");
    if (log_append(body, n)) return ANSWER("503 Service Unavailable");
    event_active(g_flush, EV_TIMEOUT, 0);  /* runs after this iteration's I/O: they coalesce */
    return ANSWER("200 OK");
}

/* Answers every complete request in d (into c->out): bytes used, or -1 if c was closed. */
static ssize_t pub_requests(struct conn *c, const char *d, size_t len) {
    size_t used = 0;
    while (used < len) {
        const char *q = d + used, *answer = ANSWER("404 Not Found");
        size_t left = len - used, hl = head_len(q, left, used ? 0 : c->scanned);
        struct head h;
        c->scanned = 0;
        if (!hl && left >= HEAD_MAX) return fail(c, CLOSING("431 Request Header Fields Too Large"));
        if (!hl) { c->scanned = left; break; }
        int status = parse_request(q, hl, &h);
        if (status) return fail(c, status == 501 ? CLOSING("501 Not Implemented") : CLOSING("400 Bad Request"));
        if (h.length > BODY_MAX) return fail(c, CLOSING("413 Content Too Large"));
        if (left - hl < h.length) break;  /* the body is still coming */
        if (is(&h, "POST", "/publish/", true)) answer = publish(q + hl, h.length);
        else if (is(&h, "GET", "/healthz", false)) answer = HEALTHY;
        if (buf_add(&c->out, answer, strlen(answer))) { conn_close(c); return -1; }
        used += hl + h.length;
    }
    return (ssize_t)used;
}

/* Reading stops while answers wait: a publisher that does not read them is not read either. */
static void pub_input(struct conn *c, const char *p, size_t len) {
    const char *d = p;
    if (buf_size(&c->in)) {  /* bounded: a head within HEAD_MAX, a body within BODY_MAX */
        if (buf_add(&c->in, p, len)) { conn_close(c); return; }
        d = buf_data(&c->in), len = buf_size(&c->in);
    }
    ssize_t used = pub_requests(c, d, len);
    if (used < 0) return;
    if (d != p) buf_drop(&c->in, (size_t)used);
    else if (buf_add(&c->in, p + used, len - (size_t)used)) { conn_close(c); return; }
    if (buf_send(c->fd, &c->out)) conn_close(c);
    else sync_events(c);
}

/* ---- the loop's callbacks ---- */

static void on_read(evutil_socket_t fd, short what, void *arg) {
    struct conn *c = arg;
    ssize_t n = recv(fd, g_rx, sizeof g_rx, 0);  /* what a subscriber sends is dropped */
    if (n == 0 || (n < 0 && !again())) conn_close(c);
    else if (n > 0 && c->role == CLIENT) client_input(c, g_rx, (size_t)n);
    else if (n > 0 && c->role == PUBLISHER) pub_input(c, g_rx, (size_t)n);
    read_done();
}

static void on_write(evutil_socket_t fd, short what, void *arg) {
    struct conn *c = arg;
    if (c->role == SUBSCRIBER) { sub_push(c); return; }
    if (buf_send(fd, &c->out)) { conn_close(c); return; }
    if (c->role == CLIENT && !buf_size(&c->out)) {
        if (c->closing) { conn_close(c); return; }
        if (client_next(c)) return;
    }
    sync_events(c);
}

static int conn_new(int fd, int role) {
    struct conn *c = malloc(sizeof *c);
    if (!c) return -1;
    *c = (struct conn){ .fd = fd, .ufd = -1, .role = (unsigned char)role, .on = RD, .next = g_all };
    if (!(c->rd = io_event(fd, EV_READ, on_read, c)) || event_add(c->rd, NULL)) {
        free_event(&c->rd);
        free(c);
        return -1;
    }
    if (g_all) g_all->prev = c;
    g_all = c;
    return 0;
}

/* arg: the role of the listener's connections. */
static void on_accept(evutil_socket_t lfd, short what, void *arg) {
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {  /* TCP_NODELAY comes from the listener: Linux copies it to accepted sockets */
            if (conn_new(fd, (int)(intptr_t)arg)) close(fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if ((errno == EMFILE || errno == ENFILE) && g_spare_fd >= 0) {
            /* Out of descriptors: shed one queued connection with the spare descriptor, or the
             * listener would stay readable and the loop spin. */
            close(g_spare_fd);
            if ((fd = accept(lfd, NULL, NULL)) >= 0) close(fd);
            g_spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
        return;  /* EAGAIN: all taken */
    }
}

static void on_signal(evutil_socket_t fd, short what, void *arg) { event_base_loopbreak(g_base); }

static int listen_on(int port) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, SOMAXCONN)) {
        fprintf(stderr, "floor: 127.0.0.1:%d: %s\n", port, strerror(errno));
        exit(1);
    }
    return fd;
}

static int port_arg(const char *s) {
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v > 0 && v < 65536 ? (int)v : -1;
}

int main(int argc, char **argv) {
    int ports[3] = { -1, -1, -1 };
    for (int i = 0; i < 3 && argc == 4; i++) ports[i] = port_arg(argv[i + 1]);
    if (ports[0] < 0 || ports[1] < 0 || ports[2] < 0) {
        fprintf(stderr, "usage: floor LISTEN_PORT PUBLISH_PORT UPSTREAM_PORT (all on 127.0.0.1)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);  /* MSG_NOSIGNAL covers the sends; this, anything else */
    g_upstream = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)ports[2]),
                                       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct event_config *cfg = event_config_new();
    if (!cfg || event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK) ||
        event_config_avoid_method(cfg, "select") || event_config_avoid_method(cfg, "poll") ||
        /* one flush slice per loop iteration: re-activated, it waits for the next poll */
        event_config_set_max_dispatch_interval(cfg, NULL, 1, 1) ||
        !(g_base = event_base_new_with_config(cfg)) || strcmp(event_base_get_method(g_base), "epoll") ||
        event_base_priority_init(g_base, 2)) {
        fprintf(stderr, "floor: no epoll event base\n");
        return 1;
    }
    int lfd = listen_on(ports[0]), pfd = listen_on(ports[1]);
    struct event *ev[] = {
        io_event(lfd, EV_READ, on_accept, (void *)(intptr_t)CLIENT),
        io_event(pfd, EV_READ, on_accept, (void *)(intptr_t)PUBLISHER),
        evsignal_new(g_base, SIGINT, on_signal, NULL),
        evsignal_new(g_base, SIGTERM, on_signal, NULL),
    };
    g_flush = event_new(g_base, -1, 0, on_flush, NULL);
    bool ok = g_flush && !event_priority_set(g_flush, 1);
    for (size_t i = 0; i < 4; i++) ok = ok && ev[i] && !event_add(ev[i], NULL);
    if (!ok) {
        fprintf(stderr, "floor: cannot set up the event loop\n");
        return 1;
    }
    g_spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    fprintf(stderr, "floor: 127.0.0.1:%d (events, proxy to :%d), 127.0.0.1:%d (publish)\n",
            ports[0], ports[2], ports[1]);
    event_base_dispatch(g_base);

    while (g_all) conn_close(g_all);  /* all freed, so valgrind has nothing to report */
    for (size_t i = 0; i < 4; i++) event_free(ev[i]);
    event_free(g_flush);
    free(g_subs.v); free(g_log.p);
    close(lfd); close(pfd); close(g_spare_fd);
    event_base_free(g_base);
    event_config_free(cfg);
    libevent_global_shutdown();
    return 0;
}
