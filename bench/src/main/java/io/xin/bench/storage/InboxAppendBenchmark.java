package io.xin.bench.storage;

import io.xin.bench.CpuPerOperation;
import io.xin.bench.Directories;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.JournalBatch;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The storage half of the journal's write: {@value #BATCH} inbox entries appended to users chosen in turn
 * out of {@code users} (each user's seq rising), one RocksDB write per batch (fsync never), with the
 * inbox memtable's per-user insert hint on or off (in RocksDB's skip list memtable: the hash memtable, the
 * default since, is measured by {@link JournalWriteBenchmark}), and a memtable ({@code writeBufferMiB}) of a given size. The score is per entry; the CPU time of the benchmark
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

    @Param({"true", "false"})
    boolean memtableInsertHint;

    @Param({"1000", "100000"})
    int users;

    /** The memtable's size (RocksDB write buffer); the switch's default is 64 MiB. */
    @Param({"64"})
    int writeBufferMiB;

    private Path dataDir;
    private XinStore store;
    private JournalBatch batch;
    private long[] seqs;
    private final byte[] message = new byte[96];
    private int nextUser;
    private long entries;
    private final CpuPerOperation cpu = new CpuPerOperation();

    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        dataDir = Files.createTempDirectory("xin-append-bench");
        store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER)
            .hashMemtable(false).memtableInsertHint(memtableInsertHint).writeBufferBytes(writeBufferMiB * 1024L * 1024));
        batch = store.newBatch();
        seqs = new long[users];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        batch.close();
        store.close();
        Directories.deleteTree(dataDir);
    }

    @Setup(Level.Iteration)
    public void startCpuClock()
    {
        cpu.start(entries);
    }

    @TearDown(Level.Iteration)
    public void printCpuPerEntry()
    {
        cpu.print("entry", entries);
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
