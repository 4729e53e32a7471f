using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Omnisock.Net.WebSockets;

namespace Omnisock.Server
{
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
                List<KeyValuePair<string, string>> extra;
                try
                {
                    extra = b.ResponseHeaders(ctx, e.ConnectionId);
                }
                catch (Exception ex)
                {
                    server.Log.Error("a response header or cookie responder of " + host.Path + " failed: " + ex.Message);
                    hub.Reject(e.ConnectionId, 500, "the service could not answer the handshake");
                    return;
                }
                var now = DateTime.UtcNow;
                lock (open)
                {
                    var stale = accepted.Where(kv => now - kv.Value.Value > TimeSpan.FromMinutes(1)).Select(kv => kv.Key).ToList();
                    foreach (var k in stale) accepted.Remove(k);
                    accepted[e.ConnectionId] = new KeyValuePair<WebSocketBehavior, DateTime>(b, now);
                }
                if (extra.Count == 0)
                {
                    hub.Accept(e.ConnectionId, b.Choose(ctx));
                    return;
                }
                try
                {
                    hub.Accept(e.ConnectionId, b.Choose(ctx), extra);
                }
                catch (ArgumentException ex)
                {
                    // A responder's header name or value the core refuses: the handshake still waits.
                    lock (open) accepted.Remove(e.ConnectionId);
                    server.Log.Error("a response header of " + host.Path + " is invalid: " + ex.Message);
                    hub.Reject(e.ConnectionId, 500, "the service could not answer the handshake");
                }
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
