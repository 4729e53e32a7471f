/*
 * Hardening of the C ABI: sizes are checked before the host's bytes are touched (a send of
 * PTRDIFF_MAX bytes is a clear error, never an allocation abort; a message larger than the send
 * queue limit is refused even when the queue is empty), freeing a handle wakes a thread
 * blocked in its *_wait, and the handshake limits are checked.
 */
#include "common.h"

#include <pthread.h>

typedef struct {
    uint64_t handle;
    bool is_hub;
    omnisock_result rc;
} waiter;

static void *wait_long(void *arg) {
    waiter *w = arg;
    bool ready = false;
    /* Far longer than the test runs: only the free can end this wait early. */
    w->rc = w->is_hub ? omnisock_hub_wait(w->handle, 3600u * 1000u, &ready) : omnisock_client_wait(w->handle, 3600u * 1000u, &ready);
    return NULL;
}

/* Starts a thread blocked in *_wait on `h`, frees `h` from this thread, and returns what the
 * wait returned. */
static omnisock_result free_while_waiting(uint64_t h, bool is_hub) {
    waiter w = {h, is_hub, OMNISOCK_OK};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, wait_long, &w) == 0, "pthread_create");
    sleep_ms(300); /* let it block (either order ends the same way) */
    if (is_hub) {
        omnisock_hub_free(h);
    } else {
        omnisock_client_free(h);
    }
    REQUIRE(pthread_join(t, NULL) == 0, "pthread_join");
    return w.rc;
}

int main(void) {
    omnisock_hub_config hcfg = 0;
    omnisock_hub hub = 0;
    uint16_t port = 0;
    size_t sz = 0;
    static uint8_t buf[8192];
    const size_t huge = (size_t)PTRDIFF_MAX;

    memset(buf, 'a', sizeof buf);
    REQUIRE_RC(omnisock_hub_config_new("127.0.0.1:0", &hcfg));
    REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "/echo", OMNISOCK_ROUTE_ECHO, 0, OMNISOCK_OVERFLOW_CLOSE));
    REQUIRE_RC(omnisock_hub_config_set_max_message_size(hcfg, 4096));
    CHECK_RC(omnisock_hub_config_set_handshake_limits(hcfg, 0, 16), OMNISOCK_ERR_INVALID_ARGUMENT);
    CHECK_RC(omnisock_hub_config_set_handshake_limits(hcfg, 5000, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
    CHECK_RC(omnisock_hub_config_set_handshake_limits(0, 5000, 16), OMNISOCK_ERR_INVALID_HANDLE);
    CHECK_RC(omnisock_hub_config_set_handshake_limits(hcfg, 5000, 64), OMNISOCK_OK);
    REQUIRE_RC(omnisock_hub_start(hcfg, &hub));
    REQUIRE_RC(omnisock_hub_local_port(hub, &port));

    printf("-- oversized client sends\n");
    {
        omnisock_client_config c = local_config(port, "/echo");
        omnisock_client client = 0;
        size_t q = 1;
        REQUIRE_RC(omnisock_client_config_set_send_queue_limit(c, 1024));
        REQUIRE_RC(omnisock_client_connect(c, &client));
        /* `buf` is far shorter than `huge`: these must fail before reading it. */
        CHECK_RC(omnisock_client_send_binary(client, buf, huge), OMNISOCK_ERR_MESSAGE_TOO_BIG);
        CHECK_RC(omnisock_client_send_text(client, (const char *)buf, huge), OMNISOCK_ERR_MESSAGE_TOO_BIG);
        CHECK_RC(omnisock_client_send_binary(client, buf, SIZE_MAX), OMNISOCK_ERR_MESSAGE_TOO_BIG);
        /* larger than the limit with an empty queue: refused (it could never fit) */
        CHECK_RC(omnisock_client_queued_bytes(client, &q), OMNISOCK_OK);
        CHECK(q == 0, "the queue is empty (%zu)", q);
        CHECK_RC(omnisock_client_send_binary(client, buf, 1025), OMNISOCK_ERR_MESSAGE_TOO_BIG);
        CHECK_RC(omnisock_client_send_text(client, (const char *)buf, 1025), OMNISOCK_ERR_MESSAGE_TOO_BIG);
        {
            char msg[512];
            last_error_str(msg, sizeof msg);
            CHECK(strstr(msg, "1024") != NULL, "the message names the limit: %s", msg);
        }
        CHECK_RC(omnisock_client_queued_bytes(client, &q), OMNISOCK_OK);
        CHECK(q == 0, "nothing was queued (%zu)", q);
        /* NULL with a length is still an argument error, whatever the length */
        CHECK_RC(omnisock_client_send_binary(client, NULL, huge), OMNISOCK_ERR_INVALID_ARGUMENT);
        /* exactly the limit fits */
        CHECK_RC(omnisock_client_send_binary(client, buf, 1024), OMNISOCK_OK);
        omnisock_client_free(client);
        omnisock_client_config_free(c);
    }

    printf("-- oversized hub sends\n");
    CHECK_RC(omnisock_hub_send_binary(hub, 1, buf, huge), OMNISOCK_ERR_MESSAGE_TOO_BIG);
    CHECK_RC(omnisock_hub_send_text(hub, 1, (const char *)buf, huge), OMNISOCK_ERR_MESSAGE_TOO_BIG);
    CHECK_RC(omnisock_hub_publish_binary(hub, "g", 0, buf, huge, &sz), OMNISOCK_ERR_MESSAGE_TOO_BIG);
    CHECK_RC(omnisock_hub_publish_text(hub, "g", 0, (const char *)buf, huge, &sz), OMNISOCK_ERR_MESSAGE_TOO_BIG);
    CHECK_RC(omnisock_hub_broadcast_binary(hub, "/echo", 0, buf, huge, &sz), OMNISOCK_ERR_MESSAGE_TOO_BIG);
    CHECK_RC(omnisock_hub_broadcast_text(hub, "/echo", 0, (const char *)buf, SIZE_MAX, &sz), OMNISOCK_ERR_MESSAGE_TOO_BIG);
    /* the hub's max_message_size (4096) bounds what the host sends, too */
    CHECK_RC(omnisock_hub_broadcast_binary(hub, "/echo", 0, buf, 4097, &sz), OMNISOCK_ERR_MESSAGE_TOO_BIG);
    CHECK_RC(omnisock_hub_broadcast_binary(hub, "/echo", 0, buf, 4096, &sz), OMNISOCK_OK);

    printf("-- freeing a handle wakes a thread blocked in its wait\n");
    CHECK_RC(free_while_waiting(hub, true), OMNISOCK_ERR_INVALID_HANDLE);
    {
        omnisock_client_config c = local_config(port, "/echo");
        omnisock_client client = 0;
        REQUIRE_RC(omnisock_client_connect(c, &client));
        /* drain the OPEN (or anything else) so the waiter really blocks */
        {
            omnisock_event evs[8];
            size_t n = 0;
            bool ready = false;
            for (int i = 0; i < 100 && omnisock_client_wait(client, 50, &ready) == OMNISOCK_OK && ready; i++) {
                omnisock_client_poll(client, evs, 8, &n);
            }
        }
        CHECK_RC(free_while_waiting(client, false), OMNISOCK_ERR_INVALID_HANDLE);
        omnisock_client_config_free(c);
    }
    omnisock_hub_config_free(hcfg);
    return finish();
}
