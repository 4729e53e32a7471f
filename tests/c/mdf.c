/*
 * MMDAgent-EX .mdf configuration through the C ABI: omnisock_client_config_from_mdf builds a
 * line-framed client from Plugin_Remote_Websocket_Host/_Port/_Directory; a host route at
 * /lines on an in-process hub talks to it in "\n"-terminated lines.
 */
#include "common.h"

/* The .mdf text, in a heap buffer of exactly its length (no NUL: the API takes a length, and
 * valgrind would see any read past the end). Caller frees. */
static char *mdf_text(const char *fmt, unsigned port, size_t *len) {
    char tmp[1024];
    int n = snprintf(tmp, sizeof tmp, fmt, port);
    char *buf;
    REQUIRE(n > 0 && (size_t)n < sizeof tmp, "mdf text fits");
    buf = malloc((size_t)n);
    REQUIRE(buf != NULL, "malloc");
    memcpy(buf, tmp, (size_t)n);
    *len = (size_t)n;
    return buf;
}

/* from_mdf must fail with OMNISOCK_ERR_CONFIG, leave `out` alone, and name `key`. */
static void expect_config_error(const char *what, const char *text, const char *key) {
    omnisock_client_config out = 0x77;
    char msg[512];
    size_t len = strlen(text);
    char *buf = malloc(len ? len : 1);
    REQUIRE(buf != NULL, "malloc");
    memcpy(buf, text, len);
    CHECK_RC(omnisock_client_config_from_mdf(buf, len, &out), OMNISOCK_ERR_CONFIG);
    CHECK(out == 0x77, "%s: out-param not written on failure", what);
    last_error_str(msg, sizeof msg);
    CHECK(strstr(msg, key) != NULL, "%s: last_error names %s (\"%s\")", what, key, msg);
    free(buf);
}

static const char MDF[] =
    "# MMDAgent-EX remote control\n"
    "Plugin_Remote_EnableServer=false\n"
    "Plugin_Remote_Websocket_Host=127.0.0.1\n"
    "Plugin_Remote_Websocket_Port=%u\n"
    "Plugin_Remote_Websocket_Directory=/lines\n"
    "Other_Key=ignored\n";

/* CRLF line ends, blanks around '=', directory without the leading '/'. */
static const char MDF_CRLF[] =
    "Plugin_Remote_Websocket_Directory = lines\r\n"
    "  Plugin_Remote_Websocket_Host = 127.0.0.1  \r\n"
    "Plugin_Remote_Websocket_Port = %u\r\n";

int main(void) {
    omnisock_hub_config hcfg = 0;
    omnisock_hub hub = 0;
    uint16_t port = 0;
    os_src hsrc, cli, cli2;
    const os_ev *e;
    omnisock_client_config cfg = 0;
    omnisock_client c = 0;
    uint64_t conn = 0;
    size_t len = 0;
    char *text;

    printf("omnisock %s: .mdf client config\n", omnisock_version());

    REQUIRE_RC(omnisock_hub_config_new("127.0.0.1:0", &hcfg));
    REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "/lines", OMNISOCK_ROUTE_HOST, 0, OMNISOCK_OVERFLOW_CLOSE));
    REQUIRE_RC(omnisock_hub_start(hcfg, &hub));
    REQUIRE_RC(omnisock_hub_local_port(hub, &port));
    src_init(&hsrc, "hub", true, hub);

    /* ---- connect from the .mdf ---- */
    text = mdf_text(MDF, port, &len);
    CHECK_RC(omnisock_client_config_from_mdf(text, len, &cfg), OMNISOCK_OK);
    free(text);
    REQUIRE(cfg != 0, "from_mdf gave a config handle");
    REQUIRE_RC(omnisock_client_connect(cfg, &c));
    src_init(&cli, "mdf-client", false, c);
    e = wait_for_event(&cli, OMNISOCK_EVENT_OPEN, WAIT_MS);
    REQUIRE(e != NULL, "client OPEN");
    CHECK(strcmp(e->path, "/lines") == 0, "client connected to /lines (got %s)", e->path);
    e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
    REQUIRE(e != NULL, "hub OPEN on /lines");
    conn = e->conn;
    CHECK(strcmp(e->path, "/lines") == 0, "hub OPEN path /lines");

    /* ---- host -> client: one message, two lines ---- */
    CHECK_RC(omnisock_hub_send_text(hub, conn, "a\nb\n", 4), OMNISOCK_OK);
    e = wait_for_event(&cli, OMNISOCK_EVENT_TEXT, WAIT_MS);
    CHECK(ev_data_str(e, "a"), "first line event is \"a\" (data_len %zu)", e ? e->data_len : 0);
    e = wait_for_event(&cli, OMNISOCK_EVENT_TEXT, WAIT_MS);
    CHECK(ev_data_str(e, "b"), "second line event is \"b\"");

    /* a line split over two messages, CRLF and empty lines */
    CHECK_RC(omnisock_hub_send_text(hub, conn, "par", 3), OMNISOCK_OK);
    {
        static const char rest[] = "tial\r\n\nMOTION|0|x\n";
        CHECK_RC(omnisock_hub_send_text(hub, conn, rest, strlen(rest)), OMNISOCK_OK);
    }
    e = wait_for_event(&cli, OMNISOCK_EVENT_TEXT, WAIT_MS);
    CHECK(ev_data_str(e, "partial"), "a line split across two messages arrives once, without \\r\\n (got \"%s\")",
          e ? (const char *)e->data : "-");
    e = wait_for_event(&cli, OMNISOCK_EVENT_TEXT, WAIT_MS);
    CHECK(ev_data_str(e, "MOTION|0|x"), "empty line skipped; next line \"MOTION|0|x\"");

    /* ---- client -> host: "\n" appended ---- */
    CHECK_RC(omnisock_client_send_text(c, "hello", 5), OMNISOCK_OK);
    e = wait_for_event(&hsrc, OMNISOCK_EVENT_TEXT, WAIT_MS);
    CHECK(e && e->conn == conn && ev_data_str(e, "hello\n"), "host receives \"hello\\n\" (data_len %zu)", e ? e->data_len : 0);
    CHECK_RC(omnisock_client_send_text(c, "done\n", 5), OMNISOCK_OK);
    e = wait_for_event(&hsrc, OMNISOCK_EVENT_TEXT, WAIT_MS);
    CHECK(ev_data_str(e, "done\n"), "a text already ending in \\n is sent unchanged");

    /* ---- an unterminated tail is delivered when the connection ends ---- */
    CHECK_RC(omnisock_hub_send_text(hub, conn, "tail", 4), OMNISOCK_OK);
    CHECK_RC(omnisock_hub_close_connection(hub, conn, 1000, "end"), OMNISOCK_OK);
    e = wait_for_event(&cli, OMNISOCK_EVENT_TEXT, WAIT_MS);
    CHECK(ev_data_str(e, "tail"), "unterminated tail arrives at close (got \"%s\", data_len %zu)", e ? (const char *)e->data : "-", e ? e->data_len : 0);
    e = wait_for_event(&cli, OMNISOCK_EVENT_CLOSE, WAIT_MS);
    CHECK(e && e->code == 1000, "client CLOSE 1000 after the tail");
    e = wait_for_event(&hsrc, OMNISOCK_EVENT_CLOSE, WAIT_MS);
    CHECK(e && e->conn == conn, "hub CLOSE for the mdf connection");
    src_clear(&cli);
    omnisock_client_free(c);
    omnisock_client_config_free(cfg);

    /* ---- CRLF, blanks, directory without '/' ---- */
    text = mdf_text(MDF_CRLF, port, &len);
    cfg = 0;
    CHECK_RC(omnisock_client_config_from_mdf(text, len, &cfg), OMNISOCK_OK);
    free(text);
    if (cfg) {
        CHECK_RC(omnisock_client_connect(cfg, &c), OMNISOCK_OK);
        src_init(&cli2, "mdf-crlf", false, c);
        e = wait_for_event(&cli2, OMNISOCK_EVENT_OPEN, WAIT_MS);
        CHECK(e && strcmp(e->path, "/lines") == 0, "CRLF .mdf with \"lines\" connects to /lines");
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
        CHECK(e && strcmp(e->path, "/lines") == 0, "hub OPEN for the CRLF client");
        conn = e ? e->conn : 0;
        CHECK_RC(omnisock_hub_send_text(hub, conn, "x\ny\n", 4), OMNISOCK_OK);
        e = wait_for_event(&cli2, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "x"), "line framing is on for the CRLF config too (x)");
        e = wait_for_event(&cli2, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "y"), "line framing is on for the CRLF config too (y)");
        CHECK_RC(omnisock_client_close(c, 1000, NULL), OMNISOCK_OK);
        e = wait_for_event(&cli2, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->code == 1000, "CRLF client closes");
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e != NULL, "hub CLOSE for the CRLF client");
        src_clear(&cli2);
        omnisock_client_free(c);
        omnisock_client_config_free(cfg);
    }

    /* ---- port 443 means wss:// (seen in the connect error, which names the URL) ---- */
    {
        static const char mdf443[] =
            "Plugin_Remote_Websocket_Host=127.0.0.1\nPlugin_Remote_Websocket_Port=443\nPlugin_Remote_Websocket_Directory=/lines\n";
        os_src s;
        cfg = 0;
        CHECK_RC(omnisock_client_config_from_mdf(mdf443, strlen(mdf443), &cfg), OMNISOCK_OK);
        CHECK_RC(omnisock_client_config_set_connect_timeout_ms(cfg, 5000), OMNISOCK_OK);
        CHECK_RC(omnisock_client_connect(cfg, &c), OMNISOCK_OK);
        src_init(&s, "mdf-443", false, c);
        e = wait_for_event(&s, OMNISOCK_EVENT_ERROR, WAIT_MS);
        CHECK(e && strstr((const char *)e->data, "wss://127.0.0.1:443/lines") != NULL,
              "port 443 connects with wss:// (error: %s)", e ? (const char *)e->data : "-");
        e = wait_for_event(&s, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->code == 1006, "then CLOSE 1006");
        src_clear(&s);
        omnisock_client_free(c);
        omnisock_client_config_free(cfg);
    }

    /* ---- errors ---- */
    expect_config_error("no host", "Plugin_Remote_Websocket_Port=9001\nPlugin_Remote_Websocket_Directory=/x\n",
                        "Plugin_Remote_Websocket_Host");
    expect_config_error("empty host", "Plugin_Remote_Websocket_Host=\nPlugin_Remote_Websocket_Port=9001\n",
                        "Plugin_Remote_Websocket_Host");
    expect_config_error("port not a number", "Plugin_Remote_Websocket_Host=h\nPlugin_Remote_Websocket_Port=http\n",
                        "Plugin_Remote_Websocket_Port");
    expect_config_error("port out of range", "Plugin_Remote_Websocket_Host=h\nPlugin_Remote_Websocket_Port=70000\n",
                        "Plugin_Remote_Websocket_Port");
    expect_config_error("commented-out keys", "#Plugin_Remote_Websocket_Host=h\n#Plugin_Remote_Websocket_Port=1\n",
                        "Plugin_Remote_Websocket_Host");
    expect_config_error("empty text", "", "Plugin_Remote_Websocket_Host");
    {
        omnisock_client_config out = 0x77;
        static const char bad[] = "Plugin_Remote_Websocket_Host=\xff\xfe\nPlugin_Remote_Websocket_Port=1\n";
        CHECK_RC(omnisock_client_config_from_mdf(bad, strlen(bad), &out), OMNISOCK_ERR_CONFIG);
        CHECK_RC(omnisock_client_config_from_mdf(NULL, 10, &out), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_from_mdf(MDF, strlen(MDF), NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK(out == 0x77, "out-param untouched by the failures");
    }

    CHECK_RC(omnisock_hub_shutdown(hub), OMNISOCK_OK);
    src_clear(&hsrc);
    omnisock_hub_free(hub);
    omnisock_hub_config_free(hcfg);
    CHECK_RC(omnisock_runtime_shutdown(5000), OMNISOCK_OK);
    return finish();
}
