package io.xin.bench;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.management.ObjectName;

/**
 * Readings of this process's memory: GC-settled heap, resident set, the kernel's slab (socket
 * structures live there), Netty's direct memory, and a live-object class histogram.
 */
public final class MemoryProbe
{
    private MemoryProbe()
    {
    }

    /** Heap used after full collections, once two in a row agree within 1 MiB (or after eight). */
    public static long settledHeapBytes() throws InterruptedException
    {
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 8; i++)
        {
            System.gc();
            Thread.sleep(100);
            final long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            if (Math.abs(previous - used) < 1024 * 1024)
            {
                return used;
            }
            previous = used;
        }
        return previous;
    }

    /** VmRSS of this process from /proc/self/status, or -1 where there is no /proc. */
    static long rssBytes()
    {
        return procKiB(Path.of("/proc/self/status"), "VmRSS:");
    }

    /** The kernel's slab memory (sockets, their inodes, dentries and epoll items) from /proc/meminfo. */
    static long slabBytes()
    {
        return procKiB(Path.of("/proc/meminfo"), "Slab:");
    }

    /**
     * The kernel's slab caches from /proc/slabinfo (readable by root only), in the shape of
     * {@link #classHistogram()}, so that {@link #growth} itemises the slab growth by cache: which kernel
     * objects a socket takes, and how many of each.
     *
     * @return cache name to {active objects, active objects times object size}; empty when unreadable.
     */
    static Map<String, long[]> slabCaches()
    {
        final Map<String, long[]> caches = new HashMap<>();
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/slabinfo"), StandardCharsets.US_ASCII))
            {
                // name <active_objs> <num_objs> <objsize> ...; the two header lines do not parse.
                final String[] parts = line.trim().split("\\s+");
                if (parts.length >= 4 && parts[1].chars().allMatch(Character::isDigit) &&
                    parts[3].chars().allMatch(Character::isDigit))
                {
                    final long objects = Long.parseLong(parts[1]);
                    caches.put(parts[0], new long[] {objects, objects * Long.parseLong(parts[3])});
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            caches.clear();
        }
        return caches;
    }

    /** Direct memory held by Netty's default allocator. */
    static long nettyDirectBytes()
    {
        return ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider ?
            provider.metric().usedDirectMemory() : -1;
    }

    private static long procKiB(final Path file, final String key)
    {
        try
        {
            for (final String line : Files.readAllLines(file, StandardCharsets.US_ASCII))
            {
                if (line.startsWith(key))
                {
                    return Long.parseLong(line.substring(key.length()).replace("kB", "").trim()) * 1024;
                }
            }
        }
        catch (final IOException | NumberFormatException ex)
        {
            return -1;
        }
        return -1;
    }

    /**
     * Live objects by class, as {@code jcmd <pid> GC.class_histogram} prints them (it runs a full GC).
     *
     * @return class name to {instances, bytes}.
     */
    static Map<String, long[]> classHistogram()
    {
        final String text;
        try
        {
            text = (String)ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("class histogram unavailable: " + ex, ex);
        }
        final Map<String, long[]> histogram = new HashMap<>();
        for (final String line : text.split("\n"))
        {
            final String[] parts = line.trim().split("\\s+");
            if (parts.length >= 4 && parts[0].endsWith(":"))
            {
                histogram.put(parts[3], new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2])});
            }
        }
        return histogram;
    }

    /** One class's growth between two histograms. */
    record ClassGrowth(String className, long instances, long bytes)
    {
    }

    /**
     * @return the classes whose live bytes grew most from {@code before} to {@code after}, largest first.
     */
    static List<ClassGrowth> growth(final Map<String, long[]> before, final Map<String, long[]> after, final int top)
    {
        final List<ClassGrowth> rows = new ArrayList<>();
        after.forEach((name, counts) ->
        {
            final long[] was = before.getOrDefault(name, new long[2]);
            rows.add(new ClassGrowth(name, counts[0] - was[0], counts[1] - was[1]));
        });
        rows.sort((a, b) -> Long.compare(b.bytes(), a.bytes()));
        return rows.subList(0, Math.min(top, rows.size()));
    }
}
