package io.xin.loadgen;

import io.xin.client.XinClientException;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.report.Summary;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * What the nearby and shake scenarios share: places in a bounded square, an open-loop pace (each request has an
 * intended start time and its latency is counted from it, so a stalled switch shows as latency, not as a slower
 * load), latency by kind of request, and failures by error code.
 */
final class SocialLoad
{
    private final double centreLatitude;
    private final double centreLongitude;
    private final double halfSideKm;
    private final Random random;
    private final Map<String, Recorder> latencies = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final LongAdder inFlight = new LongAdder();

    /**
     * @param sideKm the side of the square the users are in, around the centre.
     */
    SocialLoad(final double centreLatitude, final double centreLongitude, final double sideKm, final long seed)
    {
        this.centreLatitude = centreLatitude;
        this.centreLongitude = centreLongitude;
        this.halfSideKm = sideKm / 2;
        this.random = new Random(seed);
    }

    /** A random place in the square: latitude and longitude in {@code out}. */
    void place(final double[] out)
    {
        out[0] = centreLatitude + halfSideKm / 111.2 * (2 * random.nextDouble() - 1);
        out[1] = centreLongitude + halfSideKm / (111.2 * Math.cos(Math.toRadians(centreLatitude))) *
            (2 * random.nextDouble() - 1);
    }

    /** A place within about {@code km} of {@code from}, in {@code out}, kept in the square. */
    void near(final double[] from, final double km, final double[] out)
    {
        final double latitudeKm = km / 111.2;
        final double longitudeKm = km / (111.2 * Math.cos(Math.toRadians(centreLatitude)));
        final double halfLatitude = halfSideKm / 111.2;
        final double halfLongitude = halfSideKm / (111.2 * Math.cos(Math.toRadians(centreLatitude)));
        out[0] = clamp(from[0] + latitudeKm * (2 * random.nextDouble() - 1), centreLatitude, halfLatitude);
        out[1] = clamp(from[1] + longitudeKm * (2 * random.nextDouble() - 1), centreLongitude, halfLongitude);
    }

    private static double clamp(final double value, final double centre, final double half)
    {
        return Math.max(centre - half, Math.min(centre + half, value));
    }

    Random random()
    {
        return random;
    }

    /** Waits until {@code intendedNs} (System.nanoTime()), for an open-loop pace. */
    static void awaitStart(final long intendedNs)
    {
        long waitNs;
        while ((waitNs = intendedNs - System.nanoTime()) > 0)
        {
            LockSupport.parkNanos(waitNs);
        }
    }

    /**
     * Counts a request's answer under {@code kind}: its latency from {@code intendedNs} when it succeeds, its error
     * code when it fails.
     *
     * @return a future done when the answer was counted, with the answer or null when it failed.
     */
    <T> CompletableFuture<T> track(final String kind, final long intendedNs, final CompletableFuture<T> answer)
    {
        inFlight.increment();
        return answer.handle((value, failure) ->
        {
            inFlight.decrement();
            if (failure == null)
            {
                latencies.computeIfAbsent(kind, k -> new Recorder(1, Measurements.HIGHEST_LATENCY_US, 3))
                    .recordValue(Math.max(1, Math.min(Measurements.HIGHEST_LATENCY_US,
                        (System.nanoTime() - intendedNs) / 1_000)));
                return value;
            }
            final Throwable cause = failure instanceof CompletionException && failure.getCause() != null ?
                failure.getCause() : failure;
            final String code = cause instanceof XinClientException xin ? xin.code().name() :
                cause.getClass().getSimpleName();
            failures.computeIfAbsent(kind + " " + code, k -> new LongAdder()).increment();
            return null;
        });
    }

    /** Waits up to {@code timeoutMs} for every tracked request to be answered. */
    void drain(final long timeoutMs) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (inFlight.sum() > 0 && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(10);
        }
    }

    /** Forgets what was recorded so far: the warm-up's. */
    void reset()
    {
        latencies.clear();
        failures.clear();
    }

    /**
     * Puts each kind's count, rate over {@code windowMs} and latency (microseconds), and the failures, into the
     * summary, and prints one line for each.
     */
    void report(final Summary summary, final long windowMs, final java.io.PrintStream out)
    {
        for (final Map.Entry<String, Recorder> entry : new java.util.TreeMap<>(latencies).entrySet())
        {
            final Histogram histogram = entry.getValue().getIntervalHistogram();
            final double perSecond = windowMs == 0 ? 0 : histogram.getTotalCount() * 1_000.0 / windowMs;
            summary.put(entry.getKey() + "_count", histogram.getTotalCount())
                .put(entry.getKey() + "_per_second", perSecond)
                .put(entry.getKey() + "_latency_us", Summary.latency(histogram));
            out.printf("%-16s %,10d answered, %,10.1f/s, latency p50 %,d us, p99 %,d us, max %,d us%n",
                entry.getKey(), histogram.getTotalCount(), perSecond, histogram.getValueAtPercentile(50),
                histogram.getValueAtPercentile(99), histogram.getMaxValue());
        }
        final Map<String, Long> failed = new java.util.TreeMap<>();
        failures.forEach((key, count) -> failed.put(key, count.sum()));
        summary.put("failures", failed);
        if (!failed.isEmpty())
        {
            out.printf("failures: %s%n", failed);
        }
    }

    long failures()
    {
        return failures.values().stream().mapToLong(LongAdder::sum).sum();
    }
}
