package io.xin.media.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class SerialExecutorTest
{
    @Test
    void runsOneConnectionsTasksInOrderAndOneAtATime() throws Exception
    {
        final ExecutorService pool = Executors.newFixedThreadPool(4);
        try
        {
            final SerialExecutor serial = new SerialExecutor(pool);
            final List<Integer> order = new ArrayList<>();
            final AtomicInteger running = new AtomicInteger();
            final AtomicInteger overlaps = new AtomicInteger();
            final CountDownLatch done = new CountDownLatch(10_000);
            for (int i = 0; i < 10_000; i++)
            {
                final int n = i;
                serial.execute(() ->
                {
                    if (running.incrementAndGet() != 1)
                    {
                        overlaps.incrementAndGet();
                    }
                    // Unsynchronized on purpose: the executor's hand-over must make each task see the last.
                    order.add(n);
                    running.decrementAndGet();
                    done.countDown();
                });
            }
            assertTrue(done.await(20, TimeUnit.SECONDS));
            assertEquals(0, overlaps.get());
            for (int i = 0; i < 10_000; i++)
            {
                assertEquals(i, order.get(i));
            }
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    @Test
    void aShutDownPoolRefusesNewTasksAndRunsQueuedOnesOnItsLastThread() throws Exception
    {
        final ExecutorService pool = Executors.newSingleThreadExecutor();
        final SerialExecutor serial = new SerialExecutor(pool);
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> ran = new ArrayList<>();
        serial.execute(() ->
        {
            started.countDown();
            await(release);
            ran.add("first");
        });
        serial.execute(() -> ran.add("second"));
        assertTrue(started.await(20, TimeUnit.SECONDS));
        pool.shutdown();
        assertThrows(RejectedExecutionException.class, () -> new SerialExecutor(pool).execute(() -> ran.add("x")));

        release.countDown();
        assertTrue(pool.awaitTermination(20, TimeUnit.SECONDS));
        assertEquals(List.of("first", "second"), ran);
    }

    private static void await(final CountDownLatch latch)
    {
        try
        {
            latch.await(20, TimeUnit.SECONDS);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }
}
