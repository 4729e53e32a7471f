// websocket-sharp fidelity: programs written against websocket-sharp's API (its names, values and
// members, its WebSocketServer + WebSocketBehavior server) run on omnisock with only their `using`
// lines changed. Fixtures are written for these tests; run through tests/csharp/run.sh.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Omnisock;
using Omnisock.Server;
using Cookie = Omnisock.Net.Cookie;
using ErrorEventArgs = Omnisock.ErrorEventArgs;

namespace OmnisockTests
{
    public static partial class Tests
    {
        private static void PumpAll()
        {
            Dispatcher.DispatchAll();
        }

        // ------------------------------------------------------------------ names, values, members

        [Test]
        public static void WebSocketStateValuesAndEveryWebsocketSharpMemberExist()
        {
            Assert.Equal(0, (int)WebSocketState.New, "New");
            Assert.Equal(1, (int)WebSocketState.Connecting, "Connecting");
            Assert.Equal(2, (int)WebSocketState.Open, "Open");
            Assert.Equal(3, (int)WebSocketState.Closing, "Closing");
            Assert.Equal(4, (int)WebSocketState.Closed, "Closed");
            // websocket-sharp's public WebSocket surface: name and parameter types of each member.
            var expected = new[]
            {
                "P Compression", "P Credentials", "P EmitOnPing", "P EnableRedirection", "P Extensions",
                "P HandshakeResponseCookies", "P HandshakeResponseHeaders", "P IsAlive", "P IsSecure", "P Log",
                "P NoDelay", "P Origin", "P Protocol", "P ReadyState", "P SslConfiguration", "P Url", "P WaitTime",
                "E OnClose", "E OnError", "E OnMessage", "E OnOpen",
                "M Close()", "M Close(UInt16)", "M Close(CloseStatusCode)", "M Close(UInt16,String)", "M Close(CloseStatusCode,String)",
                "M CloseAsync()", "M CloseAsync(UInt16)", "M CloseAsync(CloseStatusCode)", "M CloseAsync(UInt16,String)", "M CloseAsync(CloseStatusCode,String)",
                "M Connect()", "M ConnectAsync()", "M Ping()", "M Ping(String)",
                "M Send(Byte[])", "M Send(FileInfo)", "M Send(String)", "M Send(Stream,Int32)",
                "M SendAsync(Byte[],Action`1)", "M SendAsync(FileInfo,Action`1)", "M SendAsync(String,Action`1)", "M SendAsync(Stream,Int32,Action`1)",
                "M SetCookie(Cookie)", "M SetCredentials(String,String,Boolean)", "M SetProxy(String,String,String)", "M SetUserHeader(String,String)",
                "C (String,String[])",
            };
            Assert.Equal(48, expected.Length, "websocket-sharp's WebSocket has 48 public members");
            var t = typeof(WebSocket);
            var have = new HashSet<string>();
            foreach (var p in t.GetProperties()) have.Add("P " + p.Name);
            foreach (var e in t.GetEvents()) have.Add("E " + e.Name);
            foreach (var m in t.GetMethods().Where(m => !m.IsSpecialName))
                have.Add("M " + m.Name + "(" + string.Join(",", m.GetParameters().Select(p => p.ParameterType.Name)) + ")");
            foreach (var c in t.GetConstructors())
                have.Add("C (" + string.Join(",", c.GetParameters().Select(p => p.ParameterType.Name)) + ")");
            var missing = expected.Where(x => !have.Contains(x)).ToList();
            Assert.True(missing.Count == 0, "missing websocket-sharp members: " + string.Join(", ", missing));
            using (var ws = new WebSocket("wss://127.0.0.1:1/x"))
            {
                Assert.Equal(WebSocketState.New, ws.ReadyState, "New before Connect");
                Assert.True(ws.IsSecure, "wss is secure");
                Assert.Equal(LogLevel.Error, ws.Log.Level, "websocket-sharp's default log level");
                Assert.Equal("127.0.0.1", ws.SslConfiguration.TargetHost, "TLS target host from the URL");
                Assert.Equal(0, ws.HandshakeResponseHeaders.Count, "no response headers before open");
                Assert.Equal("", ws.Extensions, "no extensions before open");
                Assert.True(ws.Credentials == null, "no credentials");
                ws.SetCredentials("nobita", "password", false);
                Assert.Equal("nobita", ws.Credentials.Username, "Credentials.Username");
                Assert.Equal("password", ws.Credentials.Password, "Credentials.Password");
                Assert.Throws<ArgumentException>(() => ws.SetProxy("ftp://proxy:21", null, null), "a proxy is http://");
                Assert.Throws<ArgumentException>(() => ws.SetProxy("http://proxy:3128", "a:b", "x"), "no ':' in a proxy user");
                Assert.Throws<ArgumentNullException>(() => ws.SetCookie(null), "null cookie");
                Assert.Throws<ArgumentException>(() => ws.SslConfiguration.AddCertificatePin("md5/abc"), "pins are sha256/");
            }
            Assert.True(!new WebSocket("ws://127.0.0.1:1/").IsSecure, "ws is not secure");
            Assert.Throws<ArgumentException>(() => new Cookie("bad name", "v"), "cookie names have no spaces");
            Assert.Throws<ArgumentException>(() => new Cookie("n", "a;b"), "unquoted ';' in a cookie value");
            Assert.Equal("roles=\"idiot, gunfighter\"", new Cookie("roles", "\"idiot, gunfighter\"").ToString(), "a quoted value keeps its comma");
        }

        // ------------------------------------------------------------------ console programs, no dispatch call

        /// <summary>A console program run with mono; its stdout lines are collected.</summary>
        private sealed class Program : IDisposable
        {
            private readonly Process p;
            public readonly List<string> Lines = new List<string>();

            public Program(string exe, string args)
            {
                var dir = AppDomain.CurrentDomain.BaseDirectory;
                p = Process.Start(new ProcessStartInfo("mono", "\"" + Path.Combine(dir, exe) + "\" " + args)
                {
                    UseShellExecute = false,
                    RedirectStandardInput = true,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                });
                p.OutputDataReceived += (s, e) => { if (e.Data != null) lock (Lines) Lines.Add(e.Data); };
                p.ErrorDataReceived += (s, e) => { if (e.Data != null) lock (Lines) Lines.Add("stderr: " + e.Data); };
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
            }

            public bool Has(string line)
            {
                lock (Lines) return Lines.Contains(line);
            }

            public string Seen { get { lock (Lines) return string.Join(" | ", Lines); } }

            public void WaitFor(string line, string what)
            {
                H.Until(() => Has(line), what + " (saw: " + Seen + ")");
            }

            public void Type(string line)
            {
                p.StandardInput.WriteLine(line);
                p.StandardInput.Flush();
            }

            public int Exit()
            {
                Assert.True(p.WaitForExit(15000), "program exits (saw: " + Seen + ")");
                return p.ExitCode;
            }

            public void Dispose()
            {
                try
                {
                    if (!p.HasExited) p.Kill();
                }
                catch (InvalidOperationException) { }
                p.Dispose();
            }
        }

        [Test]
        public static void ConsoleProgramsWrittenTheWebsocketSharpWayGetEventsWithNoDispatchCall()
        {
            using (var server = new Program("ChatServer.exe", "0"))
            {
                H.Until(() => { lock (server.Lines) return server.Lines.Any(l => l.StartsWith("listening ")); }, "server listening (saw: " + server.Seen + ")");
                string first;
                lock (server.Lines) first = server.Lines.First(l => l.StartsWith("listening "));
                int port = int.Parse(first.Substring("listening ".Length));
                server.WaitFor("- /Chat", "services listed");
                Assert.True(server.Has("- /Echo"), "Echo listed");
                var chat = "ws://127.0.0.1:" + port + "/Chat";
                using (var ann = new Program("ChatClient.exe", chat + "?name=ann"))
                using (var echo = new Program("ChatClient.exe", "ws://127.0.0.1:" + port + "/Echo"))
                {
                    ann.WaitFor("open Open secure=False headers=3", "ann's OnOpen, with the handshake response headers");
                    ann.WaitFor("message: ann joined", "ann sees her own arrival");
                    ann.WaitFor("message: ann: hi", "ann's OnOpen sent hi, broadcast to the room");
                    using (var guest = new Program("ChatClient.exe", chat)) // after ann is in the room
                    {
                        guest.WaitFor("message: Guest#1 joined", "the initializer's prefix names the guest");
                        ann.WaitFor("message: Guest#1 joined", "ann sees the guest arrive");
                        guest.Type("hello room");
                        ann.WaitFor("message: Guest#1: hello room", "a typed line is broadcast");
                        guest.Type("exit");
                        Assert.Equal(0, guest.Exit(), "guest exit code");
                        Assert.True(guest.Has("done"), "guest left its using block");
                        lock (guest.Lines)
                        {
                            int closeAt = guest.Lines.FindIndex(l => l.StartsWith("close: 1001"));
                            Assert.True(closeAt >= 0 && closeAt < guest.Lines.IndexOf("done"), "Dispose raised OnClose 1001 before returning: " + guest.Seen);
                        }
                        ann.WaitFor("message: Guest#1 left (1001)", "Dispose closes with 1001 (going away) and the behaviour's OnClose broadcasts");
                        echo.WaitFor("message: hi", "the echo service answers");
                        echo.Type("ping?");
                        echo.WaitFor("message: ping?", "echo of a typed line");
                        server.Type("stop");
                        server.WaitFor("stopped", "server stopped");
                        ann.WaitFor("close: 1001 hub shutting down", "Stop closes clients with 1001");
                        echo.WaitFor("close: 1001 hub shutting down", "Stop closes every service");
                        ann.Type("exit");
                        echo.Type("exit");
                        Assert.Equal(0, ann.Exit(), "ann exit code");
                        Assert.Equal(0, echo.Exit(), "echo exit code");
                        Assert.Equal(0, server.Exit(), "server exit code");
                        Assert.True(!ann.Seen.Contains("error"), "no error in ann's run: " + ann.Seen);
                    }
                }
            }
        }

        // ------------------------------------------------------------------ the server facade in process

        public sealed class EchoBehavior : WebSocketBehavior
        {
            protected override void OnMessage(MessageEventArgs e)
            {
                if (e.IsText) Send(e.Data);
                else Send(e.RawData);
            }
        }

        public sealed class ProbeBehavior : WebSocketBehavior
        {
            public static readonly List<ProbeBehavior> Made = new List<ProbeBehavior>();
            public static readonly List<string> Events = new List<string>();
            public string Tag;

            public ProbeBehavior()
            {
                lock (Made) Made.Add(this);
            }

            public string QueryName { get { return QueryString["name"]; } }
            public string ClientHeader { get { return Headers["X-Client"]; } }
            public IPEndPoint Remote { get { return UserEndPoint; } }
            public WebSocketSessionManager AllSessions { get { return Sessions; } }
            public WebSocketState State { get { return ReadyState; } }

            public void Reply(string s) { Send(s); }

            private void Note(string s) { lock (Events) Events.Add(Tag + ":" + s); }

            protected override void OnOpen() { Note("open " + QueryName); Sessions.Broadcast(QueryName + " in"); }
            protected override void OnMessage(MessageEventArgs e)
            {
                Note("message " + e.Data);
                if (e.Data == "throw") throw new InvalidOperationException("handler failed");
            }
            protected override void OnClose(CloseEventArgs e) { Note("close " + e.Code + " " + e.Reason); }
            protected override void OnError(ErrorEventArgs e) { Note("error " + e.Message); }
        }

        [Test]
        public static void WebSocketServerRunsOneBehaviourPerConnection()
        {
            lock (ProbeBehavior.Made) ProbeBehavior.Made.Clear();
            lock (ProbeBehavior.Events) ProbeBehavior.Events.Clear();
            var server = new WebSocketServer(IPAddress.Loopback, 0);
            Assert.True(!server.IsListening, "not listening before Start");
            Assert.Throws<ArgumentException>(() => server.AddWebSocketService<EchoBehavior>("echo"), "a path starts with /");
            Assert.Throws<ArgumentException>(() => server.AddWebSocketService<EchoBehavior>("/echo?x"), "no query in a path");
            Assert.Throws<InvalidOperationException>(() => server.Start(), "no service to start");
            server.AddWebSocketService<EchoBehavior>("/echo/");
            server.AddWebSocketService<ProbeBehavior>("/probe", b => b.Tag = "p");
            Assert.Throws<ArgumentException>(() => server.AddWebSocketService<EchoBehavior>("/echo"), "a path is added once");
            Assert.True(server.WebSocketServices.Paths.SequenceEqual(new[] { "/echo", "/probe" }), "paths (trailing / trimmed)");
            server.Start();
            lock (ProbeBehavior.Made)
            {
                Assert.Equal(1, ProbeBehavior.Made.Count, "Start makes one behaviour per service to learn whether it validates handshakes");
                Assert.True(ProbeBehavior.Made[0].ID == null, "that one never opens");
                ProbeBehavior.Made.Clear();
            }
            var clients = new List<WebSocket>();
            try
            {
                Assert.True(server.IsListening && server.Port > 0, "listening on the picked port " + server.Port);
                Assert.Throws<InvalidOperationException>(() => server.AddWebSocketService<EchoBehavior>("/late"), "services are fixed once started");

                var echo = new WebSocket("ws://127.0.0.1:" + server.Port + "/echo");
                clients.Add(echo);
                var re = new Recorder(echo);
                echo.Connect();
                echo.Send("héllo");
                echo.Send(new byte[] { 1, 2, 3 });
                H.Until(() => re.Messages.Count == 2, "two echoes", PumpAll);
                Assert.Equal("héllo", re.Messages[0].Data, "text echo");
                Assert.True(re.Messages[1].IsBinary && re.Messages[1].RawData.SequenceEqual(new byte[] { 1, 2, 3 }), "binary echo");

                var a = new WebSocket("ws://127.0.0.1:" + server.Port + "/probe?name=a%20b");
                var b = new WebSocket("ws://127.0.0.1:" + server.Port + "/probe?name=c");
                clients.Add(a);
                clients.Add(b);
                a.SetUserHeader("X-Client", "first");
                var ra = new Recorder(a);
                var rb = new Recorder(b);
                a.Connect();
                H.Until(() => ra.Messages.Count == 1, "a's own arrival broadcast", PumpAll);
                b.Connect();
                H.Until(() => ra.Messages.Count == 2 && rb.Messages.Count == 1, "b's arrival reaches both", PumpAll);
                Assert.Equal("a b in", ra.Messages[0].Data, "query decoded");
                Assert.Equal("c in", ra.Messages[1].Data, "broadcast to the service");
                Assert.Equal(2, re.Messages.Count, "nothing broadcast to the echo service");

                ProbeBehavior pa, pb;
                lock (ProbeBehavior.Made)
                {
                    Assert.Equal(2, ProbeBehavior.Made.Count, "one behaviour per connection");
                    pa = ProbeBehavior.Made[0];
                    pb = ProbeBehavior.Made[1];
                }
                Assert.Equal("p", pa.Tag, "the initializer ran");
                Assert.Equal("first", pa.ClientHeader, "request headers");
                Assert.True(pa.Remote != null && IPAddress.IsLoopback(pa.Remote.Address), "UserEndPoint is the loopback client");
                Assert.True(pa.Context.RequestUri.AbsolutePath == "/probe", "Context.RequestUri " + pa.Context.RequestUri);
                Assert.Equal(WebSocketState.Open, pa.State, "behaviour open");
                Assert.True(pa.ID != null && pa.ID != pb.ID, "distinct session ids");
                var sessions = server.WebSocketServices["/probe"].Sessions;
                Assert.Equal(2, sessions.Count, "two sessions");
                Assert.True(sessions.IDs.OrderBy(x => x).SequenceEqual(new[] { pa.ID, pb.ID }.OrderBy(x => x)), "session ids");
                Assert.True(sessions[pa.ID] == pa, "session lookup by id");

                sessions.SendTo("just b", pb.ID);
                pa.Reply("just a");
                H.Until(() => rb.Messages.Count == 2 && ra.Messages.Count == 3, "SendTo and Send", PumpAll);
                Assert.Equal("just b", rb.Messages[1].Data, "SendTo");
                Assert.Equal("just a", ra.Messages[2].Data, "Send from the behaviour");

                a.Send("throw");
                H.Until(() => { lock (ProbeBehavior.Events) return ProbeBehavior.Events.Any(x => x.StartsWith("p:error an event handler threw")); }, "a throwing OnMessage becomes OnError", PumpAll);

                sessions.CloseSession(pb.ID, 4001, "bye");
                H.Until(() => rb.Closes.Count == 1, "b closed by the server", PumpAll);
                Assert.Equal(4001, (int)rb.Closes[0].Code, "close code");
                Assert.Equal("bye", rb.Closes[0].Reason, "close reason");
                H.Until(() => { lock (ProbeBehavior.Events) return ProbeBehavior.Events.Contains("p:close 4001 bye"); }, "the behaviour's OnClose", PumpAll);
                Assert.Equal(WebSocketState.Closed, pb.State, "behaviour closed");
                Assert.Throws<InvalidOperationException>(() => sessions.SendTo("x", pb.ID), "SendTo a closed session");

                a.Close(1000, "done");
                H.Until(() => { lock (ProbeBehavior.Events) return ProbeBehavior.Events.Contains("p:close 1000 done"); }, "client close reaches OnClose", PumpAll);
                Assert.Throws<InvalidOperationException>(() => pa.Reply("late"), "Send after close");
                Assert.Equal(0, sessions.Count, "no session left");
            }
            finally
            {
                server.Stop();
                foreach (var c in clients) c.Dispose();
            }
            Assert.True(!server.IsListening, "stopped");
            Assert.Throws<InvalidOperationException>(() => server.WebSocketServices["/probe"].Sessions.Broadcast("x"), "broadcast after Stop");
        }

        [Test]
        public static void BehaviourValidatorsAndSubprotocolDecideTheHandshake()
        {
            var server = new WebSocketServer(IPAddress.Loopback, 0);
            int made = 0;
            server.AddWebSocketService<EchoBehavior>("/guarded", b =>
            {
                Interlocked.Increment(ref made);
                b.OriginValidator = origin => origin == "http://good.test";
                b.HostValidator = host => host != null && host.StartsWith("127.0.0.1:");
                b.Protocol = "chat";
            });
            Assert.Throws<ArgumentException>(() => new EchoBehavior().Protocol = "two words", "a subprotocol is a token");
            server.Start();
            var url = "ws://127.0.0.1:" + server.Port + "/guarded";
            try
            {
                using (var bad = new WebSocket(url))
                {
                    bad.Origin = "http://evil.test";
                    var r = new Recorder(bad);
                    bad.ConnectAsync(); // the handshake waits for the validators, run by this thread's dispatching
                    H.Until(() => r.Closes.Count == 1, "refused", PumpAll);
                    Assert.Equal("error,close", r.Summary, "OnError then OnClose");
                    Assert.Equal(OmnisockResult.HandshakeRejected, ((OmnisockException)r.Errors[0].Exception).Result, "refused handshake: " + r.Errors[0].Message);
                    Assert.True(r.Errors[0].Message.Contains("400"), "HTTP 400 as websocket-sharp answers: " + r.Errors[0].Message);
                }
                using (var none = new WebSocket(url))
                {
                    var r = new Recorder(none);
                    none.ConnectAsync();
                    H.Until(() => r.Closes.Count == 1, "no Origin is refused too", PumpAll);
                }
                using (var good = new WebSocket(url, "other", "chat"))
                using (var plain = new WebSocket(url))
                {
                    good.Origin = "http://good.test";
                    plain.Origin = "http://good.test";
                    var rg = new Recorder(good);
                    var rp = new Recorder(plain);
                    good.ConnectAsync();
                    plain.ConnectAsync();
                    H.Until(() => rg.Opens == 1 && rp.Opens == 1, "both accepted", PumpAll);
                    Assert.Equal("chat", good.Protocol, "the service's subprotocol, offered second, is chosen");
                    Assert.Equal("", plain.Protocol, "no subprotocol when the client offers none");
                    good.Send("guarded echo");
                    H.Until(() => rg.Messages.Count == 1, "echo", PumpAll);
                    Assert.Equal(2, server.WebSocketServices["/guarded"].Sessions.Count, "two sessions");
                }
                Assert.Equal(5, Volatile.Read(ref made), "one behaviour (and initializer run) per handshake, and one at Start to learn that it validates");
            }
            finally
            {
                server.Stop();
            }
        }

        [Test]
        public static void UserHeadersAndCookiesRespondersReachTheClientsHandshakeResponse()
        {
            var server = new WebSocketServer(IPAddress.Loopback, 0);
            server.AddWebSocketService<EchoBehavior>("/chat", b =>
            {
                // websocket-sharp's Example2 (Debug): a header named by the request, valued by the service
                b.UserHeadersResponder = (req, res) =>
                {
                    var name = req["RequestForID"];
                    if (!string.IsNullOrEmpty(name)) res[name] = b.ID;
                    res["Sec-WebSocket-Accept"] = "forged";
                };
                // and its commented-out cookie responder: each request cookie comes back expired, plus a new one
                b.CookiesResponder = (req, res) =>
                {
                    foreach (var c in req)
                    {
                        c.Expired = true;
                        res.Add(c);
                    }
                    res.Add(new Cookie("fresh", "yes", "/chat"));
                };
            });
            server.AddWebSocketService<EchoBehavior>("/broken", b => b.UserHeadersResponder = (req, res) => res["Bad Name"] = "x");
            server.Start();
            try
            {
                using (var ws = new WebSocket("ws://127.0.0.1:" + server.Port + "/chat"))
                {
                    ws.SetCookie(new Cookie("old", "1"));
                    ws.SetUserHeader("RequestForID", "X-Session-Id");
                    var r = new Recorder(ws);
                    ws.ConnectAsync(); // the handshake waits for the responders, run by this thread's dispatching
                    H.Until(() => r.Opens == 1 || r.Closes.Count == 1, "opened", PumpAll);
                    Assert.Equal(1, r.Opens, "the handshake is accepted: " + r.Summary);
                    var id = ws.HandshakeResponseHeaders["X-Session-Id"];
                    Assert.True(!string.IsNullOrEmpty(id), "the header the request asked for carries the session id");
                    H.Until(() => server.WebSocketServices["/chat"].Sessions.IDs.Contains(id), "the open session has that id", PumpAll);
                    Assert.True(ws.HandshakeResponseHeaders["Sec-WebSocket-Accept"] != "forged", "the handshake's own header is not replaced");
                    var cookies = ws.HandshakeResponseCookies;
                    Assert.Equal("yes", cookies["fresh"] == null ? null : cookies["fresh"].Value, "the new cookie");
                    Assert.Equal("/chat", cookies["fresh"].Path, "its path");
                    Assert.True(cookies["old"] != null && cookies["old"].Expired, "the request's cookie comes back expired");
                    ws.Send("still a websocket");
                    H.Until(() => r.Messages.Count == 1, "echo", PumpAll);
                }
                using (var ws = new WebSocket("ws://127.0.0.1:" + server.Port + "/broken"))
                {
                    var r = new Recorder(ws);
                    ws.ConnectAsync();
                    H.Until(() => r.Closes.Count == 1, "an invalid responder header refuses the handshake", PumpAll);
                    Assert.Equal(0, r.Opens, "not opened");
                    Assert.True(r.Errors.Count > 0 && r.Errors[0].Message.Contains("500"), "HTTP 500: " + (r.Errors.Count > 0 ? r.Errors[0].Message : "-"));
                }
            }
            finally
            {
                server.Stop();
            }
        }

        // ------------------------------------------------------------------ handshake details (hand-written server)

        /// <summary>Answers one WebSocket handshake with <paramref name="extraHeaders"/> ("Name: value\r\n" lines); returns the request head.</summary>
        private static string AnswerHandshake(TcpListener listener, string extraHeaders, out TcpClient client)
        {
            client = listener.AcceptTcpClient();
            var s = client.GetStream();
            s.ReadTimeout = 10000;
            var head = ReadHead(s);
            var keyLine = head.Split(new[] { "\r\n" }, StringSplitOptions.None)
                .First(l => l.StartsWith("sec-websocket-key:", StringComparison.OrdinalIgnoreCase));
            var key = keyLine.Substring(keyLine.IndexOf(':') + 1).Trim();
            string accept;
            using (var sha = SHA1.Create())
                accept = Convert.ToBase64String(sha.ComputeHash(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
            var resp = Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                + accept + "\r\n" + extraHeaders + "\r\n");
            s.Write(resp, 0, resp.Length);
            return head;
        }

        /// <summary>Reads an HTTP request head (bounded: 16 KiB).</summary>
        private static string ReadHead(Stream s)
        {
            var head = new StringBuilder();
            var buf = new byte[1];
            for (int i = 0; i < 16384 && !head.ToString().EndsWith("\r\n\r\n"); i++)
            {
                if (s.Read(buf, 0, 1) != 1) throw new Exception("request head cut: " + head);
                head.Append((char)buf[0]);
            }
            return head.ToString();
        }

        /// <summary>Runs <paramref name="serve"/> on a thread; Join rethrows its exception.</summary>
        private sealed class Side
        {
            private readonly Thread t;
            private Exception error;

            public Side(Action serve)
            {
                t = new Thread(() => { try { serve(); } catch (Exception e) { error = e; } }) { IsBackground = true };
                t.Start();
            }

            public void Join()
            {
                Assert.True(t.Join(15000), "server side finished");
                if (error != null) throw new Exception("server side failed", error);
            }
        }

        [Test]
        public static void HandshakeResponseHeadersCookiesCredentialsAndLog()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            TcpClient conn = null;
            try
            {
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                string request = null;
                var side = new Side(() => request = AnswerHandshake(listener,
                    "X-Session: 42\r\nSet-Cookie: sid=abc; Path=/; HttpOnly\r\nSet-Cookie: theme=dark\r\n", out conn));
                var logged = new List<string>();
                using (var ws = new WebSocket("ws://127.0.0.1:" + port + "/chat"))
                {
                    ws.Log.Level = LogLevel.Debug;
                    ws.Log.Output = (data, file) => { lock (logged) logged.Add(data.Level + " " + data.Message); };
                    ws.SetCredentials("nobita", "password", true);
                    var r = new Recorder(ws);
                    string seenInOnOpen = null;
                    ws.OnOpen += (s, e) => seenInOnOpen = ws.HandshakeResponseHeaders["X-Session"];
                    ws.Connect();
                    side.Join();
                    H.Until(() => r.Opens == 1, "open", Pump(ws));
                    Assert.Equal("42", seenInOnOpen, "response headers are there in OnOpen");
                    var basic = "authorization: basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("nobita:password"));
                    Assert.True(request.Split(new[] { "\r\n" }, StringSplitOptions.None).Any(l => string.Equals(l, basic, StringComparison.OrdinalIgnoreCase)), "Basic credentials sent: " + request);
                    var cookies = ws.HandshakeResponseCookies;
                    Assert.Equal(2, cookies.Count, "two Set-Cookie headers");
                    Assert.Equal("abc", cookies["sid"].Value, "sid");
                    Assert.True(cookies["sid"].HttpOnly && cookies["sid"].Path == "/", "sid attributes");
                    Assert.Equal("dark", cookies["theme"].Value, "theme");
                    Assert.Equal("", ws.Extensions, "no extension accepted");
                    lock (logged)
                    {
                        Assert.True(logged.Any(l => l.StartsWith("Debug connecting to ws://127.0.0.1:")), "Debug record of the connect: " + string.Join(" | ", logged));
                        Assert.True(logged.Any(l => l.StartsWith("Debug open: ")), "Debug record of the open");
                        Assert.True(!logged.Any(l => l.StartsWith("Trace")), "Trace is below the level");
                    }
                    conn.Close(); // the peer vanishes: no closing handshake to wait for
                    H.Until(() => r.Closes.Count == 1, "closed", Pump(ws));
                }
            }
            finally
            {
                if (conn != null) conn.Close();
                listener.Stop();
            }
        }

        [Test]
        public static void SendFileAndStreamGoAsBinaryMessages()
        {
            using (var hub = new Hub(new HubOptions("127.0.0.1:0").AddRoute("/echo", RouteKind.Echo)))
            using (var ws = new WebSocket("ws://127.0.0.1:" + hub.Port + "/echo"))
            {
                var r = new Recorder(ws);
                var path = Path.GetTempFileName();
                try
                {
                    File.WriteAllBytes(path, new byte[] { 9, 8, 7, 6 });
                    ws.Connect();
                    ws.Send(new FileInfo(path));
                    ws.Send(new MemoryStream(new byte[] { 1, 2, 3, 4, 5 }), 3);
                    ws.Send(new MemoryStream(new byte[] { 1, 2 }), 10); // fewer than asked: what there is
                    var done = new List<bool>();
                    ws.SendAsync(new FileInfo(path), ok => done.Add(ok));
                    H.Until(() => r.Messages.Count == 4 && done.Count == 1, "four binary echoes", Pump(ws));
                    Assert.True(done[0], "SendAsync(FileInfo) completed");
                    Assert.True(r.Messages.All(m => m.IsBinary), "binary");
                    Assert.True(r.Messages[0].RawData.SequenceEqual(new byte[] { 9, 8, 7, 6 }), "file bytes");
                    Assert.True(r.Messages[1].RawData.SequenceEqual(new byte[] { 1, 2, 3 }), "length bytes of the stream");
                    Assert.True(r.Messages[2].RawData.SequenceEqual(new byte[] { 1, 2 }), "a short stream");
                    Assert.Throws<ArgumentException>(() => ws.Send(new FileInfo(path + ".missing")), "a missing file");
                    Assert.Throws<ArgumentException>(() => ws.Send(new MemoryStream(new byte[0]), 4), "an empty stream");
                    Assert.Throws<ArgumentException>(() => ws.Send(new MemoryStream(new byte[4]), 0), "length 0");
                    ws.SendQueueLimit = 1024; // applies to the next connection, and to what Send reads
                    ws.Send(new MemoryStream(new byte[4096]), 4096);
                    H.Until(() => r.Errors.Count == 1, "a stream longer than the send queue is refused", Pump(ws));
                    Assert.Equal(OmnisockResult.QueueFull, ((OmnisockException)r.Errors[0].Exception).Result, "QueueFull");
                }
                finally
                {
                    File.Delete(path);
                }
            }
        }

        // ------------------------------------------------------------------ options carried by newer core keys

        [Test, PendingCoreKey("proxy")]
        public static void SetProxyConnectsThroughAnHttpProxyWithBasicCredentials()
        {
            using (var hub = new Hub(new HubOptions("127.0.0.1:0").AddRoute("/echo", RouteKind.Echo)))
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var open = new List<IDisposable>();
                try
                {
                    int proxyPort = ((IPEndPoint)listener.LocalEndpoint).Port;
                    string connectHead = null;
                    var side = new Side(() =>
                    {
                        var downstream = listener.AcceptTcpClient();
                        open.Add(downstream);
                        var ds = downstream.GetStream();
                        connectHead = ReadHead(ds);
                        var upstream = new TcpClient();
                        open.Add(upstream);
                        upstream.Connect(IPAddress.Loopback, hub.Port);
                        var ok = Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\n\r\n");
                        ds.Write(ok, 0, ok.Length);
                        Relay(ds, upstream.GetStream());
                        Relay(upstream.GetStream(), ds);
                    });
                    using (var ws = new WebSocket("ws://127.0.0.1:" + hub.Port + "/echo"))
                    {
                        ws.SetProxy("http://127.0.0.1:" + proxyPort, "nobita", "pass word");
                        var r = new Recorder(ws);
                        ws.Connect();
                        side.Join();
                        ws.Send("through the proxy");
                        H.Until(() => r.Messages.Count == 1, "echo through the proxy", Pump(ws));
                        var lines = connectHead.Split(new[] { "\r\n" }, StringSplitOptions.None);
                        Assert.Equal("CONNECT 127.0.0.1:" + hub.Port + " HTTP/1.1", lines[0], "CONNECT line");
                        var auth = "basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("nobita:pass word")).ToLowerInvariant();
                        Assert.True(lines.Any(l => l.ToLowerInvariant() == "proxy-authorization: " + auth), "Basic proxy credentials: " + connectHead);
                    }
                }
                finally
                {
                    foreach (var d in open) d.Dispose();
                    listener.Stop();
                }
            }
        }

        /// <summary>Copies <paramref name="from"/> to <paramref name="to"/> on a background thread until either ends.</summary>
        private static void Relay(Stream from, Stream to)
        {
            new Thread(() =>
            {
                var buf = new byte[16384];
                try
                {
                    for (int i = 0; i < 1000000; i++)
                    {
                        int n = from.Read(buf, 0, buf.Length);
                        if (n <= 0) break;
                        to.Write(buf, 0, n);
                    }
                }
                catch (IOException) { }
                catch (ObjectDisposedException) { }
            }) { IsBackground = true }.Start();
        }

        [Test, PendingCoreKey("max_redirects")]
        public static void EnableRedirectionFollowsARedirectAndIsOffByDefault()
        {
            using (var hub = new Hub(new HubOptions("127.0.0.1:0").AddRoute("/echo", RouteKind.Echo)))
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                try
                {
                    int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                    Action redirectOnce = () =>
                    {
                        using (var c = listener.AcceptTcpClient())
                        {
                            var s = c.GetStream();
                            ReadHead(s);
                            var resp = Encoding.ASCII.GetBytes("HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:" + hub.Port + "/echo\r\nContent-Length: 0\r\n\r\n");
                            s.Write(resp, 0, resp.Length);
                        }
                    };
                    var url = "ws://127.0.0.1:" + port + "/old";
                    using (var plain = new WebSocket(url))
                    {
                        var side = new Side(redirectOnce);
                        var r = new Recorder(plain);
                        plain.Connect();
                        side.Join();
                        H.Until(() => r.Closes.Count == 1, "no redirect by default (websocket-sharp's default)", Pump(plain));
                        Assert.Equal("error,close", r.Summary, "a refused handshake");
                    }
                    using (var ws = new WebSocket(url))
                    {
                        ws.EnableRedirection = true;
                        var side = new Side(redirectOnce);
                        var r = new Recorder(ws);
                        ws.Connect();
                        side.Join();
                        ws.Send("after the redirect");
                        H.Until(() => r.Messages.Count == 1, "echo from the redirect target", Pump(ws));
                        Assert.Equal("after the redirect", r.Messages[0].Data, "echo");
                    }
                }
                finally
                {
                    listener.Stop();
                }
            }
        }

        [Test, PendingCoreKey("cookies")]
        public static void SetCookieSendsTheCookiesWithTheHandshake()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            TcpClient conn = null;
            try
            {
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                string request = null;
                var side = new Side(() => request = AnswerHandshake(listener, "", out conn));
                using (var ws = new WebSocket("ws://127.0.0.1:" + port + "/"))
                {
                    ws.SetCookie(new Cookie("name", "nobita"));
                    ws.SetCookie(new Cookie("roles", "gunfighter"));
                    ws.SetCookie(new Cookie("name", "shizuka")); // same name: replaces
                    var r = new Recorder(ws);
                    ws.Connect();
                    side.Join();
                    H.Until(() => r.Opens == 1, "open", Pump(ws));
                    conn.Close();
                    H.Until(() => r.Closes.Count == 1, "closed", Pump(ws));
                }
                var cookieLines = request.Split(new[] { "\r\n" }, StringSplitOptions.None)
                    .Where(l => l.StartsWith("cookie:", StringComparison.OrdinalIgnoreCase)).Select(l => l.Substring(7).Trim()).ToList();
                var pairs = cookieLines.SelectMany(l => l.Split(';')).Select(p => p.Trim()).ToList();
                Assert.True(pairs.Contains("name=shizuka") && !pairs.Contains("name=nobita"), "the replaced cookie: " + request);
                Assert.True(pairs.Contains("roles=gunfighter"), "the second cookie: " + request);
                using (var ws = new WebSocket("ws://127.0.0.1:" + port + "/"))
                {
                    // RFC 6265 values: a quoted value with a comma and a space (RFC 2965 style) is refused by the core.
                    ws.SetCookie(new Cookie("roles", "\"idiot, gunfighter\""));
                    Assert.Throws<ArgumentException>(() => ws.Connect(), "a cookie value the core refuses");
                }
            }
            finally
            {
                if (conn != null) conn.Close();
                listener.Stop();
            }
        }

        [Test, PendingCoreKey("unix_socket")]
        public static void UnixSocketConnectsThroughADomainSocket()
        {
            var sock = Path.Combine(Path.GetTempPath(), "omnisock-cs-" + Guid.NewGuid().ToString("N").Substring(0, 12) + ".sock");
            try
            {
                using (var ws = new WebSocket("ws://localhost/echo"))
                {
                    ws.UnixSocket = sock;
                    var r = new Recorder(ws);
                    ws.Connect();
                    H.Until(() => r.Closes.Count == 1, "no socket file yet: the attempt fails", Pump(ws));
                    Assert.Equal("error,close", r.Summary, "OnError then OnClose");
                    var toml = "listen = \"127.0.0.1:0\"\nunix = \"" + sock + "\"\n[[route]]\npath = \"/echo\"\nkind = \"echo\"\n";
                    using (var hub = new Hub(HubOptions.FromToml(toml)))
                    {
                        ws.Connect();
                        ws.Send("over a unix socket");
                        H.Until(() => r.Messages.Count == 1, "echo over the socket file", Pump(ws));
                        Assert.Equal("over a unix socket", r.Messages[0].Data, "echo");
                    }
                }
            }
            finally
            {
                File.Delete(sock);
            }
        }

        [Test, PendingCoreKey("compression")]
        public static void CompressionDeflateOffersPermessageDeflate()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            TcpClient conn = null;
            try
            {
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                string request = null;
                var side = new Side(() => request = AnswerHandshake(listener, "Sec-WebSocket-Extensions: permessage-deflate\r\n", out conn));
                using (var ws = new WebSocket("ws://127.0.0.1:" + port + "/"))
                {
                    ws.Compression = CompressionMethod.Deflate;
                    var r = new Recorder(ws);
                    ws.Connect();
                    side.Join();
                    H.Until(() => r.Opens == 1, "open", Pump(ws));
                    Assert.True(request.ToLowerInvariant().Contains("sec-websocket-extensions: permessage-deflate"), "offered: " + request);
                    Assert.True(ws.Extensions.StartsWith("permessage-deflate"), "accepted extension: " + ws.Extensions);
                    conn.Close();
                    H.Until(() => r.Closes.Count == 1, "closed", Pump(ws));
                }
            }
            finally
            {
                if (conn != null) conn.Close();
                listener.Stop();
            }
        }

        [Test, PendingCoreKey("certificate_pins")]
        public static void CertificatePinsAcceptTheServerKeyAndRefuseOthers()
        {
            var dir = Environment.GetEnvironmentVariable("OMNISOCK_TLS_DIR");
            var pin = File.ReadAllText(Path.Combine(dir, "server.pin")).Trim();
            var options = new HubOptions("127.0.0.1:0")
            {
                TlsCertificateFile = Path.Combine(dir, "server.pem"),
                TlsKeyFile = Path.Combine(dir, "server.key"),
            };
            options.AddRoute("/echo", RouteKind.Echo);
            using (var hub = new Hub(options))
            {
                var url = "wss://127.0.0.1:" + hub.Port + "/echo";
                var ca = File.ReadAllText(Path.Combine(dir, "ca.pem"));
                using (var wrong = new WebSocket(url))
                {
                    wrong.AddCertificateAuthority(ca);
                    wrong.SslConfiguration.AddCertificatePin("sha256/" + Convert.ToBase64String(new byte[32]));
                    var r = new Recorder(wrong);
                    wrong.Connect();
                    H.Until(() => r.Closes.Count == 1, "a pin that matches nothing is refused", Pump(wrong));
                    Assert.Equal("error,close", r.Summary, "OnError then OnClose");
                }
                using (var right = new WebSocket(url))
                {
                    right.AddCertificateAuthority(ca);
                    right.SslConfiguration.AddCertificatePin("sha256/" + pin);
                    var r = new Recorder(right);
                    right.Connect();
                    right.Send("pinned");
                    H.Until(() => r.Messages.Count == 1, "the server's own key is accepted", Pump(right));
                }
            }
        }
    }
}
