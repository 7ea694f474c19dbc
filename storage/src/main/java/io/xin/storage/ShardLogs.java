package io.xin.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.agrona.CloseHelper;
import io.xin.storage.log.LogConfig;
import io.xin.storage.log.SegmentedLog;

/**
 * The message logs of a store, one per journal shard under {@code <data dir>/log/shard-<n>}, with how far each is
 * appended, applied to RocksDB and checkpointed (applied and flushed, so the log before it may go).
 * <p>
 * Threading: a shard's journal thread appends and applies its own shard; any thread reads the positions and
 * {@linkplain #awaitApplied waits} for the applies; the checkpoint thread of the store truncates. The set of logs
 * only grows, copied on write.
 */
final class ShardLogs implements AutoCloseable
{
    static final String LOG_DIR = "log";
    private static final String SHARD_DIR_PREFIX = "shard-";
    private static final long AWAIT_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

    private final StoreConfig config;
    private final Path root;
    /** Indexed by shard; null where no log is open. Copied on write under {@code this}. */
    private volatile ShardLog[] logs = new ShardLog[0];

    ShardLogs(final StoreConfig config)
    {
        this.config = config;
        this.root = config.dataDir().resolve(LOG_DIR);
    }

    /** One shard's log and its positions. */
    static final class ShardLog
    {
        final int shard;
        /** Null when the logs are replicated elsewhere (cluster mode). */
        final SegmentedLog log;
        final byte[] appliedKey;
        /** End of the last entry appended and synced; written by the shard's journal thread. */
        volatile long appended;
        /** End of the last entry applied to RocksDB; written by the shard's journal thread (or the opener). */
        volatile long applied;
        /** Applied and flushed by RocksDB: the log before it is no longer needed. Written by the checkpointer. */
        volatile long checkpointed;

        ShardLog(final int shard, final SegmentedLog log)
        {
            this.shard = shard;
            this.log = log;
            this.appliedKey = Layout.logAppliedKey(shard);
        }
    }

    /** The shards that have a log directory, in order. */
    List<Integer> existingShards()
    {
        final List<Integer> shards = new ArrayList<>();
        if (!Files.isDirectory(root))
        {
            return shards;
        }
        try (Stream<Path> dirs = Files.list(root))
        {
            dirs.forEach(dir ->
            {
                final String name = dir.getFileName().toString();
                if (Files.isDirectory(dir) && name.startsWith(SHARD_DIR_PREFIX))
                {
                    try
                    {
                        shards.add(Integer.parseInt(name.substring(SHARD_DIR_PREFIX.length())));
                    }
                    catch (final NumberFormatException ex)
                    {
                        // Not a shard's: left alone.
                    }
                }
            });
        }
        catch (final IOException ex)
        {
            throw new StorageException("list log directories in " + root, ex);
        }
        shards.sort(null);
        return shards;
    }

    /** The shard's log, opened (and created) if it is not yet. */
    synchronized ShardLog open(final int shard)
    {
        if (shard < 0)
        {
            throw new IllegalArgumentException("shard must not be negative: " + shard);
        }
        ShardLog[] current = logs;
        if (shard < current.length && current[shard] != null)
        {
            return current[shard];
        }
        final ShardLog shardLog;
        if (config.replicatedLogs())
        {
            shardLog = new ShardLog(shard, null);
        }
        else
        {
            final SegmentedLog log = SegmentedLog.open(LogConfig.of(root.resolve(SHARD_DIR_PREFIX + shard),
                config.fsyncPolicy()).withSegmentBytes(config.logSegmentBytes()));
            shardLog = new ShardLog(shard, log);
            shardLog.appended = log.endPosition();
            shardLog.applied = log.endPosition();
            shardLog.checkpointed = log.startPosition();
        }
        final ShardLog[] grown = java.util.Arrays.copyOf(current, Math.max(current.length, shard + 1));
        grown[shard] = shardLog;
        logs = grown;
        return shardLog;
    }

    /** The shard's open log, or null. Any thread. */
    ShardLog get(final int shard)
    {
        final ShardLog[] current = logs;
        return shard < current.length ? current[shard] : null;
    }

    /** Every open log, in shard order (no nulls). Any thread. */
    List<ShardLog> all()
    {
        final List<ShardLog> all = new ArrayList<>();
        for (final ShardLog log : logs)
        {
            if (log != null)
            {
                all.add(log);
            }
        }
        return all;
    }

    /**
     * Waits until RocksDB holds every entry appended to any log before this call: a read that follows then misses
     * nothing already acknowledged or pushed. The journals apply each batch right after its acknowledgements go
     * out, so a wait is rare and short. Any thread but a journal's own.
     *
     * @throws StorageException if a log is still not applied after {@code timeoutMs} (the journal stopped).
     */
    void awaitApplied(final long timeoutMs)
    {
        final ShardLog[] current = logs;
        long deadlineNs = 0;
        for (final ShardLog log : current)
        {
            if (log == null)
            {
                continue;
            }
            final long target = log.appended;
            while (log.applied < target)
            {
                if (deadlineNs == 0)
                {
                    deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
                }
                else if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new StorageException("read failed: RocksDB holds the log of journal shard " + log.shard +
                        " only up to " + log.applied + " of " + target + " after " + timeoutMs + " ms");
                }
                LockSupport.parkNanos(AWAIT_PARK_NANOS);
            }
        }
    }

    /** Bytes appended to any log and not yet checkpointed. Any thread. */
    long uncheckpointedBytes()
    {
        long bytes = 0;
        for (final ShardLog log : logs)
        {
            if (log != null)
            {
                bytes += Math.max(0, log.appended - log.checkpointed);
            }
        }
        return bytes;
    }

    /** Bytes held in every log's segment files. Any thread. */
    long sizeBytes()
    {
        long bytes = 0;
        for (final ShardLog log : logs)
        {
            if (log != null && log.log != null)
            {
                bytes += log.log.sizeBytes();
            }
        }
        return bytes;
    }

    @Override
    public synchronized void close()
    {
        final List<AutoCloseable> toClose = new ArrayList<>();
        for (final ShardLog log : logs)
        {
            if (log != null && log.log != null)
            {
                toClose.add(log.log);
            }
        }
        CloseHelper.closeAll(toClose);
    }
}
