package io.xin.bench;

import java.lang.management.ManagementFactory;

/**
 * Bytes one given thread allocated per operation over one JMH iteration, for work a benchmark hands to a
 * thread of its own (JMH's {@code -prof gc} counts every thread's allocation, so it cannot say which thread
 * made it). Start it in a {@code @Setup(Level.Iteration)} method and print it in the matching
 * {@code @TearDown}.
 */
public final class AllocationPerOperation
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private final Thread thread;
    private long startBytes;
    private long startOperations;

    /** @param thread the thread whose allocation is counted; alive while this is used. */
    public AllocationPerOperation(final Thread thread)
    {
        this.thread = thread;
    }

    /** @param operations the operations that thread has done so far. */
    public void start(final long operations)
    {
        startBytes = THREADS.getThreadAllocatedBytes(thread.getId());
        startOperations = operations;
    }

    /** Prints {@code [NAME allocated B per UNIT: N]} for the operations since {@link #start}. */
    public void print(final String unit, final long operations)
    {
        System.out.printf("  [%s allocated B per %s: %.1f]", thread.getName(), unit,
            (THREADS.getThreadAllocatedBytes(thread.getId()) - startBytes) /
            (double)Math.max(1, operations - startOperations));
    }
}
