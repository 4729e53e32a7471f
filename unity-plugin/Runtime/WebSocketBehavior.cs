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

        /// <summary>The session id (null before the handshake; set when the responders run, as in websocket-sharp).</summary>
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
        /// websocket-sharp's hook for extra handshake response headers: called with the request's
        /// headers and an empty collection to fill; what it adds is sent in the 101 response (the
        /// handshake's own headers cannot be replaced). Null = none.
        /// </summary>
        public Action<NameValueCollection, NameValueCollection> UserHeadersResponder { get; set; }

        /// <summary>
        /// websocket-sharp's hook for response cookies: called with the request's cookies and an empty
        /// collection to fill; each cookie added is sent as a Set-Cookie header in the 101 response.
        /// Null = none.
        /// </summary>
        public Action<CookieCollection, CookieCollection> CookiesResponder { get; set; }

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

        /// <summary>Closes this connection with 1000 (normal).</summary>
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

        /// <summary>
        /// The extra 101 response headers from <see cref="UserHeadersResponder"/> and
        /// <see cref="CookiesResponder"/> (empty when neither is set).
        /// </summary>
        internal List<KeyValuePair<string, string>> ResponseHeaders(WebSocketContext ctx, ulong conn)
        {
            ID = WebSocketSessionManager.IdOf(conn);
            var list = new List<KeyValuePair<string, string>>();
            var cookies = CookiesResponder;
            if (cookies != null)
            {
                var res = new CookieCollection();
                cookies(ctx.CookieCollection, res);
                foreach (var c in res) list.Add(new KeyValuePair<string, string>("Set-Cookie", c.ToSetCookieHeader()));
            }
            var user = UserHeadersResponder;
            if (user != null)
            {
                var res = new NameValueCollection();
                user(ctx.Headers, res);
                foreach (string name in res.AllKeys)
                {
                    if (name == null) continue;
                    var values = res.GetValues(name);
                    if (values == null) list.Add(new KeyValuePair<string, string>(name, string.Empty));
                    else foreach (var v in values) list.Add(new KeyValuePair<string, string>(name, v ?? string.Empty));
                }
            }
            return list;
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
}
