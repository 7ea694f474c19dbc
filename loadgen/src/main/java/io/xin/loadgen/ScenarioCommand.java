package io.xin.loadgen;

import ch.qos.logback.classic.Level;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.Fleet;
import io.xin.loadgen.scenario.Target;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

import java.io.PrintStream;
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
    static final long CONNECT_TIMEOUT_MS = 120_000;

    @Mixin
    LoadOptions options;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception
    {
        try
        {
            options.validate();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), ex.getMessage());
        }
        // Count, don't log: the clients' and switch's lifecycle lines would drown the progress line.
        ((ch.qos.logback.classic.Logger)LoggerFactory.getLogger("io.xin")).setLevel(Level.WARN);

        final String scenario = spec.name();
        try (TargetProcess process = TargetProcess.start(options))
        {
            final Target target = options.target(process);
            final long serverPid = process.pid() > 0 ? process.pid() : options.serverPid;
            final Summary summary = new Summary()
                .put("scenario", scenario)
                .put("target", process.kind() == TargetProcess.Kind.NONE ?
                    process.host() + ":" + process.port() : process.kind().name().toLowerCase(java.util.Locale.ROOT) +
                    (process.kind() == TargetProcess.Kind.RELAY ? "" : " (fsync " +
                    options.fsync.name().toLowerCase(java.util.Locale.ROOT) + ")"))
                .put("sessions", options.users);
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
                return exit;
            }
        }
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

    /**
     * Run the scenario.
     *
     * @return the exit code.
     */
    abstract int run(TargetProcess process, long serverPid, Fleet fleet, Summary summary, Measurements measurements)
        throws Exception;
}
