using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.Linq;
using IPEndPoint = System.Net.IPEndPoint;
using Omnisock.Net;
using Omnisock.Net.WebSockets;

namespace Omnisock.Server
{
    /// <summary>One server-side connection, as the session manager lists it.</summary>
    public interface IWebSocketSession
    {
        /// <summary>The session id (unique across hub nodes).</summary>
        string ID { get; }
        /// <summary>When the session opened.</summary>
        DateTime StartTime { get; }
    }

    /// <summary>
    /// The server side of one connection (websocket-sharp's WebSocketBehavior): subclass it, override
    /// OnOpen / OnMessage / OnClose / OnError, and answer with Send, Sessions.Broadcast or Close.
    /// A new instance is made for each connection; its handlers run on the dispatcher thread, one
    /// event at a time.
    /// </summary>
    public abstract class WebSocketBehavior : IWebSocketSession
    {
        private static readonly NameValueCollection Empty = new NameValueCollection();
        private Hub hub;
        private ulong conn;
        private volatile int state = (int)WebSocketState.New;
        private WebSocketContext context;
        private WebSocketSessionManager sessions;
        private string protocol = string.Empty;

        /// <summary>Made by the server for each connection (through the service's initializer).</summary>
        protected WebSocketBehavior()
        {
            StartTime = DateTime.MaxValue;
        }

        /// <summary>The session id (null before the connection opens).</summary>
        public string ID { get; private set; }
        /// <summary>When the connection opened (DateTime.MaxValue before).</summary>
        public DateTime StartTime { get; private set; }
        /// <summary>
        /// The subprotocol: set it (in the service's initializer) to the one this service speaks, and
        /// it is chosen when the client offers it; once open, the one in use ("" when none).
        /// </summary>
        public string Protocol
        {
            get { return protocol; }
            set
            {
                if (state != (int)WebSocketState.New) throw new InvalidOperationException("the subprotocol is chosen before the connection opens");
                if (string.IsNullOrEmpty(value))
                {
                    protocol = string.Empty;
                    return;
                }
                foreach (char c in value)
                {
                    if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".IndexOf(c) >= 0)
                        throw new ArgumentException("not a subprotocol token: " + value, "value");
                }
                protocol = value;
            }
        }

        /// <summary>Checks the Host header of each handshake (false refuses it with HTTP 400); null = any.</summary>
        public Func<string, bool> HostValidator { get; set; }
        /// <summary>Checks the Origin header (null when absent) of each handshake (false refuses it with HTTP 400); null = any.</summary>
        public Func<string, bool> OriginValidator { get; set; }
        /// <summary>The handshake request (null before the connection opens).</summary>
        public WebSocketContext Context { get { return context; } }

        /// <summary>See <see cref="WebSocket.EmitOnPing"/>: pings are answered by the core and not reported.</summary>
        public bool EmitOnPing { get; set; }
        /// <summary>Accepted for websocket-sharp programs: the hub negotiates the extensions it supports itself.</summary>
        public bool IgnoreExtensions { get; set; }
        /// <summary>Accepted for websocket-sharp programs: the core always sets TCP_NODELAY.</summary>
        public bool NoDelay { get; set; }

        /// <summary>
        /// websocket-sharp adds response headers to the handshake through this. The hub writes the
        /// handshake response in the core, which takes no headers from the host: setting it throws
        /// <see cref="NotSupportedException"/> rather than silently sending nothing.
        /// </summary>
        public Action<NameValueCollection, NameValueCollection> UserHeadersResponder
        {
            get { return null; }
            set { throw new NotSupportedException("UserHeadersResponder: the hub's handshake response takes no headers from the host"); }
        }

        /// <summary>
        /// websocket-sharp sets response cookies through this; like <see cref="UserHeadersResponder"/>
        /// it is not supported (setting it throws). Request cookies are in <see cref="Context"/>.
        /// </summary>
        public Action<CookieCollection, CookieCollection> CookiesResponder
        {
            get { return null; }
            set { throw new NotSupportedException("CookiesResponder: the hub's handshake response takes no headers from the host"); }
        }

        /// <summary>The handshake request headers (empty before the connection opens).</summary>
        protected NameValueCollection Headers { get { return context == null ? Empty : context.Headers; } }
        /// <summary>The query parameters of the request URI (empty before the connection opens).</summary>
        protected NameValueCollection QueryString { get { return context == null ? Empty : context.QueryString; } }
        /// <summary>The connection state.</summary>
        protected WebSocketState ReadyState { get { return (WebSocketState)state; } }
        /// <summary>The sessions of this service (null before the connection opens).</summary>
        protected WebSocketSessionManager Sessions { get { return sessions; } }
        /// <summary>The client's address and port.</summary>
        protected IPEndPoint UserEndPoint { get { return context == null ? null : context.UserEndPoint; } }

        /// <summary>The connection opened.</summary>
        protected virtual void OnOpen() { }
        /// <summary>A message arrived.</summary>
        protected virtual void OnMessage(MessageEventArgs e) { }
        /// <summary>The connection closed (no event follows).</summary>
        protected virtual void OnClose(CloseEventArgs e) { }
        /// <summary>Something failed on this connection, or a handler threw.</summary>
        protected virtual void OnError(ErrorEventArgs e) { }

        /// <summary>Queues text to this connection; throws InvalidOperationException when it is not open.</summary>
        protected void Send(string data)
        {
            if (data == null) throw new ArgumentNullException("data");
            Run(h => h.Send(conn, data));
        }

        /// <summary>Queues binary data to this connection; throws InvalidOperationException when it is not open.</summary>
        protected void Send(byte[] data)
        {
            if (data == null) throw new ArgumentNullException("data");
            Run(h => h.Send(conn, data));
        }

        /// <summary>Queues text; <paramref name="completed"/> (may be null) learns whether it was queued.</summary>
        protected void SendAsync(string data, Action<bool> completed)
        {
            if (data == null) throw new ArgumentNullException("data");
            Complete(completed, Try(h => h.Send(conn, data)));
        }

        /// <summary>Queues binary data; <paramref name="completed"/> (may be null) learns whether it was queued.</summary>
        protected void SendAsync(byte[] data, Action<bool> completed)
        {
            if (data == null) throw new ArgumentNullException("data");
            Complete(completed, Try(h => h.Send(conn, data)));
        }

        /// <summary>Closes this connection with 1005-as-1000 (no status).</summary>
        protected void Close() { Close(1000, null); }
        /// <summary>Closes this connection with a code and a reason (at most 123 UTF-8 bytes).</summary>
        protected void Close(ushort code, string reason)
        {
            if (state != (int)WebSocketState.Open) return;
            state = (int)WebSocketState.Closing;
            Try(h => h.CloseConnection(conn, code, reason));
        }
        /// <summary>Closes this connection with a code and a reason.</summary>
        protected void Close(CloseStatusCode code, string reason) { Close((ushort)code, reason); }
        /// <summary>Starts closing (the hub never blocks on a close).</summary>
        protected void CloseAsync() { Close(); }
        /// <summary>Starts closing with a code and a reason.</summary>
        protected void CloseAsync(ushort code, string reason) { Close(code, reason); }
        /// <summary>Starts closing with a code and a reason.</summary>
        protected void CloseAsync(CloseStatusCode code, string reason) { Close(code, reason); }

        private void Run(Action<Hub> action)
        {
            var h = hub;
            if (h == null || state != (int)WebSocketState.Open) throw new InvalidOperationException("the connection is not open");
            try
            {
                action(h);
            }
            catch (ObjectDisposedException)
            {
                throw new InvalidOperationException("the server has stopped");
            }
            catch (OmnisockException e)
            {
                if (e.Result == OmnisockResult.NotFound || e.Result == OmnisockResult.Closed) throw new InvalidOperationException("the connection is not open", e);
                throw;
            }
        }

        private bool Try(Action<Hub> action)
        {
            try
            {
                Run(action);
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
            catch (OmnisockException e)
            {
                Raise(() => OnError(new ErrorEventArgs(e.Message, e)));
                return false;
            }
        }

        private void Complete(Action<bool> completed, bool ok)
        {
            if (completed != null) Raise(() => completed(ok));
        }

        // ---- called by the session manager on the dispatcher thread

        internal ulong Conn { get { return conn; } }

        /// <summary>The handshake's verdict: null to accept, else why it is refused (websocket-sharp's messages).</summary>
        internal string Check(WebSocketContext ctx)
        {
            context = ctx;
            var host = HostValidator;
            if (host != null && !host(ctx.Host)) return "The Host header is invalid.";
            var origin = OriginValidator;
            if (origin != null && !origin(ctx.Origin)) return "The Origin header is non-existent or invalid.";
            return null;
        }

        /// <summary>The subprotocol to accept: <see cref="Protocol"/> when the client offered it, else none.</summary>
        internal string Choose(WebSocketContext ctx)
        {
            return protocol.Length > 0 && ctx.SecWebSocketProtocols.Contains(protocol) ? protocol : null;
        }

        internal void Start(Hub hub, WebSocketSessionManager sessions, HubOpenEventArgs e)
        {
            this.hub = hub;
            this.sessions = sessions;
            conn = e.ConnectionId;
            ID = WebSocketSessionManager.IdOf(e.ConnectionId);
            protocol = e.Protocol ?? string.Empty;
            if (context == null) context = new WebSocketContext(e.Path, e.Query, e.Headers, e.RemoteAddress, false);
            StartTime = DateTime.Now;
            state = (int)WebSocketState.Open;
            Raise(OnOpen);
        }

        internal void Deliver(MessageEventArgs e) { Raise(() => OnMessage(e)); }

        internal void Failed(ErrorEventArgs e) { Raise(() => OnError(e)); }

        internal void Ended(CloseEventArgs e)
        {
            state = (int)WebSocketState.Closed;
            Raise(() => OnClose(e));
        }

        /// <summary>Runs a handler; an exception it throws goes to OnError (and one from OnError to the log).</summary>
        private void Raise(Action handler)
        {
            try
            {
                handler();
            }
            catch (Exception e)
            {
                try
                {
                    OnError(new ErrorEventArgs("an event handler threw: " + e.Message, e));
                }
                catch (Exception inner)
                {
                    WebSocket.ReportUnhandled(inner);
                }
            }
        }
    }

    /// <summary>The open sessions of one service (websocket-sharp's WebSocketSessionManager).</summary>
    public sealed class WebSocketSessionManager
    {
        private readonly WebSocketServer server;
        private readonly WebSocketServiceHost host;
        private readonly Dictionary<ulong, WebSocketBehavior> open = new Dictionary<ulong, WebSocketBehavior>();
        // Accepted handshakes whose OPEN has not come yet (an upgrade can still fail: swept after a while).
        private readonly Dictionary<ulong, KeyValuePair<WebSocketBehavior, DateTime>> accepted = new Dictionary<ulong, KeyValuePair<WebSocketBehavior, DateTime>>();

        internal WebSocketSessionManager(WebSocketServer server, WebSocketServiceHost host)
        {
            this.server = server;
            this.host = host;
        }

        /// <summary>Number of open sessions.</summary>
        public int Count { get { lock (open) return open.Count; } }
        /// <summary>The ids of the open sessions.</summary>
        public IEnumerable<string> IDs
        {
            get { lock (open) return new List<ulong>(open.Keys).ConvertAll(IdOf); }
        }
        /// <summary>Same as <see cref="IDs"/>: the core closes dead sessions itself (keepalive).</summary>
        public IEnumerable<string> ActiveIDs { get { return IDs; } }
        /// <summary>Always empty: the core closes dead sessions itself (keepalive).</summary>
        public IEnumerable<string> InactiveIDs { get { return new string[0]; } }
        /// <summary>The open sessions.</summary>
        public IEnumerable<IWebSocketSession> Sessions
        {
            get { lock (open) return new List<IWebSocketSession>(open.Values); }
        }

        /// <summary>The open session with this id, or null.</summary>
        public IWebSocketSession this[string id]
        {
            get
            {
                IWebSocketSession s;
                TryGetSession(id, out s);
                return s;
            }
        }

        /// <summary>Finds an open session by id.</summary>
        public bool TryGetSession(string id, out IWebSocketSession session)
        {
            if (id == null) throw new ArgumentNullException("id");
            ulong conn;
            WebSocketBehavior b = null;
            if (ulong.TryParse(id, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out conn))
                lock (open) open.TryGetValue(conn, out b);
            session = b;
            return b != null;
        }

        /// <summary>Sends text to every session of this service (encoded once, shared by all).</summary>
        public void Broadcast(string data)
        {
            if (data == null) throw new ArgumentNullException("data");
            RunningHub().Broadcast(host.Path, data);
        }

        /// <summary>Sends binary data to every session of this service.</summary>
        public void Broadcast(byte[] data)
        {
            if (data == null) throw new ArgumentNullException("data");
            RunningHub().Broadcast(host.Path, data);
        }

        /// <summary>Broadcasts text; <paramref name="completed"/> (may be null) runs once it is queued to everyone.</summary>
        public void BroadcastAsync(string data, Action completed)
        {
            Broadcast(data);
            if (completed != null) completed();
        }

        /// <summary>Broadcasts binary data; <paramref name="completed"/> (may be null) runs once it is queued to everyone.</summary>
        public void BroadcastAsync(byte[] data, Action completed)
        {
            Broadcast(data);
            if (completed != null) completed();
        }

        /// <summary>Sends text to the session <paramref name="id"/>; throws InvalidOperationException if it is not open.</summary>
        public void SendTo(string data, string id)
        {
            if (data == null) throw new ArgumentNullException("data");
            Send(id, h => h.Send(Conn(id), data));
        }

        /// <summary>Sends binary data to the session <paramref name="id"/>.</summary>
        public void SendTo(byte[] data, string id)
        {
            if (data == null) throw new ArgumentNullException("data");
            Send(id, h => h.Send(Conn(id), data));
        }

        /// <summary>Sends text to a session; <paramref name="completed"/> (may be null) learns whether it was queued.</summary>
        public void SendToAsync(string data, string id, Action<bool> completed)
        {
            bool ok = true;
            try { SendTo(data, id); } catch (InvalidOperationException) { ok = false; }
            if (completed != null) completed(ok);
        }

        /// <summary>Sends binary data to a session; <paramref name="completed"/> (may be null) learns whether it was queued.</summary>
        public void SendToAsync(byte[] data, string id, Action<bool> completed)
        {
            bool ok = true;
            try { SendTo(data, id); } catch (InvalidOperationException) { ok = false; }
            if (completed != null) completed(ok);
        }

        /// <summary>Closes the session <paramref name="id"/> with 1000.</summary>
        public void CloseSession(string id) { CloseSession(id, 1000, null); }

        /// <summary>Closes the session <paramref name="id"/> with a code and a reason.</summary>
        public void CloseSession(string id, ushort code, string reason)
        {
            Send(id, h => h.CloseConnection(Conn(id), code, reason));
        }

        /// <summary>Closes the session <paramref name="id"/> with a code and a reason.</summary>
        public void CloseSession(string id, CloseStatusCode code, string reason) { CloseSession(id, (ushort)code, reason); }

        /// <summary>Does nothing: the core closes dead sessions itself (keepalive).</summary>
        public void Sweep() { }

        internal static string IdOf(ulong conn)
        {
            return conn.ToString("x16", CultureInfo.InvariantCulture);
        }

        private static ulong Conn(string id)
        {
            ulong conn;
            if (id == null) throw new ArgumentNullException("id");
            if (!ulong.TryParse(id, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out conn))
                throw new ArgumentException("not a session id: " + id, "id");
            return conn;
        }

        private Hub RunningHub()
        {
            var h = server.Hub;
            if (h == null) throw new InvalidOperationException("the server is not running");
            return h;
        }

        private void Send(string id, Action<Hub> action)
        {
            var conn = Conn(id);
            lock (open)
            {
                if (!open.ContainsKey(conn)) throw new InvalidOperationException("no open session " + id);
            }
            try
            {
                action(RunningHub());
            }
            catch (ObjectDisposedException)
            {
                throw new InvalidOperationException("the server has stopped");
            }
            catch (OmnisockException e)
            {
                if (e.Result == OmnisockResult.NotFound || e.Result == OmnisockResult.Closed) throw new InvalidOperationException("no open session " + id, e);
                throw;
            }
        }

        // ---- hub events (dispatcher thread)

        /// <summary>A handshake: make the behaviour (running the initializer), let its validators decide, choose the subprotocol.</summary>
        internal void Handshake(HubHandshakeEventArgs e)
        {
            var hub = server.Hub;
            if (hub == null) return;
            try
            {
                WebSocketBehavior b;
                try
                {
                    b = host.NewBehavior();
                }
                catch (Exception ex)
                {
                    server.Log.Error("cannot make the behaviour of " + host.Path + ": " + ex.Message);
                    hub.Reject(e.ConnectionId, 500, "the service could not be set up");
                    return;
                }
                var ctx = new WebSocketContext(e.Path, e.Query, e.Headers, e.RemoteAddress, false);
                string refusal;
                try
                {
                    refusal = b.Check(ctx);
                }
                catch (Exception ex)
                {
                    refusal = "a handshake validator failed: " + ex.Message;
                }
                if (refusal != null)
                {
                    server.Log.Debug("refused a handshake on " + host.Path + ": " + refusal);
                    hub.Reject(e.ConnectionId, 400, refusal);
                    return;
                }
                var now = DateTime.UtcNow;
                lock (open)
                {
                    var stale = accepted.Where(kv => now - kv.Value.Value > TimeSpan.FromMinutes(1)).Select(kv => kv.Key).ToList();
                    foreach (var k in stale) accepted.Remove(k);
                    accepted[e.ConnectionId] = new KeyValuePair<WebSocketBehavior, DateTime>(b, now);
                }
                hub.Accept(e.ConnectionId, b.Choose(ctx));
            }
            catch (OmnisockException ex)
            {
                // The client gave up, or the decision came after the hub's limit (it answered 503).
                lock (open) accepted.Remove(e.ConnectionId);
                server.Log.Debug("handshake " + e.ConnectionId + " on " + host.Path + " ended: " + ex.Message);
            }
            catch (ObjectDisposedException)
            {
                // stopped meanwhile
            }
        }

        internal void Opened(HubOpenEventArgs e)
        {
            var hub = server.Hub;
            if (hub == null) return;
            KeyValuePair<WebSocketBehavior, DateTime> entry;
            WebSocketBehavior b = null;
            lock (open)
            {
                if (accepted.TryGetValue(e.ConnectionId, out entry))
                {
                    accepted.Remove(e.ConnectionId);
                    b = entry.Key;
                }
            }
            if (b == null)
            {
                if (host.DecidesHandshakes) return; // not accepted by this server's handshake step
                try
                {
                    b = host.NewBehavior();
                }
                catch (Exception ex)
                {
                    server.Log.Error("cannot make the behaviour of " + host.Path + ": " + ex.Message);
                    try { hub.CloseConnection(e.ConnectionId, 1011, "server error"); } catch (OmnisockException) { }
                    return;
                }
            }
            lock (open) open[e.ConnectionId] = b;
            b.Start(hub, this, e);
        }

        internal bool Message(HubMessageEventArgs e)
        {
            var b = Find(e.ConnectionId);
            if (b == null) return false;
            b.Deliver(e);
            return true;
        }

        internal bool Error(HubErrorEventArgs e)
        {
            var b = Find(e.ConnectionId);
            if (b == null) return false;
            b.Failed(e);
            return true;
        }

        internal bool Closed(HubCloseEventArgs e)
        {
            WebSocketBehavior b;
            lock (open)
            {
                if (!open.TryGetValue(e.ConnectionId, out b)) return false;
                open.Remove(e.ConnectionId);
            }
            b.Ended(e);
            return true;
        }

        internal void Clear()
        {
            lock (open)
            {
                open.Clear();
                accepted.Clear();
            }
        }

        private WebSocketBehavior Find(ulong conn)
        {
            WebSocketBehavior b;
            lock (open) open.TryGetValue(conn, out b);
            return b;
        }
    }
}
