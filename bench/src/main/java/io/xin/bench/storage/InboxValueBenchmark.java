package io.xin.bench.storage;

import io.xin.bench.CpuPerOperation;
import io.xin.bench.Directories;
import io.xin.storage.NativeLibraries;
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
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.HashSkipListMemTableConfig;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Statistics;
import org.rocksdb.TickerType;
import org.rocksdb.TtlDB;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import com.sun.management.OperatingSystemMXBean;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Whether an inbox value should be the message or a reference into the message log, measured on RocksDB alone: a
 * {@link TtlDB} with the store's inbox column family (hashed by user, 30-day TTL), written with RocksDB's WAL off as
 * the store applies log entries, two inbox puts per 1:1 message (the sender's copy and the recipient's) of either
 * the {@value #MESSAGE_BYTES}-byte message ({@code message}) or a {@value #REFERENCE_BYTES}-byte log position
 * and length ({@code reference}), {@value #BATCH} messages per write. The memtables are small ({@code writeBufferMiB})
 * so that an iteration flushes many and compacts: their cost, on RocksDB's own threads, is where the value's size
 * should show. Messages are random bytes (a body that does not compress, as an encrypted one), drawn from a pool too
 * large for a block to hold repeats; references are rising positions.
 * <p>
 * Every iteration writes the same {@value #MESSAGES_PER_ITERATION} messages (a single shot of
 * {@value #BATCHES_PER_ITERATION} batches), so that both forms meet a database of the same number of entries at each
 * iteration (compactions grow dearer as it grows), and its teardown then flushes the memtable and waits until no
 * flush or compaction runs or is pending: the background work the iteration's messages caused is counted in it. The
 * score is the iteration's time in milliseconds, the benchmark thread's time for its {@value #MESSAGES_PER_ITERATION}
 * messages, which is also nanoseconds per message (a million of them; not so with {@code -bs}). After each iteration
 * it prints, per message: that wall time, the benchmark thread's CPU, the whole process's CPU up to the end of the
 * settling (flushes and compactions included), the bytes RocksDB's flushes and compactions wrote (its statistics'
 * tickers), and the bytes the process caused to be written to storage ({@code /proc/self/io} {@code write_bytes}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, batchSize = InboxValueBenchmark.BATCHES_PER_ITERATION)
@Measurement(iterations = 3, batchSize = InboxValueBenchmark.BATCHES_PER_ITERATION)
@Fork(1)
public class InboxValueBenchmark
{
    private static final int BATCH = 32;
    static final int BATCHES_PER_ITERATION = 31_250;
    private static final int MESSAGES_PER_ITERATION = BATCH * BATCHES_PER_ITERATION;
    private static final long SETTLE_POLL_MS = 20;
    private static final int MESSAGE_BYTES = 96;
    private static final int REFERENCE_BYTES = 16;
    private static final int INBOX_TTL_SECONDS = 30 * 24 * 3600;
    private static final int INBOX_KEY_BYTES = 16;
    private static final int USER_PREFIX_BYTES = 8;
    /** Distinct random messages: 384 KiB, many 4 KiB blocks, so a block's compression finds no repeats. */
    private static final int MESSAGE_POOL = 4096;

    /** What an inbox value is: the message itself, or where it is in the message log. */
    @Param({"message", "reference"})
    String valueForm;

    @Param({"100000"})
    int users;

    /**
     * The inbox memtable: {@code hash} of one skip list per user, as the store's default, or one {@code skiplist}
     * (a hash memtable is flushed through a sorted copy of itself: a cost per entry, whatever the value's size).
     */
    @Param({"hash"})
    String memtable;

    /** The inbox memtable's size: small, so that flushes and compactions run within an iteration. */
    @Param({"8"})
    int writeBufferMiB;

    private Path dataDir;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private TtlDB db;
    private ColumnFamilyHandle inbox;
    private Statistics statistics;
    private WriteOptions writeOptions;
    private WriteBatch batch;
    private boolean references;
    private long[] seqs;
    private final byte[][] messagePool = new byte[MESSAGE_POOL][MESSAGE_BYTES];
    private final byte[] reference = new byte[REFERENCE_BYTES];
    private final byte[] inboxKey = new byte[INBOX_KEY_BYTES];
    /** xorshift64 state: senders and recipients in random order, as sends arrive from many clients. */
    private long random = 0x9E3779B97F4A7C15L;
    /** Where the next message would sit in the log, for the references. */
    private long logPosition;
    private long messages;
    private final CpuPerOperation cpu = new CpuPerOperation();
    private final OperatingSystemMXBean os = (OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();
    private long startMessages;
    private long startNs;
    private long startProcessCpuNs;
    private long startFlushBytes;
    private long startCompactionWriteBytes;
    private long startCompactionReadBytes;
    private long startIoWriteBytes;

    @Setup(Level.Trial)
    public void setup() throws IOException, RocksDBException
    {
        NativeLibraries.loadRocksDb();
        references = "reference".equals(valueForm);
        dataDir = Files.createTempDirectory("xin-inbox-value-bench");
        statistics = add(new Statistics());
        // As the store opens its database: atomic flushes (its writes skip the WAL), one memtable writer at a time.
        final boolean hashed = "hash".equals(memtable);
        final DBOptions dbOptions = add(new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
            .setAtomicFlush(true).setAllowConcurrentMemtableWrite(!hashed).setStatistics(statistics));
        final ColumnFamilyOptions inboxOptions = add(new ColumnFamilyOptions()
            .setWriteBufferSize(writeBufferMiB * 1024L * 1024));
        if (hashed)
        {
            inboxOptions.useFixedLengthPrefixExtractor(USER_PREFIX_BYTES)
                .setMemTableConfig(new HashSkipListMemTableConfig().setBucketCount(1 << 16).setHeight(12));
        }
        final List<ColumnFamilyDescriptor> descriptors = List.of(
            new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, add(new ColumnFamilyOptions())),
            new ColumnFamilyDescriptor("inbox".getBytes(StandardCharsets.US_ASCII), inboxOptions));
        final List<ColumnFamilyHandle> handles = new ArrayList<>();
        db = TtlDB.open(dbOptions, dataDir.toString(), descriptors, handles, List.of(0, INBOX_TTL_SECONDS), false);
        inbox = handles.get(1);
        closeables.addAll(0, handles);
        writeOptions = add(new WriteOptions().setDisableWAL(true));
        batch = add(new WriteBatch());
        for (final byte[] message : messagePool)
        {
            for (int i = 0; i < message.length; i++)
            {
                message[i] = (byte)nextRandom();
            }
        }
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
    public void startCounters() throws IOException
    {
        cpu.start(messages);
        startMessages = messages;
        startProcessCpuNs = os.getProcessCpuTime();
        startFlushBytes = statistics.getTickerCount(TickerType.FLUSH_WRITE_BYTES);
        startCompactionWriteBytes = statistics.getTickerCount(TickerType.COMPACT_WRITE_BYTES);
        startCompactionReadBytes = statistics.getTickerCount(TickerType.COMPACT_READ_BYTES);
        startIoWriteBytes = ioWriteBytes();
        startNs = System.nanoTime();
    }

    @TearDown(Level.Iteration)
    public void settleAndPrint() throws IOException, RocksDBException, InterruptedException
    {
        final long wallNs = System.nanoTime() - startNs;
        final double count = Math.max(1, messages - startMessages);
        cpu.print("message", messages);
        final long settleStartNs = System.nanoTime();
        settle();
        System.out.printf("  [wall ns per message: %.0f]  [settling ms: %d]", wallNs / count,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - settleStartNs));
        System.out.printf("  [process cpu ns per message: %.0f]  [flush B per message: %.1f]" +
            "  [compaction write B per message: %.1f]  [compaction read B per message: %.1f]" +
            "  [io write_bytes per message: %.1f]  [messages: %d]",
            (os.getProcessCpuTime() - startProcessCpuNs) / count,
            (statistics.getTickerCount(TickerType.FLUSH_WRITE_BYTES) - startFlushBytes) / count,
            (statistics.getTickerCount(TickerType.COMPACT_WRITE_BYTES) - startCompactionWriteBytes) / count,
            (statistics.getTickerCount(TickerType.COMPACT_READ_BYTES) - startCompactionReadBytes) / count,
            (ioWriteBytes() - startIoWriteBytes) / count, messages - startMessages);
    }

    @Benchmark
    public long writeBatch() throws RocksDBException
    {
        for (int i = 0; i < BATCH; i++)
        {
            final int sender = nextUser();
            final int recipient = nextUser();
            final long id = ++messages;
            final byte[] value;
            if (references)
            {
                // Where the message is in the log and how long: a 16-byte value instead of the bytes.
                putLong(reference, 0, logPosition);
                putLong(reference, Long.BYTES, MESSAGE_BYTES);
                value = reference;
            }
            else
            {
                value = messagePool[(int)(id & (MESSAGE_POOL - 1))];
            }
            logPosition += MESSAGE_BYTES + 64;
            inboxKey(sender + 1, ++seqs[sender]);
            batch.put(inbox, inboxKey, value);
            inboxKey(recipient + 1, ++seqs[recipient]);
            batch.put(inbox, inboxKey, value);
        }
        db.write(writeOptions, batch);
        batch.clear();
        return messages;
    }

    /** Flushes the memtable and waits until no flush or compaction runs or is pending. */
    private void settle() throws RocksDBException, InterruptedException
    {
        try (FlushOptions flushOptions = new FlushOptions().setWaitForFlush(true))
        {
            db.flush(flushOptions, inbox);
        }
        while (db.getLongProperty(inbox, "rocksdb.num-running-compactions") +
            db.getLongProperty(inbox, "rocksdb.num-running-flushes") +
            db.getLongProperty(inbox, "rocksdb.compaction-pending") +
            db.getLongProperty(inbox, "rocksdb.mem-table-flush-pending") > 0)
        {
            Thread.sleep(SETTLE_POLL_MS);
        }
    }

    private void inboxKey(final long userId, final long seq)
    {
        putLong(inboxKey, 0, userId);
        putLong(inboxKey, Long.BYTES, seq);
    }

    private static void putLong(final byte[] bytes, final int offset, final long value)
    {
        for (int i = 0; i < Long.BYTES; i++)
        {
            bytes[offset + i] = (byte)(value >>> (8 * (Long.BYTES - 1 - i)));
        }
    }

    private long nextRandom()
    {
        random ^= random << 13;
        random ^= random >>> 7;
        random ^= random << 17;
        return random;
    }

    private int nextUser()
    {
        return (int)((nextRandom() >>> 1) % users);
    }

    /** Bytes this process caused to be sent to storage so far; -1 where /proc/self/io cannot be read. */
    private static long ioWriteBytes() throws IOException
    {
        final Path io = Path.of("/proc/self/io");
        if (!Files.isReadable(io))
        {
            return -1;
        }
        for (final String line : Files.readAllLines(io))
        {
            if (line.startsWith("write_bytes:"))
            {
                return Long.parseLong(line.substring("write_bytes:".length()).trim());
            }
        }
        return -1;
    }

    private <T extends AutoCloseable> T add(final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }
}
