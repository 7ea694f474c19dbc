package io.xin.storage.log;

import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32C;


import io.xin.storage.FsyncPolicy;
import io.xin.storage.fault.KillPoint;

/**
 * A {@link MessageLog} in local segment files.
 * <p>
 * Files: the directory holds one file per segment, named by the position of its first byte, 20 decimal digits
 * and {@code .log} ({@code 00000000000000000000.log}). A byte's position is its segment's base plus its offset in
 * the file; there is no file header. Each entry is one frame:
 * <pre>
 *   length (int32 LE) | crc (int32 LE, CRC32C of the 4 length bytes, then of the payload) | payload
 * </pre>
 * An entry's position is the start of its frame. Appends go to the last (active) segment; one that would take it
 * past {@link LogConfig#segmentBytes()} goes to a new segment instead, so segments hold whole frames only and a
 * segment's bytes end where the next one's base begins.
 * <p>
 * Recovery: {@link #open} scans the last segment (and the one before it when the last is empty, as a roll leaves
 * it) frame by frame. At the first frame whose length is impossible, that runs past the end of the file or that
 * fails its checksum, it cuts the file and deletes every later segment: a torn or corrupt tail is a write that
 * never completed, so nothing after it was ever durable. Sealed segments are checked by size only; a corrupt
 * byte in one is found by the {@link #read} that reaches it.
 * <p>
 * Threading:
 * <ul>
 *   <li>{@link #append} and {@link #sync()}: one writer thread (the journal shard's);</li>
 *   <li>{@link #read}, {@link #truncateBefore}, the positions, {@link #sizeBytes()} and {@link #segmentCount()}:
 *       any thread, concurrently with the writer and with each other. A read takes a snapshot of the segment
 *       list and of {@link #endPosition()} without locking; one racing a {@code truncateBefore} that deletes the
 *       segment it is in fails with a {@link LogException} (reads use file channels, never mapped memory, so a
 *       deleted segment cannot crash the process);</li>
 *   <li>{@link #close()}: any thread, once the writer has stopped; appends and reads fail afterwards.</li>
 * </ul>
 * Each reading thread keeps one direct read buffer (for every log it reads), as large as the largest
 * entry it has read; the writer keeps one as large as the largest entry it has appended. Neither allocates on
 * the steady path.
 */
public final class SegmentedLog implements MessageLog
{
    /** A frame's length and checksum, before its payload. */
    public static final int FRAME_HEADER_LENGTH = 8;
    /** Segment file names: base position, zero-padded to the digits of {@link Long#MAX_VALUE}, and this. */
    public static final String SEGMENT_SUFFIX = ".log";

    private static final int LENGTH_OFFSET = 0;
    private static final int CRC_OFFSET = 4;
    private static final int LENGTH_FIELD_BYTES = 4;
    private static final int NAME_DIGITS = 20;
    /** What a read or the recovery scan takes from a file at once: many small entries per system call. */
    private static final int READ_CHUNK_BYTES = 64 * 1024;
    private static final int INITIAL_WRITE_BUFFER_BYTES = 64 * 1024;
    /** Reopens of a read channel closed under a read by other threads' interrupts, before the read gives up. */
    private static final int MAX_REOPENS_PER_READ = 3;

    /** Each reading thread's buffer: kept between reads so that the steady path allocates nothing. */
    private static final ThreadLocal<ReadCursor> READ_CURSORS = ThreadLocal.withInitial(ReadCursor::new);

    private final Path directory;
    private final long segmentBytes;
    private final int maxEntryBytes;
    /** BATCH: {@link #sync()} forces the active segment, a roll forces the sealed one, a new file its directory. */
    private final boolean force;
    private final long truncatedBytesAtOpen;

    /** Guards changes to {@link #segments} and {@link #closed}: the writer's roll, truncateBefore and close. */
    private final Object lock = new Object();
    /**
     * Oldest first, the last is the active one. Copy-on-write under {@link #lock}, so that a read takes a
     * consistent snapshot with one volatile read and no lock.
     */
    private volatile Segment[] segments;
    /** Written under {@link #lock}; read by any thread. */
    private volatile boolean closed;
    /** Written by the writer thread after each append; read by any thread. */
    private volatile long endPosition;
    /** Written by the writer thread at each sync; read by any thread. */
    private volatile long durablePosition;

    /** The active segment's write channel. Owned by the writer thread; replaced under {@link #lock}. */
    private FileChannel writeChannel;
    /** The last of {@link #segments}. Owned by the writer thread; replaced under {@link #lock}. */
    private Segment activeSegment;
    /** Bytes in the active segment. Owned by the writer thread. */
    private long activeBytes;
    /** Set once a write, force or roll failed: what follows may not be on disk. Owned by the writer thread. */
    private boolean failed;
    /** Header and payload of the frame being appended. Owned by the writer thread. */
    private ByteBuffer writeBuffer;
    /** Views {@link #writeBuffer}. Owned by the writer thread. */
    /** Owned by the writer thread. */
    private final CRC32C writeCrc = new CRC32C();

    private SegmentedLog(
        final LogConfig config,
        final Segment[] segments,
        final FileChannel writeChannel,
        final long activeBytes,
        final long truncatedBytesAtOpen)
    {
        this.directory = config.directory();
        this.segmentBytes = config.segmentBytes();
        this.maxEntryBytes = config.maxEntryBytes();
        this.force = config.fsyncPolicy() == FsyncPolicy.BATCH;
        this.truncatedBytesAtOpen = truncatedBytesAtOpen;
        this.segments = segments;
        this.writeChannel = writeChannel;
        this.activeSegment = segments[segments.length - 1];
        this.activeBytes = activeBytes;
        this.endPosition = activeSegment.base + activeBytes;
        this.durablePosition = endPosition;
        growWriteBuffer(INITIAL_WRITE_BUFFER_BYTES);
    }

    /**
     * Opens the log in the config's directory, creating the directory and a first segment if missing, and cuts a
     * torn or corrupt tail (see the class comment).
     *
     * @throws LogException if the files cannot be listed, scanned, cut or opened, or if a sealed segment's size
     *                      does not reach the next segment's base (bytes lost from the middle of the log).
     */
    public static SegmentedLog open(final LogConfig config)
    {
        final Path directory = config.directory();
        final boolean force = config.fsyncPolicy() == FsyncPolicy.BATCH;
        try
        {
            Files.createDirectories(directory);
            final List<Long> bases = listBases(directory);
            if (bases.isEmpty())
            {
                Files.newByteChannel(segmentPath(directory, 0), CREATE_NEW, WRITE).close();
                if (force)
                {
                    forceDirectory(directory);
                }
                bases.add(0L);
            }
            final long truncated = recover(directory, bases, config.maxEntryBytes(), force);
            return openSegments(config, bases, truncated);
        }
        catch (final IOException ex)
        {
            throw new LogException("cannot open log in " + directory + ": " + ex, ex);
        }
    }

    /**
     * Cuts the tail of the last segment (or of the one before an empty last segment) at its first bad frame and
     * deletes what follows; removes the cut-off bases from {@code bases}.
     *
     * @return bytes cut.
     */
    private static long recover(
        final Path directory, final List<Long> bases, final int maxEntryBytes, final boolean force)
        throws IOException
    {
        final int last = bases.size() - 1;
        final long[] sizes = new long[bases.size()];
        for (int i = 0; i <= last; i++)
        {
            sizes[i] = Files.size(segmentPath(directory, bases.get(i)));
        }
        // A roll creates the next file before writing to it: a crash there leaves the torn frame one segment back.
        final int scanFrom = sizes[last] == 0 && last > 0 ? last - 1 : last;
        long truncated = 0;
        for (int i = scanFrom; i <= last; i++)
        {
            final Path path = segmentPath(directory, bases.get(i));
            final long valid = validLength(path, sizes[i], maxEntryBytes);
            final boolean emptyPastGap = i == last && i > scanFrom && sizes[i] == 0 &&
                bases.get(i) != bases.get(i - 1) + sizes[i - 1];
            if (valid < sizes[i] || emptyPastGap)
            {
                // Later segments first, newest first: a crash part way leaves a log that recovers the same way.
                final int keep = emptyPastGap ? i - 1 : i;
                for (int j = last; j > keep; j--)
                {
                    truncated += sizes[j];
                    Files.delete(segmentPath(directory, bases.remove(j)));
                }
                if (force && keep < last)
                {
                    forceDirectory(directory);
                }
                if (!emptyPastGap)
                {
                    try (FileChannel channel = FileChannel.open(path, WRITE))
                    {
                        channel.truncate(valid);
                        channel.force(true);
                    }
                    truncated += sizes[i] - valid;
                    sizes[i] = valid;
                }
                break;
            }
        }
        for (int i = 0; i < bases.size() - 1; i++)
        {
            if (bases.get(i) + sizes[i] != bases.get(i + 1))
            {
                throw new LogException("segment " + segmentPath(directory, bases.get(i)) + " holds " + sizes[i] +
                    " bytes but the next segment starts at " + bases.get(i + 1) + ": bytes are missing");
            }
        }
        return truncated;
    }

    /** @return the length of the run of good frames from the file's start. */
    private static long validLength(final Path path, final long size, final int maxEntryBytes) throws IOException
    {
        final ReadCursor cursor = new ReadCursor();
        try (FileChannel channel = FileChannel.open(path, READ))
        {
            long position = 0;
            while (size - position >= FRAME_HEADER_LENGTH)
            {
                int at = cursor.load(channel, position, FRAME_HEADER_LENGTH, size);
                final int length = cursor.view.getInt(at + LENGTH_OFFSET);
                if (length <= 0 || length > maxEntryBytes || length > size - position - FRAME_HEADER_LENGTH)
                {
                    return position;
                }
                at = cursor.load(channel, position, FRAME_HEADER_LENGTH + length, size);
                if (!cursor.checksumMatches(at, length))
                {
                    return position;
                }
                position += FRAME_HEADER_LENGTH + length;
            }
            return position;
        }
    }

    private static SegmentedLog openSegments(final LogConfig config, final List<Long> bases, final long truncated)
        throws IOException
    {
        final Path directory = config.directory();
        final Segment[] segments = new Segment[bases.size()];
        FileChannel writeChannel = null;
        try
        {
            for (int i = 0; i < segments.length; i++)
            {
                final Path path = segmentPath(directory, bases.get(i));
                segments[i] = new Segment(bases.get(i), path, FileChannel.open(path, READ));
            }
            final Segment active = segments[segments.length - 1];
            writeChannel = FileChannel.open(active.path, WRITE);
            return new SegmentedLog(config, segments, writeChannel, writeChannel.size(), truncated);
        }
        catch (final IOException | RuntimeException ex)
        {
            closeQuietly(writeChannel);
            for (final Segment segment : segments)
            {
                if (segment != null)
                {
                    segment.retire();
                }
            }
            throw ex;
        }
    }

    /** @return the bases of the directory's segment files, ascending; other files are left alone. */
    private static List<Long> listBases(final Path directory) throws IOException
    {
        final List<Long> bases = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SEGMENT_SUFFIX))
        {
            for (final Path file : files)
            {
                final String name = file.getFileName().toString();
                final String digits = name.substring(0, name.length() - SEGMENT_SUFFIX.length());
                if (digits.length() == NAME_DIGITS && digits.chars().allMatch(c -> c >= '0' && c <= '9'))
                {
                    bases.add(Long.parseLong(digits));
                }
            }
        }
        bases.sort(null);
        return bases;
    }

    static Path segmentPath(final Path directory, final long base)
    {
        // ROOT: a locale's own digits must not reach a file name.
        return directory.resolve(String.format(Locale.ROOT, "%0" + NAME_DIGITS + "d", base) + SEGMENT_SUFFIX);
    }

    /** Makes a file's creation or deletion durable: forcing the file holds its bytes, not its name. */
    private static void forceDirectory(final Path directory)
    {
        try (FileChannel channel = FileChannel.open(directory, READ))
        {
            channel.force(true);
        }
        catch (final IOException ex)
        {
            // Some filesystems and platforms refuse to open or force a directory; there is nothing more to do.
        }
    }

    @Override
    public long append(final ByteBuffer entry)
    {
        final int length = entry.remaining();
        if (length <= 0)
        {
            throw new IllegalArgumentException("entry length must be positive: " + length);
        }
        if (length > maxEntryBytes)
        {
            throw new IllegalArgumentException(
                "entry of " + length + " bytes exceeds maxEntryBytes " + maxEntryBytes);
        }
        ensureWritable();
        final int frameLength = FRAME_HEADER_LENGTH + length;
        // An empty segment takes any entry, so one larger than a segment gets a segment of its own.
        if (activeBytes > 0 && activeBytes + frameLength > segmentBytes)
        {
            roll();
        }
        if (frameLength > writeBuffer.capacity())
        {
            growWriteBuffer(frameLength);
        }
        final ByteBuffer frame = writeBuffer;
        frame.clear();
        frame.putInt(LENGTH_OFFSET, length);
        frame.put(FRAME_HEADER_LENGTH, entry, entry.position(), length);
        writeCrc.reset();
        frame.limit(LENGTH_FIELD_BYTES).position(0);
        writeCrc.update(frame);
        frame.limit(frameLength).position(FRAME_HEADER_LENGTH);
        writeCrc.update(frame);
        frame.limit(frameLength).putInt(CRC_OFFSET, (int)writeCrc.getValue());

        frame.limit(frameLength).position(0);
        final long position = endPosition;
        try
        {
            // Positional: a write channel's own position is not trusted after a failure or a reopen.
            long filePosition = activeBytes;
            while (frame.hasRemaining())
            {
                filePosition += writeChannel.write(frame, filePosition);
            }
        }
        catch (final IOException ex)
        {
            failed = true;
            throw new LogException("cannot append to segment " + activeSegment.path + " at position " + position +
                ": " + ex, ex);
        }
        activeBytes += frameLength;
        endPosition = position + frameLength;
        return position;
    }

    @Override
    public long sync()
    {
        ensureWritable();
        final long end = endPosition;
        if (force)
        {
            try
            {
                // Data only: fdatasync still writes the file size the new bytes need.
                writeChannel.force(false);
            }
            catch (final IOException ex)
            {
                failed = true;
                throw new LogException("cannot force segment " + activeSegment.path + ": " + ex, ex);
            }
        }
        durablePosition = end;
        return end;
    }

    /** Seals the active segment and starts the next at the end position. Writer thread. */
    private void roll()
    {
        final Segment sealed = activeSegment;
        try
        {
            // sync() forces only the active segment: the one rolled away from must be on the device first.
            if (force)
            {
                writeChannel.force(false);
            }
            writeChannel.close();
        }
        catch (final IOException ex)
        {
            failed = true;
            throw new LogException("cannot seal segment " + sealed.path + ": " + ex, ex);
        }
        final long base = endPosition;
        final Path path = segmentPath(directory, base);
        FileChannel newWriteChannel = null;
        FileChannel newReadChannel = null;
        try
        {
            newWriteChannel = FileChannel.open(path, CREATE_NEW, WRITE);
            newReadChannel = FileChannel.open(path, READ);
            if (force)
            {
                forceDirectory(directory);
            }
        }
        catch (final IOException ex)
        {
            failed = true;
            closeQuietly(newWriteChannel);
            closeQuietly(newReadChannel);
            throw new LogException("cannot create segment " + path + ": " + ex, ex);
        }
        KillPoint.reach(KillPoint.DURING_LOG_ROLL);
        final Segment segment = new Segment(base, path, newReadChannel);
        synchronized (lock)
        {
            if (closed)
            {
                closeQuietly(newWriteChannel);
                closeQuietly(newReadChannel);
                throw new LogException("log is closed: " + directory);
            }
            final Segment[] current = segments;
            final Segment[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = segment;
            // Published before any append to it, so a reader that sees an end position past base finds it.
            segments = next;
            writeChannel = newWriteChannel;
            activeSegment = segment;
            activeBytes = 0;
        }
    }

    private void growWriteBuffer(final int minCapacity)
    {
        writeBuffer = ByteBuffer.allocateDirect(ReadCursor.capacityFor(minCapacity)).order(LITTLE_ENDIAN);
    }

    private void ensureWritable()
    {
        if (closed)
        {
            throw new LogException("log is closed: " + directory);
        }
        if (failed)
        {
            throw new LogException("log " + directory + " refuses appends after a failed write or force");
        }
    }

    @Override
    public long durablePosition()
    {
        return durablePosition;
    }

    @Override
    public long endPosition()
    {
        return endPosition;
    }

    @Override
    public long startPosition()
    {
        return segments[0].base;
    }

    /** @return bytes cut from a torn or corrupt tail, and from the segments after it, when the log was opened. */
    public long truncatedBytesAtOpen()
    {
        return truncatedBytesAtOpen;
    }

    /** @return bytes held in all segments. Any thread; for metrics. */
    public long sizeBytes()
    {
        // Segments are contiguous: no need to ask the files. Start first, as both only grow, so never negative.
        final long start = startPosition();
        return endPosition - start;
    }

    /** @return segment files held, the active one included. Any thread; for metrics. */
    public int segmentCount()
    {
        return segments.length;
    }

    @Override
    public long read(final long fromPosition, final EntryHandler handler, final int maxEntries)
    {
        if (closed)
        {
            throw new LogException("log is closed: " + directory);
        }
        // End before segments: every segment holding bytes below end was published before end reached them.
        final long end = endPosition;
        final Segment[] snapshot = segments;
        final long start = snapshot[0].base;
        if (fromPosition < start)
        {
            throw new LogException(
                "read from position " + fromPosition + " is before the log's start " + start + " in " + directory);
        }
        if (fromPosition > end)
        {
            throw new LogException(
                "read from position " + fromPosition + " is past the log's end " + end + " in " + directory);
        }
        if (fromPosition == end || maxEntries <= 0)
        {
            return fromPosition;
        }

        ReadCursor cursor = READ_CURSORS.get();
        if (cursor.inUse)
        {
            // A handler reading again on its own thread: the outer read's entry is still in the buffer.
            cursor = new ReadCursor();
        }
        cursor.inUse = true;
        try
        {
            int index = segmentIndex(snapshot, fromPosition);
            long position = fromPosition;
            int count = 0;
            while (count < maxEntries && position < end)
            {
                final Segment segment = snapshot[index];
                final long segmentEnd = index + 1 < snapshot.length ? Math.min(snapshot[index + 1].base, end) : end;
                if (position >= segmentEnd)
                {
                    index++;
                    continue;
                }
                final long filePosition = position - segment.base;
                final long fileLimit = segmentEnd - segment.base;
                if (fileLimit - filePosition < FRAME_HEADER_LENGTH)
                {
                    throw new LogException("no entry at position " + position + " in segment " + segment.path +
                        ": " + (fileLimit - filePosition) + " bytes left, fewer than a frame header");
                }
                int at = load(cursor, segment, position, FRAME_HEADER_LENGTH, fileLimit);
                final int length = cursor.view.getInt(at + LENGTH_OFFSET);
                if (length <= 0 || length > maxEntryBytes || length > fileLimit - filePosition - FRAME_HEADER_LENGTH)
                {
                    throw new LogException("no entry at position " + position + " in segment " + segment.path +
                        ": length " + length + " is impossible there");
                }
                at = load(cursor, segment, position, FRAME_HEADER_LENGTH + length, fileLimit);
                if (!cursor.checksumMatches(at, length))
                {
                    throw new LogException("entry at position " + position + " in segment " + segment.path +
                        " fails its checksum (corrupt, or not an entry's position)");
                }
                handler.onEntry(position, cursor.entry(at + FRAME_HEADER_LENGTH, length));
                position += FRAME_HEADER_LENGTH + length;
                count++;
            }
            return position;
        }
        finally
        {
            cursor.release();
        }
    }

    /** @return the index of the segment holding {@code position}: the last whose base is at or before it. */
    private static int segmentIndex(final Segment[] snapshot, final long position)
    {
        int low = 0;
        int high = snapshot.length - 1;
        while (low < high)
        {
            final int middle = (low + high + 1) >>> 1;
            if (snapshot[middle].base <= position)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }
        return low;
    }

    /** Loads {@code [position, position + need)} of a segment into the cursor; see {@link ReadCursor#load}. */
    private int load(
        final ReadCursor cursor, final Segment segment, final long position, final int need, final long fileLimit)
    {
        FileChannel channel = segment.channel();
        for (int reopens = 0; ; reopens++)
        {
            try
            {
                return cursor.load(channel, position - segment.base, need, fileLimit);
            }
            catch (final ClosedChannelException ex)
            {
                // A read channel closes when its segment is deleted or the log closed, but also when any thread
                // reading it is interrupted (file channels are interruptible): reopen it for the other readers.
                final FileChannel reopened = reopen(segment, channel, position);
                if (reopened == null || closed)
                {
                    throw new LogException("segment " + segment.path + " was deleted or the log closed while " +
                        "reading position " + position, ex);
                }
                if (ex instanceof ClosedByInterruptException || reopens == MAX_REOPENS_PER_READ)
                {
                    throw new LogException("read of segment " + segment.path + " at position " + position +
                        " was interrupted", ex);
                }
                channel = reopened;
            }
            catch (final IOException ex)
            {
                throw new LogException("cannot read segment " + segment.path + " at position " + position +
                    ": " + ex, ex);
            }
        }
    }

    private static FileChannel reopen(final Segment segment, final FileChannel stale, final long position)
    {
        try
        {
            return segment.reopen(stale);
        }
        catch (final IOException ex)
        {
            throw new LogException("cannot reopen segment " + segment.path + " at position " + position +
                ": " + ex, ex);
        }
    }

    @Override
    public int truncateBefore(final long position)
    {
        synchronized (lock)
        {
            if (closed)
            {
                throw new LogException("log is closed: " + directory);
            }
            int deleted = 0;
            // The last segment is the active one: never deleted, so the list is never empty.
            while (segments.length > 1 && segments[1].base <= position)
            {
                final Segment oldest = segments[0];
                try
                {
                    // Oldest first: a crash part way leaves the log a contiguous run of segments.
                    Files.deleteIfExists(oldest.path);
                }
                catch (final IOException ex)
                {
                    throw new LogException("cannot delete segment " + oldest.path + ": " + ex, ex);
                }
                segments = Arrays.copyOfRange(segments, 1, segments.length);
                // After the new list is published: a read that then fails here sees the start has moved.
                oldest.retire();
                deleted++;
                if (deleted == 1)
                {
                    KillPoint.reach(KillPoint.DURING_LOG_RETENTION);
                }
            }
            return deleted;
        }
    }

    @Override
    public void close()
    {
        synchronized (lock)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            closeQuietly(writeChannel);
            for (final Segment segment : segments)
            {
                segment.retire();
            }
        }
    }

    @Override
    public String toString()
    {
        return "SegmentedLog{directory=" + directory + ", start=" + startPosition() + ", end=" + endPosition +
            ", durable=" + durablePosition + ", segments=" + segmentCount() + '}';
    }

    private static void closeQuietly(final FileChannel channel)
    {
        if (channel != null)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ex)
            {
                // Closing a read channel, or a write channel whose failure was already reported: nothing to add.
            }
        }
    }

    /** One segment file and the channel reads use; the writer has a channel of its own to the active one. */
    private static final class Segment
    {
        private final long base;
        private final Path path;
        /** Replaced by {@link #reopen}, closed by {@link #retire}; read by any reading thread. */
        private volatile FileChannel channel;
        /** Set once deleted or the log closed: no reopen after. Guarded by {@code this}. */
        private boolean retired;

        Segment(final long base, final Path path, final FileChannel channel)
        {
            this.base = base;
            this.path = path;
            this.channel = channel;
        }

        FileChannel channel()
        {
            return channel;
        }

        /** @return the channel to read with now, or null if the segment is retired. */
        synchronized FileChannel reopen(final FileChannel stale) throws IOException
        {
            if (retired)
            {
                return null;
            }
            if (channel == stale)
            {
                channel = FileChannel.open(path, READ);
            }
            return channel;
        }

        synchronized void retire()
        {
            retired = true;
            closeQuietly(channel);
        }
    }

    /**
     * A reading thread's buffer and checksum, and the window of a file the buffer holds, so that a run of small
     * entries costs one system call per chunk rather than two per entry.
     */
    private static final class ReadCursor
    {
        private final CRC32C crc = new CRC32C();
        /** The buffer's bytes for absolute reads, its limit always its capacity. */
        private ByteBuffer view;
        /** The buffer's bytes as a handler is given an entry: read only, limited to the entry. */
        private ByteBuffer entryView;
        private ByteBuffer buffer;
        /** The channel the window was read from; null when the buffer holds nothing to reuse. */
        private FileChannel windowChannel;
        private long windowStart;
        private int windowLength;
        private boolean inUse;

        ReadCursor()
        {
            allocate(READ_CHUNK_BYTES);
        }

        static int capacityFor(final int minCapacity)
        {
            // Doubling, so that entries growing a little at a time do not reallocate each time.
            final long doubled = Long.highestOneBit(Math.max(1, minCapacity - 1)) << 1;
            return (int)Math.max(minCapacity, Math.min(doubled, LogConfig.MAX_MAX_ENTRY_BYTES + FRAME_HEADER_LENGTH));
        }

        private void allocate(final int capacity)
        {
            buffer = ByteBuffer.allocateDirect(capacity).order(LITTLE_ENDIAN);
            view = buffer.duplicate().order(LITTLE_ENDIAN);
            entryView = buffer.asReadOnlyBuffer().order(LITTLE_ENDIAN);
            windowChannel = null;
        }

        /**
         * Makes {@code [filePosition, filePosition + need)} of the file present in the buffer, reading a chunk
         * from {@code filePosition} if it is not.
         *
         * @param fileLimit where the readable bytes of the file end; {@code need} must fit before it.
         * @return the buffer index of {@code filePosition}.
         */
        int load(final FileChannel channel, final long filePosition, final int need, final long fileLimit)
            throws IOException
        {
            if (channel == windowChannel && filePosition >= windowStart &&
                filePosition + need <= windowStart + windowLength)
            {
                return (int)(filePosition - windowStart);
            }
            if (need > buffer.capacity())
            {
                allocate(capacityFor(need));
            }
            windowChannel = null;
            final int length = (int)Math.min(buffer.capacity(), fileLimit - filePosition);
            buffer.clear().limit(length);
            while (buffer.hasRemaining())
            {
                if (channel.read(buffer, filePosition + buffer.position()) < 0)
                {
                    throw new EOFException("file ends at " + (filePosition + buffer.position()) +
                        ", before " + (filePosition + length));
                }
            }
            windowChannel = channel;
            windowStart = filePosition;
            windowLength = length;
            return 0;
        }

        /** @return whether the frame at {@code at} with a payload of {@code length} bytes matches its crc. */
        boolean checksumMatches(final int at, final int length)
        {
            crc.reset();
            buffer.clear().limit(at + LENGTH_FIELD_BYTES).position(at);
            crc.update(buffer);
            buffer.limit(at + FRAME_HEADER_LENGTH + length).position(at + FRAME_HEADER_LENGTH);
            crc.update(buffer);
            return (int)crc.getValue() == view.getInt(at + CRC_OFFSET);
        }

        /** The entry at {@code [at, at + length)} of the buffer, as a handler is given it. */
        ByteBuffer entry(final int at, final int length)
        {
            entryView.clear();
            entryView.position(at);
            entryView.limit(at + length);
            return entryView;
        }

        void release()
        {
            inUse = false;
            // Not to keep a closed log's channel reachable from a thread that outlives it.
            windowChannel = null;
        }
    }
}
