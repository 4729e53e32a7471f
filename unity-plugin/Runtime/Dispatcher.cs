using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

namespace Omnisock
{
    /// <summary>Something with an event queue: a <see cref="WebSocket"/> or a <see cref="Hub"/>.</summary>
    internal interface IDispatchable
    {
        /// <summary>Raises queued events on the calling thread; true if events may remain.</summary>
        bool DispatchQueued();
        /// <summary>The native wake fd (readable while native events are queued), or -1.</summary>
        int WakeFd();
        /// <summary>Drops the connection at once (application exit).</summary>
        void Abort();
    }

    /// <summary>
    /// Delivers the events of every live <see cref="WebSocket"/> and <see cref="Hub"/>.
    /// <para>Events are raised on the thread that calls <see cref="DispatchAll"/> (or an object's own
    /// <c>DispatchMessageQueue()</c>), never on a library thread. In Unity the
    /// <c>OmnisockDispatcher</c> component does that in <c>Update()</c>, so handlers run on the main
    /// thread. Elsewhere, call <see cref="DispatchAll"/> from your own loop, or call
    /// <see cref="StartBackgroundThread"/> to have one dedicated thread raise all events.</para>
    /// </summary>
    public static class Dispatcher
    {
        private static readonly object gate = new object();
        private static readonly List<IDispatchable> live = new List<IDispatchable>();
        private static IDispatchable[] snapshot = new IDispatchable[0];
        private static Thread thread;
        private static volatile bool running;
        private static int version;

        internal static void Register(IDispatchable d)
        {
            lock (gate)
            {
                if (live.Contains(d)) return;
                live.Add(d);
                snapshot = live.ToArray();
                version++;
            }
#if UNITY_5_3_OR_NEWER
            OmnisockDispatcher.EnsureCreated();
#endif
            Wake();
        }

        internal static void Unregister(IDispatchable d)
        {
            lock (gate)
            {
                if (live.Remove(d))
                {
                    snapshot = live.ToArray();
                    version++;
                }
            }
        }

        /// <summary>Number of WebSockets and Hubs that are connected or still have events to deliver.</summary>
        public static int LiveCount
        {
            get { lock (gate) return live.Count; }
        }

        /// <summary>
        /// Raises the queued events of every live WebSocket and Hub on the calling thread. Returns true
        /// when more events may be waiting (a per-object batch limit was reached).
        /// </summary>
        public static bool DispatchAll()
        {
            var items = snapshot; // copy-on-write array: no allocation here
            bool more = false;
            for (int i = 0; i < items.Length; i++)
            {
                if (items[i].DispatchQueued()) more = true;
            }
            return more;
        }

        // ------------------------------------------------------------------ background thread

        /// <summary>Whether the background dispatcher thread runs.</summary>
        public static bool BackgroundThreadRunning
        {
            get { return running; }
        }

        /// <summary>The background thread's managed id, or -1 when it is not running.</summary>
        public static int BackgroundThreadId
        {
            get { var t = thread; return t == null ? -1 : t.ManagedThreadId; }
        }

        /// <summary>
        /// Starts one background thread that raises the events of every WebSocket and Hub as they
        /// arrive (for hosts without a main loop: servers, tools, tests). In Unity, leave it off when
        /// handlers touch Unity objects: OmnisockDispatcher already delivers on the main thread.
        /// The thread sleeps in poll(2) on the library's wake fds (Linux, macOS, Android, iOS); where
        /// poll is unavailable it checks every millisecond.
        /// </summary>
        public static void StartBackgroundThread()
        {
            lock (gate)
            {
                if (running) return;
                running = true;
                thread = new Thread(Loop) { IsBackground = true, Name = "omnisock-dispatcher" };
                thread.Start();
            }
        }

        /// <summary>Stops the background thread (waits for it to finish its current batch).</summary>
        public static void StopBackgroundThread()
        {
            Thread t;
            lock (gate)
            {
                if (!running) return;
                running = false;
                t = thread;
                thread = null;
            }
            Wake();
            if (t != null && t != Thread.CurrentThread) t.Join(10000);
        }

        /// <summary>Drops every connection and stops every hub at once (application exit).</summary>
        public static void AbortAll()
        {
            IDispatchable[] items;
            lock (gate) items = live.ToArray();
            foreach (var d in items) d.Abort();
        }

        // Managed wake-ups (events made in C#, such as a failed Send) go through a pipe polled with
        // the library's wake fds. -1 when there is no pipe (poll unavailable).
        private static int pipeRead = -1, pipeWrite = -1;
        private static int pipeSignaled;
        private static bool pollUnavailable;

        [StructLayout(LayoutKind.Sequential)]
        private struct PollFd
        {
            public int Fd;
            public short Events;
            public short Revents;
        }

        private const short POLLIN = 1;

        [DllImport("libc", EntryPoint = "poll")] private static extern unsafe int sys_poll(PollFd* fds, UIntPtr nfds, int timeoutMs);
        [DllImport("libc", EntryPoint = "pipe")] private static extern unsafe int sys_pipe(int* fds);
        [DllImport("libc", EntryPoint = "read")] private static extern unsafe IntPtr sys_read(int fd, byte* buf, UIntPtr n);
        [DllImport("libc", EntryPoint = "write")] private static extern unsafe IntPtr sys_write(int fd, byte* buf, UIntPtr n);

        internal static unsafe void Wake()
        {
            if (!running || pipeWrite < 0) return;
            if (Interlocked.Exchange(ref pipeSignaled, 1) == 1) return;
            byte b = 1;
            sys_write(pipeWrite, &b, (UIntPtr)1);
        }

        private static unsafe void Loop()
        {
            var fds = new PollFd[1];
            int fdsVersion = -1;
            if (pipeRead < 0 && !pollUnavailable && Environment.OSVersion.Platform == PlatformID.Unix)
            {
                try
                {
                    int* p = stackalloc int[2];
                    if (sys_pipe(p) == 0)
                    {
                        pipeRead = p[0];
                        pipeWrite = p[1];
                    }
                }
                catch (Exception)
                {
                    // DllNotFoundException / EntryPointNotFoundException: no libc poll here.
                    pollUnavailable = true;
                }
            }
            while (running)
            {
                bool more;
                try
                {
                    more = DispatchAll();
                }
                catch (Exception e)
                {
                    WebSocket.ReportUnhandled(e);
                    more = false;
                }
                if (more || !running) continue;
                if (pipeRead < 0)
                {
                    Thread.Sleep(1);
                    continue;
                }
                // Rebuild the fd list when objects come or go (and at most every wait otherwise,
                // since a WebSocket gets a new native handle when it connects again).
                var items = snapshot;
                if (fdsVersion != version || fds.Length != items.Length + 1)
                {
                    fds = new PollFd[items.Length + 1];
                    fdsVersion = version;
                }
                fds[0] = new PollFd { Fd = pipeRead, Events = POLLIN };
                int n = 1;
                for (int i = 0; i < items.Length && n < fds.Length; i++)
                {
                    int fd = items[i].WakeFd();
                    if (fd >= 0) fds[n++] = new PollFd { Fd = fd, Events = POLLIN };
                }
                fixed (PollFd* f = fds)
                {
                    // The timeout only bounds how long a just-created handle can wait to be watched.
                    sys_poll(f, (UIntPtr)n, 50);
                    if ((f[0].Revents & POLLIN) != 0)
                    {
                        // Read first, then clear: a Wake in between is covered by the dispatch that follows.
                        byte* buf = stackalloc byte[64];
                        sys_read(pipeRead, buf, (UIntPtr)64);
                        Interlocked.Exchange(ref pipeSignaled, 0);
                    }
                }
            }
        }
    }
}
