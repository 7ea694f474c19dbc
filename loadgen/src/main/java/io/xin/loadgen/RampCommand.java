package io.xin.loadgen;

import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.scenario.ChatRun;
import io.xin.loadgen.scenario.Fleet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code xin loadgen ramp}: chat at rising rates until the p99 or the delivery ratio breaks its bound;
 * the highest rate that held is the maximum sustainable rate.
 */
@Command(name = "ramp", mixinStandardHelpOptions = true,
    description = "Step the chat rate up from --rate until p99 send→deliver or the delivered share breaks a bound; " +
        "print the highest sustainable rate.")
final class RampCommand extends ScenarioCommand
{
    @Option(names = "--step-factor", description = "Each step's rate is the previous one times this " +
        "(default: ${DEFAULT-VALUE}).")
    double stepFactor = 1.25;

    @Option(names = "--max-steps", description = "Stop after this many steps (default: ${DEFAULT-VALUE}).")
    int maxSteps = 20;

    @Option(names = "--max-p99-ms", description = "A step holds only if its p99 send→deliver is at most this " +
        "(default: ${DEFAULT-VALUE}).")
    double maxP99Ms = 10;

    @Option(names = "--min-delivered-share", description = "A step holds only if deliveries per second in the " +
        "window reach this share of the offered rate (default: ${DEFAULT-VALUE}).")
    double minDeliveredShare = 0.97;

    @Option(names = "--step-retries", description = "Run a step that broke its bounds again this many times " +
        "before the ramp stops; a step holds if any run of it held, so one stall of a shared machine does not end " +
        "the ramp (default: ${DEFAULT-VALUE}).")
    int stepRetries = 1;

    @Option(names = "--ramp-warmup", description = "Seconds of unmeasured chat before the first step, so that both " +
        "sides are compiled (default: ${DEFAULT-VALUE}).")
    double rampWarmupS = 10;

    @Option(names = "--ramp-warmup-rate", description = "Messages per second of that warm-up; 0 for half of --rate " +
        "(default: ${DEFAULT-VALUE}). A switch not yet compiled costs more per message than a warm one, so a warm-up " +
        "at the first step's own rate can overload it and leave a backlog that breaks the first step.")
    double rampWarmupRate = 0;

    @Override
    void validateScenario()
    {
        if (stepFactor <= 1 || maxSteps < 1 || stepRetries < 0 || rampWarmupRate < 0)
        {
            throw new IllegalArgumentException("--step-factor must be above 1, --max-steps positive, " +
                "--step-retries and --ramp-warmup-rate not negative");
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
        if (rampWarmupS > 0)
        {
            final ChatRun.Settings warmup = ChatCommand.chatSettings(options, 0);
            warmup.ratePerSecond = rampWarmupRate > 0 ? rampWarmupRate : options.rate / 2;
            summary.put("ramp_warmup_rate", Math.round(warmup.ratePerSecond));
            warmup.warmupMs = 0;
            warmup.durationMs = (long)(rampWarmupS * 1_000);
            try (Measurements ignored = new Measurements("ramp warm-up", () -> ""))
            {
                new ChatRun(fleet, warmup, ignored).run();
            }
        }
        final List<Map<String, Object>> steps = new ArrayList<>();
        double rate = options.rate;
        double bestRate = 0;
        Summary best = null;
        int exit = 0;
        int retriesLeft = stepRetries;
        for (int step = 0, run = 0; step < maxSteps; run++)
        {
            final ChatRun.Settings settings = ChatCommand.chatSettings(options, serverPid);
            settings.ratePerSecond = rate;
            settings.seed = options.seed + run;
            final Summary stepSummary = new Summary();
            final ChatRun.Outcome outcome;
            try (Measurements stepMeasurements = new Measurements("ramp " + Math.round(rate) + "/s",
                () -> String.format("sessions %,d", fleet.size())))
            {
                outcome = new ChatRun(fleet, settings, stepMeasurements).run();
                stepMeasurements.close();
                exit = worse(exit, ChatCommand.summarize(settings, outcome, stepMeasurements, stepSummary));
            }
            @SuppressWarnings("unchecked")
            final Map<String, Object> deliver = (Map<String, Object>)stepSummary.get("deliver_latency_us");
            final double p99Ms = ((Number)deliver.get("p99")).doubleValue() / 1_000;
            final double share = outcome.achievedRate / rate;
            final boolean held = p99Ms <= maxP99Ms && share >= minDeliveredShare && outcome.tally.lost == 0;
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("rate", Math.round(rate));
            row.put("achieved_rate", Math.round(outcome.achievedRate));
            row.put("p50_us", deliver.get("p50"));
            row.put("p99_us", deliver.get("p99"));
            row.put("p999_us", deliver.get("p999"));
            row.put("server_cpu_us_per_message", stepSummary.get("server_cpu_us_per_message"));
            row.put("server_disk_write_bytes_per_message", stepSummary.get("server_disk_write_bytes_per_message"));
            row.put("held", held);
            steps.add(row);
            final boolean retry = !held && retriesLeft > 0;
            out.printf("step %2d: rate %,9.0f/s  achieved %,9.0f/s  p50 %s  p99 %s  p99.9 %s  server CPU %s us/msg  %s%n",
                step + 1, rate, outcome.achievedRate, Measurements.formatUs(((Number)deliver.get("p50")).doubleValue()),
                Measurements.formatUs(((Number)deliver.get("p99")).doubleValue()),
                Measurements.formatUs(((Number)deliver.get("p999")).doubleValue()),
                stepSummary.get("server_cpu_us_per_message"), held ? "held" : retry ? "broke, running it again" : "BROKE");
            if (retry)
            {
                retriesLeft--;
                continue;
            }
            if (!held)
            {
                break;
            }
            bestRate = rate;
            best = stepSummary;
            rate *= stepFactor;
            step++;
            retriesLeft = stepRetries;
        }
        summary.put("max_sustainable_rate", Math.round(bestRate));
        // A ramp whose every step held measured its own last step, not the target: say so, or the figure reads as
        // the target's maximum (the bare relay's was quoted that way for several sessions).
        final boolean everyStepHeld = best != null && (boolean)steps.get(steps.size() - 1).get("held");
        summary.put("max_sustainable_rate_is_lower_bound", everyStepHeld);
        if (everyStepHeld)
        {
            out.printf("every step held: the maximum is at least %,.0f/s; raise --rate or --max-steps to find it%n",
                bestRate);
        }
        summary.put("bounds", "p99 <= " + maxP99Ms + " ms, delivered share >= " + minDeliveredShare);
        if (best != null)
        {
            for (final Map.Entry<String, Object> entry : best.values().entrySet())
            {
                summary.put(entry.getKey(), entry.getValue());
            }
        }
        summary.put("steps", steps);
        return exit;
    }
}
