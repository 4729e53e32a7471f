import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import okhttp3.OkHttpClient;
import okio.ByteString;

/**
 * omnisock's Java client against OkHttp 3.13, in the same JVM, against the same `omnisock hub`
 * /echo route (a separate process). Every figure is the median of interleaved repeated runs
 * (omnisock, OkHttp, OkHttp, omnisock, ...) after one warm-up round.
 *
 *   java -cp ... Bench HUB_BINARY [rounds]            throughput table (markdown)
 *   java -cp ... Bench memory omnisock|okhttp URL N   (internal: one fresh JVM per memory sample)
 */
public final class Bench {
    static final int RT_COUNT = 20_000;
    static final int PIPELINED = 100_000;
    static final int BIG = 1 << 20;
    static final int BIG_COUNT = 40;
    static final int IDLE = 200;
    static final int IDLE_S = 10;
    static final long WAIT_S = 120;

    /** One client library under test: opens an echo connection whose messages go to a sink. */
    interface Lib {
        String name();
        Conn open(String url, Sink sink) throws Exception;
        void shutdown();
    }

    interface Sink {
        void onText(String s);
        void onBinary(int length);
    }

    interface Conn {
        boolean sendText(String s);
        boolean sendBinary(byte[] b);
        void close() throws Exception;
    }

    // ---- omnisock ----
    static final class Omnisock implements Lib {
        final dev.omnisock.OmnisockClient client = new dev.omnisock.OmnisockClient.Builder()
                .pingInterval(0, TimeUnit.SECONDS).build();

        public String name() { return "omnisock"; }

        public Conn open(String url, final Sink sink) throws Exception {
            final CountDownLatch open = new CountDownLatch(1);
            final CountDownLatch closed = new CountDownLatch(1);
            final dev.omnisock.WebSocket ws = client.newWebSocket(url, new dev.omnisock.WebSocketListener() {
                @Override public void onOpen(dev.omnisock.WebSocket w, dev.omnisock.Response r) { open.countDown(); }
                @Override public void onMessage(dev.omnisock.WebSocket w, String text) { sink.onText(text); }
                @Override public void onMessage(dev.omnisock.WebSocket w, byte[] bytes) { sink.onBinary(bytes.length); }
                @Override public void onClosed(dev.omnisock.WebSocket w, int c, String r) { closed.countDown(); }
                @Override public void onFailure(dev.omnisock.WebSocket w, Throwable t) { System.err.println("omnisock failure: " + t); open.countDown(); closed.countDown(); }
            });
            if (!open.await(WAIT_S, TimeUnit.SECONDS)) throw new IllegalStateException("omnisock: no open");
            return new Conn() {
                public boolean sendText(String s) { return ws.send(s); }
                public boolean sendBinary(byte[] b) { return ws.send(b); }
                public void close() throws Exception { ws.close(1000, null); closed.await(WAIT_S, TimeUnit.SECONDS); }
            };
        }

        public void shutdown() {}
    }

    // ---- OkHttp 3.13 ----
    static final class OkHttp implements Lib {
        final OkHttpClient client;

        OkHttp() {
            okhttp3.Dispatcher d = new okhttp3.Dispatcher();
            // OkHttp 3 keeps each WebSocket's reader on a dispatcher slot: lift the 5-per-host limit.
            d.setMaxRequests(10_000);
            d.setMaxRequestsPerHost(10_000);
            client = new OkHttpClient.Builder().dispatcher(d).build();
        }

        public String name() { return "okhttp"; }

        public Conn open(String url, final Sink sink) throws Exception {
            final CountDownLatch open = new CountDownLatch(1);
            final CountDownLatch closed = new CountDownLatch(1);
            final okhttp3.WebSocket ws = client.newWebSocket(new okhttp3.Request.Builder().url(url).build(), new okhttp3.WebSocketListener() {
                @Override public void onOpen(okhttp3.WebSocket w, okhttp3.Response r) { open.countDown(); }
                @Override public void onMessage(okhttp3.WebSocket w, String text) { sink.onText(text); }
                @Override public void onMessage(okhttp3.WebSocket w, ByteString bytes) { sink.onBinary(bytes.size()); }
                @Override public void onClosing(okhttp3.WebSocket w, int c, String r) { w.close(1000, null); }
                @Override public void onClosed(okhttp3.WebSocket w, int c, String r) { closed.countDown(); }
                @Override public void onFailure(okhttp3.WebSocket w, Throwable t, okhttp3.Response r) { System.err.println("okhttp failure: " + t); open.countDown(); closed.countDown(); }
            });
            if (!open.await(WAIT_S, TimeUnit.SECONDS)) throw new IllegalStateException("okhttp: no open");
            return new Conn() {
                public boolean sendText(String s) { return ws.send(s); }
                public boolean sendBinary(byte[] b) { return ws.send(ByteString.of(b)); }
                public void close() throws Exception { ws.close(1000, null); closed.await(WAIT_S, TimeUnit.SECONDS); }
            };
        }

        public void shutdown() {
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
        }
    }

    static String payload64() {
        char[] c = new char[64];
        Arrays.fill(c, 'x');
        return new String(c);
    }

    /** Per-run round-trip percentiles (µs), keyed "LIB p50" / "LIB p99", one entry per run. */
    static final java.util.Map<String, List<Double>> PCT = new java.util.HashMap<String, List<Double>>();

    /**
     * Sequential round trips of 64 B text: the listener sends the next one when the echo arrives.
     * Each round trip's latency is from its send to its echo's listener call.
     */
    static double roundTrips(Lib lib, String url) throws Exception {
        final String msg = payload64();
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicInteger left = new AtomicInteger(RT_COUNT);
        final long[] lat = new long[RT_COUNT];
        final long[] sentAt = new long[1];
        final Conn[] conn = new Conn[1];
        conn[0] = lib.open(url, new Sink() {
            public void onText(String s) {
                long now = System.nanoTime();
                int l = left.decrementAndGet();
                lat[l] = now - sentAt[0];
                if (l == 0) {
                    done.countDown();
                } else {
                    sentAt[0] = System.nanoTime();
                    conn[0].sendText(msg);
                }
            }
            public void onBinary(int n) {}
        });
        long t0 = System.nanoTime();
        sentAt[0] = t0;
        conn[0].sendText(msg);
        check(done.await(WAIT_S, TimeUnit.SECONDS), lib.name() + " round trips");
        double s = (System.nanoTime() - t0) / 1e9;
        conn[0].close();
        Arrays.sort(lat);
        record(lib.name() + " p50", lat[RT_COUNT / 2] / 1e3);
        record(lib.name() + " p99", lat[Math.min(RT_COUNT - 1, (int) (RT_COUNT * 0.99))] / 1e3);
        return RT_COUNT / s;
    }

    static synchronized void record(String key, double v) {
        List<Double> l = PCT.get(key);
        if (l == null) {
            l = new ArrayList<Double>();
            PCT.put(key, l);
        }
        l.add(v);
    }

    /** 100,000 x 64 B sent back to back; done when every echo is back. */
    static double pipelined(Lib lib, String url) throws Exception {
        final String msg = payload64();
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicInteger got = new AtomicInteger();
        Conn c = lib.open(url, new Sink() {
            public void onText(String s) { if (got.incrementAndGet() == PIPELINED) done.countDown(); }
            public void onBinary(int n) {}
        });
        long t0 = System.nanoTime();
        for (int i = 0; i < PIPELINED; i++) {
            check(c.sendText(msg), lib.name() + " send refused");
        }
        check(done.await(WAIT_S, TimeUnit.SECONDS), lib.name() + " pipelined: got " + got.get());
        double s = (System.nanoTime() - t0) / 1e9;
        c.close();
        return PIPELINED / s;
    }

    /** 1 MiB binary messages, one at a time (send, wait for the echo): MB/s of payload echoed. */
    static double bigBinary(Lib lib, String url) throws Exception {
        final byte[] data = new byte[BIG];
        new java.util.Random(1).nextBytes(data);
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicInteger left = new AtomicInteger(BIG_COUNT);
        final Conn[] conn = new Conn[1];
        conn[0] = lib.open(url, new Sink() {
            public void onText(String s) {}
            public void onBinary(int n) {
                if (n != BIG) throw new IllegalStateException("short echo " + n);
                if (left.decrementAndGet() == 0) done.countDown(); else conn[0].sendBinary(data);
            }
        });
        long t0 = System.nanoTime();
        conn[0].sendBinary(data);
        check(done.await(WAIT_S, TimeUnit.SECONDS), lib.name() + " 1 MiB");
        double s = (System.nanoTime() - t0) / 1e9;
        conn[0].close();
        return BIG_COUNT * (double) BIG / 1e6 / s;
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new IllegalStateException("failed: " + what);
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<Double>(v);
        java.util.Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    interface Metric { double run(Lib lib, String url) throws Exception; }

    static double[] compare(String title, Metric m, Lib a, Lib b, String url, int rounds) throws Exception {
        m.run(a, url); // warm-up, not counted
        m.run(b, url);
        List<Double> ra = new ArrayList<Double>();
        List<Double> rb = new ArrayList<Double>();
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                ra.add(m.run(a, url));
                rb.add(m.run(b, url));
            } else {
                rb.add(m.run(b, url));
                ra.add(m.run(a, url));
            }
        }
        System.err.printf(Locale.ROOT, "%s: %s %s | %s %s%n", title, a.name(), fmt(ra), b.name(), fmt(rb));
        return new double[] {median(ra), median(rb), java.util.Collections.min(ra), java.util.Collections.max(ra),
                java.util.Collections.min(rb), java.util.Collections.max(rb)};
    }

    static String fmt(List<Double> v) {
        StringBuilder sb = new StringBuilder("[");
        for (double d : v) sb.append(String.format(Locale.ROOT, "%.0f ", d));
        return sb.toString().trim() + "]";
    }

    // ---- memory per idle client: one fresh JVM per sample ----

    static long rssKiB() throws Exception {
        for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    static long heapBytes() throws Exception {
        long before = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            Runtime rt = Runtime.getRuntime();
            before = Math.min(before, rt.totalMemory() - rt.freeMemory());
        }
        return before;
    }

    /** utime + stime of this process (every thread, the JVM's own included), in ms. */
    static double cpuMs() throws Exception {
        String stat = new String(Files.readAllBytes(Paths.get("/proc/self/stat")), StandardCharsets.US_ASCII);
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
        // f[0] is field 3 (state): utime and stime are fields 14 and 15, clock ticks of 10 ms.
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10.0;
    }

    /**
     * Context switches per thread of this process (voluntary + involuntary), by thread id: each
     * wake-up of a sleeping thread counts one, so over an idle window this counts timer and poll
     * wake-ups.
     */
    static java.util.Map<String, Long> switches() {
        java.util.Map<String, Long> all = new java.util.HashMap<String, Long>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) return all;
        for (java.io.File t : tasks) {
            try {
                long n = 0;
                for (String line : Files.readAllLines(Paths.get(t.getPath(), "status"))) {
                    if (line.contains("ctxt_switches:")) n += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
                all.put(t.getName(), n);
            } catch (java.io.IOException gone) {
                // The thread ended meanwhile.
            }
        }
        return all;
    }

    /** Wake-ups between two samples: threads alive at the end, minus what each had at the start. */
    static long wakeupsBetween(java.util.Map<String, Long> start, java.util.Map<String, Long> end) {
        long total = 0;
        for (java.util.Map.Entry<String, Long> e : end.entrySet()) {
            Long before = start.get(e.getKey());
            total += e.getValue() - (before == null ? 0 : before);
        }
        return total;
    }

    /**
     * Prints "rssKiBPerClient heapBytesPerClient threadsPerClient idleCpuMs idleWakeupsPerS" for N idle
     * connections; idleCpuMs is the process's CPU over IDLE_S seconds with one open client.
     */
    static void memoryChild(String which, String url, int n) throws Exception {
        Lib lib = which.equals("omnisock") ? new Omnisock() : new OkHttp();
        // Warm up the library (classes, runtime threads) with one connection first.
        Conn warm = lib.open(url, new Sink() { public void onText(String s) {} public void onBinary(int x) {} });
        warm.sendText("warm");
        Thread.sleep(1000);
        double cpu0 = cpuMs();
        java.util.Map<String, Long> w0 = switches();
        Thread.sleep(IDLE_S * 1000L);
        long wakes = wakeupsBetween(w0, switches());
        double idleCpu = cpuMs() - cpu0;
        long heap0 = heapBytes();
        long rss0 = rssKiB();
        int threads0 = Thread.activeCount();
        List<Conn> conns = new ArrayList<Conn>();
        for (int i = 0; i < n; i++) {
            conns.add(lib.open(url, new Sink() { public void onText(String s) {} public void onBinary(int x) {} }));
        }
        Thread.sleep(500);
        long heap1 = heapBytes();
        long rss1 = rssKiB();
        int threads1 = Thread.activeCount();
        System.out.printf(Locale.ROOT, "%.2f %.0f %.2f %.0f %.1f%n", (rss1 - rss0) / (double) n, (heap1 - heap0) / (double) n, (threads1 - threads0) / (double) n, idleCpu, wakes / (double) IDLE_S);
        for (Conn c : conns) c.close();
        warm.close();
        lib.shutdown();
        System.exit(0);
    }

    static double[] memorySample(String which, String url) throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "Bench", "memory", which, url, String.valueOf(IDLE)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        check(p.waitFor(WAIT_S, TimeUnit.SECONDS), "memory child exit");
        check(line != null, "memory child output");
        String[] f = line.trim().split(" ");
        return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4])};
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("memory")) {
            try {
                memoryChild(args[1], args[2], Integer.parseInt(args[3]));
            } catch (Throwable t) {
                t.printStackTrace();
                System.exit(1);
            }
            return;
        }
        String hubBin = args[0];
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Process hub = new ProcessBuilder(hubBin, "hub", "--listen", "127.0.0.1:0").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(hub.getInputStream(), StandardCharsets.UTF_8));
            Matcher m = null;
            for (int i = 0; i < 50; i++) {
                String line = out.readLine();
                if (line == null) break;
                m = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/").matcher(line);
                if (m.find()) break;
                m = null;
            }
            check(m != null, "hub port");
            String url = "ws://127.0.0.1:" + m.group(1) + "/echo";
            Lib omni = new Omnisock();
            Lib ok = new OkHttp();
            double[] rt = compare("round trips/s", Bench::roundTrips, omni, ok, url, rounds);
            double[] pl = compare("pipelined msgs/s", Bench::pipelined, omni, ok, url, rounds);
            double[] big = compare("1 MiB MB/s", Bench::bigBinary, omni, ok, url, rounds);
            List<double[]> memO = new ArrayList<double[]>();
            List<double[]> memK = new ArrayList<double[]>();
            for (int r = 0; r < 3; r++) {
                memO.add(memorySample("omnisock", url));
                memK.add(memorySample("okhttp", url));
            }
            ok.shutdown();
            System.out.println("| benchmark | omnisock | OkHttp 3.13 | ratio |");
            System.out.println("|---|---:|---:|---:|");
            row("sequential round trips/s (64 B text)", rt, "%.0f");
            latRow("round trip p50 µs", "p50", omni, ok);
            latRow("round trip p99 µs", "p99", omni, ok);
            row("pipelined 100,000 x 64 B, msgs/s", pl, "%.0f");
            row("1 MiB binary echo, MB/s", big, "%.1f");
            double[] rss = {medianOf(memO, 0), medianOf(memK, 0)};
            double[] heap = {medianOf(memO, 1) / 1024, medianOf(memK, 1) / 1024};
            double[] thr = {medianOf(memO, 2), medianOf(memK, 2)};
            double[] idleCpu = {medianOf(memO, 3), medianOf(memK, 3)};
            System.out.printf(Locale.ROOT, "| memory per idle client, process RSS (KiB) | %.1f | %.1f | %.2fx less |%n", rss[0], rss[1], rss[1] / rss[0]);
            System.out.printf(Locale.ROOT, "| memory per idle client, Java heap (KiB) | %.1f | %.1f | %.2fx less |%n", heap[0], heap[1], heap[1] / heap[0]);
            System.out.printf(Locale.ROOT, "| Java threads per idle client | %.2f | %.2f | |%n", thr[0], thr[1]);
            System.out.printf(Locale.ROOT, "| idle client, process CPU ms over %d s (JVM included) | %s | %s | |%n", IDLE_S, spread(memO, 3), spread(memK, 3));
            System.out.printf(Locale.ROOT, "| idle client, thread wake-ups/s (JVM included) | %s | %s | |%n", spread(memO, 4), spread(memK, 4));
            System.out.printf(Locale.ROOT, "%nrounds: %d interleaved (+1 warm-up) per throughput figure, cells are median (min–max); memory and idle CPU: median of 3 fresh JVMs per library, %d idle connections each%n", rounds, IDLE);
        } finally {
            hub.destroy();
            hub.waitFor(10, TimeUnit.SECONDS);
        }
        System.exit(0);
    }

    static double medianOf(List<double[]> v, int k) {
        List<Double> x = new ArrayList<Double>();
        for (double[] d : v) x.add(d[k]);
        return median(x);
    }

    /** "median (min–max)" of field k. */
    static String spread(List<double[]> v, int k) {
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (double[] d : v) {
            lo = Math.min(lo, d[k]);
            hi = Math.max(hi, d[k]);
        }
        return String.format(Locale.ROOT, "%.1f (%.1f–%.1f)", medianOf(v, k), lo, hi);
    }

    /** A latency row: medians over the runs of each run's percentile; ratio > 1 = omnisock lower. */
    static void latRow(String title, String p, Lib a, Lib b) {
        List<Double> la = PCT.get(a.name() + " " + p);
        List<Double> lb = PCT.get(b.name() + " " + p);
        // The first entry of each is the warm-up run.
        la = la.subList(1, la.size());
        lb = lb.subList(1, lb.size());
        System.err.printf(Locale.ROOT, "%s: %s %s | %s %s%n", title, a.name(), fmt(la), b.name(), fmt(lb));
        double ma = median(la), mb = median(lb);
        System.out.printf(Locale.ROOT, "| %s | %.0f (%.0f–%.0f) | %.0f (%.0f–%.0f) | %.2fx |%n", title,
                ma, java.util.Collections.min(la), java.util.Collections.max(la),
                mb, java.util.Collections.min(lb), java.util.Collections.max(lb), mb / ma);
    }

    /** A throughput row: median (min–max) of each; ratio > 1 = omnisock faster. */
    static void row(String name, double[] v, String f) {
        String cell = f + " (" + f + "–" + f + ")";
        System.out.printf(Locale.ROOT, "| %s | " + cell + " | " + cell + " | %.2fx |%n", name, v[0], v[2], v[3], v[1], v[4], v[5], v[0] / v[1]);
    }
}
