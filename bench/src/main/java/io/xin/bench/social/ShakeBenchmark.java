package io.xin.bench.social;

import io.xin.bench.CpuPerOperation;
import io.xin.social.nearby.Cells;
import io.xin.social.shake.ShakeMatcher;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Shake pairings per second on the one thread that owns the matcher: each operation is two shakes that pair (the
 * second one's apply finds the first waiting) and an expiry sweep, as the switch's nearby thread runs them. With
 * {@code maxDistanceM} 0 the shakes carry no location; with 1000 they are located in a city, the second within 300
 * m of the first, and the matcher searches the buckets around the second. The time advances 1 ms per pair, so the
 * matcher also holds the recent pairs of the last window (3,000 pairs). The benchmark thread's CPU time per pair is
 * printed after each iteration.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class ShakeBenchmark
{
    private static final int PAIRS = 1 << 16;
    private static final long T0 = 1_700_000_000_000L;
    private static final ShakeMatcher.Expired IGNORE = (userId, shakeId) -> { };

    /** The matcher's distance; 0 = anywhere, and the shakes carry no location. */
    @Param({ "0", "1000" })
    int maxDistanceM;

    private ShakeMatcher matcher;
    private long[] firstCells;
    private long[] secondCells;
    private int next;
    private long nowMs = T0;
    private long shakeId;
    private final CpuPerOperation cpu = new CpuPerOperation();

    @Setup(Level.Trial)
    public void setup()
    {
        matcher = new ShakeMatcher(3_000, maxDistanceM / 1_000.0, 9);
        firstCells = new long[PAIRS];
        secondCells = new long[PAIRS];
        if (maxDistanceM > 0)
        {
            final Population population = new Population("city", 3);
            final double[] location = new double[2];
            final double[] near = new double[2];
            for (int i = 0; i < PAIRS; i++)
            {
                population.next(location);
                firstCells[i] = Cells.cellOf(location[0], location[1], 9);
                population.near(location[0], location[1], 0.3, near);
                secondCells[i] = Cells.cellOf(near[0], near[1], 9);
            }
        }
    }

    @Setup(Level.Iteration)
    public void startIteration()
    {
        cpu.start(shakeId / 2);
    }

    @TearDown(Level.Iteration)
    public void endIteration()
    {
        cpu.print("pair", shakeId / 2);
    }

    @Benchmark
    public boolean pair()
    {
        nowMs++;
        matcher.expire(nowMs, IGNORE);
        final int i = next;
        next = (next + 1) & (PAIRS - 1);
        // A new user each shake: nobody meets a recent partner again.
        final long first = ++shakeId;
        matcher.apply(first, first, nowMs, firstCells[i]);
        final long second = ++shakeId;
        final boolean matched = matcher.apply(second, second, nowMs, secondCells[i]).matched();
        if (!matched)
        {
            throw new IllegalStateException("the pair did not match");
        }
        return matched;
    }
}
