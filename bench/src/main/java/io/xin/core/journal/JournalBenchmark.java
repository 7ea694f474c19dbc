package io.xin.core.journal;

import com.google.protobuf.ByteString;
import io.xin.bench.CpuPerOperation;
import io.xin.bench.Directories;
import io.xin.core.device.Session;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.pb.Content;
import io.xin.storage.FsyncPolicy;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The journal's work for one Disruptor batch of 1, 16 or 256 new 1:1 sends: dedupe lookup, seq
 * assignment, the stored message, the puts, and at the end of the batch one RocksDB write (real RocksDB
 * in a temporary folder) under fsync {@code never} or {@code batch}. Scores are per message
 * ({@code @OperationsPerInvocation}); run with {@code -prof gc} for bytes per message. At the end of each
 * trial it prints the RocksDB keys written per message.
 * <p>
 * Every send must be new, or the dedupe lookup would answer it as a resend: the client message id's bytes
 * (what the dedupe index is keyed on) end in a counter, and the sends of one batch come from different
 * senders, so the in-batch dedupe map sees distinct keys without the benchmark making a string per message.
 * (In the journal's package: the ring event's fields are package-private.)
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class JournalBenchmark
{
    private static final int MAX_BATCH = 256;
    private static final String CLIENT_MSG_ID = "c-000000000000000000";

    @Param({"NEVER", "BATCH"})
    FsyncPolicy fsync;

    @Param({"32"})
    int payloadBytes;

    /** 0 writes every moved head with its batch (as before heads were deferred); 5000 is the default. */
    @Param({"5000", "0"})
    long headWriteIntervalMs;

    private Path dataDir;
    private XinStore store;
    private Journal journal;
    private final SwitchEvent[] events = new SwitchEvent[MAX_BATCH];
    private final Session[] senders = new Session[MAX_BATCH];
    private Content content;
    private long counter;
    /** RocksDB entries written (puts and deletes, counted at each write) and messages sent, for keys per message. */
    private long keysWritten;
    private long messagesSent;
    private final CpuPerOperation cpu = new CpuPerOperation();

    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        dataDir = Files.createTempDirectory("xin-journal-bench");
        store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(fsync));
        journal = new Journal(new JournalContext()
            .store(store)
            .journalWriter(journalStore -> batch ->
            {
                keysWritten += batch.count();
                journalStore.write(batch);
            })
            .status(new SwitchStatus())
            .counters(new SwitchCounters())
            .clock(System::currentTimeMillis)
            // Its senders and recipients are strangers; what the friend check adds is FriendCheckBenchmark's.
            .friendCheck(false)
            .headWriteIntervalMs(headWriteIntervalMs), 0);
        content = Content.newBuilder().setTypeValue(1).setBody(ByteString.copyFrom(new byte[payloadBytes])).build();
        for (int i = 0; i < MAX_BATCH; i++)
        {
            events[i] = new SwitchEvent();
            final byte[] clientMsgId = CLIENT_MSG_ID.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(clientMsgId, 0, events[i].clientMsgIdArray(clientMsgId.length), 0, clientMsgId.length);
            // The journal never touches the channel.
            senders[i] = new Session(null, 1 + i, "phone");
        }
    }

    @Setup(Level.Iteration)
    public void startCpuClock()
    {
        cpu.start(messagesSent);
    }

    /**
     * CPU time of the benchmark thread (the journal's work, RocksDB's memtable inserts included) per message:
     * unlike the score, it does not grow when other processes take the cores.
     */
    @TearDown(Level.Iteration)
    public void printCpuPerMessage()
    {
        cpu.print("message", messagesSent);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        // Before the shutdown's own write of the heads still waiting.
        System.out.printf("%nkeys per message: %.3f (%d keys, %d messages)%n",
            (double)keysWritten / Math.max(1, messagesSent), keysWritten, messagesSent);
        journal.onShutdown();
        store.close();
        Directories.deleteTree(dataDir);
    }

    @Benchmark
    public long batchOf1()
    {
        return runBatch(1);
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public long batchOf16()
    {
        return runBatch(16);
    }

    @Benchmark
    @OperationsPerInvocation(256)
    public long batchOf256()
    {
        return runBatch(256);
    }

    private long runBatch(final int size)
    {
        final long id = ++counter;
        messagesSent += size;
        long sum = 0;
        for (int i = 0; i < size; i++)
        {
            final SwitchEvent event = fill(events[i], senders[i], id);
            journal.onEvent(event, id, i == size - 1);
            sum += event.senderSeq;
        }
        return sum;
    }

    private SwitchEvent fill(final SwitchEvent event, final Session sender, final long id)
    {
        // What SEND_TRANSLATOR writes, without the per-message copies the decoded Send already paid for.
        event.type = SwitchEvent.SEND;
        event.session = sender;
        event.requestId = id;
        event.toUserId = sender.userId() + MAX_BATCH;
        event.clientMsgId = CLIENT_MSG_ID;
        final byte[] bytes = event.clientMsgIdBytes;
        final int length = event.clientMsgIdLength;
        for (int b = 0; b < Long.BYTES; b++)
        {
            bytes[length - 1 - b] = (byte)(id >>> (8 * b));
        }
        event.content = content;
        event.result = SwitchEvent.RESULT_OK;
        event.message = null;
        return event;
    }
}
