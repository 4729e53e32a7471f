/*
 * The C client's round trips against an echo route: omnisock_client_send_* from the calling
 * thread, then omnisock_client_wait + omnisock_client_poll on the same thread for the answer.
 * Prints one JSON line with the same fields as `omnisock-loadgen rtt` (its yardstick, a blocking
 * tungstenite client): sequential 64 B round trips (rate, p50, p99), pipelined 64 B messages
 * (a window of 64 in flight), 1 MiB binary echoes, the CPU an open idle client costs over a
 * window and the thread wake-ups (context switches) per second in it (whole process: the core's
 * runtime threads included), and resident memory per idle client. Every loop is bounded by a count and a time.
 *
 *   rtt URL [count [pipelined [large [max_s [idle_s [idle_clients]]]]]]
 */
#include <omnisock.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define WAIT_MS 10000

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, omnisock_result rc) {
    char msg[512] = "";
    omnisock_last_error(msg, sizeof msg);
    printf("{\"ok\": false, \"error\": \"%s: %d %s\"}\n", what, (int)rc, msg);
    exit(2);
}

#define TRY(what, call)                  \
    do {                                 \
        omnisock_result rc_ = (call);    \
        if (rc_ != OMNISOCK_OK) die(what, rc_); \
    } while (0)

/* utime + stime of this process (all threads), in seconds. */
static double cpu_s(void) {
    char buf[2048];
    FILE *f = fopen("/proc/self/stat", "r");
    size_t n;
    char *p;
    unsigned long ut = 0, st = 0;
    if (!f) return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    p = strrchr(buf, ')');
    if (!p) return 0;
    /* After ")": state is field 3; utime, stime are fields 14, 15. */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU time of this process (every thread) in seconds, to the nanosecond. */
static double cpu_precise_s(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Context switches of every thread of this process (voluntary + involuntary): each wake-up of a
 * sleeping thread counts one, so over an idle window this counts timer and poll wake-ups. */
static unsigned long long wakeups(void) {
    unsigned long long total = 0;
    char path[300], line[256];
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    if (!d) return 0;
    while ((e = readdir(d)) != NULL) {
        FILE *f;
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        f = fopen(path, "r");
        if (!f) continue;
        while (fgets(line, sizeof line, f)) {
            if (strstr(line, "ctxt_switches:")) total += strtoull(strchr(line, ':') + 1, NULL, 10);
        }
        fclose(f);
    }
    closedir(d);
    return total;
}

static long rss_kib(void) {
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) v = strtol(line + 6, NULL, 10);
    }
    fclose(f);
    return v;
}

static omnisock_event g_events[BATCH];

/* Waits for the next event of `kind` (TEXT/BINARY/OPEN); returns its payload length. */
static size_t next(omnisock_client c, omnisock_event_kind kind) {
    static size_t have = 0, at = 0;
    static omnisock_client last = 0;
    if (c != last) { /* a batch belongs to one client */
        have = at = 0;
        last = c;
    }
    for (;;) {
        while (at < have) {
            omnisock_event *e = &g_events[at++];
            if (e->kind == kind) return e->data_len;
            if (e->kind == OMNISOCK_EVENT_CLOSE || e->kind == OMNISOCK_EVENT_ERROR) {
                printf("{\"ok\": false, \"error\": \"event %d: %.*s\"}\n", (int)e->kind, (int)e->data_len, (const char *)e->data);
                exit(2);
            }
        }
        have = at = 0;
        TRY("poll", omnisock_client_poll(c, g_events, BATCH, &have));
        if (have == 0) {
            bool ready = false;
            TRY("wait", omnisock_client_wait(c, WAIT_MS, &ready));
            if (!ready) die("no event within 10 s", OMNISOCK_ERR_TIMEOUT);
        }
    }
}

static omnisock_client open_client(const char *url) {
    omnisock_client_config cfg = 0;
    omnisock_client c = 0;
    TRY("config", omnisock_client_config_new(url, &cfg));
    TRY("send queue limit", omnisock_client_config_set_send_queue_limit(cfg, 64u << 20));
    TRY("connect", omnisock_client_connect(cfg, &c));
    omnisock_client_config_free(cfg);
    next(c, OMNISOCK_EVENT_OPEN);
    return c;
}

static int cmp_u64(const void *a, const void *b) {
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

static double pct_us(const unsigned long long *v, size_t n, double p) {
    size_t i;
    if (n == 0) return 0;
    i = (size_t)(n * p);
    if (i >= n) i = n - 1;
    return v[i] / 1000.0;
}

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : NULL;
    size_t count = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
    size_t pipelined = argc > 3 ? strtoul(argv[3], NULL, 10) : 100000;
    size_t large = argc > 4 ? strtoul(argv[4], NULL, 10) : 50;
    double max_s = argc > 5 ? atof(argv[5]) : 10;
    double idle_s = argc > 6 ? atof(argv[6]) : 10;
    size_t idle_clients = argc > 7 ? strtoul(argv[7], NULL, 10) : 50;
    char msg[64];
    unsigned long long *lat;
    size_t n = 0, i, sent = 0, got = 0;
    double t0, secs, pl_rate, mb, c0, c1, paced_us;
    unsigned long long w0, w1;
    unsigned char *big;
    omnisock_client c, *idle;
    long r0, r1;

    if (!url || count == 0 || count > 10000000) {
        fprintf(stderr, "usage: rtt ws://HOST:PORT/echo [count (1..10^7) ...]\n");
        return 2;
    }
    memset(msg, 'x', sizeof msg);
    lat = malloc(count * sizeof *lat);
    big = malloc(1u << 20);
    if (!lat || !big) return 2;
    for (i = 0; i < (1u << 20); i++) big[i] = (unsigned char)i;

    c = open_client(url);
    for (i = 0; i < 200; i++) { /* warm-up */
        TRY("send", omnisock_client_send_text(c, msg, sizeof msg));
        next(c, OMNISOCK_EVENT_TEXT);
    }
    t0 = now_s();
    while (n < count && now_s() - t0 < max_s) {
        double t = now_s();
        TRY("send", omnisock_client_send_text(c, msg, sizeof msg));
        if (next(c, OMNISOCK_EVENT_TEXT) != sizeof msg) die("short echo", OMNISOCK_ERR_TIMEOUT);
        lat[n++] = (unsigned long long)((now_s() - t) * 1e9);
    }
    secs = now_s() - t0;
    qsort(lat, n, sizeof *lat, cmp_u64);

    /* Paced: 200 round trips, one every 5 ms (a mostly idle request/response client): CPU of the
     * whole process per round trip, the reply spin included. */
    c0 = cpu_precise_s();
    for (i = 0; i < 200; i++) {
        usleep(5000);
        TRY("send", omnisock_client_send_text(c, msg, sizeof msg));
        next(c, OMNISOCK_EVENT_TEXT);
    }
    paced_us = (cpu_precise_s() - c0) * 1e6 / 200;

    t0 = now_s();
    while (got < pipelined && now_s() - t0 < max_s) {
        while (sent < pipelined && sent - got < 64) {
            TRY("send", omnisock_client_send_text(c, msg, sizeof msg));
            sent++;
        }
        next(c, OMNISOCK_EVENT_TEXT);
        got++;
    }
    while (got < sent) {
        next(c, OMNISOCK_EVENT_TEXT);
        got++;
    }
    pl_rate = got / (now_s() - t0);

    t0 = now_s();
    for (i = 0; i < large && now_s() - t0 < max_s; i++) {
        TRY("send", omnisock_client_send_binary(c, big, 1u << 20));
        if (next(c, OMNISOCK_EVENT_BINARY) != (1u << 20)) die("short 1 MiB echo", OMNISOCK_ERR_TIMEOUT);
    }
    mb = (double)i * (1u << 20) / 1e6 / (now_s() - t0);

    /* Idle: one open client (default keepalive), nothing sent. */
    c0 = cpu_s();
    w0 = wakeups();
    usleep((useconds_t)(idle_s * 1e6));
    w1 = wakeups();
    c1 = cpu_s();

    /* Idle memory: the first client stays open, so nothing it used is given back meanwhile. */
    r0 = rss_kib();
    idle = calloc(idle_clients ? idle_clients : 1, sizeof *idle);
    for (i = 0; i < idle_clients; i++) idle[i] = open_client(url);
    usleep(300000);
    r1 = rss_kib();
    for (i = 0; i < idle_clients; i++) omnisock_client_free(idle[i]);
    omnisock_client_free(c);

    printf("{\"lib\": \"omnisock-c\", \"rtt_per_s\": %.0f, \"rtt_p50_us\": %.1f, \"rtt_p99_us\": %.1f, \"rtt_count\": %zu, \"paced_cpu_us\": %.1f, "
           "\"pipelined_per_s\": %.0f, \"large_mb_per_s\": %.1f, \"idle_cpu_ms\": %.0f, \"idle_wakeups_per_s\": %.1f, \"idle_s\": %.1f, "
           "\"idle_kib_per_client\": %.1f}\n",
           n / secs, pct_us(lat, n, 0.5), pct_us(lat, n, 0.99), n, paced_us, pl_rate, mb, (c1 - c0) * 1000,
           idle_s > 0 ? (double)(w1 - w0) / idle_s : 0.0, idle_s,
           idle_clients ? (double)(r1 - r0) / idle_clients : 0.0);
    free(idle);
    free(lat);
    free(big);
    return 0;
}
