/*
 * omnisock_hub_accept_with_headers: the host's extra headers (a Server header, cookies) reach
 * the client in the 101 response; the handshake's own headers are not replaced; bad input
 * (NULL array with a count, NULL name or value, a name that is no token, a value with CR/LF,
 * too many headers, a bad handle) fails with a clear code and leaves the handshake waiting.
 */
#include "common.h"

int main(void) {
    omnisock_hub_config hcfg = 0;
    omnisock_hub hub = 0;
    uint16_t port = 0;
    os_src hsrc, cli;
    const os_ev *e;
    omnisock_client_config cfg;
    omnisock_client c = 0;
    uint64_t conn;
    char msg[512];

    printf("omnisock %s: accept with response headers\n", omnisock_version());

    REQUIRE_RC(omnisock_hub_config_new("127.0.0.1:0", &hcfg));
    REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "/chat", OMNISOCK_ROUTE_HOST, 0, OMNISOCK_OVERFLOW_CLOSE));
    REQUIRE_RC(omnisock_hub_config_set_route_host_accepts(hcfg, "/chat", true));
    REQUIRE_RC(omnisock_hub_start(hcfg, &hub));
    REQUIRE_RC(omnisock_hub_local_port(hub, &port));
    src_init(&hsrc, "hub", true, hub);

    cfg = local_config(port, "/chat");
    REQUIRE_RC(omnisock_client_connect(cfg, &c));
    src_init(&cli, "client", false, c);
    e = wait_for_event(&hsrc, OMNISOCK_EVENT_HANDSHAKE, WAIT_MS);
    REQUIRE(e != NULL, "a HANDSHAKE at /chat");
    conn = e->conn;

    /* ---- misuse: each fails, the handshake keeps waiting ---- */
    {
        omnisock_header bad_name[] = {{"Bad Name", "x"}};
        omnisock_header colon_name[] = {{"X-A:", "x"}};
        omnisock_header crlf_value[] = {{"X-Ok", "a\r\nSet-Cookie: evil=1"}};
        omnisock_header null_name[] = {{NULL, "x"}};
        omnisock_header null_value[] = {{"X-Ok", NULL}};
        omnisock_header latin1[] = {{"X-Ok", "\xe9t\xe9"}};
        omnisock_header ok[] = {{"X-Ok", "1"}};
        static omnisock_header many[257];
        size_t i;
        for (i = 0; i < 257; i++) { many[i].name = "X-Many"; many[i].value = "1"; }

        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn, NULL, NULL, 1), OMNISOCK_ERR_INVALID_ARGUMENT);
        last_error_str(msg, sizeof msg);
        CHECK(strstr(msg, "headers is NULL") != NULL, "NULL array with count 1 is named (\"%s\")", msg);
        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn, NULL, bad_name, 1), OMNISOCK_ERR_INVALID_ARGUMENT);
        last_error_str(msg, sizeof msg);
        CHECK(strstr(msg, "Bad Name") != NULL, "a name with a space is refused and named (\"%s\")", msg);
        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn, NULL, colon_name, 1), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn, NULL, crlf_value, 1), OMNISOCK_ERR_INVALID_ARGUMENT);
        last_error_str(msg, sizeof msg);
        CHECK(strstr(msg, "CR, LF") != NULL, "a value with CRLF is refused (\"%s\")", msg);
        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn, NULL, null_name, 1), OMNISOCK_ERR_INVALID_ARGUMENT);
        last_error_str(msg, sizeof msg);
        CHECK(strstr(msg, "headers[0].name") != NULL, "a NULL name is named (\"%s\")", msg);
        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn, NULL, null_value, 1), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn, NULL, latin1, 1), OMNISOCK_ERR_INVALID_UTF8);
        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn, NULL, many, 257), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_accept_with_headers(0, conn, NULL, ok, 1), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_accept_with_headers(hub + 0x1000, conn, NULL, ok, 1), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn + 999, NULL, ok, 1), OMNISOCK_ERR_NOT_FOUND);
        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn, "\xff", ok, 1), OMNISOCK_ERR_INVALID_UTF8);
    }

    /* ---- the real accept: headers reach the client, the handshake's own stay ---- */
    {
        omnisock_header hs[] = {
            {"Server", "omnisock-test/1"},
            {"Set-Cookie", "session=abc123; Path=/chat"},
            {"Set-Cookie", "theme=dark"},
            {"Sec-WebSocket-Accept", "forged"},
        };
        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn, NULL, hs, 4), OMNISOCK_OK);
        e = wait_for_event(&cli, OMNISOCK_EVENT_OPEN, WAIT_MS);
        REQUIRE(e && e->headers, "the client opens and sees the response headers");
        CHECK(contains_ci(e->headers, "Server: omnisock-test/1\r\n"), "Server header arrives (%s)", e->headers);
        CHECK(contains_ci(e->headers, "Set-Cookie: session=abc123; Path=/chat\r\n"), "first cookie arrives");
        CHECK(contains_ci(e->headers, "Set-Cookie: theme=dark\r\n"), "second cookie arrives");
        CHECK(!contains_ci(e->headers, "forged"), "Sec-WebSocket-Accept is not replaced");
        CHECK(contains_ci(e->headers, "Sec-WebSocket-Accept: "), "the real Sec-WebSocket-Accept is there");
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
        CHECK(e && e->conn == conn, "hub OPEN");
        /* decided already: a second decision finds nothing waiting */
        CHECK_RC(omnisock_hub_accept_with_headers(hub, conn, NULL, NULL, 0), OMNISOCK_ERR_NOT_FOUND);
        CHECK_RC(omnisock_hub_send_text(hub, conn, "hi", 2), OMNISOCK_OK);
        e = wait_for_event(&cli, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "hi"), "messages flow");
    }

    CHECK_RC(omnisock_client_close(c, 1000, NULL), OMNISOCK_OK);
    e = wait_for_event(&cli, OMNISOCK_EVENT_CLOSE, WAIT_MS);
    CHECK(e && e->code == 1000, "client closes");
    src_clear(&cli);
    omnisock_client_free(c);
    omnisock_client_config_free(cfg);
    CHECK_RC(omnisock_hub_shutdown(hub), OMNISOCK_OK);
    src_clear(&hsrc);
    omnisock_hub_free(hub);
    omnisock_hub_config_free(hcfg);
    CHECK_RC(omnisock_runtime_shutdown(5000), OMNISOCK_OK);
    return finish();
}
