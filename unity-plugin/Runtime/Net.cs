// HTTP-side types under websocket-sharp's WebSocketSharp.Net names (cookies, credentials, the
// client TLS settings), so `using WebSocketSharp.Net;` becomes `using Omnisock.Net;`.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;

namespace Omnisock.Net
{
    /// <summary>An HTTP cookie: sent by a client with <see cref="WebSocket.SetCookie"/>, received in <see cref="WebSocket.HandshakeResponseCookies"/>.</summary>
    public sealed class Cookie
    {
        private string name;
        private string value;

        /// <summary>A cookie with a name (letters, digits and RFC 6265 token characters) and a value.</summary>
        public Cookie(string name, string value) : this(name, value, string.Empty, string.Empty) { }

        /// <summary>A cookie with a name, a value and a path.</summary>
        public Cookie(string name, string value, string path) : this(name, value, path, string.Empty) { }

        /// <summary>A cookie with a name, a value, a path and a domain.</summary>
        public Cookie(string name, string value, string path, string domain)
        {
            Name = name;
            Value = value;
            Path = path ?? string.Empty;
            Domain = domain ?? string.Empty;
            Expires = DateTime.MinValue;
        }

        /// <summary>The name (not empty; no separators, spaces or control characters).</summary>
        public string Name
        {
            get { return name; }
            set
            {
                if (string.IsNullOrEmpty(value)) throw new ArgumentException("a cookie name cannot be empty", "value");
                if (value[0] == '$') throw new ArgumentException("a cookie name cannot start with '$'", "value");
                foreach (char c in value)
                {
                    if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".IndexOf(c) >= 0)
                        throw new ArgumentException("invalid character in cookie name " + value, "value");
                }
                name = value;
            }
        }

        /// <summary>The value (null reads as ""). A value with ';' or ',' must be double-quoted.</summary>
        public string Value
        {
            get { return value; }
            set
            {
                var v = value ?? string.Empty;
                bool quoted = v.Length >= 2 && v[0] == '"' && v[v.Length - 1] == '"';
                foreach (char c in v)
                {
                    if (c < ' ' || c == 127 || (!quoted && (c == ';' || c == ',')))
                        throw new ArgumentException("invalid character in cookie value (quote values with ';' or ',')", "value");
                }
                this.value = v;
            }
        }

        /// <summary>The Path attribute ("" = none).</summary>
        public string Path { get; set; }
        /// <summary>The Domain attribute ("" = none).</summary>
        public string Domain { get; set; }
        /// <summary>When it expires (DateTime.MinValue = a session cookie).</summary>
        public DateTime Expires { get; set; }
        /// <summary>Whether it has expired (setting true makes it expire now).</summary>
        public bool Expired
        {
            get { return Expires != DateTime.MinValue && Expires <= DateTime.Now; }
            set { Expires = value ? DateTime.Now : DateTime.MinValue; }
        }
        /// <summary>The Secure attribute.</summary>
        public bool Secure { get; set; }
        /// <summary>The HttpOnly attribute.</summary>
        public bool HttpOnly { get; set; }

        /// <summary>"name=value", as sent in a Cookie header.</summary>
        public override string ToString()
        {
            return name + "=" + value;
        }

        /// <summary>This cookie as a Set-Cookie header value, with its attributes.</summary>
        internal string ToSetCookieHeader()
        {
            var sb = new System.Text.StringBuilder(ToString());
            if (Path.Length > 0) sb.Append("; Path=").Append(Path);
            if (Domain.Length > 0) sb.Append("; Domain=").Append(Domain);
            if (Expires != DateTime.MinValue)
                sb.Append("; Expires=").Append(Expires.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture));
            if (Secure) sb.Append("; Secure");
            if (HttpOnly) sb.Append("; HttpOnly");
            return sb.ToString();
        }

        /// <summary>Reads one Set-Cookie header value; null if it has no name=value pair.</summary>
        internal static Cookie ParseSetCookie(string header)
        {
            var parts = header.Split(';');
            int eq = parts[0].IndexOf('=');
            if (eq <= 0) return null;
            Cookie c;
            try
            {
                c = new Cookie(parts[0].Substring(0, eq).Trim(), parts[0].Substring(eq + 1).Trim());
            }
            catch (ArgumentException)
            {
                return null;
            }
            for (int i = 1; i < parts.Length; i++)
            {
                var p = parts[i].Trim();
                int e = p.IndexOf('=');
                var key = (e < 0 ? p : p.Substring(0, e)).Trim().ToLowerInvariant();
                var val = e < 0 ? string.Empty : p.Substring(e + 1).Trim();
                DateTime when;
                int seconds;
                switch (key)
                {
                    case "path": c.Path = val; break;
                    case "domain": c.Domain = val; break;
                    case "secure": c.Secure = true; break;
                    case "httponly": c.HttpOnly = true; break;
                    case "expires":
                        if (DateTime.TryParse(val, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out when))
                            c.Expires = when.ToLocalTime();
                        break;
                    case "max-age":
                        if (int.TryParse(val, NumberStyles.Integer, CultureInfo.InvariantCulture, out seconds))
                            c.Expires = DateTime.Now.AddSeconds(seconds);
                        break;
                }
            }
            return c;
        }
    }

    /// <summary>A list of cookies; adding one with the same name, path and domain replaces it.</summary>
    public sealed class CookieCollection : ICollection<Cookie>
    {
        private readonly List<Cookie> list = new List<Cookie>();

        /// <summary>An empty collection.</summary>
        public CookieCollection() { }

        /// <summary>Number of cookies.</summary>
        public int Count { get { lock (list) return list.Count; } }
        /// <summary>Always false.</summary>
        public bool IsReadOnly { get { return false; } }

        /// <summary>The cookie at <paramref name="index"/>.</summary>
        public Cookie this[int index]
        {
            get { lock (list) return list[index]; }
        }

        /// <summary>The first cookie named <paramref name="name"/> (case-insensitive), or null.</summary>
        public Cookie this[string name]
        {
            get
            {
                if (name == null) throw new ArgumentNullException("name");
                lock (list) return list.Find(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
            }
        }

        /// <summary>Adds or replaces a cookie.</summary>
        public void Add(Cookie cookie)
        {
            if (cookie == null) throw new ArgumentNullException("cookie");
            lock (list)
            {
                int i = list.FindIndex(c => Same(c, cookie));
                if (i >= 0) list[i] = cookie;
                else list.Add(cookie);
            }
        }

        /// <summary>Adds or replaces every cookie of <paramref name="cookies"/>.</summary>
        public void Add(CookieCollection cookies)
        {
            if (cookies == null) throw new ArgumentNullException("cookies");
            foreach (var c in cookies.Snapshot()) Add(c);
        }

        /// <summary>Removes every cookie.</summary>
        public void Clear() { lock (list) list.Clear(); }
        /// <summary>Whether a cookie with the same name, path and domain is present.</summary>
        public bool Contains(Cookie cookie)
        {
            if (cookie == null) throw new ArgumentNullException("cookie");
            lock (list) return list.Exists(c => Same(c, cookie));
        }
        /// <summary>Copies the cookies into <paramref name="array"/> from <paramref name="index"/>.</summary>
        public void CopyTo(Cookie[] array, int index) { lock (list) list.CopyTo(array, index); }
        /// <summary>Removes the cookie with the same name, path and domain; true if there was one.</summary>
        public bool Remove(Cookie cookie)
        {
            if (cookie == null) throw new ArgumentNullException("cookie");
            lock (list) return list.RemoveAll(c => Same(c, cookie)) > 0;
        }
        /// <summary>Enumerates a snapshot of the cookies.</summary>
        public IEnumerator<Cookie> GetEnumerator() { return ((IEnumerable<Cookie>)Snapshot()).GetEnumerator(); }
        IEnumerator IEnumerable.GetEnumerator() { return GetEnumerator(); }

        internal Cookie[] Snapshot() { lock (list) return list.ToArray(); }

        private static bool Same(Cookie a, Cookie b)
        {
            return string.Equals(a.Name, b.Name, StringComparison.OrdinalIgnoreCase)
                && string.Equals(a.Path, b.Path, StringComparison.Ordinal)
                && string.Equals(a.Domain, b.Domain, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>A user name and password (websocket-sharp's NetworkCredential).</summary>
    public sealed class NetworkCredential
    {
        private static readonly string[] NoRoles = new string[0];
        private string[] roles;

        /// <summary>A credential for <paramref name="username"/> (not empty).</summary>
        public NetworkCredential(string username, string password) : this(username, password, null) { }

        /// <summary>A credential with a domain and roles (used by servers; a client sends name and password only).</summary>
        public NetworkCredential(string username, string password, string domain, params string[] roles)
        {
            if (username == null) throw new ArgumentNullException("username");
            if (username.Length == 0) throw new ArgumentException("an empty user name", "username");
            Username = username;
            Password = password ?? string.Empty;
            Domain = domain ?? string.Empty;
            this.roles = roles ?? NoRoles;
        }

        /// <summary>The user name.</summary>
        public string Username { get; internal set; }
        /// <summary>The password ("" when none).</summary>
        public string Password { get; internal set; }
        /// <summary>The domain ("" when none).</summary>
        public string Domain { get; internal set; }
        /// <summary>The roles ("" when none).</summary>
        public string[] Roles
        {
            get { return roles; }
            internal set { roles = value ?? NoRoles; }
        }
    }

    /// <summary>
    /// TLS settings of a client (websocket-sharp's ClientSslConfiguration, with what the omnisock core
    /// honours): certificates are always verified against the webpki roots plus the CAs added
    /// here; certificate pins narrow that further. A validation callback is not offered: the check
    /// runs in the native core, which never calls into C#.
    /// </summary>
    public sealed class ClientSslConfiguration
    {
        private readonly List<KeyValuePair<string, string>> pins = new List<KeyValuePair<string, string>>();

        internal ClientSslConfiguration(string targetHost)
        {
            TargetHost = targetHost;
        }

        /// <summary>The host name the server certificate must match (from the URL).</summary>
        public string TargetHost { get; private set; }

        /// <summary>
        /// Pins <see cref="TargetHost"/> to a public key, "sha256/BASE64" (the SHA-256 of its
        /// SubjectPublicKeyInfo, OkHttp's form): once a host has pins, its verified chain must
        /// contain a certificate with one of those keys.
        /// </summary>
        public void AddCertificatePin(string pin)
        {
            AddCertificatePin(TargetHost, pin);
        }

        /// <summary>
        /// Pins the hosts matching <paramref name="pattern"/> ("host", "*.host" for one label,
        /// "**.host" for any depth; OkHttp's CertificatePinner patterns) to a public key.
        /// </summary>
        public void AddCertificatePin(string pattern, string pin)
        {
            if (pattern == null) throw new ArgumentNullException("pattern");
            if (pin == null) throw new ArgumentNullException("pin");
            if (pattern.Length == 0) throw new ArgumentException("an empty host pattern", "pattern");
            if (!pin.StartsWith("sha256/", StringComparison.Ordinal) || pin.Length <= 7)
                throw new ArgumentException("a certificate pin has the form sha256/BASE64: " + pin, "pin");
            lock (pins) pins.Add(new KeyValuePair<string, string>(pattern, pin));
        }

        /// <summary>The pins added so far: host pattern and "sha256/..." pin.</summary>
        public KeyValuePair<string, string>[] CertificatePins
        {
            get { lock (pins) return pins.ToArray(); }
        }
    }
}
