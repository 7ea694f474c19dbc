package io.xin.loadgen;

import ch.qos.logback.classic.Level;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.RunHeader;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.Fleet;
import io.xin.loadgen.scenario.Target;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * What every scenario command does around its scenario: check the options, start the target if asked,
 * build the fleet of sessions, run, report, and exit non-zero when a message was lost or duplicated.
 */
abstract class ScenarioCommand implements Callable<Integer>
{
    /** Exit code of a run that lost or duplicated an acknowledged message. */
    static final int EXIT_BROKEN_PROMISE = 1;
    /** Exit code of a run that could not do its job (sessions did not log in, ...). */
    static final int EXIT_FAILED = 3;
    /**
     * Exit code of a run whose target went away (drained, crashed) and did not come back before its end, no
     * acknowledged message lost or duplicated as far as it could tell.
     */
    static final int EXIT_TARGET_WENT_AWAY = 4;
    static final long CONNECT_TIMEOUT_MS = 120_000;

    @Mixin
    LoadOptions options;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    final PrintStream out = System.out;
    /** Child processes of a multi-process run, null otherwise. */
    Children children;

    @Override
    public Integer call() throws Exception
    {
        try
        {
            options.validate();
            validateScenario();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), ex.getMessage());
        }
        // Count, don't log: the clients' and switch's lifecycle lines would drown the progress line.
        ((ch.qos.logback.classic.Logger)LoggerFactory.getLogger("io.xin")).setLevel(Level.WARN);

        final String scenario = spec.name();
        final java.time.Instant startedAt = java.time.Instant.now();
        final int totalUsers = options.users;
        final int processes = options.processCount();
        if (processes > 1 && !supportsProcesses())
        {
            throw new CommandLine.ParameterException(spec.commandLine(), scenario + " runs in one process: at most " +
                "--max-sessions-per-process sessions (" + options.maxSessionsPerProcess + ")");
        }
        try (TargetProcess process = TargetProcess.start(options))
        {
            if (processes > 1)
            {
                children = spawnChildren(process, processes, scenario);
            }
            final Target target = options.target(process);
            final long serverPid = process.pid() > 0 ? process.pid() : options.serverPid;
            final Summary summary = RunHeader.put(new Summary().put("scenario", scenario), startedAt,
                !options.seeds.isEmpty() ? "cluster " + String.join(",", options.seeds) :
                process.kind() == TargetProcess.Kind.NONE ?
                    process.host() + ":" + process.port() : process.kind().name().toLowerCase(java.util.Locale.ROOT) +
                    (process.kind() == TargetProcess.Kind.RELAY ? "" : " (fsync " +
                    options.fsync.name().toLowerCase(java.util.Locale.ROOT) + ")"),
                process.host() + ":" + process.port())
                .put("sessions", totalUsers);
            if (processes > 1)
            {
                summary.put("processes", processes);
            }
            try (Fleet fleet = new Fleet(target, options.users, options.ioThreads))
            {
                out.printf("xin loadgen %s: %,d sessions to %s:%d (%s transport, %d source address(es))%n",
                    scenario, options.users, process.host(), process.port(), fleet.transportName(),
                    Math.max(1, target.sourceAddresses().size()));
                final Measurements measurements = new Measurements(scenario,
                    () -> String.format("sessions %,d", fleet.size()));
                final int exit;
                try
                {
                    exit = run(process, serverPid, fleet, summary, measurements);
                }
                finally
                {
                    measurements.close();
                }
                if (options.childOutput != null)
                {
                    summary.put(Children.ACK_HISTOGRAM, Children.encode(measurements.ackLatencyUs()));
                    summary.put(Children.DELIVER_HISTOGRAM, Children.encode(measurements.deliverLatencyUs()));
                }
                if (process.embedded() != null)
                {
                    final io.xin.core.status.SwitchCounters counters = process.embedded().counters();
                    summary.put("switch_counters", counters.toString());
                    final long batches = Math.max(1, counters.journalBatches.sum());
                    summary.put("journal_events_per_batch", counters.journalBatchEvents.sum() / (double)batches);
                    summary.put("journal_write_us_per_batch", counters.journalWriteNanos.sum() / 1e3 / batches);
                }
                options.report(scenario, summary, measurements, out);
                if (exit == EXIT_BROKEN_PROMISE)
                {
                    System.err.printf("%nFAILED: %,d acknowledged message(s) lost, %,d duplicate(s)%n",
                        summary.getLong("lost"), summary.getLong("duplicates"));
                }
                else if (exit == EXIT_TARGET_WENT_AWAY)
                {
                    System.err.printf("%nTARGET WENT AWAY: %s%n", summary.get("result"));
                }
                return exit;
            }
        }
        finally
        {
            if (children != null)
            {
                children.close();
            }
        }
    }

    /**
     * @return the exit code of a run that both exits got: a broken promise first, then the higher one.
     */
    static int worse(final int exit, final int other)
    {
        return exit == EXIT_BROKEN_PROMISE || other == EXIT_BROKEN_PROMISE ? EXIT_BROKEN_PROMISE : Math.max(exit, other);
    }

    /**
     * @return whether the scenario can be spread over child processes.
     */
    boolean supportsProcesses()
    {
        return false;
    }

    /**
     * Give this process the first slice of the users and start a child for each other slice, each with its
     * own source addresses and its share of the rate.
     */
    private Children spawnChildren(final TargetProcess process, final int processes, final String scenario)
        throws java.io.IOException
    {
        final int totalUsers = options.users;
        final double totalRate = options.rate;
        final int addresses = Math.max(1, options.sourceAddresses > 0 ? options.sourceAddresses :
            (totalUsers / processes + LoadOptions.SESSIONS_PER_SOURCE_ADDRESS - 1) / LoadOptions.SESSIONS_PER_SOURCE_ADDRESS);
        final java.util.List<java.util.List<String>> args = new java.util.ArrayList<>();
        int first = 0;
        for (int k = 0; k < processes; k++)
        {
            final int slice = totalUsers / processes + (k < totalUsers % processes ? 1 : 0);
            final double rate = totalRate * slice / totalUsers;
            if (k == 0)
            {
                options.users = slice;
                options.rate = rate;
                options.sourceAddresses = addresses;
            }
            else
            {
                args.add(java.util.List.of("loadgen", scenario,
                    "--host", process.host(), "--port", Integer.toString(process.port()),
                    "--seeds", String.join(",", options.seeds.isEmpty() ?
                        List.of(process.host() + ":" + process.port()) : options.seeds),
                    "--jwt-secret", options.jwtSecret,
                    "--users", Integer.toString(slice),
                    "--first-user-id", Long.toString(options.firstUserId + first),
                    "--rate", Double.toString(rate),
                    "--duration", Double.toString(options.durationS),
                    "--warmup", Double.toString(options.warmupS),
                    "--drain", Double.toString(options.drainS),
                    "--payload", Integer.toString(options.payloadBytes),
                    "--zipf", Double.toString(options.zipfSkew),
                    "--seed", Long.toString(options.seed + k),
                    "--io-threads", Integer.toString(options.ioThreads),
                    "--source-addresses", Integer.toString(addresses),
                    "--source-address-offset", Integer.toString(k * addresses),
                    options.noAcks ? "--no-acks" : "--acks"));
            }
            first += slice;
        }
        final java.nio.file.Path workDir = java.nio.file.Files.createTempDirectory("xin-loadgen-children-");
        out.printf("spreading %,d sessions over %d processes (%d source address(es) each); child logs in %s%n",
            totalUsers, processes, addresses, workDir);
        return new Children(args, workDir);
    }
    /**
     * Connect every session of the fleet, printing how long it took.
     *
     * @return whether all logged in.
     */
    boolean connectAll(final Fleet fleet, final Summary summary) throws Exception
    {
        final long startNs = System.nanoTime();
        final int failed = fleet.connect(0, fleet.size(), CONNECT_TIMEOUT_MS);
        final long connectMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        out.printf("logged in %,d of %,d sessions in %,d ms%n", fleet.size() - failed, fleet.size(), connectMs);
        summary.put("connect_ms", connectMs);
        summary.put("login_failures", failed);
        return failed == 0;
    }

    /** The scenario's own option checks, before anything starts: an IllegalArgumentException is a usage error. */
    void validateScenario()
    {
    }

    /**
     * Run the scenario.
     *
     * @return the exit code.
     */
    abstract int run(TargetProcess process, long serverPid, Fleet fleet, Summary summary, Measurements measurements)
        throws Exception;
}
