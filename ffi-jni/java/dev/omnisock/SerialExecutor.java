package dev.omnisock;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Level;

/** Runs tasks one at a time, in order, on any executor (even a thread pool). */
final class SerialExecutor implements Executor {
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<Runnable>();
    private final Executor executor;
    private Runnable active;

    SerialExecutor(Executor executor) {
        this.executor = executor;
    }

    /** @throws RejectedExecutionException if the underlying executor refused to start the task */
    @Override
    public void execute(final Runnable r) {
        synchronized (this) {
            tasks.add(new Runnable() {
                @Override
                public void run() {
                    try {
                        r.run();
                    } finally {
                        try {
                            scheduleNext();
                        } catch (RejectedExecutionException e) {
                            // The executor shut down between two tasks: the rest is dropped.
                            RealWebSocket.LOG.log(Level.FINE, "callback executor shut down; pending callbacks dropped", e);
                        }
                    }
                }
            });
            if (active != null) {
                return;
            }
        }
        scheduleNext();
    }

    private synchronized void scheduleNext() {
        active = tasks.poll();
        if (active != null) {
            try {
                executor.execute(active);
            } catch (RejectedExecutionException e) {
                active = null;
                tasks.clear();
                throw e;
            }
        }
    }
}
