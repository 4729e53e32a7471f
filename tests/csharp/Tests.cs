// Tests of the Unity package's C# API (unity-plugin/Runtime) under Mono against real hubs: the
// `omnisock hub` CLI process and the in-process Hub class. Run through tests/csharp/run.sh.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Omnisock;
using ErrorEventArgs = Omnisock.ErrorEventArgs; // System.IO has one too (as with websocket-sharp)

namespace OmnisockTests
{
    public static partial class Tests
    {
        // Everything a client saw, in order, with the thread each event was raised on.
        private sealed class Recorder
        {
            public readonly List<string> Log = new List<string>();
            public readonly List<MessageEventArgs> Messages = new List<MessageEventArgs>();
            public readonly List<CloseEventArgs> Closes = new List<CloseEventArgs>();
            public readonly List<ErrorEventArgs> Errors = new List<ErrorEventArgs>();
            public readonly HashSet<int> Threads = new HashSet<int>();
            public int Opens;
            public int Reconnects;

            public Recorder(WebSocket ws)
            {
                ws.OnOpen += (s, e) => { Note("open"); Opens++; };
                ws.OnMessage += (s, e) => { Note(e.IsText ? "text" : "binary"); Messages.Add(e); };
                ws.OnError += (s, e) => { Note("error"); Errors.Add(e); };
                ws.OnClose += (s, e) => { Note("close"); Closes.Add(e); };
                ws.OnReconnecting += (s, e) => { Note("reconnecting"); Reconnects++; };
            }

            private void Note(string what)
            {
                lock (this)
                {
                    Log.Add(what);
                    Threads.Add(Thread.CurrentThread.ManagedThreadId);
                }
            }

            public string Summary { get { lock (this) return string.Join(",", Log); } }
        }

        private static Action Pump(params WebSocket[] sockets)
        {
            return () => { foreach (var ws in sockets) ws.DispatchMessageQueue(); };
        }

        // ------------------------------------------------------------------ basics

        [Test]
        public static void TextAndBinaryEchoThroughTheCliHub()
        {
            using (var hub = new HubProcess())
            using (var ws = new WebSocket(hub.Url("/echo")))
            {
                var r = new Recorder(ws);
                Assert.Equal(WebSocketState.New, ws.ReadyState, "state before Connect (websocket-sharp's)");
                ws.Connect();
                Assert.Equal(WebSocketState.Open, ws.ReadyState, "state after Connect");
                Assert.Equal(0, r.Opens, "OnOpen is raised by dispatching, not inside Connect");
                H.Until(() => r.Opens == 1, "OnOpen", Pump(ws));

                const string text = "héllo ✓ 世界 🎉";
                var bin = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
                ws.Send(text);
                ws.Send(bin);
                ws.Send("");
                ws.Send(new byte[0]);
                ws.Send(bin, 10, 5);
                H.Until(() => r.Messages.Count == 5, "5 echoes", Pump(ws));

                Assert.True(r.Messages[0].IsText && !r.Messages[0].IsBinary, "first echo is text");
                Assert.Equal(text, r.Messages[0].Data, "text echo");
                Assert.True(r.Messages[0].RawData.SequenceEqual(Encoding.UTF8.GetBytes(text)), "RawData of a text message is its UTF-8");
                Assert.True(r.Messages[1].IsBinary, "second echo is binary");
                Assert.True(r.Messages[1].RawData.SequenceEqual(bin), "binary echo intact");
                Assert.Equal("", r.Messages[2].Data, "empty text");
                Assert.True(r.Messages[2].IsText, "empty text stays text");
                Assert.Equal(0, r.Messages[3].RawData.Length, "empty binary");
                Assert.True(r.Messages[3].IsBinary, "empty binary stays binary");
                Assert.True(r.Messages[4].RawData.SequenceEqual(new byte[] { 10, 11, 12, 13, 14 }), "Send(data, offset, count)");
                Assert.Equal(0, r.Errors.Count, "no errors");

                ws.Close();
                Assert.Equal(WebSocketState.Closed, ws.ReadyState, "Close() waits for the closing handshake");
                H.Until(() => r.Closes.Count == 1, "OnClose", Pump(ws));
                Assert.Equal((ushort)1000, r.Closes[0].Code, "close code");
                Assert.True(r.Closes[0].WasClean, "clean close");
                Assert.Equal("open,text,binary,text,binary,binary,close", r.Summary, "event order");
            }
        }

        [Test]
        public static void CloseCodesAndReasonsBothWays()
        {
            var hub = new Hub(new HubOptions("127.0.0.1:0").AddRoute("/host", RouteKind.Host));
            try
            {
                var opened = new List<HubOpenEventArgs>();
                var closed = new List<HubCloseEventArgs>();
                hub.OnOpen += (s, e) => opened.Add(e);
                hub.OnClose += (s, e) => closed.Add(e);
                Action pumpHub = hub.DispatchMessageQueue;

                // Client closes: the hub sees the client's code and reason; the client gets them back.
                using (var ws = new WebSocket("ws://127.0.0.1:" + hub.Port + "/host"))
                {
                    var r = new Recorder(ws);
                    ws.Connect();
                    H.Until(() => opened.Count == 1, "hub OnOpen", pumpHub);
                    ws.Close(4001, "client says bye");
                    H.Until(() => r.Closes.Count == 1 && closed.Count == 1, "both sides closed", () => { pumpHub(); ws.DispatchMessageQueue(); });
                    Assert.Equal((ushort)4001, closed[0].Code, "hub saw the client's code");
                    Assert.Equal("client says bye", closed[0].Reason, "hub saw the client's reason");
                    Assert.Equal(opened[0].ConnectionId, closed[0].ConnectionId, "same connection id");
                    Assert.Equal((ushort)4001, r.Closes[0].Code, "client close event code");
                    Assert.True(r.Closes[0].WasClean, "client-initiated close is clean");
                }

                // Hub closes: the client sees the hub's code and reason.
                using (var ws = new WebSocket("ws://127.0.0.1:" + hub.Port + "/host"))
                {
                    var r = new Recorder(ws);
                    ws.Connect();
                    H.Until(() => opened.Count == 2, "hub OnOpen 2", pumpHub);
                    hub.CloseConnection(opened[1].ConnectionId, 4002, "server says bye");
                    H.Until(() => r.Closes.Count == 1, "client OnClose", Pump(ws));
                    Assert.Equal((ushort)4002, r.Closes[0].Code, "code from the hub");
                    Assert.Equal("server says bye", r.Closes[0].Reason, "reason from the hub");
                    Assert.True(r.Closes[0].WasClean, "server-initiated close is clean");
                    Assert.Equal(WebSocketState.Closed, ws.ReadyState, "closed");
                }

                // CloseStatusCode overload and CloseAsync.
                using (var ws = new WebSocket("ws://127.0.0.1:" + hub.Port + "/host"))
                {
                    var r = new Recorder(ws);
                    ws.Connect();
                    ws.CloseAsync(CloseStatusCode.Away, "going");
                    H.Until(() => r.Closes.Count == 1, "client OnClose", Pump(ws));
                    Assert.Equal((ushort)1001, r.Closes[0].Code, "CloseStatusCode.Away");
                    H.Until(() => closed.Count == 3, "hub OnClose 3", pumpHub);
                    Assert.Equal("going", closed[2].Reason, "reason of CloseAsync");
                }

                // The peer vanishes without a close frame: 1006, not clean.
                var raw = new TcpListener(IPAddress.Loopback, 0);
                raw.Start();
                try
                {
                    using (var ws = new WebSocket("ws://127.0.0.1:" + ((IPEndPoint)raw.LocalEndpoint).Port + "/"))
                    {
                        var r = new Recorder(ws);
                        ws.ConnectAsync();
                        var peer = FakeServer.AcceptHandshake(raw);
                        H.Until(() => r.Opens == 1, "open", Pump(ws));
                        peer.Close();
                        H.Until(() => r.Closes.Count == 1, "close after the peer vanished", Pump(ws));
                        Assert.Equal((ushort)1006, r.Closes[0].Code, "abnormal closure");
                        Assert.True(!r.Closes[0].WasClean, "not clean");
                    }
                }
                finally
                {
                    raw.Stop();
                }
            }
            finally
            {
                hub.Dispose();
            }
        }

        [Test]
        public static void HeadersCredentialsOriginAndGroupsOnTheInProcessHub()
        {
            using (var hub = new Hub(new HubOptions("127.0.0.1:0").AddRoute("/host", RouteKind.Host)))
            {
                var opened = new List<HubOpenEventArgs>();
                var messages = new List<HubMessageEventArgs>();
                hub.OnOpen += (s, e) => opened.Add(e);
                hub.OnMessage += (s, e) => messages.Add(e);

                var a = new WebSocket("ws://127.0.0.1:" + hub.Port + "/host?room=1");
                a.SetCredentials("user", "pass", true);
                a.Origin = "http://example.test";
                a.SetUserHeader("X-Test", "one");
                a.SetUserHeader("X-Test", "two"); // replaces
                var b = new WebSocket("ws://127.0.0.1:" + hub.Port + "/host");
                var c = new WebSocket("ws://127.0.0.1:" + hub.Port + "/host");
                var ra = new Recorder(a);
                var rb = new Recorder(b);
                var rc = new Recorder(c);
                Action pump = () => { hub.DispatchMessageQueue(); a.DispatchMessageQueue(); b.DispatchMessageQueue(); c.DispatchMessageQueue(); };
                try
                {
                    a.Connect();
                    H.Until(() => opened.Count == 1, "a opened on the hub", pump);
                    var h = opened[0].Headers.ToLowerInvariant();
                    Assert.True(h.Contains("authorization: basic dxnlcjpwyxnz"), "basic auth header (user:pass): " + h);
                    Assert.True(h.Contains("origin: http://example.test"), "origin header");
                    Assert.True(h.Contains("x-test: two") && !h.Contains("x-test: one"), "SetUserHeader replaces");
                    Assert.Equal("room=1", opened[0].Query, "query");
                    Assert.Equal("/host", opened[0].Path, "path");

                    b.Connect();
                    c.Connect();
                    H.Until(() => opened.Count == 3, "b and c opened", pump);
                    ulong ida = opened[0].ConnectionId, idb = opened[1].ConnectionId, idc = opened[2].ConnectionId;
                    hub.Join(ida, "g");
                    hub.Join(idb, "g");
                    Assert.Equal(2, hub.GroupSize("g"), "group size");
                    Assert.Equal(3, hub.ConnectionCount, "connection count");
                    Assert.Equal(1, hub.Publish("g", "to the group but a", ida), "publish recipients");
                    hub.Send(idc, new byte[] { 1, 2, 3 });
                    H.Until(() => rb.Messages.Count == 1 && rc.Messages.Count == 1, "b and c got theirs", pump);
                    Assert.Equal("to the group but a", rb.Messages[0].Data, "b got the group message");
                    Assert.True(rc.Messages[0].RawData.SequenceEqual(new byte[] { 1, 2, 3 }), "c got the direct binary");
                    H.For(100, pump);
                    Assert.Equal(0, ra.Messages.Count, "a (excepted) got nothing");
                    Assert.Equal(3, hub.Broadcast("/host", "all"), "broadcast recipients");
                    H.Until(() => ra.Messages.Count == 1 && rb.Messages.Count == 2 && rc.Messages.Count == 2, "broadcast arrived", pump);

                    c.Send("from c");
                    H.Until(() => messages.Count == 1, "hub got c's message", pump);
                    Assert.Equal(idc, messages[0].ConnectionId, "message connection id");
                    Assert.Equal("from c", messages[0].Data, "message text");
                    Assert.True(hub.StatusJson().Contains("\"connections\""), "status json: " + hub.StatusJson());
                    var nf = Assert.Throws<OmnisockException>(() => hub.Send(987654321, "x"), "send to an unknown connection");
                    Assert.Equal(OmnisockResult.NotFound, nf.Result, "unknown connection is NotFound");
                }
                finally
                {
                    a.Dispose();
                    b.Dispose();
                    c.Dispose();
                }
            }
        }

        [Test]
        public static void LiveRouteFromTomlGivesASnapshotAndTheHostCapsARate()
        {
            var toml = "listen = \"127.0.0.1:0\"\n[[route]]\npath = \"/cam\"\nkind = \"host\"\n[route.live]\nkey = \"/id\"\n";
            using (var hub = new Hub(HubOptions.FromToml(toml)))
            {
                var opened = new List<HubOpenEventArgs>();
                hub.OnOpen += (s, e) => opened.Add(e);
                for (int seq = 0; seq < 6; seq++)
                    hub.Broadcast("/cam", "{\"id\":\"cam" + (seq % 3) + "\",\"seq\":" + seq + "}");
                var ws = new WebSocket("ws://127.0.0.1:" + hub.Port + "/cam");
                var r = new Recorder(ws);
                Action pump = () => { hub.DispatchMessageQueue(); ws.DispatchMessageQueue(); };
                try
                {
                    ws.Connect();
                    H.Until(() => opened.Count == 1 && r.Messages.Count == 3, "opened and got the 3-key snapshot", pump);
                    var got = r.Messages.Select(m => m.Data).OrderBy(x => x).ToList();
                    Assert.Equal("{\"id\":\"cam0\",\"seq\":3}", got[0], "newest value of cam0");
                    Assert.Equal("{\"id\":\"cam2\",\"seq\":5}", got[2], "newest value of cam2");
                    hub.SetMaxRate(opened[0].ConnectionId, 5.0);
                    Assert.Throws<ArgumentException>(() => hub.SetMaxRate(opened[0].ConnectionId, -1.0), "a negative rate");
                    hub.SetMaxRate(opened[0].ConnectionId, 0);
                    Assert.True(hub.StatusJson().Contains("\"snapshot_sent\":3"), "snapshot counted");
                }
                finally
                {
                    ws.Dispose();
                }
            }
        }

        [Test]
        public static void FallbackUrlSendManyPauseReadingAndMetricsOnTheInProcessHub()
        {
            using (var hub = new Hub(new HubOptions("127.0.0.1:0").AddRoute("/host", RouteKind.Host)))
            {
                var opened = new List<HubOpenEventArgs>();
                var messages = new List<HubMessageEventArgs>();
                hub.OnOpen += (s, e) => opened.Add(e);
                hub.OnMessage += (s, e) => messages.Add(e);
                // Port 1 refuses: the first attempt fails and the reconnect goes to the fallback.
                var a = new WebSocket("ws://127.0.0.1:1/host");
                a.AddFallbackUrl("ws://127.0.0.1:" + hub.Port + "/host?who=a");
                a.Reconnect = new ReconnectPolicy(5, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50));
                var b = new WebSocket("ws://127.0.0.1:" + hub.Port + "/host");
                var ra = new Recorder(a);
                var rb = new Recorder(b);
                Action pump = () => { hub.DispatchMessageQueue(); a.DispatchMessageQueue(); b.DispatchMessageQueue(); };
                try
                {
                    a.Connect();
                    b.Connect();
                    H.Until(() => opened.Count == 2 && ra.Opens == 1 && rb.Opens == 1, "a (through its fallback URL) and b opened", pump);
                    Assert.True(ra.Reconnects >= 1, "a reached the hub by reconnecting to its fallback URL");
                    var ofA = opened.Find(o => o.Query == "who=a");
                    Assert.True(ofA != null, "a came in through its fallback URL (?who=a)");
                    var ofB = opened.Find(o => o.Query != "who=a");
                    var ids = new[] { ofA.ConnectionId, ofB.ConnectionId, 987654321UL };
                    Assert.Equal(2, hub.SendMany(ids, "to both"), "send_many recipients (the unknown id is skipped)");
                    H.Until(() => ra.Messages.Count == 1 && rb.Messages.Count == 1, "both got the send_many text", pump);
                    Assert.Equal("to both", ra.Messages[0].Data, "a's text");
                    Assert.Equal(1, hub.SendMany(new[] { ids[1] }, new byte[] { 7 }), "binary send_many");
                    H.Until(() => rb.Messages.Count == 2, "b got the binary", pump);
                    Assert.True(rb.Messages[1].IsBinary, "binary kept");

                    Assert.True(hub.QueuedBytes(ids[0]) >= 0, "queued bytes of a connection");
                    hub.Ping(ids[0]);
                    hub.PauseReading(ids[0]);
                    a.Send("sent while paused");
                    hub.ResumeReading(ids[0]);
                    H.Until(() => messages.Count == 1, "the message arrives once reading resumed", pump);
                    Assert.Equal("sent while paused", messages[0].Data, "paused message kept");
                    var nf = Assert.Throws<OmnisockException>(() => hub.PauseReading(987654321UL), "pause an unknown connection");
                    Assert.Equal(OmnisockResult.NotFound, nf.Result, "unknown connection is NotFound");

                    var metrics = hub.MetricsText();
                    Assert.True(metrics.Contains("omnisock_connections_total"), "metrics text: " + metrics.Substring(0, Math.Min(200, metrics.Length)));
                }
                finally
                {
                    a.Dispose();
                    b.Dispose();
                }
            }
        }

        // ------------------------------------------------------------------ the seed scenario

        [Test]
        public static void SeedCameraSenderRelaysEveryPositionInOrder()
        {
            using (var hub = new HubProcess())
            using (var receiver = new WebSocket(hub.Url("/ws/camera")))
            {
                var rr = new Recorder(receiver);
                receiver.Connect();
                H.Until(() => rr.Opens == 1, "receiver open", Pump(receiver));

                UnityEngine.Debug.Lines.Clear();
                UnityEngine.StandIn.WaitScale = 0.05f; // the seed's 0.1 s becomes 5 ms
                var sender = new CameraPositionSender();
                sender.websocketUrl = hub.Url("/ws/camera");
                UnityEngine.StandIn.Send(sender, "Start"); // new WebSocket, handlers, Connect(), StartCoroutine
                const int n = 60;
                int sent = 0;
                var sw = System.Diagnostics.Stopwatch.StartNew();
                // The player loop: move the camera, run coroutines, dispatch events (Update).
                for (int frame = 0; frame < 200000 && sent < n && sw.ElapsedMilliseconds < 30000; frame++)
                {
                    sender.transform.position = new UnityEngine.Vector3(sent, sent * 0.5f, -sent);
                    if (UnityEngine.StandIn.Step(sender) > 0) sent++;
                    Dispatcher.DispatchAll();
                    Thread.Sleep(1);
                }
                Assert.Equal(n, sent, "coroutine iterations");
                H.Until(() => rr.Messages.Count >= n, n + " positions relayed", () => { Dispatcher.DispatchAll(); });
                // The first iteration ran right after Connect(); every iteration sent once (state Open).
                for (int i = 0; i < n; i++)
                {
                    var expected = "{\"x\":" + i + ",\"y\":" + (i * 0.5f).ToString(System.Globalization.CultureInfo.InvariantCulture) + ",\"z\":" + (-i) + "}";
                    Assert.Equal(expected, rr.Messages[i].Data, "position " + i);
                }
                Assert.Equal(n, rr.Messages.Count, "no extra messages");
                UnityEngine.StandIn.Send(sender, "OnDestroy"); // ws.Close(); ws = null
                H.Until(() => UnityEngine.Debug.Lines.Any(l => l.StartsWith("warning: WebSocket Close: 1000")), "the sample's OnClose log", () => Dispatcher.DispatchAll());
                lock (UnityEngine.Debug.Lines)
                {
                    Assert.True(UnityEngine.Debug.Lines.Contains("WebSocket Open"), "the sample logged Open: " + string.Join(" | ", UnityEngine.Debug.Lines));
                    Assert.True(!UnityEngine.Debug.Lines.Any(l => l.StartsWith("WebSocket Error")), "no errors: " + string.Join(" | ", UnityEngine.Debug.Lines));
                }
            }
        }

        [Test]
        public static void SeedSampleDiffersFromTheOriginalOnlyInTheUsingLine()
        {
            var dir = Environment.GetEnvironmentVariable("OMNISOCK_ROOT");
            var original = File.ReadAllLines(Path.Combine(dir, "tests/csharp/seed/CameraPositionSender.websocket-sharp.cs"));
            var sample = File.ReadAllLines(Path.Combine(dir, "unity-plugin/Samples~/CameraPositionSender/CameraPositionSender.cs"));
            Assert.Equal(original.Length, sample.Length, "line count");
            var diffs = Enumerable.Range(0, original.Length).Where(i => original[i] != sample[i]).ToList();
            Assert.Equal(1, diffs.Count, "changed lines");
            Assert.Equal("using WebSocketSharp;", original[diffs[0]], "original line");
            Assert.Equal("using Omnisock;", sample[diffs[0]], "sample line");
        }

        // ------------------------------------------------------------------ threading

        [Test]
        public static void EventsArriveOnlyOnTheDispatchingThread()
        {
            using (var hub = new HubProcess())
            using (var ws = new WebSocket(hub.Url("/echo")))
            {
                var r = new Recorder(ws);
                var callbackThreads = new HashSet<int>();
                int dispatcherId = -1;
                var stop = new ManualResetEvent(false);
                var t = new Thread(() =>
                {
                    dispatcherId = Thread.CurrentThread.ManagedThreadId;
                    for (int i = 0; i < 1000000 && !stop.WaitOne(0); i++)
                    {
                        ws.DispatchMessageQueue();
                        Thread.Sleep(1);
                    }
                }) { IsBackground = true };
                t.Start();
                try
                {
                    ws.Connect(); // on the test thread; its events still go to the dispatching thread
                    for (int i = 0; i < 50; i++) ws.SendAsync("m" + i, ok => { lock (callbackThreads) callbackThreads.Add(Thread.CurrentThread.ManagedThreadId); });
                    ws.Send(new byte[] { 7 });
                    H.Until(() => { lock (r) return r.Messages.Count == 51; }, "51 echoes");
                    ws.Close(4000, "done");
                    H.Until(() => { lock (r) return r.Closes.Count == 1; }, "OnClose");
                    ws.Send("after close"); // OnError, raised on the dispatching thread too
                    H.Until(() => { lock (r) return r.Errors.Count == 1; }, "OnError");
                }
                finally
                {
                    stop.Set();
                    t.Join(10000);
                }
                Assert.True(r.Threads.Count == 1 && r.Threads.Contains(dispatcherId), "every event on the dispatching thread " + dispatcherId + ", saw " + string.Join(",", r.Threads));
                Assert.True(callbackThreads.Count == 1 && callbackThreads.Contains(dispatcherId), "SendAsync callbacks on the dispatching thread");
                Assert.True(!r.Threads.Contains(Thread.CurrentThread.ManagedThreadId), "nothing on the calling thread");
            }
        }

        [Test]
        public static void BackgroundDispatcherThreadDeliversEverything()
        {
            using (var hub = new HubProcess())
            {
                var ws = new WebSocket(hub.Url("/echo"));
                var r = new Recorder(ws);
                Dispatcher.StartBackgroundThread();
                try
                {
                    int bg = Dispatcher.BackgroundThreadId;
                    Assert.True(bg > 0 && bg != Thread.CurrentThread.ManagedThreadId, "a separate thread");
                    ws.Connect();
                    for (int i = 0; i < 200; i++) ws.Send("m" + i);
                    H.Until(() => { lock (r) return r.Messages.Count == 200; }, "200 echoes via the background thread");
                    ws.Close();
                    H.Until(() => { lock (r) return r.Closes.Count == 1; }, "OnClose");
                    Assert.True(r.Threads.Count == 1 && r.Threads.Contains(bg), "all on the background thread");
                    for (int i = 0; i < 200; i++) Assert.Equal("m" + i, r.Messages[i].Data, "order " + i);
                    H.Until(() => Dispatcher.LiveCount == 0, "closed sockets leave the dispatcher");
                }
                finally
                {
                    Dispatcher.StopBackgroundThread();
                    ws.Dispose();
                }
                Assert.True(!Dispatcher.BackgroundThreadRunning, "stopped");
            }
        }

        [Test]
        public static void HandlerExceptionsBecomeOnError()
        {
            using (var hub = new HubProcess())
            using (var ws = new WebSocket(hub.Url("/echo")))
            {
                var errors = new List<ErrorEventArgs>();
                int messages = 0;
                ws.OnMessage += (s, e) => { messages++; if (e.Data == "boom") throw new InvalidTimeZoneException("handler failed"); };
                ws.OnError += (s, e) => errors.Add(e);
                ws.Connect();
                ws.Send("boom");
                ws.Send("fine");
                H.Until(() => messages == 2, "both messages despite the throw", Pump(ws));
                Assert.Equal(1, errors.Count, "one OnError");
                Assert.True(errors[0].Exception is InvalidTimeZoneException, "the handler's exception");
            }
        }

        // ------------------------------------------------------------------ reconnect, failures

        [Test]
        public static void ReconnectsAfterTheHubRestarts()
        {
            var hub = new HubProcess();
            int port = hub.Port;
            var ws = new WebSocket(hub.Url("/echo"));
            ws.Reconnect = new ReconnectPolicy(100, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200));
            var r = new Recorder(ws);
            try
            {
                ws.Connect();
                ws.Send("before");
                H.Until(() => r.Messages.Count == 1, "echo before the restart", Pump(ws));
                hub.Kill();
                H.Until(() => r.Reconnects >= 1, "OnReconnecting", Pump(ws));
                Assert.Equal(0, r.Closes.Count, "no OnClose while reconnecting");
                hub.Dispose();
                hub = new HubProcess(port);
                H.Until(() => r.Opens == 2, "second OnOpen after the restart", Pump(ws));
                Assert.Equal(WebSocketState.Open, ws.ReadyState, "open again");
                ws.Send("after");
                H.Until(() => r.Messages.Count == 2, "echo after the restart", Pump(ws));
                Assert.Equal("after", r.Messages[1].Data, "echo text");
                Assert.Equal(0, r.Closes.Count, "still no OnClose");
                ws.Close();
                H.Until(() => r.Closes.Count == 1, "OnClose", Pump(ws));
                Assert.True(r.Summary.StartsWith("open,text,"), "order: " + r.Summary);
                Assert.True(r.Summary.EndsWith("open,text,close"), "order: " + r.Summary);
            }
            finally
            {
                ws.Dispose();
                hub.Dispose();
            }
        }

        [Test]
        public static void ErrorThenCloseWhenTheServerIsAbsent()
        {
            int port = H.FreePort();
            using (var ws = new WebSocket("ws://127.0.0.1:" + port + "/echo"))
            {
                var r = new Recorder(ws);
                ws.Connect(); // fails fast: connection refused
                H.Until(() => r.Closes.Count == 1, "OnClose", Pump(ws));
                Assert.Equal("error,close", r.Summary, "OnError then OnClose");
                Assert.True(r.Errors[0].Exception is OmnisockException, "library exception");
                Assert.Equal(OmnisockResult.Connect, ((OmnisockException)r.Errors[0].Exception).Result, "connect error");
                Assert.True(r.Errors[0].Message.Contains("127.0.0.1:" + port), "message names the address: " + r.Errors[0].Message);
                Assert.Equal((ushort)1006, r.Closes[0].Code, "1006");
                Assert.True(!r.Closes[0].WasClean, "not clean");
                Assert.Equal(WebSocketState.Closed, ws.ReadyState, "closed");

                // websocket-sharp lets you Connect again after a close: a new connection, same events.
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                try
                {
                    ws.ConnectAsync();
                    var peer = FakeServer.AcceptHandshake(listener);
                    H.Until(() => r.Opens == 1, "open on the second Connect", Pump(ws));
                    peer.Close();
                }
                finally
                {
                    listener.Stop();
                }
            }
        }

        [Test]
        public static void MisuseNeverCrashes()
        {
            Assert.Throws<ArgumentException>(() => new WebSocket("http://127.0.0.1/"), "http URL");
            Assert.Throws<ArgumentException>(() => new WebSocket("not a url"), "garbage URL");
            Assert.Throws<ArgumentNullException>(() => new WebSocket(null), "null URL");

            var ws = new WebSocket("ws://127.0.0.1:" + H.FreePort() + "/");
            var r = new Recorder(ws);
            ws.Send("before connect");
            ws.Send(new byte[] { 1 });
            int completions = 0;
            bool lastOk = true;
            ws.SendAsync("x", ok => { completions++; lastOk = ok; });
            Assert.Equal(0, r.Errors.Count, "errors are raised by dispatching");
            H.Until(() => r.Errors.Count == 3 && completions == 1, "OnError for each send before Connect", Pump(ws));
            Assert.True(r.Errors.All(e => e.Exception is InvalidOperationException), "InvalidOperationException: not connected");
            Assert.True(!lastOk, "SendAsync reports false");
            ws.Close(); // not connected: nothing to do
            ws.CloseAsync();
            Assert.True(!ws.Ping(), "Ping when not connected");
            Assert.Throws<ArgumentNullException>(() => ws.Send((string)null), "null text");
            Assert.Throws<ArgumentNullException>(() => ws.Send((byte[])null), "null bytes");
            Assert.Throws<ArgumentOutOfRangeException>(() => ws.Send(new byte[4], 3, 2), "bad range");
            ws.Dispose();
            ws.Dispose(); // twice: nothing
            Assert.Throws<ObjectDisposedException>(() => ws.Send("after dispose"), "Send after Dispose");
            Assert.Throws<ObjectDisposedException>(() => ws.Connect(), "Connect after Dispose");
            ws.Close(); // after Dispose: nothing
            Assert.Equal(WebSocketState.Closed, ws.ReadyState, "disposed is closed");

            using (var hub = new HubProcess())
            {
                var ws2 = new WebSocket(hub.Url("/echo"));
                var r2 = new Recorder(ws2);
                ws2.Connect();
                Assert.Throws<ArgumentException>(() => ws2.Close(999), "invalid close code");
                Assert.Throws<ArgumentException>(() => ws2.Close(1000, new string('x', 124)), "reason over 123 bytes");
                Assert.Equal(WebSocketState.Open, ws2.ReadyState, "still open after refused closes");
                ws2.Connect(); // already open: nothing
                ws2.Close();
                ws2.Close(); // already closed: nothing
                ws2.Send("after close");
                bool? ok = null;
                ws2.SendAsync(new byte[] { 1 }, b => ok = b);
                H.Until(() => r2.Closes.Count == 1 && r2.Errors.Count == 2 && ok.HasValue, "OnClose and two OnErrors", Pump(ws2));
                Assert.Equal(false, ok.Value, "SendAsync after close reports false");
                Assert.True(r2.Errors.All(e => e.Exception is OmnisockException && ((OmnisockException)e.Exception).Result == OmnisockResult.Closed), "Closed errors");
                ws2.Dispose();
                ws2.Dispose();
            }
        }

        [Test]
        public static void SixteenMebibyteBinaryRoundTrip()
        {
            var options = new HubOptions("127.0.0.1:0") { MaxMessageSize = 64L << 20 };
            options.AddRoute("/echo", RouteKind.Echo, 64L << 20);
            using (var hub = new Hub(options))
            using (var ws = new WebSocket("ws://127.0.0.1:" + hub.Port + "/echo"))
            {
                ws.MaxMessageSize = 64L << 20;
                var r = new Recorder(ws);
                var data = new byte[16 << 20];
                new Random(42).NextBytes(data);
                ws.Connect();
                ws.Send(data);
                H.Until(() => r.Messages.Count == 1, "16 MiB echo", Pump(ws), 60000);
                var back = r.Messages[0].RawData;
                Assert.Equal(data.Length, back.Length, "length");
                using (var sha = SHA256.Create())
                {
                    Assert.True(sha.ComputeHash(data).SequenceEqual(sha.ComputeHash(back)), "content intact");
                }
                Assert.Equal(0, r.Errors.Count, "no errors");
            }
        }

        [Test]
        public static void IncomingMessageOverTheLimitClosesWith1009()
        {
            using (var hub = new HubProcess())
            using (var ws = new WebSocket(hub.Url("/echo")))
            {
                ws.MaxMessageSize = 1000;
                var r = new Recorder(ws);
                ws.Connect();
                ws.Send(new byte[2000]); // the echo is too big for us
                H.Until(() => r.Closes.Count == 1, "OnClose", Pump(ws));
                Assert.Equal((ushort)1009, r.Closes[0].Code, "1009 message too big");
                Assert.True(r.Errors.Count >= 1, "OnError before OnClose");
                Assert.True(r.Summary.IndexOf("error", StringComparison.Ordinal) < r.Summary.IndexOf("close", StringComparison.Ordinal), "error first: " + r.Summary);
            }
        }

        [Test]
        public static void SendQueueLimitAndBufferedAmount()
        {
            // A server that accepts TCP but never answers the handshake: sends stay queued.
            var silent = new TcpListener(IPAddress.Loopback, 0);
            silent.Start();
            try
            {
                using (var ws = new WebSocket("ws://127.0.0.1:" + ((IPEndPoint)silent.LocalEndpoint).Port + "/"))
                {
                    ws.SendQueueLimit = 1000;
                    ws.ConnectTimeout = TimeSpan.FromSeconds(1);
                    var r = new Recorder(ws);
                    ws.ConnectAsync();
                    Assert.Equal(WebSocketState.Connecting, ws.ReadyState, "connecting");
                    ws.Send(new byte[600]);
                    Assert.Equal(600L, ws.BufferedAmount, "queued while connecting");
                    ws.Send(new byte[600]);
                    Assert.Equal(600L, ws.BufferedAmount, "the overflowing send queued nothing");
                    H.Until(() => r.Errors.Count == 1, "OnError for the full queue", Pump(ws));
                    Assert.Equal(OmnisockResult.QueueFull, ((OmnisockException)r.Errors[0].Exception).Result, "QueueFull");
                    ws.Send("0123456789");
                    Assert.Equal(610L, ws.BufferedAmount, "text counts in bytes");
                    // Close while connecting: the library lets the connect finish (here: time out) so
                    // queued messages could go out first, then closes.
                    ws.Close();
                    Assert.Equal(WebSocketState.Closed, ws.ReadyState, "Close() waited for the end");
                    H.Until(() => r.Closes.Count == 1, "OnClose", Pump(ws));
                    Assert.Equal(OmnisockResult.Timeout, ((OmnisockException)r.Errors[1].Exception).Result, "connect timed out: " + r.Summary);
                    Assert.Equal(0L, ws.BufferedAmount, "nothing queued after close");
                }
            }
            finally
            {
                silent.Stop();
            }
        }

        [Test]
        public static void PingAndKeepaliveDetectADeadPeer()
        {
            using (var hub = new HubProcess())
            using (var ws = new WebSocket(hub.Url("/echo")))
            {
                ws.Connect();
                Assert.True(ws.Ping(), "Ping gets its pong");
                Assert.True(ws.Ping("hello"), "Ping with a message");
                Assert.True(ws.IsAlive, "IsAlive");
                ws.Close();
                Assert.True(!ws.IsAlive, "not alive after close");
            }

            // A peer that completes the handshake and then never answers: keepalive reports it dead.
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                using (var ws = new WebSocket("ws://127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port + "/"))
                {
                    ws.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
                    ws.KeepAliveTimeout = TimeSpan.FromMilliseconds(200);
                    var r = new Recorder(ws);
                    ws.ConnectAsync();
                    var peer = FakeServer.AcceptHandshake(listener);
                    H.Until(() => r.Closes.Count == 1, "keepalive timeout closes", Pump(ws));
                    Assert.Equal("open,error,close", r.Summary, "OnOpen, OnError, OnClose");
                    Assert.Equal((ushort)1006, r.Closes[0].Code, "1006");
                    Assert.True(r.Closes[0].Reason.Contains("keepalive"), "reason: " + r.Closes[0].Reason);
                    Assert.Equal(OmnisockResult.Timeout, ((OmnisockException)r.Errors[0].Exception).Result, "Timeout error");
                    peer.Close();
                }
            }
            finally
            {
                listener.Stop();
            }
        }

        [Test]
        public static void TlsIsVerifiedByDefaultAndAcceptsACustomCa()
        {
            var dir = Environment.GetEnvironmentVariable("OMNISOCK_TLS_DIR");
            Assert.True(dir != null && File.Exists(Path.Combine(dir, "ca.pem")), "run.sh makes a test CA in OMNISOCK_TLS_DIR");
            var options = new HubOptions("127.0.0.1:0")
            {
                TlsCertificateFile = Path.Combine(dir, "server.pem"),
                TlsKeyFile = Path.Combine(dir, "server.key"),
            };
            options.AddRoute("/echo", RouteKind.Echo);
            using (var hub = new Hub(options))
            {
                var url = "wss://127.0.0.1:" + hub.Port + "/echo";
                using (var untrusted = new WebSocket(url))
                {
                    var r = new Recorder(untrusted);
                    untrusted.Connect();
                    H.Until(() => r.Closes.Count == 1, "refused", Pump(untrusted));
                    Assert.Equal("error,close", r.Summary, "unknown CA: OnError then OnClose");
                    Assert.Equal(OmnisockResult.Tls, ((OmnisockException)r.Errors[0].Exception).Result, "TLS error: " + r.Errors[0].Message);
                }
                using (var trusted = new WebSocket(url))
                {
                    trusted.AddCertificateAuthority(File.ReadAllText(Path.Combine(dir, "ca.pem")));
                    var r = new Recorder(trusted);
                    trusted.Connect();
                    trusted.Send("over tls");
                    H.Until(() => r.Messages.Count == 1, "echo over wss", Pump(trusted));
                    Assert.Equal("over tls", r.Messages[0].Data, "echo");
                }
                using (var fromFile = new WebSocket(url))
                {
                    fromFile.AddCertificateAuthorityFile(Path.Combine(dir, "ca.pem"));
                    fromFile.Connect();
                    Assert.Equal(WebSocketState.Open, fromFile.ReadyState, "CA from a file");
                }
                using (var anyCert = new WebSocket(url))
                {
                    anyCert.DangerousAcceptAnyCertificate = true;
                    anyCert.Connect();
                    Assert.Equal(WebSocketState.Open, anyCert.ReadyState, "the explicit opt-out accepts any certificate");
                }
            }
        }

        [Test]
        public static void SubprotocolIsOfferedAndBadSettingsAreRefused()
        {
            using (var hub = new Hub(new HubOptions("127.0.0.1:0").AddRoute("/host", RouteKind.Host)))
            {
                var opened = new List<HubOpenEventArgs>();
                hub.OnOpen += (s, e) => opened.Add(e);
                using (var ws = new WebSocket("ws://127.0.0.1:" + hub.Port + "/host", "chat.v1", "chat.v2"))
                {
                    ws.Connect();
                    H.Until(() => opened.Count == 1, "hub open", hub.DispatchMessageQueue);
                    Assert.True(opened[0].Headers.ToLowerInvariant().Contains("sec-websocket-protocol: chat.v1, chat.v2"), "offered: " + opened[0].Headers);
                    Assert.Equal(2, ws.Protocols.Length, "Protocols");
                }
            }
            Assert.Throws<ArgumentException>(() => new WebSocket("ws://127.0.0.1/", ""), "empty subprotocol");
            var bad = new WebSocket("ws://127.0.0.1:" + H.FreePort() + "/");
            bad.SetUserHeader("Bad Header", "x");
            Assert.Throws<ArgumentException>(() => bad.Connect(), "invalid header name refused at Connect");
            bad.SetUserHeader("Bad Header", null);
            bad.ConnectTimeout = TimeSpan.Zero;
            Assert.Throws<ArgumentOutOfRangeException>(() => bad.Connect(), "zero connect timeout");
            bad.Dispose();
            Assert.Throws<ArgumentException>(() => new ReconnectPolicy(3, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)), "max < initial delay");
            var taken = new Hub(new HubOptions("127.0.0.1:0").AddRoute("/a", RouteKind.Echo));
            try
            {
                var e = Assert.Throws<OmnisockException>(() => new Hub(new HubOptions("127.0.0.1:" + taken.Port).AddRoute("/a", RouteKind.Echo)), "address in use");
                Assert.Equal(OmnisockResult.Io, e.Result, "Io error for a taken port");
            }
            finally
            {
                taken.Dispose();
            }
        }
        // ------------------------------------------------------------------ capability manifest

        /// <summary>Whether "Namespace.Type#Member" names a public member (".ctor": a public constructor).</summary>
        private static bool ManifestMemberExists(string entry)
        {
            int hash = entry.IndexOf('#');
            if (hash < 0) return false;
            var type = typeof(WebSocket).Assembly.GetType(entry.Substring(0, hash));
            if (type == null) return false;
            string member = entry.Substring(hash + 1);
            if (member == ".ctor") return type.GetConstructors().Length > 0;
            return type.GetMember(member).Length > 0;
        }

        [Test]
        public static void EveryCapabilityInTheManifestExists()
        {
            var root = Environment.GetEnvironmentVariable("OMNISOCK_ROOT");
            string id = null;
            int read = 0;
            var missing = new List<string>();
            foreach (var raw in File.ReadAllLines(Path.Combine(root, "capabilities.toml")))
            {
                var line = raw.Trim();
                if (line.StartsWith("id = \"")) id = line.Substring(6, line.Length - 7);
                if (!line.StartsWith("csharp = \"")) continue;
                read++;
                var entry = line.Substring(10, line.Length - 11);
                if (!entry.StartsWith("none:") && !ManifestMemberExists(entry)) missing.Add(id + ": " + entry);
            }
            Assert.True(read > 20, "capabilities.toml has csharp entries (read " + read + ")");
            Assert.True(missing.Count == 0, "capabilities.toml lists C# members that do not exist: " + string.Join(", ", missing));
        }

        [Test]
        public static void PackageBuildsWithAMetaForEveryAssetAndTheLinuxLibrary()
        {
            var root = Environment.GetEnvironmentVariable("OMNISOCK_ROOT");
            var psi = new System.Diagnostics.ProcessStartInfo("python3",
                "\"" + Path.Combine(root, "unity-plugin/Tools~/package.py") + "\" --root \"" + root + "\" --require linux-x64")
            { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            using (var p = System.Diagnostics.Process.Start(psi))
            {
                var output = p.StandardOutput.ReadToEndAsync();
                var errors = p.StandardError.ReadToEndAsync();
                Assert.True(p.WaitForExit(120000), "package script finished");
                Assert.Equal(0, p.ExitCode, "package script exit code: " + errors.Result + output.Result);
            }
            var pkg = Path.Combine(root, "target/unity-package/com.omnisock.websocket");
            Assert.True(File.Exists(Path.Combine(pkg, "Plugins/Linux/x86_64/libomnisock.so")), "linux library in the package");
            Assert.True(File.ReadAllText(Path.Combine(pkg, "Plugins/Linux/x86_64/libomnisock.so.meta")).Contains("Exclude Linux64: 0"), "linux meta selects Linux64");
            Assert.True(File.Exists(Path.Combine(pkg, "Runtime/Omnisock.Runtime.asmdef")), "asmdef");
            Assert.True(File.Exists(Path.Combine(pkg, "Samples~/CameraPositionSender/CameraPositionSender.cs")), "sample");
            Assert.True(!Directory.Exists(Path.Combine(pkg, "Tools~")), "build tools stay out");
            Assert.True(File.Exists(Path.Combine(root, "target/unity-package/com.omnisock.websocket-0.1.0.tgz")), "tarball");
            var guids = new HashSet<string>();
            foreach (var entry in Directory.GetFileSystemEntries(pkg, "*", SearchOption.AllDirectories))
            {
                var rel = entry.Substring(pkg.Length + 1);
                if (rel.EndsWith(".meta") || rel.Split('/').Any(x => x.EndsWith("~") || x.StartsWith("."))) continue;
                Assert.True(File.Exists(entry + ".meta"), "meta for " + rel);
                var guid = File.ReadAllLines(entry + ".meta").First(l => l.StartsWith("guid: ")).Substring(6);
                Assert.True(guids.Add(guid), "unique guid for " + rel);
            }
            Assert.True(guids.Count >= 10, "metas found: " + guids.Count);
        }
    }

    /// <summary>A hand-written WebSocket server side: completes the handshake, then does nothing.</summary>
    public static class FakeServer
    {
        public static TcpClient AcceptHandshake(TcpListener listener)
        {
            var accept = listener.AcceptTcpClientAsync();
            if (!accept.Wait(10000)) throw new Exception("no connection");
            var c = accept.Result;
            var s = c.GetStream();
            s.ReadTimeout = 10000;
            var req = new StringBuilder();
            var buf = new byte[1];
            for (int i = 0; i < 16384 && !req.ToString().EndsWith("\r\n\r\n"); i++)
            {
                if (s.Read(buf, 0, 1) != 1) throw new Exception("handshake cut");
                req.Append((char)buf[0]);
            }
            var keyLine = req.ToString().Split(new[] { "\r\n" }, StringSplitOptions.None)
                .First(l => l.StartsWith("sec-websocket-key:", StringComparison.OrdinalIgnoreCase));
            var key = keyLine.Substring(keyLine.IndexOf(':') + 1).Trim();
            string acceptKey;
            using (var sha = SHA1.Create())
                acceptKey = Convert.ToBase64String(sha.ComputeHash(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            var resp = Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptKey + "\r\n\r\n");
            s.Write(resp, 0, resp.Length);
            return c;
        }
    }
}
