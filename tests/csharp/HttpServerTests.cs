// websocket-sharp fidelity: HttpServer (its Example3) serves files through OnGet and WebSocket
// services on the same port. Run through tests/csharp/run.sh.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using Omnisock;
using Omnisock.Server;
using HttpStatusCode = Omnisock.Net.HttpStatusCode;

namespace OmnisockTests
{
    public static partial class Tests
    {
        /// <summary>A raw HTTP/1.1 response: status, headers (lower-case names) and body.</summary>
        private sealed class RawResponse
        {
            public int Status;
            public readonly Dictionary<string, string> Headers = new Dictionary<string, string>();
            public byte[] Body = new byte[0];
        }

        /// <summary>Sends one request line on a fresh connection and reads until the server closes (pumping the dispatcher meanwhile).</summary>
        private static RawResponse RawGet(int port, string target, string method = "GET")
        {
            RawResponse result = null;
            Exception failure = null;
            var t = new Thread(() =>
            {
                try
                {
                    using (var tcp = new TcpClient())
                    {
                        tcp.Connect(IPAddress.Loopback, port);
                        var s = tcp.GetStream();
                        s.ReadTimeout = 10000;
                        var req = Encoding.ASCII.GetBytes(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nX-Test: yes\r\n\r\n");
                        s.Write(req, 0, req.Length);
                        var all = new MemoryStream();
                        var buf = new byte[4096];
                        int n;
                        while (all.Length < (1 << 20) && (n = s.Read(buf, 0, buf.Length)) > 0) all.Write(buf, 0, n);
                        var bytes = all.ToArray();
                        var text = Encoding.ASCII.GetString(bytes);
                        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                        if (end < 0) throw new InvalidOperationException("no complete response head: " + text);
                        var lines = text.Substring(0, end).Split(new[] { "\r\n" }, StringSplitOptions.None);
                        var r = new RawResponse { Status = int.Parse(lines[0].Split(' ')[1]) };
                        foreach (var l in lines.Skip(1))
                        {
                            var c = l.IndexOf(':');
                            r.Headers[l.Substring(0, c).Trim().ToLowerInvariant()] = l.Substring(c + 1).Trim();
                        }
                        r.Body = bytes.Skip(end + 4).ToArray();
                        result = r;
                    }
                }
                catch (Exception e)
                {
                    failure = e;
                }
            });
            t.IsBackground = true;
            t.Start();
            H.Until(() => !t.IsAlive, method + " " + target + " answered", PumpAll);
            if (failure != null) throw new AssertionException(method + " " + target + ": " + failure.Message);
            return result;
        }

        [Test]
        public static void HttpServerServesFilesThroughOnGetAndWebSocketsOnTheSamePort()
        {
            var root = Path.Combine(Path.GetTempPath(), "omnisock-http-" + Guid.NewGuid().ToString("N"));
            var docs = Path.Combine(root, "Public");
            Directory.CreateDirectory(Path.Combine(docs, "Js"));
            var page = "<!DOCTYPE html><title>héllo</title>";
            File.WriteAllText(Path.Combine(docs, "index.html"), page, new UTF8Encoding(false));
            File.WriteAllText(Path.Combine(docs, "Js", "app.js"), "console.log(1);");
            File.WriteAllText(Path.Combine(root, "secret.txt"), "outside the root");

            Assert.Throws<NotSupportedException>(() => new HttpServer(0, true), "https is refused");
            Assert.Throws<NotSupportedException>(() => new HttpServer("https://127.0.0.1:0"), "an https URL is refused");
            Assert.Throws<ArgumentException>(() => new HttpServer("ws://127.0.0.1:0"), "a ws URL is no HTTP URL");

            var server = new HttpServer("http://127.0.0.1:0");
            var e501 = new HttpServer(IPAddress.Loopback, 0);
            var seen = new List<string>();
            var headerSeen = new List<string>();
            try
            {
                var post = Assert.Throws<NotSupportedException>(() => server.OnPost += (s, e) => { }, "OnPost is not offered");
                Assert.True(post.Message.Contains("405"), "and says what happens instead: " + post.Message);
                Assert.Throws<ArgumentException>(() => server.DocumentRootPath = "", "an empty root");
                Assert.Equal("./Public", server.DocumentRootPath, "websocket-sharp's default root");
                server.DocumentRootPath = docs + "/";
                server.OnGet += (sender, e) =>
                {
                    var req = e.Request;
                    var res = e.Response;
                    lock (seen) seen.Add(req.RawUrl);
                    lock (headerSeen) headerSeen.Add(req.Headers["X-Test"] + " " + req.QueryString["q"] + " " + req.HttpMethod);
                    var path = req.RawUrl.Split('?')[0];
                    if (path == "/") path += "index.html";
                    if (path == "/throw") throw new InvalidOperationException("handler failed");
                    if (path == "/moved")
                    {
                        res.Redirect("http://127.0.0.1/elsewhere");
                        return;
                    }
                    byte[] contents;
                    if (!e.TryReadFile(path, out contents))
                    {
                        res.StatusCode = (int)HttpStatusCode.NotFound;
                        return;
                    }
                    if (path.EndsWith(".html"))
                    {
                        res.ContentType = "text/html";
                        res.ContentEncoding = Encoding.UTF8;
                    }
                    else if (path.EndsWith(".js"))
                    {
                        res.ContentType = "application/javascript";
                    }
                    res.AppendHeader("X-Served-By", "OnGet");
                    res.ContentLength64 = contents.LongLength;
                    res.Close(contents, true);
                    Assert.True(res.IsSent, "Close sends");
                };
                server.AddWebSocketService<EchoBehavior>("/echo");
                server.Start();
                e501.Start();
                Assert.True(server.IsListening && server.Port > 0, "listening on the picked port");
                Assert.True(server.WebSocketServices.Paths.SequenceEqual(new[] { "/echo" }), "the service");

                var r = RawGet(server.Port, "/");
                Assert.Equal(200, r.Status, "GET / status");
                Assert.Equal("text/html; charset=utf-8", r.Headers["content-type"], "ContentType with ContentEncoding");
                Assert.Equal("OnGet", r.Headers["x-served-by"], "an appended header");
                Assert.Equal(page, Encoding.UTF8.GetString(r.Body), "the file's bytes");
                Assert.Equal(r.Body.Length.ToString(), r.Headers["content-length"], "Content-Length");

                r = RawGet(server.Port, "/Js/app.js?q=1");
                Assert.Equal(200, r.Status, "a file in a subfolder, with a query");
                Assert.Equal("application/javascript", r.Headers["content-type"], "no charset without ContentEncoding");
                Assert.Equal("console.log(1);", Encoding.UTF8.GetString(r.Body), "the script");
                lock (seen) Assert.True(seen.Contains("/Js/app.js?q=1"), "RawUrl keeps the query");
                lock (headerSeen) Assert.True(headerSeen.Contains("yes 1 GET"), "request headers, query and method: " + string.Join(",", headerSeen));

                r = RawGet(server.Port, "/missing.html");
                Assert.Equal(404, r.Status, "a missing file");
                Assert.Equal(0, r.Body.Length, "no body");

                r = RawGet(server.Port, "/../secret.txt");
                Assert.Equal(500, r.Status, "'..' makes TryReadFile throw, answered 500");
                Assert.True(!Encoding.UTF8.GetString(r.Body).Contains("outside"), "nothing outside the root is served");
                r = RawGet(server.Port, "/throw");
                Assert.Equal(500, r.Status, "a throwing handler");

                r = RawGet(server.Port, "/moved");
                Assert.Equal(302, r.Status, "Redirect");
                Assert.Equal("http://127.0.0.1/elsewhere", r.Headers["location"], "its Location");

                r = RawGet(server.Port, "/index.html", "HEAD");
                Assert.Equal(200, r.Status, "HEAD raises OnGet");
                Assert.Equal(page.Length + 1, int.Parse(r.Headers["content-length"]), "HEAD gets the length (é is two bytes)");
                Assert.Equal(0, r.Body.Length, "and no body");

                r = RawGet(server.Port, "/", "POST");
                Assert.Equal(405, r.Status, "the core answers POST");

                r = RawGet(e501.Port, "/");
                Assert.Equal(501, r.Status, "no OnGet handler: 501 Not Implemented");

                var ws = new WebSocket("ws://127.0.0.1:" + server.Port + "/echo");
                var rec = new Recorder(ws);
                ws.Connect();
                ws.Send("over the HTTP port");
                H.Until(() => rec.Messages.Count == 1, "an echo", PumpAll);
                Assert.Equal("over the HTTP port", rec.Messages[0].Data, "the WebSocket service echoes");
                ws.Close();

                var stray = new WebSocket("ws://127.0.0.1:" + server.Port + "/nothing");
                var srec = new Recorder(stray);
                stray.ConnectAsync();
                H.Until(() => srec.Errors.Count > 0 || srec.Closes.Count > 0, "an upgrade without a service is refused", PumpAll);
                Assert.True(stray.ReadyState != WebSocketState.Open, "it never opens");
                Assert.True(srec.Errors.Any(m => m.Message.Contains("404")), "refused with 404: " + string.Join(" | ", srec.Errors.Select(m => m.Message)));
            }
            finally
            {
                server.Stop();
                e501.Stop();
                Directory.Delete(root, true);
            }
            Assert.True(!server.IsListening, "stopped");
        }
    }
}
