/*
 * server.h - agentmemd's HTTP server: the AgentCore Memory API over libmicrohttpd.
 *
 * The daemon (src/daemon/main.c) opens the store, starts the server, and on SIGTERM stops
 * accepting (am_http_server_quiesce), waits for the requests in flight
 * (am_http_server_drain) and stops (am_http_server_stop).
 */
#ifndef AM_API_HTTP_SERVER_H
#define AM_API_HTTP_SERVER_H

#include "agentmem.h"

#include <stdbool.h>
#include <stddef.h>

struct am_http_server;
struct am_http_auth;

struct am_http_options {
    const char *listen;         /* "HOST:PORT", "[v6]:PORT", ":PORT" (all addresses) */
    unsigned threads;           /* worker threads (libmicrohttpd thread pool) */
    size_t max_body;            /* request body ceiling, bytes */
    unsigned timeout_s;         /* idle connection timeout, seconds */
    unsigned max_connections;
    bool access_log;            /* one info line per request */
    const struct am_http_auth *auth; /* NULL: signatures are not checked */
    double rate_limit;          /* requests per second per access key (or per client address
                                   without auth); 0: no limit */
    double rate_burst;          /* bucket size; 0: rate_limit (at least 1) */
    const char *tls_cert_pem;   /* both set: serve HTTPS with this certificate chain and key */
    const char *tls_key_pem;
};

/**
 * Start serving db. The handle is borrowed and must outlive the server.
 * @return 0, or -1 with a message in err.
 */
int am_http_server_start(am_db *db, const struct am_http_options *opt,
                         struct am_http_server **out, char *err, size_t err_len);

/** The bound port (useful with port 0), and the address as "HOST:PORT". */
unsigned am_http_server_port(const struct am_http_server *srv);
const char *am_http_server_address(const struct am_http_server *srv);

/** Stop accepting connections; open connections are served and then closed. */
void am_http_server_quiesce(struct am_http_server *srv);

/** Wait until no request is in flight or timeout_ms passed; true when drained. */
bool am_http_server_drain(struct am_http_server *srv, int timeout_ms);

/** Stop the worker threads, close every connection, free the server. Accepts NULL. */
void am_http_server_stop(struct am_http_server *srv);

#endif
