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

        /// <summary>Sequential 64 B round trips; also the run's p50 and p99 in µs.</summary>
        private static double RoundTrips(bool omnisock, int n, out double p50, out double p99)
        {
            using (var c = Make(omnisock))
            {
                var msg = new string('x', 64);
                var lat = new long[n];
                for (int i = 0; i < 500; i++) { c.SendText(msg); c.Receive(); }
                var sw = Stopwatch.StartNew();
                long prev = 0;
                for (int i = 0; i < n; i++)
                {
                    c.SendText(msg);
                    if (c.Receive() != 64) throw new Exception("bad echo");
                    long t = sw.ElapsedTicks;
                    lat[i] = t - prev;
                    prev = t;
                }
                double rate = n / sw.Elapsed.TotalSeconds;
                Array.Sort(lat);
                double usPerTick = 1e6 / Stopwatch.Frequency;
                p50 = lat[n / 2] * usPerTick;
                p99 = lat[Math.Min(n - 1, (int)(n * 0.99))] * usPerTick;
                return rate;
            }
        }

        /// <summary>utime + stime of this process (every thread), in ms.</summary>
        private static double CpuMs()
        {
            var stat = System.IO.File.ReadAllText("/proc/self/stat");
            var f = stat.Substring(stat.LastIndexOf(')') + 2).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            return (long.Parse(f[11]) + long.Parse(f[12])) * 10.0; // clock ticks of 10 ms
        }

        private static long RssKiB()
        {
            foreach (var line in System.IO.File.ReadAllLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:")) return long.Parse(line.Substring(6).Trim().Split(' ')[0]);
            }
            return -1;
        }

        /// <summary>
        /// Context switches per thread of this process (voluntary + involuntary), by thread id: each
        /// wake-up of a sleeping thread counts one, so over an idle window this counts timer and
        /// poll wake-ups.
        /// </summary>
        private static Dictionary<string, long> Switches()
        {
            var all = new Dictionary<string, long>();
            foreach (var dir in System.IO.Directory.GetDirectories("/proc/self/task"))
            {
                try
                {
                    long n = 0;
                    foreach (var line in System.IO.File.ReadAllLines(dir + "/status"))
                    {
                        if (line.Contains("ctxt_switches:")) n += long.Parse(line.Substring(line.IndexOf(':') + 1).Trim());
                    }
                    all[System.IO.Path.GetFileName(dir)] = n;
                }
                catch (System.IO.IOException)
                {
                    // The thread ended meanwhile.
                }
            }
            return all;
        }

        /// <summary>Wake-ups between two samples: threads alive at the end, minus what each had at the start.</summary>
        private static long WakeupsBetween(Dictionary<string, long> start, Dictionary<string, long> end)
        {
            long total = 0;
            foreach (var kv in end)
            {
                long before;
                total += kv.Value - (start.TryGetValue(kv.Key, out before) ? before : 0);
            }
            return total;
        }

        /// <summary>
        /// CPU ms of the whole process over <paramref name="seconds"/> with one open, idle client;
        /// <paramref name="wakeupsPerS"/> gets the thread wake-ups per second in that window.
        /// </summary>
        private static double IdleCpu(bool omnisock, int seconds, bool background, out double wakeupsPerS)
        {
            if (background) Dispatcher.StartBackgroundThread();
            try
            {
                using (var c = Make(omnisock))
                {
                    Thread.Sleep(500);
                    double c0 = CpuMs();
                    var w0 = Switches();
                    Thread.Sleep(seconds * 1000);
                    wakeupsPerS = WakeupsBetween(w0, Switches()) / (double)seconds;
                    return CpuMs() - c0;
                }
            }
            finally
            {
                if (background) Dispatcher.StopBackgroundThread();
            }
        }

        /// <summary>RSS growth in KiB per open client over <paramref name="n"/> clients (after a GC).</summary>
        private static double IdleMemory(bool omnisock, int n)
        {
            var open = new List<IClient>();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long r0 = RssKiB();
            try
            {
                for (int i = 0; i < n; i++) open.Add(Make(omnisock));
                Thread.Sleep(300);
                GC.Collect();
                return (RssKiB() - r0) / (double)n;
            }
            finally
            {
                foreach (var c in open) c.Dispose();
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

        private static string Spread(List<double> xs, string fmt)
        {
            if (xs.Count == 0) return "—";
            if (xs.Count == 1) return xs[0].ToString(fmt);
            return Median(xs).ToString(fmt) + " (" + xs.Min().ToString(fmt) + "–" + xs.Max().ToString(fmt) + ")";
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

            int idleS = args.Length > 5 ? int.Parse(args[5]) : 10;

            // (title, digits, higher is better)
            var names = new[] {
                Tuple.Create("round trips/s (64 B, sequential)", 0, true),
                Tuple.Create("round trip p50 µs", 1, false),
                Tuple.Create("round trip p99 µs", 1, false),
                Tuple.Create("pipelined msgs/s (" + pipeN + " x 64 B)", 0, true),
                Tuple.Create("1 MiB binary echo MB/s", 1, true),
                Tuple.Create("bytes allocated per 64 B echo (calling thread)", 0, false),
                Tuple.Create("idle memory KiB per client (process RSS, 50 clients)", 1, false),
            };
            var results = new Dictionary<string, List<double>>();
            Func<string, List<double>> R = k => { List<double> l; if (!results.TryGetValue(k, out l)) results[k] = l = new List<double>(); return l; };
            for (int rep = 0; rep < reps; rep++)
            {
                // The order alternates between rounds: omnisock first, then Mono first, ...
                foreach (var omni in rep % 2 == 0 ? new[] { true, false } : new[] { false, true })
                {
                    string who = omni ? "omnisock" : "mono";
                    double p50, p99;
                    R(who + 0).Add(RoundTrips(omni, rtN, out p50, out p99));
                    R(who + 1).Add(p50);
                    R(who + 2).Add(p99);
                    R(who + 3).Add(Pipelined(omni, pipeN));
                    R(who + 4).Add(Megabytes(omni, mbN));
                    R(who + 5).Add(AllocPerMessage(omni, 5000));
                    if (rep < 3) R(who + 6).Add(IdleMemory(omni, 50));
                    Console.Error.WriteLine("rep {0} {1}: {2:F0} rt/s (p50 {3:F1} p99 {4:F1} µs), {5:F0} msg/s, {6:F1} MB/s, {7:F0} B/msg", rep + 1, who,
                        R(who + 0).Last(), p50, p99, R(who + 3).Last(), R(who + 4).Last(), R(who + 5).Last());
                }
            }
            // Idle CPU: one open client, nothing sent; omnisock both dispatched by the caller and
            // with the library's background dispatcher thread (the usual setup outside Unity).
            var idle = new List<double>[] { new List<double>(), new List<double>(), new List<double>() };
            var wakes = new List<double>[] { new List<double>(), new List<double>(), new List<double>() };
            for (int rep = 0; rep < 2; rep++)
            {
                double w;
                idle[0].Add(IdleCpu(true, idleS, false, out w)); wakes[0].Add(w);
                idle[1].Add(IdleCpu(true, idleS, true, out w)); wakes[1].Add(w);
                idle[2].Add(IdleCpu(false, idleS, false, out w)); wakes[2].Add(w);
                Console.Error.WriteLine("idle {0}: omnisock {1:F0} ms {2:F1}/s, omnisock + background dispatcher {3:F0} ms {4:F1}/s, Mono {5:F0} ms {6:F1}/s",
                    rep + 1, idle[0].Last(), wakes[0].Last(), idle[1].Last(), wakes[1].Last(), idle[2].Last(), wakes[2].Last());
            }
            Console.WriteLine("| metric | omnisock (Unity package) | Mono ClientWebSocket | ratio (> 1: omnisock better) |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            for (int i = 0; i < names.Length; i++)
            {
                string fmt = "F" + names[i].Item2;
                double o = Median(R("omnisock" + i)), m = Median(R("mono" + i));
                Console.WriteLine("| {0} | {1} | {2} | {3} |", names[i].Item1, Spread(R("omnisock" + i), fmt), Spread(R("mono" + i), fmt),
                    o == 0 || m == 0 ? "—" : (names[i].Item3 ? o / m : m / o).ToString("F2") + "x");
            }
            Console.WriteLine("| idle client, process CPU ms over {0} s (Mono runtime included) | {1} caller-dispatched; {2} with the background dispatcher | {3} | |",
                idleS, Spread(idle[0], "F0"), Spread(idle[1], "F0"), Spread(idle[2], "F0"));
            Console.WriteLine("| idle client, thread wake-ups/s (Mono runtime included) | {0} caller-dispatched; {1} with the background dispatcher | {2} | |",
                Spread(wakes[0], "F1"), Spread(wakes[1], "F1"), Spread(wakes[2], "F1"));
            Console.WriteLine();
            Console.WriteLine("cells: median (min–max) of {0} interleaved runs (idle memory: first 3 runs; idle CPU: 2 runs); per-run figures on stderr", reps);
            return 0;
        }
    }
}
