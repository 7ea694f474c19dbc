package io.xin.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * CPU time of the benchmark thread per operation over one JMH iteration: unlike the score, it does not grow
 * when other processes take the cores. Start it in a {@code @Setup(Level.Iteration)} method and print it in
 * the matching {@code @TearDown}; both run on the benchmark thread.
 */
public final class CpuPerOperation
{
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private long startCpuNs;
    private long startOperations;

    /** @param operations the benchmark's operation count so far. */
    public void start(final long operations)
    {
        startCpuNs = THREADS.getCurrentThreadCpuTime();
        startOperations = operations;
    }

    /** Prints {@code [cpu ns per UNIT: N]} for the operations since {@link #start}. */
    public void print(final String unit, final long operations)
    {
        System.out.printf("  [cpu ns per %s: %.0f]", unit, (THREADS.getCurrentThreadCpuTime() - startCpuNs) /
            (double)Math.max(1, operations - startOperations));
    }
}
