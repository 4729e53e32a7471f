using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.IO;
using System.Net;
using System.Text;

namespace Omnisock.Net
{
    /// <summary>A plain HTTP request served by <see cref="Omnisock.Server.HttpServer"/> (websocket-sharp's names).</summary>
    public sealed class HttpListenerRequest
    {
        private readonly NameValueCollection headers;
        private readonly NameValueCollection query;

        internal HttpListenerRequest(string path, string query, string headerLines, string remote)
        {
            RawUrl = string.IsNullOrEmpty(query) ? path : path + "?" + query;
            headers = WebSocket.ParseHeaders(headerLines);
            this.query = Omnisock.Net.WebSockets.WebSocketContext.ParseQuery(query);
            RemoteEndPoint = ParseEndPoint(remote);
        }

        /// <summary>Always "GET": the request does not say whether it was GET or HEAD (HEAD gets the headers only).</summary>
        public string HttpMethod { get { return "GET"; } }
        /// <summary>The path and query as requested, e.g. "/index.html?x=1".</summary>
        public string RawUrl { get; private set; }
        /// <summary>The request headers.</summary>
        public NameValueCollection Headers { get { return headers; } }
        /// <summary>The query parameters, percent-decoded.</summary>
        public NameValueCollection QueryString { get { return query; } }
        /// <summary>The Host header ("" when absent).</summary>
        public string UserHostName { get { return headers["Host"] ?? string.Empty; } }
        /// <summary>The User-Agent header, or null.</summary>
        public string UserAgent { get { return headers["User-Agent"]; } }
        /// <summary>"http://" + Host + RawUrl (null when the Host header is missing or malformed).</summary>
        public Uri Url
        {
            get
            {
                Uri u;
                return UserHostName.Length > 0 && Uri.TryCreate("http://" + UserHostName + RawUrl, UriKind.Absolute, out u) ? u : null;
            }
        }
        /// <summary>The peer's address and port (null when not an IP endpoint, e.g. a Unix socket).</summary>
        public IPEndPoint RemoteEndPoint { get; private set; }

        private static IPEndPoint ParseEndPoint(string remote)
        {
            if (string.IsNullOrEmpty(remote)) return null;
            var colon = remote.LastIndexOf(':');
            if (colon <= 0) return null;
            IPAddress ip;
            int port;
            if (!IPAddress.TryParse(remote.Substring(0, colon).Trim('[', ']'), out ip)) return null;
            if (!int.TryParse(remote.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > IPEndPoint.MaxPort) return null;
            return new IPEndPoint(ip, port);
        }
    }

    /// <summary>
    /// The response to an <see cref="HttpListenerRequest"/> (websocket-sharp's names): status, content
    /// type and encoding, headers, and a body written to <see cref="OutputStream"/> or given to
    /// <see cref="Close(byte[], bool)"/>. It is sent once, on Close (or when the handler returns).
    /// Content-Length is always the body's length.
    /// </summary>
    public sealed class HttpListenerResponse
    {
        internal delegate void Sender(int status, List<KeyValuePair<string, string>> headers, byte[] body);

        private readonly Sender send;
        private readonly NameValueCollection headers = new NameValueCollection(StringComparer.OrdinalIgnoreCase);
        private readonly MemoryStream output = new MemoryStream();
        private int statusCode = 200;
        private bool sent;

        internal HttpListenerResponse(Sender send)
        {
            this.send = send;
        }

        /// <summary>The status code (200 by default; 200-599).</summary>
        public int StatusCode
        {
            get { return statusCode; }
            set
            {
                if (value < 200 || value > 599) throw new ArgumentOutOfRangeException("value", value, "omnisock sends a status 200-599");
                CheckOpen();
                statusCode = value;
            }
        }
        /// <summary>The Content-Type header (null for none).</summary>
        public string ContentType { get; set; }
        /// <summary>Added to <see cref="ContentType"/> as "; charset=..." when the type names no charset.</summary>
        public Encoding ContentEncoding { get; set; }
        /// <summary>Accepted for websocket-sharp programs: the Content-Length sent is always the body's length.</summary>
        public long ContentLength64 { get; set; }
        /// <summary>Extra headers (a name may hold several values, e.g. Set-Cookie).</summary>
        public NameValueCollection Headers { get { return headers; } }
        /// <summary>The body written so far; sent on <see cref="Close()"/>.</summary>
        public Stream OutputStream { get { return output; } }
        /// <summary>Whether the response has been sent.</summary>
        public bool IsSent { get { return sent; } }

        /// <summary>Adds a header value (a repeated name keeps both values).</summary>
        public void AppendHeader(string name, string value)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("an empty header name", "name");
            headers.Add(name, value ?? string.Empty);
        }

        /// <summary>Sets a header, replacing its values.</summary>
        public void AddHeader(string name, string value)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("an empty header name", "name");
            headers.Set(name, value ?? string.Empty);
        }

        /// <summary>Redirects with 302 Found to <paramref name="url"/> (an absolute URL).</summary>
        public void Redirect(string url)
        {
            Uri u;
            if (url == null || !Uri.TryCreate(url, UriKind.Absolute, out u)) throw new ArgumentException("not an absolute URL: " + url, "url");
            StatusCode = (int)HttpStatusCode.Found;
            headers.Set("Location", url);
        }

        /// <summary>Sends the response with the body written to <see cref="OutputStream"/>. Does nothing once sent.</summary>
        public void Close()
        {
            if (sent) return;
            sent = true;
            var list = new List<KeyValuePair<string, string>>();
            var type = ContentType;
            if (type != null)
            {
                if (ContentEncoding != null && type.IndexOf("charset=", StringComparison.OrdinalIgnoreCase) < 0)
                    type += "; charset=" + ContentEncoding.WebName;
                list.Add(new KeyValuePair<string, string>("Content-Type", type));
            }
            foreach (string name in headers.AllKeys)
                foreach (var v in headers.GetValues(name) ?? new string[0])
                    list.Add(new KeyValuePair<string, string>(name, v));
            send(statusCode, list, output.ToArray());
        }

        /// <summary>Sends the response with <paramref name="responseEntity"/> as the body (<paramref name="willBlock"/> is ignored: the body is queued at once).</summary>
        public void Close(byte[] responseEntity, bool willBlock)
        {
            if (responseEntity == null) throw new ArgumentNullException("responseEntity");
            CheckOpen();
            output.SetLength(0);
            output.Write(responseEntity, 0, responseEntity.Length);
            ContentLength64 = responseEntity.LongLength;
            Close();
        }

        /// <summary>Drops what the handler set and answers <paramref name="status"/> with no body (unless already sent).</summary>
        internal void Abort(int status)
        {
            if (sent) return;
            statusCode = status;
            ContentType = null;
            headers.Clear();
            output.SetLength(0);
        }

        private void CheckOpen()
        {
            if (sent) throw new InvalidOperationException("the response has been sent");
        }
    }

    /// <summary>HTTP status codes (websocket-sharp's Net.HttpStatusCode, same names and values as System.Net's).</summary>
    public enum HttpStatusCode
    {
        /// <summary>100</summary>
        Continue = 100,
        /// <summary>101</summary>
        SwitchingProtocols = 101,
        /// <summary>200</summary>
        OK = 200,
        /// <summary>201</summary>
        Created = 201,
        /// <summary>202</summary>
        Accepted = 202,
        /// <summary>203</summary>
        NonAuthoritativeInformation = 203,
        /// <summary>204</summary>
        NoContent = 204,
        /// <summary>205</summary>
        ResetContent = 205,
        /// <summary>206</summary>
        PartialContent = 206,
        /// <summary>300</summary>
        MultipleChoices = 300,
        /// <summary>300</summary>
        Ambiguous = 300,
        /// <summary>301</summary>
        MovedPermanently = 301,
        /// <summary>301</summary>
        Moved = 301,
        /// <summary>302</summary>
        Found = 302,
        /// <summary>302</summary>
        Redirect = 302,
        /// <summary>303</summary>
        SeeOther = 303,
        /// <summary>303</summary>
        RedirectMethod = 303,
        /// <summary>304</summary>
        NotModified = 304,
        /// <summary>305</summary>
        UseProxy = 305,
        /// <summary>306</summary>
        Unused = 306,
        /// <summary>307</summary>
        TemporaryRedirect = 307,
        /// <summary>307</summary>
        RedirectKeepVerb = 307,
        /// <summary>400</summary>
        BadRequest = 400,
        /// <summary>401</summary>
        Unauthorized = 401,
        /// <summary>402</summary>
        PaymentRequired = 402,
        /// <summary>403</summary>
        Forbidden = 403,
        /// <summary>404</summary>
        NotFound = 404,
        /// <summary>405</summary>
        MethodNotAllowed = 405,
        /// <summary>406</summary>
        NotAcceptable = 406,
        /// <summary>407</summary>
        ProxyAuthenticationRequired = 407,
        /// <summary>408</summary>
        RequestTimeout = 408,
        /// <summary>409</summary>
        Conflict = 409,
        /// <summary>410</summary>
        Gone = 410,
        /// <summary>411</summary>
        LengthRequired = 411,
        /// <summary>412</summary>
        PreconditionFailed = 412,
        /// <summary>413</summary>
        RequestEntityTooLarge = 413,
        /// <summary>414</summary>
        RequestUriTooLong = 414,
        /// <summary>415</summary>
        UnsupportedMediaType = 415,
        /// <summary>416</summary>
        RequestedRangeNotSatisfiable = 416,
        /// <summary>417</summary>
        ExpectationFailed = 417,
        /// <summary>500</summary>
        InternalServerError = 500,
        /// <summary>501</summary>
        NotImplemented = 501,
        /// <summary>502</summary>
        BadGateway = 502,
        /// <summary>503</summary>
        ServiceUnavailable = 503,
        /// <summary>504</summary>
        GatewayTimeout = 504,
        /// <summary>505</summary>
        HttpVersionNotSupported = 505,
    }
}
