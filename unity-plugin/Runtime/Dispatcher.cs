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
        /// <summary>The native client or hub handle, or 0 when there is none.</summary>
        ulong NativeHandle();
        /// <summary>Drops the connection at once (application exit).</summary>
        void Abort();
    }

    /// <summary>
    /// Delivers the events of every live <see cref="WebSocket"/> and <see cref="Hub"/>.
    /// <para>Events are raised on the thread that calls <see cref="DispatchAll"/> (or an object's own
    /// <c>DispatchMessageQueue()</c>), never on a library thread. In Unity the
    /// <c>OmnisockDispatcher</c> component does that in <c>Update()</c>, so handlers run on the main
    /// thread. Elsewhere (a console program, a server, a tool) events fire with no extra call, as in
    /// websocket-sharp: the first WebSocket or Hub starts the background thread
    /// (<see cref="StartBackgroundThread"/>) unless <see cref="AutoStart"/> was turned off by a host
    /// that calls <see cref="DispatchAll"/> from its own loop.</para>
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
            if (autoStart) StartBackgroundThread();
            Wake();
        }

#if UNITY_5_3_OR_NEWER
        private static volatile bool autoStart = false;
#else
        private static volatile bool autoStart = true;
#endif

        /// <summary>
        /// Whether the first WebSocket or Hub starts the background dispatcher thread. True outside
        /// Unity, so events fire with no extra call; false in Unity, where the OmnisockDispatcher
        /// raises them on the main thread. Set it to false before creating sockets when your own
        /// loop calls <see cref="DispatchAll"/> or <c>DispatchMessageQueue()</c>.
        /// </summary>
        public static bool AutoStart
        {
            get { return autoStart; }
            set { autoStart = value; }
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
        /// The thread sleeps in the library's omnisock_wait_any on every native handle (all platforms)
        /// and is woken by the library for native events and by omnisock_wake_any for events made in
        /// C# (such as a failed Send) or a new handle: an idle dispatcher does not wake up.
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
            WakeThread();
            if (t != null && t != Thread.CurrentThread) t.Join(10000);
        }

        /// <summary>Drops every connection and stops every hub at once (application exit).</summary>
        public static void AbortAll()
        {
            IDispatchable[] items;
            lock (gate) items = live.ToArray();
            foreach (var d in items) d.Abort();
        }

        /// <summary>
        /// Longest single wait of the background thread. Every event, whether made by the library or
        /// in C#, wakes it at once; this only bounds each native call.
        /// </summary>
        internal const uint IdleWaitMs = 10000;

        private static int managedSignaled;
        private static readonly object idleGate = new object();

        /// <summary>
        /// Asks the background thread to dispatch now (for events made in C#, new handles). Only the
        /// first call after the thread started a round wakes it: many SendAsync completions cost one
        /// wake per round, not one each.
        /// </summary>
        internal static void Wake()
        {
            if (Interlocked.Exchange(ref managedSignaled, 1) == 0 && running) WakeThread();
        }

        /// <summary>Ends the background thread's current wait: omnisock_wait_any (native handles) or idleGate (none).</summary>
        private static void WakeThread()
        {
            Native.omnisock_wake_any();
            lock (idleGate) Monitor.PulseAll(idleGate);
        }

        private static unsafe void Loop()
        {
            var handles = new ulong[0];
            while (running)
            {
                bool more;
                Interlocked.Exchange(ref managedSignaled, 0);
                try
                {
                    more = DispatchAll();
                }
                catch (Exception e)
                {
                    WebSocket.ReportUnhandled(e);
                    more = false;
                }
                if (more || !running || Volatile.Read(ref managedSignaled) == 1) continue;
                var items = snapshot;
                if (handles.Length < items.Length) handles = new ulong[items.Length];
                int n = 0;
                for (int i = 0; i < items.Length; i++)
                {
                    ulong h = items[i].NativeHandle();
                    if (h != 0) handles[n++] = h;
                }
                if (n == 0)
                {
                    lock (idleGate)
                    {
                        if (running && Volatile.Read(ref managedSignaled) == 0) Monitor.Wait(idleGate, (int)IdleWaitMs);
                    }
                    continue;
                }
                UIntPtr index;
                fixed (ulong* p = handles)
                {
                    // OMNISOCK_ERR_TIMEOUT (nothing came, or Wake) and stale handles (an object just
                    // closed) all simply lead to the next round.
                    Native.omnisock_wait_any(p, (UIntPtr)n, IdleWaitMs, out index);
                }
            }
        }
    }
}
