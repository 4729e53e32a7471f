using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.Net;

namespace Omnisock.Net.WebSockets
{
    /// <summary>
    /// What the server knows about one WebSocket connection's handshake request (websocket-sharp's
    /// WebSocketContext): the request URI, query, headers, cookies and the client's address.
    /// </summary>
    public sealed class WebSocketContext
    {
        private readonly NameValueCollection headers;
        private readonly NameValueCollection query;
        private readonly string remote;

        internal WebSocketContext(string path, string query, string headerLines, string remote, bool secure)
        {
            headers = WebSocket.ParseHeaders(headerLines);
            this.query = ParseQuery(query);
            this.remote = remote ?? string.Empty;
            IsSecureConnection = secure;
            var host = headers["Host"];
            if (string.IsNullOrEmpty(host)) host = "localhost";
            Uri uri;
            Uri.TryCreate((secure ? "wss://" : "ws://") + host + path + (string.IsNullOrEmpty(query) ? "" : "?" + query), UriKind.Absolute, out uri);
            RequestUri = uri;
        }

        /// <summary>The request URI (ws:// or wss://, Host header, path and query); null if they do not form a valid URI.</summary>
        public Uri RequestUri { get; private set; }
        /// <summary>The handshake request headers.</summary>
        public NameValueCollection Headers { get { return headers; } }
        /// <summary>The query parameters (percent-decoded; "+" reads as a space).</summary>
        public NameValueCollection QueryString { get { return query; } }
        /// <summary>The Host header.</summary>
        public string Host { get { return headers["Host"]; } }
        /// <summary>The Origin header (null when absent).</summary>
        public string Origin { get { return headers["Origin"]; } }
        /// <summary>The Sec-WebSocket-Key header.</summary>
        public string SecWebSocketKey { get { return headers["Sec-WebSocket-Key"]; } }
        /// <summary>The Sec-WebSocket-Version header.</summary>
        public string SecWebSocketVersion { get { return headers["Sec-WebSocket-Version"]; } }
        /// <summary>The subprotocols the client offered, in its order.</summary>
        public IEnumerable<string> SecWebSocketProtocols
        {
            get
            {
                var v = headers["Sec-WebSocket-Protocol"];
                if (string.IsNullOrEmpty(v)) yield break;
                foreach (var p in v.Split(','))
                {
                    var t = p.Trim();
                    if (t.Length > 0) yield return t;
                }
            }
        }
        /// <summary>Whether the connection came over TLS.</summary>
        public bool IsSecureConnection { get; private set; }
        /// <summary>Whether the client connected from a loopback address.</summary>
        public bool IsLocal
        {
            get { var ep = UserEndPoint; return ep != null && IPAddress.IsLoopback(ep.Address); }
        }

        /// <summary>The client's address and port (null if the core reported none).</summary>
        public IPEndPoint UserEndPoint
        {
            get
            {
                int colon = remote.LastIndexOf(':');
                if (colon <= 0) return null;
                IPAddress ip;
                int port;
                var host = remote.Substring(0, colon).Trim('[', ']');
                if (!IPAddress.TryParse(host, out ip) || !int.TryParse(remote.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
                    || port > IPEndPoint.MaxPort)
                    return null;
                return new IPEndPoint(ip, port);
            }
        }

        /// <summary>The cookies of the request's Cookie header.</summary>
        public CookieCollection CookieCollection
        {
            get
            {
                var c = new CookieCollection();
                var values = headers.GetValues("Cookie");
                if (values == null) return c;
                foreach (var line in values)
                {
                    foreach (var pair in line.Split(';'))
                    {
                        int eq = pair.IndexOf('=');
                        if (eq <= 0) continue;
                        try
                        {
                            c.Add(new Cookie(pair.Substring(0, eq).Trim(), pair.Substring(eq + 1).Trim()));
                        }
                        catch (ArgumentException)
                        {
                            // a malformed pair is skipped, as browsers do
                        }
                    }
                }
                return c;
            }
        }

        internal static NameValueCollection ParseQuery(string q)
        {
            var c = new NameValueCollection(StringComparer.OrdinalIgnoreCase);
            if (string.IsNullOrEmpty(q)) return c;
            if (q[0] == '?') q = q.Substring(1);
            foreach (var part in q.Split('&'))
            {
                if (part.Length == 0) continue;
                int eq = part.IndexOf('=');
                var name = eq < 0 ? part : part.Substring(0, eq);
                var value = eq < 0 ? string.Empty : part.Substring(eq + 1);
                c.Add(Decode(name), Decode(value));
            }
            return c;
        }

        private static string Decode(string s)
        {
            try
            {
                return Uri.UnescapeDataString(s.Replace('+', ' '));
            }
            catch (UriFormatException)
            {
                return s;
            }
        }
    }
}
