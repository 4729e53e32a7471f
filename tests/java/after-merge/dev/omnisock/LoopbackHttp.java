package dev.omnisock;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Small loopback HTTP peers for the handshake-level tests: a server that answers every request
 * with a fixed response (a redirect, a refusal) and an HTTP {@code CONNECT} proxy. Each records
 * the request heads it received.
 */
final class LoopbackHttp implements AutoCloseable {
    /** Longest request head accepted (the peers never trust a size they did not bound). */
    private static final int MAX_HEAD = 16 * 1024;

    private final ServerSocket server;
    private final Thread acceptor;
    /** Request heads received, in order. */
    final List<String> heads = Collections.synchronizedList(new ArrayList<String>());

    private LoopbackHttp(final Handler handler) throws IOException {
        server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                final Socket s;
                try {
                    s = server.accept();
                } catch (IOException closed) {
                    return;
                }
                Thread t = new Thread(() -> {
                    try {
                        String head = readHead(s.getInputStream());
                        heads.add(head);
                        handler.handle(head, s);
                    } catch (IOException ignored) {
                        // the client went away
                    } finally {
                        closeQuietly(s);
                    }
                }, "loopback-http-conn");
                t.setDaemon(true);
                t.start();
            }
        }, "loopback-http");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    interface Handler {
        void handle(String head, Socket s) throws IOException;
    }

    /** Answers every request with {@code response} (a whole HTTP response head and body). */
    static LoopbackHttp answering(final String response) throws IOException {
        return new LoopbackHttp((head, s) -> {
            s.getOutputStream().write(response.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
        });
    }

    /** An HTTP proxy: {@code CONNECT host:port} opens a tunnel (only to loopback), anything else gets 405. */
    static LoopbackHttp connectProxy() throws IOException {
        return new LoopbackHttp((head, s) -> {
            String[] first = head.split("\r\n", 2)[0].split(" ");
            if (first.length < 2 || !first[0].equals("CONNECT")) {
                s.getOutputStream().write("HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                return;
            }
            int colon = first[1].lastIndexOf(':');
            String host = first[1].substring(0, colon);
            int port = Integer.parseInt(first[1].substring(colon + 1));
            if (!host.equals("127.0.0.1") && !host.equals("localhost")) {
                s.getOutputStream().write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                return;
            }
            try (Socket up = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.getOutputStream().write("HTTP/1.1 200 Connection Established\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                Thread back = pipe(up.getInputStream(), s.getOutputStream());
                pipe(s.getInputStream(), up.getOutputStream()).join();
                back.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private static Thread pipe(final InputStream in, final OutputStream out) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            int n;
            try {
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
                out.close();
            } catch (IOException done) {
                // one side closed
            }
        }, "loopback-proxy-pipe");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed inside the request head");
            }
            head.write(b);
            if (head.size() > MAX_HEAD) {
                throw new IOException("request head over " + MAX_HEAD + " bytes");
            }
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return new String(head.toByteArray(), StandardCharsets.ISO_8859_1);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    int port() {
        return server.getLocalPort();
    }

    /** The value of header {@code name} in request head {@code i}, or null. */
    String header(int i, String name) {
        for (String line : heads.get(i).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
