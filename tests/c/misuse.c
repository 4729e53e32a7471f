/*
 * Misuse matrix for the C ABI: every call below gets a bad argument (NULL pointer, zero /
 * forged / freed / foreign handle, invalid UTF-8, bad close code, closed connection, busy port,
 * shut-down runtime...) and must return the documented error code without crashing, leave its
 * out-params alone, and leave the objects it did not own working.
 */
#include "common.h"

#include <pthread.h>
#ifdef _WIN32
/* Windows (mingw, winpthreads; run under Wine by tests/platforms): Winsock for the raw sockets. */
#include <winsock2.h>
#include <ws2tcpip.h>
#define close(fd) closesocket((SOCKET)(fd))
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#define FORGED_1 0xdeadbeefull
#define FORGED_2 0xffffffffffffffffull

/* Client handles have type tag 0x12 in the top byte (see ffi-c/src/handle.rs); these carry the
 * right tag but a generation / slot that was never handed out. */
#define FORGED_CLIENT_GEN ((0x12ull << 56) | (0xabcdull << 32) | 0ull)
#define FORGED_CLIENT_IDX ((0x12ull << 56) | (1ull << 32) | 0xfffffffeull)

/* A TCP socket bound to 127.0.0.1:<port>: listening (the kernel completes TCP handshakes but
 * nobody answers the WebSocket handshake) or not (connections are refused). */
static int local_socket(bool listening, uint16_t *port) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd;
#ifdef _WIN32
    static bool wsa_started = false;
    if (!wsa_started) {
        WSADATA wsa;
        REQUIRE(WSAStartup(MAKEWORD(2, 2), &wsa) == 0, "WSAStartup");
        wsa_started = true;
    }
    fd = (int)socket(AF_INET, SOCK_STREAM, 0);
#else
    fd = socket(AF_INET, SOCK_STREAM, 0);
#endif
    REQUIRE(fd >= 0, "socket()");
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "bind 127.0.0.1:0");
    if (listening) REQUIRE(listen(fd, 16) == 0, "listen()");
    REQUIRE(getsockname(fd, (struct sockaddr *)&a, &len) == 0, "getsockname()");
    *port = ntohs(a.sin_port);
    return fd;
}

static void *other_thread_last_error(void *arg) {
    size_t *out = arg;
    *out = omnisock_last_error(NULL, 0);
    return NULL;
}

int main(void) {
    omnisock_hub_config hcfg = 0;
    omnisock_hub hub = 0;
    uint16_t port = 0;
    os_src hsrc, good, refused;
    const os_ev *e;
    omnisock_client_config ccfg = 0;
    omnisock_client client = 0;
    uint64_t conn = 0;
    omnisock_event evs[4];
    size_t n = 0;
    bool ready = false;
    omnisock_ready_state st = OMNISOCK_CLIENT_CONNECTING;

    printf("omnisock %s: misuse matrix\n", omnisock_version());
    CHECK(strcmp(omnisock_result_name(OMNISOCK_ERR_CLOSED), "OMNISOCK_ERR_CLOSED") == 0, "result_name(ERR_CLOSED)");
    CHECK(strcmp(omnisock_result_name(OMNISOCK_OK), "OMNISOCK_OK") == 0, "result_name(OK)");

    /* ---- live objects used throughout ---- */
    REQUIRE_RC(omnisock_hub_config_new("127.0.0.1:0", &hcfg));
    REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "/echo", OMNISOCK_ROUTE_ECHO, 0, OMNISOCK_OVERFLOW_CLOSE));
    REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "/host", OMNISOCK_ROUTE_HOST, 0, OMNISOCK_OVERFLOW_CLOSE));
    REQUIRE_RC(omnisock_hub_start(hcfg, &hub));
    REQUIRE_RC(omnisock_hub_local_port(hub, &port));
    src_init(&hsrc, "hub", true, hub);
    ccfg = local_config(port, "/host");
    REQUIRE_RC(omnisock_client_connect(ccfg, &client));
    src_init(&good, "client", false, client);
    REQUIRE(wait_for_event(&good, OMNISOCK_EVENT_OPEN, WAIT_MS) != NULL, "client OPEN");
    e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
    REQUIRE(e != NULL, "hub OPEN");
    conn = e->conn;

    /* ================= NULL pointers ================= */
    printf("-- NULL pointers\n");
    {
        omnisock_client_config out = 0x77;
        omnisock_hub_config hout = 0x77;
        omnisock_client cout = 0x77;
        omnisock_hub hbout = 0x77;
        uint16_t p16 = 0x77;
        size_t sz = 0x77;
        CHECK_RC(omnisock_client_config_new(NULL, &out), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_new("ws://127.0.0.1:1/", NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_from_mdf(NULL, 5, &out), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_add_header(ccfg, NULL, "v"), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_add_header(ccfg, "X-A", NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_add_subprotocol(ccfg, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_add_ca_pem(ccfg, NULL, 10), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_add_ca_file(ccfg, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_connect(ccfg, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_send_text(client, NULL, 5), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_send_binary(client, NULL, 5), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_ping(client, NULL, 5), OMNISOCK_ERR_INVALID_ARGUMENT);
        {
            uint8_t big[126] = {0};
            CHECK_RC(omnisock_client_ping(client, big, sizeof big), OMNISOCK_ERR_INVALID_ARGUMENT);
            big[0] = 'p';
            CHECK_RC(omnisock_client_ping(client, big, 125), OMNISOCK_OK);
            e = wait_for_event(&good, OMNISOCK_EVENT_PONG, WAIT_MS);
            CHECK(ev_data_is(e, big, 125), "a 125-byte ping is answered with the same payload");
        }
        CHECK_RC(omnisock_client_state(client, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_queued_bytes(client, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_poll(client, NULL, 4, &sz), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_poll(client, evs, 4, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_wait(client, 0, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_wake_fd(client, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK(sz == 0x77, "poll's out_count untouched by failures");
        CHECK_RC(omnisock_client_poll(client, NULL, 0, &sz), OMNISOCK_OK);
        CHECK(sz == 0, "poll with NULL events and capacity 0 is fine and returns 0");

        CHECK_RC(omnisock_hub_config_new(NULL, &hout), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_config_new("127.0.0.1:0", NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_config_default(NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_config_from_toml(NULL, 3, &hout), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_config_set_listen(hcfg, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_config_add_route(hcfg, NULL, OMNISOCK_ROUTE_ECHO, 0, OMNISOCK_OVERFLOW_CLOSE), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_config_add_origin(hcfg, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_config_set_tls_files(hcfg, NULL, "key.pem"), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_config_set_tls_files(hcfg, "cert.pem", NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_start(hcfg, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_local_port(hub, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_send_text(hub, conn, NULL, 3), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_send_binary(hub, conn, NULL, 3), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_join(hub, conn, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_leave(hub, conn, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_publish_text(hub, NULL, 0, "x", 1, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_publish_text(hub, "g", 0, NULL, 1, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_publish_binary(hub, "g", 0, NULL, 1, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_broadcast_text(hub, NULL, 0, "x", 1, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_broadcast_binary(hub, "/echo", 0, NULL, 1, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_group_size(hub, NULL, &sz), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_group_size(hub, "g", NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_connection_count(hub, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_poll(hub, NULL, 4, &sz), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_poll(hub, evs, 4, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_wait(hub, 0, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_wake_fd(hub, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        {
            char buf[8];
            CHECK_RC(omnisock_hub_status_json(hub, buf, sizeof buf, NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
            sz = 0;
            CHECK_RC(omnisock_hub_status_json(hub, NULL, 0, &sz), OMNISOCK_ERR_BUFFER_TOO_SMALL);
            CHECK(sz > 0, "status_json(NULL buf) sets out_len to the needed length (%zu)", sz);
            sz = 0;
            CHECK_RC(omnisock_hub_status_json(hub, NULL, 100000, &sz), OMNISOCK_ERR_BUFFER_TOO_SMALL);
            CHECK(sz > 0, "status_json(NULL buf, big len) is BUFFER_TOO_SMALL, not a crash");
        }
        CHECK(out == 0x77 && hout == 0x77 && cout == 0x77 && hbout == 0x77 && p16 == 0x77,
              "out-params untouched by the NULL-argument failures");
        /* publish with a NULL out_recipients is allowed */
        CHECK_RC(omnisock_hub_publish_text(hub, "nobody", 0, "x", 1, NULL), OMNISOCK_OK);
    }

    /* ---- last_error ---- */
    printf("-- last_error\n");
    {
        char full[512], small[8];
        size_t len0, len1, len2;
        pthread_t t;
        size_t other = 999;
        CHECK_RC(omnisock_client_config_new(NULL, &ccfg), OMNISOCK_ERR_INVALID_ARGUMENT);
        len0 = omnisock_last_error(NULL, 0);
        CHECK(len0 > 0, "last_error(NULL, 0) returns the message length (%zu)", len0);
        len1 = omnisock_last_error(full, sizeof full);
        CHECK(len1 == len0 && strlen(full) == len0, "full copy: NUL-terminated, same length");
        CHECK(strstr(full, "url") != NULL, "message names the argument (\"%s\")", full);
        memset(small, 'x', sizeof small);
        len2 = omnisock_last_error(small, sizeof small);
        CHECK(len2 == len0 && small[7] == '\0' && strlen(small) == 7 && strncmp(small, full, 7) == 0,
              "truncated copy: 7 bytes + NUL, full length returned");
        CHECK(omnisock_last_error(small, 1) == len0 && small[0] == '\0', "len 1: just the NUL");
        REQUIRE(pthread_create(&t, NULL, other_thread_last_error, &other) == 0, "pthread_create");
        pthread_join(t, NULL);
        CHECK(other == 0, "another thread has its own (empty) last error (%zu)", other);
    }

    /* ================= zero, forged, freed and foreign handles ================= */
    printf("-- bad handles\n");
    {
        const uint64_t bad[] = {0, FORGED_1, FORGED_2, FORGED_CLIENT_GEN, FORGED_CLIENT_IDX};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            uint64_t h = bad[i];
            size_t sz = 0x77;
            uint16_t p16 = 0x77;
            int fdo = 0x77;
            omnisock_client cout = 0x77;
            omnisock_hub hout = 0x77;
            printf("   handle %#llx\n", (unsigned long long)h);
            CHECK_RC(omnisock_client_send_text(h, "x", 1), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_send_binary(h, (const uint8_t *)"x", 1), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_close(h, 1000, NULL), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_ping(h, NULL, 0), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_state(h, &st), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_queued_bytes(h, &sz), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_poll(h, evs, 4, &sz), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_wait(h, 0, &ready), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_wake_fd(h, &fdo), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_set_wake_callback(h, NULL, NULL), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_config_add_header(h, "X-A", "b"), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_config_set_line_framing(h, true), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_client_connect(h, &cout), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_config_add_route(h, "/x", OMNISOCK_ROUTE_ECHO, 0, OMNISOCK_OVERFLOW_CLOSE), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_start(h, &hout), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_local_port(h, &p16), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_send_text(h, conn, "x", 1), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_close_connection(h, conn, 1000, NULL), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_join(h, conn, "g"), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_publish_text(h, "g", 0, "x", 1, &sz), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_broadcast_text(h, "/echo", 0, "x", 1, &sz), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_connection_count(h, &sz), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_status_json(h, NULL, 0, &sz), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_poll(h, evs, 4, &sz), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_wait(h, 0, &ready), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_wake_fd(h, &fdo), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK_RC(omnisock_hub_shutdown(h), OMNISOCK_ERR_INVALID_HANDLE);
            CHECK(sz == 0x77 && p16 == 0x77 && fdo == 0x77 && cout == 0x77 && hout == 0x77,
                  "out-params untouched for handle %#llx", (unsigned long long)h);
            /* freeing garbage is a no-op */
            omnisock_client_free(h);
            omnisock_client_config_free(h);
            omnisock_hub_free(h);
            omnisock_hub_config_free(h);
        }
        {
            char msg[256];
            CHECK_RC(omnisock_client_send_text(FORGED_1, "x", 1), OMNISOCK_ERR_INVALID_HANDLE);
            last_error_str(msg, sizeof msg);
            CHECK(strstr(msg, "0xdeadbeef") != NULL, "INVALID_HANDLE message names the handle (\"%s\")", msg);
        }
    }

    printf("-- foreign handles\n");
    {
        size_t sz = 0x77;
        uint16_t p16 = 0;
        omnisock_client cout = 0x77;
        omnisock_hub hout = 0x77;
        /* hub handle to client functions and back */
        CHECK_RC(omnisock_client_send_text(hub, "x", 1), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_client_poll(hub, evs, 4, &sz), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_client_close(hub, 1000, NULL), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_local_port(client, &p16), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_poll(client, evs, 4, &sz), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_send_text(client, conn, "x", 1), OMNISOCK_ERR_INVALID_HANDLE);
        /* configs passed as objects and objects as configs */
        CHECK_RC(omnisock_client_send_text(ccfg, "x", 1), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_client_state(ccfg, &st), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_client_connect(client, &cout), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_client_connect(hcfg, &cout), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_local_port(hcfg, &p16), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_start(hub, &hout), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_start(ccfg, &hout), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_config_add_route(ccfg, "/x", 0, 0, 0), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_client_config_add_header(hcfg, "X-A", "b"), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK(cout == 0x77 && hout == 0x77, "out-params untouched for foreign handles");
        /* freeing through the wrong function must not free the object */
        omnisock_client_free(hub);
        omnisock_client_config_free(client);
        omnisock_hub_free(client);
        omnisock_hub_config_free(ccfg);
        omnisock_client_config_free(hcfg);
        omnisock_hub_free(ccfg);
        CHECK_RC(omnisock_hub_local_port(hub, &p16), OMNISOCK_OK);
        CHECK(p16 == port, "hub still works after client_free(hub handle)");
        CHECK_RC(omnisock_client_state(client, &st), OMNISOCK_OK);
        CHECK(st == OMNISOCK_CLIENT_OPEN, "client still open after hub_free/config_free(client handle)");
        CHECK_RC(omnisock_client_config_set_line_framing(ccfg, false), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_config_set_max_connections(hcfg, 100), OMNISOCK_OK);
        /* and the client still talks */
        CHECK_RC(omnisock_client_send_text(client, "still-here", 10), OMNISOCK_OK);
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "still-here"), "client and hub still exchange messages");
    }

    printf("-- freed and stale handles\n");
    {
        omnisock_client_config a = 0, b = 0;
        omnisock_hub_config ha = 0;
        omnisock_client cout = 0x77;
        REQUIRE_RC(omnisock_client_config_new("ws://127.0.0.1:1/", &a));
        omnisock_client_config_free(a);
        CHECK_RC(omnisock_client_config_add_header(a, "X-A", "b"), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_client_connect(a, &cout), OMNISOCK_ERR_INVALID_HANDLE);
        omnisock_client_config_free(a); /* double free: no-op */
        REQUIRE_RC(omnisock_client_config_new("ws://127.0.0.1:1/", &b));
        CHECK(a != b, "a new config does not reuse the freed handle value");
        CHECK_RC(omnisock_client_config_add_header(a, "X-A", "b"), OMNISOCK_ERR_INVALID_HANDLE);
        omnisock_client_config_free(a); /* stale free must not free b */
        CHECK_RC(omnisock_client_config_add_header(b, "X-A", "b"), OMNISOCK_OK);
        omnisock_client_config_free(b);
        CHECK(cout == 0x77, "connect's out untouched");

        REQUIRE_RC(omnisock_hub_config_new("127.0.0.1:0", &ha));
        omnisock_hub_config_free(ha);
        omnisock_hub_config_free(ha);
        CHECK_RC(omnisock_hub_config_set_listen(ha, "127.0.0.1:0"), OMNISOCK_ERR_INVALID_HANDLE);
    }
    {
        /* a freed client and a freed hub */
        omnisock_hub_config c2 = 0;
        omnisock_hub h2 = 0;
        omnisock_client_config cc = 0;
        omnisock_client cl2 = 0;
        uint16_t p2 = 0;
        size_t sz = 0;
        REQUIRE_RC(omnisock_hub_config_new("127.0.0.1:0", &c2));
        REQUIRE_RC(omnisock_hub_config_add_route(c2, "/echo", OMNISOCK_ROUTE_ECHO, 0, OMNISOCK_OVERFLOW_CLOSE));
        REQUIRE_RC(omnisock_hub_start(c2, &h2));
        REQUIRE_RC(omnisock_hub_local_port(h2, &p2));
        cc = local_config(p2, "/echo");
        REQUIRE_RC(omnisock_client_connect(cc, &cl2));
        omnisock_client_free(cl2); /* freed while connecting: dropped at once */
        CHECK_RC(omnisock_client_send_text(cl2, "x", 1), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_client_poll(cl2, evs, 4, &sz), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_client_close(cl2, 1000, NULL), OMNISOCK_ERR_INVALID_HANDLE);
        omnisock_client_free(cl2);
        omnisock_hub_free(h2);
        CHECK_RC(omnisock_hub_local_port(h2, &p2), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_poll(h2, evs, 4, &sz), OMNISOCK_ERR_INVALID_HANDLE);
        CHECK_RC(omnisock_hub_shutdown(h2), OMNISOCK_ERR_INVALID_HANDLE);
        omnisock_hub_free(h2);
        /* the config outlives the hub it started; start again on the same config */
        REQUIRE_RC(omnisock_hub_start(c2, &h2));
        CHECK_RC(omnisock_hub_shutdown(h2), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_shutdown(h2), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_send_text(h2, 1, "x", 1), OMNISOCK_ERR_NOT_FOUND);
        CHECK_RC(omnisock_hub_publish_text(h2, "g", 0, "x", 1, NULL), OMNISOCK_ERR_SHUTDOWN);
        CHECK_RC(omnisock_hub_broadcast_text(h2, "/echo", 0, "x", 1, NULL), OMNISOCK_ERR_SHUTDOWN);
        CHECK_RC(omnisock_hub_poll(h2, evs, 4, &sz), OMNISOCK_OK);
        omnisock_hub_free(h2);
        omnisock_hub_config_free(c2);
        omnisock_client_config_free(cc);
    }

    /* ================= invalid UTF-8 ================= */
    printf("-- invalid UTF-8\n");
    {
        static const char *bad[] = {"\xff", "a\xfe" "b", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            size_t len = strlen(bad[i]), sz = 0x77;
            CHECK_RC(omnisock_client_send_text(client, bad[i], len), OMNISOCK_ERR_INVALID_UTF8);
            CHECK_RC(omnisock_hub_send_text(hub, conn, bad[i], len), OMNISOCK_ERR_INVALID_UTF8);
            CHECK_RC(omnisock_hub_publish_text(hub, "g", 0, bad[i], len, &sz), OMNISOCK_ERR_INVALID_UTF8);
            CHECK_RC(omnisock_hub_broadcast_text(hub, "/host", 0, bad[i], len, &sz), OMNISOCK_ERR_INVALID_UTF8);
            CHECK(sz == 0x77, "out_recipients untouched");
        }
        /* the same bytes are fine as binary, and valid text with a NUL is fine as text */
        CHECK_RC(omnisock_client_send_binary(client, (const uint8_t *)"\xff\xfe", 2), OMNISOCK_OK);
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_BINARY, WAIT_MS);
        CHECK(ev_data_is(e, "\xff\xfe", 2), "invalid UTF-8 goes through as binary");
        CHECK_RC(omnisock_client_send_text(client, "a\0b", 3), OMNISOCK_OK);
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_is(e, "a\0b", 3), "no invalid text was sent before: next hub event is \"a\\0b\"");
        {
            omnisock_client_config out = 0x77;
            CHECK_RC(omnisock_client_config_new("ws://127.0.0.1:1/\xff", &out), OMNISOCK_ERR_INVALID_UTF8);
            CHECK_RC(omnisock_client_config_add_header(ccfg, "X-A", "\xff"), OMNISOCK_ERR_INVALID_UTF8);
            CHECK_RC(omnisock_client_close(client, 1000, "\xff"), OMNISOCK_ERR_INVALID_UTF8);
            CHECK_RC(omnisock_hub_join(hub, conn, "\xff"), OMNISOCK_ERR_INVALID_UTF8);
            CHECK(out == 0x77, "out untouched");
        }
    }

    /* ================= argument values ================= */
    printf("-- argument values\n");
    {
        omnisock_client_config c = 0;
        omnisock_hub_config h = 0;
        omnisock_client cout = 0x77;
        omnisock_hub hout = 0x77;
        size_t sz = 0x77;
        static const char *bad_urls[] = {"http://127.0.0.1/", "not a url", "", "ws://", "ftp://x/"};
        REQUIRE_RC(omnisock_client_config_new("ws://127.0.0.1:1/", &c));
        CHECK_RC(omnisock_client_config_set_connect_timeout_ms(c, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_set_keepalive(c, 1000, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_set_reconnect(c, 3, 0, 100), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_set_reconnect(c, 3, 200, 100), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_set_reconnect(c, 0, 0, 0), OMNISOCK_OK);
        CHECK_RC(omnisock_client_config_set_send_queue_limit(c, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_set_max_message_size(c, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_add_ca_pem(c, (const uint8_t *)"garbage", 7), OMNISOCK_ERR_TLS);
        CHECK_RC(omnisock_client_config_add_ca_file(c, "/nonexistent/omnisock-test-ca.pem"), OMNISOCK_ERR_IO);
        omnisock_client_config_free(c);
        for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
            REQUIRE_RC(omnisock_client_config_new(bad_urls[i], &c));
            CHECK_RC(omnisock_client_connect(c, &cout), OMNISOCK_ERR_INVALID_URL);
            omnisock_client_config_free(c);
        }
        REQUIRE_RC(omnisock_client_config_new("ws://127.0.0.1:1/", &c));
        CHECK_RC(omnisock_client_config_add_header(c, "bad header name", "v"), OMNISOCK_OK);
        CHECK_RC(omnisock_client_connect(c, &cout), OMNISOCK_ERR_INVALID_ARGUMENT);
        omnisock_client_config_free(c);
        REQUIRE_RC(omnisock_client_config_new("ws://127.0.0.1:1/", &c));
        CHECK_RC(omnisock_client_config_add_subprotocol(c, "a,b"), OMNISOCK_OK);
        CHECK_RC(omnisock_client_connect(c, &cout), OMNISOCK_ERR_INVALID_ARGUMENT);
        omnisock_client_config_free(c);
        CHECK(cout == 0x77, "connect's out untouched by bad URLs, headers, subprotocols");

        REQUIRE_RC(omnisock_hub_config_new("127.0.0.1:0", &h));
        CHECK_RC(omnisock_hub_config_add_route(h, "/r", 99, 0, OMNISOCK_OVERFLOW_CLOSE), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_config_add_route(h, "/r", -1, 0, OMNISOCK_OVERFLOW_CLOSE), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_config_add_route(h, "/r", OMNISOCK_ROUTE_ECHO, 0, 99), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_config_add_route(h, "/r", OMNISOCK_ROUTE_ECHO, 0, -1), OMNISOCK_ERR_INVALID_ARGUMENT);
        {
            omnisock_result r = omnisock_hub_config_add_route(h, "no-slash", OMNISOCK_ROUTE_ECHO, 0, OMNISOCK_OVERFLOW_CLOSE);
            CHECK(r == OMNISOCK_ERR_INVALID_ARGUMENT || r == OMNISOCK_ERR_CONFIG,
                  "add_route without a leading '/' is refused (%s)", omnisock_result_name(r));
        }
        CHECK_RC(omnisock_hub_config_add_route(h, "/r", OMNISOCK_ROUTE_ECHO, 0, OMNISOCK_OVERFLOW_CLOSE), OMNISOCK_OK);
        {
            omnisock_result r = omnisock_hub_config_add_route(h, "/r", OMNISOCK_ROUTE_HOST, 0, OMNISOCK_OVERFLOW_CLOSE);
            CHECK(r == OMNISOCK_ERR_INVALID_ARGUMENT || r == OMNISOCK_ERR_CONFIG, "a duplicate route is refused (%s)",
                  omnisock_result_name(r));
        }
        CHECK_RC(omnisock_hub_config_set_max_message_size(h, 0), OMNISOCK_ERR_INVALID_ARGUMENT);
        {
            omnisock_hub_config tout = 0x77;
            CHECK_RC(omnisock_hub_config_from_toml("this is = = not toml", 20, &tout), OMNISOCK_ERR_CONFIG);
            CHECK_RC(omnisock_hub_config_from_toml("listen = \"\xff\"", 12, &tout), OMNISOCK_ERR_INVALID_UTF8);
            CHECK(tout == 0x77, "from_toml's out untouched");
        }

        /* the refused routes left the config usable: it starts with just /r */
        CHECK_RC(omnisock_hub_start(h, &hout), OMNISOCK_OK);
        if (hout != 0x77) {
            char *js = hub_status(hout);
            CHECK(js && strstr(js, "\"path\":\"/r\"") && strstr(js, "no-slash") == NULL && json_number(js, NULL, "max_connections") > 0,
                  "the hub has route /r only");
            CHECK(js && strstr(js, "\"kind\":\"echo\"") && !strstr(js, "\"kind\":\"host\""), "the duplicate did not replace /r");
            free(js);
            omnisock_hub_free(hout);
        }
        hout = 0x77;
        CHECK_RC(omnisock_hub_config_set_listen(h, "not-an-address"), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_start(h, &hout), OMNISOCK_ERR_INVALID_ARGUMENT);
        /* busy port: the live hub's */
        {
            char listen[64];
            snprintf(listen, sizeof listen, "127.0.0.1:%u", (unsigned)port);
            CHECK_RC(omnisock_hub_config_set_listen(h, listen), OMNISOCK_OK);
            CHECK_RC(omnisock_hub_start(h, &hout), OMNISOCK_ERR_IO);
        }
        CHECK(hout == 0x77, "hub_start's out untouched by failures");
        omnisock_hub_config_free(h);
        {
            /* join/leave/publish refuse an empty group name; group_size may refuse it too or
             * report that it has no members */
            size_t gs = 0x77;
            omnisock_result r = omnisock_hub_group_size(hub, "", &gs);
            CHECK(r == OMNISOCK_ERR_INVALID_ARGUMENT ? gs == 0x77 : (r == OMNISOCK_OK && gs == 0),
                  "group_size(\"\") -> %s, %zu", omnisock_result_name(r), gs);
        }
        CHECK_RC(omnisock_hub_join(hub, conn, ""), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_join(hub, 987654321, "g"), OMNISOCK_ERR_NOT_FOUND);
        CHECK_RC(omnisock_hub_join(hub, 0, "g"), OMNISOCK_ERR_NOT_FOUND);
        CHECK_RC(omnisock_hub_send_text(hub, 987654321, "x", 1), OMNISOCK_ERR_NOT_FOUND);
        CHECK_RC(omnisock_hub_close_connection(hub, 987654321, 1000, NULL), OMNISOCK_ERR_NOT_FOUND);
        CHECK_RC(omnisock_hub_broadcast_text(hub, "/nope", 0, "x", 1, &sz), OMNISOCK_ERR_NOT_FOUND);
        CHECK(sz == 0x77, "out untouched");
    }

    /* ================= close codes and closed connections ================= */
    printf("-- close\n");
    {
        static const uint16_t bad_codes[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535};
        char long_reason[125], max_reason[124];
        memset(long_reason, 'r', 124);
        long_reason[124] = '\0';
        memset(max_reason, 'm', 123);
        max_reason[123] = '\0';
        for (size_t i = 0; i < sizeof bad_codes / sizeof bad_codes[0]; i++) {
            CHECK_RC(omnisock_client_close(client, bad_codes[i], NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
            CHECK_RC(omnisock_hub_close_connection(hub, conn, bad_codes[i], NULL), OMNISOCK_ERR_INVALID_ARGUMENT);
        }
        CHECK_RC(omnisock_client_close(client, 1000, long_reason), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_hub_close_connection(hub, conn, 1000, long_reason), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_state(client, &st), OMNISOCK_OK);
        CHECK(st == OMNISOCK_CLIENT_OPEN, "refused closes left the client open");
        CHECK_RC(omnisock_client_send_text(client, "after-bad-close", 15), OMNISOCK_OK);
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "after-bad-close"), "connection still works after refused closes");

        /* a 123-byte reason is the most that fits, and is accepted */
        CHECK_RC(omnisock_client_close(client, 3000, max_reason), OMNISOCK_OK);
        CHECK_RC(omnisock_client_close(client, 1000, NULL), OMNISOCK_ERR_CLOSED);
        CHECK_RC(omnisock_client_send_text(client, "x", 1), OMNISOCK_ERR_CLOSED);
        CHECK_RC(omnisock_client_send_binary(client, (const uint8_t *)"x", 1), OMNISOCK_ERR_CLOSED);
        CHECK_RC(omnisock_client_ping(client, NULL, 0), OMNISOCK_ERR_CLOSED);
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->conn == conn && e->code == 3000 && ev_data_str(e, max_reason), "hub gets CLOSE 3000 with the 123-byte reason");
        e = wait_for_event(&good, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e != NULL, "client CLOSE event");
        CHECK_RC(omnisock_client_close(client, 1000, NULL), OMNISOCK_ERR_CLOSED);
        CHECK_RC(omnisock_client_send_text(client, "x", 1), OMNISOCK_ERR_CLOSED);
        CHECK_RC(omnisock_client_state(client, &st), OMNISOCK_OK);
        CHECK(st == OMNISOCK_CLIENT_CLOSED, "state CLOSED");
        CHECK_RC(omnisock_hub_send_text(hub, conn, "x", 1), OMNISOCK_ERR_NOT_FOUND);
        CHECK_RC(omnisock_hub_close_connection(hub, conn, 1000, NULL), OMNISOCK_ERR_NOT_FOUND);
        CHECK_RC(omnisock_client_poll(client, evs, 4, &n), OMNISOCK_OK);
        CHECK(n == 0, "no events after CLOSE (%zu)", n);
        src_clear(&good);
        omnisock_client_free(client);
        omnisock_client_free(client);
    }
    {
        /* hub-side close twice */
        omnisock_client c2 = 0;
        os_src s2;
        uint64_t conn2;
        omnisock_result r;
        REQUIRE_RC(omnisock_client_connect(ccfg, &c2));
        src_init(&s2, "client-2", false, c2);
        REQUIRE(wait_for_event(&s2, OMNISOCK_EVENT_OPEN, WAIT_MS) != NULL, "client-2 OPEN");
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS);
        REQUIRE(e != NULL, "hub OPEN for client-2");
        conn2 = e->conn;
        CHECK_RC(omnisock_hub_close_connection(hub, conn2, 4000, "first"), OMNISOCK_OK);
        /* The second call races with the peer's answer: the connection is either still closing
         * (CLOSED) or already gone (NOT_FOUND). Never OK. */
        r = omnisock_hub_close_connection(hub, conn2, 4000, "second");
        CHECK(r == OMNISOCK_ERR_CLOSED || r == OMNISOCK_ERR_NOT_FOUND, "hub close twice: %s", omnisock_result_name(r));
        r = omnisock_hub_send_text(hub, conn2, "late", 4);
        CHECK(r == OMNISOCK_ERR_CLOSED || r == OMNISOCK_ERR_NOT_FOUND, "hub send to a closing connection: %s", omnisock_result_name(r));
        e = wait_for_event(&s2, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->code == 4000 && ev_data_str(e, "first"), "client-2 gets only the first close (4000 \"first\")");
        e = wait_for_event(&hsrc, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->conn == conn2, "hub CLOSE for client-2");
        CHECK_RC(omnisock_client_send_text(c2, "x", 1), OMNISOCK_ERR_CLOSED);
        src_clear(&s2);
        omnisock_client_free(c2);
    }

    /* ================= connection failures ================= */
    printf("-- connection failures\n");
    {
        uint16_t rport = 0;
        int rfd = local_socket(false, &rport);
        omnisock_client_config c = local_config(rport, "/");
        omnisock_client rc = 0;
        REQUIRE_RC(omnisock_client_connect(c, &rc));
        src_init(&refused, "refused", false, rc);
        e = wait_for_event(&refused, OMNISOCK_EVENT_ERROR, WAIT_MS);
        CHECK(e && e->code == OMNISOCK_ERR_CONNECT, "refused port: ERROR event with code OMNISOCK_ERR_CONNECT (%u: %s)",
              e ? e->code : 0, e ? (const char *)e->data : "-");
        e = wait_for_event(&refused, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->code == 1006 && !(e->flags & OMNISOCK_EVENT_FLAG_CLEAN), "then CLOSE 1006, not clean");
        CHECK_RC(omnisock_client_state(rc, &st), OMNISOCK_OK);
        CHECK(st == OMNISOCK_CLIENT_CLOSED, "state CLOSED");
        CHECK_RC(omnisock_client_send_text(rc, "x", 1), OMNISOCK_ERR_CLOSED);
        CHECK_RC(omnisock_client_close(rc, 1000, NULL), OMNISOCK_ERR_CLOSED);
        src_clear(&refused);
        omnisock_client_free(rc);
        omnisock_client_config_free(c);
        close(rfd);
    }
    {
        /* a server that accepts TCP but never answers: the client stays CONNECTING, its send
         * queue fills; close refuses further sends at once, and the first connect runs to its
         * timeout (a close during the first connect lets it finish) */
        uint16_t sport = 0;
        int sfd = local_socket(true, &sport);
        omnisock_client_config c = local_config(sport, "/");
        omnisock_client sc = 0;
        os_src ss;
        size_t q = 0x77;
        CHECK_RC(omnisock_client_config_set_send_queue_limit(c, 10), OMNISOCK_OK);
        CHECK_RC(omnisock_client_config_set_connect_timeout_ms(c, 1000), OMNISOCK_OK);
        REQUIRE_RC(omnisock_client_connect(c, &sc));
        src_init(&ss, "silent", false, sc);
        CHECK_RC(omnisock_client_state(sc, &st), OMNISOCK_OK);
        CHECK(st == OMNISOCK_CLIENT_CONNECTING, "state CONNECTING");
        CHECK_RC(omnisock_client_send_text(sc, "12345678", 8), OMNISOCK_OK);
        CHECK_RC(omnisock_client_send_text(sc, "abcdefgh", 8), OMNISOCK_ERR_QUEUE_FULL);
        CHECK_RC(omnisock_client_queued_bytes(sc, &q), OMNISOCK_OK);
        CHECK(q == 8, "queued_bytes is 8: the refused send queued nothing (%zu)", q);
        CHECK_RC(omnisock_client_send_binary(sc, (const uint8_t *)"12", 2), OMNISOCK_OK);
        CHECK_RC(omnisock_client_send_binary(sc, (const uint8_t *)"1", 1), OMNISOCK_ERR_QUEUE_FULL);
        CHECK_RC(omnisock_client_close(sc, 1000, NULL), OMNISOCK_OK);
        CHECK_RC(omnisock_client_close(sc, 1000, NULL), OMNISOCK_ERR_CLOSED);
        CHECK_RC(omnisock_client_send_text(sc, "x", 1), OMNISOCK_ERR_CLOSED);
        e = wait_for_event(&ss, OMNISOCK_EVENT_ERROR, WAIT_MS);
        CHECK(e && e->code == OMNISOCK_ERR_TIMEOUT, "the unanswered handshake ends with an ERROR event, code TIMEOUT (%u: %s)",
              e ? e->code : 0, e ? (const char *)e->data : "-");
        e = wait_for_event(&ss, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->code == 1006 && !(e->flags & OMNISOCK_EVENT_FLAG_CLEAN), "then CLOSE 1006, not clean (code %u: %s)",
              e ? e->code : 0, e ? (const char *)e->data : "-");
        CHECK_RC(omnisock_client_queued_bytes(sc, &q), OMNISOCK_OK);
        CHECK(q == 0, "queue emptied at close (%zu)", q);
        src_clear(&ss);
        omnisock_client_free(sc);
        omnisock_client_config_free(c);
        close(sfd);
    }

    /* ================= after omnisock_runtime_shutdown ================= */
    printf("-- runtime shutdown\n");
    {
        omnisock_client open_c = 0, cout = 0x77;
        omnisock_hub hout = 0x77;
        os_src os;
        size_t sz = 0x77;
        /* a client left open across the shutdown */
        REQUIRE_RC(omnisock_client_connect(ccfg, &open_c));
        src_init(&os, "open-across-shutdown", false, open_c);
        REQUIRE(wait_for_event(&os, OMNISOCK_EVENT_OPEN, WAIT_MS) != NULL, "OPEN");
        REQUIRE(wait_for_event(&hsrc, OMNISOCK_EVENT_OPEN, WAIT_MS) != NULL, "hub OPEN");
        CHECK_RC(omnisock_client_send_text(open_c, "before", 6), OMNISOCK_OK);
        REQUIRE(wait_for_event(&hsrc, OMNISOCK_EVENT_TEXT, WAIT_MS) != NULL, "hub TEXT");

        CHECK_RC(omnisock_runtime_shutdown(5000), OMNISOCK_OK);
        CHECK_RC(omnisock_runtime_shutdown(5000), OMNISOCK_OK);
        CHECK_RC(omnisock_client_connect(ccfg, &cout), OMNISOCK_ERR_SHUTDOWN);
        CHECK_RC(omnisock_hub_start(hcfg, &hout), OMNISOCK_ERR_SHUTDOWN);
        CHECK(cout == 0x77 && hout == 0x77, "out-params untouched");
        CHECK_RC(omnisock_client_wait(open_c, 0, &ready), OMNISOCK_OK);
        e = wait_for_event(&os, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e != NULL, "the client left open gets a CLOSE event (code %u: %s)", e ? e->code : 0, e ? (const char *)e->data : "-");
        CHECK_RC(omnisock_client_poll(open_c, evs, 4, &sz), OMNISOCK_OK);
        CHECK(sz == 0, "nothing after that CLOSE (%zu)", sz);
        CHECK_RC(omnisock_client_state(open_c, &st), OMNISOCK_OK);
        CHECK(st == OMNISOCK_CLIENT_CLOSED, "its state is CLOSED");
        CHECK_RC(omnisock_client_send_text(open_c, "after", 5), OMNISOCK_ERR_CLOSED);
        CHECK_RC(omnisock_client_close(open_c, 1000, NULL), OMNISOCK_ERR_CLOSED);
        CHECK_RC(omnisock_hub_poll(hub, evs, 4, &sz), OMNISOCK_OK);
        sz = 0x77;
        CHECK_RC(omnisock_hub_connection_count(hub, &sz), OMNISOCK_OK);
        CHECK(sz == 0, "hub connection_count is 0: the runtime shutdown dropped every connection (%zu)", sz);
        CHECK_RC(omnisock_hub_local_port(hub, &port), OMNISOCK_OK);
        CHECK_RC(omnisock_hub_status_json(hub, NULL, 0, &sz), OMNISOCK_ERR_BUFFER_TOO_SMALL);
        CHECK_RC(omnisock_client_config_new("ws://127.0.0.1:1/", &cout), OMNISOCK_OK);
        omnisock_client_config_free(cout);
        src_clear(&os);
        omnisock_client_free(open_c);
        omnisock_client_free(open_c);
        CHECK_RC(omnisock_client_poll(open_c, evs, 4, &sz), OMNISOCK_ERR_INVALID_HANDLE);
    }

    src_clear(&hsrc);
    {
        uint64_t t0 = now_ms();
        omnisock_hub_free(hub);
        printf("   hub_free after runtime shutdown took %llu ms\n", (unsigned long long)(now_ms() - t0));
    }
    omnisock_hub_free(hub);
    CHECK_RC(omnisock_hub_local_port(hub, &port), OMNISOCK_ERR_INVALID_HANDLE);
    omnisock_hub_config_free(hcfg);
    omnisock_client_config_free(ccfg);
    return finish();
}
