package io.xin.storage;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The storage half of the journal's write: {@value #BATCH} inbox entries appended to users chosen in turn
 * out of {@code users} (each user's seq rising), one RocksDB write per batch (fsync never), with the
 * inbox memtable's per-user insert hint on or off. The score is per entry; the CPU time of the benchmark
 * thread per entry is printed after each iteration, as it does not grow when other processes take the cores.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class InboxAppendBenchmark
{
    private static final int BATCH = 64;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Param({"true", "false"})
    boolean memtableInsertHint;

    @Param({"1000", "100000"})
    int users;

    private Path dataDir;
    private XinStore store;
    private JournalBatch batch;
    private long[] seqs;
    private final byte[] message = new byte[96];
    private int nextUser;
    private long entries;
    private long iterationCpuNs;
    private long iterationEntries;

    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        dataDir = Files.createTempDirectory("xin-append-bench");
        store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER)
            .memtableInsertHint(memtableInsertHint));
        batch = store.newBatch();
        seqs = new long[users];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        batch.close();
        store.close();
        try (Stream<Path> paths = Files.walk(dataDir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
    }

    @Setup(Level.Iteration)
    public void startCpuClock()
    {
        iterationCpuNs = THREADS.getCurrentThreadCpuTime();
        iterationEntries = entries;
    }

    @TearDown(Level.Iteration)
    public void printCpuPerEntry()
    {
        System.out.printf("  [cpu ns per entry: %.0f]", (THREADS.getCurrentThreadCpuTime() - iterationCpuNs) /
            (double)Math.max(1, entries - iterationEntries));
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long appendBatch()
    {
        for (int i = 0; i < BATCH; i++)
        {
            final int user = nextUser;
            nextUser = user + 1 == users ? 0 : user + 1;
            batch.putInbox(user + 1, ++seqs[user], message);
        }
        store.write(batch);
        entries += BATCH;
        return entries;
    }
}
