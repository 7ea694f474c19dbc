package io.xin.core;

import io.xin.storage.FsyncPolicy;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;
import io.xin.storage.fault.KillPoint;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The switch halts itself ({@link Runtime#halt(int)}, as abrupt as SIGKILL) at a chosen point of
 * a message's path, the N-th time it gets there, N random: after the ring publish, after the
 * log append but before the ack, after the ack but before RocksDB holds the batch, after the ack,
 * and between the recipient's push and the sender's other devices'; and at points of the message
 * log's own life: while a segment rolls, while checkpoints delete segments, and while an open replays
 * the log. After each halt it restarts on the same data and the clients resend; the same checks as
 * the crash test hold at every point.
 */
@Timeout(300)
@Tag("slow")
class KillPointIT
{
    private static final int ROUNDS = 2;
    private static final long HALT_TIMEOUT_MS = 30_000;
    /** The smallest segment the switch takes: 4 KiB bodies roll one every few hundred messages. */
    private static final long SEGMENT_BYTES = 1024 * 1024;
    private static final int LARGE_BODY_BYTES = 4096;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = KillPoint.class,
        names = {"AFTER_RING_PUBLISH", "AFTER_WRITE_BEFORE_ACK", "AFTER_ACK_BEFORE_INDEX", "AFTER_ACK", "MID_DELIVERY"})
    void shouldLoseNothingAcknowledgedWhenHaltedAtKillPoint(final KillPoint point) throws Exception
    {
        haltAt(new Plan(point, 1, 20, 199, null, 0));
    }

    /** With two journal shards, a halt after a shard's write leaves hand-offs only in the outbox. */
    @Test
    void shouldLoseNothingAcknowledgedWhenHaltedBetweenTwoShardsWrites() throws Exception
    {
        haltAt(new Plan(KillPoint.AFTER_WRITE_BEFORE_ACK, 2, 20, 199, null, 0));
    }

    /** A segment file is created and nothing appended to it yet: the next open scans the segment before it. */
    @Test
    void shouldLoseNothingAcknowledgedWhenHaltedDuringLogRoll() throws Exception
    {
        // Checkpoints rarely: the rolls, not retention, are under test.
        haltAt(new Plan(KillPoint.DURING_LOG_ROLL, 1, 1, 3,
            new long[]{ SEGMENT_BYTES, 64 * SEGMENT_BYTES, 60_000 }, LARGE_BODY_BYTES));
        assertTrue(segmentBases().anyMatch(base -> base > 0), "the log rolled: " + segmentNames());
    }

    /**
     * A checkpoint deleted the oldest segment and not the next. A checkpoint after every segment and every 100 ms
     * deletes segments under load; the open that follows a crash deletes those its replay made redundant, so the
     * halt may come at an open too.
     */
    @Test
    void shouldLoseNothingAcknowledgedWhenHaltedDuringLogRetention() throws Exception
    {
        haltAt(new Plan(KillPoint.DURING_LOG_RETENTION, 1, 1, 2,
            new long[]{ SEGMENT_BYTES, SEGMENT_BYTES, 100 }, LARGE_BODY_BYTES));
        assertTrue(segmentBases().allMatch(base -> base > 0), "segments were deleted: " + segmentNames());
    }

    /**
     * Recovery itself killed: a halt after acks went out and before RocksDB held the batch leaves an unapplied tail;
     * the next start halts while replaying it, after its first chunk is written to RocksDB and before the flush;
     * the start after that replays it again. Every entry must be applied exactly once in effect.
     */
    @Test
    void shouldLoseNothingAcknowledgedWhenReplayIsHalted() throws Exception
    {
        final Path dataDir = Files.createDirectories(dir.resolve("data"));
        try (SwitchProcess child = new SwitchProcess(dataDir, dir, "batch", 1);
            CrashLoad load = new CrashLoad(3, 16))
        {
            child.start(null);
            load.connect(child.port());
            load.startSending();
            int halted = 0;
            for (int round = 1; round <= ROUNDS; round++)
            {
                child.kill();
                if (!child.startUnlessHalted(KillPoint.AFTER_ACK_BEFORE_INDEX + ":" +
                    ThreadLocalRandom.current().nextInt(20, 200)))
                {
                    throw new IllegalStateException("halted at open, before any batch");
                }
                assertEquals(KillPoint.HALT_EXIT_CODE, child.awaitHalt(HALT_TIMEOUT_MS),
                    "halted after the acks, before RocksDB held the batch");
                assertFalse(child.startUnlessHalted(KillPoint.DURING_REPLAY + ":1"),
                    "the open halted while replaying the unapplied tail");
                halted++;
            }
            child.start(null);
            finish(child, load, KillPoint.DURING_REPLAY, 1, halted);
        }
    }

    /**
     * What one case does.
     *
     * @param logSettings segment bytes, checkpoint bytes and checkpoint interval of the message log; null for the
     *                    defaults.
     * @param bodyBytes   each message's body padded to this size.
     */
    private record Plan(
        KillPoint point, int journalShards, int minN, int maxN, long[] logSettings, int bodyBytes)
    {
    }

    private void haltAt(final Plan plan) throws Exception
    {
        final Path dataDir = Files.createDirectories(dir.resolve("data"));
        try (SwitchProcess child = new SwitchProcess(dataDir, dir, "batch", plan.journalShards());
            CrashLoad load = new CrashLoad(3, 16, plan.bodyBytes()))
        {
            if (plan.logSettings() != null)
            {
                child.logSettings(plan.logSettings()[0], plan.logSettings()[1], plan.logSettings()[2]);
            }
            child.start(null);
            load.connect(child.port());
            load.startSending();
            int halted = 0;
            for (int round = 1; round <= ROUNDS; round++)
            {
                child.kill();
                final String spec =
                    plan.point() + ":" + ThreadLocalRandom.current().nextInt(plan.minN(), plan.maxN() + 1);
                if (!child.startUnlessHalted(spec) || child.awaitHalt(HALT_TIMEOUT_MS) == KillPoint.HALT_EXIT_CODE)
                {
                    halted++;
                    if (plan.point() == KillPoint.AFTER_ACK_BEFORE_INDEX)
                    {
                        assertReplaysAtOpen(dataDir, round);
                    }
                }
            }
            child.start(null);
            finish(child, load, plan.point(), plan.journalShards(), halted);
        }
    }

    private static void finish(
        final SwitchProcess child,
        final CrashLoad load,
        final KillPoint point,
        final int journalShards,
        final int halted) throws Exception
    {
        load.awaitLoggedIn();
        load.stopSending();
        load.awaitAllAnswered();
        final CrashLoad.Report report = load.check();
        System.out.printf("KILLPOINT %s shards=%d halts=%d issued=%d acked-checked=%d lost=%d duplicated=%d gaps=%d " +
            "out-of-order=%d wrong-seq=%d wrong-msg-id=%d failed=%d%n", point, journalShards, halted, load.issued(),
            report.acked(), report.lost(), report.duplicated(), report.gaps(), report.outOfOrder(), report.wrongSeq(),
            report.wrongMsgId(), report.failed());
        assertEquals(ROUNDS, halted, "the switch halted at " + point + " in every round");
        assertTrue(report.clean(), report.toString());
        assertEquals(load.issued(), report.acked(), "every send is acknowledged in the end");
        assertEquals(List.of(), child.nativeLibrariesLeftInTmp(),
            "native libraries left in the halted children's java.io.tmpdir");
    }

    /**
     * The batch whose acks went out before the halt is only in the log: a store opened on a copy of the data
     * replays at least that entry. On a copy, so that the switch's own next open still has the tail to replay.
     */
    private void assertReplaysAtOpen(final Path dataDir, final int round) throws IOException
    {
        final Path copy = dir.resolve("replay-" + round);
        try (Stream<Path> files = Files.walk(dataDir))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                final Path target = copy.resolve(dataDir.relativize(file).toString());
                if (Files.isDirectory(file))
                {
                    Files.createDirectories(target);
                }
                else if (!file.getFileName().toString().equals("LOCK"))
                {
                    Files.copy(file, target);
                }
            }
        }
        try (XinStore store = XinStore.open(new StoreConfig().dataDir(copy).fsyncPolicy(FsyncPolicy.BATCH)))
        {
            assertTrue(store.logEntriesReplayedAtOpen() > 0,
                "a halt between the acks and the apply leaves the acknowledged batch to replay");
        }
    }

    private Stream<Long> segmentBases()
    {
        return segmentNames().stream().map(name -> Long.parseLong(name.substring(0, name.indexOf('.'))));
    }

    private List<String> segmentNames()
    {
        try (Stream<Path> files = Files.list(dir.resolve("data").resolve("log").resolve("shard-0")))
        {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.endsWith(".log")).sorted()
                .toList();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
