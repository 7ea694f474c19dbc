package io.xin.storage;

import java.nio.file.Path;

/**
 * Settings of an {@link XinStore}. Mutable builder-style object; {@link #validate()} is called by
 * {@link XinStore#open(StoreConfig)}.
 */
public final class StoreConfig
{
    public static final long DEFAULT_RETENTION_SECONDS = 30L * 24 * 3600;
    public static final long DEFAULT_DEDUPE_RETENTION_SECONDS = 7L * 24 * 3600;
    public static final long DEFAULT_BLOCK_CACHE_BYTES = 64L * 1024 * 1024;
    public static final long DEFAULT_WRITE_BUFFER_BYTES = 64L * 1024 * 1024;
    public static final boolean DEFAULT_HASH_MEMTABLE = true;
    public static final long DEFAULT_LOG_SEGMENT_BYTES = 64L * 1024 * 1024;
    public static final long DEFAULT_LOG_CHECKPOINT_BYTES = 256L * 1024 * 1024;
    public static final long DEFAULT_LOG_CHECKPOINT_INTERVAL_MS = 60_000;
    public static final long DEFAULT_INDEX_WAIT_MS = 1_000;

    private Path dataDir;
    private FsyncPolicy fsyncPolicy = FsyncPolicy.BATCH;
    private long retentionSeconds = DEFAULT_RETENTION_SECONDS;
    private long dedupeRetentionSeconds = DEFAULT_DEDUPE_RETENTION_SECONDS;
    private long blockCacheBytes = DEFAULT_BLOCK_CACHE_BYTES;
    private long writeBufferBytes = DEFAULT_WRITE_BUFFER_BYTES;
    /** Memtable bloom filters on the point-lookup column families; off only to measure what they save. */
    private boolean memtableBloom = true;
    /**
     * Per-user insert hints in the inbox and timeline memtables. Off: measured 2.6x cheaper appends with 1,000
     * users per memtable but 15% dearer with 100,000 (InboxAppendBenchmark), and 250 bytes of memtable per user.
     */
    private boolean memtableInsertHint = false;
    /** Inbox and dedupe memtables hashed by user: see {@link #hashMemtable(boolean)}. */
    private boolean hashMemtable = DEFAULT_HASH_MEMTABLE;
    private long logSegmentBytes = DEFAULT_LOG_SEGMENT_BYTES;
    private long logCheckpointBytes = DEFAULT_LOG_CHECKPOINT_BYTES;
    private long logCheckpointIntervalMs = DEFAULT_LOG_CHECKPOINT_INTERVAL_MS;
    private long indexWaitMs = DEFAULT_INDEX_WAIT_MS;
    /** The shards' logs are kept outside this store (cluster mode): see {@link #replicatedLogs(boolean)}. */
    private boolean replicatedLogs;

    /**
     * @param replicatedLogs true when the journal shards' logs are kept outside the store, in a replicated log (the
     *                       cluster mode's Kafka partitions): no log files are opened here, nothing is replayed at
     *                       open, a position is that log's offset, and whoever appends to the log records it with
     *                       {@link XinStore#appended} and applies with {@link XinStore#apply} or
     *                       {@link XinStore#applyReplicated}. RocksDB holds what was applied up to its last flush;
     *                       the rest is read again from the replicated log.
     */
    public StoreConfig replicatedLogs(final boolean replicatedLogs)
    {
        this.replicatedLogs = replicatedLogs;
        return this;
    }

    public boolean replicatedLogs()
    {
        return replicatedLogs;
    }

    public StoreConfig dataDir(final Path dataDir)
    {
        this.dataDir = dataDir;
        return this;
    }

    public Path dataDir()
    {
        return dataDir;
    }

    public StoreConfig fsyncPolicy(final FsyncPolicy fsyncPolicy)
    {
        this.fsyncPolicy = fsyncPolicy;
        return this;
    }

    public FsyncPolicy fsyncPolicy()
    {
        return fsyncPolicy;
    }

    /**
     * @param retentionSeconds how long inbox entries are kept; 0 keeps them for ever.
     */
    public StoreConfig retentionSeconds(final long retentionSeconds)
    {
        this.retentionSeconds = retentionSeconds;
        return this;
    }

    public long retentionSeconds()
    {
        return retentionSeconds;
    }

    /**
     * @param dedupeRetentionSeconds how long a (sender, client_msg_id) is remembered; 0 for ever.
     */
    public StoreConfig dedupeRetentionSeconds(final long dedupeRetentionSeconds)
    {
        this.dedupeRetentionSeconds = dedupeRetentionSeconds;
        return this;
    }

    public long dedupeRetentionSeconds()
    {
        return dedupeRetentionSeconds;
    }

    public StoreConfig blockCacheBytes(final long blockCacheBytes)
    {
        this.blockCacheBytes = blockCacheBytes;
        return this;
    }

    public long blockCacheBytes()
    {
        return blockCacheBytes;
    }

    public StoreConfig writeBufferBytes(final long writeBufferBytes)
    {
        this.writeBufferBytes = writeBufferBytes;
        return this;
    }

    public long writeBufferBytes()
    {
        return writeBufferBytes;
    }

    /**
     * @param hashMemtable true: the inbox and dedupe memtables are hashes of small skip lists, one per user (the
     *                     key's first 8 bytes, user id or sender id), so an insert or a lookup searches that user's
     *                     entries only instead of one list of every entry; false: RocksDB's single skip list. Only
     *                     the memtables change, not the files: a store written with either opens with the other.
     */
    public StoreConfig hashMemtable(final boolean hashMemtable)
    {
        this.hashMemtable = hashMemtable;
        return this;
    }

    public boolean hashMemtable()
    {
        return hashMemtable;
    }

    /**
     * @param memtableBloom true (the default): a whole-key bloom filter in the dedupe and meta memtables, so that a
     *                      lookup of a missing key skips the memtable's search; false: none. For measurement
     *                      ({@code LookupBenchmark}, {@code JournalWriteBenchmark}); the switch keeps the default.
     */
    public StoreConfig memtableBloom(final boolean memtableBloom)
    {
        this.memtableBloom = memtableBloom;
        return this;
    }

    boolean memtableBloom()
    {
        return memtableBloom;
    }

    /**
     * @param memtableInsertHint true: inbox and timeline inserts start from where the same user's last one went
     *                           (RocksDB's memtable insert hint on the 8-byte id); false (the default): from the top
     *                           of the skip list. For measurement ({@code InboxAppendBenchmark}); the switch keeps the
     *                           default (see docs/architecture.md, Storage layout).
     */
    public StoreConfig memtableInsertHint(final boolean memtableInsertHint)
    {
        this.memtableInsertHint = memtableInsertHint;
        return this;
    }

    boolean memtableInsertHint()
    {
        return memtableInsertHint;
    }

    /**
     * @param logSegmentBytes the message log rolls to a new segment file past this size.
     */
    public StoreConfig logSegmentBytes(final long logSegmentBytes)
    {
        this.logSegmentBytes = logSegmentBytes;
        return this;
    }

    public long logSegmentBytes()
    {
        return logSegmentBytes;
    }

    /**
     * @param logCheckpointBytes once this much log has been appended since the last checkpoint, RocksDB's memtables
     *                           are flushed and the log before them deleted: it bounds what a restart replays.
     */
    public StoreConfig logCheckpointBytes(final long logCheckpointBytes)
    {
        this.logCheckpointBytes = logCheckpointBytes;
        return this;
    }

    public long logCheckpointBytes()
    {
        return logCheckpointBytes;
    }

    /**
     * @param logCheckpointIntervalMs a checkpoint is also taken this long after the last one, when anything was
     *                                appended since: it bounds how long a quiet log keeps old segments.
     */
    public StoreConfig logCheckpointIntervalMs(final long logCheckpointIntervalMs)
    {
        this.logCheckpointIntervalMs = logCheckpointIntervalMs;
        return this;
    }

    public long logCheckpointIntervalMs()
    {
        return logCheckpointIntervalMs;
    }

    /**
     * @param indexWaitMs the longest a read of an inbox waits for RocksDB to hold every entry already appended to
     *                    the log (read your writes); past it the read fails.
     */
    public StoreConfig indexWaitMs(final long indexWaitMs)
    {
        this.indexWaitMs = indexWaitMs;
        return this;
    }

    public long indexWaitMs()
    {
        return indexWaitMs;
    }

    /**
     * @throws IllegalArgumentException naming the first invalid setting.
     */
    public void validate()
    {
        if (dataDir == null)
        {
            throw new IllegalArgumentException("dataDir must be set");
        }
        if (fsyncPolicy == null)
        {
            throw new IllegalArgumentException("fsyncPolicy must be set");
        }
        if (retentionSeconds < 0 || retentionSeconds > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("retentionSeconds must be 0..2^31-1: " + retentionSeconds);
        }
        if (dedupeRetentionSeconds < 0 || dedupeRetentionSeconds > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException(
                "dedupeRetentionSeconds must be 0..2^31-1: " + dedupeRetentionSeconds);
        }
        if (blockCacheBytes < 0)
        {
            throw new IllegalArgumentException("blockCacheBytes must not be negative: " + blockCacheBytes);
        }
        if (memtableInsertHint && hashMemtable)
        {
            throw new IllegalArgumentException("memtableInsertHint needs a skip list memtable, not hashMemtable");
        }
        if (writeBufferBytes < 1024 * 1024)
        {
            throw new IllegalArgumentException("writeBufferBytes must be at least 1 MiB: " + writeBufferBytes);
        }
        if (logSegmentBytes < 1024 * 1024 || logSegmentBytes > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("logSegmentBytes must be 1 MiB..2 GiB: " + logSegmentBytes);
        }
        if (logCheckpointBytes < logSegmentBytes)
        {
            throw new IllegalArgumentException("logCheckpointBytes must be at least logSegmentBytes (" +
                logSegmentBytes + "): " + logCheckpointBytes);
        }
        if (logCheckpointIntervalMs < 100)
        {
            throw new IllegalArgumentException("logCheckpointIntervalMs must be at least 100: " +
                logCheckpointIntervalMs);
        }
        if (indexWaitMs < 1)
        {
            throw new IllegalArgumentException("indexWaitMs must be positive: " + indexWaitMs);
        }
    }

    @Override
    public String toString()
    {
        return "StoreConfig{dataDir=" + dataDir + ", fsyncPolicy=" + fsyncPolicy +
            ", retentionSeconds=" + retentionSeconds + ", dedupeRetentionSeconds=" + dedupeRetentionSeconds +
            ", blockCacheBytes=" + blockCacheBytes + ", writeBufferBytes=" + writeBufferBytes +
            ", hashMemtable=" + hashMemtable + ", logSegmentBytes=" + logSegmentBytes +
            ", logCheckpointBytes=" + logCheckpointBytes + ", logCheckpointIntervalMs=" + logCheckpointIntervalMs +
            ", indexWaitMs=" + indexWaitMs + ", replicatedLogs=" + replicatedLogs + '}';
    }
}
