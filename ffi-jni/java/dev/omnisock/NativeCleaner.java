package dev.omnisock;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Frees native handles of objects that were collected without {@code close()} (Java 8 and
 * Android have no {@code java.lang.ref.Cleaner} at every API level). The cleanup runs once:
 * either from {@link Cleanable#clean()} (explicit close) or from the reaper thread, never both.
 */
final class NativeCleaner {
    private static final ReferenceQueue<Object> QUEUE = new ReferenceQueue<Object>();
    private static final Set<Cleanable> LIVE = Collections.synchronizedSet(
            Collections.newSetFromMap(new IdentityHashMap<Cleanable, Boolean>()));
    private static Thread reaper;

    private NativeCleaner() {}

    /** A registered cleanup. */
    static final class Cleanable extends PhantomReference<Object> {
        private Runnable action;

        Cleanable(Object owner, Runnable action) {
            super(owner, QUEUE);
            this.action = action;
        }

        /** Runs the cleanup now if it has not run yet. */
        void clean() {
            Runnable a;
            synchronized (this) {
                a = action;
                action = null;
            }
            LIVE.remove(this);
            if (a != null) {
                a.run();
            }
        }
    }

    /** Registers {@code action} to run when {@code owner} becomes unreachable. The action must not refer to the owner. */
    static Cleanable register(Object owner, Runnable action) {
        Cleanable c = new Cleanable(owner, action);
        synchronized (NativeCleaner.class) {
            LIVE.add(c);
            startReaper();
        }
        return c;
    }

    private static synchronized void startReaper() {
        if (reaper != null) {
            return;
        }
        reaper = new Thread(new Runnable() {
            @Override
            public void run() {
                // Ends when nothing is registered any more; register() starts a new one.
                while (true) {
                    synchronized (NativeCleaner.class) {
                        if (LIVE.isEmpty()) {
                            reaper = null;
                            return;
                        }
                    }
                    try {
                        Cleanable c = (Cleanable) QUEUE.remove(1000);
                        if (c != null) {
                            c.clean();
                        }
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        // A failed cleanup must not stop the others.
                    }
                }
            }
        }, "omnisock-cleaner");
        reaper.setDaemon(true);
        reaper.start();
    }
}
