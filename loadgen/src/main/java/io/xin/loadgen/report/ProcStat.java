package io.xin.loadgen.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time and resident memory of a process on this machine, from Linux's /proc. CPU time counts
 * only the cycles the process itself used, so it stays meaningful when the load generator competes
 * with the switch for the cores.
 */
public final class ProcStat
{
    /** Linux reports CPU times in USER_HZ ticks, 100 per second on every common architecture. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private ProcStat()
    {
    }

    /**
     * @param pid a process id.
     * @return whether /proc has it (Linux, process alive).
     */
    public static boolean exists(final long pid)
    {
        return Files.isReadable(Path.of("/proc", Long.toString(pid), "stat"));
    }

    /**
     * @param pid a process id.
     * @return user plus system CPU time of the process so far, in nanoseconds (10 ms resolution).
     * @throws IOException when /proc cannot be read.
     */
    public static long cpuNanos(final long pid) throws IOException
    {
        final String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        final long utimeTicks = Long.parseLong(fields[11]);
        final long stimeTicks = Long.parseLong(fields[12]);
        return (utimeTicks + stimeTicks) * NANOS_PER_TICK;
    }

    /**
     * @param pid a process id.
     * @return the bytes the process has caused to be written to storage so far ({@code write_bytes} of
     * {@code /proc/<pid>/io}, counted when it dirties page cache, so also what the kernel writes back later).
     * @throws IOException when /proc cannot be read (another user's process, or no such field).
     */
    public static long diskWriteBytes(final long pid) throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "io")))
        {
            if (line.startsWith("write_bytes:"))
            {
                return Long.parseLong(line.substring("write_bytes:".length()).trim());
            }
        }
        throw new IOException("no write_bytes in /proc/" + pid + "/io");
    }

    /**
     * @param pid a process id.
     * @return resident set size in bytes.
     * @throws IOException when /proc cannot be read.
     */
    public static long rssBytes(final long pid) throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
        {
            if (line.startsWith("VmRSS:"))
            {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }
}
