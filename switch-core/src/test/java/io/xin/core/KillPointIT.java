package io.xin.core;

import io.xin.storage.fault.KillPoint;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The switch halts itself ({@link Runtime#halt(int)}, as abrupt as SIGKILL) at a chosen point of
 * a message's path, the N-th time it gets there, N random: after the ring publish, after the
 * RocksDB write but before the ack, after the ack, and between the recipient's push and the
 * sender's other devices'. After each halt it restarts on the same data and the clients resend;
 * the same checks as the crash test hold at every point.
 */
@Timeout(300)
@Tag("slow")
class KillPointIT
{
    private static final int ROUNDS = 2;
    private static final long HALT_TIMEOUT_MS = 30_000;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(KillPoint.class)
    void shouldLoseNothingAcknowledgedWhenHaltedAtKillPoint(final KillPoint point) throws Exception
    {
        haltAt(point, 1);
    }

    /** With two journal shards, a halt after a shard's write leaves hand-offs only in the outbox. */
    @Test
    void shouldLoseNothingAcknowledgedWhenHaltedBetweenTwoShardsWrites() throws Exception
    {
        haltAt(KillPoint.AFTER_WRITE_BEFORE_ACK, 2);
    }

    private void haltAt(final KillPoint point, final int journalShards) throws Exception
    {
        final Path dataDir = Files.createDirectories(dir.resolve("data"));
        try (SwitchProcess child = new SwitchProcess(dataDir, dir, "batch", journalShards);
            CrashLoad load = new CrashLoad(3, 16))
        {
            child.start(null);
            load.connect(child.port());
            load.startSending();
            int halted = 0;
            for (int round = 1; round <= ROUNDS; round++)
            {
                child.kill();
                child.start(point + ":" + ThreadLocalRandom.current().nextInt(20, 200));
                if (child.awaitHalt(HALT_TIMEOUT_MS) == KillPoint.HALT_EXIT_CODE)
                {
                    halted++;
                }
            }
            child.start(null);
            load.awaitLoggedIn();
            load.stopSending();
            load.awaitAllAnswered();
            final CrashLoad.Report report = load.check();
            System.out.printf("KILLPOINT %s shards=%d halts=%d issued=%d acked-checked=%d lost=%d duplicated=%d gaps=%d " +
                "out-of-order=%d wrong-seq=%d failed=%d%n", point, journalShards, halted, load.issued(), report.acked(), report.lost(),
                report.duplicated(), report.gaps(), report.outOfOrder(), report.wrongSeq(), report.failed());
            assertEquals(ROUNDS, halted, "the switch halted at " + point + " in every round");
            assertTrue(report.clean(), report.toString());
            assertEquals(load.issued(), report.acked(), "every send is acknowledged in the end");
            assertEquals(List.of(), child.nativeLibrariesLeftInTmp(),
                "native libraries left in the halted children's java.io.tmpdir");
        }
    }
}
