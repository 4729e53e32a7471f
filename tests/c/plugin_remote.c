/*
 * MMDAgent-EX Plugin_Remote behaviours of a client made from an .mdf through the C ABI:
 * an .mdf with Shift_JIS comments and values of other keys is read; `X-App-Type: MMDAgent`
 * is sent; HTTP 429 is retried with the directory "<directory>-N"; with
 * Plugin_Remote_RetryCount a dropped connection is reconnected (every 0.5 s); a missing
 * port means 80; a needed value that is not UTF-8 is a config error naming key and line.
 * The server is an in-process hub whose host decides each handshake.
 */
#include "common.h"

/* Comments and another key's value in Shift_JIS ("接続先", "テスト"), CRLF line ends. */
static const char MDF_SJIS[] =
    "# \x90\xda\x91\xb1\x90\xe6\r\n"
    "Other_Key=\x83\x65\x83\x58\x83\x67\r\n"
    "Plugin_Remote_Websocket_Host=127.0.0.1\r\n"
    "Plugin_Remote_Websocket_Port=%u\r\n"
    "Plugin_Remote_Websocket_Directory=/agent\r\n"
    "Plugin_Remote_RetryCount=3\r\n";

/* The next HANDSHAKE of the hub; checks its path. Returns its connection id (0 if none). */
static uint64_t handshake_at(os_src *hub, const char *path) {
    const os_ev *e = wait_for_event(hub, OMNISOCK_EVENT_HANDSHAKE, WAIT_MS);
    CHECK(e && strcmp(e->path, path) == 0, "handshake at %s (got %s)", path, e ? e->path : "-");
    if (e) CHECK(e->headers && contains_ci(e->headers, "X-App-Type: MMDAgent\r\n"), "X-App-Type: MMDAgent sent to %s", path);
    return e ? e->conn : 0;
}

int main(void) {
    omnisock_hub_config hcfg = 0;
    omnisock_hub hub = 0;
    uint16_t port = 0;
    os_src hsrc, cli;
    const os_ev *e;
    omnisock_client_config cfg = 0;
    omnisock_client c = 0;
    uint64_t conn;
    char text[1024];
    int n;

    printf("omnisock %s: MMDAgent-EX Plugin_Remote behaviours\n", omnisock_version());

    REQUIRE_RC(omnisock_hub_config_new("127.0.0.1:0", &hcfg));
    REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "*", OMNISOCK_ROUTE_HOST, 0, OMNISOCK_OVERFLOW_CLOSE));
    REQUIRE_RC(omnisock_hub_config_set_route_host_accepts(hcfg, "*", true));
    REQUIRE_RC(omnisock_hub_start(hcfg, &hub));
    REQUIRE_RC(omnisock_hub_local_port(hub, &port));
    src_init(&hsrc, "hub", true, hub);

    n = snprintf(text, sizeof text, MDF_SJIS, port);
    REQUIRE(n > 0 && (size_t)n < sizeof text, "mdf text fits");
    CHECK_RC(omnisock_client_config_from_mdf(text, (size_t)n, &cfg), OMNISOCK_OK);
    REQUIRE(cfg != 0, "an .mdf with Shift_JIS comments gives a config");
    REQUIRE_RC(omnisock_client_connect(cfg, &c));
    src_init(&cli, "agent", false, c);

    /* ---- 429: the directory is in use, the next attempt takes "/agent-1" ---- */
    conn = handshake_at(&hsrc, "/agent");
    CHECK_RC(omnisock_hub_reject(hub, conn, 429, "channel in use"), OMNISOCK_OK);
    e = wait_for_event(&cli, OMNISOCK_EVENT_REJECTED, WAIT_MS);
    CHECK(e && e->code == 429, "the client reports the 429 refusal");
    e = wait_for_event(&cli, OMNISOCK_EVENT_ERROR, WAIT_MS);
    CHECK(e != NULL, "then an ERROR");
    e = wait_for_event(&cli, OMNISOCK_EVENT_RECONNECTING, WAIT_MS);
    CHECK(e != NULL, "then RECONNECTING (a retry of Plugin_Remote_RetryCount)");
    conn = handshake_at(&hsrc, "/agent-1");
    CHECK_RC(omnisock_hub_accept(hub, conn, NULL), OMNISOCK_OK);
    e = wait_for_event(&cli, OMNISOCK_EVENT_OPEN, WAIT_MS);
    CHECK(e && strcmp(e->path, "/agent-1") == 0, "open at /agent-1 (got %s)", e ? e->path : "-");
    e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
    CHECK(e && e->conn == conn, "hub OPEN for /agent-1");
    CHECK_RC(omnisock_hub_send_text(hub, conn, "TEST_MESSAGE\n", 13), OMNISOCK_OK);
    e = wait_for_event(&cli, OMNISOCK_EVENT_TEXT, WAIT_MS);
    CHECK(ev_data_str(e, "TEST_MESSAGE"), "line framing: TEST_MESSAGE arrives");

    /* ---- the server drops the connection: RetryCount reconnects, at the directory again ---- */
    CHECK_RC(omnisock_hub_close_connection(hub, conn, 1001, "server restarting"), OMNISOCK_OK);
    e = wait_for_event(&cli, OMNISOCK_EVENT_RECONNECTING, WAIT_MS);
    CHECK(e != NULL, "a lost connection is retried (RECONNECTING, not CLOSE)");
    e = wait_for_event(&hsrc, OMNISOCK_EVENT_CLOSE, WAIT_MS);
    CHECK(e && e->conn == conn, "hub CLOSE of the dropped connection");
    conn = handshake_at(&hsrc, "/agent");
    CHECK_RC(omnisock_hub_accept(hub, conn, NULL), OMNISOCK_OK);
    e = wait_for_event(&cli, OMNISOCK_EVENT_OPEN, WAIT_MS);
    CHECK(e && strcmp(e->path, "/agent") == 0, "reconnected at /agent");
    e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
    CHECK(e && e->conn == conn, "hub OPEN after the reconnect");
    CHECK_RC(omnisock_client_send_text(c, "hello", 5), OMNISOCK_OK);
    e = wait_for_event(&hsrc, OMNISOCK_EVENT_TEXT, WAIT_MS);
    CHECK(ev_data_str(e, "hello\n"), "messages flow after the reconnect");
    CHECK_RC(omnisock_client_close(c, 1000, NULL), OMNISOCK_OK);
    e = wait_for_event(&cli, OMNISOCK_EVENT_CLOSE, WAIT_MS);
    CHECK(e && e->code == 1000, "client closes");
    src_clear(&cli);
    omnisock_client_free(c);
    omnisock_client_config_free(cfg);

    /* ---- no port: 80 (seen in the connect error, which names the URL) ---- */
    {
        static const char noport[] = "Plugin_Remote_Websocket_Host=127.0.0.1\nPlugin_Remote_Websocket_Directory=/x\n";
        os_src s;
        cfg = 0;
        CHECK_RC(omnisock_client_config_from_mdf(noport, strlen(noport), &cfg), OMNISOCK_OK);
        CHECK_RC(omnisock_client_connect(cfg, &c), OMNISOCK_OK);
        src_init(&s, "no-port", false, c);
        e = wait_for_event(&s, OMNISOCK_EVENT_ERROR, WAIT_MS);
        CHECK(e && strstr((const char *)e->data, "ws://127.0.0.1:80/x") != NULL, "a missing port means 80 (error: %s)",
              e ? (const char *)e->data : "-");
        src_clear(&s);
        omnisock_client_free(c);
        omnisock_client_config_free(cfg);
    }

    /* ---- a needed value that is not UTF-8 ---- */
    {
        omnisock_client_config out = 0x77;
        char msg[512];
        static const char bad[] = "# ok\nPlugin_Remote_Websocket_Host=\x83\x65\nPlugin_Remote_Websocket_Port=1\n";
        CHECK_RC(omnisock_client_config_from_mdf(bad, strlen(bad), &out), OMNISOCK_ERR_CONFIG);
        last_error_str(msg, sizeof msg);
        CHECK(strstr(msg, "Plugin_Remote_Websocket_Host") && strstr(msg, "line 2"), "the error names key and line (\"%s\")", msg);
        CHECK(out == 0x77, "out-param untouched");
    }

    CHECK_RC(omnisock_hub_shutdown(hub), OMNISOCK_OK);
    src_clear(&hsrc);
    omnisock_hub_free(hub);
    omnisock_hub_config_free(hcfg);
    CHECK_RC(omnisock_runtime_shutdown(5000), OMNISOCK_OK);
    return finish();
}
