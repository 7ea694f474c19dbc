package io.xin.core;

import io.xin.storage.fault.KillPoint;
import io.xin.storage.log.SegmentedLog;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A torn, corrupt or overlong message log tail after a crash. The switch halts right after a batch
 * was appended to its journal shard's log and synced, before its acks went out; the test then cuts
 * that last frame in half (a write torn by a power cut), flips a byte inside its payload (a sector
 * gone bad), or appends zeros after it (a file extended but never written). The switch must still
 * open (the log cuts its tail at the first bad frame) and, under fsync {@code batch}, nothing
 * acknowledged may be missing: a damaged frame held only unacknowledged sends, which the clients
 * resend and the switch stores once. A second crash after more load shows that appends after the cut
 * are found again.
 */
@Timeout(300)
@Tag("slow")
class LogTailIT
{
    private static final long WAIT_MS = 60_000;
    private static final int ZERO_BYTES = 4096;

    enum Damage
    {
        TRUNCATE, CORRUPT, ZEROS
    }

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Damage.class)
    void shouldOpenAndLoseNothingAcknowledgedAfterDamagedLogTail(final Damage damage) throws Exception
    {
        final Path dataDir = Files.createDirectories(dir.resolve("data"));
        try (SwitchProcess child = new SwitchProcess(dataDir, dir, "batch");
            CrashLoad load = new CrashLoad(3, 16))
        {
            child.start(null);
            load.connect(child.port());
            load.startSending();
            child.kill();
            child.start(KillPoint.AFTER_WRITE_BEFORE_ACK + ":" + ThreadLocalRandom.current().nextInt(10, 60));
            assertEquals(KillPoint.HALT_EXIT_CODE, child.awaitHalt(30_000), "halted after an append, before its acks");
            final long ackedAtHalt = load.acked();

            final Path segment = newestSegment(dataDir.resolve("log").resolve("shard-0"));
            assertNotNull(segment, "a segment file in " + dataDir);
            final long[] last = lastFrame(segment);
            assertTrue(last[1] > last[0], "the segment holds a frame: " + segment);
            assertEquals(Files.size(segment), last[1], "the last frame ends the segment");
            damage(segment, last, damage);

            child.start(null);
            load.awaitLoggedIn();
            awaitMoreAcked(load, ackedAtHalt + 100);
            child.kill();
            child.start(null);
            load.awaitLoggedIn();
            load.stopSending();
            load.awaitAllAnswered();
            final CrashLoad.Report report = load.check();
            System.out.printf("LOGTAIL %s frame=%d..%d of %s acked-at-halt=%d issued=%d acked-checked=%d lost=%d " +
                "duplicated=%d gaps=%d out-of-order=%d wrong-msg-id=%d%n", damage, last[0], last[1],
                segment.getFileName(), ackedAtHalt, load.issued(), report.acked(), report.lost(), report.duplicated(),
                report.gaps(), report.outOfOrder(), report.wrongMsgId());
            assertTrue(report.clean(), report.toString());
            assertEquals(load.issued(), report.acked(), "every send is acknowledged in the end");
        }
    }

    private static void damage(final Path segment, final long[] last, final Damage damage) throws IOException
    {
        try (FileChannel file = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            switch (damage)
            {
                case TRUNCATE -> file.truncate(last[0] + (last[1] - last[0]) / 2);
                case CORRUPT ->
                {
                    final long at = last[0] + SegmentedLog.FRAME_HEADER_LENGTH +
                        (last[1] - last[0] - SegmentedLog.FRAME_HEADER_LENGTH) / 2;
                    final ByteBuffer one = ByteBuffer.allocate(1);
                    file.read(one, at);
                    one.put(0, (byte)~one.get(0)).rewind();
                    file.write(one, at);
                }
                case ZEROS -> file.write(ByteBuffer.allocate(ZERO_BYTES), last[1]);
            }
            file.force(true);
        }
    }

    /** Waits, bounded, until the clients hold at least {@code acked} acks: the restarted switch takes load. */
    private static void awaitMoreAcked(final CrashLoad load, final long acked) throws InterruptedException
    {
        final long deadline = System.currentTimeMillis() + WAIT_MS;
        while (load.acked() < acked)
        {
            if (System.currentTimeMillis() > deadline)
            {
                throw new IllegalStateException("only " + load.acked() + " of " + acked + " acks after the restart");
            }
            Thread.sleep(5);
        }
    }

    private static Path newestSegment(final Path logDir) throws IOException
    {
        try (Stream<Path> files = Files.list(logDir))
        {
            return files.filter(p -> p.getFileName().toString().matches("\\d{20}\\.log"))
                .max(Path::compareTo)
                .orElse(null);
        }
    }

    /**
     * Walks the frames of a segment: {@code length int32 LE | crc32c int32 LE | payload}.
     *
     * @return {start, end} byte offsets of the last whole frame.
     */
    private static long[] lastFrame(final Path segment) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(segment)).order(ByteOrder.LITTLE_ENDIAN);
        long start = -1;
        long end = -1;
        int pos = 0;
        while (pos + SegmentedLog.FRAME_HEADER_LENGTH <= bytes.limit())
        {
            final int length = bytes.getInt(pos);
            if (length <= 0 || pos + SegmentedLog.FRAME_HEADER_LENGTH + (long)length > bytes.limit())
            {
                break;
            }
            start = pos;
            pos += SegmentedLog.FRAME_HEADER_LENGTH + length;
            end = pos;
        }
        return new long[]{ start, end };
    }
}
