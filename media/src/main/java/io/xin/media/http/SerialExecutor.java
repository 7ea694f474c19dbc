package io.xin.media.http;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs one connection's file tasks one at a time, in the order given, on the shared file threads. Each task runs
 * alone, so a task sees everything the ones before it did; between tasks the thread goes back to the pool, so a
 * connection with many queued tasks does not keep others waiting behind all of them.
 */
final class SerialExecutor implements Executor
{
    private final Executor pool;
    /** Guarded by this. */
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    /** Guarded by this: a task of this connection is queued on the pool or running. */
    private boolean scheduled;

    SerialExecutor(final Executor pool)
    {
        this.pool = pool;
    }

    /**
     * @throws RejectedExecutionException if the pool is shut down; the task was not queued.
     */
    @Override
    public void execute(final Runnable task)
    {
        synchronized (this)
        {
            tasks.add(task);
            if (scheduled)
            {
                return;
            }
            scheduled = true;
        }
        submitNext(task);
    }

    private void submitNext(final Runnable task)
    {
        try
        {
            pool.execute(this::runOne);
        }
        catch (final RejectedExecutionException e)
        {
            synchronized (this)
            {
                tasks.remove(task);
                scheduled = false;
            }
            throw e;
        }
    }

    private void runOne()
    {
        final Runnable task;
        synchronized (this)
        {
            task = tasks.poll();
        }
        try
        {
            task.run();
        }
        finally
        {
            final Runnable next;
            synchronized (this)
            {
                next = tasks.peek();
                if (next == null)
                {
                    scheduled = false;
                }
            }
            if (next != null)
            {
                try
                {
                    pool.execute(this::runOne);
                }
                catch (final RejectedExecutionException e)
                {
                    // Shut down: the rest run here, in order, so buffers are released and streams closed.
                    runRemaining();
                }
            }
        }
    }

    private void runRemaining()
    {
        while (true)
        {
            final Runnable task;
            synchronized (this)
            {
                task = tasks.poll();
                if (task == null)
                {
                    scheduled = false;
                    return;
                }
            }
            task.run();
        }
    }
}
