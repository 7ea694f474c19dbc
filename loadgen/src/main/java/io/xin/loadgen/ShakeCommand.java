package io.xin.loadgen;

import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.Fleet;
import io.xin.protocol.pb.ShakeResult;
import io.xin.protocol.pb.ShakeState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code xin loadgen shake}: users in pairs shake together, an open-loop rate of pairs a second, each pair at a
 * random place of a square (the second within 100 m of the first) or without a location; shakes matched, with the
 * intended partner or another shaker of the same moment, and expired, and the latency from the shake to its final
 * result (at once for the second of a pair, pushed for the first).
 */
@Command(name = "shake", mixinStandardHelpOptions = true,
    description = "U users shake in U/2 pairs, an open-loop total rate R of pairs a second, at random places of a " +
        "square (or with --no-location, without one); reports matches a second, matched and expired shakes, and " +
        "latency p50/p99 from a shake to its final result. Keep each user under the switch's " +
        "nearby-queries-per-minute (30 by default).")
final class ShakeCommand extends ScenarioCommand
{
    @Option(names = "--area-km", description = "Side of the square the pairs are in, in km " +
        "(default: ${DEFAULT-VALUE}).")
    double areaKm = 20;

    @Option(names = "--no-location", description = "Shake without a location (pairs with anyone).")
    boolean noLocation;

    @Option(names = "--latitude", description = "Latitude of the square's centre (default: ${DEFAULT-VALUE}).")
    double latitude = 31.2304;

    @Option(names = "--longitude", description = "Longitude of the square's centre (default: ${DEFAULT-VALUE}).")
    double longitude = 121.4737;

    @Override
    void validateScenario()
    {
        if (options.users < 2 || areaKm <= 0 || areaKm > 2_000)
        {
            throw new IllegalArgumentException("--users must be at least 2 and --area-km 0..2000");
        }
        final double perUserPerMinute = options.rate * 60 / (options.users / 2);
        if (perUserPerMinute > 30)
        {
            System.out.printf("note: %.1f shakes per user per minute: over the switch's default limit (30), the " +
                "excess waits for its retry%n", perUserPerMinute);
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
        final int pairs = fleet.size() / 2;
        final SocialLoad load = new SocialLoad(latitude, longitude, areaKm, options.seed);
        final LongAdder matched = new LongAdder();
        final LongAdder withPartner = new LongAdder();
        final LongAdder expired = new LongAdder();
        final long intervalNs = (long)(TimeUnit.SECONDS.toNanos(1) / options.rate);
        final long warmupNs = (long)(options.warmupS * 1e9);
        final long durationNs = (long)(options.durationS * 1e9);
        final double[] here = new double[2];
        final double[] there = new double[2];
        final long startNs = System.nanoTime();
        long intendedNs = startNs;
        boolean measuring = warmupNs == 0;
        int next = 0;
        while (intendedNs < startNs + warmupNs + durationNs)
        {
            if (!measuring && intendedNs >= startNs + warmupNs)
            {
                load.reset();
                matched.reset();
                withPartner.reset();
                expired.reset();
                measuring = true;
            }
            SocialLoad.awaitStart(intendedNs);
            final int pair = next;
            next = (next + 1) % pairs;
            load.place(here);
            load.near(here, 0.1, there);
            for (int member = 0; member < 2; member++)
            {
                final io.xin.loadgen.scenario.Session session = fleet.session(2 * pair + member);
                final long partnerId = fleet.session(2 * pair + 1 - member).userId();
                final double[] place = member == 0 ? here : there;
                load.track("shake", intendedNs, noLocation ? session.client().shake() :
                    session.client().shake(place[0], place[1])).thenAccept((ShakeResult result) ->
                {
                    if (result == null)
                    {
                        return;
                    }
                    if (result.getState() == ShakeState.SHAKE_MATCHED)
                    {
                        matched.increment();
                        if (result.getUserId() == partnerId)
                        {
                            withPartner.increment();
                        }
                    }
                    else
                    {
                        expired.increment();
                    }
                });
            }
            intendedNs += intervalNs;
        }
        load.drain((long)(options.drainS * 1_000) + 10_000);
        final long windowMs = TimeUnit.NANOSECONDS.toMillis(durationNs);
        summary.put("area_km", areaKm).put("located", !noLocation).put("rate", options.rate)
            .put("matched_shakes", matched.sum())
            .put("matched_with_partner", withPartner.sum())
            .put("expired_shakes", expired.sum())
            .put("matches_per_second", windowMs == 0 ? 0 : matched.sum() / 2 * 1_000.0 / windowMs);
        load.report(summary, windowMs, out);
        out.printf("matches %,.1f/s: %,d shakes matched (%,d with the intended partner), %,d expired%n",
            windowMs == 0 ? 0 : matched.sum() / 2 * 1_000.0 / windowMs, matched.sum(), withPartner.sum(),
            expired.sum());
        final boolean failed = load.failures() > 0;
        summary.put("result", failed ? "FAILED: shakes refused" : "ok");
        return failed ? EXIT_FAILED : 0;
    }
}
