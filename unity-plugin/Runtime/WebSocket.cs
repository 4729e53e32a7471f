using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using Omnisock.Net;

namespace Omnisock
{
    /// <summary>
    /// A WebSocket client with websocket-sharp's surface, running on the omnisock native core.
    /// <para><b>Threading.</b> Events (OnOpen, OnMessage, OnError, OnClose, OnReconnecting and the
    /// SendAsync callbacks) are raised only on the thread that calls <see cref="DispatchMessageQueue"/>
    /// or <see cref="Dispatcher.DispatchAll"/>. In Unity the OmnisockDispatcher component does that in
    /// Update(), so handlers run on the main thread and may touch Unity objects. Every other member may
    /// be called from any thread.</para>
    /// <para><b>Errors.</b> Programming errors throw (null arguments, an invalid URL, close code or
    /// header: ArgumentException; any use after Dispose: ObjectDisposedException). Connection problems
    /// never throw: a send that cannot be queued (not connected, closing or closed, send queue full)
    /// raises OnError; a failed connection raises OnError and then OnClose (code 1006).</para>
    /// </summary>
    public sealed class WebSocket : IDisposable, IDispatchable
    {
        private const int KindSendResult = 100;
        private const int BatchSize = 256;

        private struct Pending
        {
            public int Kind;
            public int Code;
            public bool Flag;
            public long Delay;
            public ulong Handle;
            public string Text;
            public string Headers;
            public byte[] Bytes;
            public Exception Error;
            public Action<bool> Callback;
        }

        private readonly string url;
        private readonly string[] protocols;
        private readonly object stateLock = new object();
        private readonly object pumpLock = new object();
        private readonly object dispatchLock = new object();
        private readonly Queue<Pending> pending = new Queue<Pending>();
        private readonly List<KeyValuePair<string, string>> userHeaders = new List<KeyValuePair<string, string>>();
        private readonly List<string> caPems = new List<string>();
        private readonly List<string> caFiles = new List<string>();
        private readonly List<string> fallbackUrls = new List<string>();
        private long handle;                 // native omnisock_client (0 = none)
        private volatile int cachedState = (int)WebSocketState.New;
        private volatile bool disposed;
        private int outcomes;                // open/close/error/reconnecting events seen (for Connect())
        private long pingCounter;
        private long lastPong;
        private string protocol = string.Empty;
        private string origin;
        private string authorization;
        private NetworkCredential credentials;
        private readonly CookieCollection cookies = new CookieCollection();
        private string proxy;                // http://user:pass@host:port for the core, null = none
        private readonly Logger log = new Logger();
        private ClientSslConfiguration sslConfiguration;
        private NameValueCollection responseHeaders = new NameValueCollection();

        [ThreadStatic] private static Native.Event[] pollBuffer;

        /// <summary>Creates a client for a ws:// or wss:// URL, offering the given subprotocols. Nothing connects until Connect.</summary>
        public WebSocket(string url, params string[] protocols)
        {
            if (url == null) throw new ArgumentNullException("url");
            Uri uri;
            if (!Uri.TryCreate(url, UriKind.Absolute, out uri) || (uri.Scheme != "ws" && uri.Scheme != "wss"))
                throw new ArgumentException("not a ws:// or wss:// URL: " + url, "url");
            if (uri.Fragment.Length > 0) throw new ArgumentException("a WebSocket URL has no fragment: " + url, "url");
            if (protocols != null)
            {
                foreach (var p in protocols)
                {
                    if (string.IsNullOrEmpty(p)) throw new ArgumentException("empty subprotocol", "protocols");
                }
            }
            this.url = url;
            this.protocols = protocols ?? new string[0];
            ConnectTimeout = TimeSpan.FromSeconds(10);
            KeepAliveInterval = TimeSpan.FromSeconds(20);
            KeepAliveTimeout = TimeSpan.FromSeconds(20);
            WaitTime = TimeSpan.FromSeconds(5);
            Reconnect = ReconnectPolicy.Off;
            MaxMessageSize = 16L << 20;
            SendQueueLimit = 16L << 20;
            MaxEventsPerDispatch = 4096;
#if UNITY_5_3_OR_NEWER
            OmnisockDispatcher.EnsureCreated();
#endif
        }

        ~WebSocket()
        {
            // Only reached when nothing is pending: the dispatcher keeps live sockets referenced.
            ulong h = (ulong)Interlocked.Exchange(ref handle, 0);
            if (h != 0) Native.omnisock_client_free(h);
        }

        // ------------------------------------------------------------------ events

        /// <summary>The connection opened (again after each reconnect).</summary>
        public event EventHandler OnOpen;
        /// <summary>A text or binary message arrived.</summary>
        public event EventHandler<MessageEventArgs> OnMessage;
        /// <summary>Something failed. When the connection is gone, OnClose follows.</summary>
        public event EventHandler<ErrorEventArgs> OnError;
        /// <summary>The connection closed for good (not raised between reconnect attempts).</summary>
        public event EventHandler<CloseEventArgs> OnClose;
        /// <summary>The connection was lost and the reconnect policy tries again.</summary>
        public event EventHandler<ReconnectingEventArgs> OnReconnecting;

        // ------------------------------------------------------------------ settings (used by the next Connect)

        /// <summary>The URL given to the constructor.</summary>
        public Uri Url { get { return new Uri(url); } }
        /// <summary>The subprotocols offered, in preference order.</summary>
        public string[] Protocols { get { return (string[])protocols.Clone(); } }
        /// <summary>The subprotocol the server picked (empty if none), known once open.</summary>
        public string Protocol { get { return protocol; } }

        /// <summary>The Origin header sent with the handshake (null = none).</summary>
        public string Origin
        {
            get { return origin; }
            set
            {
                if (value != null && (value.Length == 0 || value.IndexOfAny(new[] { '\r', '\n' }) >= 0))
                    throw new ArgumentException("invalid Origin", "value");
                origin = value;
            }
        }

        /// <summary>Limit for TCP connect + TLS + WebSocket handshake (default 10 s).</summary>
        public TimeSpan ConnectTimeout { get; set; }
        /// <summary>Send a ping after this long without incoming data (default 20 s; zero = no pings).</summary>
        public TimeSpan KeepAliveInterval { get; set; }
        /// <summary>Report the peer dead (close 1006) when nothing arrives this long after a ping (default 20 s).</summary>
        public TimeSpan KeepAliveTimeout { get; set; }
        /// <summary>How long Ping/IsAlive wait for the pong, and Close/Dispose for the closing handshake beyond the library's own 5 s limit (default 5 s).</summary>
        public TimeSpan WaitTime { get; set; }
        /// <summary>Reconnect policy (default <see cref="ReconnectPolicy.Off"/>).</summary>
        public ReconnectPolicy Reconnect { get; set; }
        /// <summary>Largest accepted incoming message in bytes (default 16 MiB); bigger closes with 1009.</summary>
        public long MaxMessageSize { get; set; }
        /// <summary>Send queue limit in bytes (default 16 MiB). A send that would exceed it raises OnError and queues nothing.</summary>
        public long SendQueueLimit { get; set; }
        /// <summary>MMDAgent-EX line framing: one message per "\n"-terminated line, "\n" appended to each sent text.</summary>
        public bool LineFraming { get; set; }
        /// <summary>
        /// DANGEROUS: accept any server certificate, which removes all authentication of the server.
        /// For local testing only. By default certificates are verified (webpki roots plus any CA added).
        /// </summary>
        public bool DangerousAcceptAnyCertificate { get; set; }
        /// <summary>Most events one DispatchMessageQueue call raises (default 4096), so a frame never stalls on a flood.</summary>
        public int MaxEventsPerDispatch { get; set; }

        /// <summary>Trusts the CA certificates in <paramref name="pem"/> in addition to the webpki roots.</summary>
        public void AddCertificateAuthority(string pem)
        {
            if (pem == null) throw new ArgumentNullException("pem");
            lock (stateLock) caPems.Add(pem);
        }

        /// <summary>
        /// Adds another URL of the same service (e.g. another hub node): after a failed attempt or a
        /// lost connection, the next reconnect tries the next URL in turn. Checked on Connect.
        /// </summary>
        public void AddFallbackUrl(string url)
        {
            if (url == null) throw new ArgumentNullException("url");
            lock (stateLock) fallbackUrls.Add(url);
        }

        /// <summary>Trusts the CA certificates in a PEM file in addition to the webpki roots.</summary>
        public void AddCertificateAuthorityFile(string path)
        {
            if (path == null) throw new ArgumentNullException("path");
            lock (stateLock) caFiles.Add(path);
        }

        /// <summary>Sends HTTP Basic credentials with the handshake (null username removes them).</summary>
        public void SetCredentials(string username, string password, bool preAuth)
        {
            if (string.IsNullOrEmpty(username))
            {
                authorization = null;
                credentials = null;
                return;
            }
            if (username.IndexOf(':') >= 0) throw new ArgumentException("a username cannot contain ':'", "username");
            authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + (password ?? string.Empty)));
            credentials = new NetworkCredential(username, password);
        }

        /// <summary>Sends HTTP Basic credentials with the handshake.</summary>
        public void SetCredentials(string username, string password)
        {
            SetCredentials(username, password, true);
        }

        /// <summary>Sets a request header sent with the handshake (replaces one of the same name; null value removes it).</summary>
        public void SetUserHeader(string name, string value)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("empty header name", "name");
            lock (stateLock)
            {
                userHeaders.RemoveAll(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));
                if (value != null) userHeaders.Add(new KeyValuePair<string, string>(name, value));
            }
        }

        // ------------------------------------------------------------------ websocket-sharp's other settings

        /// <summary>
        /// Offers permessage-deflate when <see cref="CompressionMethod.Deflate"/> (core option
        /// <c>compression</c>); messages shorter than <see cref="CompressionThreshold"/> go uncompressed.
        /// </summary>
        public CompressionMethod Compression { get; set; }

        /// <summary>Messages shorter than this many bytes are sent uncompressed (core option <c>compression_threshold</c>; null = the core's default, 1024).</summary>
        public int? CompressionThreshold
        {
            get { return compressionThreshold; }
            set
            {
                if (value.HasValue && value.Value < 0) throw new ArgumentOutOfRangeException("value", "CompressionThreshold cannot be negative");
                compressionThreshold = value;
            }
        }
        private int? compressionThreshold;

        /// <summary>The credentials given to <see cref="SetCredentials(string, string, bool)"/> (null when none).</summary>
        public NetworkCredential Credentials { get { return credentials; } }

        /// <summary>
        /// websocket-sharp raises OnMessage with <see cref="MessageEventArgs.IsPing"/> for each ping
        /// received when this is true. The omnisock core answers pings itself and does not report
        /// them yet: when true, Connect logs a warning through <see cref="Log"/> and no ping event
        /// is raised.
        /// </summary>
        public bool EmitOnPing { get; set; }

        /// <summary>Follows HTTP redirects (3xx with Location) of the handshake, at most <see cref="MaxRedirects"/> (core option <c>max_redirects</c>).</summary>
        public bool EnableRedirection { get; set; }

        /// <summary>
        /// The most redirects followed when <see cref="EnableRedirection"/> is on (websocket-sharp
        /// follows them without a limit; a bound ends redirect loops).
        /// </summary>
        public const int MaxRedirects = 10;

        /// <summary>The extensions the server accepted (its Sec-WebSocket-Extensions header; "" when none).</summary>
        public string Extensions
        {
            get { return responseHeaders["Sec-WebSocket-Extensions"] ?? string.Empty; }
        }

        /// <summary>The cookies the server set in its handshake response (Set-Cookie), known once open.</summary>
        public CookieCollection HandshakeResponseCookies
        {
            get
            {
                var c = new CookieCollection();
                var values = responseHeaders.GetValues("Set-Cookie");
                if (values == null) return c;
                foreach (var v in values)
                {
                    var cookie = Cookie.ParseSetCookie(v);
                    if (cookie != null) c.Add(cookie);
                }
                return c;
            }
        }

        /// <summary>The headers of the server's handshake response, known once open (empty before).</summary>
        public NameValueCollection HandshakeResponseHeaders
        {
            get { return responseHeaders; }
        }

        /// <summary>Whether the URL is wss:// (TLS).</summary>
        public bool IsSecure
        {
            get { return url.StartsWith("wss:", StringComparison.OrdinalIgnoreCase); }
        }

        /// <summary>The logger of this socket (level <see cref="LogLevel.Error"/> by default; standard error, or Unity's console).</summary>
        public Logger Log { get { return log; } }

        /// <summary>
        /// Accepted for websocket-sharp programs; the core always sends without delay (TCP_NODELAY
        /// is set on every connection), whatever the value.
        /// </summary>
        public bool NoDelay { get; set; }

        /// <summary>TLS settings (certificate pins; the CA and the opt-out are <see cref="AddCertificateAuthority"/> and <see cref="DangerousAcceptAnyCertificate"/>).</summary>
        public ClientSslConfiguration SslConfiguration
        {
            get
            {
                lock (stateLock) return sslConfiguration ?? (sslConfiguration = new ClientSslConfiguration(new Uri(url).DnsSafeHost));
            }
        }

        /// <summary>Connects through a Unix domain socket at this path instead of TCP (core option <c>unix_socket</c>; null = TCP).</summary>
        public string UnixSocket { get; set; }

        /// <summary>Sends a cookie with the handshake (core option <c>cookies</c>); one with the same name, path and domain is replaced.</summary>
        public void SetCookie(Cookie cookie)
        {
            if (cookie == null) throw new ArgumentNullException("cookie");
            cookies.Add(cookie);
        }

        /// <summary>
        /// Connects through an HTTP proxy (CONNECT; core option <c>proxy</c>) at <paramref name="url"/>
        /// ("http://host:port"), with Basic credentials when <paramref name="username"/> is set. A null
        /// or empty URL removes the proxy.
        /// </summary>
        public void SetProxy(string url, string username, string password)
        {
            if (string.IsNullOrEmpty(url))
            {
                proxy = null;
                return;
            }
            Uri uri;
            if (!Uri.TryCreate(url, UriKind.Absolute, out uri) || uri.Scheme != "http" || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
                throw new ArgumentException("a proxy URL is http://host:port: " + url, "url");
            if (!string.IsNullOrEmpty(username) && username.IndexOf(':') >= 0)
                throw new ArgumentException("a username cannot contain ':'", "username");
            var auth = string.IsNullOrEmpty(username) ? string.Empty
                : Uri.EscapeDataString(username) + ":" + Uri.EscapeDataString(password ?? string.Empty) + "@";
            proxy = "http://" + auth + uri.Authority;
        }

        // ------------------------------------------------------------------ state

        /// <summary>The connection state (New before the first Connect, as in websocket-sharp).</summary>
        public WebSocketState ReadyState
        {
            get
            {
                ulong h = Handle;
                int s;
                // The core counts from Connecting = 0; websocket-sharp has New = 0 before it.
                if (h != 0 && Native.omnisock_client_state(h, out s) == 0) return (WebSocketState)(s + 1);
                return (WebSocketState)cachedState;
            }
        }

        /// <summary>Pings the server and waits (up to <see cref="WaitTime"/>) for the pong.</summary>
        public bool IsAlive
        {
            get { return Ping(); }
        }

        /// <summary>Bytes queued for sending and not yet written to the socket.</summary>
        public long BufferedAmount
        {
            get
            {
                ulong h = Handle;
                UIntPtr n;
                return h != 0 && Native.omnisock_client_queued_bytes(h, out n) == 0 ? (long)(ulong)n : 0;
            }
        }

        /// <summary>The native library's version.</summary>
        public static unsafe string LibraryVersion
        {
            get
            {
                byte* p = Native.omnisock_version();
                int n = 0;
                while (p[n] != 0) n++;
                return Encoding.UTF8.GetString(p, n);
            }
        }

        private ulong Handle
        {
            get { return (ulong)Interlocked.Read(ref handle); }
        }

        // ------------------------------------------------------------------ connect

        /// <summary>
        /// Connects and waits until the connection is open or has failed (at most ConnectTimeout plus a
        /// second). OnOpen, or OnError and OnClose, follow on the dispatching thread. Does nothing when
        /// already connecting or open; after a close it opens a new connection.
        /// </summary>
        public void Connect()
        {
            int mark;
            ulong h = StartConnect(out mark);
            if (h == 0) return;
            WaitFor(h, () => ReadyState != WebSocketState.Connecting || Volatile.Read(ref outcomes) != mark,
                ConnectTimeout + TimeSpan.FromSeconds(1));
        }

        /// <summary>Starts connecting and returns at once; OnOpen or OnError/OnClose follow.</summary>
        public void ConnectAsync()
        {
            int mark;
            StartConnect(out mark);
        }

        private ulong StartConnect(out int mark)
        {
            lock (stateLock)
            {
                ThrowIfDisposed();
                ulong old = Handle;
                if (old != 0)
                {
                    var s = ReadyState;
                    if (s == WebSocketState.Connecting || s == WebSocketState.Open)
                    {
                        mark = 0;
                        return 0;
                    }
                    if (s == WebSocketState.Closing)
                    {
                        QueueError(new InvalidOperationException("cannot connect while the connection is closing; wait for OnClose"));
                        mark = 0;
                        return 0;
                    }
                    // Closed, its CLOSE event not dispatched yet: keep its events, free it.
                    Pump(old, int.MaxValue);
                    Interlocked.Exchange(ref handle, 0);
                    Native.omnisock_client_free(old);
                }
                mark = Volatile.Read(ref outcomes);
                ulong cfg = BuildConfig();
                if (EmitOnPing) log.Warn("EmitOnPing: the core answers pings itself and does not report them; no ping event will be raised");
                if (log.Enabled(LogLevel.Debug)) log.Debug("connecting to " + url);
                ulong h;
                int rc;
                try
                {
                    rc = Native.omnisock_client_connect(cfg, out h);
                }
                finally
                {
                    Native.omnisock_client_config_free(cfg);
                }
                Native.Check(rc);
                protocol = string.Empty;
                cachedState = (int)WebSocketState.Connecting;
                Interlocked.Exchange(ref handle, (long)h);
                Dispatcher.Register(this);
                return h;
            }
        }

        /// <summary>The configuration for the next connection, in the core's JSON vocabulary.</summary>
        internal string ConfigJson()
        {
            var j = new JsonWriter().BeginObject();
            j.String("url", url);
            j.BeginArray("subprotocols");
            foreach (var p in protocols) j.String(null, p);
            j.EndArray();
            j.BeginArray("headers");
            if (origin != null) j.Pair("Origin", origin);
            if (authorization != null) j.Pair("Authorization", authorization);
            foreach (var h in userHeaders) j.Pair(h.Key, h.Value);
            j.EndArray();
            j.BeginArray("fallback_urls");
            foreach (var u in fallbackUrls) j.String(null, u);
            j.EndArray();
            j.Millis("connect_timeout", Millis(ConnectTimeout, "ConnectTimeout", false));
            uint interval = Millis(KeepAliveInterval, "KeepAliveInterval", true);
            uint pongTimeout = Millis(KeepAliveTimeout, "KeepAliveTimeout", interval == 0);
            if (interval == 0) j.String("ping_interval", "off");
            else j.Millis("ping_interval", interval);
            if (interval != 0 || pongTimeout != 0) j.Millis("pong_timeout", pongTimeout);
            var r = Reconnect ?? ReconnectPolicy.Off;
            j.BeginObject("reconnect").Number("max_attempts", r.MaxAttempts);
            if (r.MaxAttempts > 0)
            {
                j.Millis("initial_delay", Millis(r.InitialDelay, "InitialDelay", false));
                j.Millis("max_delay", Millis(r.MaxDelay, "MaxDelay", false));
            }
            j.EndObject();
            j.Number("send_queue_limit", (long)(ulong)Size(SendQueueLimit, "SendQueueLimit"));
            j.Number("max_message_size", (long)(ulong)Size(MaxMessageSize, "MaxMessageSize"));
            j.Bool("line_framing", LineFraming);
            j.BeginObject("tls").Bool("danger_accept_invalid_certs", DangerousAcceptAnyCertificate).EndObject();
            // Options of newer cores: written only when used, so a program that does not use
            // them runs on a core that does not know them yet.
            if (Compression == CompressionMethod.Deflate) j.Bool("compression", true);
            if (compressionThreshold.HasValue) j.Number("compression_threshold", compressionThreshold.Value);
            if (EnableRedirection) j.Number("max_redirects", MaxRedirects);
            if (proxy != null) j.String("proxy", proxy);
            if (UnixSocket != null) j.String("unix_socket", UnixSocket);
            var cookieList = cookies.Snapshot();
            if (cookieList.Length > 0)
            {
                j.BeginArray("cookies");
                foreach (var c in cookieList) j.Pair(c.Name, c.Value);
                j.EndArray();
            }
            var pins = sslConfiguration == null ? new KeyValuePair<string, string>[0] : sslConfiguration.CertificatePins;
            if (pins.Length > 0)
            {
                j.BeginArray("certificate_pins");
                foreach (var pin in pins) j.Pair(pin.Key, pin.Value);
                j.EndArray();
            }
            return j.EndObject().ToString();
        }

        private unsafe ulong BuildConfig()
        {
            var json = Encoding.UTF8.GetBytes(ConfigJson());
            ulong cfg;
            fixed (byte* p = json) Native.Check(Native.omnisock_client_config_from_json(p, (UIntPtr)json.Length, out cfg));
            try
            {
                // CA certificates go through the calls that check them (and read files) in the core.
                foreach (var pem in caPems)
                {
                    var bytes = Encoding.UTF8.GetBytes(pem);
                    fixed (byte* b = bytes) Native.Check(Native.omnisock_client_config_add_ca_pem(cfg, b, (UIntPtr)bytes.Length));
                }
                foreach (var f in caFiles)
                {
                    fixed (byte* b = Native.Utf8Z(f)) Native.Check(Native.omnisock_client_config_add_ca_file(cfg, b));
                }
                return cfg;
            }
            catch
            {
                Native.omnisock_client_config_free(cfg);
                throw;
            }
        }

        private static uint Millis(TimeSpan t, string what, bool zeroOk)
        {
            double ms = Math.Ceiling(t.TotalMilliseconds);
            if (ms < 0 || ms > uint.MaxValue || (!zeroOk && ms == 0))
                throw new ArgumentOutOfRangeException(what, t, what + " is out of range");
            return (uint)ms;
        }

        private static UIntPtr Size(long n, string what)
        {
            if (n <= 0) throw new ArgumentOutOfRangeException(what, n, what + " must be > 0");
            return (UIntPtr)(ulong)n;
        }

        // ------------------------------------------------------------------ send

        /// <summary>Queues a text message (never blocks on the network). Failures raise OnError.</summary>
        public void Send(string data)
        {
            if (data == null) throw new ArgumentNullException("data");
            int rc = SendText(data);
            if (rc != 0) QueueSendFailure(rc);
        }

        /// <summary>Queues a binary message (copied; never blocks on the network). Failures raise OnError.</summary>
        public void Send(byte[] data)
        {
            if (data == null) throw new ArgumentNullException("data");
            int rc = SendBinary(data, 0, data.Length);
            if (rc != 0) QueueSendFailure(rc);
        }

        /// <summary>Queues <paramref name="count"/> bytes of <paramref name="data"/> from <paramref name="offset"/> as one binary message.</summary>
        public void Send(byte[] data, int offset, int count)
        {
            if (data == null) throw new ArgumentNullException("data");
            if (offset < 0 || count < 0 || offset > data.Length - count) throw new ArgumentOutOfRangeException("count");
            int rc = SendBinary(data, offset, count);
            if (rc != 0) QueueSendFailure(rc);
        }

        /// <summary>
        /// Queues a text message; <paramref name="completed"/> (may be null) is called on the dispatching
        /// thread with true when the message was accepted into the send queue, false otherwise (OnError
        /// tells why).
        /// </summary>
        public void SendAsync(string data, Action<bool> completed)
        {
            if (data == null) throw new ArgumentNullException("data");
            int rc = SendText(data);
            if (rc != 0) QueueSendFailure(rc);
            if (completed != null) QueueCompletion(completed, rc == 0);
        }

        /// <summary>Queues a binary message; see <see cref="SendAsync(string, Action{bool})"/>.</summary>
        public void SendAsync(byte[] data, Action<bool> completed)
        {
            if (data == null) throw new ArgumentNullException("data");
            int rc = SendBinary(data, 0, data.Length);
            if (rc != 0) QueueSendFailure(rc);
            if (completed != null) QueueCompletion(completed, rc == 0);
        }

        /// <summary>Queues the contents of a file as one binary message. Throws ArgumentException when it cannot be read; failures to send raise OnError.</summary>
        public void Send(FileInfo fileInfo)
        {
            var data = ReadFile(fileInfo);
            if (data != null) Send(data);
        }

        /// <summary>Queues up to <paramref name="length"/> bytes read from <paramref name="stream"/> as one binary message (fewer when the stream ends first).</summary>
        public void Send(Stream stream, int length)
        {
            var data = ReadStream(stream, length);
            if (data != null) Send(data);
        }

        /// <summary>Queues the contents of a file; see <see cref="SendAsync(string, Action{bool})"/>.</summary>
        public void SendAsync(FileInfo fileInfo, Action<bool> completed)
        {
            var data = ReadFile(fileInfo);
            if (data != null) SendAsync(data, completed);
            else if (completed != null) QueueCompletion(completed, false);
        }

        /// <summary>Queues up to <paramref name="length"/> bytes of a stream; see <see cref="SendAsync(string, Action{bool})"/>.</summary>
        public void SendAsync(Stream stream, int length, Action<bool> completed)
        {
            var data = ReadStream(stream, length);
            if (data != null) SendAsync(data, completed);
            else if (completed != null) QueueCompletion(completed, false);
        }

        /// <summary>The file's bytes, or null (OnError raised) when it is bigger than the send queue.</summary>
        private byte[] ReadFile(FileInfo fileInfo)
        {
            if (fileInfo == null) throw new ArgumentNullException("fileInfo");
            ThrowIfDisposed();
            FileStream f;
            try
            {
                f = fileInfo.OpenRead();
            }
            catch (Exception e)
            {
                throw new ArgumentException("cannot open " + fileInfo.FullName + ": " + e.Message, "fileInfo", e);
            }
            using (f)
            {
                if (f.Length > SendQueueLimit || f.Length > int.MaxValue)
                {
                    QueueError(new OmnisockException(OmnisockResult.QueueFull, "cannot send " + fileInfo.FullName + ": " + f.Length + " bytes exceed the send queue limit of " + SendQueueLimit));
                    return null;
                }
                return ReadStream(f, (int)f.Length);
            }
        }

        /// <summary>Up to <paramref name="length"/> bytes of the stream, or null (OnError raised) when that is more than the send queue takes.</summary>
        private byte[] ReadStream(Stream stream, int length)
        {
            if (stream == null) throw new ArgumentNullException("stream");
            if (!stream.CanRead) throw new ArgumentException("the stream cannot be read", "stream");
            if (length < 1) throw new ArgumentException("length must be at least 1", "length");
            ThrowIfDisposed();
            if (length > SendQueueLimit)
            {
                QueueError(new OmnisockException(OmnisockResult.QueueFull, "cannot send " + length + " bytes: more than the send queue limit of " + SendQueueLimit));
                return null;
            }
            // Read in chunks: a length is a promise of the caller, not of the stream.
            var buf = new MemoryStream(Math.Min(length, 1 << 16));
            var chunk = new byte[Math.Min(length, 1 << 16)];
            while (buf.Length < length)
            {
                int n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, length - buf.Length));
                if (n <= 0) break;
                buf.Write(chunk, 0, n);
            }
            if (buf.Length == 0) throw new ArgumentException("no data could be read from the stream", "stream");
            if (buf.Length < length) log.Warn("only " + buf.Length + " of " + length + " bytes could be read from the stream");
            return buf.ToArray();
        }

        private const int NotConnected = -1;

        private unsafe int SendText(string s)
        {
            ThrowIfDisposed();
            ulong h = Handle;
            if (h == 0) return NotConnected;
            int max = s.Length * 3; // UTF-8 needs at most 3 bytes per UTF-16 code unit
            if (max <= 1024)
            {
                byte* b = stackalloc byte[max + 1];
                int n;
                fixed (char* c = s) n = Encoding.UTF8.GetBytes(c, s.Length, b, max + 1);
                return Native.omnisock_client_send_text(h, b, (UIntPtr)n);
            }
            else
            {
                int n = Encoding.UTF8.GetByteCount(s);
                byte[] buf = Native.Scratch(n + 1);
                fixed (char* c = s)
                fixed (byte* b = buf)
                {
                    Encoding.UTF8.GetBytes(c, s.Length, b, buf.Length);
                    return Native.omnisock_client_send_text(h, b, (UIntPtr)n);
                }
            }
        }

        private unsafe int SendBinary(byte[] data, int offset, int count)
        {
            ThrowIfDisposed();
            ulong h = Handle;
            if (h == 0) return NotConnected;
            fixed (byte* b = data)
            {
                // A zero-length array pins as null; the library accepts NULL with length 0.
                return Native.omnisock_client_send_binary(h, b == null ? null : b + offset, (UIntPtr)count);
            }
        }

        private void QueueSendFailure(int rc)
        {
            Exception e;
            if (rc == NotConnected)
                e = new InvalidOperationException("cannot send: not connected (call Connect first)");
            else if (rc == (int)OmnisockResult.InvalidHandle)
                e = new OmnisockException(OmnisockResult.Closed, "cannot send: the connection is closed");
            else
                e = Native.Exception(rc, Native.LastError());
            QueueError(e);
        }

        private void QueueError(Exception e)
        {
            lock (pumpLock)
            {
                pending.Enqueue(new Pending { Kind = Native.EVENT_ERROR, Text = e.Message, Error = e });
            }
            Dispatcher.Register(this);
            Dispatcher.Wake();
        }

        private void QueueCompletion(Action<bool> completed, bool ok)
        {
            lock (pumpLock)
            {
                pending.Enqueue(new Pending { Kind = KindSendResult, Flag = ok, Callback = completed });
            }
            Dispatcher.Register(this);
            Dispatcher.Wake();
        }

        // ------------------------------------------------------------------ ping

        /// <summary>Sends a ping and waits (up to <see cref="WaitTime"/>) for its pong; false if none came or not open.</summary>
        public bool Ping()
        {
            return PingCore(null);
        }

        /// <summary>Sends a ping carrying <paramref name="message"/> (at most 117 UTF-8 bytes) and waits for its pong.</summary>
        public bool Ping(string message)
        {
            if (message == null) throw new ArgumentNullException("message");
            if (Encoding.UTF8.GetByteCount(message) > 117) throw new ArgumentException("a ping message has at most 117 bytes", "message");
            return PingCore(message);
        }

        private unsafe bool PingCore(string message)
        {
            ThrowIfDisposed();
            ulong h = Handle;
            if (h == 0 || ReadyState != WebSocketState.Open) return false;
            // The payload starts with a unique 8-byte id the pong echoes back.
            long id = Interlocked.Increment(ref pingCounter);
            var extra = message == null ? Native.EmptyBytes : Encoding.UTF8.GetBytes(message);
            byte* p = stackalloc byte[8 + extra.Length];
            *(long*)p = id;
            for (int i = 0; i < extra.Length; i++) p[8 + i] = extra[i];
            if (Native.omnisock_client_ping(h, p, (UIntPtr)(8 + extra.Length)) != 0) return false;
            return WaitFor(h, () => Interlocked.Read(ref lastPong) >= id || ReadyState != WebSocketState.Open, WaitTime)
                && Interlocked.Read(ref lastPong) >= id;
        }

        // ------------------------------------------------------------------ close

        /// <summary>Closes with 1000 and waits for the closing handshake (bounded). OnClose follows on the dispatching thread.</summary>
        public void Close()
        {
            CloseCore(1000, null, true);
        }

        /// <summary>Closes with <paramref name="code"/> (1000-1003, 1007-1011, 3000-4999) and waits for the closing handshake.</summary>
        public void Close(ushort code)
        {
            CloseCore(code, null, true);
        }

        public void Close(CloseStatusCode code)
        {
            CloseCore((ushort)code, null, true);
        }

        /// <summary>Closes with a code and a reason (at most 123 UTF-8 bytes) and waits for the closing handshake.</summary>
        public void Close(ushort code, string reason)
        {
            CloseCore(code, reason, true);
        }

        public void Close(CloseStatusCode code, string reason)
        {
            CloseCore((ushort)code, reason, true);
        }

        /// <summary>Starts the closing handshake (code 1000) and returns at once.</summary>
        public void CloseAsync()
        {
            CloseCore(1000, null, false);
        }

        public void CloseAsync(ushort code)
        {
            CloseCore(code, null, false);
        }

        public void CloseAsync(CloseStatusCode code)
        {
            CloseCore((ushort)code, null, false);
        }

        public void CloseAsync(ushort code, string reason)
        {
            CloseCore(code, reason, false);
        }

        public void CloseAsync(CloseStatusCode code, string reason)
        {
            CloseCore((ushort)code, reason, false);
        }

        private unsafe void CloseCore(ushort code, string reason, bool wait)
        {
            if (disposed) return;
            // websocket-sharp's Close() sends "no status"; a close frame cannot carry 1005, so send 1000.
            if (code == (ushort)CloseStatusCode.NoStatus && string.IsNullOrEmpty(reason)) code = 1000;
            ulong h = Handle;
            if (h == 0) return; // never connected, or already closed and released
            int rc;
            fixed (byte* r = Native.Utf8Z(reason)) rc = Native.omnisock_client_close(h, code, r);
            if (rc == (int)OmnisockResult.InvalidArgument) throw new ArgumentException(Native.LastError());
            // Closed / InvalidHandle: already closing or closed, nothing to do but (maybe) wait.
            if (wait)
            {
                WaitFor(h, () => ReadyState == WebSocketState.Closed, TimeSpan.FromSeconds(5) + WaitTime);
            }
        }

        // ------------------------------------------------------------------ dispatch

        /// <summary>
        /// Raises the queued events of this socket on the calling thread (at most MaxEventsPerDispatch).
        /// In Unity the OmnisockDispatcher calls this for you in Update().
        /// </summary>
        public void DispatchMessageQueue()
        {
            ((IDispatchable)this).DispatchQueued();
        }

        /// <summary>
        /// Blocks up to <paramref name="millisecondsTimeout"/> until events are queued for
        /// DispatchMessageQueue; true if there are. For hosts with their own loop (not for Unity's
        /// main thread).
        /// </summary>
        public bool WaitForEvents(int millisecondsTimeout)
        {
            if (millisecondsTimeout < 0) throw new ArgumentOutOfRangeException("millisecondsTimeout");
            lock (pumpLock)
            {
                if (pending.Count > 0) return true;
            }
            ulong h = Handle;
            byte ready;
            return h != 0 && Native.omnisock_client_wait(h, (uint)millisecondsTimeout, out ready) == 0 && ready != 0;
        }

        bool IDispatchable.DispatchQueued()
        {
            if (disposed) return false;
            lock (dispatchLock)
            {
                int max = Math.Max(1, MaxEventsPerDispatch);
                ulong h = Handle;
                bool more = h != 0 && Pump(h, max);
                int n;
                lock (pumpLock) n = Math.Min(pending.Count, max);
                for (int i = 0; i < n && !disposed; i++)
                {
                    Pending ev;
                    lock (pumpLock)
                    {
                        if (pending.Count == 0) break;
                        ev = pending.Dequeue();
                    }
                    Fire(ref ev);
                }
                lock (pumpLock)
                {
                    if (pending.Count > 0) more = true;
                    else if (Handle == 0) Dispatcher.Unregister(this);
                }
                return more;
            }
        }

        /// <summary>Moves native events into the managed queue (copying them); true if max was reached.</summary>
        private unsafe bool Pump(ulong h, int max)
        {
            lock (pumpLock)
            {
                var buf = pollBuffer ?? (pollBuffer = new Native.Event[BatchSize]);
                int total = 0;
                fixed (Native.Event* evs = buf)
                {
                    while (total < max)
                    {
                        UIntPtr got;
                        int want = Math.Min(BatchSize, max - total);
                        if (Native.omnisock_client_poll(h, evs, (UIntPtr)want, out got) != 0) return false;
                        int n = (int)(ulong)got;
                        for (int i = 0; i < n; i++) Copy(evs + i, h);
                        total += n;
                        if (n < want) return false;
                    }
                }
                return true;
            }
        }

        private unsafe void Copy(Native.Event* e, ulong h)
        {
            var p = new Pending { Kind = e->Kind, Code = (int)e->Code, Handle = h };
            switch (e->Kind)
            {
                case Native.EVENT_TEXT:
                    p.Text = Native.String(e->Data, e->DataLen);
                    break;
                case Native.EVENT_BINARY:
                    p.Bytes = Native.Bytes(e->Data, e->DataLen);
                    break;
                case Native.EVENT_PONG:
                    if ((ulong)e->DataLen >= 8)
                    {
                        long id = *(long*)e->Data;
                        if (id > Interlocked.Read(ref lastPong)) Interlocked.Exchange(ref lastPong, id);
                    }
                    return; // answered pings are not events
                case Native.EVENT_OPEN:
                    p.Headers = Native.String(e->Headers, e->HeadersLen);
                    goto case Native.EVENT_CLOSE;
                case Native.EVENT_CLOSE:
                case Native.EVENT_ERROR:
                case Native.EVENT_RECONNECTING:
                    p.Text = Native.String(e->Data, e->DataLen);
                    p.Flag = (e->Flags & Native.EVENT_FLAG_CLEAN) != 0;
                    p.Delay = (long)e->DelayMs;
                    Interlocked.Increment(ref outcomes);
                    break;
                default:
                    return; // kinds added to the C ABI later are ignored
            }
            pending.Enqueue(p);
        }

        private void Fire(ref Pending ev)
        {
            try
            {
                switch (ev.Kind)
                {
                    case Native.EVENT_TEXT:
                        {
                            var handler = OnMessage;
                            if (handler != null) handler(this, new MessageEventArgs(ev.Text));
                            break;
                        }
                    case Native.EVENT_BINARY:
                        {
                            var handler = OnMessage;
                            if (handler != null) handler(this, new MessageEventArgs(ev.Bytes));
                            break;
                        }
                    case Native.EVENT_OPEN:
                        {
                            protocol = ev.Text;
                            responseHeaders = ParseHeaders(ev.Headers);
                            if (log.Enabled(LogLevel.Debug)) log.Debug("open: " + url + (protocol.Length > 0 ? " (" + protocol + ")" : ""));
                            if (log.Enabled(LogLevel.Trace)) log.Trace("handshake response headers:\n" + ev.Headers);
                            var handler = OnOpen;
                            if (handler != null) handler(this, EventArgs.Empty);
                            break;
                        }
                    case Native.EVENT_ERROR:
                        {
                            var e = ev.Error ?? new OmnisockException((OmnisockResult)ev.Code, ev.Text);
                            log.Error(ev.Text);
                            RaiseError(ev.Text, e);
                            break;
                        }
                    case Native.EVENT_RECONNECTING:
                        {
                            var handler = OnReconnecting;
                            if (handler != null) handler(this, new ReconnectingEventArgs(ev.Code, TimeSpan.FromMilliseconds(ev.Delay), ev.Text));
                            break;
                        }
                    case Native.EVENT_CLOSE:
                        {
                            Release(ev.Handle);
                            if (log.Enabled(LogLevel.Debug)) log.Debug("closed: " + ev.Code + (string.IsNullOrEmpty(ev.Text) ? "" : " " + ev.Text));
                            var handler = OnClose;
                            if (handler != null) handler(this, new CloseEventArgs((ushort)ev.Code, ev.Text, ev.Flag));
                            break;
                        }
                    case KindSendResult:
                        ev.Callback(ev.Flag);
                        break;
                }
            }
            catch (Exception e)
            {
                // websocket-sharp reports exceptions from handlers through OnError.
                if (ev.Kind == Native.EVENT_ERROR) ReportUnhandled(e);
                else RaiseError("an event handler threw: " + e.Message, e);
            }
        }

        /// <summary>"Name: value\r\n" lines (the core's form) as a collection; a repeated name keeps every value.</summary>
        internal static NameValueCollection ParseHeaders(string lines)
        {
            var c = new NameValueCollection(StringComparer.OrdinalIgnoreCase);
            if (string.IsNullOrEmpty(lines)) return c;
            foreach (var line in lines.Split(new[] { "\r\n" }, StringSplitOptions.RemoveEmptyEntries))
            {
                int colon = line.IndexOf(':');
                if (colon <= 0) continue;
                c.Add(line.Substring(0, colon).Trim(), line.Substring(colon + 1).Trim());
            }
            return c;
        }

        private void RaiseError(string message, Exception e)
        {
            var handler = OnError;
            if (handler == null) return;
            try
            {
                handler(this, new ErrorEventArgs(message, e));
            }
            catch (Exception inner)
            {
                ReportUnhandled(inner);
            }
        }

        internal static void ReportUnhandled(Exception e)
        {
#if UNITY_5_3_OR_NEWER
            UnityEngine.Debug.LogException(e);
#else
            Console.Error.WriteLine("omnisock: unhandled exception in an event handler: " + e);
#endif
        }

        /// <summary>The final CLOSE of handle <paramref name="h"/> was delivered: free the native client.</summary>
        private void Release(ulong h)
        {
            lock (stateLock)
            {
                if (Handle != h) return;
                cachedState = (int)WebSocketState.Closed;
                Interlocked.Exchange(ref handle, 0);
            }
            Native.omnisock_client_free(h);
        }

        /// <summary>Pumps events of <paramref name="h"/> until <paramref name="done"/> or the timeout; returns done().</summary>
        private bool WaitFor(ulong h, Func<bool> done, TimeSpan timeout)
        {
            var sw = Stopwatch.StartNew();
            while (true)
            {
                Pump(h, int.MaxValue);
                if (done()) return true;
                long left = (long)(timeout - sw.Elapsed).TotalMilliseconds;
                if (left <= 0) return done();
                byte ready;
                if (Native.omnisock_client_wait(h, (uint)Math.Min(left, 100), out ready) != 0) return done();
            }
        }

        ulong IDispatchable.NativeHandle()
        {
            return Handle;
        }

        void IDispatchable.Abort()
        {
            lock (stateLock)
            {
                ulong h = (ulong)Interlocked.Exchange(ref handle, 0);
                cachedState = (int)WebSocketState.Closed;
                if (h != 0) Native.omnisock_client_free(h);
            }
            lock (pumpLock) pending.Clear();
            Dispatcher.Unregister(this);
        }

        // ------------------------------------------------------------------ dispose

        /// <summary>
        /// Closes (1001, waiting for the handshake like Close) and releases the native connection.
        /// With the background dispatcher (outside Unity) OnClose is raised before it returns (it
        /// waits at most 1 s for that). No event is raised afterwards. Calling it again does nothing.
        /// </summary>
        public void Dispose()
        {
            ulong h;
            lock (stateLock)
            {
                if (disposed) return;
                h = Handle;
            }
            if (h != 0)
            {
                var s = ReadyState;
                if (s == WebSocketState.Open || s == WebSocketState.Connecting) CloseCore((ushort)CloseStatusCode.Away, null, true);
                AwaitCloseOnDispatcherThread();
            }
            lock (stateLock)
            {
                disposed = true;
                h = (ulong)Interlocked.Exchange(ref handle, 0);
                cachedState = (int)WebSocketState.Closed;
            }
            lock (dispatchLock)
            {
                if (h != 0) Native.omnisock_client_free(h);
                lock (pumpLock) pending.Clear();
            }
            Dispatcher.Unregister(this);
            GC.SuppressFinalize(this);
        }

        /// <summary>
        /// With the background dispatcher (outside Unity), gives it a moment (at most 1 s) to raise
        /// OnClose before Dispose drops what is left: websocket-sharp raises OnClose on Dispose.
        /// </summary>
        private void AwaitCloseOnDispatcherThread()
        {
            if (!Dispatcher.BackgroundThreadRunning || Thread.CurrentThread.ManagedThreadId == Dispatcher.BackgroundThreadId) return;
            Dispatcher.Wake();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 1000 && Handle != 0 && sw.ElapsedMilliseconds < 1000; i++) Thread.Sleep(1);
        }

        private void ThrowIfDisposed()
        {
            if (disposed) throw new ObjectDisposedException("WebSocket");
        }
    }
}
