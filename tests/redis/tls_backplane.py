"""The backplane over TLS (rediss://), against a real redis-server with a private CA.

Usage: tls_backplane.py OMNISOCK REDIS_SERVER DIR

- redis-server listens with TLS only, its certificate signed by a CA made here (openssl).
- Two `omnisock hub` processes join through `rediss://` with `backplane_ca` = that CA: a message
  broadcast on /chat at node A reaches a `websockets` client on /chat at node B.
- A third hub without `backplane_ca` must refuse to start: the webpki roots alone do not trust
  the private CA, so the certificate check is really done.
"""
import asyncio
import os
import re
import socket
import subprocess
import sys
import threading
import time

import websockets

LISTEN_RE = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs(d):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=omnisock test CA", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "redis.key", "-out", "redis.csr",
            "-subj", "/CN=127.0.0.1", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "redis.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "redis.pem", "-days", "2", "-extfile", "san.ext", cwd=d)


class Hub:
    """`omnisock hub --config FILE`; waits (bounded) for its port or its exit."""

    def __init__(self, omnisock, config_path):
        self.lines = []
        self.port = None
        self._ready = threading.Event()
        self.proc = subprocess.Popen([omnisock, "hub", "--config", config_path], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        threading.Thread(target=self._drain, daemon=True).start()
        self._ready.wait(30)

    def _drain(self):
        for line in self.proc.stdout:
            self.lines.append(line)
            m = LISTEN_RE.search(line)
            if m and self.port is None:
                self.port = int(m.group(1))
                self._ready.set()
        self._ready.set()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def hub_config(d, name, redis_port, with_ca):
    path = os.path.join(d, name + ".toml")
    with open(path, "w") as f:
        f.write('listen = "127.0.0.1:0"\nbackplane = "rediss://127.0.0.1:%d/"\nbackplane_prefix = "tlstest"\n'
                % redis_port)
        if with_ca:
            f.write('backplane_ca = "%s"\n' % os.path.join(d, "ca.pem"))
        f.write('[[route]]\npath = "/chat"\nkind = "broadcast"\n')
    return path


async def cross_node(a_port, b_port):
    async with websockets.connect("ws://127.0.0.1:%d/chat" % a_port) as a, \
            websockets.connect("ws://127.0.0.1:%d/chat" % b_port) as b:
        # Node B subscribes to /chat's topic once b joined: publish "sync" until b hears one.
        deadline = time.monotonic() + 20
        synced = False
        while time.monotonic() < deadline and not synced:
            await a.send("sync")
            try:
                synced = await asyncio.wait_for(b.recv(), 0.3) == "sync"
            except asyncio.TimeoutError:
                pass
        assert synced, "node B never received a broadcast from node A over rediss://"
        await a.send("hello over rediss")
        for _ in range(1000):
            m = await asyncio.wait_for(b.recv(), 20)
            if m != "sync":
                assert m == "hello over rediss", m
                return


def main():
    omnisock, redis_server, d = sys.argv[1:4]
    make_certs(d)
    port = free_port()
    redis = subprocess.Popen([redis_server, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
                              "--tls-cert-file", "redis.pem", "--tls-key-file", "redis.key",
                              "--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no",
                              "--save", "", "--appendonly", "no", "--dir", d],
                             cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hubs = []
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        a = Hub(omnisock, hub_config(d, "a", port, True))
        hubs.append(a)
        b = Hub(omnisock, hub_config(d, "b", port, True))
        hubs.append(b)
        assert a.port and b.port, "hubs with backplane_ca did not start:\n" + "".join(a.lines + b.lines)
        asyncio.run(cross_node(a.port, b.port))
        print("ok   tls: a broadcast at node A reached node B through rediss:// (private CA via backplane_ca)")

        c = Hub(omnisock, hub_config(d, "c", port, False))
        hubs.append(c)
        try:
            c.proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
        out = "".join(c.lines)
        assert c.port is None and c.proc.returncode not in (None, 0), "a hub without backplane_ca started:\n" + out
        assert re.search(r"certificate|UnknownIssuer|TLS", out, re.I), "no TLS error in:\n" + out
        print("ok   tls: without backplane_ca the hub refuses to start (%s)" % out.strip().splitlines()[-1][:160])
    finally:
        for h in hubs:
            h.stop()
        redis.terminate()
        redis.wait(10)


if __name__ == "__main__":
    main()
