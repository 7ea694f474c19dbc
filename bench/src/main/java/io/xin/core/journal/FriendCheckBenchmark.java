package io.xin.core.journal;

import com.google.protobuf.ByteString;
import io.xin.bench.CpuPerOperation;
import io.xin.bench.Directories;
import io.xin.core.device.Session;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.pb.Content;
import io.xin.storage.FriendBatch;
import io.xin.storage.FriendStore;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What the friend check costs the journal's send path: the same batches of new 1:1 sends between {@code users}
 * users paired off (user 2k and 2k+1 talk), with the check off, between friends (one point read of the recipient's
 * view: a hit), and between strangers to users who allow strangers (a read of the view that the bloom filter answers,
 * then a read of the privacy flags: a hit). The friend rows and privacy flags are written first and compacted into SST
 * files, as a store that ran for a while holds them; the messages of the run go to the memtables as usual. Scores are
 * per message; the CPU line is the benchmark thread's (the journal's work, RocksDB's reads and memtable inserts),
 * which does not grow when other processes take the cores. fsync {@code never}: the check is CPU, not I/O.
 * (In the journal's package: the ring event's fields are package-private.)
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FriendCheckBenchmark
{
    private static final int BATCH = 16;
    private static final String CLIENT_MSG_ID = "c-000000000000000000";

    /** OFF: no check; FRIENDS: every pair is friends; STRANGERS: no rows, every recipient allows strangers. */
    @Param({"OFF", "FRIENDS", "STRANGERS"})
    String check;

    @Param({"1000", "10000"})
    int users;

    private Path dataDir;
    private XinStore store;
    private Journal journal;
    private final SwitchEvent[] events = new SwitchEvent[BATCH];
    private Session[] sessions;
    private Content content;
    private long counter;
    private int nextSender;
    private long messagesSent;
    private long refused;
    private final CpuPerOperation cpu = new CpuPerOperation();

    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        dataDir = Files.createTempDirectory("xin-friend-check-bench");
        store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER));
        try (JournalBatch batch = store.newBatch())
        {
            final FriendBatch rows = store.friends().newBatch(batch);
            for (long user = 1; user <= users; user++)
            {
                if ("FRIENDS".equals(check))
                {
                    rows.putRelation(user, partner(user), Friends.FRIEND, null);
                }
                else if ("STRANGERS".equals(check))
                {
                    rows.putPrivacy(user, FriendStore.ALLOWS_STRANGERS);
                }
            }
            store.write(batch);
        }
        store.compact();
        journal = new Journal(new JournalContext()
            .store(store)
            .status(new SwitchStatus())
            .counters(new SwitchCounters())
            .clock(System::currentTimeMillis)
            .friendCheck(!"OFF".equals(check)), 0);
        content = Content.newBuilder().setTypeValue(1).setBody(ByteString.copyFrom(new byte[32])).build();
        sessions = new Session[users];
        for (int i = 0; i < users; i++)
        {
            // The journal never touches the channel.
            sessions[i] = new Session(null, i + 1, "phone");
        }
        for (int i = 0; i < BATCH; i++)
        {
            events[i] = new SwitchEvent();
            final byte[] clientMsgId = CLIENT_MSG_ID.getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(clientMsgId, 0, events[i].clientMsgIdArray(clientMsgId.length), 0, clientMsgId.length);
        }
    }

    /** User 2k talks to 2k-1 and back: each user one friend. */
    private static long partner(final long user)
    {
        return (user & 1) == 1 ? user + 1 : user - 1;
    }

    @Setup(Level.Iteration)
    public void startCpuClock()
    {
        cpu.start(messagesSent);
    }

    @TearDown(Level.Iteration)
    public void printCpuPerMessage()
    {
        cpu.print("message", messagesSent);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        System.out.printf("%nrefused: %d of %d messages%n", refused, messagesSent);
        journal.onShutdown();
        store.close();
        Directories.deleteTree(dataDir);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long batchOf16()
    {
        final long id = ++counter;
        messagesSent += BATCH;
        long sum = 0;
        for (int i = 0; i < BATCH; i++)
        {
            final Session sender = sessions[nextSender];
            nextSender = nextSender + 1 == users ? 0 : nextSender + 1;
            final SwitchEvent event = fill(events[i], sender, id);
            journal.onEvent(event, id, i == BATCH - 1);
            refused += event.result == SwitchEvent.RESULT_REFUSED ? 1 : 0;
            sum += event.senderSeq;
        }
        return sum;
    }

    private SwitchEvent fill(final SwitchEvent event, final Session sender, final long id)
    {
        // What SEND_TRANSLATOR writes, as JournalBenchmark does.
        event.type = SwitchEvent.SEND;
        event.session = sender;
        event.requestId = id;
        event.toUserId = partner(sender.userId());
        event.clientMsgId = CLIENT_MSG_ID;
        final byte[] bytes = event.clientMsgIdBytes;
        final int length = event.clientMsgIdLength;
        for (int b = 0; b < Long.BYTES; b++)
        {
            bytes[length - 1 - b] = (byte)(id >>> (8 * b));
        }
        event.content = content;
        event.result = SwitchEvent.RESULT_OK;
        event.audience = null;
        event.message = null;
        return event;
    }
}
