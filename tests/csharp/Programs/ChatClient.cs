// A console client written the websocket-sharp way, with omnisock's namespaces: handlers on the
// events, Connect, then Send for each line read; it never calls a dispatcher. Used by the tests.
//   mono ChatClient.exe URL       prints "open", "message: ...", "close: CODE REASON", "error: ..."
using System;
using Omnisock;
using Omnisock.Net;

namespace OmnisockFixtures
{
    public static class ChatClient
    {
        private static readonly object Out = new object();

        private static void Say(string s)
        {
            lock (Out)
            {
                Console.WriteLine(s);
                Console.Out.Flush();
            }
        }

        public static int Main(string[] args)
        {
            using (var ws = new WebSocket(args[0]))
            {
                ws.Log.Level = LogLevel.Fatal;
                ws.NoDelay = true;
                ws.SetUserHeader("X-Client", "console");
                ws.OnOpen += (s, e) =>
                {
                    Say("open " + ws.ReadyState + " secure=" + ws.IsSecure + " headers=" + ws.HandshakeResponseHeaders.Count);
                    ws.Send("hi");
                };
                ws.OnMessage += (s, e) => Say((e.IsPing ? "ping: " : "message: ") + e.Data);
                ws.OnError += (s, e) => Say("error: " + e.Message);
                ws.OnClose += (s, e) => Say("close: " + e.Code + " " + e.Reason);
                ws.Connect();
                string line;
                while ((line = Console.ReadLine()) != null && line != "exit") ws.Send(line);
            }
            Say("done");
            return 0;
        }
    }
}
