/*
 * main.c - agentmemd: open the store, serve the AgentCore Memory API, stop cleanly.
 *
 * Signals: SIGTERM and SIGINT are blocked in every thread and taken by the main thread with
 * sigwait(), which then stops accepting, waits for the requests in flight (at most
 * --shutdown-timeout), stops the workers, closes the store and exits 0.
 *
 * One agentmemd per store: the daemon holds an exclusive flock() on the SQLite file for its
 * whole life, so a second start on the same file is refused with a clear message. (flock
 * does not interact with SQLite's POSIX locks; the descriptor is closed only after
 * am_close(), so closing it cannot drop SQLite's locks.)
 */
#include "agentmem.h"

#include "api/http/auth.h"
#include "api/http/server.h"
#include "daemon/config.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The file behind a store URI, or NULL when it is not a local file. */
static const char *store_file(const char *uri)
{
    if (strstr(uri, "://") || strncmp(uri, "file:", 5) == 0 || strcmp(uri, ":memory:") == 0)
        return NULL;
    if (strncmp(uri, "sqlite:", 7) == 0)
        return uri + 7;
    return uri;
}

/* Take the exclusive lock; returns the descriptor, -1 when there is no file to lock,
 * -2 on failure (message printed). */
static int lock_store(const char *uri)
{
    const char *path = store_file(uri);
    int fd;

    if (!path)
        return -1;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "agentmemd: cannot open store %s: %s\n", path, strerror(errno));
        return -2;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            fprintf(stderr, "agentmemd: %s is already served by another agentmemd "
                            "(file locked); refusing to start\n", path);
        else
            fprintf(stderr, "agentmemd: cannot lock %s: %s\n", path, strerror(errno));
        close(fd);
        return -2;
    }
    return fd;
}

/* Whether a --listen address stays on this machine. */
static bool is_loopback(const char *listen)
{
    return strncmp(listen, "127.", 4) == 0 || strncmp(listen, "[::1]", 5) == 0 ||
           strncmp(listen, "localhost:", 10) == 0;
}

/* A PEM file's text (caller frees), or NULL with the reason on stderr. */
static char *read_pem(const char *path, const char *what)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t n = 0;
    if (f) {
        buf = malloc((1 << 20) + 1);
        n = buf ? fread(buf, 1, 1 << 20, f) : 0;
        fclose(f);
    }
    if (!buf || n == 0 || n >= (1 << 20) || !memmem(buf, n, "-----BEGIN ", 11)) {
        fprintf(stderr, "agentmemd: --%s %s: %s\n", what, path,
                !f ? strerror(errno) : "not a PEM file (up to 1 MiB)");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

int main(int argc, char **argv)
{
    struct am_config cfg;
    struct am_http_options opt = {0};
    struct am_http_server *srv = NULL;
    struct am_http_auth *auth = NULL;
    am_db *db = NULL;
    sigset_t set;
    char err[512];
    int lock_fd = -1, sig = 0, status = 1, rc;
    char *cert_pem = NULL, *key_pem = NULL;

    if (am_config_load(&cfg, argc, argv, err, sizeof err)) {
        fprintf(stderr, "agentmemd: %s\n(see agentmemd --help)\n", err);
        am_config_free(&cfg);
        return 2;
    }
    if (cfg.help) {
        am_config_usage(stdout);
        status = 0;
        goto out;
    }
    if (cfg.version) {
        printf("agentmemd %s\n", AM_VERSION);
        status = 0;
        goto out;
    }
    if (cfg.print_config) {
        am_config_print(&cfg, stdout);
        status = 0;
        goto out;
    }
    am_log_set_level(cfg.log_level);
    /* ARNs are built by the engine, which reads these when the store is opened. */
    setenv("AGENTMEM_REGION", cfg.region, 1);
    setenv("AGENTMEM_ACCOUNT", cfg.account, 1);
    if (cfg.auth_sigv4 && am_http_auth_load(cfg.credentials, &auth, err, sizeof err)) {
        fprintf(stderr, "agentmemd: --auth sigv4: %s\n", err);
        goto out;
    }
    /* Block the stop signals before any thread exists, so that only sigwait() sees them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    lock_fd = lock_store(cfg.db);
    if (lock_fd == -2)
        goto out;
    /* holding the file lock, this process is the store's only user */
    rc = am_open(cfg.db, lock_fd >= 0 ? AM_OPEN_EXCLUSIVE : 0, &db);
    if (rc) {
        fprintf(stderr, "agentmemd: cannot open store %s: %s\n", cfg.db, am_errmsg(NULL));
        goto out;
    }
    opt.listen = cfg.listen;
    opt.threads = cfg.threads;
    opt.max_body = cfg.max_body;
    opt.timeout_s = cfg.timeout_s;
    opt.max_connections = cfg.max_connections;
    opt.access_log = cfg.access_log;
    opt.auth = auth;
    opt.rate_limit = cfg.rate_limit;
    opt.rate_burst = cfg.rate_burst;
    if (cfg.tls_cert[0] && (!(cert_pem = read_pem(cfg.tls_cert, "tls-cert")) ||
                            !(key_pem = read_pem(cfg.tls_key, "tls-key"))))
        goto out;
    opt.tls_cert_pem = cert_pem;
    opt.tls_key_pem = key_pem;
    if (am_http_server_start(db, &opt, &srv, err, sizeof err)) {
        fprintf(stderr, "agentmemd: %s\n", err);
        goto out;
    }
    am_log(AM_LOG_INFO, "agentmemd",
           "listening addr=%s db=%s threads=%u auth=%s tls=%s max_body=%zu version=%s pid=%ld",
           am_http_server_address(srv), cfg.db, cfg.threads, auth ? "sigv4" : "none",
           cert_pem ? "on" : "off", cfg.max_body, AM_VERSION, (long)getpid());
    if (!is_loopback(cfg.listen)) {
        if (!auth)
            am_log(AM_LOG_WARN, "agentmemd", "WARNING: serving %s beyond this machine without "
                   "--auth sigv4: anyone who can reach it can read and change every memory",
                   am_http_server_address(srv));
        else if (!cert_pem)
            am_log(AM_LOG_WARN, "agentmemd", "WARNING: --auth sigv4 on %s without TLS: "
                   "memory contents cross the network in the clear (use --tls-cert/--tls-key "
                   "or a TLS proxy)", am_http_server_address(srv));
    }
    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            am_log(AM_LOG_INFO, "agentmemd", "SIGHUP ignored (restart to reload options)");
            continue;
        }
        break;
    }
    am_log(AM_LOG_INFO, "agentmemd", "%s: stopping, no new connections",
           sig == SIGINT ? "SIGINT" : "SIGTERM");
    am_http_server_quiesce(srv);
    if (!am_http_server_drain(srv, (int)cfg.shutdown_timeout_s * 1000))
        am_log(AM_LOG_WARN, "agentmemd", "requests still in flight after %us; closing them",
               cfg.shutdown_timeout_s);
    status = 0;
out:
    am_http_server_stop(srv);
    am_close(db);
    if (lock_fd >= 0)
        close(lock_fd);
    am_http_auth_free(auth);
    if (key_pem) {
        explicit_bzero(key_pem, strlen(key_pem));   /* the private key leaves with us */
        free(key_pem);
    }
    free(cert_pem);
    if (status == 0 && srv)
        am_log(AM_LOG_INFO, "agentmemd", "stopped");
    am_config_free(&cfg);
    return status;
}
