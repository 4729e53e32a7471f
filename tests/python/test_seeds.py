"""The seed programs, end to end: 000 (MMDAgent-EX C client over .mdf + line framing), 001
(multi-client servers with a real Chromium page among the clients), 003 (PNG frames to
Chromium and native clients, byte-exact), 004 (run_until_complete + run_forever)."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import time
from pathlib import Path

import websockets as real_websockets

import omnisock
from conftest import SEEDS, Lines, free_port, make_png, mmdagent_client, python_child, run, stop, wait_port, wait_port_free

MDF = "Plugin_Remote_Websocket_Host=localhost\nPlugin_Remote_Websocket_Port=9001\nPlugin_Remote_Websocket_Directory=/chat\n"


def _mmdagent(tmp_path: Path) -> subprocess.Popen:
    mdf = tmp_path / "remote.mdf"
    mdf.write_text("# MMDAgent-EX\n" + MDF)
    return subprocess.Popen([mmdagent_client(), str(mdf), "", "60"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)


def test_seed000_example1_prints_what_mmdagent_sends(tmp_path):
    wait_port_free(9001)
    server = python_child(SEEDS / "seed000_example1.py")
    client = None
    try:
        sl = Lines(server)
        wait_port(9001)
        client = _mmdagent(tmp_path)
        cl = Lines(client)
        cl.expect("OPEN /chat")
        sl.expect("connected")
        for msg in ("MOTION_EVENT_START|mei|greet", "SYNTH_EVENT_STOP|mei"):
            client.stdin.write(msg + "\n")
            client.stdin.flush()
            sl.expect("Received message: " + msg)
        client.stdin.write("QUIT\n")
        client.stdin.flush()
        cl.expect("CLOSE 1000")
        assert client.wait(20) == 0
    finally:
        if client:
            stop(client)
        stop(server)


def test_seed000_example2_lines_flow_both_ways(tmp_path):
    wait_port_free(9001)
    server = python_child(SEEDS / "seed000_example2.py")
    client = None
    try:
        sl = Lines(server)
        wait_port(9001)
        client = _mmdagent(tmp_path)
        cl = Lines(client)
        cl.expect("OPEN /chat")
        client.stdin.write("RECOG_EVENT_STOP|hello\n")
        client.stdin.flush()
        sl.expect("Received message: RECOG_EVENT_STOP|hello")
        # The producer sends "TEST_MESSAGE\n" every 2 s; line framing delivers "TEST_MESSAGE".
        t0 = time.monotonic()
        cl.expect("RECV TEST_MESSAGE", 10)
        cl.expect("RECV TEST_MESSAGE", 10)
        assert time.monotonic() - t0 >= 1.0  # two producer periods, not a burst
        assert not any(l == "RECV " or l == "RECV" for l in cl.all), "no empty lines from the \\n framing"
        client.stdin.write("QUIT\n")
        client.stdin.flush()
        cl.expect("CLOSE 1000")
    finally:
        if client:
            stop(client)
        stop(server)


def _seed004_clients():
    async def go():
        async with omnisock.connect("ws://localhost:8765/") as ws:
            await ws.send("Bonjour du client omnisock")
            assert await ws.recv() == "Message bien reçu"
            try:
                await ws.recv()
                raise AssertionError("the handler returned: the connection must close")
            except omnisock.ConnectionClosedOK as exc:
                assert exc.rcvd.code == 1000
        async with real_websockets.connect("ws://localhost:8765/") as ws:
            await ws.send("Bonjour de websockets")
            assert await ws.recv() == "Message bien reçu"

    run(go(), 30)


def test_seed004_run_until_complete_run_forever(tmp_path, browser):
    wait_port_free(8765)
    server = python_child(SEEDS / "seed004_server.py")
    try:
        sl = Lines(server)
        wait_port(8765)
        _seed004_clients()
        sl.expect("Bonjour du client omnisock")
        sl.expect("Bonjour de websockets")
        page = tmp_path / "client.html"
        page.write_text(
            '<!DOCTYPE html><html><head><title>Client utilisant un WebSocket</title></head><body><script>\n'
            'var ws = new WebSocket("ws://localhost:8765/");\n'
            'ws.onopen = function () { ws.send("Bonjour du navigateur"); };\n'
            'ws.onmessage = function (event) { alert(event.data); };\n'
            '</script></body></html>\n'
        )
        browser.cmd("GOTO " + page.as_uri(), "LOADED")
        browser.expect_alert("Message bien reçu", 20)
        sl.expect("Bonjour du navigateur")
    finally:
        stop(server)


def test_seed004_remote_address_and_open():
    wait_port_free(8765)
    server = python_child(SEEDS / "seed004_info_server.py")
    try:
        sl = Lines(server)
        wait_port(8765)

        async def go():
            async with real_websockets.connect("ws://127.0.0.1:8765/") as ws:
                local_port = ws.local_address[1]
                await ws.send("un")
                assert await ws.recv() == "reçu: un"
                return local_port

        port = run(go(), 20)
        assert sl.expect("remote_address") == f"remote_address ('127.0.0.1', {port})"
        assert sl.expect("open") == "open True"
    finally:
        stop(server)


# ---- seed 001 -------------------------------------------------------------------------------

SEED001_JS = Path(__file__).with_name("seed001_client.js")


def _seed001_page(tmp_path: Path, url: str) -> str:
    html = (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n  <meta charset="utf-8" />\n'
        '  <title>WebSocketでテキストメッセージ - マルチクライアントID付与</title>\n'
        '  <script type="text/javascript" src="client.js"></script>\n</head>\n<body>\n'
        '  <div id="controll_field">\n    <p>\n'
        '      <input type="button" value="接続開始" onclick="startConnection()" />\n'
        '      <input type="button" value="接続終了" onclick="exitConnection()" />\n    </p>\n'
        '    <form>\n      <input type="text" name="text_field" value="" />\n'
        '      <input type="button" name="send_button" value="送信" onclick="sendMessage(this.form.elements[\'text_field\'].value)" />\n'
        '    </form>\n  </div>\n  <div id="view_field">\n    <p>初期テキスト</p>\n  </div>\n</body>\n</html>\n'
    )
    (tmp_path / "index.html").write_text(html)
    (tmp_path / "client.js").write_text(SEED001_JS.read_text().replace("WS_SERVER_URL", url))
    return (tmp_path / "index.html").as_uri()


def _browser_connect(browser, page_url: str) -> None:
    browser.cmd("GOTO " + page_url, "LOADED")
    browser.cmd('CLICK input[value="接続開始"]', "CLICKED")
    browser.wait("window.webSocket && window.webSocket.readyState === 1")


def _browser_send(browser, text: str) -> None:
    browser.cmd("FILL input[name=text_field] " + text, "FILLED")
    browser.cmd("CLICK input[name=send_button]", "CLICKED")


def _alert(browser, text: str, timeout: float = 20.0) -> None:
    browser.expect_alert(text, timeout)


async def _in_thread(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def _check_broadcast(browser, tmp_path, url, prefix):
    async def go():
        a = await omnisock.connect(url)
        b = await real_websockets.connect(url)
        await _in_thread(_browser_connect, browser, _seed001_page(tmp_path, url))
        await asyncio.sleep(0.2)  # not a timing assertion: lets the browser's open reach the server
        await a.send("hi")
        assert await a.recv() == prefix + "hi"
        assert await b.recv() == prefix + "hi"
        await _in_thread(_alert, browser, prefix + "hi")
        await _in_thread(_browser_send, browser, "from the browser")
        assert await a.recv() == prefix + "from the browser"
        assert await b.recv() == prefix + "from the browser"
        await _in_thread(_alert, browser, prefix + "from the browser")
        await a.close()
        await b.close()

    run(go(), 60)


def _check_ids(browser, tmp_path, url):
    async def go():
        a = await omnisock.connect(url)
        assert await a.recv() == "Your ID is: client0"
        b = await real_websockets.connect(url)
        assert await b.recv() == "Your ID is: client1"
        await _in_thread(_browser_connect, browser, _seed001_page(tmp_path, url))
        await _in_thread(_alert, browser, "Your ID is: client2")
        await a.send("client1/hello")
        assert await b.recv() == "hello"
        await b.send("client2/from B")
        await _in_thread(_alert, browser, "from B")
        await _in_thread(_browser_send, browser, "client0/from the browser")
        assert await a.recv() == "from the browser"
        await a.send("client9/nobody")  # unknown id: dropped, nobody gets it
        await a.send("client0/to myself")
        assert await a.recv() == "to myself"
        await a.close()
        await b.close()

    run(go(), 60)


def _server(script: str) -> tuple:
    port = free_port()
    proc = python_child(SEEDS / script, str(port))
    Lines(proc).expect("READY", 30)
    return proc, port


def test_seed001_broadcast_websockets_api(browser, tmp_path):
    proc, port = _server("seed001_broadcast.py")
    try:
        _check_broadcast(browser, tmp_path, f"ws://127.0.0.1:{port}/ws_multi_client", "The server return anyone's message: ")
    finally:
        stop(proc)


def test_seed001_ids_websockets_api(browser, tmp_path):
    proc, port = _server("seed001_dict.py")
    try:
        _check_ids(browser, tmp_path, f"ws://127.0.0.1:{port}/ws_multi_client_dict")
    finally:
        stop(proc)


def test_seed001_broadcast_native_hub(browser, tmp_path):
    proc, port = _server("seed001_hub.py")
    try:
        _check_broadcast(browser, tmp_path, f"ws://127.0.0.1:{port}/ws_multi_client", "The server return anyone's message: ")
    finally:
        stop(proc)


def test_seed001_ids_native_hub(browser, tmp_path):
    proc, port = _server("seed001_hub.py")
    try:
        _check_ids(browser, tmp_path, f"ws://127.0.0.1:{port}/ws_multi_client_dict")
    finally:
        stop(proc)


def test_seed001_zero_code_broadcast_route(browser, tmp_path):
    proc, port = _server("seed001_hub.py")
    try:
        _check_broadcast(browser, tmp_path, f"ws://127.0.0.1:{port}/ws_zero_code", "")
    finally:
        stop(proc)


# ---- seed 003 -------------------------------------------------------------------------------

SEED003_PAGE = """<!doctype html>
<head><meta charset="utf-8" /><title>WebSocket: sending image file</title>
<script>
window.frames_b64 = []; window.sizes = [];
var ws = new WebSocket('WS_URL');
ws.onopen = function(evt) { document.getElementById('mes01').innerHTML += '<p>WebSocketを接続しました。</p>'; };
ws.onmessage = function(evt) {
  var blob = evt.data;
  var reader = new FileReader();
  reader.onload = function() {
    var data_url = reader.result;
    window.frames_b64.push(data_url);
    var img = document.getElementById('img1');
    img.onload = function() { window.sizes.push([img.naturalWidth, img.naturalHeight]); };
    img.src = data_url;
  };
  reader.readAsDataURL(blob);
};
ws.onclose = function(evt) { document.getElementById('mes01').innerHTML += '<p>WebSocketを切断しました。</p>'; };
</script></head>
<body><div id="mes01"></div><img id="img1"/></body></html>
"""


def test_seed003_png_frames_to_chromium_and_native_clients(browser, tmp_path):
    count, width, height = 20, 96, 64
    frames = [make_png(width, height, i) for i in range(count)]
    fdir = tmp_path / "aaa"
    fdir.mkdir()
    for i, f in enumerate(frames):
        (fdir / f"chart{i}.png").write_bytes(f)
    port = free_port()
    proc = python_child(SEEDS / "seed003_png_server.py", str(fdir), str(count), str(port))
    try:
        Lines(proc).expect("READY", 30)
        url = f"ws://127.0.0.1:{port}/websocket"
        page = tmp_path / "index.html"
        page.write_text(SEED003_PAGE.replace("WS_URL", url))

        async def native(client):
            got, times = [], []
            if client == "omnisock":
                async with omnisock.connect(url) as ws:
                    for _ in range(count):
                        got.append(await ws.recv())
                        times.append(time.monotonic())
            else:
                async with real_websockets.connect(url) as ws:
                    for _ in range(count):
                        got.append(await ws.recv())
                        times.append(time.monotonic())
            return got, times

        async def go():
            browser_task = asyncio.get_running_loop().run_in_executor(None, browser.cmd, "GOTO " + page.as_uri(), "LOADED")
            results = await asyncio.gather(native("omnisock"), native("websockets"))
            await browser_task
            return results

        (ours, t1), (theirs, _t2) = run(go(), 60)
        assert all(isinstance(f, bytes) for f in ours)
        assert ours == frames, "omnisock client: every PNG arrives byte-identical, in order"
        assert theirs == frames, "websockets client: every PNG arrives byte-identical, in order"
        rate = (count - 1) / (t1[-1] - t1[0])
        print(f"seed 003: {count} frames, {rate:.1f} frames/s at the omnisock client (server sends every 0.1 s)")
        browser.wait(f"window.sizes.length >= {count}", 30000)
        got = browser.eval("window.frames_b64")
        assert len(got) == count
        decoded = [base64.b64decode(d.split(",", 1)[1]) for d in got]
        assert decoded == frames, "Chromium receives every PNG byte-identical"
        sizes = browser.eval("window.sizes")
        assert all(s == [width, height] for s in sizes), "Chromium decodes every frame as an image"
        shot = Path(__file__).resolve().parents[1] / "artifacts" / "python-seed003.png"
        shot.parent.mkdir(exist_ok=True)
        browser.cmd(f"SHOT {shot}", "SHOT")
    finally:
        stop(proc)
