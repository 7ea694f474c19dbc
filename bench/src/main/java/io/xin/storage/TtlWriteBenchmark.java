package io.xin.storage;

import io.xin.bench.CpuPerOperation;
import io.xin.bench.Directories;
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
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.HashSkipListMemTableConfig;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.TtlDB;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What two of the store's choices cost per 1:1 message, on RocksDB directly: the same batch of
 * {@value #BATCH} messages (two 16-byte inbox keys and a 28-byte dedupe key each, the store's layouts) written
 * through a {@link TtlDB}, which rewrites every batch to append a 4-byte time to each value, or through a
 * plain {@link RocksDB}; and the inbox memtable as RocksDB's skip list or as a hash of per-user skip lists
 * (which the store cannot use: its inbox reads seek backwards). Senders and recipients are drawn at random out of {@code users}. Nothing here is read. WAL on, fsync never,
 * 64 MiB memtables. The benchmark thread's CPU per message is printed after each iteration.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TtlWriteBenchmark
{
    private static final int BATCH = 32;
    private static final int MESSAGE_BYTES = 96;
    private static final int DEDUPE_TTL_SECONDS = 7 * 24 * 3600;
    private static final int INBOX_TTL_SECONDS = 30 * 24 * 3600;

    @Param({"1000", "100000"})
    int users;

    @Param({"true", "false"})
    boolean ttl;

    @Param({"false", "true"})
    boolean inboxHashMemtable;

    private Path dataDir;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private RocksDB db;
    private ColumnFamilyHandle inbox;
    private ColumnFamilyHandle dedupe;
    private WriteOptions writeOptions;
    private WriteBatch batch;
    private long[] seqs;
    private final byte[] message = new byte[MESSAGE_BYTES];
    private final byte[] inboxKey = new byte[Layout.INBOX_KEY_LENGTH];
    private final byte[] dedupeKey = new byte[Layout.LONG_LENGTH + 20];
    private final byte[] dedupeValue = new byte[Layout.DEDUPE_VALUE_LENGTH];
    /** xorshift64 state: senders and recipients in random order, as sends arrive from many clients. */
    private long random = 0x9E3779B97F4A7C15L;
    private long messages;
    private final CpuPerOperation cpu = new CpuPerOperation();

    @Setup(Level.Trial)
    public void setup() throws IOException, RocksDBException
    {
        NativeLibraries.loadRocksDb();
        dataDir = Files.createTempDirectory("xin-ttl-write-bench");
        final DBOptions dbOptions = add(new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
            .setAllowConcurrentMemtableWrite(!inboxHashMemtable));
        final ColumnFamilyOptions inboxOptions = add(new ColumnFamilyOptions().setWriteBufferSize(64L << 20));
        if (inboxHashMemtable)
        {
            inboxOptions.useFixedLengthPrefixExtractor(Layout.USER_PREFIX_LENGTH)
                .setMemTableConfig(new HashSkipListMemTableConfig().setBucketCount(1 << 16));
        }
        final List<ColumnFamilyDescriptor> descriptors = List.of(
            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, add(new ColumnFamilyOptions())),
            new ColumnFamilyDescriptor("inbox".getBytes(StandardCharsets.US_ASCII), inboxOptions),
            new ColumnFamilyDescriptor("dedupe".getBytes(StandardCharsets.US_ASCII),
                add(new ColumnFamilyOptions().setWriteBufferSize(64L << 20))));
        final List<ColumnFamilyHandle> handles = new ArrayList<>();
        db = ttl ?
            TtlDB.open(dbOptions, dataDir.toString(), descriptors, handles,
                List.of(0, INBOX_TTL_SECONDS, DEDUPE_TTL_SECONDS), false) :
            RocksDB.open(dbOptions, dataDir.toString(), descriptors, handles);
        inbox = handles.get(1);
        dedupe = handles.get(2);
        closeables.addAll(0, handles);
        writeOptions = add(new WriteOptions());
        batch = add(new WriteBatch());
        System.arraycopy("c-000000000000000000".getBytes(StandardCharsets.US_ASCII), 0, dedupeKey, Layout.LONG_LENGTH, 20);
        seqs = new long[users];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        closeables.add(0, db);
        for (final AutoCloseable closeable : closeables)
        {
            closeable.close();
        }
        Directories.deleteTree(dataDir);
    }

    @Setup(Level.Iteration)
    public void startCpuClock()
    {
        cpu.start(messages);
    }

    @TearDown(Level.Iteration)
    public void printCpuPerMessage()
    {
        cpu.print("message", messages);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long writeBatch() throws RocksDBException
    {
        for (int i = 0; i < BATCH; i++)
        {
            final int sender = nextUser();
            final int recipient = nextUser();
            final long id = ++messages;
            final long senderSeq = ++seqs[sender];
            Layout.inboxKey(inboxKey, sender + 1, senderSeq);
            batch.put(inbox, inboxKey, message);
            Layout.inboxKey(inboxKey, recipient + 1, ++seqs[recipient]);
            batch.put(inbox, inboxKey, message);
            Layout.putLong(dedupeKey, 0, sender + 1);
            Layout.putLong(dedupeKey, dedupeKey.length - Long.BYTES, id);
            Layout.putLong(dedupeValue, 0, id);
            Layout.putLong(dedupeValue, Long.BYTES, senderSeq);
            Layout.putLong(dedupeValue, 2 * Long.BYTES, id);
            batch.put(dedupe, dedupeKey, dedupeValue);
        }
        db.write(writeOptions, batch);
        batch.clear();
        return messages;
    }

    private int nextUser()
    {
        random ^= random << 13;
        random ^= random >>> 7;
        random ^= random << 17;
        return (int)((random >>> 1) % users);
    }

    private <T extends AutoCloseable> T add(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }
}
