package io.xin.loadgen;

import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.ProcStat;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.Fleet;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code xin loadgen idle}: hold U authenticated sessions with heartbeats and report the server's memory
 * per session: resident memory from /proc and, for a JVM the JDK's jcmd can reach, heap used after a GC.
 */
@Command(name = "idle", mixinStandardHelpOptions = true,
    description = "Hold U authenticated sessions with heartbeats for --duration and report the server's memory per session.")
final class IdleCommand extends ScenarioCommand
{
    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    @Override
    int run(final TargetProcess process, final long serverPid, final Fleet fleet, final Summary summary,
        final Measurements measurements) throws Exception
    {
        final long ownPid = ProcessHandle.current().pid();
        final boolean embedded = process.kind() == TargetProcess.Kind.EMBEDDED;
        final long rssBefore = serverPid > 0 && !embedded ? ProcStat.rssBytes(serverPid) : 0;
        final long heapBefore = heapUsed(serverPid, embedded);
        final long ownRssBefore = ProcStat.rssBytes(ownPid);

        final boolean all = connectAll(fleet, summary);
        final boolean cpuKnown = serverPid > 0 && !embedded;
        final long serverCpuBeforeNs = cpuKnown ? ProcStat.cpuNanos(serverPid) : 0;
        final long holdNs = TimeUnit.MILLISECONDS.toNanos((long)(options.durationS * 1_000));
        final long startNs = System.nanoTime();
        while (System.nanoTime() - startNs < holdNs)
        {
            Thread.sleep(200);
        }
        if (cpuKnown)
        {
            // The fixed burn of an idle switch: timers, heartbeats, ring threads, as a share of one core.
            final long heldNs = System.nanoTime() - startNs;
            summary.put("server_idle_cpu_percent_of_core",
                Math.round(1_000.0 * (ProcStat.cpuNanos(serverPid) - serverCpuBeforeNs) / heldNs) / 10.0);
        }
        final int alive = fleet.loggedIn();
        final long heapAfter = heapUsed(serverPid, embedded);
        summary.put("sessions_alive", alive);
        summary.put("held_s", options.durationS);
        if (serverPid > 0 && !embedded)
        {
            final long rssAfter = ProcStat.rssBytes(serverPid);
            summary.put("server_rss_bytes", rssAfter);
            summary.put("server_rss_per_session_bytes", (rssAfter - rssBefore) / Math.max(1, alive));
        }
        if (heapBefore >= 0 && heapAfter >= 0)
        {
            summary.put("server_heap_per_session_bytes", (heapAfter - heapBefore) / Math.max(1, alive));
        }
        summary.put("loadgen_rss_per_session_bytes", (ProcStat.rssBytes(ownPid) - ownRssBefore) / Math.max(1, alive));
        summary.put("result", all && alive == fleet.size() ? "ok" : "FAILED: " + (fleet.size() - alive) +
            " session(s) not logged in");
        return all && alive == fleet.size() ? 0 : EXIT_FAILED;
    }

    /**
     * @return heap used after a full GC in bytes, -1 when it cannot be read.
     */
    private static long heapUsed(final long pid, final boolean embedded) throws InterruptedException
    {
        if (embedded)
        {
            System.gc();
            return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }
        if (pid <= 0)
        {
            return -1;
        }
        try
        {
            final String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            run(jcmd, Long.toString(pid), "GC.run");
            final Matcher matcher = HEAP_USED.matcher(run(jcmd, Long.toString(pid), "GC.heap_info"));
            return matcher.find() ? Long.parseLong(matcher.group(1)) * 1024 : -1;
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    private static String run(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        process.waitFor(30, TimeUnit.SECONDS);
        return output;
    }
}
