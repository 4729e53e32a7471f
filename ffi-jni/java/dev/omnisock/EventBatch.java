package dev.omnisock;

/**
 * One batch of events moved out of the core by a single native {@code *Poll} call. Layout
 * (mirrors {@code ffi-jni/src/events.rs}): event {@code i} is {@code meta[4i..4i+4] = [kind,
 * conn, a, b]} and {@code objs[i]}.
 */
final class EventBatch implements EventKinds {
    final long[] meta;
    final Object[] objs;
    int count;

    EventBatch(int capacity) {
        meta = new long[capacity * 4];
        objs = new Object[capacity];
    }

    private EventBatch(long[] meta, Object[] objs, int count) {
        this.meta = meta;
        this.objs = objs;
        this.count = count;
    }

    int kind(int i) { return (int) meta[4 * i]; }
    long conn(int i) { return meta[4 * i + 1]; }
    long a(int i) { return meta[4 * i + 2]; }
    long b(int i) { return meta[4 * i + 3]; }
    Object obj(int i) { return objs[i]; }

    /** A copy of the filled part, for delivery on another thread while this one is reused. */
    EventBatch copy() {
        Object[] o = new Object[count];
        System.arraycopy(objs, 0, o, 0, count);
        long[] m = new long[count * 4];
        System.arraycopy(meta, 0, m, 0, count * 4);
        return new EventBatch(m, o, count);
    }

    /** Drops the references to delivered payloads so they can be collected. */
    void clear() {
        java.util.Arrays.fill(objs, 0, count, null);
        count = 0;
    }

    static boolean containsKind(EventBatch b, int kind) {
        for (int i = 0; i < b.count; i++) {
            if (b.kind(i) == kind) {
                return true;
            }
        }
        return false;
    }
}
