package dev.omnisock;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The running web sockets of one or more {@link OkHttpClient}s, with OkHttp's {@code Dispatcher}
 * names. Each socket runs on its own thread (not a daemon: an open socket keeps the JVM alive, as
 * in OkHttp); the thread ends with the socket.
 *
 * <p>{@link #executorService()} is a view of those threads as an {@link ExecutorService}:
 * {@code shutdown()} lets the open sockets run to their end and refuses new ones (what OkHttp's
 * sample relies on to let the process exit after its socket closes), {@code shutdownNow()} also
 * cancels the open ones, {@code awaitTermination} waits until every socket has ended. It runs
 * web sockets only: {@code execute(Runnable)} is refused.
 */
public final class Dispatcher {
    private final Set<WebSocket> running = Collections.newSetFromMap(new ConcurrentHashMap<WebSocket, Boolean>());
    private final SocketThreads executor = new SocketThreads();
    private boolean shutdown; // guarded by this

    /** A dispatcher with no sockets. */
    public Dispatcher() {}

    /** The sockets' threads as an executor service (see the class comment). */
    public ExecutorService executorService() {
        return executor;
    }

    /** Sockets started and not ended yet. */
    public int runningCallsCount() {
        return running.size();
    }

    /** Always 0: a socket starts connecting at once (there is no per-host limit to wait for). */
    public int queuedCallsCount() {
        return 0;
    }

    /** Cancels every running socket (their listeners get {@code onFailure}). */
    public void cancelAll() {
        for (WebSocket ws : running.toArray(new WebSocket[0])) {
            ws.cancel();
        }
    }

    /** Refuses a new socket after a shutdown (checked before connecting, and again by {@link #started}). */
    synchronized void checkAccepting() {
        if (shutdown) {
            throw new IllegalStateException("the dispatcher's executor service is shut down; no new web sockets");
        }
    }

    /** Registers a socket about to start; refuses it after a shutdown. */
    synchronized void started(WebSocket ws) {
        checkAccepting();
        running.add(ws);
    }

    synchronized void finished(WebSocket ws) {
        running.remove(ws);
        notifyAll();
    }

    /** The running sockets as an {@link ExecutorService}. */
    private final class SocketThreads extends AbstractExecutorService {
        @Override
        public void shutdown() {
            synchronized (Dispatcher.this) {
                shutdown = true;
                Dispatcher.this.notifyAll();
            }
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown();
            cancelAll();
            return new ArrayList<Runnable>();
        }

        @Override
        public boolean isShutdown() {
            synchronized (Dispatcher.this) {
                return shutdown;
            }
        }

        @Override
        public boolean isTerminated() {
            synchronized (Dispatcher.this) {
                return shutdown && running.isEmpty();
            }
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            synchronized (Dispatcher.this) {
                while (!(shutdown && running.isEmpty())) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    TimeUnit.NANOSECONDS.timedWait(Dispatcher.this, left);
                }
                return true;
            }
        }

        @Override
        public void execute(Runnable command) {
            throw new RejectedExecutionException("an omnisock Dispatcher runs web sockets only; use your own executor for other tasks");
        }
    }
}
