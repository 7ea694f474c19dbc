package io.xin.bench.storage;

import io.xin.bench.CpuPerOperation;
import io.xin.bench.Directories;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.JournalBatch;
import io.xin.storage.JournalReader;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;
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

import com.sun.management.OperatingSystemMXBean;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The storage half of the journal's work for a 1:1 send, as the journal does it: the dedupe lookup of the
 * (sender, client message id) (a miss: every send is new), the message copied once into the batch
 * ({@link JournalBatch#valueBuffer}: one payload in the log entry), the sender's and the recipient's inbox
 * entries of that payload and the dedupe record put into the batch, and per {@code batch} messages one
 * {@link XinStore#append append} to the message log (fsync never) and one {@link XinStore#apply apply} to RocksDB
 * (its WAL off); 32 is the size of the switch's batches at 8,000-16,000 messages a second. The store's own
 * checkpoint thread flushes the memtables and deletes log segments as the switch's does. Sender and recipient are
 * drawn at random out of {@code users}, as sends arrive from many clients (in turn, consecutive senders' dedupe
 * keys would sit side by side in the memtable, which makes RocksDB's skip list look cheaper than it is). Heads are
 * left out: the journal writes them seconds apart, not per message.
 * <p>
 * One operation is one message; the append and apply of a batch fall in its last message's operation. The
 * benchmark thread's CPU per message is printed after each iteration, as it does not grow when other processes
 * take the cores, and the whole process's (RocksDB's flushes and compactions and the log checkpoints included; the
 * JIT and GC too, little after the warm-up). Run with {@code -prof gc} for bytes per message.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JournalWriteBenchmark
{
    private static final int MESSAGE_BYTES = 96;

    /** Messages per log entry: per append and apply. */
    @Param({"32"})
    int batch;

    @Param({"1000", "100000"})
    int users;

    /** The memtable's size per column family (RocksDB write buffer); the switch's default is 64 MiB. */
    @Param({"64", "16"})
    int writeBufferMiB;

    @Param({"false", "true"})
    boolean hashMemtable;

    /** The dedupe memtable's bloom filter (whole key; with {@code hashMemtable} also the sender prefix). */
    @Param({"true"})
    boolean memtableBloom;

    private Path dataDir;
    private XinStore store;
    private JournalReader reader;
    private JournalBatch journalBatch;
    /** Messages in {@link #journalBatch} so far. */
    private int batched;
    private long[] seqs;
    private final byte[] message = new byte[MESSAGE_BYTES];
    private final byte[] clientMsgId = "c-000000000000000000".getBytes(StandardCharsets.US_ASCII);
    /** xorshift64 state: senders and recipients in random order, as sends arrive from many clients. */
    private long random = 0x9E3779B97F4A7C15L;
    private long messages;
    private long lookupHits;
    private final CpuPerOperation cpu = new CpuPerOperation();
    /** The whole process's CPU: RocksDB's flushes and compactions run on its own threads, which the score omits. */
    private final OperatingSystemMXBean os = (OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();
    private long processCpuStartNs;
    private long processCpuStartMessages;

    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        dataDir = Files.createTempDirectory("xin-journal-write-bench");
        store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER)
            .writeBufferBytes(writeBufferMiB * 1024L * 1024).hashMemtable(hashMemtable)
            .memtableBloom(memtableBloom));
        reader = store.newJournalReader();
        journalBatch = store.newBatch();
        seqs = new long[users];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        if (lookupHits != 0)
        {
            throw new IllegalStateException("dedupe lookups found " + lookupHits + " records of new sends");
        }
        journalBatch.close();
        reader.close();
        store.close();
        Directories.deleteTree(dataDir);
    }

    @Setup(Level.Iteration)
    public void startCpuClock()
    {
        cpu.start(messages);
        processCpuStartNs = os.getProcessCpuTime();
        processCpuStartMessages = messages;
    }

    @TearDown(Level.Iteration)
    public void printCpuPerMessage()
    {
        cpu.print("message", messages);
        System.out.printf("  [process cpu ns per message: %.0f]", (os.getProcessCpuTime() - processCpuStartNs) /
            (double)Math.max(1, messages - processCpuStartMessages));
    }

    @Benchmark
    public long writeMessage()
    {
        final int sender = nextUser();
        final int recipient = nextUser();
        final long id = ++messages;
        for (int b = 0; b < Long.BYTES; b++)
        {
            clientMsgId[clientMsgId.length - 1 - b] = (byte)(id >>> (8 * b));
        }
        if (null != reader.readDedupe(sender + 1, clientMsgId))
        {
            lookupHits++;
        }
        final ByteBuffer value = journalBatch.valueBuffer(message, message.length);
        final long senderSeq = ++seqs[sender];
        journalBatch.putInbox(sender + 1, senderSeq, value);
        journalBatch.putInbox(recipient + 1, ++seqs[recipient], value);
        journalBatch.putDedupe(sender + 1, clientMsgId, id, senderSeq, id);
        if (++batched == batch)
        {
            // Durable here: the journal acknowledges the batch's sends, then makes them readable.
            store.append(journalBatch);
            store.apply(journalBatch);
            batched = 0;
        }
        return messages;
    }

    private int nextUser()
    {
        random ^= random << 13;
        random ^= random >>> 7;
        random ^= random << 17;
        return (int)((random >>> 1) % users);
    }
}
