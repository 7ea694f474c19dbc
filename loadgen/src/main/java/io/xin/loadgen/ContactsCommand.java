package io.xin.loadgen;

import io.xin.client.ContactDiscovery;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.ProcStat;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.ContactsRun;
import io.xin.loadgen.scenario.Fleet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code xin loadgen contacts}: every user registers its number, then each discovers an address book through the
 * oblivious PRF; discoveries per second and their latency, and answers checked against the registrations.
 */
@Command(name = "contacts", mixinStandardHelpOptions = true,
    description = "U users register their phone numbers for contact discovery, then each discovers a book of B " +
        "numbers (a share of them other users'), C discoveries in flight at once; reports registrations and " +
        "discoveries per second, discovery latency, and answers that differ from the registrations. The switch " +
        "needs a discovery-key-file (one it starts gets a fresh key); the book must fit its per-device budget " +
        "(discovery-device-bucket-capacity, 4000 by default).")
final class ContactsCommand extends ScenarioCommand
{
    @Option(names = "--book", description = "Numbers in each user's book (default: ${DEFAULT-VALUE}).")
    int book = 200;

    @Option(names = "--hit-ratio", description = "Share of a book that are other users' numbers, 0..1 " +
        "(default: ${DEFAULT-VALUE}).")
    double hitRatio = 0.3;

    @Option(names = "--concurrency", description = "Registrations, then discoveries, in flight at once " +
        "(default: ${DEFAULT-VALUE}).")
    int concurrency = 8;

    @Option(names = "--batch", description = "Elements per request: at most the switch's " +
        "discovery-max-elements-per-request (default: ${DEFAULT-VALUE}).")
    int batch = ContactDiscovery.DEFAULT_BATCH_SIZE;

    @Option(names = "--timeout", description = "Longest time in seconds each phase (registrations, discoveries) may " +
        "take (default: ${DEFAULT-VALUE}).")
    int timeoutS = 600;

    @Option(names = "--client-threads", description = "Threads of this process that blind and unblind; 0 for one " +
        "per core (default: ${DEFAULT-VALUE}).")
    int clientThreads = 0;

    @Override
    void validateScenario()
    {
        if (book < 1 || hitRatio < 0 || hitRatio > 1 || concurrency < 1 || batch < 1 || clientThreads < 0 ||
            timeoutS < 1)
        {
            throw new IllegalArgumentException("--book, --concurrency, --batch and --timeout must be positive, " +
                "--hit-ratio 0..1");
        }
    }

    @Override
    int run(final TargetProcess process, final long serverPid, final Fleet fleet, final Summary summary,
        final Measurements measurements) throws Exception
    {
        if (!connectAll(fleet, summary))
        {
            return EXIT_FAILED;
        }
        final int threads = clientThreads > 0 ? clientThreads : Runtime.getRuntime().availableProcessors();
        final ExecutorService cpu = Executors.newFixedThreadPool(threads, runnable ->
        {
            final Thread thread = new Thread(runnable, "contacts-oprf");
            thread.setDaemon(true);
            return thread;
        });
        final ContactsRun.Outcome outcome;
        // The target's CPU when it is a process of its own (an embedded switch shares this one's).
        final boolean ownProcess = serverPid > 0 && serverPid != ProcessHandle.current().pid() &&
            ProcStat.exists(serverPid);
        final long cpuBeforeNs = ownProcess ? ProcStat.cpuNanos(serverPid) : 0;
        try
        {
            outcome = new ContactsRun(fleet, book, hitRatio, concurrency, batch, cpu, options.seed)
                .run(timeoutS * 1_000L);
        }
        finally
        {
            cpu.shutdownNow();
        }
        final long switchCpuNs = ownProcess ? ProcStat.cpuNanos(serverPid) - cpuBeforeNs : 0;
        final double registrationsPerSecond = outcome.registered * 1_000.0 / Math.max(1, outcome.registerMs);
        final double discoveriesPerSecond = outcome.discoveries * 1_000.0 / Math.max(1, outcome.discoverMs);
        out.printf("registered %,d numbers in %,d ms (%.1f/s); %,d discoveries of %,d numbers in %,d ms (%.1f/s, " +
            "%,.0f numbers/s)%n", outcome.registered, outcome.registerMs, registrationsPerSecond, outcome.discoveries,
            book, outcome.discoverMs, discoveriesPerSecond, discoveriesPerSecond * book);
        summary.put("book", book)
            .put("hit_ratio", hitRatio)
            .put("concurrency", concurrency)
            .put("client_threads", threads)
            .put("registered", outcome.registered)
            .put("register_failures", outcome.registerFailures)
            .put("registrations_per_second", registrationsPerSecond)
            .put("discoveries", outcome.discoveries)
            .put("discovery_failures", outcome.discoveryFailures)
            .put("failures", outcome.failures)
            .put("mismatches", outcome.mismatches)
            .put("discoveries_per_second", discoveriesPerSecond)
            .put("numbers_per_second", discoveriesPerSecond * book)
            .put("discovery_latency_us", Summary.latency(outcome.latencyUs));
        if (switchCpuNs > 0)
        {
            summary.put("target_cpu_us_per_number", switchCpuNs / 1e3 /
                Math.max(1, outcome.discoveries * (long)book + outcome.registered));
        }
        final boolean broken = outcome.mismatches > 0;
        summary.put("result", broken ? "FAILED: discoveries answered other than the registrations" :
            outcome.registerFailures + outcome.discoveryFailures > 0 ? "failures: " + outcome.failures : "ok");
        if (broken)
        {
            return EXIT_BROKEN_PROMISE;
        }
        return outcome.registerFailures + outcome.discoveryFailures > 0 ? EXIT_FAILED : 0;
    }
}
