using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;

namespace Omnisock.Server
{
    /// <summary>
    /// A WebSocket server with websocket-sharp's surface over an in-process omnisock <see cref="Hub"/>:
    /// each service added with <see cref="AddWebSocketService{T}(string)"/> is a host route whose
    /// connections each get their own <see cref="WebSocketBehavior"/>. Behaviour events are raised on
    /// the dispatcher thread (outside Unity the background one starts by itself; in Unity the main
    /// thread). Services are fixed once started.
    /// </summary>
    public class WebSocketServer
    {
        private readonly object gate = new object();
        private readonly WebSocketServiceManager services;
        private readonly Logger log = new Logger();
        private readonly IPAddress address;
        private readonly int requestedPort;
        private Hub hub;
        private int port;

        /// <summary>
        /// Set by <see cref="HttpServer"/>: the hub then also takes plain (non-upgrade) GET/HEAD
        /// requests on every path (a <c>"*"</c> fallback route with host_accepts) and hands them here.
        /// </summary>
        internal Action<Hub, HubHandshakeEventArgs> PlainRequestHandler;

        /// <summary>A server on every IPv4 address at <paramref name="port"/> (0 picks a free port, see <see cref="Port"/> after Start).</summary>
        public WebSocketServer(int port) : this(IPAddress.Any, port) { }

        /// <summary>A server on <paramref name="address"/> at <paramref name="port"/>.</summary>
        public WebSocketServer(IPAddress address, int port)
        {
            if (address == null) throw new ArgumentNullException("address");
            if (port < 0 || port > IPEndPoint.MaxPort) throw new ArgumentOutOfRangeException("port", "port must be 0-65535");
            this.address = address;
            requestedPort = port;
            this.port = port;
            services = new WebSocketServiceManager(this);
            WaitTime = TimeSpan.FromSeconds(1);
        }

        /// <summary>A server at "ws://host:port" (host: an IP address or localhost). wss:// is refused: see <see cref="IsSecure"/>.</summary>
        public WebSocketServer(string url) : this(UrlAddress(url, "ws"), ParseUrl(url, "ws").Port) { }

        /// <summary>Parses a server's "scheme://host:port" URL (`scheme` plain, `scheme`+"s" refused: no certificate).</summary>
        internal static Uri ParseUrl(string url, string scheme)
        {
            if (url == null) throw new ArgumentNullException("url");
            string secure = scheme + "s";
            Uri uri;
            if (!Uri.TryCreate(url, UriKind.Absolute, out uri) || (uri.Scheme != scheme && uri.Scheme != secure) || uri.AbsolutePath != "/" || uri.Query.Length > 0)
                throw new ArgumentException((scheme == "http" ? "not an " : "not a ") + scheme + "://host:port URL: " + url, "url");
            if (uri.Scheme == secure)
                throw new NotSupportedException((scheme == "http" ? "https" : "wss://") + " needs a certificate: use Hub with HubOptions.TlsCertificateFile");
            return uri;
        }

        /// <summary>The address of a server URL's host (an IP address or localhost).</summary>
        internal static IPAddress UrlAddress(string url, string scheme)
        {
            var uri = ParseUrl(url, scheme);
            if (uri.Host == "localhost") return IPAddress.Loopback;
            IPAddress ip;
            if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out ip)) throw new ArgumentException("the host must be an IP address or localhost: " + url, "url");
            return ip;
        }

        /// <summary>The address it listens on.</summary>
        public IPAddress Address { get { return address; } }
        /// <summary>The port it listens on (the one picked when 0 was given, once started).</summary>
        public int Port { get { return port; } }
        /// <summary>Whether it is listening.</summary>
        public bool IsListening { get { lock (gate) return hub != null; } }
        /// <summary>Always false: this facade serves ws:// (wss:// is served by <see cref="Hub"/> with a certificate).</summary>
        public bool IsSecure { get { return false; } }
        /// <summary>The logger (errors by default).</summary>
        public Logger Log { get { return log; } }
        /// <summary>The services by path.</summary>
        public WebSocketServiceManager WebSocketServices { get { return services; } }
        /// <summary>Accepted for websocket-sharp programs: the core drops dead connections through its keepalive.</summary>
        public bool KeepClean { get; set; }
        /// <summary>Accepted for websocket-sharp programs: the core's listener already allows quick rebinding.</summary>
        public bool ReuseAddress { get; set; }
        /// <summary>Kept for websocket-sharp programs; the core bounds the closing handshake itself (5 s).</summary>
        public TimeSpan WaitTime { get; set; }

        /// <summary>Adds a service at <paramref name="path"/>: each connection gets a new <typeparamref name="T"/>.</summary>
        public void AddWebSocketService<T>(string path) where T : WebSocketBehavior, new()
        {
            AddWebSocketService<T>(path, null);
        }

        /// <summary>Adds a service; <paramref name="initializer"/> (may be null) sets up each new behaviour before it opens.</summary>
        public void AddWebSocketService<T>(string path, Action<T> initializer) where T : WebSocketBehavior, new()
        {
            lock (gate)
            {
                if (hub != null) throw new InvalidOperationException("services cannot be added while the server runs; Stop it first");
                services.Add(path, typeof(T), () =>
                {
                    var b = new T();
                    if (initializer != null) initializer(b);
                    return b;
                });
            }
        }

        /// <summary>Removes the service at <paramref name="path"/> (while stopped); true if it existed.</summary>
        public bool RemoveWebSocketService(string path)
        {
            lock (gate)
            {
                if (hub != null) throw new InvalidOperationException("services cannot be removed while the server runs; Stop it first");
                return services.Remove(path);
            }
        }

        /// <summary>Starts listening; throws when the address is taken or no service was added. Does nothing when already listening.</summary>
        public void Start()
        {
            lock (gate)
            {
                if (hub != null) return;
                var hosts = services.HostList;
                if (hosts.Count == 0 && PlainRequestHandler == null) throw new InvalidOperationException("add a service (AddWebSocketService) before Start");
                var listen = (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + address + "]" : address.ToString())
                    + ":" + requestedPort.ToString(CultureInfo.InvariantCulture);
                var options = new HubOptions(listen);
                foreach (var h in hosts)
                {
                    options.AddRoute(h.Path, RouteKind.Host);
                    if (h.LearnWhetherItDecidesHandshakes()) options.SetHostAccepts(h.Path);
                }
                if (PlainRequestHandler != null)
                {
                    options.AddRoute("*", RouteKind.Host);
                    options.SetHostAccepts("*");
                }
                var started = new Hub(options);
                started.OnHandshake += (s, e) => Handshake((Hub)s, e);
                started.OnOpen += (s, e) => services.Opened(e);
                started.OnMessage += (s, e) => services.Message(e);
                started.OnClose += (s, e) => services.Closed(e);
                started.OnError += (s, e) => services.Error(e);
                hub = started;
                port = started.Port;
                log.Info("listening on " + listen);
            }
        }

        /// <summary>Stops: every connection is closed with 1001 (the core waits at most 5 s), then the port is released.</summary>
        public void Stop()
        {
            Hub h;
            lock (gate)
            {
                h = hub;
                hub = null;
            }
            if (h == null) return;
            h.Dispose();
            services.Clear();
            log.Info("stopped");
        }

        /// <summary>
        /// A request waiting for the host: a plain request goes to <see cref="PlainRequestHandler"/>
        /// (when set), an upgrade to its service; an upgrade for a path without a service (only
        /// possible through the fallback route) is refused with 404.
        /// </summary>
        private void Handshake(Hub h, HubHandshakeEventArgs e)
        {
            var plain = PlainRequestHandler;
            if (plain != null && !IsUpgrade(e.Headers))
            {
                plain(h, e);
                return;
            }
            if (services.Handshake(e)) return;
            try
            {
                h.Reject(e.ConnectionId, 404, "no WebSocket service at " + e.Path);
            }
            catch (OmnisockException ex)
            {
                log.Debug("handshake " + e.ConnectionId + " at " + e.Path + " went away: " + ex.Message);
            }
        }

        /// <summary>Whether the request headers ("Name: value" lines) ask for a WebSocket upgrade.</summary>
        private static bool IsUpgrade(string headerLines)
        {
            var upgrade = WebSocket.ParseHeaders(headerLines)["Upgrade"];
            return upgrade != null && upgrade.IndexOf("websocket", StringComparison.OrdinalIgnoreCase) >= 0;
        }

        /// <summary>The running hub (null when stopped).</summary>
        internal Hub Hub
        {
            get { lock (gate) return hub; }
        }
    }

    /// <summary>The services of a <see cref="WebSocketServer"/>, by path.</summary>
    public sealed class WebSocketServiceManager
    {
        private readonly WebSocketServer server;
        private readonly List<WebSocketServiceHost> hosts = new List<WebSocketServiceHost>();

        internal WebSocketServiceManager(WebSocketServer server)
        {
            this.server = server;
        }

        /// <summary>Number of services.</summary>
        public int Count { get { lock (hosts) return hosts.Count; } }
        /// <summary>The service paths.</summary>
        public IEnumerable<string> Paths
        {
            get { lock (hosts) return hosts.ConvertAll(h => h.Path); }
        }
        /// <summary>The services.</summary>
        public IEnumerable<WebSocketServiceHost> Hosts
        {
            get { lock (hosts) return hosts.ToArray(); }
        }

        /// <summary>The service at <paramref name="path"/> (a trailing "/" is ignored), or null.</summary>
        public WebSocketServiceHost this[string path]
        {
            get
            {
                WebSocketServiceHost h;
                TryGetServiceHost(path, out h);
                return h;
            }
        }

        /// <summary>Finds the service at <paramref name="path"/>.</summary>
        public bool TryGetServiceHost(string path, out WebSocketServiceHost host)
        {
            var p = Normalize(path);
            lock (hosts) host = hosts.Find(h => h.Path == p);
            return host != null;
        }

        /// <summary>Sends text to every session of every service.</summary>
        public void Broadcast(string data)
        {
            foreach (var h in Hosts) h.Sessions.Broadcast(data);
        }

        /// <summary>Sends binary data to every session of every service.</summary>
        public void Broadcast(byte[] data)
        {
            foreach (var h in Hosts) h.Sessions.Broadcast(data);
        }

        internal List<WebSocketServiceHost> HostList
        {
            get { lock (hosts) return new List<WebSocketServiceHost>(hosts); }
        }

        internal void Add(string path, Type type, Func<WebSocketBehavior> factory)
        {
            var p = Normalize(path);
            lock (hosts)
            {
                if (hosts.Exists(h => h.Path == p)) throw new ArgumentException("a service already exists at " + p, "path");
                hosts.Add(new WebSocketServiceHost(server, p, type, factory));
            }
        }

        internal bool Remove(string path)
        {
            var p = Normalize(path);
            lock (hosts) return hosts.RemoveAll(h => h.Path == p) > 0;
        }

        /// <summary>Hands a handshake to the service at its path; false when there is none.</summary>
        internal bool Handshake(HubHandshakeEventArgs e)
        {
            WebSocketServiceHost h;
            if (!TryGetServiceHost(e.Path, out h)) return false;
            h.Sessions.Handshake(e);
            return true;
        }

        internal void Opened(HubOpenEventArgs e)
        {
            WebSocketServiceHost h;
            if (TryGetServiceHost(e.Path, out h)) h.Sessions.Opened(e);
        }

        internal void Message(HubMessageEventArgs e)
        {
            foreach (var h in HostList) if (h.Sessions.Message(e)) return;
        }

        internal void Closed(HubCloseEventArgs e)
        {
            foreach (var h in HostList) if (h.Sessions.Closed(e)) return;
        }

        internal void Error(HubErrorEventArgs e)
        {
            foreach (var h in HostList) if (h.Sessions.Error(e)) return;
            server.Log.Error(e.Message);
        }

        internal void Clear()
        {
            foreach (var h in HostList) h.Sessions.Clear();
        }

        /// <summary>websocket-sharp's path rule: starts with "/", no query or fragment, no trailing "/" (but "/" itself).</summary>
        internal static string Normalize(string path)
        {
            if (path == null) throw new ArgumentNullException("path");
            if (path.Length == 0 || path[0] != '/') throw new ArgumentException("a service path starts with '/': " + path, "path");
            if (path.IndexOfAny(new[] { '?', '#' }) >= 0) throw new ArgumentException("a service path has no query or fragment: " + path, "path");
            var p = path.TrimEnd('/');
            return p.Length == 0 ? "/" : p;
        }
    }

    /// <summary>One service: its path, behaviour type and sessions.</summary>
    public sealed class WebSocketServiceHost
    {
        private readonly Func<WebSocketBehavior> factory;

        internal WebSocketServiceHost(WebSocketServer server, string path, Type type, Func<WebSocketBehavior> factory)
        {
            Path = path;
            BehaviorType = type;
            this.factory = factory;
            Sessions = new WebSocketSessionManager(server, this);
        }

        /// <summary>The path (without a trailing "/").</summary>
        public string Path { get; private set; }
        /// <summary>The behaviour class made for each connection.</summary>
        public Type BehaviorType { get; private set; }
        /// <summary>The open sessions.</summary>
        public WebSocketSessionManager Sessions { get; private set; }

        /// <summary>Whether handshakes wait for the behaviour's validators, subprotocol and responders (learned at Start).</summary>
        internal bool DecidesHandshakes { get; private set; }

        /// <summary>
        /// Makes one behaviour (constructor and initializer, never opened) to see whether it sets
        /// HostValidator, OriginValidator, Protocol, UserHeadersResponder or CookiesResponder. Only such services make each handshake wait
        /// for the dispatching thread; the others open without it.
        /// </summary>
        internal bool LearnWhetherItDecidesHandshakes()
        {
            var probe = factory();
            DecidesHandshakes = probe.HostValidator != null || probe.OriginValidator != null || probe.Protocol.Length > 0
                || probe.UserHeadersResponder != null || probe.CookiesResponder != null;
            return DecidesHandshakes;
        }

        internal WebSocketBehavior NewBehavior()
        {
            return factory();
        }
    }
}
