using System;
using System.Collections.Generic;
using System.Threading;

namespace Omnisock
{
    /// <summary>Something with an event queue: a <see cref="WebSocket"/> or a <see cref="Hub"/>.</summary>
    internal interface IDispatchable
    {
        /// <summary>Raises queued events on the calling thread; true if events may remain.</summary>
        bool DispatchQueued();
        /// <summary>Installs the native wake callback (background dispatching).</summary>
        void EnableWake();
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
        private static readonly AutoResetEvent wake = new AutoResetEvent(false);
        // Kept in a static field: the native side holds the function pointer for as long as it likes.
        private static readonly Native.WakeCallback wakeCallback = OnWake;

        internal static void Register(IDispatchable d)
        {
            lock (gate)
            {
                if (live.Contains(d)) return;
                live.Add(d);
                snapshot = live.ToArray();
            }
#if UNITY_5_3_OR_NEWER
            OmnisockDispatcher.EnsureCreated();
#endif
            if (running) d.EnableWake();
            wake.Set();
        }

        internal static void Unregister(IDispatchable d)
        {
            lock (gate)
            {
                if (live.Remove(d)) snapshot = live.ToArray();
            }
        }

        internal static void Wake()
        {
            wake.Set();
        }

        /// <summary>Number of WebSockets and Hubs with events still to deliver or connections still open.</summary>
        public static int LiveCount
        {
            get { lock (gate) return live.Count; }
        }

        /// <summary>
        /// Raises the queued events of every live WebSocket and Hub on the calling thread. Returns true
        /// when more events may be waiting (a batch limit was reached).
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

        /// <summary>Whether the background dispatcher thread runs.</summary>
        public static bool BackgroundThreadRunning
        {
            get { return running; }
        }

        /// <summary>
        /// Starts one background thread that raises the events of every WebSocket and Hub as they
        /// arrive (for hosts without a main loop: servers, tools, tests). Do not use it in Unity when
        /// handlers touch Unity objects: there <c>OmnisockDispatcher</c> delivers on the main thread.
        /// </summary>
        public static void StartBackgroundThread()
        {
            lock (gate)
            {
                if (running) return;
                running = true;
                thread = new Thread(Loop) { IsBackground = true, Name = "omnisock-dispatcher" };
                foreach (var d in live) d.EnableWake();
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
            wake.Set();
            if (t != null && t != Thread.CurrentThread) t.Join(10000);
        }

        /// <summary>The background thread's managed id, or -1 when it is not running.</summary>
        public static int BackgroundThreadId
        {
            get { var t = thread; return t == null ? -1 : t.ManagedThreadId; }
        }

        private static void Loop()
        {
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
                // The wake callback signals new events; the timeout only bounds a missed wake-up.
                if (!more) wake.WaitOne(100);
            }
        }

        [AOT.MonoPInvokeCallback(typeof(Native.WakeCallback))]
        private static void OnWake(IntPtr userData, ulong handle)
        {
            wake.Set();
        }

        internal static Native.WakeCallback WakeCallback
        {
            get { return wakeCallback; }
        }

        /// <summary>Drops every connection and stops every hub at once (application exit).</summary>
        public static void AbortAll()
        {
            IDispatchable[] items;
            lock (gate) items = live.ToArray();
            foreach (var d in items) d.Abort();
        }
    }
}
