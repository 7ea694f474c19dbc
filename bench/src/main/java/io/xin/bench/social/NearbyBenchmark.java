package io.xin.bench.social;

import io.xin.bench.CpuPerOperation;
import io.xin.social.nearby.Cells;
import io.xin.social.nearby.NearbyIndex;
import io.xin.social.nearby.NearbyPage;
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

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * People nearby at a million located users, on the one thread that owns the index, as the switch's nearby thread
 * runs it: location updates per second ({@link #reportCell}: the index's part; {@link #reportLocation}: with the
 * coordinates turned into a cell, which the switch does on the event loops) and the latency of a query, the first
 * page of 50 and the tenth ({@code SampleTime}: read p50 and p99 from the percentiles). Each user moves between two
 * places about 300 m apart, so every report moves it to another cell and passes the jump check. The index's heap is
 * printed at setup, and the benchmark thread's CPU time per operation after each iteration (which, unlike the
 * score, does not grow when other processes take the cores).
 */
@State(Scope.Benchmark)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = { "-Xmx3g", "-Xms3g" })
public class NearbyBenchmark
{
    static final int USERS = 1_000_000;
    static final int PAGE = 50;
    private static final int RESOLUTION = 9;
    private static final long T0 = 1_700_000_000_000L;
    private static final long EXPIRY_MS = 30 * 60_000L;

    /** Where the users are: see {@link Population}. */
    @Param({ "city", "country" })
    String area;

    private NearbyIndex index;
    /** Each user's two places, as coordinates and as cells. */
    private double[] homeLatitudes;
    private double[] homeLongitudes;
    private double[] awayLatitudes;
    private double[] awayLongitudes;
    private long[] homeCells;
    private long[] awayCells;
    private boolean[] away;
    private int[] order;
    private int nextReporter;
    private int nextRequester;
    private final NearbyPage page = new NearbyPage();
    private final CpuPerOperation cpu = new CpuPerOperation();
    private long operations;
    /** Ten minutes after everyone reported: every entry lives, and a report refreshes it. */
    private final long nowMs = T0 + 10 * 60_000;

    @Setup(Level.Trial)
    public void setup()
    {
        final Population population = new Population(area, 1);
        homeLatitudes = new double[USERS];
        homeLongitudes = new double[USERS];
        awayLatitudes = new double[USERS];
        awayLongitudes = new double[USERS];
        homeCells = new long[USERS];
        awayCells = new long[USERS];
        away = new boolean[USERS];
        final double[] location = new double[2];
        for (int i = 0; i < USERS; i++)
        {
            population.next(location);
            homeLatitudes[i] = location[0];
            homeLongitudes[i] = location[1];
            homeCells[i] = Cells.cellOf(location[0], location[1], RESOLUTION);
            do
            {
                population.near(homeLatitudes[i], homeLongitudes[i], 0.3, location);
                awayCells[i] = Cells.cellOf(location[0], location[1], RESOLUTION);
            }
            while (awayCells[i] == homeCells[i]);
            awayLatitudes[i] = location[0];
            awayLongitudes[i] = location[1];
        }
        final long heapBefore = usedHeap();
        index = new NearbyIndex(RESOLUTION, EXPIRY_MS, 1_000);
        for (int i = 0; i < USERS; i++)
        {
            index.report(i + 1, homeCells[i], T0);
        }
        final long heapAfter = usedHeap();
        System.out.printf("%n%s: %,d users in %,d shards, index heap %,d MB (%d bytes a user)%n", area, index.size(),
            index.shardCount(), (heapAfter - heapBefore) >> 20, (heapAfter - heapBefore) / USERS);
        order = new int[USERS];
        for (int i = 0; i < USERS; i++)
        {
            order[i] = i;
        }
        final Random random = new Random(2);
        for (int i = USERS - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
    }

    @Setup(Level.Iteration)
    public void startIteration()
    {
        cpu.start(operations);
    }

    @TearDown(Level.Iteration)
    public void endIteration()
    {
        cpu.print("operation", operations);
    }

    private static long usedHeap()
    {
        for (int i = 0; i < 3; i++)
        {
            System.gc();
        }
        final Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    /** The nearby thread's part of a location update: the jump check, the move to another cell, the expiry. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public NearbyIndex.Report reportCell()
    {
        final int user = order[nextReporter];
        nextReporter = nextReporter + 1 == USERS ? 0 : nextReporter + 1;
        away[user] = !away[user];
        operations++;
        return index.report(user + 1, away[user] ? awayCells[user] : homeCells[user], nowMs);
    }

    /** A whole location update: the coordinates to a cell (on an event loop in the switch), then the index's part. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    public NearbyIndex.Report reportLocation()
    {
        final int user = order[nextReporter];
        nextReporter = nextReporter + 1 == USERS ? 0 : nextReporter + 1;
        away[user] = !away[user];
        operations++;
        final long cell = away[user] ? Cells.cellOf(awayLatitudes[user], awayLongitudes[user], RESOLUTION) :
            Cells.cellOf(homeLatitudes[user], homeLongitudes[user], RESOLUTION);
        return index.report(user + 1, cell, nowMs);
    }

    /** The first page of 50 around a random located user. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int queryFirstPage()
    {
        return query(0);
    }

    /** The tenth page of 50: 500 users walked. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public int queryTenthPage()
    {
        return query(9 * PAGE);
    }

    private int query(final int offset)
    {
        final long user = order[nextRequester] + 1;
        nextRequester = nextRequester + 1 == USERS ? 0 : nextRequester + 1;
        operations++;
        index.query(user, index.cellOf(user, nowMs), offset, PAGE, null, nowMs, page);
        return page.size();
    }
}
