using System;
using System.Text;

namespace Omnisock
{
    /// <summary>The state of a <see cref="WebSocket"/> (same names and values as websocket-sharp).</summary>
    public enum WebSocketState : ushort
    {
        /// <summary>Created; Connect has not been called yet.</summary>
        New = 0,
        /// <summary>Connecting, or waiting to reconnect.</summary>
        Connecting = 1,
        /// <summary>Open: messages flow.</summary>
        Open = 2,
        /// <summary>The closing handshake is under way.</summary>
        Closing = 3,
        /// <summary>Closed for good (call Connect again to open a new connection).</summary>
        Closed = 4,
    }

    /// <summary>WebSocket close status codes (RFC 6455 section 7.4), named as in websocket-sharp.</summary>
    public enum CloseStatusCode : ushort
    {
        Normal = 1000,
        Away = 1001,
        ProtocolError = 1002,
        UnsupportedData = 1003,
        Undefined = 1004,
        NoStatus = 1005,
        Abnormal = 1006,
        InvalidData = 1007,
        PolicyViolation = 1008,
        TooBig = 1009,
        MandatoryExtension = 1010,
        ServerError = 1011,
        TlsHandshakeFailure = 1015,
    }

    /// <summary>A failure reported by the native library, with its result code.</summary>
    public class OmnisockException : Exception
    {
        /// <summary>What failed.</summary>
        public OmnisockResult Result { get; private set; }

        public OmnisockException(OmnisockResult result, string message) : base(message)
        {
            Result = result;
        }
    }

    /// <summary>A received message (websocket-sharp's MessageEventArgs).</summary>
    public class MessageEventArgs : EventArgs
    {
        private string data;
        private byte[] rawData;
        private readonly bool isText;

        internal MessageEventArgs(string text)
        {
            data = text;
            isText = true;
        }

        internal MessageEventArgs(byte[] bytes)
        {
            rawData = bytes;
            isText = false;
        }

        /// <summary>The message as text (binary messages are decoded as UTF-8 on first use).</summary>
        public string Data
        {
            get { return data ?? (data = Encoding.UTF8.GetString(rawData)); }
        }

        /// <summary>The message bytes (text messages are encoded as UTF-8 on first use).</summary>
        public byte[] RawData
        {
            get { return rawData ?? (rawData = Encoding.UTF8.GetBytes(data)); }
        }

        /// <summary>Whether this is a text message.</summary>
        public bool IsText { get { return isText; } }
        /// <summary>Whether this is a binary message (not a ping).</summary>
        public bool IsBinary { get { return !isText; } }
        /// <summary>
        /// Whether this reports a received ping. Always false for now: the core answers pings itself
        /// and does not report them to any binding (see <see cref="WebSocket.EmitOnPing"/>).
        /// </summary>
        public bool IsPing { get { return false; } }
    }

    /// <summary>Why something failed (websocket-sharp's ErrorEventArgs).</summary>
    public class ErrorEventArgs : EventArgs
    {
        internal ErrorEventArgs(string message, Exception exception)
        {
            Message = message;
            Exception = exception;
        }

        public string Message { get; private set; }
        /// <summary>An <see cref="OmnisockException"/> for library errors, or the exception a handler threw.</summary>
        public Exception Exception { get; private set; }
    }

    /// <summary>How the connection closed (websocket-sharp's CloseEventArgs).</summary>
    public class CloseEventArgs : EventArgs
    {
        internal CloseEventArgs(ushort code, string reason, bool wasClean)
        {
            Code = code;
            Reason = reason;
            WasClean = wasClean;
        }

        /// <summary>The close code: the peer's, or 1006 when no close frame was received.</summary>
        public ushort Code { get; private set; }
        public string Reason { get; private set; }
        /// <summary>Whether the closing handshake completed.</summary>
        public bool WasClean { get; private set; }
    }

    /// <summary>The connection was lost and the client will try again (see <see cref="WebSocket.Reconnect"/>).</summary>
    public class ReconnectingEventArgs : EventArgs
    {
        internal ReconnectingEventArgs(int attempt, TimeSpan delay, string reason)
        {
            Attempt = attempt;
            Delay = delay;
            Reason = reason;
        }

        /// <summary>1 for the first retry.</summary>
        public int Attempt { get; private set; }
        /// <summary>The wait before this attempt.</summary>
        public TimeSpan Delay { get; private set; }
        /// <summary>Why the previous connection ended.</summary>
        public string Reason { get; private set; }
    }

    /// <summary>
    /// Reconnect policy: up to <see cref="MaxAttempts"/> retries with exponential backoff from
    /// <see cref="InitialDelay"/> doubling up to <see cref="MaxDelay"/>, each delay shortened by a random
    /// amount of up to half (jitter). The attempt counter resets after each successful connection.
    /// </summary>
    public sealed class ReconnectPolicy
    {
        /// <summary>No reconnecting (the default).</summary>
        public static readonly ReconnectPolicy Off = new ReconnectPolicy(0, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        public ReconnectPolicy(int maxAttempts, TimeSpan initialDelay, TimeSpan maxDelay)
        {
            if (maxAttempts < 0) throw new ArgumentOutOfRangeException("maxAttempts");
            if (maxAttempts > 0 && (initialDelay <= TimeSpan.Zero || maxDelay < initialDelay))
                throw new ArgumentException("reconnect delays must satisfy 0 < initialDelay <= maxDelay");
            MaxAttempts = maxAttempts;
            InitialDelay = initialDelay;
            MaxDelay = maxDelay;
        }

        /// <summary>Backoff starting at 0.5 s, doubling up to 30 s.</summary>
        public static ReconnectPolicy Backoff(int maxAttempts)
        {
            return new ReconnectPolicy(maxAttempts, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
        }

        public int MaxAttempts { get; private set; }
        public TimeSpan InitialDelay { get; private set; }
        public TimeSpan MaxDelay { get; private set; }
    }
}
