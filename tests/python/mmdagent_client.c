/*
 * A stand-in for MMDAgent-EX's Plugin_Remote WebSocket client (seed 000), written against
 * include/omnisock.h: it reads Plugin_Remote_Websocket_Host/_Port/_Directory from an .mdf file
 * (port 443 means wss), connects with line framing, prints every line the server sends as
 * "RECV <line>", and sends every line read from stdin as one host message ("\n"-terminated).
 *
 * usage: mmdagent_client FILE.mdf [CA.pem] [SECONDS]
 * Prints "OPEN <path>" when connected and "CLOSE <code>" at the end; exits after SECONDS
 * (default 30) or when the server closes, or on "QUIT" from stdin (closes with 1000).
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "omnisock.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, omnisock_result rc) {
    char msg[512];
    size_t n = omnisock_last_error(msg, sizeof msg);
    if (n == 0) msg[0] = '\0';
    fprintf(stderr, "mmdagent_client: %s failed: %s (%s)\n", what, omnisock_result_name(rc), msg);
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.mdf [CA.pem] [SECONDS]\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    char text[8192];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    double seconds = argc > 3 ? atof(argv[3]) : 30.0;

    omnisock_client_config cfg = 0;
    omnisock_client c = 0;
    omnisock_result rc;
    if ((rc = omnisock_client_config_from_mdf(text, len, &cfg)) != OMNISOCK_OK) die("config_from_mdf", rc);
    if (argc > 2 && argv[2][0] && (rc = omnisock_client_config_add_ca_file(cfg, argv[2])) != OMNISOCK_OK) die("add_ca_file", rc);
    if ((rc = omnisock_client_connect(cfg, &c)) != OMNISOCK_OK) die("connect", rc);
    int wake = -1;
    if ((rc = omnisock_client_wake_fd(c, &wake)) != OMNISOCK_OK) die("wake_fd", rc);

    char line[4096];
    size_t have = 0;
    bool stdin_open = true, done = false;
    int exit_code = 1;
    double end = now_s() + seconds;
    while (!done && now_s() < end) {
        struct pollfd fds[2] = {{wake, POLLIN, 0}, {0, POLLIN, 0}};
        poll(fds, stdin_open ? 2 : 1, 100);
        if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP))) {
            ssize_t n = read(0, line + have, sizeof line - 1 - have);
            if (n <= 0) {
                stdin_open = false;
            } else {
                have += (size_t)n;
                char *nl;
                while ((nl = memchr(line, '\n', have)) != NULL) {
                    size_t l = (size_t)(nl - line);
                    if (l == 4 && memcmp(line, "QUIT", 4) == 0) {
                        omnisock_client_close(c, 1000, "bye");
                    } else {
                        omnisock_client_send_text(c, line, l); /* line framing appends "\n" */
                    }
                    memmove(line, nl + 1, have - l - 1);
                    have -= l + 1;
                }
            }
        }
        omnisock_event ev[64];
        size_t count = 0;
        if ((rc = omnisock_client_poll(c, ev, 64, &count)) != OMNISOCK_OK) die("poll", rc);
        for (size_t i = 0; i < count; i++) {
            switch (ev[i].kind) {
            case OMNISOCK_EVENT_OPEN:
                printf("OPEN %.*s\n", (int)ev[i].path_len, ev[i].path);
                break;
            case OMNISOCK_EVENT_TEXT:
                printf("RECV %.*s\n", (int)ev[i].data_len, (const char *)ev[i].data);
                break;
            case OMNISOCK_EVENT_ERROR:
                printf("ERROR %.*s\n", (int)ev[i].data_len, (const char *)ev[i].data);
                break;
            case OMNISOCK_EVENT_CLOSE:
                printf("CLOSE %u\n", ev[i].code);
                exit_code = 0;
                done = true;
                break;
            default:
                break;
            }
        }
        fflush(stdout);
    }
    omnisock_client_free(c);
    omnisock_client_config_free(cfg);
    omnisock_runtime_shutdown(2000);
    return exit_code;
}
