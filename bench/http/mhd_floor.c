/*
 * mhd_floor.c - the least an HTTP server built on libmicrohttpd can cost on this machine.
 *
 *   mhd_floor [THREADS]   (on 127.0.0.1, a free port: prints "listening port=N"; SIGTERM stops)
 *
 * Answers every request with the same 40-byte JSON reply from a static buffer, with the
 * setup /work/shared/CEILINGS.md measured at ~136k req/s: the epoll internal thread with a
 * pool of THREADS (default 2), and the response queued on the handler's second call so that
 * libmicrohttpd keeps the connection alive. bench/http/run.sh measures it in the same run as
 * agentmemd, so that agentmemd's own ceiling (GET /_agentmem/health) can be read against
 * the library's on the same machine at the same moment, as CEILINGS.md asks (the machines
 * drift by 20% from one run to the next).
 */
#include <errno.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char REPLY[] = "{\"status\":\"ok\",\"version\":\"0.0.0\",\"x\":1}";
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    static int first_call;
    struct MHD_Response *resp = cls;

    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) {               /* first call: headers only; answer on the next */
        *con_cls = &first_call;
        return MHD_YES;
    }
    if (*upload_data_size) {              /* a body: ignore it */
        *upload_data_size = 0;
        return MHD_YES;
    }
    return MHD_queue_response(conn, MHD_HTTP_OK, resp);
}

int main(int argc, char **argv)
{
    struct MHD_Daemon *d;
    struct MHD_Response *resp;
    const union MHD_DaemonInfo *info;
    long threads = 2;
    struct sigaction sa;
    struct sockaddr_in addr;

    if (argc > 1) {
        char *end;

        errno = 0;
        threads = strtol(argv[1], &end, 10);
        if (errno || *end || threads < 1 || threads > 64) {
            fprintf(stderr, "usage: mhd_floor [THREADS]\n");
            return 2;
        }
    }
    resp = MHD_create_response_from_buffer(sizeof REPLY - 1, (void *)REPLY,
                                           MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return 1;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    memset(&addr, 0, sizeof addr);       /* 127.0.0.1, a free port */
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                         on_request, resp, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
                         MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "mhd_floor: cannot start\n");
        return 1;
    }
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening port=%u\n", info ? (unsigned)info->port : 0u);
    fflush(stdout);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    MHD_destroy_response(resp);
    return 0;
}
