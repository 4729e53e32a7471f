/*
 * Round trip through the C ABI: an in-process hub (echo, relay and host routes) and C clients.
 * Exercises OPEN/TEXT/BINARY/CLOSE events, byte-exact payloads, host sends, groups, close
 * codes in both directions, status JSON, the wake fd and the wake callback.
 */
#include "common.h"

#include <stdatomic.h>

static atomic_int g_client_wakes;
static atomic_int g_hub_wakes;
static atomic_ullong g_wake_handle;

static void on_client_wake(void *user_data, uint64_t handle) {
    atomic_int *counter = user_data;
    atomic_store(&g_wake_handle, (unsigned long long)handle);
    atomic_fetch_add(counter, 1);
}

static void on_hub_wake(void *user_data, uint64_t handle) {
    (void)handle;
    atomic_fetch_add((atomic_int *)user_data, 1);
}

/* Waits (bounded) until *counter > 0: the callback runs on an omnisock thread. */
static bool wait_counter(atomic_int *counter, unsigned max_ms) {
    uint64_t deadline = now_ms() + max_ms;
    for (int i = 0; i < 100000; i++) {
        if (atomic_load(counter) > 0) return true;
        if (now_ms() >= deadline) return false;
        sleep_ms(1);
    }
    return false;
}

/* Connects a client and waits for its OPEN event. */
static omnisock_client open_client(os_src *src, const char *name, omnisock_client_config cfg) {
    omnisock_client c = 0;
    const os_ev *e;
    REQUIRE_RC(omnisock_client_connect(cfg, &c));
    REQUIRE(c != 0, "%s: client handle is not 0", name);
    src_init(src, name, false, c);
    e = wait_for_event(src, OMNISOCK_EVENT_OPEN, WAIT_MS);
    REQUIRE(e != NULL, "%s: OPEN event", name);
    return c;
}

/* Closes a client with 1000 and waits for its CLOSE event; then frees it. */
static void close_and_free(os_src *src) {
    const os_ev *e;
    CHECK_RC(omnisock_client_close(src->h, 1000, "done"), OMNISOCK_OK);
    e = wait_for_event(src, OMNISOCK_EVENT_CLOSE, WAIT_MS);
    CHECK(e && e->code == 1000 && (e->flags & OMNISOCK_EVENT_FLAG_CLEAN), "%s: CLOSE 1000 clean (code %u, flags %u)",
          src->name, e ? e->code : 0, e ? e->flags : 0);
    src_clear(src);
    omnisock_client_free(src->h);
}

int main(void) {
    omnisock_hub_config hcfg = 0;
    omnisock_hub hub = 0;
    uint16_t port = 0;
    os_src hsrc, echo, r1, r2, h1, h2;
    const os_ev *e;
    char *status;

    printf("omnisock %s: C round trip\n", omnisock_version());

    /* ---- hub with an echo, a relay and a host route ---- */
    REQUIRE_RC(omnisock_hub_config_new("127.0.0.1:0", &hcfg));
    REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "/echo", OMNISOCK_ROUTE_ECHO, 0, OMNISOCK_OVERFLOW_CLOSE));
    REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "/relay", OMNISOCK_ROUTE_RELAY, 0, OMNISOCK_OVERFLOW_DROP_OLDEST));
    REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "/host", OMNISOCK_ROUTE_HOST, 1 << 20, OMNISOCK_OVERFLOW_CLOSE));
    REQUIRE_RC(omnisock_hub_start(hcfg, &hub));
    REQUIRE_RC(omnisock_hub_local_port(hub, &port));
    REQUIRE(port != 0, "hub listens on 127.0.0.1:%u", (unsigned)port);
    src_init(&hsrc, "hub", true, hub);
    CHECK_RC(omnisock_hub_set_wake_callback(hub, on_hub_wake, &g_hub_wakes), OMNISOCK_OK);

    /* ---- echo: text and binary come back byte-exact ---- */
    {
        omnisock_client_config cfg = local_config(port, "/echo");
        omnisock_client c = open_client(&echo, "echo", cfg);
        omnisock_ready_state st = OMNISOCK_CLIENT_CONNECTING;
        int fd = -1;
        const char text[] = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x8e\x89"; /* UTF-8, 4-byte too */
        const char with_nul[] = {'a', '\0', 'b'};
        uint8_t small[256];
        size_t big_len = 300 * 1024;
        uint8_t *big = malloc(big_len);
        uint32_t x = 12345;
        REQUIRE(big != NULL, "malloc");
        for (int i = 0; i < 256; i++) small[i] = (uint8_t)i;
        for (size_t i = 0; i < big_len; i++) {
            x = x * 1103515245u + 12345u;
            big[i] = (uint8_t)(x >> 16);
        }

        CHECK(echo.last.path && strcmp(echo.last.path, "/echo") == 0, "client OPEN path is /echo (got %s)", echo.last.path);
        CHECK(echo.last.path_len == 5, "client OPEN path_len 5");
        CHECK(echo.last.remote && strstr(echo.last.remote, "127.0.0.1:") == echo.last.remote, "client OPEN remote %s", echo.last.remote);
        CHECK(contains_ci(echo.last.headers, "upgrade: websocket"), "client OPEN headers are the response headers");
        CHECK(echo.last.data_len == 0, "no subprotocol negotiated (data_len 0)");
        CHECK_RC(omnisock_client_state(c, &st), OMNISOCK_OK);
        CHECK(st == OMNISOCK_CLIENT_OPEN, "state is OPEN after the OPEN event");

#ifdef _WIN32
        /* no wake fd on Windows: a clear error, out-param untouched; the callback remains */
        CHECK_RC(omnisock_client_wake_fd(c, &fd), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK(fd == -1, "wake fd out-param untouched on Windows (%d)", fd);
        CHECK_RC(omnisock_client_set_wake_callback(c, on_client_wake, &g_client_wakes), OMNISOCK_OK);
        CHECK_RC(omnisock_client_send_text(c, text, strlen(text)), OMNISOCK_OK);
        e = wait_for_event(&echo, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_is(e, text, strlen(text)), "echo TEXT byte-exact, data_len %zu", e ? e->data_len : 0);
        CHECK(e && e->conn == 0, "client events have conn 0");
#else
        /* wake fd: not readable while the queue is empty */
        CHECK_RC(omnisock_client_wake_fd(c, &fd), OMNISOCK_OK);
        CHECK(fd >= 0, "wake fd %d", fd);
        CHECK(!fd_readable(fd, 0), "wake fd not readable with an empty queue");
        CHECK_RC(omnisock_client_set_wake_callback(c, on_client_wake, &g_client_wakes), OMNISOCK_OK);

        CHECK_RC(omnisock_client_send_text(c, text, strlen(text)), OMNISOCK_OK);
        CHECK(fd_readable(fd, (int)WAIT_MS), "wake fd becomes readable when an event is queued (poll(2))");
        CHECK(fd_readable(fd, 0), "wake fd stays readable until polled (level-triggered)");
        e = wait_for_event(&echo, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_is(e, text, strlen(text)), "echo TEXT byte-exact, data_len %zu", e ? e->data_len : 0);
        CHECK(e && e->conn == 0, "client events have conn 0");
        CHECK(!fd_readable(fd, 0), "wake fd not readable after the queue is drained");
#endif
        CHECK(wait_counter(&g_client_wakes, WAIT_MS), "client wake callback was called (%d times)", atomic_load(&g_client_wakes));
        CHECK(atomic_load(&g_wake_handle) == (unsigned long long)c, "wake callback got the client handle");

        CHECK_RC(omnisock_client_send_binary(c, small, sizeof small), OMNISOCK_OK);
        e = wait_for_event(&echo, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(ev_data_is(e, small, sizeof small), "echo BINARY of bytes 0..255 byte-exact");

        CHECK_RC(omnisock_client_send_binary(c, big, big_len), OMNISOCK_OK);
        e = wait_for_event(&echo, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(ev_data_is(e, big, big_len), "echo BINARY of %zu bytes byte-exact (got %zu)", big_len, e ? e->data_len : 0);

        CHECK_RC(omnisock_client_send_text(c, with_nul, sizeof with_nul), OMNISOCK_OK);
        e = wait_for_event(&echo, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_is(e, with_nul, sizeof with_nul), "TEXT with an embedded NUL: data_len 3, byte-exact");

        CHECK_RC(omnisock_client_send_text(c, NULL, 0), OMNISOCK_OK);
        e = wait_for_event(&echo, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(e && e->data_len == 0, "empty TEXT comes back with data_len 0");
        CHECK_RC(omnisock_client_send_binary(c, NULL, 0), OMNISOCK_OK);
        e = wait_for_event(&echo, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(e && e->data_len == 0, "empty BINARY comes back with data_len 0");

        /* Several messages, polled as one batch: order kept. */
        {
            int sent = 0;
            for (int i = 0; i < 20; i++) {
                char m[16];
                snprintf(m, sizeof m, "m%d", i);
                if (omnisock_client_send_text(c, m, strlen(m)) == OMNISOCK_OK) sent++;
            }
            CHECK(sent == 20, "20 sends queued at once (%d)", sent);
        }
        {
            int in_order = 0;
            for (int i = 0; i < 20; i++) {
                char m[16];
                snprintf(m, sizeof m, "m%d", i);
                e = wait_for_event(&echo, OMNISOCK_EVENT_TEXT, WAIT_MS);
                if (ev_data_str(e, m)) in_order++;
            }
            CHECK(in_order == 20, "20 echoed messages arrive in order (%d/20)", in_order);
        }
#ifndef _WIN32
        CHECK(!fd_readable(fd, 0), "wake fd not readable after draining everything");
#endif

        /* Borrowed pointers stay valid across other calls until the next poll: poll a batch,
         * then send and wait (not poll) on the same client before reading it. */
        {
            omnisock_event batch[8];
            size_t got = 0;
            bool ready = false;
            int valid = 0;
            CHECK_RC(omnisock_client_send_text(c, "b0", 2), OMNISOCK_OK);
            CHECK_RC(omnisock_client_send_text(c, "b1", 2), OMNISOCK_OK);
            CHECK_RC(omnisock_client_send_text(c, "b2", 2), OMNISOCK_OK);
            CHECK_RC(omnisock_client_wait(c, WAIT_MS, &ready), OMNISOCK_OK);
            CHECK_RC(omnisock_client_poll(c, batch, 8, &got), OMNISOCK_OK);
            CHECK(got >= 1 && got <= 3, "one poll returns 1 to 3 of the echoes (%zu)", got);
            CHECK_RC(omnisock_client_send_text(c, "z", 1), OMNISOCK_OK);
            CHECK_RC(omnisock_client_wait(c, WAIT_MS, &ready), OMNISOCK_OK);
            for (size_t i = 0; i < got && i < 3; i++) {
                char want[2] = {'b', (char)('0' + i)};
                if (batch[i].kind == OMNISOCK_EVENT_TEXT && batch[i].data_len == 2 && memcmp(batch[i].data, want, 2) == 0) valid++;
            }
            CHECK(valid == (int)got, "the polled batch is still readable after send/wait (%d/%zu)", valid, got);
            for (size_t i = got; i < 3; i++) {
                char want[3] = {'b', (char)('0' + i), 0};
                e = wait_for_event(&echo, OMNISOCK_EVENT_TEXT, WAIT_MS);
                CHECK(ev_data_str(e, want), "then echo %s", want);
            }
            e = wait_for_event(&echo, OMNISOCK_EVENT_TEXT, WAIT_MS);
            CHECK(ev_data_str(e, "z"), "then echo z");
        }

        /* Setting a callback while events are queued calls it at once, on this thread. */
        {
            bool ready = false;
            atomic_store(&g_client_wakes, 0);
            CHECK_RC(omnisock_client_set_wake_callback(c, NULL, NULL), OMNISOCK_OK);
            CHECK_RC(omnisock_client_send_text(c, "cb", 2), OMNISOCK_OK);
            CHECK_RC(omnisock_client_wait(c, WAIT_MS, &ready), OMNISOCK_OK);
            CHECK(ready, "echo queued");
            CHECK(atomic_load(&g_client_wakes) == 0, "a cleared callback is not called");
            CHECK_RC(omnisock_client_set_wake_callback(c, on_client_wake, &g_client_wakes), OMNISOCK_OK);
            CHECK(atomic_load(&g_client_wakes) == 1, "setting a callback with events queued calls it once, before returning (%d)",
                  atomic_load(&g_client_wakes));
            e = wait_for_event(&echo, OMNISOCK_EVENT_TEXT, WAIT_MS);
            CHECK(ev_data_str(e, "cb"), "echo \"cb\"");
        }

        /* ping: a PONG event with the same payload */
        CHECK_RC(omnisock_client_ping(c, (const uint8_t *)"pp\0q", 4), OMNISOCK_OK);
        e = wait_for_event(&echo, OMNISOCK_EVENT_PONG, WAIT_MS);
        CHECK(ev_data_is(e, "pp\0q", 4), "PONG carries the ping payload");

        CHECK_RC(omnisock_client_set_wake_callback(c, NULL, NULL), OMNISOCK_OK);
        free(big);
        omnisock_client_config_free(cfg);
    }

    /* ---- relay: the other client gets it, the sender does not ---- */
    {
        omnisock_client_config cfg = local_config(port, "/relay");
        const uint8_t bin[] = {0, 1, 2, 0xff, 0xfe};
        omnisock_client c1 = open_client(&r1, "relay-1", cfg);
        omnisock_client c2 = open_client(&r2, "relay-2", cfg);
        CHECK(c1 != c2, "two clients get different handles");
        CHECK(wait_route_connections(hub, "/relay", 2, WAIT_MS), "status JSON shows 2 connections on /relay");
        CHECK_RC(omnisock_client_send_text(c1, "relay-one", 9), OMNISOCK_OK);
        e = wait_for_event(&r2, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "relay-one"), "relay: client 2 receives client 1's text");
        CHECK_RC(omnisock_client_send_binary(c2, bin, sizeof bin), OMNISOCK_OK);
        e = wait_for_event(&r1, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(ev_data_is(e, bin, sizeof bin), "relay: client 1's next event is client 2's binary (its own text was not relayed back)");
        omnisock_client_config_free(cfg);
    }

    /* ---- host route: OPEN details, messages both ways ---- */
    uint64_t conn1 = 0, conn2 = 0;
    {
        omnisock_client_config cfg = local_config(port, "/host?room=a&x=1");
        const uint8_t bin[] = {9, 8, 7, 0, 6};
        omnisock_client c;
        char want_remote[64];
        CHECK_RC(omnisock_client_config_add_header(cfg, "X-Omnisock-Test", "c-abi-42"), OMNISOCK_OK);
        c = open_client(&h1, "host-1", cfg);
        CHECK(strcmp(h1.last.path, "/host") == 0 && strcmp(h1.last.query, "room=a&x=1") == 0,
              "client OPEN path /host, query room=a&x=1 (got %s ? %s)", h1.last.path, h1.last.query);

        e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
        REQUIRE(e != NULL, "hub: OPEN event for the host route");
        conn1 = e->conn;
        CHECK(conn1 != 0, "hub OPEN conn id is not 0 (%llu)", (unsigned long long)conn1);
        CHECK(strcmp(e->path, "/host") == 0 && e->path_len == 5, "hub OPEN path /host (got %s)", e->path);
        CHECK(strcmp(e->query, "room=a&x=1") == 0 && e->query_len == 10, "hub OPEN query room=a&x=1 (got %s)", e->query);
        snprintf(want_remote, sizeof want_remote, "127.0.0.1:");
        CHECK(strncmp(e->remote, want_remote, strlen(want_remote)) == 0 && e->remote_len == strlen(e->remote),
              "hub OPEN remote is the client's address (%s)", e->remote);
        CHECK(contains_ci(e->headers, "x-omnisock-test: c-abi-42\r\n"), "hub OPEN headers contain the custom header");
        CHECK(contains_ci(e->headers, "sec-websocket-key: "), "hub OPEN headers contain Sec-WebSocket-Key");
        CHECK(e->headers_len == strlen(e->headers), "headers_len matches the NUL-terminated string");
        CHECK(wait_counter(&g_hub_wakes, WAIT_MS), "hub wake callback was called");

        CHECK_RC(omnisock_client_send_text(c, "to-host", 7), OMNISOCK_OK);
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(e && e->conn == conn1 && ev_data_str(e, "to-host"), "hub gets TEXT \"to-host\" from conn %llu", (unsigned long long)conn1);
        CHECK_RC(omnisock_client_send_binary(c, bin, sizeof bin), OMNISOCK_OK);
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(e && e->conn == conn1 && ev_data_is(e, bin, sizeof bin), "hub gets the BINARY byte-exact");

        CHECK_RC(omnisock_hub_send_text(hub, conn1, "from-host", 9), OMNISOCK_OK);
        e = wait_for_event(&h1, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "from-host"), "client gets the host's TEXT");
        CHECK_RC(omnisock_hub_send_binary(hub, conn1, bin, sizeof bin), OMNISOCK_OK);
        e = wait_for_event(&h1, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(ev_data_is(e, bin, sizeof bin), "client gets the host's BINARY");

        /* second host client, for groups */
        open_client(&h2, "host-2", cfg);
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
        REQUIRE(e != NULL, "hub: OPEN for the second host client");
        conn2 = e->conn;
        CHECK(conn2 != 0 && conn2 != conn1, "second conn id differs (%llu)", (unsigned long long)conn2);
        omnisock_client_config_free(cfg);
    }

    {
        size_t n = 99;
        CHECK_RC(omnisock_hub_connection_count(hub, &n), OMNISOCK_OK);
        CHECK(n == 5, "connection_count is 5 (echo, 2 relay, 2 host): %zu", n);
    }

    /* ---- groups: join, publish with except, leave, broadcast ---- */
    {
        size_t n = 99, rcpt = 99;
        const uint8_t pb[] = {1, 2, 3};
        /* A rate cap needs a live route: /host has none. */
        CHECK_RC(omnisock_hub_set_max_rate(hub, conn1, 10.0), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_set_max_rate(hub, conn1, -1.0), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_set_max_rate(0, conn1, 10.0), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_join(hub, conn1, "room"), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_join(hub, conn2, "room"), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_join(hub, conn2, "room"), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_group_size(hub, "room", &n), OMNISOCK_OK);
        CHECK(n == 2, "group_size is 2 after three joins of two conns (join is idempotent): %zu", n);

        CHECK_RC(omnisock_hub_publish_text(hub, "room", conn1, "p1", 2, &rcpt), OMNISOCK_OK);
        CHECK(rcpt == 1, "publish except conn1 reaches 1 recipient (%zu)", rcpt);
        rcpt = 99;
        CHECK_RC(omnisock_hub_publish_binary(hub, "room", 0, pb, sizeof pb, &rcpt), OMNISOCK_OK);
        CHECK(rcpt == 2, "publish with except 0 reaches 2 recipients (%zu)", rcpt);
        CHECK_RC(omnisock_hub_publish_text(hub, "room", 0, "p3", 2, NULL), OMNISOCK_OK);

        e = wait_for_event(&h2, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "p1"), "conn2 gets p1");
        e = wait_for_event(&h2, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(ev_data_is(e, pb, sizeof pb), "conn2 gets the binary publish");
        e = wait_for_event(&h2, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "p3"), "conn2 gets p3");
        e = wait_for_event(&h1, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(ev_data_is(e, pb, sizeof pb), "conn1's next event is the binary publish (p1 excluded it)");
        e = wait_for_event(&h1, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "p3"), "conn1 gets p3");

        rcpt = 99;
        CHECK_RC(omnisock_hub_publish_text(hub, "nobody-here", 0, "x", 1, &rcpt), OMNISOCK_OK);
        CHECK(rcpt == 0, "publish to an empty group reaches 0 (%zu)", rcpt);

        CHECK_RC(omnisock_hub_leave(hub, conn2, "room"), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_group_size(hub, "room", &n), OMNISOCK_OK);
        CHECK(n == 1, "group_size is 1 after leave (%zu)", n);

        rcpt = 99;
        CHECK_RC(omnisock_hub_broadcast_text(hub, "/host", conn2, "bc", 2, &rcpt), OMNISOCK_OK);
        CHECK(rcpt == 1, "broadcast on /host except conn2 reaches 1 (%zu)", rcpt);
        CHECK_RC(omnisock_hub_broadcast_binary(hub, "/host", 0, pb, sizeof pb, &rcpt), OMNISOCK_OK);
        CHECK(rcpt == 2, "broadcast on /host with except 0 reaches 2 (%zu)", rcpt);
        e = wait_for_event(&h1, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "bc"), "conn1 gets the broadcast text");
        e = wait_for_event(&h1, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(ev_data_is(e, pb, sizeof pb), "conn1 gets the broadcast binary");
        e = wait_for_event(&h2, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(ev_data_is(e, pb, sizeof pb), "conn2's next event is the broadcast binary (text excluded it)");
        CHECK_RC(omnisock_hub_broadcast_text(hub, "/nope", 0, "x", 1, NULL), OMNISOCK_ERR_NOT_FOUND);
    }

    /* ---- client closes with 4001 + reason ---- */
    {
        omnisock_ready_state st = OMNISOCK_CLIENT_CONNECTING;
        size_t n = 99;
        CHECK_RC(omnisock_client_close(h1.h, 4001, "client-bye"), OMNISOCK_OK);
        CHECK_RC(omnisock_client_state(h1.h, &st), OMNISOCK_OK);
        CHECK(st == OMNISOCK_CLIENT_CLOSING || st == OMNISOCK_CLIENT_CLOSED, "state CLOSING (or CLOSED) right after close (%d)", (int)st);
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->conn == conn1 && e->code == 4001 && ev_data_str(e, "client-bye"),
              "hub sees CLOSE conn1 code 4001 reason \"client-bye\" (conn %llu code %u reason %s)",
              e ? (unsigned long long)e->conn : 0ull, e ? e->code : 0, e ? (const char *)e->data : "-");
        CHECK(e && (e->flags & OMNISOCK_EVENT_FLAG_CLEAN), "hub CLOSE is clean");
        e = wait_for_event(&h1, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->code == 4001 && (e->flags & OMNISOCK_EVENT_FLAG_CLEAN), "client sees CLOSE 4001, clean (code %u flags %u)",
              e ? e->code : 0, e ? e->flags : 0);
        CHECK_RC(omnisock_client_state(h1.h, &st), OMNISOCK_OK);
        CHECK(st == OMNISOCK_CLIENT_CLOSED, "state CLOSED after the CLOSE event");
        CHECK(next_event(&h1, 0) == NULL, "no event after CLOSE");
        CHECK_RC(omnisock_hub_send_text(hub, conn1, "late", 4), OMNISOCK_ERR_NOT_FOUND);
        CHECK_RC(omnisock_hub_group_size(hub, "room", &n), OMNISOCK_OK);
        CHECK(n == 0, "a closed connection leaves its groups (%zu)", n);
        src_clear(&h1);
        omnisock_client_free(h1.h);
    }

    /* ---- hub closes conn2 with 4002 "bye" ---- */
    {
        CHECK_RC(omnisock_hub_close_connection(hub, conn2, 4002, "bye"), OMNISOCK_OK);
        e = wait_for_event(&h2, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->code == 4002 && ev_data_str(e, "bye"), "client sees CLOSE 4002 \"bye\" (code %u reason %s)",
              e ? e->code : 0, e ? (const char *)e->data : "-");
        CHECK(e && (e->flags & OMNISOCK_EVENT_FLAG_CLEAN), "client CLOSE is clean");
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->conn == conn2 && e->code == 4002, "hub sees CLOSE conn2 code 4002 (code %u)", e ? e->code : 0);
        src_clear(&h2);
        omnisock_client_free(h2.h);
    }

    /* ---- status JSON ---- */
    {
        size_t need = 0, got = 0;
        char tiny[4] = {'x', 'x', 'x', 'x'};
        CHECK_RC(omnisock_hub_status_json(hub, NULL, 0, &need), OMNISOCK_ERR_BUFFER_TOO_SMALL);
        CHECK(need > 20, "status_json reports the needed length (%zu)", need);
        CHECK_RC(omnisock_hub_status_json(hub, tiny, sizeof tiny, &got), OMNISOCK_ERR_BUFFER_TOO_SMALL);
        CHECK(tiny[0] == 'x', "a too-small buffer is left untouched");
        status = hub_status(hub);
        CHECK(status != NULL, "status_json with a big enough buffer");
        if (status) {
            long long in = json_number(status, NULL, "messages_in");
            long long out = json_number(status, NULL, "messages_out");
            long long total = json_number(status, NULL, "connections_total");
            CHECK(strstr(status, "\"counters\":{") != NULL, "status JSON has counters");
            CHECK(total == 5, "connections_total is 5 (%lld)", total);
            /* from clients: echo 6 + 20 + 5, relay 2, host 2 */
            CHECK(in == 31 + 2 + 2, "messages_in counts every message from clients (%lld)", in);
            /* echo 31 + relay 2 + host sends 2 + publishes 1+2+2 + broadcasts 1+2 */
            CHECK(out == 31 + 2 + 2 + 5 + 3, "messages_out counts one per recipient (%lld)", out);
            CHECK(strstr(status, "\"path\":\"/host\"") != NULL && strstr(status, "\"kind\":\"host\"") != NULL,
                  "status JSON lists the host route");
            {
                size_t len = strlen(status), exact_need = 0;
                char *exact = malloc(len + 1);
                REQUIRE(exact != NULL, "malloc");
                CHECK_RC(omnisock_hub_status_json(hub, exact, len, &exact_need), OMNISOCK_ERR_BUFFER_TOO_SMALL);
                free(exact);
            }
            free(status);
        }
    }

    /* ---- send + close right after connect: the message still goes out first ---- */
    {
        omnisock_client_config cfg = local_config(port, "/host");
        omnisock_client c = 0;
        os_src early;
        uint64_t conn3;
        REQUIRE_RC(omnisock_client_connect(cfg, &c));
        src_init(&early, "early", false, c);
        CHECK_RC(omnisock_client_send_text(c, "early", 5), OMNISOCK_OK);
        CHECK_RC(omnisock_client_close(c, 1000, "early-close"), OMNISOCK_OK);
        CHECK_RC(omnisock_client_send_text(c, "too-late", 8), OMNISOCK_ERR_CLOSED);
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
        conn3 = e ? e->conn : 0;
        CHECK(e != NULL, "hub OPEN for a client closed right after connect");
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(e && e->conn == conn3 && ev_data_str(e, "early"), "hub receives the message queued before the close");
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->conn == conn3 && e->code == 1000 && ev_data_str(e, "early-close"), "then CLOSE 1000 \"early-close\"");
        e = wait_for_event(&early, OMNISOCK_EVENT_OPEN, WAIT_MS);
        CHECK(e != NULL, "the client reports OPEN");
        e = wait_for_event(&early, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->code == 1000, "then CLOSE 1000");
        src_clear(&early);
        omnisock_client_free(c);
        omnisock_client_config_free(cfg);
    }

    /* ---- clean up: two clients close, the hub's shutdown closes the last with 1001 ---- */
    close_and_free(&echo);
    close_and_free(&r1);
    {
        size_t n = 99;
        CHECK_RC(omnisock_hub_shutdown(hub), OMNISOCK_OK);
        e = wait_for_event(&r2, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->code == 1001 && (e->flags & OMNISOCK_EVENT_FLAG_CLEAN), "hub shutdown closes the open client with 1001, clean (code %u)",
              e ? e->code : 0);
        CHECK_RC(omnisock_hub_connection_count(hub, &n), OMNISOCK_OK);
        CHECK(n == 0, "no connections after shutdown (%zu)", n);
        CHECK_RC(omnisock_hub_shutdown(hub), OMNISOCK_OK);
        src_clear(&r2);
        omnisock_client_free(r2.h);
    }
    src_clear(&hsrc);
    omnisock_hub_free(hub);
    omnisock_hub_config_free(hcfg);
    CHECK_RC(omnisock_runtime_shutdown(5000), OMNISOCK_OK);
    return finish();
}
