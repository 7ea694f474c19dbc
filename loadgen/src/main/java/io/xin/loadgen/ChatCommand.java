package io.xin.loadgen;

import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Reports;
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
        if (options.series != null)
        {
            writeSeries(measurements, options.series);
        }
        return summarize(settings, outcome, measurements, summary);
    }

    /**
     * Write the run's one-second samples as CSV: the acks and deliveries of every second, as the HTML plot shows
     * them, for a script to find a gap in (a node killed, its users' sends acknowledged again elsewhere).
     */
    static void writeSeries(final Measurements measurements, final java.nio.file.Path file) throws java.io.IOException
    {
        final StringBuilder csv = new StringBuilder(
            "t_s,sent_per_s,acked_per_s,delivered_per_s,ack_p99_us,ack_max_us,deliver_p99_us,deliver_max_us\n");
        for (final Measurements.Sample sample : measurements.samples())
        {
            csv.append(String.format(java.util.Locale.ROOT, "%.2f,%.0f,%.0f,%.0f,%d,%d,%d,%d%n", sample.elapsedS(),
                sample.sentPerSecond(), sample.ackedPerSecond(), sample.deliveredPerSecond(),
                sample.ackLatencyUs().getValueAtPercentile(99), sample.ackLatencyUs().getMaxValue(),
                sample.deliverLatencyUs().getValueAtPercentile(99), sample.deliverLatencyUs().getMaxValue()));
        }
        final java.nio.file.Path parent = file.toAbsolutePath().getParent();
        if (parent != null)
        {
            java.nio.file.Files.createDirectories(parent);
        }
        java.nio.file.Files.writeString(file, csv);
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
            // A child whose target went away counted its acked, undelivered messages apart: judged again here.
            outcome.tally.lost += child.path("lost").asLong() + child.path("acked_undelivered_away").asLong();
            outcome.tally.duplicates += child.path("duplicates").asLong();
            outcome.tally.unackedUndelivered += child.path("unacked_undelivered").asLong();
            outcome.tally.deliveredUnacked += child.path("delivered_unacked").asLong();
            outcome.achievedRate += child.path("achieved_rate").asDouble();
            outcome.offeredRate += child.path("offered_rate").asDouble();
            outcome.drainMs = Math.max(outcome.drainMs, child.path("drain_ms").asLong());
            measurements.gaps.add(child.path("gaps").asLong());
            long failedWithReason = 0;
            for (final java.util.Iterator<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> reasons =
                child.path("failed_send_reasons").fields(); reasons.hasNext(); )
            {
                final java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> reason = reasons.next();
                measurements.sendFailed(reason.getKey(), reason.getValue().asLong());
                failedWithReason += reason.getValue().asLong();
            }
            measurements.failedSends.add(Math.max(0, child.path("failed_sends").asLong() - failedWithReason));
            measurements.goaways.add(child.path("goaways").asLong());
            measurements.disconnects.add(child.path("disconnects").asLong());
            outcome.sessionsAwayAtEnd += child.path("sessions_away_at_end").asInt();
            if (child.path(Reports.TARGET_WENT_AWAY_AT_S).isNumber())
            {
                measurements.targetWentAway(measurements.startNs() +
                    (long)(child.path(Reports.TARGET_WENT_AWAY_AT_S).asDouble() * 1e9), child.path("target_went_away").asText());
            }
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
        settings.cpuPids = options.cpuPids();
        return settings;
    }

    /**
     * Put a chat run's outcome in the summary.
     *
     * @return the exit code: {@link #EXIT_BROKEN_PROMISE} when an acked message was lost or one was duplicated,
     *         else {@link #EXIT_TARGET_WENT_AWAY} when sessions whose target went away were not back at the end.
     */
    static int summarize(
        final ChatRun.Settings settings, final ChatRun.Outcome outcome, final Measurements measurements,
        final Summary summary)
    {
        // While sessions are away at the end, an acked message not delivered may be stored for a recipient the
        // target dropped: the run cannot tell it from a lost one, so it is counted apart, not as lost.
        final boolean away = outcome.sessionsAwayAtEnd > 0;
        final long lost = away ? 0 : outcome.tally.lost;
        final long ackedUndeliveredTargetAway = away ? outcome.tally.lost : 0;
        final double wentAwayAtS = measurements.targetWentAwayAtS();
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
            .put("lost", lost)
            .put("duplicates", outcome.tally.duplicates)
            .put("gaps", measurements.gaps.sum())
            .put("never_delivered", outcome.tally.lost + outcome.tally.unackedUndelivered)
            .put("unacked_undelivered", outcome.tally.unackedUndelivered)
            .put("delivered_unacked", outcome.tally.deliveredUnacked)
            .put("failed_sends", measurements.failedSends.sum())
            .put("failed_send_reasons", measurements.failedSendReasons())
            .put("goaways", measurements.goaways.sum())
            .put("disconnects", measurements.disconnects.sum())
            .put(Reports.TARGET_WENT_AWAY_AT_S, wentAwayAtS < 0 ? null : Math.round(wentAwayAtS * 100) / 100.0)
            .put("target_went_away", measurements.targetWentAwayHow())
            .put("sessions_away_at_end", outcome.sessionsAwayAtEnd)
            .put("acked_undelivered_away", ackedUndeliveredTargetAway)
            .put("delivery_ratio", outcome.tally.sent == 0 ? 0.0 : (double)outcome.tally.delivered / outcome.tally.sent)
            .put("drain_ms", outcome.drainMs)
            .put("ack_latency_us", Summary.latency(measurements.ackLatencyUs()))
            .put("deliver_latency_us", Summary.latency(measurements.deliverLatencyUs()))
            .put("server_cpu_us_per_message", outcome.serverCpuUsPerMessage < 0 ? null :
                Math.round(outcome.serverCpuUsPerMessage * 100) / 100.0)
            .put("server_disk_write_bytes_per_message", outcome.serverDiskWriteBytesPerMessage < 0 ? null :
                Math.round(outcome.serverDiskWriteBytesPerMessage * 10) / 10.0)
            .put("loadgen_cpu_us_per_message", Math.round(outcome.loadgenCpuUsPerMessage * 100) / 100.0)
            .put("process_cpu_us_per_message", outcome.cpuUsPerMessageByProcess);
        final boolean broken = lost > 0 || outcome.tally.duplicates > 0;
        final String wentAway = wentAwayAtS < 0 ? "" : String.format(java.util.Locale.ROOT,
            "the target went away at t=%.2f s (%s, %,d GoAway(s), %,d connection(s) lost)", wentAwayAtS,
            measurements.targetWentAwayHow(), measurements.goaways.sum(), measurements.disconnects.sum());
        final String result;
        if (broken)
        {
            result = "FAILED: acknowledged messages lost or duplicated" + (wentAway.isEmpty() ? "" : "; " + wentAway);
        }
        else if (away)
        {
            result = String.format(java.util.Locale.ROOT, "%s; %,d session(s) not back by the end: %,d send(s) failed, " +
                "%,d acknowledged message(s) undelivered (stored, not verifiable); nothing duplicated", wentAway,
                outcome.sessionsAwayAtEnd, measurements.failedSends.sum(), ackedUndeliveredTargetAway);
        }
        else
        {
            result = wentAway.isEmpty() ? "ok" : "ok; " + wentAway + " and every session came back";
        }
        summary.put("result", result);
        return broken ? EXIT_BROKEN_PROMISE : away ? EXIT_TARGET_WENT_AWAY : 0;
    }
}
