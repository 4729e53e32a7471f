// A console chat server written the websocket-sharp way (WebSocketServer + WebSocketBehavior),
// with omnisock's namespaces: it never calls a dispatcher. Used by the tests as a process.
//   mono ChatServer.exe PORT      prints "listening PORT" and the service paths; "stop" on stdin stops it.
using System;
using System.Net;
using System.Threading;
using Omnisock;
using Omnisock.Server;

namespace OmnisockFixtures
{
    public class Repeat : WebSocketBehavior
    {
        protected override void OnMessage(MessageEventArgs e)
        {
            if (e.IsText) Send(e.Data);
            else Send(e.RawData);
        }
    }

    public class Room : WebSocketBehavior
    {
        private static int guests;
        private string nick;

        public string Prefix { get; set; }

        protected override void OnOpen()
        {
            var asked = QueryString["name"];
            nick = !asked.IsNullOrEmpty() ? asked : (Prefix ?? "guest#") + Interlocked.Increment(ref guests);
            Sessions.Broadcast(nick + " joined");
        }

        protected override void OnMessage(MessageEventArgs e)
        {
            Sessions.Broadcast(nick + ": " + e.Data);
        }

        protected override void OnClose(CloseEventArgs e)
        {
            if (nick != null) Sessions.Broadcast(nick + " left (" + e.Code + ")");
        }
    }

    public static class ChatServer
    {
        public static int Main(string[] args)
        {
            var server = new WebSocketServer(IPAddress.Loopback, args.Length > 0 ? int.Parse(args[0]) : 0);
            server.Log.Level = LogLevel.Warn;
            server.AddWebSocketService<Repeat>("/Echo");
            server.AddWebSocketService<Room>("/Chat", room => room.Prefix = "Guest#");
            server.Start();
            if (!server.IsListening) return 1;
            Console.WriteLine("listening " + server.Port);
            foreach (var path in server.WebSocketServices.Paths) Console.WriteLine("- " + path);
            Console.Out.Flush();
            string line;
            while ((line = Console.ReadLine()) != null && line != "stop") { }
            server.Stop();
            Console.WriteLine("stopped");
            return 0;
        }
    }
}
