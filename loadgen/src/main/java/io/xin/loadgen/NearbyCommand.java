package io.xin.loadgen;

import io.xin.client.XinClient;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.Fleet;
import io.xin.protocol.pb.NearbyResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code xin loadgen nearby}: every user reports a random place in a square, then, at an open-loop total rate, users
 * move a little (a report) or ask for the first page of people nearby (a query); latency of each from its intended
 * start, and the users per page.
 */
@Command(name = "nearby", mixinStandardHelpOptions = true,
    description = "U users report random places in a square of --area-km, then at an open-loop total rate R each " +
        "request is a small move (a report, --report-share of them) or a query for the first page of people " +
        "nearby; reports rates and latency p50/p99 of reports and queries, and users per page. Keep each user " +
        "under the switch's nearby-reports-per-minute and nearby-queries-per-minute (10 and 30 by default): a " +
        "request over them waits for its retry, which shows as latency.")
final class NearbyCommand extends ScenarioCommand
{
    @Option(names = "--area-km", description = "Side of the square the users are in, in km " +
        "(default: ${DEFAULT-VALUE}).")
    double areaKm = 20;

    @Option(names = "--report-share", description = "Share of the requests that are reports, 0..1 (default: " +
        "${DEFAULT-VALUE}).")
    double reportShare = 0.25;

    @Option(names = "--page", description = "Page size of a query (default: ${DEFAULT-VALUE}).")
    int page = 20;

    @Option(names = "--latitude", description = "Latitude of the square's centre (default: ${DEFAULT-VALUE}).")
    double latitude = 31.2304;

    @Option(names = "--longitude", description = "Longitude of the square's centre (default: ${DEFAULT-VALUE}).")
    double longitude = 121.4737;

    @Override
    void validateScenario()
    {
        if (areaKm <= 0 || areaKm > 2_000 || reportShare < 0 || reportShare > 1 || page < 1)
        {
            throw new IllegalArgumentException("--area-km must be 0..2000, --report-share 0..1 and --page positive");
        }
        final double perUserPerMinute = options.rate * 60 / options.users;
        if (perUserPerMinute * reportShare > 10 || perUserPerMinute * (1 - reportShare) > 30)
        {
            System.out.printf("note: %.1f reports and %.1f queries per user per minute: over the switch's default " +
                "limits (10 and 30), the excess waits for its retry%n", perUserPerMinute * reportShare,
                perUserPerMinute * (1 - reportShare));
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
        final int users = fleet.size();
        final SocialLoad load = new SocialLoad(latitude, longitude, areaKm, options.seed);
        final double[][] places = new double[users][2];
        final long intervalNs = (long)(TimeUnit.SECONDS.toNanos(1) / options.rate);

        // Everyone opts in first, at the same pace.
        final long firstNs = System.nanoTime();
        long intendedNs = firstNs;
        for (int i = 0; i < users; i++)
        {
            load.place(places[i]);
            SocialLoad.awaitStart(intendedNs);
            load.track("first_report", intendedNs,
                fleet.session(i).client().reportLocation(places[i][0], places[i][1]));
            intendedNs += intervalNs;
        }
        load.drain(CONNECT_TIMEOUT_MS);
        out.printf("%,d users reported a place in a %.0f km square%n", users, areaKm);
        load.report(summary, TimeUnit.NANOSECONDS.toMillis(intendedNs - firstNs), out);
        final long firstFailures = load.failures();

        final LongAdder pageUsers = new LongAdder();
        final LongAdder pages = new LongAdder();
        final long warmupNs = (long)(options.warmupS * 1e9);
        final long durationNs = (long)(options.durationS * 1e9);
        final long startNs = System.nanoTime();
        intendedNs = startNs;
        boolean measuring = warmupNs == 0;
        if (measuring)
        {
            load.reset();
        }
        final double[] moved = new double[2];
        while (intendedNs < startNs + warmupNs + durationNs)
        {
            if (!measuring && intendedNs >= startNs + warmupNs)
            {
                load.reset();
                pageUsers.reset();
                pages.reset();
                measuring = true;
            }
            SocialLoad.awaitStart(intendedNs);
            final int i = load.random().nextInt(users);
            final XinClient client = fleet.session(i).client();
            if (load.random().nextDouble() < reportShare)
            {
                load.near(places[i], 0.2, moved);
                places[i][0] = moved[0];
                places[i][1] = moved[1];
                load.track("report", intendedNs, client.reportLocation(moved[0], moved[1]));
            }
            else
            {
                load.track("query", intendedNs, client.nearby(0, page)).thenAccept((NearbyResult result) ->
                {
                    if (result != null)
                    {
                        pageUsers.add(result.getUsersCount());
                        pages.increment();
                    }
                });
            }
            intendedNs += intervalNs;
        }
        load.drain((long)(options.drainS * 1_000));
        final long windowMs = TimeUnit.NANOSECONDS.toMillis(durationNs);
        summary.put("area_km", areaKm).put("report_share", reportShare).put("page", page).put("rate", options.rate)
            .put("users_per_page", pages.sum() == 0 ? 0 : pageUsers.sum() / (double)pages.sum());
        load.report(summary, windowMs, out);
        out.printf("users per page %.1f%n", pages.sum() == 0 ? 0 : pageUsers.sum() / (double)pages.sum());
        final boolean failed = firstFailures + load.failures() > 0;
        summary.put("result", failed ? "FAILED: requests refused" : "ok");
        return failed ? EXIT_FAILED : 0;
    }
}
