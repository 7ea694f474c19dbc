package io.xin.loadgen;

import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.Fleet;
import io.xin.loadgen.scenario.GroupRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xin loadgen group}: every user online in groups of a given size, an open-loop total rate of
 * group sends; latency to every member copy, and copies lost or duplicated.
 */
@Command(name = "group", mixinStandardHelpOptions = true,
    description = "U users online in U/S groups of S members send an open-loop total rate R of group messages " +
        "(a random member of a random group each); reports ack latency, latency to every member copy, and member " +
        "copies lost or duplicated.")
final class GroupCommand extends ScenarioCommand
{
    @Option(names = "--group-size", description = "Members per group, 2..users and at most the switch's " +
        "max-group-members (default: ${DEFAULT-VALUE}).")
    int groupSize = 20;

    @Override
    int run(final TargetProcess process, final long serverPid, final Fleet fleet, final Summary summary,
        final Measurements measurements) throws Exception
    {
        if (!connectAll(fleet, summary))
        {
            return EXIT_FAILED;
        }
        final GroupRun run = new GroupRun(fleet, groupSize, measurements);
        final long createMs = run.createGroups(CONNECT_TIMEOUT_MS);
        out.printf("created %,d groups of %,d members in %,d ms%n", run.groups(), groupSize, createMs);
        final GroupRun.Outcome outcome = run.run(options.rate, (long)(options.warmupS * 1_000),
            (long)(options.durationS * 1_000), (long)(options.drainS * 1_000), options.payloadBytes, options.seed);
        summary.put("groups", run.groups())
            .put("group_size", groupSize)
            .put("create_ms", createMs)
            .put("rate", options.rate)
            .put("sent", outcome.sends)
            .put("acked", outcome.acked)
            .put("failed_sends", measurements.failedSends.sum())
            .put("expected_copies", outcome.expectedCopies)
            .put("delivered", outcome.copies)
            .put("lost", outcome.lostCopies)
            .put("duplicates", outcome.duplicateCopies)
            .put("copies_per_second", outcome.windowMs == 0 ? 0 : outcome.copies * 1_000.0 / outcome.windowMs)
            .put("ack_latency_us", Summary.latency(measurements.ackLatencyUs()))
            .put("deliver_latency_us", Summary.latency(measurements.deliverLatencyUs()));
        final boolean broken = outcome.lostCopies > 0 || outcome.duplicateCopies > 0;
        summary.put("result", broken ? "FAILED: member copies of acknowledged messages lost or duplicated" : "ok");
        return broken ? EXIT_BROKEN_PROMISE : 0;
    }
}
