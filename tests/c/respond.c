/*
 * omnisock_hub_respond: a plain HTTP GET on a route with host_accepts arrives as a HANDSHAKE
 * event and the host answers it with its own status, headers and body; bad input (a status
 * outside 200-599, NULL arrays with a length, bad headers, a bad handle, an unknown request)
 * fails with a clear code and leaves the request waiting.
 */
#include "common.h"

#ifndef _WIN32
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* Connects to 127.0.0.1:port and sends `req`; returns the socket, or -1. */
static int http_send(uint16_t port, const char *req) {
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || send(fd, req, strlen(req), 0) != (ssize_t)strlen(req)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads the whole response (the server closes after it) into buf; bounded by WAIT_MS. */
static size_t http_read_all(int fd, char *buf, size_t cap) {
    size_t n = 0;
    uint64_t deadline = now_ms() + WAIT_MS;
    while (n + 1 < cap && now_ms() < deadline) {
        ssize_t r;
        if (!fd_readable(fd, 100)) continue;
        r = recv(fd, buf + n, cap - 1 - n, 0);
        if (r <= 0) break;
        n += (size_t)r;
    }
    buf[n] = 0;
    return n;
}
#endif

int main(void) {
    omnisock_hub_config hcfg = 0;
    omnisock_hub hub = 0;
    uint16_t port = 0;
    char msg[512];
    omnisock_header ok[] = {{"Content-Type", "text/html; charset=utf-8"}, {"X-Served-By", "respond-test"}};
    const char *page = "<h1>hello</h1>";

    printf("omnisock %s: the host answers plain HTTP requests\n", omnisock_version());

    REQUIRE_RC(omnisock_hub_config_new("127.0.0.1:0", &hcfg));
    REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "*", OMNISOCK_ROUTE_HOST, 0, OMNISOCK_OVERFLOW_CLOSE));
    REQUIRE_RC(omnisock_hub_config_set_route_host_accepts(hcfg, "*", true));
    REQUIRE_RC(omnisock_hub_start(hcfg, &hub));
    REQUIRE_RC(omnisock_hub_local_port(hub, &port));

    /* misuse without any request waiting */
    CHECK_RC(omnisock_hub_respond(0, 1, 200, NULL, 0, NULL, 0), OMNISOCK_ERR_INVALID_HANDLE);
    CHECK_RC(omnisock_hub_respond(hub + 0x1000, 1, 200, NULL, 0, NULL, 0), OMNISOCK_ERR_INVALID_HANDLE);
    CHECK_RC(omnisock_hub_respond(hub, 12345, 200, NULL, 0, NULL, 0), OMNISOCK_ERR_NOT_FOUND);
    last_error_str(msg, sizeof msg);
    CHECK(strstr(msg, "12345") != NULL, "an unknown request is named (\"%s\")", msg);

#ifndef _WIN32
    {
        os_src hsrc;
        const os_ev *e;
        uint64_t conn;
        char resp[4096];
        int fd;
        src_init(&hsrc, "hub", true, hub);
        fd = http_send(port, "GET /index.html?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Probe: yes\r\n\r\n");
        REQUIRE(fd >= 0, "connects and sends a GET");
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_HANDSHAKE, WAIT_MS);
        REQUIRE(e != NULL, "the GET arrives as a HANDSHAKE");
        conn = e->conn;
        CHECK(e->path && strcmp(e->path, "/index.html") == 0, "its path (%s)", e->path ? e->path : "-");
        CHECK(e->headers && contains_ci(e->headers, "X-Probe: yes"), "its headers");
        CHECK(e->headers && !contains_ci(e->headers, "Upgrade:"), "no Upgrade header: a plain request");

        /* ---- misuse: each fails, the request keeps waiting ---- */
        {
            omnisock_header crlf[] = {{"X-Ok", "a\r\nSet-Cookie: evil=1"}};
            omnisock_header null_name[] = {{NULL, "x"}};
            static omnisock_header many[257];
            size_t i;
            for (i = 0; i < 257; i++) { many[i].name = "X-Many"; many[i].value = "1"; }
            CHECK_RC(omnisock_hub_respond(hub, conn, 101, NULL, 0, NULL, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
            last_error_str(msg, sizeof msg);
            CHECK(strstr(msg, "200-599") != NULL, "status 101 is refused with the range (\"%s\")", msg);
            CHECK_RC(omnisock_hub_respond(hub, conn, 600, NULL, 0, NULL, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
            CHECK_RC(omnisock_hub_respond(hub, conn, 200, NULL, 2, NULL, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
            last_error_str(msg, sizeof msg);
            CHECK(strstr(msg, "headers is NULL") != NULL, "NULL headers with a count (\"%s\")", msg);
            CHECK_RC(omnisock_hub_respond(hub, conn, 200, NULL, 0, NULL, 5), OMNISOCK_ERR_INVALID_ARGUMENT);
            last_error_str(msg, sizeof msg);
            CHECK(strstr(msg, "body is NULL") != NULL, "NULL body with a length (\"%s\")", msg);
            CHECK_RC(omnisock_hub_respond(hub, conn, 200, crlf, 1, NULL, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
            CHECK_RC(omnisock_hub_respond(hub, conn, 200, null_name, 1, NULL, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
            CHECK_RC(omnisock_hub_respond(hub, conn, 200, many, 257, NULL, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
            CHECK_RC(omnisock_hub_respond(hub, conn, 200, NULL, 0, (const uint8_t *)"x", (size_t)17 << 20), OMNISOCK_ERR_INVALID_ARGUMENT);
            last_error_str(msg, sizeof msg);
            CHECK(strstr(msg, "at most") != NULL, "an oversized body is refused before it is read (\"%s\")", msg);
        }

        /* ---- the real answer ---- */
        CHECK_RC(omnisock_hub_respond(hub, conn, 200, ok, 2, (const uint8_t *)page, strlen(page)), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_respond(hub, conn, 200, ok, 2, NULL, 0), OMNISOCK_ERR_NOT_FOUND);
        http_read_all(fd, resp, sizeof resp);
        close(fd);
        CHECK(strncmp(resp, "HTTP/1.1 200", 12) == 0, "status line 200 (%.40s)", resp);
        CHECK(contains_ci(resp, "Content-Type: text/html; charset=utf-8\r\n"), "the host's content type");
        CHECK(contains_ci(resp, "X-Served-By: respond-test\r\n"), "the host's extra header");
        CHECK(contains_ci(resp, "Content-Length: 14\r\n"), "Content-Length is the body's length");
        CHECK(strstr(resp, "\r\n\r\n<h1>hello</h1>") != NULL, "the body follows the headers");

        /* a 404 with an empty body */
        fd = http_send(port, "GET /missing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        REQUIRE(fd >= 0, "a second GET");
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_HANDSHAKE, WAIT_MS);
        REQUIRE(e != NULL, "the second GET arrives");
        CHECK_RC(omnisock_hub_respond(hub, e->conn, 404, NULL, 0, NULL, 0), OMNISOCK_OK);
        http_read_all(fd, resp, sizeof resp);
        close(fd);
        CHECK(strncmp(resp, "HTTP/1.1 404", 12) == 0, "status line 404 (%.40s)", resp);
        CHECK(contains_ci(resp, "Content-Length: 0\r\n"), "empty body");
        src_clear(&hsrc);
    }
#endif

    CHECK_RC(omnisock_hub_shutdown(hub), OMNISOCK_OK);
    omnisock_hub_free(hub);
    omnisock_hub_config_free(hcfg);
    CHECK_RC(omnisock_runtime_shutdown(5000), OMNISOCK_OK);
    return finish();
}
