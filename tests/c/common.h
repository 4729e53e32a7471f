/*
 * Shared helpers for the C ABI tests (roundtrip.c, mdf.c, misuse.c).
 *
 * - CHECK / CHECK_RC count passes and failures and print one line per check.
 * - os_src wraps a client or hub handle: next_event / wait_for_event copy each polled event
 *   (its pointers are only borrowed until the next poll), so tests can look at one event at a
 *   time. Every wait is bounded by a deadline; nothing depends on how fast anything runs.
 *
 * Header-only (static functions) so each test is a single translation unit.
 */
#ifndef OMNISOCK_TEST_COMMON_H
#define OMNISOCK_TEST_COMMON_H

#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#ifdef _WIN32
#include <winsock2.h> /* before windows.h, which would pull the old winsock.h */
#include <windows.h>
#else
#include <poll.h>
#endif
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "omnisock.h"

/* Upper bound for any single wait. Generous on purpose: the tests also run under valgrind,
 * which is many times slower. A correct run never waits this long. */
#define WAIT_MS 20000u

static int g_passed = 0;
static int g_failed = 0;

static inline void last_error_str(char *buf, size_t len) {
    size_t n = omnisock_last_error(buf, len);
    if (len > 0 && n == 0) buf[0] = '\0';
}

static inline void check_report(bool ok, const char *file, int line, const char *fmt, ...) {
    va_list ap;
    if (ok) {
        g_passed++;
        printf("ok   - ");
    } else {
        g_failed++;
        printf("FAIL - ");
    }
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (!ok) printf("   [%s:%d]", file, line);
    printf("\n");
    fflush(stdout);
}

#define CHECK(cond, ...) check_report((cond) ? true : false, __FILE__, __LINE__, __VA_ARGS__)

/* Evaluates `expr` (an omnisock_result) once and compares it with `expected`. */
#define CHECK_RC(expr, expected)                                                                  \
    do {                                                                                          \
        omnisock_result rc_got_ = (expr);                                                         \
        omnisock_result rc_want_ = (expected);                                                    \
        if (rc_got_ == rc_want_) {                                                                \
            check_report(true, __FILE__, __LINE__, "%s -> %s", #expr,                             \
                         omnisock_result_name(rc_want_));                                         \
        } else {                                                                                  \
            char msg_[512];                                                                       \
            last_error_str(msg_, sizeof msg_);                                                    \
            check_report(false, __FILE__, __LINE__, "%s -> %s, expected %s (last_error: %s)",     \
                         #expr, omnisock_result_name(rc_got_), omnisock_result_name(rc_want_),    \
                         rc_got_ == OMNISOCK_OK ? "-" : msg_);                                    \
        }                                                                                         \
    } while (0)

/* Like CHECK, but stops the test at once when it fails (later steps depend on it). */
#define REQUIRE(cond, ...)                                                                        \
    do {                                                                                          \
        bool req_ok_ = (cond) ? true : false;                                                     \
        check_report(req_ok_, __FILE__, __LINE__, __VA_ARGS__);                                   \
        if (!req_ok_) {                                                                           \
            printf("aborting: a required step failed\n%d passed, %d failed\n", g_passed,         \
                   g_failed);                                                                     \
            exit(1);                                                                              \
        }                                                                                         \
    } while (0)

#define REQUIRE_RC(expr)                                                                          \
    do {                                                                                          \
        omnisock_result rq_got_ = (expr);                                                         \
        char rq_msg_[512] = "-";                                                                  \
        if (rq_got_ != OMNISOCK_OK) last_error_str(rq_msg_, sizeof rq_msg_);                      \
        REQUIRE(rq_got_ == OMNISOCK_OK, "%s -> %s (%s)", #expr, omnisock_result_name(rq_got_),    \
                rq_msg_);                                                                         \
    } while (0)

static inline int finish(void) {
    printf("%d passed, %d failed\n", g_passed, g_failed);
    fflush(stdout);
    return g_failed == 0 && g_passed > 0 ? 0 : 1;
}

#ifdef _WIN32
/* Windows (mingw; run under Wine by tests/platforms): the same helpers over the Win32 API.
 * There is no wake fd on Windows (see omnisock_client_wake_fd), hence no fd_readable. */
static inline uint64_t now_ms(void) { return (uint64_t)GetTickCount64(); }

static inline void sleep_ms(unsigned ms) { Sleep(ms); }
#else
static inline uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void sleep_ms(unsigned ms) {
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Whether `fd` is readable now (timeout 0) or within `timeout_ms`. */
static inline bool fd_readable(int fd, int timeout_ms) {
    struct pollfd p = {fd, POLLIN, 0};
    int r;
    do {
        r = poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    return r > 0 && (p.revents & POLLIN);
}
#endif

static inline const char *kind_name(omnisock_event_kind k) {
    switch ((int)k) {
    case 1: return "OPEN";
    case 2: return "TEXT";
    case 3: return "BINARY";
    case 4: return "CLOSE";
    case 5: return "ERROR";
    case 6: return "RECONNECTING";
    case 7: return "PONG";
    case 8: return "HANDSHAKE";
    default: return "?";
    }
}

/* An event copied out of the borrowed omnisock_event. Strings are NUL-terminated copies. */
typedef struct {
    omnisock_event_kind kind;
    uint32_t code;
    uint32_t flags;
    uint64_t conn;
    uint8_t *data; /* data_len bytes plus a NUL (for printing) */
    size_t data_len;
    char *path, *query, *remote, *headers;
    size_t path_len, query_len, remote_len, headers_len;
} os_ev;

#define OS_SRC_RING 64

/* A client or hub with a small queue of copied events. */
typedef struct {
    const char *name;
    bool is_hub;
    uint64_t h;
    os_ev ring[OS_SRC_RING];
    size_t head, count;
    os_ev last; /* the event handed out last; freed on the next call */
    bool have_last;
} os_src;

static inline char *dup_bytes(const void *p, size_t n) {
    char *out = malloc(n + 1);
    if (!out) abort();
    if (n > 0 && p) memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static inline void ev_free(os_ev *e) {
    free(e->data);
    free(e->path);
    free(e->query);
    free(e->remote);
    free(e->headers);
    memset(e, 0, sizeof *e);
}

static inline void ev_copy(os_ev *dst, const omnisock_event *src) {
    dst->kind = src->kind;
    dst->code = src->code;
    dst->flags = src->flags;
    dst->conn = src->conn;
    dst->data_len = src->data_len;
    dst->data = (uint8_t *)dup_bytes(src->data, src->data_len);
    dst->path_len = src->path ? src->path_len : 0;
    dst->path = dup_bytes(src->path, dst->path_len);
    dst->query_len = src->query ? src->query_len : 0;
    dst->query = dup_bytes(src->query, dst->query_len);
    dst->remote_len = src->remote ? src->remote_len : 0;
    dst->remote = dup_bytes(src->remote, dst->remote_len);
    dst->headers_len = src->headers ? src->headers_len : 0;
    dst->headers = dup_bytes(src->headers, dst->headers_len);
}

static inline void src_init(os_src *s, const char *name, bool is_hub, uint64_t h) {
    memset(s, 0, sizeof *s);
    s->name = name;
    s->is_hub = is_hub;
    s->h = h;
}

static inline void src_clear(os_src *s) {
    while (s->count > 0) {
        ev_free(&s->ring[s->head]);
        s->head = (s->head + 1) % OS_SRC_RING;
        s->count--;
    }
    if (s->have_last) ev_free(&s->last);
    s->have_last = false;
}

/* Polls once (non-blocking) into the ring; returns the omnisock result. */
static inline omnisock_result src_fill(os_src *s) {
    omnisock_event batch[16];
    size_t room = OS_SRC_RING - s->count;
    size_t cap = room < 16 ? room : 16;
    size_t n = 0;
    omnisock_result r;
    if (cap == 0) return OMNISOCK_OK;
    r = s->is_hub ? omnisock_hub_poll(s->h, batch, cap, &n) : omnisock_client_poll(s->h, batch, cap, &n);
    if (r != OMNISOCK_OK) return r;
    for (size_t i = 0; i < n && i < cap; i++) {
        ev_copy(&s->ring[(s->head + s->count) % OS_SRC_RING], &batch[i]);
        s->count++;
    }
    return OMNISOCK_OK;
}

/* The next event within max_ms, or NULL. The pointer is valid until the next call. */
static inline const os_ev *next_event(os_src *s, unsigned max_ms) {
    uint64_t deadline = now_ms() + max_ms;
    if (s->have_last) {
        ev_free(&s->last);
        s->have_last = false;
    }
    for (int guard = 0; guard < 100000 && s->count == 0; guard++) {
        bool ready = false;
        uint64_t now = now_ms();
        uint32_t slice;
        omnisock_result r;
        if (src_fill(s) != OMNISOCK_OK) return NULL;
        if (s->count > 0) break;
        if (now >= deadline) return NULL;
        slice = (uint32_t)(deadline - now);
        if (slice > 500) slice = 500;
        r = s->is_hub ? omnisock_hub_wait(s->h, slice, &ready) : omnisock_client_wait(s->h, slice, &ready);
        if (r != OMNISOCK_OK) return NULL;
    }
    if (s->count == 0) return NULL;
    s->last = s->ring[s->head];
    memset(&s->ring[s->head], 0, sizeof s->ring[s->head]);
    s->head = (s->head + 1) % OS_SRC_RING;
    s->count--;
    s->have_last = true;
    return &s->last;
}

/* The next event, which must be of `kind`; prints what came instead and returns NULL. */
static inline const os_ev *wait_for_event(os_src *s, omnisock_event_kind kind, unsigned max_ms) {
    const os_ev *e = next_event(s, max_ms);
    if (!e) {
        printf("  .. %s: no event within %u ms (wanted %s)\n", s->name, max_ms, kind_name(kind));
        return NULL;
    }
    if (e->kind != kind) {
        printf("  .. %s: got %s (code %u, conn %llu, data \"%.*s\") instead of %s\n", s->name,
               kind_name(e->kind), e->code, (unsigned long long)e->conn,
               (int)(e->data_len > 200 ? 200 : e->data_len), (const char *)e->data, kind_name(kind));
        return NULL;
    }
    return e;
}

static inline bool ev_data_is(const os_ev *e, const void *want, size_t len) {
    return e && e->data_len == len && (len == 0 || memcmp(e->data, want, len) == 0);
}

static inline bool ev_data_str(const os_ev *e, const char *want) {
    return ev_data_is(e, want, strlen(want));
}

/* Case-insensitive substring search. */
static inline bool contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    if (!hay) return false;
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i])) i++;
        if (i == n) return true;
    }
    return n == 0;
}

/* The status JSON of a hub (malloc'd, caller frees), or NULL. */
static inline char *hub_status(omnisock_hub h) {
    size_t need = 0;
    char *buf;
    if (omnisock_hub_status_json(h, NULL, 0, &need) != OMNISOCK_ERR_BUFFER_TOO_SMALL) return NULL;
    /* Counters may grow between the two calls: leave some room. */
    buf = malloc(need + 4096);
    if (!buf) abort();
    if (omnisock_hub_status_json(h, buf, need + 4096, &need) != OMNISOCK_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The number after `"key":` in `json` (first occurrence after `from`, if given), or -1. */
static inline long long json_number(const char *json, const char *from, const char *key) {
    char pat[128];
    const char *p = json;
    if (!json) return -1;
    if (from) {
        p = strstr(json, from);
        if (!p) return -1;
    }
    snprintf(pat, sizeof pat, "\"%s\":", key);
    p = strstr(p, pat);
    if (!p) return -1;
    return strtoll(p + strlen(pat), NULL, 10);
}

/* Waits (bounded) until the route at `path` has `n` members per the status JSON. */
static inline bool wait_route_connections(omnisock_hub h, const char *path, long long n, unsigned max_ms) {
    char from[256];
    uint64_t deadline = now_ms() + max_ms;
    snprintf(from, sizeof from, "\"path\":\"%s\"", path);
    for (int i = 0; i < 100000; i++) {
        char *js = hub_status(h);
        long long got = json_number(js, from, "connections");
        free(js);
        if (got == n) return true;
        if (now_ms() >= deadline) return false;
        sleep_ms(2);
    }
    return false;
}

/* Creates a client config for ws://127.0.0.1:port<path> with pings off (they are not under
 * test here). */
static inline omnisock_client_config local_config(uint16_t port, const char *path) {
    char url[256];
    omnisock_client_config cfg = 0;
    snprintf(url, sizeof url, "ws://127.0.0.1:%u%s", (unsigned)port, path);
    REQUIRE_RC(omnisock_client_config_new(url, &cfg));
    REQUIRE_RC(omnisock_client_config_set_keepalive(cfg, 0, 0));
    return cfg;
}

#endif
