package io.xin.core.concurrent;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * How the switch stops a pool of worker threads (sync readers, discovery, media requests).
 */
public final class WorkerPools
{
    /** How long a stop waits for the work already taken before it interrupts the workers. */
    public static final long STOP_WAIT_MS = 5_000;

    private WorkerPools()
    {
    }

    /**
     * Takes no more work, lets the workers finish what they hold for up to {@link #STOP_WAIT_MS}, then interrupts
     * them. An interrupt of the caller interrupts the workers at once and is kept for the caller.
     *
     * @param pool the pool to stop.
     */
    public static void stop(final ExecutorService pool)
    {
        pool.shutdown();
        try
        {
            if (!pool.awaitTermination(STOP_WAIT_MS, TimeUnit.MILLISECONDS))
            {
                pool.shutdownNow();
            }
        }
        catch (final InterruptedException ex)
        {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
