package io.xin.core;

import io.xin.core.journal.JournalShard;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kill -9 under load, again and again: a switch in a child JVM takes sustained sends from real
 * clients and is killed with SIGKILL at a random moment, then restarted on the same data dir and
 * port; the clients reconnect and resend what was not acknowledged. At the end, every message a
 * client holds an ack for must be in its recipient's and its sender's inbox exactly once, every
 * inbox gapless, and each (sender, recipient) pair in send order. A process crash loses nothing
 * acknowledged under either fsync policy: with {@code never} the message log is in the OS page cache,
 * which outlives the process.
 */
@Timeout(300)
@Tag("slow")
class CrashRecoveryIT
{
    /** At least 20 in CI; -Dxin.crash.rounds=200 for a longer run. */
    static final int ROUNDS = Integer.getInteger("xin.crash.rounds", 20);
    private static final int USERS = 4;
    private static final int WINDOW = 16;
    /** The smallest segment the switch takes, also as checkpoint size: 4 KiB bodies roll and delete segments. */
    private static final long SMALL_SEGMENT_BYTES = 1024 * 1024;
    private static final int LARGE_BODY_BYTES = 4096;
    private static final int ROUNDS_WITH_ROLLS = 4;
    private static final long WAIT_MS = 60_000;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "fsync {0}")
    @ValueSource(strings = {"batch", "never"})
    void shouldLoseNothingAcknowledgedWhenKilledUnderLoad(final String fsync) throws Exception
    {
        killUnderLoad(fsync, 1, ROUNDS, null, 0, 0);
    }

    /**
     * Small segments, checkpoints every segment and every 100 ms, and bodies large enough that segments roll,
     * checkpoints flush and delete them between kills: a kill can land in a roll, a flush or a deletion, and every
     * restart replays a log whose start has moved.
     */
    @Test
    void shouldLoseNothingAcknowledgedWhenKilledWhileLogRollsAndCheckpoints() throws Exception
    {
        // About one segment of bodies between kills.
        final long sendsPerRound = SMALL_SEGMENT_BYTES / LARGE_BODY_BYTES;
        killUnderLoad("batch", 1, ROUNDS_WITH_ROLLS,
            new long[]{ SMALL_SEGMENT_BYTES, SMALL_SEGMENT_BYTES, 100 }, LARGE_BODY_BYTES, sendsPerRound);
        try (Stream<Path> files = Files.list(dir.resolve("data").resolve("log").resolve("shard-0")))
        {
            final List<String> segments = files.map(file -> file.getFileName().toString()).sorted().toList();
            assertTrue(segments.stream().allMatch(name -> !name.startsWith("00000000000000000000")),
                "the log rolled and its first segment was deleted: " + segments);
        }
    }

    /**
     * With two journal shards most sends cross shards: a kill between the sender's shard writing the
     * message (and its outbox record) and the recipient's shard appending it must lose nothing.
     */
    @Test
    void shouldLoseNothingAcknowledgedAcrossJournalShardsWhenKilledUnderLoad() throws Exception
    {
        final Set<Integer> shards = new HashSet<>();
        for (long user = 1; user <= USERS; user++)
        {
            shards.add(JournalShard.of(user, 2));
        }
        assertEquals(2, shards.size(), "the load's users live on both shards");
        killUnderLoad("never", 2, Math.max(1, ROUNDS / 2), null, 0, 0);
    }

    /**
     * @param logSettings   segment bytes, checkpoint bytes and checkpoint interval of the message log; null for the
     *                      defaults.
     * @param bodyBytes     each message's body padded to this size.
     * @param sendsPerRound acks to wait for after each restart before the next kill's random delay.
     */
    private void killUnderLoad(
        final String fsync,
        final int journalShards,
        final int rounds,
        final long[] logSettings,
        final int bodyBytes,
        final long sendsPerRound) throws Exception
    {
        final Path dataDir = Files.createDirectories(dir.resolve("data"));
        long ackedAtKills = 0;
        final long startNs = System.nanoTime();
        try (SwitchProcess child = new SwitchProcess(dataDir, dir, fsync, journalShards);
            CrashLoad load = new CrashLoad(USERS, WINDOW, bodyBytes))
        {
            if (logSettings != null)
            {
                child.logSettings(logSettings[0], logSettings[1], logSettings[2]);
            }
            child.start(null);
            load.connect(child.port());
            load.startSending();
            for (int round = 1; round <= rounds; round++)
            {
                load.awaitLoggedIn();
                awaitAcked(load, ackedAtKills + sendsPerRound);
                Thread.sleep(ThreadLocalRandom.current().nextInt(50, 400));
                child.kill();
                ackedAtKills = load.acked();
                child.start(null);
            }
            load.awaitLoggedIn();
            load.stopSending();
            load.awaitAllAnswered();
            final CrashLoad.Report report = load.check();
            System.out.printf("CRASH fsync=%s shards=%d rounds=%d body=%d issued=%d acked-checked=%d lost=%d " +
                "duplicated=%d gaps=%d out-of-order=%d wrong-seq=%d wrong-msg-id=%d failed=%d " +
                "acked-before-last-kill=%d time=%d ms (starting children %d ms)%n", fsync, journalShards, rounds,
                bodyBytes, load.issued(), report.acked(), report.lost(), report.duplicated(), report.gaps(),
                report.outOfOrder(), report.wrongSeq(), report.wrongMsgId(), report.failed(), ackedAtKills,
                (System.nanoTime() - startNs) / 1_000_000, child.startMs());
            assertEquals(rounds + 1, child.starts());
            assertTrue(report.acked() > rounds, "load ran: " + report);
            assertTrue(report.clean(), report.toString());
            assertEquals(load.issued(), report.acked(), "every send is acknowledged in the end");
            assertEquals(List.of(), child.nativeLibrariesLeftInTmp(),
                "native libraries left in the killed children's java.io.tmpdir");
        }
    }

    /** Waits, bounded, until the clients hold at least {@code acked} acks. */
    private static void awaitAcked(final CrashLoad load, final long acked) throws InterruptedException
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        while (load.acked() < acked)
        {
            if (System.currentTimeMillis() > deadline)
            {
                throw new IllegalStateException("only " + load.acked() + " of " + acked + " acks before the kill");
            }
            Thread.sleep(5);
        }
    }
}
