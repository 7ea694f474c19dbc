package io.xin.core.nearby;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nearby thread's queue: bounded, in order, and, with several producers at once, every element taken exactly
 * once and each producer's elements in the order it offered them.
 */
class RequestQueueTest
{
    @Test
    void shouldRefuseWhenFullAndTakeInOrderAroundTheRing()
    {
        final RequestQueue<Integer> queue = new RequestQueue<>(3);
        assertEquals(4, queue.capacity());
        int next = 0;
        int expected = 0;
        for (int round = 0; round < 10; round++)
        {
            while (queue.offer(next))
            {
                next++;
            }
            assertEquals(4, queue.size());
            assertFalse(queue.isEmpty());
            for (int i = 0; i < 3; i++)
            {
                assertEquals(expected++, queue.poll());
            }
        }
        final List<Integer> rest = new ArrayList<>();
        assertEquals(1, queue.drain(rest::add, 100));
        assertEquals(List.of(expected), rest);
        assertNull(queue.poll());
        assertTrue(queue.isEmpty());
    }

    @Test
    @Timeout(60)
    void shouldTakeEveryElementOfManyProducersOnceAndEachInItsOrder() throws InterruptedException
    {
        final int producers = 4;
        final int perProducer = 200_000;
        final RequestQueue<long[]> queue = new RequestQueue<>(64);
        final CountDownLatch start = new CountDownLatch(1);
        final List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++)
        {
            final int producer = p;
            final Thread thread = new Thread(() ->
            {
                try
                {
                    start.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (long i = 0; i < perProducer; i++)
                {
                    final long[] element = { producer, i };
                    while (!queue.offer(element))
                    {
                        Thread.onSpinWait();
                    }
                }
            }, "producer-" + p);
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        final long[] nextByProducer = new long[producers];
        long taken = 0;
        while (taken < (long)producers * perProducer)
        {
            final long[] element = queue.poll();
            if (element == null)
            {
                Thread.onSpinWait();
                continue;
            }
            assertEquals(nextByProducer[(int)element[0]]++, element[1], "producer " + element[0] + "'s order");
            taken++;
        }
        for (final Thread thread : threads)
        {
            thread.join();
        }
        assertNull(queue.poll());
        for (int p = 0; p < producers; p++)
        {
            assertEquals(perProducer, nextByProducer[p]);
        }
    }
}
