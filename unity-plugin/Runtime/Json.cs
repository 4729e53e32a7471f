using System;
using System.Globalization;
using System.Text;

namespace Omnisock
{
    /// <summary>
    /// Writes the JSON form of a core configuration (the one vocabulary every binding hands the
    /// core; see omnisock_client_config_from_json). Only what the bindings need: objects, arrays,
    /// strings, numbers and booleans, written in order.
    /// </summary>
    internal sealed class JsonWriter
    {
        private readonly StringBuilder sb = new StringBuilder(256);
        private bool needComma;

        /// <summary>Starts an object ("{" or "key": {).</summary>
        public JsonWriter BeginObject(string key = null) { Key(key); sb.Append('{'); needComma = false; return this; }
        /// <summary>Ends an object.</summary>
        public JsonWriter EndObject() { sb.Append('}'); needComma = true; return this; }
        /// <summary>Starts an array.</summary>
        public JsonWriter BeginArray(string key = null) { Key(key); sb.Append('['); needComma = false; return this; }
        /// <summary>Ends an array.</summary>
        public JsonWriter EndArray() { sb.Append(']'); needComma = true; return this; }

        /// <summary>A string member (or array element when key is null).</summary>
        public JsonWriter String(string key, string value)
        {
            Key(key);
            Quote(value);
            needComma = true;
            return this;
        }

        /// <summary>A number member.</summary>
        public JsonWriter Number(string key, long value)
        {
            Key(key);
            sb.Append(value.ToString(CultureInfo.InvariantCulture));
            needComma = true;
            return this;
        }

        /// <summary>A boolean member.</summary>
        public JsonWriter Bool(string key, bool value)
        {
            Key(key);
            sb.Append(value ? "true" : "false");
            needComma = true;
            return this;
        }

        /// <summary>A duration member in the core's human form ("250ms").</summary>
        public JsonWriter Millis(string key, uint ms)
        {
            return String(key, ms.ToString(CultureInfo.InvariantCulture) + "ms");
        }

        /// <summary>A [a, b] pair of strings (headers, cookies).</summary>
        public JsonWriter Pair(string a, string b)
        {
            BeginArray();
            String(null, a);
            String(null, b);
            return EndArray();
        }

        /// <summary>The text written so far.</summary>
        public override string ToString()
        {
            return sb.ToString();
        }

        private void Key(string key)
        {
            if (needComma) sb.Append(',');
            if (key != null)
            {
                Quote(key);
                sb.Append(':');
            }
        }

        private void Quote(string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }
    }
}
