/*
 * A hub route driven by a C host through the C ABI (include/omnisock.h), for the Java interop
 * test: the Java client talks to a `host` route whose every answer comes from this program.
 *
 *   upper_host            prints "PORT <n>" once listening on 127.0.0.1 (free port), then serves
 *                         /rpc until stdin closes (or 120 s pass):
 *     open               -> sends "hello from C"
 *     text "bye"         -> closes that connection with 4000 "bye from C"
 *     other text         -> answers "C:" + the text in upper case
 *     binary             -> answers the bytes reversed
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "omnisock.h"

static void die(const char *what, omnisock_result rc) {
    char msg[512];
    size_t n = omnisock_last_error(msg, sizeof msg);
    if (n == 0) msg[0] = '\0';
    fprintf(stderr, "upper_host: %s failed: %s (%s)\n", what, omnisock_result_name(rc), msg);
    exit(1);
}

#define TRY(what, expr) do { omnisock_result rc_ = (expr); if (rc_ != OMNISOCK_OK) die(what, rc_); } while (0)

int main(void) {
    omnisock_hub_config cfg;
    omnisock_hub hub;
    uint16_t port;
    TRY("config", omnisock_hub_config_new("127.0.0.1:0", &cfg));
    TRY("route", omnisock_hub_config_add_route(cfg, "/rpc", OMNISOCK_ROUTE_HOST, 0, OMNISOCK_OVERFLOW_CLOSE));
    TRY("start", omnisock_hub_start(cfg, &hub));
    omnisock_hub_config_free(cfg);
    TRY("port", omnisock_hub_local_port(hub, &port));
    printf("PORT %u\n", (unsigned)port);
    fflush(stdout);

    time_t deadline = time(NULL) + 120;
    omnisock_event events[32];
    char out[4096];
    while (time(NULL) < deadline) {
        struct pollfd pfd = {0, POLLIN, 0};
        if (poll(&pfd, 1, 0) > 0) {
            char buf[64];
            if (read(0, buf, sizeof buf) <= 0) break; /* stdin closed: the test is done */
        }
        bool ready = false;
        TRY("wait", omnisock_hub_wait(hub, 100, &ready));
        if (!ready) continue;
        size_t n = 0;
        TRY("poll", omnisock_hub_poll(hub, events, 32, &n));
        for (size_t i = 0; i < n; i++) {
            const omnisock_event *e = &events[i];
            if (e->kind == OMNISOCK_EVENT_OPEN) {
                const char *hello = "hello from C";
                TRY("send hello", omnisock_hub_send_text(hub, e->conn, hello, strlen(hello)));
            } else if (e->kind == OMNISOCK_EVENT_TEXT) {
                if (e->data_len == 3 && memcmp(e->data, "bye", 3) == 0) {
                    TRY("close", omnisock_hub_close_connection(hub, e->conn, 4000, "bye from C"));
                    continue;
                }
                size_t len = e->data_len < sizeof out - 2 ? e->data_len : sizeof out - 2;
                out[0] = 'C';
                out[1] = ':';
                for (size_t k = 0; k < len; k++) out[2 + k] = (char)toupper((unsigned char)e->data[k]);
                TRY("send", omnisock_hub_send_text(hub, e->conn, out, len + 2));
            } else if (e->kind == OMNISOCK_EVENT_BINARY) {
                size_t len = e->data_len < sizeof out ? e->data_len : sizeof out;
                for (size_t k = 0; k < len; k++) out[k] = (char)e->data[len - 1 - k];
                TRY("send binary", omnisock_hub_send_binary(hub, e->conn, (const uint8_t *)out, len));
            }
        }
    }
    TRY("shutdown", omnisock_hub_shutdown(hub));
    omnisock_hub_free(hub);
    return 0;
}
