package io.xin.core;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Used heap of this JVM after a full collection, for the heap before, during and after an abuse
 * case. The switch runs in the test's own JVM, so the figure includes the test's clients: it shows
 * that memory stays bounded and comes back, not what a session costs.
 */
final class HeapProbe
{
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private final String name;
    private long beforeBytes;
    private long duringBytes;

    HeapProbe(final String name)
    {
        this.name = name;
    }

    static long usedAfterGcBytes()
    {
        for (int i = 0; i < 3; i++)
        {
            System.gc();
        }
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    HeapProbe before()
    {
        beforeBytes = usedAfterGcBytes();
        return this;
    }

    long during()
    {
        duringBytes = usedAfterGcBytes();
        return duringBytes;
    }

    /**
     * Prints the three figures.
     *
     * @return the heap after, in bytes.
     */
    long after(final String detail)
    {
        final long afterBytes = usedAfterGcBytes();
        System.out.printf("ABUSE %s heap before=%.1f MiB during=%.1f MiB after=%.1f MiB %s%n", name,
            beforeBytes / 1048576.0, duringBytes / 1048576.0, afterBytes / 1048576.0, detail);
        return afterBytes;
    }

    long beforeBytes()
    {
        return beforeBytes;
    }
}
