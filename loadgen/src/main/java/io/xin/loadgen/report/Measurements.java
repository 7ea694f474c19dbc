package io.xin.loadgen.report;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Latencies and counts of one run. Event loops record into wait-free {@link Recorder}s; a sampler
 * thread takes an interval histogram every second, adds it to the totals and keeps it for the
 * HdrHistogram log and the throughput plot, and prints a progress line when there is a terminal.
 * Latencies are in microseconds, measured from each message's intended send time.
 */
public final class Measurements implements AutoCloseable
{
    /** One hour, in microseconds: anything slower is clamped to it. */
    public static final long HIGHEST_LATENCY_US = TimeUnit.HOURS.toMicros(1);
    private static final long SAMPLE_INTERVAL_MS = 1_000;

    private final Recorder ackRecorder = new Recorder(1, HIGHEST_LATENCY_US, 3);
    private final Recorder deliverRecorder = new Recorder(1, HIGHEST_LATENCY_US, 3);
    private final Histogram ackTotal = new Histogram(1, HIGHEST_LATENCY_US, 3);
    private final Histogram deliverTotal = new Histogram(1, HIGHEST_LATENCY_US, 3);
    private Histogram ackInterval;
    private Histogram deliverInterval;

    /** Messages sent, acknowledged, delivered so far (all of them, warm-up included). */
    public final LongAdder sent = new LongAdder();
    public final LongAdder acked = new LongAdder();
    public final LongAdder delivered = new LongAdder();
    public final LongAdder duplicates = new LongAdder();
    public final LongAdder gaps = new LongAdder();
    public final LongAdder failedSends = new LongAdder();
    /** GoAway frames the sessions received (the target draining). */
    public final LongAdder goaways = new LongAdder();
    /** Logged-in connections lost, those after a GoAway included. */
    public final LongAdder disconnects = new LongAdder();
    /** Failed sends by reason, adding up to {@link #failedSends} when every failure went through {@link #sendFailed}. */
    private final java.util.concurrent.ConcurrentHashMap<String, LongAdder> failedSendReasons =
        new java.util.concurrent.ConcurrentHashMap<>();
    /** When and how the target first went away, null while it has not. */
    private final java.util.concurrent.atomic.AtomicReference<WentAway> targetWentAway =
        new java.util.concurrent.atomic.AtomicReference<>();

    private final List<Sample> samples = new ArrayList<>();
    private final long startNs;
    private final String label;
    private final Supplier<String> status;
    private final boolean console;
    private final Thread sampler;
    private volatile boolean running = true;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private long lastSampleNs;
    private long lastSent;
    private long lastAcked;
    private long lastDelivered;

    /**
     * Start sampling.
     *
     * @param label  scenario name for the progress line.
     * @param status more for the progress line (sessions, ...), called on the sampler thread.
     */
    public Measurements(final String label, final Supplier<String> status)
    {
        this.label = label;
        this.status = status;
        this.console = System.console() != null;
        startNs = System.nanoTime();
        lastSampleNs = startNs;
        sampler = new Thread(this::runSampler, "xin-loadgen-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /**
     * @param latencyNs from intended send to ack, in nanoseconds; any thread.
     */
    public void recordAck(final long latencyNs)
    {
        ackRecorder.recordValue(clamp(latencyNs));
    }

    /**
     * @param latencyNs from intended send to delivery, in nanoseconds; any thread.
     */
    public void recordDeliver(final long latencyNs)
    {
        deliverRecorder.recordValue(clamp(latencyNs));
    }

    /**
     * Count sends that failed; any thread.
     *
     * @param reason why, as the summary shows it.
     * @param count  how many.
     */
    public void sendFailed(final String reason, final long count)
    {
        failedSends.add(count);
        failedSendReasons.computeIfAbsent(reason, ignore -> new LongAdder()).add(count);
    }

    /**
     * @return failed sends by reason, in the order of the reasons' names.
     */
    public Map<String, Long> failedSendReasons()
    {
        final Map<String, Long> reasons = new TreeMap<>();
        failedSendReasons.forEach((reason, count) -> reasons.put(reason, count.sum()));
        return reasons;
    }

    /**
     * Note that the target went away (a GoAway, a lost connection); the first call sets the time. Any thread.
     *
     * @param nowNs {@link System#nanoTime()}.
     * @param how   "GoAway: server draining", "connection lost", ...
     */
    public void targetWentAway(final long nowNs, final String how)
    {
        if (targetWentAway.get() == null)
        {
            targetWentAway.compareAndSet(null, new WentAway(nowNs, how));
        }
    }

    /**
     * @return seconds from the start to when the target first went away, -1 if it did not.
     */
    public double targetWentAwayAtS()
    {
        final WentAway wentAway = targetWentAway.get();
        return wentAway == null ? -1 : Math.max(0, wentAway.nanoTime - startNs) / 1e9;
    }

    /**
     * @return how the target first went away, null if it did not.
     */
    public String targetWentAwayHow()
    {
        final WentAway wentAway = targetWentAway.get();
        return wentAway == null ? null : wentAway.how;
    }

    private static long clamp(final long latencyNs)
    {
        return Math.min(HIGHEST_LATENCY_US, Math.max(0, latencyNs / 1_000));
    }

    /**
     * Discard the latencies recorded so far (the warm-up): the totals start again from here.
     */
    public synchronized void resetLatencies()
    {
        ackInterval = ackRecorder.getIntervalHistogram(ackInterval);
        deliverInterval = deliverRecorder.getIntervalHistogram(deliverInterval);
        ackTotal.reset();
        deliverTotal.reset();
    }

    /**
     * Stop sampling after a last sample, so that the totals hold every recording. Idempotent.
     */
    @Override
    public void close()
    {
        if (!closed.compareAndSet(false, true))
        {
            return;
        }
        running = false;
        sampler.interrupt();
        try
        {
            sampler.join(5_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        sample();
        if (console)
        {
            System.out.print("\r\033[K");
            System.out.flush();
        }
    }

    /**
     * Add latencies measured elsewhere (another load generator process) to the totals.
     *
     * @param ackUs     send→ack latencies in microseconds.
     * @param deliverUs send→deliver latencies in microseconds.
     */
    public synchronized void addToTotals(final Histogram ackUs, final Histogram deliverUs)
    {
        ackTotal.add(ackUs);
        deliverTotal.add(deliverUs);
    }

    public synchronized Histogram ackLatencyUs()
    {
        return ackTotal.copy();
    }

    public synchronized Histogram deliverLatencyUs()
    {
        return deliverTotal.copy();
    }

    public synchronized List<Sample> samples()
    {
        return List.copyOf(samples);
    }

    /**
     * @return {@link System#nanoTime()} when the measurements started.
     */
    public long startNs()
    {
        return startNs;
    }

    private void runSampler()
    {
        while (running)
        {
            try
            {
                Thread.sleep(SAMPLE_INTERVAL_MS);
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            final Sample sample = sample();
            if (console && running)
            {
                System.out.printf("\r\033[K[%s] %5.0f s  sent %,9.0f/s  delivered %,9.0f/s  %s  p99 so far %s",
                    label, sample.elapsedS, sample.sentPerSecond, sample.deliveredPerSecond, status.get(),
                    deliverTotal.getTotalCount() > 0 ? formatUs(deliverTotal.getValueAtPercentile(99)) :
                    ackTotal.getTotalCount() > 0 ? formatUs(ackTotal.getValueAtPercentile(99)) + " (ack)" : "-");
                System.out.flush();
            }
        }
    }

    private synchronized Sample sample()
    {
        final long nowNs = System.nanoTime();
        ackInterval = ackRecorder.getIntervalHistogram(ackInterval);
        deliverInterval = deliverRecorder.getIntervalHistogram(deliverInterval);
        ackTotal.add(ackInterval);
        deliverTotal.add(deliverInterval);

        final double seconds = Math.max(1e-9, (nowNs - lastSampleNs) / 1e9);
        final long sentNow = sent.sum();
        final long ackedNow = acked.sum();
        final long deliveredNow = delivered.sum();
        final Sample sample = new Sample(
            (nowNs - startNs) / 1e9,
            (sentNow - lastSent) / seconds,
            (ackedNow - lastAcked) / seconds,
            (deliveredNow - lastDelivered) / seconds,
            ackInterval.copy(),
            deliverInterval.copy(),
            (lastSampleNs - startNs) / 1e9,
            seconds);
        lastSampleNs = nowNs;
        lastSent = sentNow;
        lastAcked = ackedNow;
        lastDelivered = deliveredNow;
        samples.add(sample);
        return sample;
    }

    /**
     * @param us microseconds.
     * @return "850 us" or "1.25 ms" or "2.5 s".
     */
    public static String formatUs(final double us)
    {
        if (us < 1_000)
        {
            return String.format("%.0f us", us);
        }
        if (us < 1_000_000)
        {
            return String.format("%.2f ms", us / 1_000);
        }
        return String.format("%.2f s", us / 1_000_000);
    }

    /**
     * One second of a run.
     *
     * @param elapsedS            seconds since the start at the end of the interval.
     * @param sentPerSecond       sends in the interval, per second.
     * @param ackedPerSecond      acks in the interval, per second.
     * @param deliveredPerSecond  deliveries in the interval, per second.
     * @param ackLatencyUs        ack latencies recorded in the interval.
     * @param deliverLatencyUs    delivery latencies recorded in the interval.
     * @param intervalStartS      seconds since the start at the start of the interval.
     * @param intervalS           length of the interval in seconds.
     */
    public record Sample(
        double elapsedS,
        double sentPerSecond,
        double ackedPerSecond,
        double deliveredPerSecond,
        Histogram ackLatencyUs,
        Histogram deliverLatencyUs,
        double intervalStartS,
        double intervalS)
    {
    }

    private record WentAway(long nanoTime, String how)
    {
    }
}
