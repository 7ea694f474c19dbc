package io.xin.loadgen;

import io.xin.client.XinClient;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.Fleet;
import io.xin.protocol.pb.LoginOk;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code xin loadgen storm}: every session drops at once and all reconnect, at once or spread over a
 * jitter window; times until every one is logged in and caught up with its inbox.
 */
@Command(name = "storm", mixinStandardHelpOptions = true,
    description = "Drop every session at once and reconnect all (optionally with jitter); time until all are " +
        "logged in and synced.")
final class StormCommand extends ScenarioCommand
{
    @Option(names = "--jitter-ms", description = "Spread the reconnects uniformly over this window; 0 for all at " +
        "once (default: ${DEFAULT-VALUE}).")
    long jitterMs = 0;

    @Override
    int run(final TargetProcess process, final long serverPid, final Fleet fleet, final Summary summary,
        final Measurements measurements) throws Exception
    {
        if (jitterMs < 0)
        {
            throw new IllegalArgumentException("--jitter-ms must not be negative: " + jitterMs);
        }
        if (!connectAll(fleet, summary))
        {
            return EXIT_FAILED;
        }

        final int users = fleet.size();
        final long dropStartNs = System.nanoTime();
        for (int i = 0; i < users; i++)
        {
            fleet.replace(i);
        }
        final long dropMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - dropStartNs);
        out.printf("dropped %,d sessions in %,d ms; reconnecting %s%n", users, dropMs,
            jitterMs == 0 ? "all at once" : "over " + jitterMs + " ms");

        final long[] offsetsNs = new long[users];
        for (int i = 0; i < users; i++)
        {
            offsetsNs[i] = jitterMs == 0 ? 0 : ThreadLocalRandom.current().nextLong(TimeUnit.MILLISECONDS.toNanos(jitterMs));
        }
        java.util.Arrays.sort(offsetsNs);
        final Histogram loginLatencyUs = new Histogram(1, Measurements.HIGHEST_LATENCY_US, 3);
        @SuppressWarnings("unchecked")
        final CompletableFuture<LoginOk>[] logins = new CompletableFuture[users];
        final long stormStartNs = System.nanoTime();
        for (int i = 0; i < users; i++)
        {
            final long intendedNs = stormStartNs + offsetsNs[i];
            final long waitNs = intendedNs - System.nanoTime();
            if (waitNs > 0)
            {
                LockSupport.parkNanos(waitNs);
            }
            final XinClient client = fleet.session(i).client();
            logins[i] = client.connect();
            logins[i].thenRun(() ->
            {
                synchronized (loginLatencyUs)
                {
                    loginLatencyUs.recordValue(Math.min(Measurements.HIGHEST_LATENCY_US,
                        (System.nanoTime() - intendedNs) / 1_000));
                }
            });
        }
        int failed = 0;
        final long deadlineNs = stormStartNs + TimeUnit.MILLISECONDS.toNanos(CONNECT_TIMEOUT_MS);
        for (final CompletableFuture<LoginOk> login : logins)
        {
            try
            {
                login.get(Math.max(1, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            catch (final Exception ex)
            {
                failed++;
            }
        }
        final long allLoggedInNs = System.nanoTime();
        // Caught up: each client syncs by itself after login when its cursor is behind its inbox head.
        int synced = 0;
        for (int i = 0; i < users; i++)
        {
            final XinClient client = fleet.session(i).client();
            final long headSeq = logins[i].isDone() && !logins[i].isCompletedExceptionally() ? logins[i].join().getHeadSeq() : -1;
            while (headSeq >= 0 && client.lastSeq() < headSeq && System.nanoTime() < deadlineNs)
            {
                Thread.sleep(5);
            }
            synced += headSeq >= 0 && client.lastSeq() >= headSeq ? 1 : 0;
        }
        final long allSyncedNs = System.nanoTime();
        synchronized (loginLatencyUs)
        {
            summary.put("jitter_ms", jitterMs)
                .put("drop_ms", dropMs)
                .put("recovery_ms", TimeUnit.NANOSECONDS.toMillis(allLoggedInNs - stormStartNs))
                .put("recovery_synced_ms", TimeUnit.NANOSECONDS.toMillis(allSyncedNs - stormStartNs))
                .put("reconnected", users - failed)
                .put("synced", synced)
                .put("login_latency_us", Summary.latency(loginLatencyUs));
        }
        final boolean ok = failed == 0 && synced == users;
        summary.put("result", ok ? "ok" : "FAILED: " + failed + " login(s) failed, " + (users - synced) + " not synced");
        return ok ? 0 : EXIT_FAILED;
    }
}
