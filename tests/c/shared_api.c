/* The C side of the capabilities every binding shares: a client configuration given as one
 * JSON document (human sizes and durations, validated by the core), fallback URLs, and the hub's
 * send_many, queued bytes, pause/resume reading and metrics text. */
#include "common.h"

/* Copies the hub's Prometheus text into a malloc'd string (NULL on failure). */
static char *hub_metrics(omnisock_hub h) {
    size_t need = 0;
    char *buf;
    if (omnisock_hub_metrics_text(h, NULL, 0, &need) != OMNISOCK_ERR_BUFFER_TOO_SMALL) return NULL;
    buf = malloc(need + 1);
    if (buf == NULL) return NULL;
    if (omnisock_hub_metrics_text(h, buf, need + 1, &need) != OMNISOCK_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The next event of `kind`, passing over others (at most 16 of them). */
static const os_ev *skip_to(os_src *s, omnisock_event_kind kind) {
    for (int i = 0; i < 16; i++) {
        const os_ev *e = next_event(s, WAIT_MS);
        if (e == NULL || e->kind == kind) return e;
    }
    return NULL;
}

int main(void) {
    omnisock_hub_config hcfg = 0;
    omnisock_hub hub = 0;
    omnisock_client_config cfg = 0;
    omnisock_client c1 = 0, c2 = 0;
    uint16_t port = 0;
    os_src hsrc, s1, s2;
    const os_ev *e;
    char json[512];
    uint64_t conn1 = 0, conn2 = 0;

    printf("omnisock %s: C shared API\n", omnisock_version());

    /* ---- JSON configuration: bad documents fail with a clear code and leave nothing ---- */
    {
        static const char unknown[] = "{\"url\":\"ws://127.0.0.1:1/\",\"max_size\":1}";
        static const char zero[] = "{\"url\":\"ws://127.0.0.1:1/\",\"send_queue_limit\":0}";
        static const char bad_duration[] = "{\"url\":\"ws://127.0.0.1:1/\",\"connect_timeout\":\"soon\"}";
        static const char not_json[] = "{url";
        char msg[256];
        CHECK_RC(omnisock_client_config_from_json(unknown, strlen(unknown), &cfg), OMNISOCK_ERR_CONFIG);
        omnisock_last_error(msg, sizeof msg);
        CHECK(strstr(msg, "max_size") != NULL, "unknown key named in the error (%s)", msg);
        CHECK_RC(omnisock_client_config_from_json(zero, strlen(zero), &cfg), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_from_json(bad_duration, strlen(bad_duration), &cfg), OMNISOCK_ERR_CONFIG);
        CHECK_RC(omnisock_client_config_from_json(not_json, strlen(not_json), &cfg), OMNISOCK_ERR_CONFIG);
        CHECK_RC(omnisock_client_config_from_json(NULL, 5, &cfg), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_from_json("\xff", 1, &cfg), OMNISOCK_ERR_INVALID_UTF8);
        CHECK(cfg == 0, "no configuration handle written on failure");
    }

    /* ---- a hub with a host route ---- */
    REQUIRE_RC(omnisock_hub_config_new("127.0.0.1:0", &hcfg));
    REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "/host", OMNISOCK_ROUTE_HOST, 1 << 20, OMNISOCK_OVERFLOW_CLOSE));
    REQUIRE_RC(omnisock_hub_start(hcfg, &hub));
    REQUIRE_RC(omnisock_hub_local_port(hub, &port));
    src_init(&hsrc, "hub", true, hub);

    /* ---- client 1 from JSON, with a dead main URL and the hub as fallback ---- */
    snprintf(json, sizeof json,
             "{\"url\":\"ws://127.0.0.1:1/host\",\"fallback_urls\":[\"ws://127.0.0.1:%u/host\"],"
             "\"ping_interval\":\"off\",\"max_message_size\":\"1MiB\","
             "\"reconnect\":{\"max_attempts\":5,\"initial_delay\":\"10ms\",\"max_delay\":\"50ms\"}}",
             (unsigned)port);
    REQUIRE_RC(omnisock_client_config_from_json(json, strlen(json), &cfg));
    REQUIRE_RC(omnisock_client_connect(cfg, &c1));
    omnisock_client_config_free(cfg);
    src_init(&s1, "client 1", false, c1);
    e = skip_to(&s1, OMNISOCK_EVENT_RECONNECTING);
    CHECK(e != NULL, "the dead main URL leads to RECONNECTING");
    e = skip_to(&s1, OMNISOCK_EVENT_OPEN);
    CHECK(e != NULL, "client 1 opens through the fallback URL");
    e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
    REQUIRE(e != NULL, "hub sees client 1");
    conn1 = e->conn;

    /* ---- client 2 from setters, with a fallback URL as well ---- */
    {
        char url[128];
        snprintf(url, sizeof url, "ws://127.0.0.1:%u/host", (unsigned)port);
        REQUIRE_RC(omnisock_client_config_new("ws://127.0.0.1:1/host", &cfg));
        REQUIRE_RC(omnisock_client_config_add_fallback_url(cfg, url));
        CHECK_RC(omnisock_client_config_add_fallback_url(cfg, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        REQUIRE_RC(omnisock_client_config_set_reconnect(cfg, 5, 10, 50));
        CHECK_RC(omnisock_client_config_set_send_queue_limit(cfg, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_set_reconnect(cfg, 3, 100, 10), OMNISOCK_ERR_INVALID_ARGUMENT);
        REQUIRE_RC(omnisock_client_connect(cfg, &c2));
        omnisock_client_config_free(cfg);
        src_init(&s2, "client 2", false, c2);
        e = skip_to(&s2, OMNISOCK_EVENT_OPEN);
        CHECK(e != NULL, "client 2 opens through the fallback URL (a refused setter left the reconnect policy as set)");
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
        REQUIRE(e != NULL, "hub sees client 2");
        conn2 = e->conn;
    }

    /* ---- send_many: one message to both, unknown ids skipped ---- */
    {
        uint64_t conns[3] = {conn1, 0xdead, conn2};
        size_t n = 99;
        CHECK_RC(omnisock_hub_send_many(hub, conns, 3, (const uint8_t *)"to all", 6, true, &n), OMNISOCK_OK);
        CHECK(n == 2, "send_many reached 2 of 3 ids (got %zu)", n);
        e = wait_for_event(&s1, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "to all"), "client 1 got the send_many text");
        e = wait_for_event(&s2, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "to all"), "client 2 got the send_many text");
        CHECK_RC(omnisock_hub_send_many(hub, conns, 3, (const uint8_t *)"\xff", 1, true, &n), OMNISOCK_ERR_INVALID_UTF8);
        CHECK_RC(omnisock_hub_send_many(hub, NULL, 3, (const uint8_t *)"x", 1, false, &n), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_send_many(hub, conns, 3, (const uint8_t *)"x", 1, false, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
    }

    /* ---- queued bytes and pause/resume reading ---- */
    {
        size_t q = 99;
        CHECK_RC(omnisock_hub_queued_bytes(hub, conn1, &q), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_queued_bytes(hub, 0xdead, &q), OMNISOCK_ERR_NOT_FOUND);
        bool got1 = false, got2 = false;
        CHECK_RC(omnisock_hub_set_reading_paused(hub, conn1, true), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_set_reading_paused(hub, 0xdead, true), OMNISOCK_ERR_NOT_FOUND);
        CHECK_RC(omnisock_client_send_text(c1, "while paused", 12), OMNISOCK_OK);
        CHECK_RC(omnisock_client_send_text(c2, "not paused", 10), OMNISOCK_OK);
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_TEXT, WAIT_MS);
        got1 = e && e->conn == conn1 && ev_data_str(e, "while paused");
        got2 = e && e->conn == conn2 && ev_data_str(e, "not paused");
        CHECK(got2 || got1, "a text arrives from one of the clients");
        CHECK_RC(omnisock_hub_set_reading_paused(hub, conn1, false), OMNISOCK_OK);
        if (!(got1 && got2)) {
            e = wait_for_event(&hsrc, OMNISOCK_EVENT_TEXT, WAIT_MS);
            if (!got1) got1 = e && e->conn == conn1 && ev_data_str(e, "while paused");
            else got2 = e && e->conn == conn2 && ev_data_str(e, "not paused");
        }
        CHECK(got1 && got2, "both texts arrive once reading resumed (nothing lost while paused)");
    }

    /* ---- metrics text ---- */
    {
        char *m = hub_metrics(hub);
        char small[4];
        size_t need = 0;
        CHECK(m != NULL && strstr(m, "omnisock_") != NULL, "metrics text names omnisock_ counters");
        free(m);
        CHECK_RC(omnisock_hub_metrics_text(hub, small, sizeof small, &need), OMNISOCK_ERR_BUFFER_TOO_SMALL);
        CHECK(need > sizeof small, "the needed size is reported (%zu)", need);
        CHECK_RC(omnisock_hub_metrics_text(hub, small, sizeof small, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_metrics_text(0, small, sizeof small, &need), OMNISOCK_ERR_INVALID_HANDLE);
    }

    src_clear(&s1);
    src_clear(&s2);
    src_clear(&hsrc);
    omnisock_client_free(c1);
    omnisock_client_free(c2);
    CHECK_RC(omnisock_hub_shutdown(hub), OMNISOCK_OK);
    omnisock_hub_free(hub);
    return finish();
}
