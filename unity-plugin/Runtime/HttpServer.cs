using System;
using System.IO;
using IPAddress = System.Net.IPAddress;
using Omnisock.Net;

namespace Omnisock.Server
{
    /// <summary>
    /// websocket-sharp's HttpServer over an in-process omnisock <see cref="Hub"/>: WebSocket services
    /// (<see cref="WebSocketServer.AddWebSocketService{T}(string)"/>) and plain HTTP GET requests on
    /// the same port. A GET (or HEAD) request that is not a WebSocket upgrade raises <see cref="OnGet"/>
    /// on the dispatcher thread; the handler fills <see cref="HttpRequestEventArgs.Response"/> and the
    /// response is sent when it calls Close or returns. The core answers the other methods itself (405),
    /// so OnPost, OnPut, OnDelete and the rest throw <see cref="NotSupportedException"/>. A HEAD request
    /// raises OnGet too (the request does not tell them apart); the core sends only the headers.
    /// A plain GET on a service path is answered 426 by the core unless that service decides its
    /// handshakes (validators, responders), in which case it reaches OnGet. https is not offered.
    /// </summary>
    public class HttpServer : WebSocketServer
    {
        private string documentRootPath = "./Public";

        /// <summary>A server on every IPv4 address at <paramref name="port"/> (0 picks a free port).</summary>
        public HttpServer(int port) : this(IPAddress.Any, port) { }

        /// <summary>As <see cref="HttpServer(int)"/>; <paramref name="secure"/> true (https) is not supported and throws.</summary>
        public HttpServer(int port, bool secure) : this(IPAddress.Any, port, secure) { }

        /// <summary>A server on <paramref name="address"/> at <paramref name="port"/>.</summary>
        public HttpServer(IPAddress address, int port) : this(address, port, false) { }

        /// <summary>As <see cref="HttpServer(IPAddress, int)"/>; <paramref name="secure"/> true (https) is not supported and throws.</summary>
        public HttpServer(IPAddress address, int port, bool secure) : base(address, port)
        {
            if (secure) throw new NotSupportedException("https needs a certificate: use Hub with HubOptions.TlsCertificateFile");
            PlainRequestHandler = Serve;
        }

        /// <summary>A server at "http://host:port" (host: an IP address or localhost); https:// is not supported.</summary>
        public HttpServer(string url) : this(UrlAddress(url, "http"), ParseUrl(url, "http").Port) { }

        /// <summary>
        /// The folder <see cref="HttpRequestEventArgs.TryReadFile"/> reads from ("./Public" by default,
        /// relative to the current directory). Not empty, not "/" or "\".
        /// </summary>
        public string DocumentRootPath
        {
            get { return documentRootPath; }
            set
            {
                if (value == null) throw new ArgumentNullException("value");
                if (value.Length == 0) throw new ArgumentException("an empty string", "value");
                var v = value.TrimEnd('/', '\\');
                if (v.Length == 0) throw new ArgumentException("an absolute root", "value");
                documentRootPath = v;
            }
        }

        /// <summary>A plain GET (or HEAD) request; without a handler the answer is 501 Not Implemented.</summary>
        public event EventHandler<HttpRequestEventArgs> OnGet;

        /// <summary>Not supported: the core answers POST requests 405 itself.</summary>
        public event EventHandler<HttpRequestEventArgs> OnPost { add { throw Unsupported("POST"); } remove { } }
        /// <summary>Not supported: the core answers PUT requests 405 itself.</summary>
        public event EventHandler<HttpRequestEventArgs> OnPut { add { throw Unsupported("PUT"); } remove { } }
        /// <summary>Not supported: the core answers DELETE requests 405 itself.</summary>
        public event EventHandler<HttpRequestEventArgs> OnDelete { add { throw Unsupported("DELETE"); } remove { } }
        /// <summary>Not supported: the core answers OPTIONS requests 405 itself.</summary>
        public event EventHandler<HttpRequestEventArgs> OnOptions { add { throw Unsupported("OPTIONS"); } remove { } }
        /// <summary>Not supported: the core answers PATCH requests 405 itself.</summary>
        public event EventHandler<HttpRequestEventArgs> OnPatch { add { throw Unsupported("PATCH"); } remove { } }
        /// <summary>Not supported: the core answers TRACE requests 405 itself.</summary>
        public event EventHandler<HttpRequestEventArgs> OnTrace { add { throw Unsupported("TRACE"); } remove { } }
        /// <summary>Not supported: the core answers CONNECT requests 405 itself.</summary>
        public event EventHandler<HttpRequestEventArgs> OnConnect { add { throw Unsupported("CONNECT"); } remove { } }
        /// <summary>Not supported: HEAD requests raise <see cref="OnGet"/> (the core sends only the headers).</summary>
        public event EventHandler<HttpRequestEventArgs> OnHead { add { throw new NotSupportedException("HEAD requests raise OnGet; the core sends only the headers"); } remove { } }

        private static NotSupportedException Unsupported(string method)
        {
            return new NotSupportedException("omnisock's HttpServer serves GET and HEAD only; the core answers " + method + " requests 405 Method Not Allowed");
        }

        /// <summary>Runs OnGet for one plain request and sends its response (500 if the handler throws).</summary>
        private void Serve(Hub hub, HubHandshakeEventArgs e)
        {
            var request = new HttpListenerRequest(e.Path, e.Query, e.Headers, e.RemoteAddress);
            var response = new HttpListenerResponse((status, headers, body) => hub.Respond(e.ConnectionId, status, headers, body));
            var args = new HttpRequestEventArgs(request, response, documentRootPath);
            var handler = OnGet;
            try
            {
                if (handler == null) response.StatusCode = (int)HttpStatusCode.NotImplemented;
                else handler(this, args);
            }
            catch (Exception ex)
            {
                Log.Error("OnGet for " + request.RawUrl + " threw: " + ex);
                response.Abort((int)HttpStatusCode.InternalServerError);
            }
            try
            {
                response.Close();
            }
            catch (OmnisockException ex)
            {
                Log.Debug("request " + e.ConnectionId + " for " + request.RawUrl + " went away: " + ex.Message);
            }
        }
    }

    /// <summary>One plain HTTP request of an <see cref="HttpServer"/>: the request, its response, and file reading under the document root.</summary>
    public class HttpRequestEventArgs : EventArgs
    {
        private readonly string documentRoot;

        internal HttpRequestEventArgs(HttpListenerRequest request, HttpListenerResponse response, string documentRoot)
        {
            Request = request;
            Response = response;
            this.documentRoot = documentRoot;
        }

        /// <summary>The request.</summary>
        public HttpListenerRequest Request { get; private set; }
        /// <summary>The response, sent when the handler calls Close or returns.</summary>
        public HttpListenerResponse Response { get; private set; }

        /// <summary>
        /// Reads the file at <paramref name="path"/> (a URL path such as "/index.html") under the
        /// server's DocumentRootPath. False when there is no such file. A path with ".." throws
        /// ArgumentException, as in websocket-sharp.
        /// </summary>
        public bool TryReadFile(string path, out byte[] contents)
        {
            contents = null;
            var full = FilePath(path);
            if (!File.Exists(full)) return false;
            contents = File.ReadAllBytes(full);
            return true;
        }

        /// <summary>The file at <paramref name="path"/> under DocumentRootPath, or null (see <see cref="TryReadFile"/>).</summary>
        public byte[] ReadFile(string path)
        {
            byte[] contents;
            return TryReadFile(path, out contents) ? contents : null;
        }

        private string FilePath(string path)
        {
            if (path == null) throw new ArgumentNullException("path");
            if (path.Length == 0) throw new ArgumentException("an empty string", "path");
            if (path.IndexOf("..", StringComparison.Ordinal) >= 0) throw new ArgumentException("it contains '..'", "path");
            var relative = path.TrimStart('/', '\\').Replace('/', Path.DirectorySeparatorChar);
            return Path.Combine(documentRoot, relative);
        }
    }
}
