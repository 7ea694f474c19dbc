package io.xin.storage.log;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.xin.storage.FsyncPolicy;

class SegmentedLogTest
{
    private static final int HEADER = SegmentedLog.FRAME_HEADER_LENGTH;

    @TempDir
    Path dir;

    @Test
    void shouldReadBackAppendedEntriesAtTheirPositions()
    {
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            assertEquals(0, log.startPosition());
            assertEquals(0, log.endPosition());
            assertTrue(Files.exists(dir.resolve("00000000000000000000.log")));

            final long first = append(log, bytes("alpha"));
            final long second = append(log, bytes("beta"));
            final long third = append(log, bytes("gamma!"));

            assertEquals(0, first);
            assertEquals(HEADER + 5, second);
            assertEquals(second + HEADER + 4, third);
            assertEquals(third + HEADER + 6, log.endPosition());
            assertEquals(log.endPosition(), log.sizeBytes());

            final List<Entry> entries = readAll(log, 0);
            assertEquals(List.of(
                new Entry(first, "alpha"), new Entry(second, "beta"), new Entry(third, "gamma!")), entries);

            final List<Entry> firstTwo = new ArrayList<>();
            assertEquals(third, log.read(0, collector(firstTwo), 2));
            assertEquals(2, firstTwo.size());
            assertEquals(List.of(new Entry(third, "gamma!")), readAll(log, third));
            assertEquals(log.endPosition(), log.read(log.endPosition(), collector(new ArrayList<>()), 10));
        }
    }

    @Test
    void shouldWriteFramesAsLengthCrcPayloadLittleEndian() throws IOException
    {
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            append(log, bytes("xyz"));
        }
        final ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("00000000000000000000.log")))
            .order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(HEADER + 3, file.limit());
        assertEquals(3, file.getInt(0));
        final CRC32C crc = new CRC32C();
        crc.update(file.array(), 0, 4);
        crc.update(file.array(), HEADER, 3);
        assertEquals((int)crc.getValue(), file.getInt(4));
        assertEquals("xyz", new String(file.array(), HEADER, 3, US_ASCII));
    }

    @Test
    void shouldKeepPositionsGrowingAcrossReopen()
    {
        final long end;
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            append(log, bytes("one"));
            append(log, bytes("two"));
            end = log.endPosition();
        }
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            assertEquals(end, log.endPosition());
            assertEquals(end, log.durablePosition());
            assertEquals(0, log.truncatedBytesAtOpen());
            assertEquals(end, append(log, bytes("three")));
            assertEquals(List.of(new Entry(0, "one"), new Entry(HEADER + 3, "two"), new Entry(end, "three")),
                readAll(log, 0));
        }
    }

    @Test
    void shouldRollSegmentsBySizeAndReadAcrossThem()
    {
        // 58-byte frames: four fill 232 of a 256-byte segment, a fifth would pass it.
        final int frame = HEADER + 50;
        try (SegmentedLog log = open(dir, 256))
        {
            final List<Entry> appended = new ArrayList<>();
            for (int i = 0; i < 20; i++)
            {
                final byte[] entry = pattern(i, 50);
                appended.add(new Entry(append(log, entry), entry));
            }
            assertEquals(5, log.segmentCount());
            for (int segment = 0; segment < 5; segment++)
            {
                final Path file = SegmentedLog.segmentPath(dir, segment * 4L * frame);
                assertTrue(Files.exists(file), file.toString());
            }
            assertTrue(Files.exists(dir.resolve("00000000000000000232.log")));
            assertEquals(20L * frame, log.endPosition());
            assertEquals(20L * frame, log.sizeBytes());
            assertEquals(appended, readAll(log, 0));
            assertEquals(appended.subList(4, 20), readAll(log, 4L * frame));
            assertEquals(appended.subList(3, 20), readAll(log, 3L * frame));

            // Reads in small steps cross each boundary the same way.
            final List<Entry> stepped = new ArrayList<>();
            long position = 0;
            while (position < log.endPosition())
            {
                position = log.read(position, collector(stepped), 3);
            }
            assertEquals(appended, stepped);
        }
        try (SegmentedLog log = open(dir, 256))
        {
            assertEquals(5, log.segmentCount());
            assertEquals(20L * frame, log.endPosition());
            assertEquals(20L * frame, append(log, pattern(20, 50)));
            assertEquals(6, log.segmentCount());
        }
    }

    @Test
    void shouldGiveAnEntryLargerThanASegmentASegmentOfItsOwn()
    {
        try (SegmentedLog log = open(dir, 128))
        {
            final long small = append(log, pattern(1, 10));
            final long large = append(log, pattern(2, 500));
            final long after = append(log, pattern(3, 10));

            assertEquals(0, small);
            assertEquals(HEADER + 10, large);
            assertEquals(large + HEADER + 500, after);
            assertEquals(3, log.segmentCount());
            assertEquals(HEADER + 500, fileSize(SegmentedLog.segmentPath(dir, large)));
            assertEquals(HEADER + 10, fileSize(SegmentedLog.segmentPath(dir, after)));
            assertEquals(List.of(
                new Entry(small, pattern(1, 10)), new Entry(large, pattern(2, 500)), new Entry(after, pattern(3, 10))),
                readAll(log, 0));
        }
    }

    @Test
    void shouldCutATornTailToTheLastWholeEntryAtOpen() throws IOException
    {
        final int payload = 20;
        // Torn inside the length, inside the crc, right after the header, and one byte short of the whole frame.
        for (final int kept : new int[]{ 1, 4, 7, HEADER, HEADER + payload - 1 })
        {
            final Path logDir = dir.resolve("kept-" + kept);
            final long last;
            try (SegmentedLog log = open(logDir, LogConfig.DEFAULT_SEGMENT_BYTES))
            {
                append(log, pattern(1, payload));
                append(log, pattern(2, payload));
                last = append(log, pattern(3, payload));
            }
            final Path file = SegmentedLog.segmentPath(logDir, 0);
            truncate(file, last + kept);

            try (SegmentedLog log = open(logDir, LogConfig.DEFAULT_SEGMENT_BYTES))
            {
                assertEquals(kept, log.truncatedBytesAtOpen(), "kept " + kept);
                assertEquals(last, log.endPosition());
                assertEquals(last, log.durablePosition());
                assertEquals(last, fileSize(file));
                assertEquals(last, append(log, pattern(4, payload)));
                assertEquals(List.of(
                    new Entry(0, pattern(1, payload)),
                    new Entry(HEADER + payload, pattern(2, payload)),
                    new Entry(last, pattern(4, payload))), readAll(log, 0));
            }
        }
    }

    @Test
    void shouldCutACorruptLastEntryAtOpen() throws IOException
    {
        final long last;
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            append(log, pattern(1, 30));
            last = append(log, pattern(2, 30));
        }
        final Path file = SegmentedLog.segmentPath(dir, 0);
        flipByte(file, last + HEADER + 17);

        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            assertEquals(HEADER + 30, log.truncatedBytesAtOpen());
            assertEquals(last, log.endPosition());
            assertEquals(last, fileSize(file));
            assertEquals(last, append(log, pattern(3, 30)));
            assertEquals(List.of(new Entry(0, pattern(1, 30)), new Entry(last, pattern(3, 30))), readAll(log, 0));
        }
    }

    @Test
    void shouldCutZerosAppendedPastTheLastEntryAtOpen() throws IOException
    {
        final long end;
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            append(log, pattern(1, 30));
            append(log, pattern(2, 30));
            end = log.endPosition();
        }
        final Path file = SegmentedLog.segmentPath(dir, 0);
        // As a file system can leave after a crash: the size grown, the data never written.
        Files.write(file, new byte[4096], StandardOpenOption.APPEND);

        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            assertEquals(4096, log.truncatedBytesAtOpen());
            assertEquals(end, log.endPosition());
            assertEquals(end, fileSize(file));
            assertEquals(end, append(log, pattern(3, 30)));
            assertEquals(3, readAll(log, 0).size());
        }
    }

    @Test
    void shouldKeepAnEmptyLastSegmentLeftByARoll() throws IOException
    {
        final long end;
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            append(log, pattern(1, 30));
            end = log.endPosition();
        }
        // A crash after a roll created the next file and before anything was appended to it.
        Files.createFile(SegmentedLog.segmentPath(dir, end));

        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            assertEquals(0, log.truncatedBytesAtOpen());
            assertEquals(2, log.segmentCount());
            assertEquals(end, log.endPosition());
            assertEquals(end, append(log, pattern(2, 30)));
            assertEquals(HEADER + 30, fileSize(SegmentedLog.segmentPath(dir, end)));
            assertEquals(2, readAll(log, 0).size());
        }
    }

    @Test
    void shouldCutATornTailBeforeAnEmptyLastSegmentAndDeleteIt() throws IOException
    {
        final long last;
        final long end;
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            append(log, pattern(1, 30));
            last = append(log, pattern(2, 30));
            end = log.endPosition();
        }
        truncate(SegmentedLog.segmentPath(dir, 0), end - 5);
        Files.createFile(SegmentedLog.segmentPath(dir, end));

        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            assertEquals(HEADER + 30 - 5, log.truncatedBytesAtOpen());
            assertEquals(1, log.segmentCount());
            assertFalse(Files.exists(SegmentedLog.segmentPath(dir, end)));
            assertEquals(last, log.endPosition());
            assertEquals(last, append(log, pattern(3, 30)));
            assertEquals(List.of(new Entry(0, pattern(1, 30)), new Entry(last, pattern(3, 30))), readAll(log, 0));
        }
    }

    @Test
    void shouldFailAReadOfACorruptSealedSegment() throws IOException
    {
        final int frame = HEADER + 50;
        try (SegmentedLog log = open(dir, 256))
        {
            for (int i = 0; i < 10; i++)
            {
                append(log, pattern(i, 50));
            }
        }
        // The second entry of the first (sealed) segment.
        final Path sealed = SegmentedLog.segmentPath(dir, 0);
        flipByte(sealed, frame + HEADER + 3);

        try (SegmentedLog log = open(dir, 256))
        {
            assertEquals(0, log.truncatedBytesAtOpen());
            final List<Entry> before = new ArrayList<>();
            final LogException ex = assertThrows(LogException.class, () -> log.read(0, collector(before), 100));
            assertTrue(ex.getMessage().contains(sealed.toString()), ex.getMessage());
            assertTrue(ex.getMessage().contains("position " + frame), ex.getMessage());
            assertEquals(List.of(new Entry(0, pattern(0, 50))), before);
            assertEquals(6, readAll(log, 4L * frame).size());
        }
    }

    @Test
    void shouldDeleteOnlySegmentsWhollyBeforeThePositionAndNeverTheActiveOne()
    {
        final int frame = HEADER + 50;
        final long segment = 4L * frame;
        try (SegmentedLog log = open(dir, 256))
        {
            final List<Entry> appended = new ArrayList<>();
            for (int i = 0; i < 18; i++)
            {
                final byte[] entry = pattern(i, 50);
                appended.add(new Entry(append(log, entry), entry));
            }
            assertEquals(5, log.segmentCount());

            assertEquals(0, log.truncateBefore(segment - 1));
            assertEquals(0, log.startPosition());

            assertEquals(1, log.truncateBefore(segment));
            assertEquals(segment, log.startPosition());
            assertFalse(Files.exists(SegmentedLog.segmentPath(dir, 0)));
            assertTrue(Files.exists(SegmentedLog.segmentPath(dir, segment)));

            assertEquals(1, log.truncateBefore(2 * segment + 1));
            assertEquals(2 * segment, log.startPosition());
            assertEquals(3, log.segmentCount());
            assertEquals(log.endPosition() - 2 * segment, log.sizeBytes());
            assertEquals(appended.subList(8, 18), readAll(log, 2 * segment));
            assertEquals(appended.subList(9, 18), readAll(log, 2 * segment + frame));
            assertThrows(LogException.class, () -> log.read(segment, collector(new ArrayList<>()), 1));

            // Everything before the end: all but the active segment.
            assertEquals(2, log.truncateBefore(Long.MAX_VALUE));
            assertEquals(1, log.segmentCount());
            assertEquals(4 * segment, log.startPosition());
            assertEquals(appended.subList(16, 18), readAll(log, 4 * segment));
            assertEquals(0, log.truncateBefore(Long.MAX_VALUE));

            final long end = log.endPosition();
            assertEquals(end, append(log, pattern(99, 50)));
        }
        try (SegmentedLog log = open(dir, 256))
        {
            assertEquals(4 * segment, log.startPosition());
            assertEquals(4 * segment + 3L * frame, log.endPosition());
            assertEquals(3, readAll(log, log.startPosition()).size());
        }
    }

    @Test
    void shouldRejectReadsFromPositionsThatAreNotEntries()
    {
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            append(log, pattern(1, 40));
            append(log, pattern(2, 40));
            final long end = log.endPosition();

            for (final long position : new long[]{ 1, 3, 4, 5, HEADER, HEADER + 39, end - 1 })
            {
                final List<Entry> read = new ArrayList<>();
                final LogException ex = assertThrows(
                    LogException.class, () -> log.read(position, collector(read), 10), "position " + position);
                assertTrue(ex.getMessage().contains("position " + position), ex.getMessage());
                assertTrue(ex.getMessage().contains("00000000000000000000.log"), ex.getMessage());
                assertTrue(read.isEmpty());
            }
            assertThrows(LogException.class, () -> log.read(end + 1, collector(new ArrayList<>()), 10));
            assertThrows(LogException.class, () -> log.read(-1, collector(new ArrayList<>()), 10));
        }
    }

    @Test
    void shouldRejectEntriesThatAreEmptyOrTooLarge()
    {
        try (SegmentedLog log = SegmentedLog.open(
            LogConfig.of(dir, FsyncPolicy.NEVER).withMaxEntryBytes(100).withSegmentBytes(64)))
        {
            final byte[] bytes = new byte[200];
            assertThrows(IllegalArgumentException.class, () -> log.append(ByteBuffer.wrap(bytes, 0, 0)));
            final IllegalArgumentException tooLarge =
                assertThrows(IllegalArgumentException.class, () -> log.append(ByteBuffer.wrap(bytes, 0, 101)));
            assertTrue(tooLarge.getMessage().contains("maxEntryBytes 100"), tooLarge.getMessage());
            assertEquals(0, log.endPosition());

            // Rejections leave the log writable; the largest entry allowed is its own segment's.
            assertEquals(0, log.append(ByteBuffer.wrap(bytes, 0, 100)));
            assertEquals(HEADER + 100, log.append(ByteBuffer.wrap(bytes, 0, 1)));
            assertEquals(2, log.segmentCount());
        }
    }

    @Test
    void shouldRejectBadConfigWithTheSettingsName()
    {
        assertMessage("directory", () -> LogConfig.of(null, FsyncPolicy.NEVER));
        assertMessage("fsyncPolicy", () -> LogConfig.of(dir, null));
        final LogConfig defaults = LogConfig.of(dir, FsyncPolicy.NEVER);
        assertMessage("segmentBytes must be at least 64", () -> defaults.withSegmentBytes(10));
        assertMessage("maxEntryBytes", () -> defaults.withMaxEntryBytes(0));
        assertMessage("maxEntryBytes", () -> defaults.withMaxEntryBytes(-5));
        assertMessage("maxEntryBytes", () -> defaults.withMaxEntryBytes(LogConfig.MAX_MAX_ENTRY_BYTES + 1));

        final LogConfig config = LogConfig.of(dir, FsyncPolicy.BATCH);
        assertEquals(LogConfig.DEFAULT_SEGMENT_BYTES, config.segmentBytes());
        assertEquals(LogConfig.DEFAULT_MAX_ENTRY_BYTES, config.maxEntryBytes());
        assertEquals(1024, config.withSegmentBytes(1024).segmentBytes());
        assertEquals(LogConfig.DEFAULT_SEGMENT_BYTES, config.segmentBytes(), "a config is immutable");
    }

    @Test
    void shouldRefuseAppendsAndReadsAfterClose()
    {
        final SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES);
        append(log, bytes("before"));
        log.close();
        log.close();

        final LogException appendAfter = assertThrows(LogException.class, () -> append(log, bytes("after")));
        assertTrue(appendAfter.getMessage().contains("closed"), appendAfter.getMessage());
        assertThrows(LogException.class, log::sync);
        assertThrows(LogException.class, () -> log.read(0, collector(new ArrayList<>()), 1));
        assertThrows(LogException.class, () -> log.truncateBefore(Long.MAX_VALUE));
    }

    @Test
    void shouldRefuseAppendsAfterAFailedWrite()
    {
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            append(log, bytes("kept"));
            // An interrupt closes the writer's file channel under its write: a failed write the test can cause.
            Thread.currentThread().interrupt();
            try
            {
                assertThrows(LogException.class, () -> append(log, bytes("failed")));
            }
            finally
            {
                Thread.interrupted();
            }
            final LogException refused = assertThrows(LogException.class, () -> append(log, bytes("refused")));
            assertTrue(refused.getMessage().contains("refuses appends after a failed write"), refused.getMessage());
            assertThrows(LogException.class, log::sync);

            // Readers have channels of their own: what was written stays readable.
            assertEquals(List.of(new Entry(0, "kept")), readAll(log, 0));
        }
    }

    @Test
    void shouldKeepReadingAfterAnInterruptClosedAReadersChannel()
    {
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            append(log, bytes("one"));
            append(log, bytes("two"));
            // An interrupted read closes the file channel it reads for every reader: the log must reopen it.
            Thread.currentThread().interrupt();
            try
            {
                final LogException ex =
                    assertThrows(LogException.class, () -> log.read(0, collector(new ArrayList<>()), 10));
                assertTrue(ex.getMessage().contains("interrupted"), ex.getMessage());
            }
            finally
            {
                Thread.interrupted();
            }
            assertEquals(List.of(new Entry(0, "one"), new Entry(HEADER + 3, "two")), readAll(log, 0));
            assertEquals(log.endPosition(), append(log, bytes("three")));
            assertEquals(3, readAll(log, 0).size());
        }
    }

    @Test
    void shouldReturnTheEndPositionFromABatchSync()
    {
        try (SegmentedLog log = SegmentedLog.open(LogConfig.of(dir, FsyncPolicy.BATCH).withSegmentBytes(128)))
        {
            assertEquals(0, log.durablePosition());
            append(log, pattern(1, 50));
            assertEquals(0, log.durablePosition());
            assertEquals(log.endPosition(), log.sync());
            assertEquals(log.endPosition(), log.durablePosition());

            // A roll forces the segment it leaves; sync then forces the new one.
            append(log, pattern(2, 50));
            append(log, pattern(3, 50));
            assertEquals(2, log.segmentCount());
            assertEquals(3L * (HEADER + 50), log.sync());
            assertEquals(log.endPosition(), log.durablePosition());
        }
        try (SegmentedLog log = SegmentedLog.open(LogConfig.of(dir, FsyncPolicy.NEVER).withSegmentBytes(128)))
        {
            assertEquals(3L * (HEADER + 50), log.durablePosition());
            append(log, pattern(4, 50));
            assertEquals(log.endPosition(), log.sync());
        }
    }

    @Test
    void shouldLetAHandlerReadTheLogAgainOnItsOwnThread()
    {
        try (SegmentedLog log = open(dir, LogConfig.DEFAULT_SEGMENT_BYTES))
        {
            append(log, pattern(1, 30));
            append(log, pattern(2, 30));
            final List<Entry> outer = new ArrayList<>();
            final List<Entry> inner = new ArrayList<>();
            log.read(0, (position, entry) ->
            {
                log.read(position, collector(inner), 1);
                final byte[] copy = new byte[entry.remaining()];
                entry.get(copy);
                outer.add(new Entry(position, copy));
            }, 10);
            assertEquals(readAll(log, 0), outer);
            assertEquals(outer, inner);
        }
    }

    @Test
    void shouldReadWhatWasAppendedWhileAppendingAndTruncatingConcurrently()
    {
        final int entries = 20_000;
        final int segmentBytes = 4096;
        final long[] appendedAt = new long[entries];
        final long[] readAt = new long[entries];
        Arrays.fill(readAt, -1);
        final AtomicBoolean writerDone = new AtomicBoolean();
        final AtomicBoolean readerDone = new AtomicBoolean();
        final AtomicLong readerPosition = new AtomicLong();
        final AtomicLong deleted = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        try (SegmentedLog log = open(dir, segmentBytes))
        {
            final Thread writer = new Thread(() ->
            {
                final ByteBuffer buffer = ByteBuffer.allocateDirect(4 + 200);
                try
                {
                    for (int i = 0; i < entries; i++)
                    {
                        final byte[] entry = indexed(i);
                        buffer.clear();
                        buffer.put(entry).flip();
                        appendedAt[i] = log.append(buffer);
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
                finally
                {
                    writerDone.set(true);
                }
            }, "log-writer");

            final Thread reader = new Thread(() ->
            {
                try
                {
                    final int[] last = { -1 };
                    final boolean[] skipped = { false };
                    final MessageLog.EntryHandler check = (position, entry) ->
                    {
                        final byte[] copy = new byte[entry.remaining()];
                        entry.get(copy);
                        final int index = ByteBuffer.wrap(copy).getInt(0);
                        assertArrayEquals(indexed(index), copy, "entry " + index + " at " + position);
                        if (skipped[0])
                        {
                            assertTrue(index > last[0], "entry " + index + " after " + last[0]);
                            skipped[0] = false;
                        }
                        else
                        {
                            assertEquals(last[0] + 1, index, "entry after " + last[0]);
                        }
                        last[0] = index;
                        readAt[index] = position;
                    };
                    long position = 0;
                    while (failure.get() == null)
                    {
                        final boolean finished = writerDone.get();
                        try
                        {
                            position = log.read(position, check, 64);
                        }
                        catch (final LogException ex)
                        {
                            // Acceptable only when retention deleted the segment under the read.
                            if (log.startPosition() <= position)
                            {
                                throw ex;
                            }
                            position = log.startPosition();
                            skipped[0] = true;
                        }
                        readerPosition.set(position);
                        if (finished && position == log.endPosition())
                        {
                            break;
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
                finally
                {
                    readerDone.set(true);
                }
            }, "log-reader");

            final Thread truncator = new Thread(() ->
            {
                try
                {
                    while (!readerDone.get())
                    {
                        // A segment ahead of the reader at times: some reads race the deletion of their segment.
                        deleted.addAndGet(log.truncateBefore(readerPosition.get() + segmentBytes));
                        Thread.yield();
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            }, "log-truncator");

            // Only a guard against a hang; the threads end on their own.
            assertTimeoutPreemptively(Duration.ofMinutes(3), () ->
            {
                writer.start();
                reader.start();
                truncator.start();
                writer.join();
                reader.join();
                truncator.join();
            });
            assertNull(failure.get(), () -> "failed: " + failure.get());

            int read = 0;
            for (int i = 0; i < entries; i++)
            {
                if (readAt[i] >= 0)
                {
                    assertEquals(appendedAt[i], readAt[i], "position of entry " + i);
                    read++;
                }
            }
            assertEquals(appendedAt[entries - 1], readAt[entries - 1], "the last entry is never deleted");
            assertTrue(read > 0);
            assertTrue(deleted.get() > 0);
            assertTrue(log.startPosition() > 0);
        }
    }

    private static SegmentedLog open(final Path dir, final long segmentBytes)
    {
        return SegmentedLog.open(LogConfig.of(dir, FsyncPolicy.NEVER).withSegmentBytes(segmentBytes));
    }

    private static long append(final SegmentedLog log, final byte[] entry)
    {
        return log.append(ByteBuffer.wrap(entry));
    }

    private static List<Entry> readAll(final SegmentedLog log, final long from)
    {
        final List<Entry> entries = new ArrayList<>();
        assertEquals(log.endPosition(), log.read(from, collector(entries), Integer.MAX_VALUE));
        return entries;
    }

    private static MessageLog.EntryHandler collector(final List<Entry> entries)
    {
        return (position, entry) ->
        {
            final byte[] copy = new byte[entry.remaining()];
            entry.get(copy);
            entries.add(new Entry(position, copy));
        };
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(US_ASCII);
    }

    private static byte[] pattern(final int seed, final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(seed * 31 + i);
        }
        return bytes;
    }

    /** Entry {@code index}: its index (big-endian) then 0..199 bytes of a pattern of it. */
    private static byte[] indexed(final int index)
    {
        final byte[] bytes = new byte[4 + index % 200];
        ByteBuffer.wrap(bytes).putInt(0, index);
        for (int i = 4; i < bytes.length; i++)
        {
            bytes[i] = (byte)(index * 7 + i);
        }
        return bytes;
    }

    private static long fileSize(final Path file)
    {
        try
        {
            return Files.size(file);
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static void truncate(final Path file, final long size) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE))
        {
            channel.truncate(size);
        }
    }

    private static void flipByte(final Path file, final long position) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            one.put(0, (byte)(one.get(0) ^ 0x5A)).rewind();
            channel.write(one, position);
        }
    }

    private static void assertMessage(final String expected, final Runnable action)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, action::run);
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }

    private record Entry(long position, byte[] bytes)
    {
        Entry(final long position, final String text)
        {
            this(position, text.getBytes(US_ASCII));
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof Entry && ((Entry)other).position == position &&
                Arrays.equals(((Entry)other).bytes, bytes);
        }

        @Override
        public int hashCode()
        {
            return Long.hashCode(position) * 31 + Arrays.hashCode(bytes);
        }

        @Override
        public String toString()
        {
            return position + ":" + Arrays.toString(bytes);
        }
    }
}
