package io.xin.loadgen;

import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.ChatRun;
import io.xin.loadgen.scenario.Fleet;
import picocli.CommandLine.Command;

/**
 * {@code xin loadgen chat}: every user online, an open-loop total rate of 1:1 messages to random other
 * users.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
    description = "U users online send an open-loop total rate R of 1:1 messages to random other online users.")
final class ChatCommand extends ScenarioCommand
{
    @Override
    int run(final TargetProcess process, final long serverPid, final Fleet fleet, final Summary summary,
        final Measurements measurements) throws Exception
    {
        if (!connectAll(fleet, summary))
        {
            return EXIT_FAILED;
        }
        final ChatRun.Settings settings = chatSettings(options, serverPid);
        if (options.childOutput != null)
        {
            Children.readyAndWait();
        }
        else if (children != null)
        {
            children.awaitReady(CONNECT_TIMEOUT_MS);
            settings.ratePerSecond = options.rate;
            children.go();
        }
        final ChatRun.Outcome outcome = new ChatRun(fleet, settings, measurements).run();
        if (children != null)
        {
            merge(children.awaitResults(CONNECT_TIMEOUT_MS), outcome, measurements);
            settings.ratePerSecond = outcome.offeredRate;
        }
        return summarize(settings, outcome, measurements, summary);
    }

    @Override
    boolean supportsProcesses()
    {
        return true;
    }

    /**
     * Add the children's counts and histograms to this process's.
     */
    private static void merge(
        final java.util.List<com.fasterxml.jackson.databind.JsonNode> results, final ChatRun.Outcome outcome,
        final Measurements measurements)
    {
        final double ownAchievedRate = outcome.achievedRate;
        for (final com.fasterxml.jackson.databind.JsonNode child : results)
        {
            outcome.tally.sent += child.path("sent").asLong();
            outcome.tally.acked += child.path("acked").asLong();
            outcome.tally.delivered += child.path("delivered").asLong();
            outcome.tally.lost += child.path("lost").asLong();
            outcome.tally.duplicates += child.path("duplicates").asLong();
            outcome.tally.unackedUndelivered += child.path("unacked_undelivered").asLong();
            outcome.tally.deliveredUnacked += child.path("delivered_unacked").asLong();
            outcome.achievedRate += child.path("achieved_rate").asDouble();
            outcome.offeredRate += child.path("offered_rate").asDouble();
            outcome.drainMs = Math.max(outcome.drainMs, child.path("drain_ms").asLong());
            measurements.gaps.add(child.path("gaps").asLong());
            measurements.failedSends.add(child.path("failed_sends").asLong());
            measurements.addToTotals(Children.decode(child.path(Children.ACK_HISTOGRAM).asText()),
                Children.decode(child.path(Children.DELIVER_HISTOGRAM).asText()));
        }
        if (outcome.serverCpuUsPerMessage > 0 && outcome.achievedRate > 0)
        {
            // The server's CPU time served every process's messages in the (common) window.
            outcome.serverCpuUsPerMessage *= ownAchievedRate / outcome.achievedRate;
        }
    }

    static ChatRun.Settings chatSettings(final LoadOptions options, final long serverPid)
    {
        final ChatRun.Settings settings = new ChatRun.Settings();
        settings.ratePerSecond = options.rate;
        settings.durationMs = (long)(options.durationS * 1_000);
        settings.warmupMs = (long)(options.warmupS * 1_000);
        settings.drainMs = (long)(options.drainS * 1_000);
        settings.payloadBytes = options.payloadBytes;
        settings.zipfSkew = options.zipfSkew;
        settings.seed = options.seed;
        settings.acks = !options.noAcks;
        settings.serverPid = serverPid;
        return settings;
    }

    /**
     * Put a chat run's outcome in the summary.
     *
     * @return the exit code: {@link #EXIT_BROKEN_PROMISE} when an acked message was lost or one was duplicated.
     */
    static int summarize(
        final ChatRun.Settings settings, final ChatRun.Outcome outcome, final Measurements measurements,
        final Summary summary)
    {
        summary.put("rate", settings.ratePerSecond)
            .put("achieved_rate", outcome.achievedRate)
            .put("offered_rate", outcome.offeredRate)
            .put("duration_s", outcome.windowS)
            .put("payload_bytes", settings.payloadBytes)
            .put("zipf", settings.zipfSkew)
            .put("acks", settings.acks)
            .put("sent", outcome.tally.sent)
            .put("acked", outcome.tally.acked)
            .put("delivered", outcome.tally.delivered)
            .put("lost", outcome.tally.lost)
            .put("duplicates", outcome.tally.duplicates)
            .put("gaps", measurements.gaps.sum())
            .put("never_delivered", outcome.tally.lost + outcome.tally.unackedUndelivered)
            .put("unacked_undelivered", outcome.tally.unackedUndelivered)
            .put("delivered_unacked", outcome.tally.deliveredUnacked)
            .put("failed_sends", measurements.failedSends.sum())
            .put("delivery_ratio", outcome.tally.sent == 0 ? 0.0 : (double)outcome.tally.delivered / outcome.tally.sent)
            .put("drain_ms", outcome.drainMs)
            .put("ack_latency_us", Summary.latency(measurements.ackLatencyUs()))
            .put("deliver_latency_us", Summary.latency(measurements.deliverLatencyUs()))
            .put("server_cpu_us_per_message", outcome.serverCpuUsPerMessage < 0 ? null :
                Math.round(outcome.serverCpuUsPerMessage * 100) / 100.0)
            .put("loadgen_cpu_us_per_message", Math.round(outcome.loadgenCpuUsPerMessage * 100) / 100.0);
        final boolean broken = outcome.tally.lost > 0 || outcome.tally.duplicates > 0;
        summary.put("result", broken ? "FAILED: acknowledged messages lost or duplicated" : "ok");
        return broken ? EXIT_BROKEN_PROMISE : 0;
    }
}
