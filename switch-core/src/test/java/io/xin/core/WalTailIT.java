package io.xin.core;

import io.xin.storage.fault.KillPoint;
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
 * A torn or corrupt write-ahead-log tail after a crash. The switch halts right after a journal
 * write returned and before its acks went out; the test then cuts that last WAL record in half
 * (a write torn by a power cut) or flips a byte inside it (a sector gone bad). The switch must
 * still open (RocksDB's point-in-time WAL recovery stops at the damaged record) and, under fsync
 * {@code batch}, nothing acknowledged may be missing: the damaged record held only unacknowledged
 * sends, which the clients resend.
 */
@Timeout(300)
@Tag("slow")
class WalTailIT
{
    /** RocksDB's log format: 32 KiB blocks of records, each with a 7-byte header (11 when recyclable). */
    private static final int BLOCK_BYTES = 32 * 1024;
    private static final int HEADER_BYTES = 7;
    private static final int RECYCLABLE_HEADER_BYTES = 11;

    enum Damage
    {
        TRUNCATE, CORRUPT
    }

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Damage.class)
    void shouldOpenAndLoseNothingAcknowledgedAfterDamagedWalTail(final Damage damage) throws Exception
    {
        final Path dataDir = Files.createDirectories(dir.resolve("data"));
        try (SwitchProcess child = new SwitchProcess(dataDir, dir, "batch");
            CrashLoad load = new CrashLoad(3, 16))
        {
            child.start(null);
            load.connect(child.port());
            load.startSending();
            Thread.sleep(300);
            child.kill();
            child.start(KillPoint.AFTER_WRITE_BEFORE_ACK + ":" + ThreadLocalRandom.current().nextInt(10, 60));
            assertEquals(KillPoint.HALT_EXIT_CODE, child.awaitHalt(30_000), "halted after a write, before its acks");
            final long ackedAtHalt = load.acked();

            final Path wal = newestWal(dataDir);
            assertNotNull(wal, "a WAL file in " + dataDir);
            final long[] last = lastRecord(wal);
            assertTrue(last[1] > last[0], "the WAL holds a record");
            try (FileChannel file = FileChannel.open(wal, StandardOpenOption.WRITE))
            {
                if (damage == Damage.TRUNCATE)
                {
                    file.truncate(last[0] + (last[1] - last[0]) / 2);
                }
                else
                {
                    final long at = last[0] + HEADER_BYTES + (last[1] - last[0] - HEADER_BYTES) / 2;
                    final ByteBuffer one = ByteBuffer.allocate(1);
                    try (FileChannel read = FileChannel.open(wal, StandardOpenOption.READ))
                    {
                        read.read(one, at);
                    }
                    one.put(0, (byte)~one.get(0)).rewind();
                    file.write(one, at);
                }
                file.force(true);
            }

            child.start(null);
            load.awaitLoggedIn();
            load.stopSending();
            load.awaitAllAnswered();
            final CrashLoad.Report report = load.check();
            System.out.printf("WALTAIL %s record=%d..%d of %s acked-at-halt=%d issued=%d acked-checked=%d lost=%d " +
                "duplicated=%d gaps=%d out-of-order=%d%n", damage, last[0], last[1], wal.getFileName(), ackedAtHalt,
                load.issued(), report.acked(), report.lost(), report.duplicated(), report.gaps(), report.outOfOrder());
            assertTrue(report.clean(), report.toString());
            assertEquals(load.issued(), report.acked(), "every send is acknowledged in the end");
        }
    }

    private static Path newestWal(final Path dataDir) throws IOException
    {
        try (Stream<Path> files = Files.list(dataDir))
        {
            return files.filter(p -> p.getFileName().toString().matches("\\d+\\.log"))
                .max((a, b) -> Long.compare(number(a), number(b)))
                .orElse(null);
        }
    }

    private static long number(final Path wal)
    {
        final String name = wal.getFileName().toString();
        return Long.parseLong(name.substring(0, name.length() - ".log".length()));
    }

    /**
     * Walks the record headers of a RocksDB WAL file.
     *
     * @return {start, end} byte offsets of the last logical record (from its FULL or FIRST fragment).
     */
    private static long[] lastRecord(final Path wal) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(wal)).order(ByteOrder.LITTLE_ENDIAN);
        final int size = bytes.limit();
        int pos = 0;
        long start = -1;
        long end = -1;
        while (pos + HEADER_BYTES <= size)
        {
            final int leftInBlock = BLOCK_BYTES - pos % BLOCK_BYTES;
            if (leftInBlock < HEADER_BYTES)
            {
                pos += leftInBlock;
                continue;
            }
            final int length = bytes.getShort(pos + 4) & 0xFFFF;
            final int type = bytes.get(pos + 6) & 0xFF;
            if (type == 0 && length == 0)
            {
                break;
            }
            final int header = type >= 5 && type <= 8 ? RECYCLABLE_HEADER_BYTES : HEADER_BYTES;
            if (pos + header + length > size)
            {
                break;
            }
            if (type == 1 || type == 2 || type == 5 || type == 6)
            {
                start = pos;
            }
            pos += header + length;
            end = pos;
        }
        return new long[]{ start, end };
    }
}
