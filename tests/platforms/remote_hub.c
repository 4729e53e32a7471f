/*
 * The C API's client against a hub in another process (`omnisock hub`, default routes), which
 * may run on another platform: tests/platforms/run.sh pairs Windows (Wine), Linux aarch64
 * (qemu-user) and Linux x86_64 clients and hubs in every direction it can run here.
 *
 * Usage: remote_hub PORT    (the hub listens on 127.0.0.1:PORT with /echo, /chat, /ws/camera)
 *
 * Checks: echo of text (UTF-8) and binary (300 KiB, byte-exact), broadcast to every client of
 * /chat including the sender, relay on /ws/camera to everyone but the sender, and a clean
 * close 1000 for every client.
 */
#include "common.h"

/* Connects to ws://127.0.0.1:port<path> and waits for OPEN. */
static omnisock_client open_at(os_src *src, const char *name, uint16_t port, const char *path) {
    omnisock_client_config cfg = local_config(port, path);
    omnisock_client c = 0;
    REQUIRE_RC(omnisock_client_connect(cfg, &c));
    omnisock_client_config_free(cfg);
    src_init(src, name, false, c);
    REQUIRE(wait_for_event(src, OMNISOCK_EVENT_OPEN, WAIT_MS) != NULL, "%s: OPEN on %s", name, path);
    return c;
}

/* Closes with 1000, expects a clean CLOSE 1000, frees. */
static void close_clean(os_src *src) {
    const os_ev *e;
    CHECK_RC(omnisock_client_close(src->h, 1000, "bye"), OMNISOCK_OK);
    e = wait_for_event(src, OMNISOCK_EVENT_CLOSE, WAIT_MS);
    CHECK(e && e->code == 1000 && (e->flags & OMNISOCK_EVENT_FLAG_CLEAN), "%s: clean CLOSE 1000 (code %u)", src->name,
          e ? e->code : 0);
    src_clear(src);
    omnisock_client_free(src->h);
}

/* The hub answers the handshake before it adds the connection to its route: `from` sends
 * "sync" until `to` receives one, so both are members (bounded: WAIT_MS in all). */
static bool sync_pair(os_src *from, os_src *to) {
    uint64_t deadline = now_ms() + WAIT_MS;
    while (now_ms() < deadline) {
        const os_ev *e;
        if (omnisock_client_send_text(from->h, "sync", 4) != OMNISOCK_OK) return false;
        e = next_event(to, 200);
        if (e && e->kind == OMNISOCK_EVENT_TEXT && ev_data_str(e, "sync")) return true;
        if (e) return false;
    }
    return false;
}

/* The next TEXT event other than "sync" carries `want`. */
static bool text_after_syncs(os_src *src, const char *want) {
    for (int i = 0; i < 1000; i++) {
        const os_ev *e = wait_for_event(src, OMNISOCK_EVENT_TEXT, WAIT_MS);
        if (!e) return false;
        if (ev_data_str(e, "sync")) continue;
        if (!ev_data_str(e, want)) printf("  .. %s: got \"%s\", wanted \"%s\"\n", src->name, (const char *)e->data, want);
        return ev_data_str(e, want);
    }
    return false;
}

int main(int argc, char **argv) {
    long port_arg = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
    uint16_t port;
    os_src a, b;
    const os_ev *e;

    if (port_arg <= 0 || port_arg > 65535) {
        fprintf(stderr, "usage: remote_hub PORT\n");
        return 2;
    }
    port = (uint16_t)port_arg;
    printf("omnisock %s: C client against the hub on 127.0.0.1:%u\n", omnisock_version(), (unsigned)port);

    /* ---- echo ---- */
    {
        const char text[] = "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x8e\x89";
        size_t big_len = 300 * 1024;
        uint8_t *big = malloc(big_len);
        uint32_t x = 7;
        REQUIRE(big != NULL, "malloc");
        for (size_t i = 0; i < big_len; i++) {
            x = x * 1103515245u + 12345u;
            big[i] = (uint8_t)(x >> 16);
        }
        open_at(&a, "echo", port, "/echo");
        CHECK_RC(omnisock_client_send_text(a.h, text, strlen(text)), OMNISOCK_OK);
        e = wait_for_event(&a, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, text), "echo: TEXT comes back byte-exact");
        CHECK_RC(omnisock_client_send_binary(a.h, big, big_len), OMNISOCK_OK);
        e = wait_for_event(&a, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(ev_data_is(e, big, big_len), "echo: 300 KiB BINARY comes back byte-exact (%zu bytes)", e ? e->data_len : 0);
        close_clean(&a);
        free(big);
    }

    /* ---- broadcast: everyone on /chat, the sender included ---- */
    {
        open_at(&a, "chat-a", port, "/chat");
        open_at(&b, "chat-b", port, "/chat");
        REQUIRE(sync_pair(&b, &a), "chat: both clients joined the route");
        CHECK_RC(omnisock_client_send_text(a.h, "to all", 6), OMNISOCK_OK);
        CHECK(text_after_syncs(&a, "to all"), "broadcast: the sender gets its message");
        CHECK(text_after_syncs(&b, "to all"), "broadcast: the other client gets it");
        close_clean(&a);
        close_clean(&b);
    }

    /* ---- relay: everyone on /ws/camera but the sender ---- */
    {
        open_at(&a, "relay-a", port, "/ws/camera");
        open_at(&b, "relay-b", port, "/ws/camera");
        REQUIRE(sync_pair(&b, &a), "relay: both clients joined the route");
        CHECK_RC(omnisock_client_send_text(a.h, "pose 1 2 3", 10), OMNISOCK_OK);
        CHECK(text_after_syncs(&b, "pose 1 2 3"), "relay: the other client gets the message");
        /* then b answers: a's next message is the answer (its own was not sent back to it) */
        CHECK_RC(omnisock_client_send_text(b.h, "ack", 3), OMNISOCK_OK);
        CHECK(text_after_syncs(&a, "ack"), "relay: the sender's own message was not sent back to it");
        close_clean(&a);
        close_clean(&b);
    }

    return finish();
}
