// P/Invoke declarations for the omnisock C ABI (include/omnisock.h). Internal: use WebSocket and Hub.
//
// Rules kept here so the same code runs on Mono, IL2CPP and .NET:
// - every argument is blittable (handles are ulong, strings go as NUL-terminated UTF-8 bytes),
//   so no marshalling code is generated and nothing depends on the platform's "ANSI" code page;
// - there is no native -> managed call at all (no callbacks, so nothing for IL2CPP to get wrong,
//   and no library thread ever gets attached to the managed runtime: attached foreign threads
//   hang Mono's shutdown and Unity's domain reload). Events are drained with poll.
// - iOS (and other statically linked targets) resolve the functions in the executable: "__Internal".
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Omnisock
{
    internal static unsafe partial class Native
    {
#if (UNITY_IOS || UNITY_TVOS || UNITY_VISIONOS || UNITY_WEBGL) && !UNITY_EDITOR
        internal const string Lib = "__Internal";
#else
        internal const string Lib = "omnisock";
#endif


        /// <summary>omnisock_event, field for field (C layout: sequential, natural alignment).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct Event
        {
            public int Kind;
            public uint Code;
            public uint Flags;
            public ulong Conn;
            public ulong DelayMs;
            public byte* Data;
            public UIntPtr DataLen;
            public byte* Path;
            public UIntPtr PathLen;
            public byte* Query;
            public UIntPtr QueryLen;
            public byte* Remote;
            public UIntPtr RemoteLen;
            public byte* Headers;
            public UIntPtr HeadersLen;
        }

        // ---- library
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern byte* omnisock_version();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern UIntPtr omnisock_last_error(byte* buf, UIntPtr len);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_runtime_shutdown(uint timeoutMs);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_wait_any(ulong* handles, UIntPtr n, uint timeoutMs, out UIntPtr index);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void omnisock_wake_any();

        // ---- client config
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_config_new(byte* url, out ulong cfg);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_config_from_json(byte* text, UIntPtr len, out ulong cfg);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void omnisock_client_config_free(ulong cfg);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_config_add_ca_pem(ulong cfg, byte* pem, UIntPtr len);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_config_add_ca_file(ulong cfg, byte* path);

        // ---- client
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_connect(ulong cfg, out ulong client);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_send_text(ulong client, byte* text, UIntPtr len);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_send_binary(ulong client, byte* data, UIntPtr len);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_close(ulong client, ushort code, byte* reason);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_ping(ulong client, byte* data, UIntPtr len);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_state(ulong client, out int state);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_queued_bytes(ulong client, out UIntPtr bytes);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_poll(ulong client, Event* events, UIntPtr capacity, out UIntPtr count);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_client_wait(ulong client, uint timeoutMs, out byte ready);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void omnisock_client_free(ulong client);

        // ---- hub config
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_new(byte* listen, out ulong cfg);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_default(out ulong cfg);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_from_toml(byte* text, UIntPtr len, out ulong cfg);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void omnisock_hub_config_free(ulong cfg);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_set_listen(ulong cfg, byte* listen);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_add_route(ulong cfg, byte* path, int kind, UIntPtr queueLimit, int overflow);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_set_route_host_accepts(ulong cfg, byte* path, byte on);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_set_max_connections(ulong cfg, UIntPtr max);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_set_max_message_size(ulong cfg, UIntPtr bytes);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_add_origin(ulong cfg, byte* origin);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_set_token(ulong cfg, byte* token);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_set_static_dir(ulong cfg, byte* dir);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_config_set_tls_files(ulong cfg, byte* certPath, byte* keyPath);

        // ---- hub
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_start(ulong cfg, out ulong hub);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_local_port(ulong hub, out ushort port);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_send_text(ulong hub, ulong conn, byte* text, UIntPtr len);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_send_binary(ulong hub, ulong conn, byte* data, UIntPtr len);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_send_many(ulong hub, ulong* conns, UIntPtr n, byte* data, UIntPtr len, byte text, out UIntPtr count);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_close_connection(ulong hub, ulong conn, ushort code, byte* reason);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_join(ulong hub, ulong conn, byte* group);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_leave(ulong hub, ulong conn, byte* group);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_publish_text(ulong hub, byte* group, ulong exceptConn, byte* text, UIntPtr len, out UIntPtr recipients);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_publish_binary(ulong hub, byte* group, ulong exceptConn, byte* data, UIntPtr len, out UIntPtr recipients);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_broadcast_text(ulong hub, byte* path, ulong exceptConn, byte* text, UIntPtr len, out UIntPtr recipients);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_broadcast_binary(ulong hub, byte* path, ulong exceptConn, byte* data, UIntPtr len, out UIntPtr recipients);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_group_size(ulong hub, byte* group, out UIntPtr size);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_connection_count(ulong hub, out UIntPtr count);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_queued_bytes(ulong hub, ulong conn, out UIntPtr bytes);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_accept(ulong hub, ulong conn, byte* protocol);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_accept_with_headers(ulong hub, ulong conn, byte* protocol, Header* headers, UIntPtr count);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_respond(ulong hub, ulong conn, ushort status, Header* headers, UIntPtr count, byte* body, UIntPtr len);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_reject(ulong hub, ulong conn, ushort status, byte* body);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_ping(ulong hub, ulong conn, byte* data, UIntPtr len);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_status_json(ulong hub, byte* buf, UIntPtr bufLen, out UIntPtr outLen);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_poll(ulong hub, Event* events, UIntPtr capacity, out UIntPtr count);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_set_reading_paused(ulong hub, ulong conn, byte paused);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_set_max_rate(ulong hub, ulong conn, double rate);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_metrics_text(ulong hub, byte* buf, UIntPtr bufLen, out UIntPtr outLen);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int omnisock_hub_shutdown(ulong hub);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void omnisock_hub_free(ulong hub);

        // ---- helpers

        /// <summary>NUL-terminated UTF-8 copy of <paramref name="s"/> (null stays null).</summary>
        /// <summary>omnisock_header: one HTTP header, two NUL-terminated UTF-8 strings.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct Header
        {
            internal byte* Name;
            internal byte* Value;
        }

        internal static byte[] Utf8Z(string s)
        {
            if (s == null) return null;
            var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>This thread's last error message from the library.</summary>
        internal static string LastError()
        {
            byte* buf = stackalloc byte[1024];
            ulong n = (ulong)omnisock_last_error(buf, (UIntPtr)1024);
            if (n > 1023) n = 1023;
            return Encoding.UTF8.GetString(buf, (int)n);
        }

        internal static string String(byte* p, UIntPtr len)
        {
            int n = checked((int)(ulong)len);
            return n == 0 || p == null ? string.Empty : Encoding.UTF8.GetString(p, n);
        }

        internal static byte[] Bytes(byte* p, UIntPtr len)
        {
            int n = checked((int)(ulong)len);
            if (n == 0) return EmptyBytes;
            var b = new byte[n];
            Marshal.Copy((IntPtr)p, b, 0, n);
            return b;
        }

        internal static readonly byte[] EmptyBytes = new byte[0];

        /// <summary>Throws the exception matching a failed call (argument errors as ArgumentException).</summary>
        internal static void Check(int rc)
        {
            if (rc != 0) throw Exception(rc, LastError());
        }

        internal static Exception Exception(int rc, string message)
        {
            var result = (OmnisockResult)rc;
            if (result == OmnisockResult.InvalidArgument || result == OmnisockResult.InvalidUrl) return new ArgumentException(message);
            return new OmnisockException(result, message);
        }

        // Scratch buffer for encoding outgoing text without allocating per message.
        [ThreadStatic] private static byte[] scratch;
        internal const int MaxScratch = 1 << 20;

        /// <summary>
        /// A buffer of at least <paramref name="size"/> bytes owned by this thread (reused), or a new
        /// array for sizes above 1 MiB (so a thread never keeps a huge buffer alive).
        /// </summary>
        internal static byte[] Scratch(int size)
        {
            if (size > MaxScratch) return new byte[size];
            var b = scratch;
            if (b == null || b.Length < size)
            {
                int n = 256;
                while (n < size) n <<= 1;
                b = scratch = new byte[n];
            }
            return b;
        }
    }
}
