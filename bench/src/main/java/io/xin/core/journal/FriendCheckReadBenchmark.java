package io.xin.core.journal;

import io.xin.bench.CpuPerOperation;
import io.xin.bench.Directories;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The friend check alone, on the journal's thread: 16 checks per operation of distinct (recipient, sender) pairs out
 * of {@code users} users, each with one friend (FRIENDS) or none and allowing strangers (STRANGERS). A recipient of the
 * checking journal's own shard is answered from memory once read ({@code SAME}); one of another shard is read from
 * RocksDB every time ({@code OTHER}: one point read for a friend, two for a stranger), from rows compacted into SST
 * files with bloom filters, as a store that ran for a while holds them. The CPU line is the benchmark thread's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FriendCheckReadBenchmark
{
    private static final int CHECKS = 16;

    @Param({"FRIENDS", "STRANGERS"})
    String check;

    @Param({"SAME", "OTHER"})
    String recipientShard;

    @Param({"10000"})
    int users;

    private Path dataDir;
    private XinStore store;
    private Journal journal;
    private long[] senders;
    private long[] recipients;
    private int next;
    private long checks;
    private final CpuPerOperation cpu = new CpuPerOperation();

    @Setup(Level.Trial)
    public void setup() throws IOException
    {
        dataDir = Files.createTempDirectory("xin-friend-check-read-bench");
        store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER));
        // The journal checks as shard 0 of 2; its senders are its own users, the recipients of the one or the other.
        final int recipientsShard = "SAME".equals(recipientShard) ? 0 : 1;
        final int pairs = users / 2;
        senders = new long[pairs];
        recipients = new long[pairs];
        long candidate = 1;
        for (int i = 0; i < pairs; i++)
        {
            candidate = nextOnShard(candidate, 0);
            senders[i] = candidate++;
            candidate = nextOnShard(candidate, recipientsShard);
            recipients[i] = candidate++;
        }
        try (JournalBatch batch = store.newBatch())
        {
            final FriendBatch rows = store.friends().newBatch(batch);
            for (int i = 0; i < pairs; i++)
            {
                if ("FRIENDS".equals(check))
                {
                    rows.putRelation(recipients[i], senders[i], Friends.FRIEND, null);
                }
                else
                {
                    rows.putPrivacy(recipients[i], FriendStore.ALLOWS_STRANGERS);
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
            .shardCount(2), 0);
    }

    private static long nextOnShard(final long from, final int shard)
    {
        long user = from;
        while (JournalShard.of(user, 2) != shard)
        {
            user++;
        }
        return user;
    }

    @Setup(Level.Iteration)
    public void startCpuClock()
    {
        cpu.start(checks);
    }

    @TearDown(Level.Iteration)
    public void printCpuPerCheck()
    {
        cpu.print("check", checks);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        journal.onShutdown();
        store.close();
        Directories.deleteTree(dataDir);
    }

    @Benchmark
    @OperationsPerInvocation(CHECKS)
    public int checkOf16()
    {
        checks += CHECKS;
        final Friends friends = journal.friends();
        int refused = 0;
        for (int i = 0; i < CHECKS; i++)
        {
            refused += friends.refuses(recipients[next], senders[next]) ? 1 : 0;
            next = next + 1 == senders.length ? 0 : next + 1;
        }
        if (refused != 0)
        {
            throw new IllegalStateException(refused + " of " + CHECKS + " checks refused");
        }
        return refused;
    }
}
