using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace Omnisock
{
    /// <summary>What a hub route does with incoming messages.</summary>
    public enum RouteKind
    {
        /// <summary>Send each message back to its sender.</summary>
        Echo = 0,
        /// <summary>Send each message to everyone on the route, the sender included.</summary>
        Broadcast = 1,
        /// <summary>Send each message to everyone on the route but the sender.</summary>
        Relay = 2,
        /// <summary>Raise OnOpen/OnMessage/OnClose on the Hub; your code answers with Send/Publish/Join/Leave/CloseConnection.</summary>
        Host = 3,
    }

    /// <summary>What happens when a connection's outbound queue is full.</summary>
    public enum OverflowPolicy
    {
        /// <summary>Close the slow connection with 1008.</summary>
        Close = 0,
        /// <summary>Drop the oldest queued messages.</summary>
        DropOldest = 1,
        /// <summary>Drop the new message.</summary>
        DropNewest = 2,
    }

    /// <summary>Hub configuration: listen address, routes and limits. Used by <see cref="Hub"/>'s constructor.</summary>
    public sealed class HubOptions
    {
        private struct Route
        {
            public string Path;
            public RouteKind Kind;
            public long QueueLimit;
            public OverflowPolicy Overflow;
        }

        private readonly List<Route> routes = new List<Route>();
        private readonly List<string> origins = new List<string>();
        private readonly List<string> hostAccepts = new List<string>();
        private readonly string toml;
        private readonly bool useDefault;

        /// <summary>An empty configuration listening on <paramref name="listen"/> ("ip:port"; port 0 picks a free one).</summary>
        public HubOptions(string listen)
        {
            if (listen == null) throw new ArgumentNullException("listen");
            Listen = listen;
        }

        private HubOptions(string toml, bool useDefault)
        {
            this.toml = toml;
            this.useDefault = useDefault;
        }

        /// <summary>The configuration of `omnisock hub --config FILE` (TOML text).</summary>
        public static HubOptions FromToml(string toml)
        {
            if (toml == null) throw new ArgumentNullException("toml");
            return new HubOptions(toml, false);
        }

        /// <summary>The built-in default: 127.0.0.1:9001 with /echo, /chat (broadcast), /ws/camera (relay) and the demo page.</summary>
        public static HubOptions Default()
        {
            return new HubOptions(null, true);
        }

        /// <summary>Listen address ("ip:port"); overrides the TOML or default one when set.</summary>
        public string Listen { get; set; }
        /// <summary>Most connections at once (0 = the library default); more get HTTP 503.</summary>
        public long MaxConnections { get; set; }
        /// <summary>Largest accepted incoming message (0 = the library default); bigger closes with 1009.</summary>
        public long MaxMessageSize { get; set; }
        /// <summary>Required token (?token=... or Authorization: Bearer ...); null = none.</summary>
        public string Token { get; set; }
        /// <summary>Serve files from this folder for plain GET requests; null = none.</summary>
        public string StaticDirectory { get; set; }
        /// <summary>PEM certificate chain for wss:// (with <see cref="TlsKeyFile"/>).</summary>
        public string TlsCertificateFile { get; set; }
        /// <summary>PEM private key for wss://.</summary>
        public string TlsKeyFile { get; set; }

        /// <summary>Adds a route. <paramref name="queueLimit"/> is the per-connection outbound queue in bytes (0 = 1 MiB).</summary>
        public HubOptions AddRoute(string path, RouteKind kind, long queueLimit = 0, OverflowPolicy overflow = OverflowPolicy.Close)
        {
            if (path == null) throw new ArgumentNullException("path");
            if (queueLimit < 0) throw new ArgumentOutOfRangeException("queueLimit");
            routes.Add(new Route { Path = path, Kind = kind, QueueLimit = queueLimit, Overflow = overflow });
            return this;
        }

        /// <summary>
        /// Makes the host decide each handshake on the (host) route at <paramref name="path"/>: the hub
        /// raises <see cref="Hub.OnHandshake"/> and the handshake waits (at most 10 s, then HTTP 503)
        /// for <see cref="Hub.Accept"/> or <see cref="Hub.Reject"/>.
        /// </summary>
        public HubOptions SetHostAccepts(string path)
        {
            if (path == null) throw new ArgumentNullException("path");
            hostAccepts.Add(path);
            return this;
        }

        /// <summary>Allows an Origin (once any is added, other origins get HTTP 403).</summary>
        public HubOptions AddOrigin(string origin)
        {
            if (origin == null) throw new ArgumentNullException("origin");
            origins.Add(origin);
            return this;
        }

        internal unsafe ulong Build()
        {
            ulong cfg;
            if (toml != null)
            {
                var b = Encoding.UTF8.GetBytes(toml);
                fixed (byte* p = b) Native.Check(Native.omnisock_hub_config_from_toml(p, (UIntPtr)b.Length, out cfg));
            }
            else if (useDefault)
            {
                Native.Check(Native.omnisock_hub_config_default(out cfg));
            }
            else
            {
                fixed (byte* p = Native.Utf8Z(Listen)) Native.Check(Native.omnisock_hub_config_new(p, out cfg));
            }
            try
            {
                if (Listen != null)
                    fixed (byte* p = Native.Utf8Z(Listen)) Native.Check(Native.omnisock_hub_config_set_listen(cfg, p));
                foreach (var r in routes)
                    fixed (byte* p = Native.Utf8Z(r.Path))
                        Native.Check(Native.omnisock_hub_config_add_route(cfg, p, (int)r.Kind, (UIntPtr)(ulong)r.QueueLimit, (int)r.Overflow));
                foreach (var path in hostAccepts)
                    fixed (byte* p = Native.Utf8Z(path)) Native.Check(Native.omnisock_hub_config_set_route_host_accepts(cfg, p, 1));
                foreach (var o in origins)
                    fixed (byte* p = Native.Utf8Z(o)) Native.Check(Native.omnisock_hub_config_add_origin(cfg, p));
                if (MaxConnections > 0) Native.Check(Native.omnisock_hub_config_set_max_connections(cfg, (UIntPtr)(ulong)MaxConnections));
                if (MaxMessageSize > 0) Native.Check(Native.omnisock_hub_config_set_max_message_size(cfg, (UIntPtr)(ulong)MaxMessageSize));
                if (Token != null)
                    fixed (byte* p = Native.Utf8Z(Token)) Native.Check(Native.omnisock_hub_config_set_token(cfg, p));
                if (StaticDirectory != null)
                    fixed (byte* p = Native.Utf8Z(StaticDirectory)) Native.Check(Native.omnisock_hub_config_set_static_dir(cfg, p));
                if (TlsCertificateFile != null || TlsKeyFile != null)
                {
                    fixed (byte* c = Native.Utf8Z(TlsCertificateFile))
                    fixed (byte* k = Native.Utf8Z(TlsKeyFile))
                        Native.Check(Native.omnisock_hub_config_set_tls_files(cfg, c, k));
                }
                return cfg;
            }
            catch
            {
                Native.omnisock_hub_config_free(cfg);
                throw;
            }
        }
    }

    /// <summary>A connection opened on a host route.</summary>
    public class HubOpenEventArgs : EventArgs
    {
        internal HubOpenEventArgs(ulong conn, string path, string query, string remote, string headers, string protocol)
        {
            ConnectionId = conn;
            Path = path;
            Query = query;
            RemoteAddress = remote;
            Headers = headers;
            Protocol = protocol;
        }

        /// <summary>The connection id (never 0, never reused).</summary>
        public ulong ConnectionId { get; private set; }
        /// <summary>The request path.</summary>
        public string Path { get; private set; }
        /// <summary>The query string without '?'.</summary>
        public string Query { get; private set; }
        /// <summary>The peer address "ip:port".</summary>
        public string RemoteAddress { get; private set; }
        /// <summary>The request headers as "Name: value\r\n" lines.</summary>
        public string Headers { get; private set; }
        /// <summary>The negotiated subprotocol (may be empty).</summary>
        public string Protocol { get; private set; }
    }

    /// <summary>A handshake waiting for <see cref="Hub.Accept"/> or <see cref="Hub.Reject"/> (routes set with <see cref="HubOptions.SetHostAccepts"/>).</summary>
    public class HubHandshakeEventArgs : HubOpenEventArgs
    {
        internal HubHandshakeEventArgs(ulong conn, string path, string query, string remote, string headers, string protocol)
            : base(conn, path, query, remote, headers, protocol) { }
    }

    /// <summary>A message from a connection on a host route.</summary>
    public class HubMessageEventArgs : MessageEventArgs
    {
        internal HubMessageEventArgs(ulong conn, string text) : base(text) { ConnectionId = conn; }
        internal HubMessageEventArgs(ulong conn, byte[] data) : base(data) { ConnectionId = conn; }

        public ulong ConnectionId { get; private set; }
    }

    /// <summary>A connection on a host route closed.</summary>
    public class HubCloseEventArgs : CloseEventArgs
    {
        internal HubCloseEventArgs(ulong conn, ushort code, string reason, bool clean) : base(code, reason, clean) { ConnectionId = conn; }

        public ulong ConnectionId { get; private set; }
    }

    /// <summary>An error about a connection (ConnectionId 0: the hub itself).</summary>
    public class HubErrorEventArgs : ErrorEventArgs
    {
        internal HubErrorEventArgs(ulong conn, string message, Exception e) : base(message, e) { ConnectionId = conn; }

        public ulong ConnectionId { get; private set; }
    }

    /// <summary>
    /// A WebSocket hub (server) running in this process on the omnisock core: routes by path (echo,
    /// broadcast, relay, host), groups, per-connection bounded queues. For LAN/local use from a Unity
    /// app or a tool. Events of host routes are raised on the thread that calls
    /// <see cref="DispatchMessageQueue"/> (the OmnisockDispatcher in Unity). Methods throw
    /// <see cref="OmnisockException"/> on failure (for example <see cref="OmnisockResult.NotFound"/>
    /// for an unknown connection).
    /// </summary>
    public sealed class Hub : IDisposable, IDispatchable
    {
        private const int BatchSize = 256;
        private long handle;
        private readonly object dispatchLock = new object();
        private readonly ushort port;
        [ThreadStatic] private static Native.Event[] pollBuffer;

        /// <summary>Binds and starts a hub; throws when the address is taken or the configuration is invalid.</summary>
        public Hub(HubOptions options)
        {
            if (options == null) throw new ArgumentNullException("options");
            ulong cfg = options.Build();
            ulong h;
            try
            {
                Native.Check(Native.omnisock_hub_start(cfg, out h));
            }
            finally
            {
                Native.omnisock_hub_config_free(cfg);
            }
            handle = (long)h;
            Native.Check(Native.omnisock_hub_local_port(h, out port));
            MaxEventsPerDispatch = 4096;
            Dispatcher.Register(this);
        }

        ~Hub()
        {
            ulong h = (ulong)Interlocked.Exchange(ref handle, 0);
            if (h != 0) Native.omnisock_hub_free(h);
        }

        /// <summary>A handshake on a route set with <see cref="HubOptions.SetHostAccepts"/> waits for Accept or Reject.</summary>
        public event EventHandler<HubHandshakeEventArgs> OnHandshake;
        /// <summary>A connection opened on a host route.</summary>
        public event EventHandler<HubOpenEventArgs> OnOpen;
        public event EventHandler<HubMessageEventArgs> OnMessage;
        public event EventHandler<HubCloseEventArgs> OnClose;
        public event EventHandler<HubErrorEventArgs> OnError;

        /// <summary>The port the hub listens on.</summary>
        public int Port { get { return port; } }
        /// <summary>Most events one DispatchMessageQueue call raises (default 4096).</summary>
        public int MaxEventsPerDispatch { get; set; }

        private ulong H
        {
            get
            {
                ulong h = (ulong)Interlocked.Read(ref handle);
                if (h == 0) throw new ObjectDisposedException("Hub");
                return h;
            }
        }

        /// <summary>Queues a text message to connection <paramref name="conn"/>.</summary>
        public unsafe void Send(ulong conn, string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            var b = Encoding.UTF8.GetBytes(text);
            fixed (byte* p = b) Native.Check(Native.omnisock_hub_send_text(H, conn, p, (UIntPtr)b.Length));
        }

        /// <summary>Queues a binary message to connection <paramref name="conn"/>.</summary>
        public unsafe void Send(ulong conn, byte[] data)
        {
            if (data == null) throw new ArgumentNullException("data");
            fixed (byte* p = data) Native.Check(Native.omnisock_hub_send_binary(H, conn, p, (UIntPtr)data.Length));
        }

        /// <summary>Queues one text message (encoded once, shared) to each of <paramref name="conns"/>; returns how many took it.</summary>
        public int SendMany(ulong[] conns, string text)
        {
            if (text == null) throw new ArgumentNullException("text");
            return SendMany(conns, Encoding.UTF8.GetBytes(text), true);
        }

        /// <summary>Queues one binary message to each of <paramref name="conns"/>; returns how many took it.</summary>
        public int SendMany(ulong[] conns, byte[] data)
        {
            if (data == null) throw new ArgumentNullException("data");
            return SendMany(conns, data, false);
        }

        private unsafe int SendMany(ulong[] conns, byte[] data, bool text)
        {
            if (conns == null) throw new ArgumentNullException("conns");
            UIntPtr n;
            fixed (ulong* c = conns)
            fixed (byte* p = data)
            {
                Native.Check(Native.omnisock_hub_send_many(H, c, (UIntPtr)conns.Length, p, (UIntPtr)data.Length, (byte)(text ? 1 : 0), out n));
            }
            return (int)(ulong)n;
        }

        /// <summary>Closes connection <paramref name="conn"/> after its queued messages.</summary>
        public unsafe void CloseConnection(ulong conn, ushort code, string reason = null)
        {
            fixed (byte* r = Native.Utf8Z(reason)) Native.Check(Native.omnisock_hub_close_connection(H, conn, code, r));
        }

        /// <summary>Accepts the handshake <paramref name="conn"/> (from OnHandshake), with a subprotocol the client offered or null for none.</summary>
        public unsafe void Accept(ulong conn, string protocol = null)
        {
            fixed (byte* p = Native.Utf8Z(protocol)) Native.Check(Native.omnisock_hub_accept(H, conn, p));
        }

        /// <summary>
        /// Accepts the handshake <paramref name="conn"/> like <see cref="Accept(ulong, string)"/> and adds
        /// <paramref name="headers"/> (name, value pairs; a name may repeat, e.g. Set-Cookie) to the 101
        /// response. The handshake's own headers (Upgrade, Connection, Sec-WebSocket-Accept,
        /// Sec-WebSocket-Protocol) are not replaced; a name that is no HTTP token or a value with CR/LF
        /// throws and leaves the handshake waiting.
        /// </summary>
        public unsafe void Accept(ulong conn, string protocol, IEnumerable<KeyValuePair<string, string>> headers)
        {
            WithHeaders(headers, (hs, count) =>
            {
                fixed (byte* p = Native.Utf8Z(protocol))
                    Native.Check(Native.omnisock_hub_accept_with_headers(H, conn, p, hs, count));
            });
        }

        /// <summary>
        /// Answers the request <paramref name="conn"/> (from OnHandshake) with any HTTP response
        /// instead of upgrading: <paramref name="status"/> 200-599, <paramref name="headers"/> (may be
        /// null) and <paramref name="body"/> (may be null; at most 16 MiB). On a route set with
        /// <see cref="HubOptions.SetHostAccepts"/>, plain GET/HEAD requests (no Upgrade header) arrive
        /// as handshakes too, so a host serves pages this way. Content-Length is always the body's
        /// length; a HEAD request gets the headers only. Bad input throws and leaves the request waiting.
        /// </summary>
        public unsafe void Respond(ulong conn, int status, IEnumerable<KeyValuePair<string, string>> headers, byte[] body)
        {
            if (status < 200 || status > 599) throw new ArgumentOutOfRangeException("status", status, "a response has an HTTP status 200-599");
            WithHeaders(headers ?? Enumerable.Empty<KeyValuePair<string, string>>(), (hs, count) =>
            {
                fixed (byte* b = body)
                    Native.Check(Native.omnisock_hub_respond(H, conn, (ushort)status, hs, count, b, (UIntPtr)(body == null ? 0 : body.Length)));
            });
        }

        private unsafe delegate void HeaderCall(Native.Header* headers, UIntPtr count);

        /// <summary>Pins <paramref name="headers"/> as an omnisock_header array for the length of <paramref name="call"/>.</summary>
        private static unsafe void WithHeaders(IEnumerable<KeyValuePair<string, string>> headers, HeaderCall call)
        {
            if (headers == null) throw new ArgumentNullException("headers");
            var list = headers.ToList();
            var strings = new List<byte[]>(list.Count * 2);
            foreach (var h in list)
            {
                if (h.Key == null) throw new ArgumentException("a header name is null", "headers");
                strings.Add(Native.Utf8Z(h.Key));
                strings.Add(Native.Utf8Z(h.Value ?? string.Empty));
            }
            var pins = new GCHandle[strings.Count];
            try
            {
                var arr = new Native.Header[list.Count];
                for (int i = 0; i < strings.Count; i++) pins[i] = GCHandle.Alloc(strings[i], GCHandleType.Pinned);
                for (int i = 0; i < list.Count; i++)
                {
                    arr[i].Name = (byte*)pins[2 * i].AddrOfPinnedObject();
                    arr[i].Value = (byte*)pins[2 * i + 1].AddrOfPinnedObject();
                }
                fixed (Native.Header* hs = arr) call(hs, (UIntPtr)arr.Length);
            }
            finally
            {
                foreach (var g in pins) if (g.IsAllocated) g.Free();
            }
        }

        /// <summary>Refuses the handshake <paramref name="conn"/> (from OnHandshake) with an HTTP status (400-599) and a plain-text body.</summary>
        public unsafe void Reject(ulong conn, int status, string body = null)
        {
            if (status < 400 || status > 599) throw new ArgumentOutOfRangeException("status", status, "a refusal has an HTTP status 400-599");
            fixed (byte* b = Native.Utf8Z(body)) Native.Check(Native.omnisock_hub_reject(H, conn, (ushort)status, b));
        }

        /// <summary>Adds connection <paramref name="conn"/> to <paramref name="group"/> (idempotent).</summary>
        public unsafe void Join(ulong conn, string group)
        {
            fixed (byte* g = Z(group, "group")) Native.Check(Native.omnisock_hub_join(H, conn, g));
        }

        /// <summary>Removes connection <paramref name="conn"/> from <paramref name="group"/>.</summary>
        public unsafe void Leave(ulong conn, string group)
        {
            fixed (byte* g = Z(group, "group")) Native.Check(Native.omnisock_hub_leave(H, conn, g));
        }

        /// <summary>Sends text to every member of <paramref name="group"/> but <paramref name="exceptConn"/> (0 = nobody); returns the number of recipients.</summary>
        public unsafe int Publish(string group, string text, ulong exceptConn = 0)
        {
            if (text == null) throw new ArgumentNullException("text");
            var b = Encoding.UTF8.GetBytes(text);
            UIntPtr n;
            fixed (byte* g = Z(group, "group"))
            fixed (byte* p = b)
                Native.Check(Native.omnisock_hub_publish_text(H, g, exceptConn, p, (UIntPtr)b.Length, out n));
            return (int)(ulong)n;
        }

        /// <summary>Sends binary data to every member of <paramref name="group"/> but <paramref name="exceptConn"/>.</summary>
        public unsafe int Publish(string group, byte[] data, ulong exceptConn = 0)
        {
            if (data == null) throw new ArgumentNullException("data");
            UIntPtr n;
            fixed (byte* g = Z(group, "group"))
            fixed (byte* p = data)
                Native.Check(Native.omnisock_hub_publish_binary(H, g, exceptConn, p, (UIntPtr)data.Length, out n));
            return (int)(ulong)n;
        }

        /// <summary>Sends text to everyone on the route at <paramref name="path"/> but <paramref name="exceptConn"/>.</summary>
        public unsafe int Broadcast(string path, string text, ulong exceptConn = 0)
        {
            if (text == null) throw new ArgumentNullException("text");
            var b = Encoding.UTF8.GetBytes(text);
            UIntPtr n;
            fixed (byte* g = Z(path, "path"))
            fixed (byte* p = b)
                Native.Check(Native.omnisock_hub_broadcast_text(H, g, exceptConn, p, (UIntPtr)b.Length, out n));
            return (int)(ulong)n;
        }

        /// <summary>Sends binary data to everyone on the route at <paramref name="path"/> but <paramref name="exceptConn"/>.</summary>
        public unsafe int Broadcast(string path, byte[] data, ulong exceptConn = 0)
        {
            if (data == null) throw new ArgumentNullException("data");
            UIntPtr n;
            fixed (byte* g = Z(path, "path"))
            fixed (byte* p = data)
                Native.Check(Native.omnisock_hub_broadcast_binary(H, g, exceptConn, p, (UIntPtr)data.Length, out n));
            return (int)(ulong)n;
        }

        /// <summary>Members of <paramref name="group"/> on this hub.</summary>
        public unsafe int GroupSize(string group)
        {
            UIntPtr n;
            fixed (byte* g = Z(group, "group")) Native.Check(Native.omnisock_hub_group_size(H, g, out n));
            return (int)(ulong)n;
        }

        /// <summary>Open WebSocket connections.</summary>
        public int ConnectionCount
        {
            get
            {
                UIntPtr n;
                Native.Check(Native.omnisock_hub_connection_count(H, out n));
                return (int)(ulong)n;
            }
        }

        /// <summary>The status JSON (as served at /_omnisock/status).</summary>
        public unsafe string StatusJson()
        {
            return ReadText(Native.omnisock_hub_status_json);
        }

        /// <summary>Bytes waiting in connection <paramref name="conn"/>'s outbound queue.</summary>
        public long QueuedBytes(ulong conn)
        {
            UIntPtr n;
            Native.Check(Native.omnisock_hub_queued_bytes(H, conn, out n));
            return (long)(ulong)n;
        }

        /// <summary>Pings connection <paramref name="conn"/> (payload at most 125 bytes; null for none).</summary>
        public unsafe void Ping(ulong conn, byte[] payload = null)
        {
            var data = payload ?? Native.EmptyBytes;
            fixed (byte* p = data) Native.Check(Native.omnisock_hub_ping(H, conn, p, (UIntPtr)data.Length));
        }

        /// <summary>The hub's metrics in the Prometheus text format (what GET /metrics answers).</summary>
        public unsafe string MetricsText()
        {
            return ReadText(Native.omnisock_hub_metrics_text);
        }

        /// <summary>
        /// Stops reading from connection <paramref name="conn"/> (TCP back-pressure reaches the peer)
        /// until <see cref="ResumeReading"/>.
        /// </summary>
        public void PauseReading(ulong conn)
        {
            Native.Check(Native.omnisock_hub_set_reading_paused(H, conn, 1));
        }

        /// <summary>Reads from connection <paramref name="conn"/> again after <see cref="PauseReading"/>.</summary>
        public void ResumeReading(ulong conn)
        {
            Native.Check(Native.omnisock_hub_set_reading_paused(H, conn, 0));
        }

        /// <summary>
        /// Caps a subscriber of a live route (<c>[route.live]</c> in the TOML) at
        /// <paramref name="messagesPerSecond"/> per key; the newest value of each key is sent at
        /// that rate. 0 lifts the cap. A negative rate, or a connection on a route without
        /// <c>live</c>, throws <see cref="ArgumentException"/>.
        /// </summary>
        public void SetMaxRate(ulong conn, double messagesPerSecond)
        {
            Native.Check(Native.omnisock_hub_set_max_rate(H, conn, messagesPerSecond));
        }

        private unsafe delegate int TextFiller(ulong hub, byte* buf, UIntPtr bufLen, out UIntPtr outLen);

        // Asks for the size first, then fills a buffer (the text may grow in between: retry).
        private unsafe string ReadText(TextFiller fill)
        {
            ulong h = H;
            UIntPtr len;
            int rc = fill(h, null, UIntPtr.Zero, out len);
            for (int attempt = 0; attempt < 4; attempt++)
            {
                if (rc != (int)OmnisockResult.BufferTooSmall && rc != 0) Native.Check(rc);
                var buf = new byte[(int)(ulong)len + 1 + 256];
                fixed (byte* p = buf) rc = fill(h, p, (UIntPtr)buf.Length, out len);
                if (rc == 0) return Encoding.UTF8.GetString(buf, 0, (int)(ulong)len);
            }
            Native.Check(rc);
            return null;
        }

        private static byte[] Z(string s, string name)
        {
            if (s == null) throw new ArgumentNullException(name);
            return Native.Utf8Z(s);
        }

        /// <summary>Raises queued host-route events on the calling thread.</summary>
        public void DispatchMessageQueue()
        {
            ((IDispatchable)this).DispatchQueued();
        }

        unsafe bool IDispatchable.DispatchQueued()
        {
            lock (dispatchLock)
            {
                ulong h = (ulong)Interlocked.Read(ref handle);
                if (h == 0) return false;
                int max = Math.Max(1, MaxEventsPerDispatch);
                int total = 0;
                var buf = pollBuffer ?? (pollBuffer = new Native.Event[BatchSize]);
                while (total < max)
                {
                    int n;
                    int want = Math.Min(BatchSize, max - total);
                    EventArgs[] batch;
                    // The borrowed pointers are valid only until the next poll (a handler may call
                    // DispatchMessageQueue again): copy the whole batch before raising anything.
                    fixed (Native.Event* evs = buf)
                    {
                        UIntPtr got;
                        if (Native.omnisock_hub_poll(h, evs, (UIntPtr)want, out got) != 0) return false;
                        n = (int)(ulong)got;
                        batch = new EventArgs[n];
                        for (int i = 0; i < n; i++) batch[i] = Copy(evs + i);
                    }
                    for (int i = 0; i < n; i++) Fire(batch[i]);
                    total += n;
                    if (n < want) return false;
                }
                return true;
            }
        }

        private static unsafe EventArgs Copy(Native.Event* e)
        {
            switch (e->Kind)
            {
                case Native.EVENT_OPEN:
                    return new HubOpenEventArgs(e->Conn, Native.String(e->Path, e->PathLen), Native.String(e->Query, e->QueryLen),
                        Native.String(e->Remote, e->RemoteLen), Native.String(e->Headers, e->HeadersLen), Native.String(e->Data, e->DataLen));
                case Native.EVENT_HANDSHAKE:
                    return new HubHandshakeEventArgs(e->Conn, Native.String(e->Path, e->PathLen), Native.String(e->Query, e->QueryLen),
                        Native.String(e->Remote, e->RemoteLen), Native.String(e->Headers, e->HeadersLen), Native.String(e->Data, e->DataLen));
                case Native.EVENT_TEXT:
                    return new HubMessageEventArgs(e->Conn, Native.String(e->Data, e->DataLen));
                case Native.EVENT_BINARY:
                    return new HubMessageEventArgs(e->Conn, Native.Bytes(e->Data, e->DataLen));
                case Native.EVENT_CLOSE:
                    return new HubCloseEventArgs(e->Conn, (ushort)e->Code, Native.String(e->Data, e->DataLen), (e->Flags & Native.EVENT_FLAG_CLEAN) != 0);
                case Native.EVENT_ERROR:
                    {
                        string msg = Native.String(e->Data, e->DataLen);
                        return new HubErrorEventArgs(e->Conn, msg, new OmnisockException((OmnisockResult)e->Code, msg));
                    }
                default:
                    return null; // kinds added to the C ABI later are ignored
            }
        }

        private void Fire(EventArgs args)
        {
            try
            {
                if (args is HubHandshakeEventArgs) { var h = OnHandshake; if (h != null) h(this, (HubHandshakeEventArgs)args); }
                else if (args is HubOpenEventArgs) { var h = OnOpen; if (h != null) h(this, (HubOpenEventArgs)args); }
                else if (args is HubMessageEventArgs) { var h = OnMessage; if (h != null) h(this, (HubMessageEventArgs)args); }
                else if (args is HubCloseEventArgs) { var h = OnClose; if (h != null) h(this, (HubCloseEventArgs)args); }
                else if (args is HubErrorEventArgs) { var h = OnError; if (h != null) h(this, (HubErrorEventArgs)args); }
            }
            catch (Exception ex)
            {
                WebSocket.ReportUnhandled(ex);
            }
        }

        ulong IDispatchable.NativeHandle()
        {
            return (ulong)Interlocked.Read(ref handle);
        }

        void IDispatchable.Abort()
        {
            Dispose();
        }

        /// <summary>Graceful shutdown: stops accepting, closes everyone with 1001 (waits at most 5 s), then frees the hub.</summary>
        public void Dispose()
        {
            ulong h = (ulong)Interlocked.Exchange(ref handle, 0);
            if (h == 0) return;
            Dispatcher.Unregister(this);
            lock (dispatchLock) Native.omnisock_hub_free(h);
            GC.SuppressFinalize(this);
        }
    }
}
