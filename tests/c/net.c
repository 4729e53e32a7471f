/*
 * Unix domain sockets through the C ABI (a hub listening only on a Unix socket, a client
 * connecting over it), and the checks of the proxy and certificate pin setters.
 */
#include "common.h"

#ifndef _WIN32
#include <unistd.h>
#endif

int main(void) {
    printf("omnisock %s: Unix sockets, proxy and pin setters\n", omnisock_version());
#ifndef _WIN32
    {
        omnisock_hub_config hcfg = 0;
        omnisock_hub hub = 0;
        omnisock_client_config cfg = 0;
        omnisock_client c = 0;
        os_src cli;
        const os_ev *e;
        uint16_t port = 1;
        char path[128];
        snprintf(path, sizeof path, "/tmp/omnisock-c-net-%ld.sock", (long)getpid());

        REQUIRE_RC(omnisock_hub_config_new("", &hcfg));
        REQUIRE_RC(omnisock_hub_config_add_route(hcfg, "/echo", OMNISOCK_ROUTE_ECHO, 0, OMNISOCK_OVERFLOW_CLOSE));
        CHECK_RC(omnisock_hub_start(hcfg, &hub), OMNISOCK_ERR_INVALID_ARGUMENT); /* no address at all */
        REQUIRE_RC(omnisock_hub_config_set_unix_socket(hcfg, path));
        REQUIRE_RC(omnisock_hub_start(hcfg, &hub));
        CHECK_RC(omnisock_hub_local_port(hub, &port), OMNISOCK_OK);
        CHECK(port == 0, "no TCP port when only a Unix socket is configured");
        CHECK(access(path, F_OK) == 0, "the socket file exists while the hub runs");

        REQUIRE_RC(omnisock_client_config_new("ws://localhost/echo", &cfg));
        REQUIRE_RC(omnisock_client_config_set_unix_socket(cfg, path));
        REQUIRE_RC(omnisock_client_connect(cfg, &c));
        src_init(&cli, "unix-client", false, c);
        e = wait_for_event(&cli, OMNISOCK_EVENT_OPEN, WAIT_MS);
        CHECK(e && strcmp(e->remote, path) == 0, "open over the Unix socket (remote %s)", e ? e->remote : "-");
        CHECK_RC(omnisock_client_send_text(c, "over unix", 9), OMNISOCK_OK);
        e = wait_for_event(&cli, OMNISOCK_EVENT_TEXT, WAIT_MS);
        CHECK(ev_data_str(e, "over unix"), "echo over the Unix socket");
        CHECK_RC(omnisock_client_close(c, 1000, NULL), OMNISOCK_OK);
        e = wait_for_event(&cli, OMNISOCK_EVENT_CLOSE, WAIT_MS);
        CHECK(e && e->code == 1000, "clean close");
        src_clear(&cli);
        omnisock_client_free(c);
        CHECK_RC(omnisock_client_config_set_unix_socket(cfg, NULL), OMNISOCK_OK);
        omnisock_client_config_free(cfg);

        CHECK_RC(omnisock_hub_shutdown(hub), OMNISOCK_OK);
        CHECK(access(path, F_OK) != 0, "the hub removed its socket file");
        omnisock_hub_free(hub);
        omnisock_hub_config_free(hcfg);
    }
#endif
    {
        omnisock_client_config cfg = 0;
        char msg[512];
        REQUIRE_RC(omnisock_client_config_new("wss://example.com/", &cfg));
        CHECK_RC(omnisock_client_config_set_proxy(cfg, "http://user:topsecret@proxy.local:3128"), OMNISOCK_OK);
        CHECK_RC(omnisock_client_config_set_proxy(cfg, "socks5://user:topsecret@proxy.local:1080"), OMNISOCK_ERR_INVALID_ARGUMENT);
        last_error_str(msg, sizeof msg);
        CHECK(strstr(msg, "socks5") && !strstr(msg, "topsecret"), "a bad proxy is refused without showing the password (\"%s\")", msg);
        CHECK_RC(omnisock_client_config_set_proxy(cfg, NULL), OMNISOCK_OK);
        CHECK_RC(omnisock_client_config_add_certificate_pin(cfg, "**.example.com", "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), OMNISOCK_OK);
        CHECK_RC(omnisock_client_config_add_certificate_pin(cfg, "example.com", "md5/xyz"), OMNISOCK_ERR_INVALID_ARGUMENT);
        last_error_str(msg, sizeof msg);
        CHECK(strstr(msg, "sha256/") != NULL, "a bad pin names the expected form (\"%s\")", msg);
        CHECK_RC(omnisock_client_config_add_certificate_pin(cfg, NULL, "sha256/x"), OMNISOCK_ERR_INVALID_ARGUMENT);
        CHECK_RC(omnisock_client_config_set_proxy(0, NULL), OMNISOCK_ERR_INVALID_HANDLE);
        omnisock_client_config_free(cfg);
    }
    CHECK_RC(omnisock_runtime_shutdown(5000), OMNISOCK_OK);
    return finish();
}
