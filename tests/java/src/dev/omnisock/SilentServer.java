package dev.omnisock;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A WebSocket server that completes the opening handshake and then neither reads nor writes:
 * a dead peer (no pongs) whose TCP window fills up. With {@code handshake=false} it accepts the
 * TCP connection and never answers at all.
 */
final class SilentServer implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> accepted = new ArrayList<Socket>();
    private final Thread thread;

    SilentServer(final boolean handshake) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        server.setReceiveBufferSize(4096);
        thread = new Thread(() -> {
            try {
                while (!server.isClosed()) {
                    Socket s = server.accept();
                    s.setReceiveBufferSize(4096);
                    synchronized (accepted) {
                        accepted.add(s);
                    }
                    if (handshake) {
                        handshake(s);
                    }
                }
            } catch (Exception e) {
                // closed
            }
        }, "silent-server");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private static void handshake(Socket s) throws Exception {
        InputStream in = s.getInputStream();
        StringBuilder req = new StringBuilder();
        while (!req.toString().endsWith("\r\n\r\n") && req.length() < 16384) {
            int c = in.read();
            if (c < 0) {
                return;
            }
            req.append((char) c);
        }
        String key = null;
        for (String line : req.toString().split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("sec-websocket-key")) {
                key = line.substring(colon + 1).trim();
            }
        }
        byte[] sha = MessageDigest.getInstance("SHA-1")
                .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII));
        String resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + Base64.getEncoder().encodeToString(sha) + "\r\n\r\n";
        OutputStream out = s.getOutputStream();
        out.write(resp.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (accepted) {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
