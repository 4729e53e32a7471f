// Benchmarks the Unity package's C# client (Omnisock.WebSocket over libomnisock) against Mono's
// own System.Net.WebSockets.ClientWebSocket, side by side on the same Mono, against the same
// `omnisock hub` /echo route on 127.0.0.1. Runs are interleaved (omnisock, ClientWebSocket,
// omnisock, ...) and medians reported. Run through bench/csharp/run.sh.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Omnisock;
using WebSocket = Omnisock.WebSocket;
using WebSocketState = Omnisock.WebSocketState;

namespace OmnisockBench
{
    internal interface IClient : IDisposable
    {
        string Name { get; }
        void SendText(string s);
        void SendBinary(byte[] b);
        /// <summary>Blocks until one message arrives; returns its length in bytes.</summary>
        int Receive();
    }

    /// <summary>The package's client, dispatched on the calling thread (as Unity's Update() would).</summary>
    internal sealed class OmnisockClient : IClient
    {
        private readonly WebSocket ws;
        private int received;
        private int lastLength;

        public OmnisockClient(string url)
        {
            ws = new WebSocket(url);
            ws.MaxMessageSize = 64L << 20;
            ws.SendQueueLimit = 64L << 20;
            ws.OnMessage += OnMessage;
            ws.Connect();
            if (ws.ReadyState != WebSocketState.Open) throw new Exception("omnisock: not open");
        }

        private void OnMessage(object sender, MessageEventArgs e)
        {
            received++;
            lastLength = e.IsText ? e.Data.Length : e.RawData.Length;
        }

        public string Name { get { return "omnisock (Unity package)"; } }
        public void SendText(string s) { ws.Send(s); }
        public void SendBinary(byte[] b) { ws.Send(b); }

        public int Receive()
        {
            int target = received + 1;
            var sw = Stopwatch.StartNew();
            while (received < target)
            {
                ws.DispatchMessageQueue();
                if (received >= target) break;
                ws.WaitForEvents(1000);
                if (sw.ElapsedMilliseconds > 60000) throw new TimeoutException("omnisock: no message within 60 s");
            }
            return lastLength;
        }

        /// <summary>Dispatches until <paramref name="n"/> more messages arrived.</summary>
        public void ReceiveMany(int n)
        {
            int target = received + n;
            var sw = Stopwatch.StartNew();
            while (received < target)
            {
                ws.DispatchMessageQueue();
                if (received >= target) break;
                ws.WaitForEvents(1000);
                if (sw.ElapsedMilliseconds > 120000) throw new TimeoutException("omnisock: messages missing after 120 s");
            }
        }

        public void Dispose() { ws.Close(); ws.Dispose(); }
    }

    /// <summary>Mono's System.Net.WebSockets.ClientWebSocket, used synchronously.</summary>
    internal sealed class MonoClient : IClient
    {
        private readonly ClientWebSocket ws = new ClientWebSocket();
        private readonly byte[] buf = new byte[2 << 20];

        public MonoClient(string url)
        {
            ws.ConnectAsync(new Uri(url), CancellationToken.None).Wait();
        }

        public string Name { get { return "Mono ClientWebSocket"; } }

        public void SendText(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            ws.SendAsync(new ArraySegment<byte>(b), WebSocketMessageType.Text, true, CancellationToken.None).Wait();
        }

        public void SendBinary(byte[] b)
        {
            ws.SendAsync(new ArraySegment<byte>(b), WebSocketMessageType.Binary, true, CancellationToken.None).Wait();
        }

        public int Receive()
        {
            int total = 0;
            while (true)
            {
                var r = ws.ReceiveAsync(new ArraySegment<byte>(buf, total, buf.Length - total), CancellationToken.None).Result;
                total += r.Count;
                if (r.EndOfMessage)
                {
                    // Like a real consumer: materialise the message.
                    if (r.MessageType == WebSocketMessageType.Text) return Encoding.UTF8.GetString(buf, 0, total).Length;
                    var copy = new byte[total];
                    Buffer.BlockCopy(buf, 0, copy, 0, total);
                    return copy.Length;
                }
            }
        }

        public void Dispose()
        {
            try { ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None).Wait(5000); } catch { }
            ws.Dispose();
        }
    }

    public static class Program
    {
        private static string url;

        private static IClient Make(bool omnisock)
        {
            return omnisock ? (IClient)new OmnisockClient(url) : new MonoClient(url);
        }

        private static double RoundTrips(bool omnisock, int n)
        {
            using (var c = Make(omnisock))
            {
                var msg = new string('x', 64);
                for (int i = 0; i < 500; i++) { c.SendText(msg); c.Receive(); }
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < n; i++)
                {
                    c.SendText(msg);
                    if (c.Receive() != 64) throw new Exception("bad echo");
                }
                return n / sw.Elapsed.TotalSeconds;
            }
        }

        private static double Pipelined(bool omnisock, int n)
        {
            using (var c = Make(omnisock))
            {
                var msg = new string('y', 64);
                var sw = Stopwatch.StartNew();
                var oc = c as OmnisockClient;
                if (oc != null)
                {
                    for (int i = 0; i < n; i++) c.SendText(msg);
                    oc.ReceiveMany(n);
                }
                else
                {
                    // ClientWebSocket allows one send and one receive at a time: receive on another thread.
                    var rx = Task.Run(() => { for (int i = 0; i < n; i++) c.Receive(); });
                    for (int i = 0; i < n; i++) c.SendText(msg);
                    if (!rx.Wait(300000)) throw new TimeoutException("ClientWebSocket pipelined receive");
                }
                return n / sw.Elapsed.TotalSeconds;
            }
        }

        private static double Megabytes(bool omnisock, int n)
        {
            using (var c = Make(omnisock))
            {
                var data = new byte[1 << 20];
                new Random(1).NextBytes(data);
                c.SendBinary(data);
                c.Receive();
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < n; i++)
                {
                    c.SendBinary(data);
                    if (c.Receive() != data.Length) throw new Exception("bad 1 MiB echo");
                }
                return n * (double)data.Length / (1 << 20) / sw.Elapsed.TotalSeconds;
            }
        }

        /// <summary>Bytes allocated on the calling thread per 64-byte echo (send + receive + event).</summary>
        private static double AllocPerMessage(bool omnisock, int n)
        {
            using (var c = Make(omnisock))
            {
                var msg = new string('z', 64);
                for (int i = 0; i < 1000; i++) { c.SendText(msg); c.Receive(); }
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < n; i++) { c.SendText(msg); c.Receive(); }
                return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)n;
            }
        }

        private static double Median(List<double> xs)
        {
            var s = xs.OrderBy(x => x).ToList();
            return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
        }

        public static int Main(string[] args)
        {
            // The benchmark dispatches on its own thread (DispatchMessageQueue + WaitForEvents).
            Omnisock.Dispatcher.AutoStart = false;
            url = args[0];
            int reps = args.Length > 1 ? int.Parse(args[1]) : 5;
            int rtN = args.Length > 2 ? int.Parse(args[2]) : 20000;
            int pipeN = args.Length > 3 ? int.Parse(args[3]) : 100000;
            int mbN = args.Length > 4 ? int.Parse(args[4]) : 50;

            var names = new[] { "round trips/s (64 B, sequential)", "pipelined msgs/s (" + pipeN + " x 64 B)", "1 MiB binary echo MB/s", "bytes allocated per 64 B echo (calling thread)" };
            var results = new Dictionary<string, List<double>>();
            Func<string, List<double>> R = k => { List<double> l; if (!results.TryGetValue(k, out l)) results[k] = l = new List<double>(); return l; };
            for (int rep = 0; rep < reps; rep++)
            {
                foreach (var omni in new[] { true, false })
                {
                    string who = omni ? "omnisock" : "mono";
                    R(who + 0).Add(RoundTrips(omni, rtN));
                    R(who + 1).Add(Pipelined(omni, pipeN));
                    R(who + 2).Add(Megabytes(omni, mbN));
                    R(who + 3).Add(AllocPerMessage(omni, 5000));
                    Console.Error.WriteLine("rep {0} {1}: {2:F0} rt/s, {3:F0} msg/s, {4:F1} MB/s, {5:F0} B/msg", rep + 1, who,
                        R(who + 0).Last(), R(who + 1).Last(), R(who + 2).Last(), R(who + 3).Last());
                }
            }
            Console.WriteLine("| metric | omnisock (Unity package) | Mono ClientWebSocket | ratio |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            for (int i = 0; i < names.Length; i++)
            {
                double o = Median(R("omnisock" + i)), m = Median(R("mono" + i));
                string fmt = i == 2 ? "F1" : "F0";
                Console.WriteLine("| {0} | {1} | {2} | {3} |", names[i], o.ToString(fmt), m.ToString(fmt),
                    i == 3 ? (o / m).ToString("F2") + "x" : (o / m).ToString("F1") + "x");
            }
            Console.WriteLine();
            Console.WriteLine("medians of {0} interleaved runs; per-run figures on stderr", reps);
            return 0;
        }
    }
}
