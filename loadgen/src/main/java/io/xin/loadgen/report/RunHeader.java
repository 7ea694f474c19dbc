package io.xin.loadgen.report;

import io.xin.core.BuildInfo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * What a report needs to be read later: when the run started (UTC), which Xin build ran it, against
 * which target, from which host. The first keys of every summary, shown as the HTML report's header.
 */
public final class RunHeader
{
    private RunHeader()
    {
    }

    /**
     * @param summary       where the keys go: {@code start_utc, xin_version, target, target_address, generator_host}.
     * @param startedAt     when the run started.
     * @param target        what the target is: its start mode ("switch (fsync batch)") or its address.
     * @param targetAddress host:port the sessions connect to.
     * @return the summary.
     */
    public static Summary put(
        final Summary summary, final Instant startedAt, final String target, final String targetAddress)
    {
        return summary
            .put("start_utc", startedAt.truncatedTo(ChronoUnit.SECONDS).toString())
            .put("xin_version", xinVersion())
            .put("target", target)
            .put("target_address", targetAddress)
            .put("generator_host", hostName());
    }

    /**
     * @return the version and commit of the build this runs from, e.g. {@code 0.1.0 (commit 1a2b3c4d5e6f)}.
     */
    public static String xinVersion()
    {
        return BuildInfo.version() + " (commit " + BuildInfo.commit() + ")";
    }

    /**
     * The kernel's host name, without a name lookup (which could leave the machine).
     *
     * @return the host name of this machine, "unknown" when it cannot be read.
     */
    public static String hostName()
    {
        try
        {
            final String name = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).trim();
            if (!name.isEmpty())
            {
                return name;
            }
        }
        catch (final IOException | RuntimeException ignore)
        {
            // Not Linux: the environment's name, if any.
        }
        final String env = System.getenv("HOSTNAME") != null ? System.getenv("HOSTNAME") : System.getenv("COMPUTERNAME");
        return env != null && !env.isEmpty() ? env : "unknown";
    }
}
