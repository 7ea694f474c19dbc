package io.xin.storage.log;

import java.nio.file.Path;

import io.xin.storage.FsyncPolicy;

/**
 * Settings of a {@link SegmentedLog}. Immutable and validated when made: each {@code with...} returns a new
 * config, so one config can serve the logs of several shards.
 */
public final class LogConfig
{
    public static final long DEFAULT_SEGMENT_BYTES = 64L * 1024 * 1024;
    public static final int DEFAULT_MAX_ENTRY_BYTES = 64 * 1024 * 1024;
    /** Small enough for tests that roll often, large enough to hold a frame's header and some payload. */
    public static final long MIN_SEGMENT_BYTES = 64;
    /** An entry is read and written through one direct buffer of its size: a gigabyte is far past any batch. */
    public static final int MAX_MAX_ENTRY_BYTES = 1 << 30;

    private final Path directory;
    private final long segmentBytes;
    private final int maxEntryBytes;
    private final FsyncPolicy fsyncPolicy;

    private LogConfig(
        final Path directory, final long segmentBytes, final int maxEntryBytes, final FsyncPolicy fsyncPolicy)
    {
        if (directory == null)
        {
            throw new IllegalArgumentException("directory must be set");
        }
        if (fsyncPolicy == null)
        {
            throw new IllegalArgumentException("fsyncPolicy must be set");
        }
        if (segmentBytes < MIN_SEGMENT_BYTES)
        {
            throw new IllegalArgumentException(
                "segmentBytes must be at least " + MIN_SEGMENT_BYTES + ": " + segmentBytes);
        }
        if (maxEntryBytes <= 0 || maxEntryBytes > MAX_MAX_ENTRY_BYTES)
        {
            throw new IllegalArgumentException(
                "maxEntryBytes must be 1.." + MAX_MAX_ENTRY_BYTES + ": " + maxEntryBytes);
        }
        this.directory = directory;
        this.segmentBytes = segmentBytes;
        this.maxEntryBytes = maxEntryBytes;
        this.fsyncPolicy = fsyncPolicy;
    }

    /**
     * @param directory   holds the log's segment files and nothing else of the log's; created if missing.
     * @param fsyncPolicy what {@link SegmentedLog#sync()} does.
     * @return a config with the default segment and entry sizes.
     * @throws IllegalArgumentException if either is null.
     */
    public static LogConfig of(final Path directory, final FsyncPolicy fsyncPolicy)
    {
        return new LogConfig(directory, DEFAULT_SEGMENT_BYTES, DEFAULT_MAX_ENTRY_BYTES, fsyncPolicy);
    }

    /**
     * @param segmentBytes the size a segment is rolled at: an append that would take the active segment past it
     *                     goes to a new segment instead (an entry larger than this gets a segment of its own).
     * @throws IllegalArgumentException if below {@link #MIN_SEGMENT_BYTES}.
     */
    public LogConfig withSegmentBytes(final long segmentBytes)
    {
        return new LogConfig(directory, segmentBytes, maxEntryBytes, fsyncPolicy);
    }

    /**
     * @param maxEntryBytes the largest entry an append accepts; also what recovery takes as the largest length a
     *                      frame can have, so lowering it below entries already written makes them look corrupt.
     * @throws IllegalArgumentException if not 1..{@link #MAX_MAX_ENTRY_BYTES}.
     */
    public LogConfig withMaxEntryBytes(final int maxEntryBytes)
    {
        return new LogConfig(directory, segmentBytes, maxEntryBytes, fsyncPolicy);
    }

    public LogConfig withFsyncPolicy(final FsyncPolicy fsyncPolicy)
    {
        return new LogConfig(directory, segmentBytes, maxEntryBytes, fsyncPolicy);
    }

    public Path directory()
    {
        return directory;
    }

    public long segmentBytes()
    {
        return segmentBytes;
    }

    public int maxEntryBytes()
    {
        return maxEntryBytes;
    }

    public FsyncPolicy fsyncPolicy()
    {
        return fsyncPolicy;
    }

    @Override
    public String toString()
    {
        return "LogConfig{directory=" + directory + ", segmentBytes=" + segmentBytes +
            ", maxEntryBytes=" + maxEntryBytes + ", fsyncPolicy=" + fsyncPolicy + '}';
    }
}
