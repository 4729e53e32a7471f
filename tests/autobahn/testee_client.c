/*
 * Autobahn|Testsuite client testee on the omnisock C API.
 *
 *   testee_client BASE_URL AGENT      e.g. testee_client ws://127.0.0.1:9001 omnisock
 *
 * Asks the fuzzing server for its case count (GET /getCaseCount), runs every case
 * (/runCase?case=N&agent=AGENT) echoing each message back as it came (text as text, binary
 * as binary) until the connection closes, then asks for the reports (/updateReports).
 * Every case offers permessage-deflate (omnisock_client_config_set_compression), messages from
 * COMPRESSION_THRESHOLD bytes go out compressed; the cases whose server accepts only an offer
 * with client_no_context_takeover (13.2, 13.5-13.7, read from /getCaseInfo) get that offer too
 * (the JSON config's compression_options), the others keep the compression context.
 * Every wait is bounded. Exits 0 when all cases ran; the verdicts are in the reports.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "omnisock.h"

#define POLL_BATCH 64
#define CASE_LIMIT_S 120.0     /* one case: far more than any Autobahn case needs */
#define MAX_MESSAGE (64u << 20) /* 9.* cases send up to 16 MiB */
#define COMPRESSION_THRESHOLD 64 /* 12.*: 16-byte messages go plain, the rest compressed */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void report_error(const char *what, omnisock_result r) {
    char msg[512];
    omnisock_last_error(msg, sizeof msg);
    fprintf(stderr, "testee: %s: %s (%s)\n", what, omnisock_result_name(r), msg);
}

/* What a session does with the messages it receives. */
typedef enum { SESSION_ECHO, SESSION_READ_TEXT } session_mode;

typedef struct {
    uint32_t close_code;
    bool clean;
    bool timed_out;
    /* SESSION_READ_TEXT: the first text message, NUL-terminated (cut to fit). */
    char text[4096];
    bool got_text;
} session_result;

/* Queues `len` bytes back to the server, retrying while the send queue is full. */
static void echo_back(omnisock_client c, const omnisock_event *ev) {
    for (int attempt = 0; attempt < 10000; attempt++) {
        omnisock_result r = ev->kind == OMNISOCK_EVENT_TEXT
                                ? omnisock_client_send_text(c, (const char *)ev->data, ev->data_len)
                                : omnisock_client_send_binary(c, ev->data, ev->data_len);
        if (r == OMNISOCK_ERR_QUEUE_FULL) {
            sleep_ms(1);
            continue;
        }
        /* CLOSED: the server is closing (some cases close right after a message). */
        if (r != OMNISOCK_OK && r != OMNISOCK_ERR_CLOSED) report_error("send", r);
        return;
    }
    fprintf(stderr, "testee: send queue stayed full\n");
}

static int run_session(const char *url, session_mode mode, bool no_context_takeover, session_result *res) {
    memset(res, 0, sizeof *res);
    omnisock_client_config cfg = 0;
    omnisock_client c = 0;
    char json[1400];
    snprintf(json, sizeof json, "{\"url\": \"%s\", \"compression_options\": {\"client_no_context_takeover\": %s}}", url,
             no_context_takeover ? "true" : "false");
    omnisock_result r = omnisock_client_config_from_json(json, strlen(json), &cfg);
    if (r != OMNISOCK_OK) {
        report_error("config_from_json", r);
        return -1;
    }
    if ((r = omnisock_client_config_set_compression(cfg, true)) != OMNISOCK_OK ||
        (r = omnisock_client_config_set_compression_threshold(cfg, COMPRESSION_THRESHOLD)) != OMNISOCK_OK ||
        (r = omnisock_client_config_set_max_message_size(cfg, MAX_MESSAGE)) != OMNISOCK_OK ||
        (r = omnisock_client_config_set_send_queue_limit(cfg, MAX_MESSAGE)) != OMNISOCK_OK ||
        (r = omnisock_client_config_set_keepalive(cfg, 0, 20000)) != OMNISOCK_OK ||
        (r = omnisock_client_config_set_connect_timeout_ms(cfg, 10000)) != OMNISOCK_OK) {
        report_error("config", r);
        omnisock_client_config_free(cfg);
        return -1;
    }
    r = omnisock_client_connect(cfg, &c);
    omnisock_client_config_free(cfg);
    if (r != OMNISOCK_OK) {
        report_error("connect", r);
        return -1;
    }

    omnisock_event events[POLL_BATCH];
    double deadline = now_s() + CASE_LIMIT_S;
    bool closed = false;
    while (!closed) {
        if (now_s() > deadline) {
            res->timed_out = true;
            break;
        }
        bool ready = false;
        r = omnisock_client_wait(c, 500, &ready);
        if (r != OMNISOCK_OK) {
            report_error("wait", r);
            break;
        }
        if (!ready) continue;
        size_t n = 0;
        r = omnisock_client_poll(c, events, POLL_BATCH, &n);
        if (r != OMNISOCK_OK) {
            report_error("poll", r);
            break;
        }
        for (size_t i = 0; i < n && !closed; i++) {
            const omnisock_event *ev = &events[i];
            switch (ev->kind) {
            case OMNISOCK_EVENT_TEXT:
            case OMNISOCK_EVENT_BINARY:
                if (mode == SESSION_ECHO) {
                    echo_back(c, ev);
                } else if (ev->kind == OMNISOCK_EVENT_TEXT && !res->got_text) {
                    size_t len = ev->data_len < sizeof res->text - 1 ? ev->data_len : sizeof res->text - 1;
                    memcpy(res->text, ev->data, len);
                    res->text[len] = '\0';
                    res->got_text = true;
                }
                break;
            case OMNISOCK_EVENT_CLOSE:
                res->close_code = ev->code;
                res->clean = (ev->flags & OMNISOCK_EVENT_FLAG_CLEAN) != 0;
                closed = true;
                break;
            case OMNISOCK_EVENT_ERROR:
                /* Expected in the cases that send invalid frames; keep it short. */
                fprintf(stderr, "testee: %s: error %u: %.*s\n", url, ev->code, (int)(ev->data_len > 200 ? 200 : ev->data_len),
                        (const char *)ev->data);
                break;
            default:
                break;
            }
        }
    }
    omnisock_client_free(c);
    return 0;
}

/* Whether the case whose /getCaseInfo JSON is `info` accepts only offers that carry
 * client_no_context_takeover (Autobahn's 13.2, 13.5, 13.6, 13.7). */
static bool needs_no_context_takeover(const char *info) {
    const char *id = strstr(info, "\"id\": \"");
    if (id == NULL) return false;
    id += strlen("\"id\": \"");
    return strncmp(id, "13.2.", 5) == 0 || strncmp(id, "13.5.", 5) == 0 || strncmp(id, "13.6.", 5) == 0 ||
           strncmp(id, "13.7.", 5) == 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s BASE_URL AGENT\n", argv[0]);
        return 2;
    }
    const char *base = argv[1];
    const char *agent = argv[2];
    char url[1024];
    session_result res;

    snprintf(url, sizeof url, "%s/getCaseCount", base);
    if (run_session(url, SESSION_READ_TEXT, false, &res) != 0 || !res.got_text) {
        fprintf(stderr, "testee: no case count from %s\n", url);
        return 1;
    }
    long count = strtol(res.text, NULL, 10);
    if (count <= 0 || count > 100000) {
        fprintf(stderr, "testee: bad case count %s\n", res.text);
        return 1;
    }
    printf("testee: %ld cases\n", count);
    fflush(stdout);

    int failures = 0;
    for (long i = 1; i <= count; i++) {
        snprintf(url, sizeof url, "%s/getCaseInfo?case=%ld", base, i);
        if (run_session(url, SESSION_READ_TEXT, false, &res) != 0 || !res.got_text) {
            fprintf(stderr, "testee: no info for case %ld\n", i);
            failures++;
            continue;
        }
        bool no_takeover = needs_no_context_takeover(res.text);
        snprintf(url, sizeof url, "%s/runCase?case=%ld&agent=%s", base, i, agent);
        if (run_session(url, SESSION_ECHO, no_takeover, &res) != 0) {
            failures++;
            continue;
        }
        if (res.timed_out) {
            fprintf(stderr, "testee: case %ld did not close within %.0f s\n", i, CASE_LIMIT_S);
        }
        printf("testee: case %ld/%ld closed with %u%s\n", i, count, res.close_code, res.clean ? " (clean)" : "");
        fflush(stdout);
    }

    snprintf(url, sizeof url, "%s/updateReports?agent=%s", base, agent);
    if (run_session(url, SESSION_ECHO, false, &res) != 0) {
        fprintf(stderr, "testee: updateReports failed\n");
        return 1;
    }
    omnisock_runtime_shutdown(5000);
    printf("testee: done, %d sessions could not start\n", failures);
    return failures == 0 ? 0 : 1;
}
