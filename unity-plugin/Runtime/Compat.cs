// websocket-sharp's small helper types (logging, compression choice, string extension), under
// the same names so programs written for it compile with only their `using` lines changed.
using System;

namespace Omnisock
{
    /// <summary>Logging levels, lowest first (websocket-sharp's names and order).</summary>
    public enum LogLevel
    {
        /// <summary>Every step.</summary>
        Trace,
        /// <summary>Details useful when debugging.</summary>
        Debug,
        /// <summary>Normal operation (opens, closes).</summary>
        Info,
        /// <summary>Something unusual that does not stop the connection.</summary>
        Warn,
        /// <summary>A failure.</summary>
        Error,
        /// <summary>A failure that ends the program or service.</summary>
        Fatal,
        /// <summary>Nothing is logged.</summary>
        None,
    }

    /// <summary>The compression extension a client offers (websocket-sharp's CompressionMethod).</summary>
    public enum CompressionMethod : byte
    {
        /// <summary>No compression (the default).</summary>
        None,
        /// <summary>permessage-deflate (RFC 7692).</summary>
        Deflate,
    }

    /// <summary>One log record.</summary>
    public class LogData
    {
        internal LogData(LogLevel level, string message)
        {
            Level = level;
            Message = message;
            Date = DateTime.Now;
        }

        /// <summary>When it was logged (local time).</summary>
        public DateTime Date { get; private set; }
        /// <summary>Its level.</summary>
        public LogLevel Level { get; private set; }
        /// <summary>The text.</summary>
        public string Message { get; private set; }

        /// <summary>"date|LEVEL|message".</summary>
        public override string ToString()
        {
            return Date.ToString("yyyy-MM-dd HH:mm:ss.fff") + "|" + Level.ToString().ToUpperInvariant() + "|" + Message;
        }
    }

    /// <summary>
    /// A logger with websocket-sharp's members: records at or above <see cref="Level"/> go to
    /// <see cref="Output"/> (by default one line on standard error; in Unity, Debug.Log, and
    /// Debug.LogWarning from Warn up).
    /// Thread-safe.
    /// </summary>
    public class Logger
    {
        private readonly object gate = new object();
        private volatile LogLevel level;
        private Action<LogData, string> output;

        /// <summary>A logger at <see cref="LogLevel.Error"/> writing to the default output.</summary>
        public Logger() : this(LogLevel.Error) { }

        /// <summary>A logger at <paramref name="level"/> writing to the default output.</summary>
        public Logger(LogLevel level) : this(level, null, null) { }

        /// <summary>A logger at <paramref name="level"/>; <paramref name="file"/> is kept for reference, <paramref name="output"/> null means the default output.</summary>
        public Logger(LogLevel level, string file, Action<LogData, string> output)
        {
            this.level = level;
            File = file;
            this.output = output ?? DefaultOutput;
        }

        /// <summary>The file name given to the constructor (the default output does not write files).</summary>
        public string File { get; set; }

        /// <summary>Lowest level that is logged.</summary>
        public LogLevel Level
        {
            get { return level; }
            set { level = value; }
        }

        /// <summary>Where records go (the record and <see cref="File"/>); null restores the default output.</summary>
        public Action<LogData, string> Output
        {
            get { lock (gate) return output; }
            set { lock (gate) output = value ?? DefaultOutput; }
        }

        /// <summary>Logs at Trace.</summary>
        public void Trace(string message) { Write(LogLevel.Trace, message); }
        /// <summary>Logs at Debug.</summary>
        public void Debug(string message) { Write(LogLevel.Debug, message); }
        /// <summary>Logs at Info.</summary>
        public void Info(string message) { Write(LogLevel.Info, message); }
        /// <summary>Logs at Warn.</summary>
        public void Warn(string message) { Write(LogLevel.Warn, message); }
        /// <summary>Logs at Error.</summary>
        public void Error(string message) { Write(LogLevel.Error, message); }
        /// <summary>Logs at Fatal.</summary>
        public void Fatal(string message) { Write(LogLevel.Fatal, message); }

        /// <summary>Whether a record at <paramref name="at"/> would be written.</summary>
        internal bool Enabled(LogLevel at)
        {
            return at != LogLevel.None && at >= level;
        }

        private void Write(LogLevel at, string message)
        {
            if (!Enabled(at)) return;
            Action<LogData, string> o;
            lock (gate) o = output;
            try
            {
                o(new LogData(at, message ?? string.Empty), File);
            }
            catch (Exception e)
            {
                WebSocket.ReportUnhandled(e);
            }
        }

        private static void DefaultOutput(LogData data, string file)
        {
#if UNITY_5_3_OR_NEWER
            // Warnings, not errors: OnError already reports failures, and an unexpected
            // Debug.LogError fails a Unity Test Framework test.
            if (data.Level >= LogLevel.Warn) UnityEngine.Debug.LogWarning(data.ToString());
            else UnityEngine.Debug.Log(data.ToString());
#else
            Console.Error.WriteLine(data.ToString());
#endif
        }
    }

    /// <summary>websocket-sharp's string helpers that its examples call.</summary>
    public static class Ext
    {
        /// <summary>True when <paramref name="value"/> is null or "".</summary>
        public static bool IsNullOrEmpty(this string value)
        {
            return string.IsNullOrEmpty(value);
        }
    }
}
