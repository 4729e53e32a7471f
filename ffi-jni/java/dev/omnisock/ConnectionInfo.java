package dev.omnisock;

import java.util.Collections;
import java.util.List;

/** What a {@link Hub} knows about a connection when its handshake arrives. */
public final class ConnectionInfo {
    private final long id;
    private final String path;
    private final String query;
    private final String remoteAddress;
    private final String subprotocol;
    private final List<String[]> headers;

    ConnectionInfo(long id, String[] info, List<String[]> headers) {
        this.id = id;
        this.path = info[0];
        this.query = info[1];
        this.remoteAddress = info[2];
        this.subprotocol = info[3];
        this.headers = Collections.unmodifiableList(headers);
    }

    static ConnectionInfo fromEvent(long id, String[] info) {
        List<String[]> headers = new java.util.ArrayList<String[]>();
        for (int k = 4; k + 1 < info.length; k += 2) {
            headers.add(new String[] {info[k], info[k + 1]});
        }
        return new ConnectionInfo(id, info, headers);
    }

    /** The connection id (unique in the hub, never reused). */
    public long id() { return id; }

    /** The request path without the query. */
    public String path() { return path; }

    /** The query string without {@code ?} (may be empty). */
    public String query() { return query; }

    /** The peer as {@code ip:port}. */
    public String remoteAddress() { return remoteAddress; }

    /** The negotiated subprotocol, or null. */
    public String subprotocol() { return subprotocol; }

    /** The first value of a request header (case-insensitive), or null. */
    public String header(String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return h[1];
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "ConnectionInfo{id=" + id + ", path=" + path + ", remote=" + remoteAddress + "}";
    }
}
