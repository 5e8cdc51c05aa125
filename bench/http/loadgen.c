/*
 * loadgen.c - a small closed-loop HTTP/1.1 load generator for agentmemd (bench/http/run.sh).
 *
 *   loadgen -u http://127.0.0.1:PORT -p PATH [-m METHOD] [-b BODY | -f BODYFILE]
 *           [-c CONNS] [-t THREADS] [-d SECONDS] [-w WARMUP_SECONDS] [-n REQUESTS] [-r RUNID]
 *
 * Each of CONNS keep-alive connections has exactly one request in flight: it sends, waits for
 * the whole response, records the latency and sends the next, so CONNS is the concurrency.
 * Connections are shared out over THREADS threads (default 1), each with its own epoll loop.
 * The body (and the path) may hold placeholders, filled for every request:
 *   {uniq}  a token unique across runs: RUNID-THREAD-SEQUENCE (RUNID defaults to time and pid)
 *   {conn}  the connection's number, 0..CONNS-1, to spread requests over actors or sessions
 *   {ts}    the current time in epoch seconds with milliseconds, e.g. 1767225600.123
 * With -d, responses completed during the first WARMUP seconds (default 1) are not counted,
 * then those completed in the next SECONDS are (as wrk does), and requests still in flight at
 * the end are dropped; with -n it sends REQUESTS requests and waits for every response. It
 * prints one line, "requests=N seconds=S rps=R p50_us=.. p90_us=.. p99_us=.. max_us=.. non2xx=N
 * errors=N", sends the first non-2xx response to stderr and exits 1 if any request failed.
 * Latency is measured from the first byte written to the last byte read.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define MAX_THREADS 64
#define MAX_BODY (1 << 20)          /* request body template, and one filled-in body */
#define MAX_RESPONSE (8 << 20)      /* one response, headers and body */
#define MAX_SAMPLES (32u << 20)     /* latencies kept per thread (128 MiB at most) */

struct opts {
    char host[256];
    char port[16];
    const char *method;
    const char *path;
    const char *body;               /* NULL: no body */
    size_t body_len;
    int n_conns;
    int n_threads;
    double seconds;
    double warmup;
    long long n_requests;           /* > 0: stop after this many responses */
    char run_id[64];
};

struct buf {
    char *data;
    size_t len;
    size_t cap;
};

enum { C_CONNECTING, C_WRITING, C_READING };

struct conn {
    int fd;
    int id;
    int state;
    struct buf out;
    size_t out_off;
    struct buf in;
    int64_t start_ns;
};

struct worker {
    pthread_t tid;
    int index;
    int epfd;
    struct conn *conns;
    int n_conns;
    unsigned long long seq;
    uint32_t *samples;              /* latencies in units of 100 ns */
    size_t n_samples;
    size_t samples_cap;
    unsigned long long n_ok;
    unsigned long long n_non2xx;
    unsigned long long n_errors;
    int rc;
};

static struct opts opt;
static int64_t t_begin_ns;         /* measured window: [t_begin_ns, t_end_ns) */
static int64_t t_end_ns;
static atomic_llong n_started;     /* requests begun, for -n */
static atomic_int first_bad;       /* only the first non-2xx response is printed */

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "loadgen: %s\n", what);
    exit(2);
}

/* Append n bytes; the buffer never grows past `limit`. Returns -1 (buffer unchanged) if
 * it would. */
static int buf_append(struct buf *b, const void *p, size_t n, size_t limit)
{
    if (n == 0)
        return 0;
    if (b->len + n > limit)
        return -1;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *d;

        while (cap < b->len + n)
            cap *= 2;
        if (cap > limit)
            cap = limit;
        d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static int buf_str(struct buf *b, const char *s, size_t limit)
{
    return buf_append(b, s, strlen(s), limit);
}

/* Copy `tmpl` (len bytes) into b with the placeholders filled in. */
static int fill(struct buf *b, const char *tmpl, size_t len, struct worker *w, struct conn *c)
{
    size_t i = 0;

    while (i < len) {
        const char *open = memchr(tmpl + i, '{', len - i);
        size_t lit = open ? (size_t)(open - (tmpl + i)) : len - i;
        char tmp[128];

        if (buf_append(b, tmpl + i, lit, MAX_BODY))
            return -1;
        i += lit;
        if (!open)
            break;
        if (len - i >= 6 && !memcmp(tmpl + i, "{uniq}", 6)) {
            snprintf(tmp, sizeof tmp, "%s-%d-%llu", opt.run_id, w->index, w->seq);
            i += 6;
        } else if (len - i >= 6 && !memcmp(tmpl + i, "{conn}", 6)) {
            snprintf(tmp, sizeof tmp, "%d", c->id);
            i += 6;
        } else if (len - i >= 4 && !memcmp(tmpl + i, "{ts}", 4)) {
            struct timespec ts;

            clock_gettime(CLOCK_REALTIME, &ts);
            snprintf(tmp, sizeof tmp, "%lld.%03ld", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
            i += 4;
        } else {
            tmp[0] = '{';
            tmp[1] = '\0';
            i += 1;
        }
        if (buf_str(b, tmp, MAX_BODY))
            return -1;
    }
    return 0;
}

static int build_request(struct worker *w, struct conn *c)
{
    struct buf body = {0}, path = {0};
    char head[512];
    int n, rc = -1;

    w->seq++;
    c->out.len = 0;
    c->out_off = 0;
    if (fill(&path, opt.path, strlen(opt.path), w, c) || buf_append(&path, "", 1, MAX_BODY))
        goto out;
    if (opt.body && fill(&body, opt.body, opt.body_len, w, c))
        goto out;
    n = snprintf(head, sizeof head, "%s ", opt.method);
    if (n < 0 || (size_t)n >= sizeof head || buf_append(&c->out, head, (size_t)n, MAX_BODY * 2) ||
        buf_str(&c->out, path.data, MAX_BODY * 2))
        goto out;
    if (opt.body)
        n = snprintf(head, sizeof head,
                     " HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n", opt.host, opt.port, body.len);
    else
        n = snprintf(head, sizeof head, " HTTP/1.1\r\nHost: %s:%s\r\n\r\n", opt.host, opt.port);
    if (n < 0 || (size_t)n >= sizeof head || buf_append(&c->out, head, (size_t)n, MAX_BODY * 2))
        goto out;
    if (opt.body && buf_append(&c->out, body.data, body.len, MAX_BODY * 2))
        goto out;
    rc = 0;
out:
    free(body.data);
    free(path.data);
    return rc;
}

static int open_conn(struct worker *w, struct conn *c)
{
    struct addrinfo hints = {0}, *ai = NULL;
    struct epoll_event ev = {0};
    int one = 1, fd, rc;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(opt.host, opt.port, &hints, &ai) || !ai)
        die("cannot resolve the host");
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(ai);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->state = C_CONNECTING;
    c->in.len = 0;
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.ptr = c;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev)) {
        close(fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void close_conn(struct worker *w, struct conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
}

/* Past the end of a -d run: no new requests, and whatever is in flight is dropped. */
static bool timed_out(void)
{
    return opt.n_requests <= 0 && now_ns() >= t_end_ns;
}

/* Write what is left of the request; switch to reading once it is all out. */
static int send_more(struct worker *w, struct conn *c)
{
    struct epoll_event ev = {0};

    while (c->out_off < c->out.len) {
        ssize_t n = write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            ev.events = EPOLLOUT | EPOLLIN;
            ev.data.ptr = c;
            return epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
        }
        if (n <= 0)
            return -1;
        c->out_off += (size_t)n;
    }
    if (c->state != C_READING) {
        c->state = C_READING;
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        return epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    }
    return 0;
}

/* Send the connection's next request, or close it when the run is over. */
static int next_request(struct worker *w, struct conn *c)
{
    if (timed_out() ||
        (opt.n_requests > 0 && atomic_fetch_add(&n_started, 1) >= opt.n_requests)) {
        close_conn(w, c);
        return 0;
    }
    if (build_request(w, c))
        die("request too large");
    c->in.len = 0;
    c->start_ns = now_ns();
    c->state = C_WRITING;
    return send_more(w, c);
}

/* Find a header's value in [h, end); the header block is NUL-free. */
static const char *header(const char *h, const char *end, const char *name, size_t *out_len)
{
    size_t name_len = strlen(name);
    const char *line = memchr(h, '\n', (size_t)(end - h));     /* skip the status line */

    while (line && line + 1 < end) {
        const char *p = line + 1;
        const char *eol = memchr(p, '\n', (size_t)(end - p));

        if (!eol)
            break;
        if ((size_t)(eol - p) > name_len && p[name_len] == ':' &&
            !strncasecmp(p, name, name_len)) {
            const char *v = p + name_len + 1;
            const char *ve = eol;

            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *out_len = (size_t)(ve - v);
            return v;
        }
        line = eol;
    }
    return NULL;
}

/* Walk a chunked body starting at `p`: returns its length up to the end of the message, 0
 * if more input is needed, -1 if malformed. */
static long chunked_end(const char *p, const char *end)
{
    const char *q = p;

    for (;;) {
        const char *eol = NULL;
        char *num_end;
        unsigned long long size;
        char tmp[32];
        size_t n;

        for (const char *s = q; s + 1 < end; s++) {
            if (s[0] == '\r' && s[1] == '\n') {
                eol = s;
                break;
            }
        }
        if (!eol)
            return 0;
        n = (size_t)(eol - q) < sizeof tmp - 1 ? (size_t)(eol - q) : sizeof tmp - 1;
        memcpy(tmp, q, n);
        tmp[n] = '\0';
        errno = 0;
        size = strtoull(tmp, &num_end, 16);
        if (errno || num_end == tmp || size > MAX_RESPONSE)
            return -1;
        q = eol + 2;
        if (size == 0) {                  /* no trailers from agentmemd: expect CRLF */
            if (end - q < 2)
                return 0;
            return (long)(q + 2 - p);
        }
        if ((unsigned long long)(end - q) < size + 2)
            return 0;
        q += size + 2;
    }
}

static void record(struct worker *w, int64_t ns)
{
    uint64_t units = (uint64_t)ns / 100;

    if (w->n_samples == w->samples_cap) {
        size_t cap = w->samples_cap ? w->samples_cap * 2 : 65536;
        uint32_t *s;

        if (cap > MAX_SAMPLES)
            return;                       /* the ceiling: later samples are not kept */
        s = realloc(w->samples, cap * sizeof *s);
        if (!s)
            return;
        w->samples = s;
        w->samples_cap = cap;
    }
    w->samples[w->n_samples++] = units > UINT32_MAX ? UINT32_MAX : (uint32_t)units;
}

/* Parse what has arrived; on a complete response, account for it and send the next. */
static int on_readable(struct worker *w, struct conn *c)
{
    bool eof = false;

    for (;;) {
        char chunk[16384];
        ssize_t n = read(c->fd, chunk, sizeof chunk);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0)
            return -1;
        if (n == 0) {                     /* closed: fine only after a whole response */
            eof = true;
            break;
        }
        if (buf_append(&c->in, chunk, (size_t)n, MAX_RESPONSE))
            return -1;
    }
    if (c->state != C_READING || c->in.len < 12)
        return eof ? -1 : 0;

    const char *h = c->in.data, *end = h + c->in.len, *body = NULL;
    for (const char *s = h; s + 3 < end; s++) {
        if (s[0] == '\r' && s[1] == '\n' && s[2] == '\r' && s[3] == '\n') {
            body = s + 4;
            break;
        }
    }
    if (!body)
        return eof ? -1 : 0;
    if (strncmp(h, "HTTP/1.", 7))
        return -1;
    int status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
    size_t te_len = 0, cl_len = 0, conn_len = 0;
    const char *te = header(h, body, "Transfer-Encoding", &te_len);
    const char *cl = header(h, body, "Content-Length", &cl_len);
    const char *conn = header(h, body, "Connection", &conn_len);
    long total;

    if (te && te_len >= 7 && !strncasecmp(te + te_len - 7, "chunked", 7)) {
        long used = chunked_end(body, end);

        if (used < 0)
            return -1;
        if (used == 0)
            return eof ? -1 : 0;
        total = (long)(body - h) + used;
    } else if (cl) {
        char tmp[32], *num_end;
        unsigned long long n_body;

        if (cl_len == 0 || cl_len >= sizeof tmp)
            return -1;
        memcpy(tmp, cl, cl_len);
        tmp[cl_len] = '\0';
        errno = 0;
        n_body = strtoull(tmp, &num_end, 10);
        if (errno || *num_end || n_body > MAX_RESPONSE)
            return -1;
        if ((unsigned long long)(end - body) < n_body)
            return eof ? -1 : 0;
        total = (long)(body - h) + (long)n_body;
    } else {
        return -1;                        /* a body up to close: not from agentmemd */
    }

    /* a response counts when it completes inside the measured window, as in wrk */
    int64_t t = now_ns();
    bool in_window = opt.n_requests > 0 || (t >= t_begin_ns && t <= t_end_ns);
    bool close_after = eof || (conn && conn_len == 5 && !strncasecmp(conn, "close", 5));

    if (status < 200 || status > 299) {
        if (atomic_exchange(&first_bad, 1) == 0)
            fprintf(stderr, "loadgen: first non-2xx response:\n%.*s\n",
                    (int)(total < 2000 ? total : 2000), h);
        if (in_window)
            w->n_non2xx++;
    } else if (in_window) {
        w->n_ok++;
        record(w, t - c->start_ns);
    }
    c->in.len = 0;                        /* one request in flight: nothing follows */
    if (close_after) {                    /* the server may close: reconnect and go on */
        close_conn(w, c);
        return timed_out() ? 0 : open_conn(w, c);
    }
    return next_request(w, c);
}

static int on_event(struct worker *w, struct conn *c, uint32_t events)
{
    if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
            errno = err;
            return -1;
        }
        return next_request(w, c);
    }
    if ((events & EPOLLOUT) && c->state == C_WRITING && send_more(w, c))
        return -1;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        return on_readable(w, c);
    return 0;
}

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[256];
    int n_open = w->n_conns;

    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0)
        die("epoll_create1 failed");
    for (int i = 0; i < w->n_conns; i++)
        if (open_conn(w, &w->conns[i]))
            die("cannot connect");
    while (n_open > 0) {
        int n = epoll_wait(w->epfd, evs, 256, 50);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("epoll_wait failed");
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;

            if (c->fd < 0)
                continue;               /* closed earlier in this batch */
            if (on_event(w, c, evs[i].events)) {
                close_conn(w, c);
                if (timed_out())
                    continue;
                if (++w->n_errors > 1000)
                    die("over 1000 failed connections or requests: is the server up?");
                if (open_conn(w, c))
                    die("cannot reconnect");
            }
        }
        n_open = 0;
        for (int i = 0; i < w->n_conns; i++) {
            if (timed_out())
                close_conn(w, &w->conns[i]);
            n_open += w->conns[i].fd >= 0;
        }
    }
    close(w->epfd);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static double pct_us(const uint32_t *s, size_t n, double p)
{
    size_t i;

    if (!n)
        return 0;
    i = (size_t)(p * (double)(n - 1) + 0.5);
    return s[i] / 10.0;
}

static long parse_long(const char *s, long lo, long hi, const char *what)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "loadgen: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

static double parse_double(const char *s, double lo, double hi, const char *what)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "loadgen: bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

static char *read_file(const char *path, size_t *out_len)
{
    struct buf b = {0};
    char chunk[8192];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f)
        die("cannot open the body file");
    for (;;) {
        n = fread(chunk, 1, sizeof chunk, f);
        if (n == 0)
            break;
        if (buf_append(&b, chunk, n, MAX_BODY))
            die("body file over 1 MiB");
    }
    fclose(f);
    if (buf_append(&b, "", 1, MAX_BODY + 1))
        die("out of memory");
    *out_len = b.len - 1;
    return b.data;
}

static void parse_url(const char *url)
{
    const char *p, *colon, *slash;
    size_t host_len, port_len;

    if (strncmp(url, "http://", 7))
        die("only http:// URLs");
    p = url + 7;
    slash = strchr(p, '/');
    if (!slash)
        slash = p + strlen(p);
    colon = memchr(p, ':', (size_t)(slash - p));
    host_len = (size_t)((colon ? colon : slash) - p);
    port_len = colon ? (size_t)(slash - colon - 1) : 2;
    if (host_len == 0 || host_len >= sizeof opt.host || port_len == 0 ||
        port_len >= sizeof opt.port)
        die("bad URL");
    memcpy(opt.host, p, host_len);
    opt.host[host_len] = '\0';
    if (colon) {
        memcpy(opt.port, colon + 1, port_len);
        opt.port[port_len] = '\0';
    } else {
        memcpy(opt.port, "80", 3);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: loadgen -u http://HOST:PORT -p PATH [-m METHOD] [-b BODY | -f FILE]\n"
                    "               [-c CONNS] [-t THREADS] [-d SECONDS] [-w WARMUP] "
                    "[-n REQUESTS] [-r RUNID]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct worker *workers;
    struct conn *conns;
    uint32_t *all;
    size_t n_all = 0;
    unsigned long long ok = 0, non2xx = 0, errors = 0;
    const char *url = NULL;
    char *body_file = NULL;
    double elapsed;
    int c;

    opt.method = "GET";
    opt.n_conns = 1;
    opt.n_threads = 1;
    opt.seconds = 5;
    opt.warmup = 1;
    {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(opt.run_id, sizeof opt.run_id, "%llx%05lx%x", (unsigned long long)ts.tv_sec,
                 ts.tv_nsec / 10000, (unsigned)getpid());
    }
    for (;;) {
        c = getopt(argc, argv, "u:p:m:b:f:c:t:d:w:n:r:");
        if (c == -1)
            break;
        switch (c) {
        case 'u': url = optarg; break;
        case 'p': opt.path = optarg; break;
        case 'm': opt.method = optarg; break;
        case 'b': opt.body = optarg; opt.body_len = strlen(optarg); break;
        case 'f':
            free(body_file);
            body_file = read_file(optarg, &opt.body_len);
            opt.body = body_file;
            break;
        case 'c': opt.n_conns = (int)parse_long(optarg, 1, MAX_CONNS, "-c"); break;
        case 't': opt.n_threads = (int)parse_long(optarg, 1, MAX_THREADS, "-t"); break;
        case 'd': opt.seconds = parse_double(optarg, 0.1, 86400, "-d"); break;
        case 'w': opt.warmup = parse_double(optarg, 0, 3600, "-w"); break;
        case 'n': opt.n_requests = parse_long(optarg, 1, LONG_MAX, "-n"); break;
        case 'r':
            if (strlen(optarg) >= sizeof opt.run_id)
                die("-r too long");
            memcpy(opt.run_id, optarg, strlen(optarg) + 1);
            break;
        default: usage();
        }
    }
    if (!url || !opt.path || optind != argc)
        usage();
    parse_url(url);
    if (opt.n_threads > opt.n_conns)
        opt.n_threads = opt.n_conns;
    signal(SIGPIPE, SIG_IGN);

    workers = calloc((size_t)opt.n_threads, sizeof *workers);
    conns = calloc((size_t)opt.n_conns, sizeof *conns);
    if (!workers || !conns)
        die("out of memory");
    for (int i = 0; i < opt.n_conns; i++) {
        conns[i].fd = -1;
        conns[i].id = i;
    }
    t_begin_ns = now_ns() + (opt.n_requests > 0 ? 0 : (int64_t)(opt.warmup * 1e9));
    t_end_ns = opt.n_requests > 0 ? INT64_MAX : t_begin_ns + (int64_t)(opt.seconds * 1e9);
    for (int i = 0, next = 0; i < opt.n_threads; i++) {
        int share = opt.n_conns / opt.n_threads + (i < opt.n_conns % opt.n_threads);

        workers[i].index = i;
        workers[i].conns = conns + next;
        workers[i].n_conns = share;
        next += share;
        if (pthread_create(&workers[i].tid, NULL, run_worker, &workers[i]))
            die("pthread_create failed");
    }
    for (int i = 0; i < opt.n_threads; i++)
        pthread_join(workers[i].tid, NULL);
    elapsed = opt.n_requests > 0 ? (double)(now_ns() - t_begin_ns) / 1e9 : opt.seconds;

    for (int i = 0; i < opt.n_threads; i++) {
        ok += workers[i].n_ok;
        non2xx += workers[i].n_non2xx;
        errors += workers[i].n_errors;
        n_all += workers[i].n_samples;
    }
    all = malloc((n_all ? n_all : 1) * sizeof *all);
    if (!all)
        die("out of memory");
    for (size_t i = 0, off = 0; i < (size_t)opt.n_threads; i++) {
        if (workers[i].n_samples)
            memcpy(all + off, workers[i].samples, workers[i].n_samples * sizeof *all);
        off += workers[i].n_samples;
        free(workers[i].samples);
    }
    qsort(all, n_all, sizeof *all, cmp_u32);
    printf("requests=%llu seconds=%.3f rps=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f "
           "max_us=%.1f non2xx=%llu errors=%llu\n",
           ok, elapsed, (double)ok / elapsed, pct_us(all, n_all, 0.50), pct_us(all, n_all, 0.90),
           pct_us(all, n_all, 0.99), n_all ? all[n_all - 1] / 10.0 : 0.0, non2xx, errors);
    for (int i = 0; i < opt.n_conns; i++) {
        free(conns[i].out.data);
        free(conns[i].in.data);
    }
    free(all);
    free(conns);
    free(workers);
    free(body_file);
    return non2xx || errors ? 1 : 0;
}
