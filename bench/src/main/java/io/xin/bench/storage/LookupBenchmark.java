package io.xin.bench.storage;

import io.xin.bench.CpuPerOperation;
import io.xin.bench.Directories;
import io.xin.storage.DedupeRecord;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.JournalBatch;
import io.xin.storage.JournalReader;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;
import org.agrona.collections.Long2LongHashMap;
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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The journal's lookups, against a real RocksDB in a temporary folder holding {@value #USERS} users'
 * heads, inbox entries and dedupe records: a dedupe miss (every new send), a dedupe hit (a resend),
 * the head read of a user seen for the first time since start, a device cursor read (every login), and
 * the in-memory head cache that serves every later seq. Run with {@code -prof gc} for bytes per lookup.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LookupBenchmark
{
    static final int USERS = 100_000;
    private static final byte[] DEVICE = "phone".getBytes(StandardCharsets.US_ASCII);

    private Path dataDir;
    private XinStore store;
    /** What a journal shard reads through: its own reused key and value buffers. */
    private JournalReader reader;
    private final Long2LongHashMap heads = new Long2LongHashMap(-1);
    private final byte[][] storedIds = new byte[USERS][];
    private final byte[] missingId = "c-missing-00000000".getBytes(StandardCharsets.US_ASCII);
    private int next;
    private long lookups;
    private final CpuPerOperation cpu = new CpuPerOperation();

    /**
     * Where the records are: {@code sst} after a full compaction (a store that has run a while), or {@code memtable}
     * (recent writes, as the journal's dedupe lookups mostly meet them).
     */
    @Param({"sst", "memtable"})
    String records;

    /** The memtable bloom filter of the point-lookup column families, on or off, to measure what it saves. */
    @Param({"true", "false"})
    boolean memtableBloom;

    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        dataDir = Files.createTempDirectory("xin-lookup-bench");
        store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER)
            .memtableBloom(memtableBloom));
        final byte[] message = new byte[48];
        try (JournalBatch batch = store.newBatch())
        {
            for (int user = 1; user <= USERS; user++)
            {
                storedIds[user - 1] = ("c-" + user).getBytes(StandardCharsets.US_ASCII);
                batch.putInbox(user, 1, message);
                batch.putHead(user, 1);
                batch.putDedupe(user, storedIds[user - 1], user, 1, 1_000);
                batch.putCursor(user, DEVICE, 1);
                heads.put(user, 1);
                if (user % 1_000 == 0)
                {
                    store.write(batch);
                }
            }
            store.write(batch);
        }
        if ("sst".equals(records))
        {
            // Lookups from SST files and the block cache, as for a store that has run a while.
            store.compact();
        }
        reader = store.newJournalReader();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        reader.close();
        store.close();
        Directories.deleteTree(dataDir);
    }

    private int nextUser()
    {
        lookups++;
        next = next == USERS ? 1 : next + 1;
        return next;
    }

    @Setup(Level.Iteration)
    public void startCpuClock()
    {
        cpu.start(lookups);
    }

    /** CPU time of the benchmark thread per lookup: unlike the score, it does not grow when other processes take the cores. */
    @TearDown(Level.Iteration)
    public void printCpuPerLookup()
    {
        cpu.print("lookup", lookups);
    }

    @Benchmark
    public DedupeRecord dedupeMiss()
    {
        return reader.readDedupe(nextUser(), missingId);
    }

    @Benchmark
    public DedupeRecord dedupeHit()
    {
        final int user = nextUser();
        return reader.readDedupe(user, storedIds[user - 1]);
    }

    @Benchmark
    public long headSeqFromStore()
    {
        return reader.readHeadSeq(nextUser());
    }

    @Benchmark
    public long cursorFromStore()
    {
        return reader.readCursor(nextUser(), DEVICE);
    }

    @Benchmark
    public long headSeqCached()
    {
        return heads.get(nextUser());
    }
}
