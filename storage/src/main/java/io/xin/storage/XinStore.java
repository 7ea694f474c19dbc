package io.xin.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.StampedLock;

import org.agrona.CloseHelper;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.ConfigOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.HashSkipListMemTableConfig;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.TtlDB;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import io.xin.storage.fault.KillPoint;
import io.xin.storage.log.LogException;

/**
 * The switch's durable state: per journal shard a message log ({@link io.xin.storage.log.SegmentedLog}, under
 * {@code <data dir>/log/shard-<n>/}), which is the truth, and one RocksDB built from the logs, with column
 * families:
 * <pre>
 *   inbox    user_id(8 BE) | seq(8 BE)              -> message bytes
 *            TTL: retentionSeconds
 *   dedupe   sender_id(8 BE) [| 0xFE | channel_id(8 BE)] | client_msg_id bytes
 *                                             -> msg_id(8 BE) | sender_seq(8 BE) | time_ms(8 BE) | kind(1)
 *            (0xFE, the channel and kind 'P' for a CHANNEL_POST, kind 'S' for a Send: see Layout)
 *            TTL: dedupeRetentionSeconds
 *   meta     'h' | user_id(8 BE)                    -> head seq(8 BE)
 *            'c' | user_id(8 BE) | device_id bytes  -> cursor seq(8 BE)
 *            'm' [| shard(4 BE)]                    -> msg_id(8 BE) reserved up to by journal shard 0 [or N]
 *            'u'                                    -> (empty): while a journal holds heads not yet written
 *            'o' | msg_id(8 BE) | recipient_id(8 BE) -> message bytes, until the recipient's
 *                                                      shard has appended it (sharded journals)
 *            'l' | shard(4 BE)                      -> position(8 BE) the shard's log is applied up to
 *            'd' | key_id(4 BE) | user_id(8 BE)      -> discovery tag(16) (see DiscoveryRegistrations)
 *            TTL: never
 *   timeline channel_id(8 BE) | seq(8 BE)           -> post bytes (groups and channels: see AudienceStore)
 *            TTL: retentionSeconds
 *   default  unused                                    TTL: never
 * </pre>
 * The database is always opened as a {@link TtlDB}, even when no column family expires, so the
 * on-disk value format never changes: TtlDB appends a 4-byte write time (seconds) to every value and
 * strips it on reads through this handle. Expired values are removed by compaction only; until a
 * compaction reaches them they can still be read. A TTL of 0 means never.
 * <p>
 * A user's head seq is kept in meta so it survives retention and a seq is never reused. Reads of the
 * head take the maximum of that record and the last inbox key, so the head is also recovered from the
 * entries themselves: a journal may therefore write a head later than its entries (seconds later, while
 * an entry lives for the retention, days), as long as it writes it before the entry can expire. A journal
 * that does so {@linkplain #holdHeads() holds} the heads: the store marks meta with {@code 'u'} until every
 * holder has {@linkplain #releaseHeads(boolean) released} them after writing its last heads and the store
 * is closed. An open that finds the mark (a crash, a kill, a failed write) first
 * {@linkplain #headsRepairedAtOpen() repairs} every head from the last key of its inbox.
 * <p>
 * A journal batch is {@linkplain #append(JournalBatch) appended} to its shard's log (durable: it may be
 * acknowledged), then {@linkplain #apply(JournalBatch) applied} to RocksDB in one write with RocksDB's own WAL off
 * and the log position it reaches; atomic flush keeps that position with the data. {@link #open} replays every log
 * past its recorded position; a checkpoint ({@link #checkpointLogs()}) flushes the memtables and deletes the log
 * segments before them. Reads of an inbox or a timeline first wait, bounded, until every entry appended so far is
 * applied.
 * <p>
 * Threading: the store starts one thread, {@code xin-log-checkpoint}, which takes the checkpoints. {@link #readHeadSeq}, {@link #readLastMsgId},
 * {@link #readDedupe} and {@link #readCursor} are for a single journal thread and reuse its buffers;
 * each journal shard has a {@link JournalReader} of its own instead. {@link #newBatch(int)}, {@link #append},
 * {@link #apply} and {@link #write(JournalBatch)} may be called by several journal threads, each with its own
 * shard and batch. {@link #readInbox}, {@link #compact()},
 * {@link #checkpoint}, {@link #verify()} and the property reads may be called from any thread concurrently. {@link #close()} may be called from any thread; it waits for
 * operations in progress, and every operation afterwards fails with a {@link StorageException}.
 */
public final class XinStore implements AutoCloseable
{
    static final String INBOX_CF = "inbox";
    static final String DEDUPE_CF = "dedupe";
    static final String META_CF = "meta";
    static final String TIMELINE_CF = "timeline";

    private static final int BLOOM_BITS_PER_KEY = 10;
    /** Share of the write buffer given to the memtable's bloom filter (RocksDB's suggested 0.1 at most). */
    private static final double MEMTABLE_BLOOM_SIZE_RATIO = 0.05;
    private static final int KEEP_INFO_LOG_FILES = 4;
    /** Buckets of a hash memtable: an 8-byte pointer each, allocated with every memtable. */
    private static final long HASH_MEMTABLE_BUCKETS = 1 << 16;
    /** Of each bucket's skip list; RocksDB's skip list memtable's own, since one user may fill a memtable alone. */
    private static final int HASH_MEMTABLE_MAX_HEIGHT = 12;
    private static final int INITIAL_JOURNAL_KEY_LENGTH = 128;
    private static final int REPLAY_ENTRIES_PER_READ = 256;
    /** Replayed entries are written to RocksDB in batches of about this size. */
    private static final long REPLAY_WRITE_BYTES = 8L * 1024 * 1024;

    static
    {
        // From a stable, versioned path: rocksdbjni's own loader leaves a 17 MB temporary copy per killed process.
        NativeLibraries.loadRocksDb();
    }

    private final StoreConfig config;
    private final TtlDB db;
    private final ColumnFamilyHandle defaultCf;
    private final ColumnFamilyHandle inbox;
    private final ColumnFamilyHandle dedupe;
    private final ColumnFamilyHandle meta;
    private final ColumnFamilyHandle timeline;
    private final AudienceStore audiences;
    private final DiscoveryRegistrations discoveryRegistrations;
    private final FriendStore friends;
    /** Applies log entries: RocksDB's own write-ahead log is off, the message log is the truth. */
    private final WriteOptions writeOptions;
    private final List<AutoCloseable> options;
    private final ShardLogs shardLogs;
    /** Flushes RocksDB's memtables and deletes the log segments they make redundant; see {@link #checkpointLogs()}. */
    private final Thread checkpointer;
    private volatile boolean checkpointerStopping;
    /** Written by whichever thread checkpoints, under {@code this}. */
    private long logCheckpoints;
    private long logSegmentsDeleted;
    private long logCheckpointFailures;
    private final long logEntriesReplayedAtOpen;
    private final long logBytesReplayedAtOpen;
    private final long logReplayMillisAtOpen;

    /** Guards native handles against {@link #close()}: operations hold it shared, close exclusively. */
    private final StampedLock closeLock = new StampedLock();
    /** Written by the closing thread under {@link #closeLock}; read by any thread. */
    private volatile boolean closed;

    /** The reads of a single journal thread, for callers that run one journal. */
    private final JournalReader defaultReader;

    /** Journals holding heads not yet written; guarded by {@code this}. */
    private int headHolders;
    /** True once a holder could not write its heads: the mark stays for the next open. Guarded by {@code this}. */
    private boolean headsUnwritten;
    /** True while meta holds the {@code 'u'} mark. Guarded by {@code this}. */
    private boolean headsMarked;
    /** Heads rewritten from the inbox at open, after a stop that left the mark. */
    private long headsRepairedAtOpen;

    private XinStore(
        final StoreConfig config,
        final TtlDB db,
        final List<ColumnFamilyHandle> handles,
        final WriteOptions writeOptions,
        final List<AutoCloseable> options,
        final boolean headsMarked,
        final long headsRepairedAtOpen,
        final ShardLogs shardLogs,
        final long[] replayed)
    {
        this.config = config;
        this.db = db;
        this.defaultCf = handles.get(0);
        this.inbox = handles.get(1);
        this.dedupe = handles.get(2);
        this.meta = handles.get(3);
        this.timeline = handles.get(4);
        this.audiences = new AudienceStore(this);
        this.discoveryRegistrations = new DiscoveryRegistrations(this);
        this.friends = new FriendStore(this);
        this.writeOptions = writeOptions;
        this.options = options;
        this.defaultReader = new JournalReader(this);
        this.headsMarked = headsMarked;
        this.headsRepairedAtOpen = headsRepairedAtOpen;
        this.shardLogs = shardLogs;
        this.logEntriesReplayedAtOpen = replayed[0];
        this.logBytesReplayedAtOpen = replayed[1];
        this.logReplayMillisAtOpen = replayed[2];
        this.checkpointer = new Thread(this::runCheckpoints, "xin-log-checkpoint");
        this.checkpointer.setDaemon(true);
        this.checkpointer.start();
    }

    /**
     * Opens the store, creating the data directory, database and column families if missing.
     *
     * @param config the settings; validated here. Changing it afterwards has no effect.
     * @return the open store.
     * @throws IllegalArgumentException if the config is invalid.
     * @throws StorageException         if the directory or database cannot be opened.
     */
    public static XinStore open(final StoreConfig config)
    {
        config.validate();
        try
        {
            Files.createDirectories(config.dataDir());
        }
        catch (final IOException ex)
        {
            throw new StorageException("create data directory " + config.dataDir(), ex);
        }

        final List<AutoCloseable> options = new ArrayList<>();
        final List<ColumnFamilyHandle> handles = new ArrayList<>();
        TtlDB db = null;
        ShardLogs shardLogs = null;
        try
        {
            final LRUCache blockCache = config.blockCacheBytes() > 0 ?
                add(options, new LRUCache(config.blockCacheBytes())) : null;
            final BloomFilter bloomFilter = add(options, new BloomFilter(BLOOM_BITS_PER_KEY));

            final DBOptions dbOptions = add(options, new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setKeepLogFileNum(KEEP_INFO_LOG_FILES)
                // After a crash, replay the WAL up to the first torn or corrupt record and stop there:
                // a torn tail is a write that never returned, so never acknowledged.
                .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
                // Writes skip RocksDB's WAL (the message log rebuilds them): a flush must then persist every
                // column family together, with the log position applied, or a crash could keep one without another.
                .setAtomicFlush(true)
                // A hash memtable takes inserts from one writer at a time (the write group's leader).
                .setAllowConcurrentMemtableWrite(!config.hashMemtable()));

            // Inbox reads are range scans, which a whole-key bloom filter cannot help; dedupe and meta
            // reads are point lookups that mostly miss.
            final List<ColumnFamilyDescriptor> descriptors = List.of(
                descriptor(RocksDB.DEFAULT_COLUMN_FAMILY, add(options, cfOptions(config, blockCache, null, false))),
                descriptor(INBOX_CF, add(options, hashedByUser(config, cfOptions(config, blockCache, null, true)))),
                descriptor(DEDUPE_CF, add(options, hashedByUser(config, cfOptions(config, blockCache, bloomFilter, false)))),
                descriptor(META_CF, add(options, cfOptions(config, blockCache, bloomFilter, false))),
                descriptor(TIMELINE_CF, add(options, cfOptions(config, blockCache, null, true))));
            final List<Integer> ttlSeconds = List.of(
                0, (int)config.retentionSeconds(), (int)config.dedupeRetentionSeconds(), 0,
                (int)config.retentionSeconds());

            final WriteOptions writeOptions = add(options, new WriteOptions().setDisableWAL(true));

            db = TtlDB.open(dbOptions, config.dataDir().toString(), descriptors, handles, ttlSeconds, false);

            shardLogs = new ShardLogs(config);
            // Replicated logs are read again by their owner (cluster mode), from the positions RocksDB recorded.
            final long[] replayed = config.replicatedLogs() ? new long[3] :
                replayLogs(db, handles, writeOptions, shardLogs);
            final boolean marked = null != db.get(handles.get(3), Layout.headsUnsettledKey());
            final long repaired = marked ? repairHeads(db, handles.get(1), handles.get(3)) : 0;
            return new XinStore(config, db, handles, writeOptions, options, marked, repaired, shardLogs, replayed);
        }
        catch (final RocksDBException | RuntimeException ex)
        {
            final List<AutoCloseable> toClose = new ArrayList<>(handles);
            if (null != shardLogs)
            {
                toClose.add(0, shardLogs);
            }
            if (null != db)
            {
                toClose.add(db::closeE);
            }
            toClose.addAll(options);
            CloseHelper.quietCloseAll(toClose);
            if (ex instanceof RocksDBException)
            {
                throw new StorageException("open " + config.dataDir(), ex);
            }
            throw (RuntimeException)ex;
        }
    }

    /**
     * @return the configuration the store was opened with.
     */
    public StoreConfig config()
    {
        return config;
    }

    /**
     * @return how many heads the open rewrote from the last key of their inbox, because the previous run
     * stopped while a journal held heads not yet written (0 after a clean stop).
     */
    public long headsRepairedAtOpen()
    {
        return headsRepairedAtOpen;
    }

    /**
     * Declares that the caller (a journal) will write heads later than the inbox entries they count:
     * from now until {@link #releaseHeads(boolean)}, meta carries a mark (written and synced here) that
     * makes the next {@link #open} repair every head from its inbox, in case the process stops first.
     * Any thread; once per journal, before its first write.
     *
     * @throws StorageException if the mark cannot be written or the store is closed.
     */
    public void holdHeads()
    {
        // The close lock before the monitor, in the order close() takes them.
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("hold heads");
            synchronized (this)
            {
                if (!headsMarked)
                {
                    try (WriteOptions syncWrite = new WriteOptions().setSync(true))
                    {
                        db.put(meta, syncWrite, Layout.headsUnsettledKey(), new byte[0]);
                    }
                    headsMarked = true;
                }
                headHolders++;
            }
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("hold heads", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Ends a {@link #holdHeads()}. Once every holder released its heads as written, {@link #close()}
     * removes the mark; a holder that never releases, or releases them unwritten, leaves it for the next
     * open to repair. Any thread.
     *
     * @param written true if every head the caller held is now written.
     */
    public synchronized void releaseHeads(final boolean written)
    {
        if (headHolders > 0)
        {
            headHolders--;
        }
        headsUnwritten |= !written;
    }

    /**
     * Reads the highest seq ever assigned in a user's inbox: the larger of the head recorded in meta
     * and the last inbox key, so the head is recovered from the entries even without its record, and
     * survives retention through it. Journal thread only.
     *
     * @param userId owner of the inbox, positive.
     * @return the head seq, 0 for a never-used inbox.
     * @throws StorageException if the read fails or the store is closed.
     */
    public long readHeadSeq(final long userId)
    {
        return defaultReader.readHeadSeq(userId);
    }

    long readHeadSeq(final JournalReader reader, final long userId)
    {
        Layout.checkId("userId", userId);
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("read head seq");
            Layout.headKey(reader.headKey, userId);
            final long recordedHead = readLong(
                reader.readOptions, reader.headKey, reader.headKey.length, reader.longValue, "read head seq");
            return Math.max(recordedHead, lastInboxSeqForJournal(reader, userId, recordedHead));
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read head seq", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Reads the last server-wide message id: the highest recorded by any journal shard with
     * {@link JournalBatch#putLastMsgId(int, long)}, so a message id is never reused even when the
     * number of shards changed between runs. Journal thread only (or before the journals start).
     *
     * @return the last message id, 0 if none was ever recorded.
     * @throws StorageException if the read fails or the store is closed.
     */
    public long readLastMsgId()
    {
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("read last msg id");
            try (ReadOptions readOptions = new ReadOptions();
                RocksIterator iterator = db.newIterator(meta, readOptions))
            {
                long last = 0;
                final byte[] value = new byte[Layout.LONG_LENGTH];
                for (iterator.seek(Layout.lastMsgIdKey()); iterator.isValid(); iterator.next())
                {
                    final byte[] key = iterator.key();
                    if (key[0] != Layout.META_LAST_MSG_ID_TAG || key.length > Layout.SHARD_KEY_LENGTH)
                    {
                        break;
                    }
                    final int valueLength = iterator.value(value);
                    if (Layout.LONG_LENGTH != valueLength)
                    {
                        throw malformed("read last msg id", valueLength, Layout.LONG_LENGTH);
                    }
                    last = Math.max(last, Layout.getLong(value, 0));
                }
                iterator.status();
                return last;
            }
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read last msg id", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * @param shard a journal shard.
     * @return the message id reservation the shard last recorded ({@link JournalBatch#putLastMsgId}), 0 if none:
     * where a new owner of a shard's replicated log resumes its own message ids (cluster mode).
     * @throws StorageException if the read fails or the store is closed.
     */
    public long readLastMsgId(final int shard)
    {
        return readMetaLong(Layout.lastMsgIdKey(shard), "read last msg id of shard " + shard);
    }

    /**
     * Reads every message written by one journal shard for a recipient owned by another shard and not
     * yet appended to that recipient's inbox, in message id order. Called once at start, before the
     * journals run, so that a crash between the two shards' writes loses nothing.
     *
     * @return the pending hand-offs, oldest first; empty with a single shard.
     * @throws StorageException if the read fails or the store is closed.
     */
    public List<OutboxEntry> readOutbox()
    {
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("read outbox");
            try (ReadOptions readOptions = new ReadOptions();
                RocksIterator iterator = db.newIterator(meta, readOptions))
            {
                final List<OutboxEntry> entries = new ArrayList<>();
                for (iterator.seek(new byte[]{ Layout.META_OUTBOX_TAG }); iterator.isValid(); iterator.next())
                {
                    final byte[] key = iterator.key();
                    if (key[0] != Layout.META_OUTBOX_TAG)
                    {
                        break;
                    }
                    if (Layout.OUTBOX_KEY_LENGTH != key.length)
                    {
                        throw new StorageException("read outbox failed: outbox key of " + key.length + " bytes");
                    }
                    entries.add(new OutboxEntry(Layout.outboxMsgId(key), Layout.outboxRecipientId(key), iterator.value()));
                }
                iterator.status();
                return entries;
            }
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read outbox", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Looks up what was stored for a Send of a (sender, client message id). Records past the dedupe retention
     * are removed by compaction; until one reaches them they are still returned, which only makes
     * deduplication last longer, never shorter. Journal thread only.
     *
     * @param senderId    the sending user, positive.
     * @param clientMsgId the sender's id of the message.
     * @return the record, of kind {@link DedupeRecord.Kind#SEND} or {@link DedupeRecord.Kind#UNTAGGED}, or null if
     * none is stored.
     * @throws StorageException if the read fails, the stored value is malformed, or the store is closed.
     */
    public DedupeRecord readDedupe(final long senderId, final byte[] clientMsgId)
    {
        return defaultReader.readDedupe(senderId, clientMsgId);
    }

    /**
     * {@link #readDedupe(long, byte[])} of an id held in the first bytes of a reused array, so the caller
     * need not make an array of the id's exact length. The key is the same. Journal thread only.
     *
     * @param senderId          the sending user, positive.
     * @param clientMsgId       holds the sender's id of the message at {@code [0, clientMsgIdLength)}.
     * @param clientMsgIdLength bytes of the id.
     * @return the record, or null if none is stored.
     * @throws StorageException if the read fails, the stored value is malformed, or the store is closed.
     */
    public DedupeRecord readDedupe(final long senderId, final byte[] clientMsgId, final int clientMsgIdLength)
    {
        return defaultReader.readDedupe(senderId, clientMsgId, clientMsgIdLength);
    }

    /**
     * Looks up what was stored for a CHANNEL_POST of a (sender, channel, client message id). The record of a
     * Send, or of a post to another channel, with the same id is never returned as a
     * {@link DedupeRecord.Kind#CHANNEL_POST}. When the channel's own key holds nothing, two older forms are read,
     * for data directories written before keys held the channel or records their kind, and the first found is
     * returned for the caller to judge: a post's record under the channel-less post key
     * ({@link DedupeRecord.Kind#UNSCOPED_POST}), then a record without a kind under the Send's key
     * ({@link DedupeRecord.Kind#UNTAGGED}). Either is this channel's post only if the channel's timeline holds
     * its msg_id at its seq. A new post costs these three point reads. Journal thread only.
     *
     * @param senderId          the posting user, positive.
     * @param channelId         the channel posted to, positive.
     * @param clientMsgId       holds the sender's id of the post at {@code [0, clientMsgIdLength)}.
     * @param clientMsgIdLength bytes of the id.
     * @return a record of kind {@link DedupeRecord.Kind#CHANNEL_POST}, {@link DedupeRecord.Kind#UNSCOPED_POST} or
     * {@link DedupeRecord.Kind#UNTAGGED}, or null if none is stored.
     * @throws StorageException if the read fails, the stored value is malformed, or the store is closed.
     */
    public DedupeRecord readPostDedupe(
        final long senderId, final long channelId, final byte[] clientMsgId, final int clientMsgIdLength)
    {
        return defaultReader.readPostDedupe(senderId, channelId, clientMsgId, clientMsgIdLength);
    }

    DedupeRecord readDedupe(
        final JournalReader reader, final long senderId, final byte[] clientMsgId, final int clientMsgIdLength)
    {
        Layout.checkId("senderId", senderId);
        Layout.dedupeKeyLength(clientMsgId, clientMsgIdLength);
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("read dedupe");
            return readDedupeKey(reader, DedupeRecord.Kind.SEND, senderId, 0, clientMsgId, clientMsgIdLength);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read dedupe", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    DedupeRecord readPostDedupe(
        final JournalReader reader,
        final long senderId,
        final long channelId,
        final byte[] clientMsgId,
        final int clientMsgIdLength)
    {
        Layout.checkId("senderId", senderId);
        Layout.checkId("channelId", channelId);
        Layout.dedupeKeyLength(clientMsgId, clientMsgIdLength);
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("read dedupe");
            final DedupeRecord record = readDedupeKey(
                reader, DedupeRecord.Kind.CHANNEL_POST, senderId, channelId, clientMsgId, clientMsgIdLength);
            if (record != null)
            {
                return record;
            }
            // A post stored before keys held the channel has its record under the channel-less post key.
            final DedupeRecord unscoped =
                readDedupeKey(reader, DedupeRecord.Kind.UNSCOPED_POST, senderId, 0, clientMsgId, clientMsgIdLength);
            if (unscoped != null)
            {
                return unscoped;
            }
            // A post stored before records carried their kind has its record under the Send's key.
            final DedupeRecord legacy =
                readDedupeKey(reader, DedupeRecord.Kind.SEND, senderId, 0, clientMsgId, clientMsgIdLength);
            return legacy != null && legacy.kind() == DedupeRecord.Kind.UNTAGGED ? legacy : null;
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read dedupe", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Reads the record under one form of dedupe key: {@code kind} is the form ({@link DedupeRecord.Kind#SEND},
     * {@link DedupeRecord.Kind#CHANNEL_POST} or {@link DedupeRecord.Kind#UNSCOPED_POST}), and the record comes
     * back with it, or as {@link DedupeRecord.Kind#UNTAGGED} for a 24-byte value under a Send's key.
     */
    private DedupeRecord readDedupeKey(
        final JournalReader reader,
        final DedupeRecord.Kind kind,
        final long senderId,
        final long channelId,
        final byte[] clientMsgId,
        final int clientMsgIdLength) throws RocksDBException
    {
        final int keyLength = Layout.dedupeKeyLength(kind, clientMsgId, clientMsgIdLength);
        final byte[] key = reader.variableKey(keyLength);
        Layout.dedupeKey(key, kind, senderId, channelId, clientMsgId, clientMsgIdLength);
        final byte[] value = reader.dedupeValue;
        final int valueLength = db.get(dedupe, reader.readOptions, key, 0, keyLength, value, 0, value.length);
        if (RocksDB.NOT_FOUND == valueLength)
        {
            return null;
        }
        final DedupeRecord.Kind stored;
        if (Layout.DEDUPE_VALUE_LENGTH == valueLength)
        {
            stored = DedupeRecord.Kind.ofTag(value[Layout.DEDUPE_KIND_OFFSET]);
            if (stored == null)
            {
                throw new StorageException("read dedupe: unknown kind " + value[Layout.DEDUPE_KIND_OFFSET]);
            }
        }
        else if (Layout.UNTAGGED_DEDUPE_VALUE_LENGTH == valueLength && kind == DedupeRecord.Kind.SEND)
        {
            stored = DedupeRecord.Kind.UNTAGGED;
        }
        else
        {
            throw malformed("read dedupe", valueLength, Layout.DEDUPE_VALUE_LENGTH);
        }
        if (stored != DedupeRecord.Kind.UNTAGGED && stored.tag != kind.tag)
        {
            // Cannot happen while keys keep the kinds apart; never let one kind answer for the other.
            return null;
        }
        return new DedupeRecord(
            Layout.getLong(value, Layout.DEDUPE_MSG_ID_OFFSET),
            Layout.getLong(value, Layout.DEDUPE_SENDER_SEQ_OFFSET),
            Layout.getLong(value, Layout.DEDUPE_TIME_MS_OFFSET),
            stored == DedupeRecord.Kind.UNTAGGED ? stored : kind);
    }

    /**
     * Reads how far a device has acknowledged its user's inbox. Journal thread only.
     *
     * @param userId   owner of the inbox, positive.
     * @param deviceId the device.
     * @return the cursor seq, 0 if none was recorded.
     * @throws StorageException if the read fails or the store is closed.
     */
    public long readCursor(final long userId, final byte[] deviceId)
    {
        return defaultReader.readCursor(userId, deviceId);
    }

    long readCursor(final JournalReader reader, final long userId, final byte[] deviceId)
    {
        Layout.checkId("userId", userId);
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("read cursor");
            final int keyLength = Layout.cursorKeyLength(deviceId);
            final byte[] key = reader.variableKey(keyLength);
            Layout.cursorKey(key, userId, deviceId);
            return readLong(reader.readOptions, key, keyLength, reader.longValue, "read cursor");
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read cursor", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Creates the point reads of one journal thread (each journal shard keeps its own: they reuse
     * buffers). The caller closes it before this store.
     *
     * @return a new reader.
     */
    public JournalReader newJournalReader()
    {
        ensureOpen("new journal reader");
        return new JournalReader(this);
    }

    /**
     * Creates a batch of journal shard 0, for a single journal. See {@link #newBatch(int)}.
     */
    public JournalBatch newBatch()
    {
        return newBatch(0);
    }

    /**
     * Creates a batch for a journal shard's thread to keep, fill, {@link #append(JournalBatch) append},
     * {@link #apply(JournalBatch) apply} and reuse; opens (creating if missing) that shard's message log. The caller
     * closes it; it must not be used after this store is closed.
     *
     * @param shard the journal shard whose log the batch is appended to.
     * @return a new, empty batch.
     * @throws StorageException if the store is closed or the log cannot be opened.
     */
    public JournalBatch newBatch(final int shard)
    {
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("new journal batch");
            shardLogs.open(shard);
            final JournalBatch batch = new JournalBatch(this, shard);
            batch.applier = new EntryApplier(inbox, dedupe, meta, timeline);
            return batch;
        }
        catch (final LogException ex)
        {
            throw new StorageException("open the message log of journal shard " + shard, ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Appends the batch to its shard's message log as one entry and makes it durable as the fsync policy says:
     * from then on a crash loses none of it, and it may be acknowledged. Journal thread of the batch's shard only;
     * {@link #apply(JournalBatch)} must follow before the batch is filled again. An empty batch is not appended.
     *
     * @param batch a batch from this store's {@link #newBatch(int)}.
     * @return the log position after the entry.
     * @throws StorageException if the append or the sync fails: nothing in the batch is acknowledged, and the log
     *                          refuses later appends. The batch is cleared.
     */
    public long append(final JournalBatch batch)
    {
        if (batch.store() != this)
        {
            throw new IllegalArgumentException("batch belongs to another store");
        }
        if (batch.isClosed())
        {
            throw new IllegalStateException("journal batch is closed");
        }
        final ShardLogs.ShardLog shardLog = shardLogs.get(batch.shard());
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("journal append");
            if (shardLog.log == null)
            {
                throw new IllegalStateException("the logs are replicated: append there, then call appended()");
            }
            if (batch.count() == 0)
            {
                return shardLog.appended;
            }
            shardLog.log.append(batch.entry());
            final long end = shardLog.log.sync();
            batch.appendedEnd(end);
            shardLog.appended = end;
            return end;
        }
        catch (final RuntimeException ex)
        {
            batch.clear();
            if (ex instanceof StorageException)
            {
                throw (StorageException)ex;
            }
            throw new StorageException("journal append to the log of shard " + batch.shard(), ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Records that a batch was appended to its shard's replicated log (cluster mode, see
     * {@link StoreConfig#replicatedLogs(boolean)}) and is durable there, ending at {@code end}: {@link #apply} may
     * follow. Journal thread of the batch's shard only.
     *
     * @param batch a batch from this store's {@link #newBatch(int)}, not empty.
     * @param end   the replicated log's position after the batch's entry.
     */
    public void appended(final JournalBatch batch, final long end)
    {
        if (batch.store() != this)
        {
            throw new IllegalArgumentException("batch belongs to another store");
        }
        final ShardLogs.ShardLog shardLog = shardLogs.get(batch.shard());
        if (shardLog == null || shardLog.log != null)
        {
            throw new IllegalStateException("appended() is for replicated logs only");
        }
        if (end <= shardLog.appended && shardLog.appended > 0)
        {
            throw new IllegalArgumentException("log position went back: " + end + " after " + shardLog.appended);
        }
        batch.appendedEnd(end);
        shardLog.appended = end;
    }

    /**
     * Applies entries read from a shard's replicated log (a standby copy, or the catch-up of a new owner) to RocksDB
     * in one write, with the position after the last of them. Not while the shard's journal appends: one writer per
     * shard at a time.
     *
     * @param shard   the journal shard whose log the entries are from.
     * @param entries entries in log order, each from its position to its limit (left as they were).
     * @param end     the log position after the last entry.
     * @throws StorageException if an entry is malformed or the write fails.
     */
    public void applyReplicated(final int shard, final List<ByteBuffer> entries, final long end)
    {
        applyReplicated(shard, entries, end, null);
    }

    /**
     * As {@link #applyReplicated(int, List, long)}, then tells {@code relations} of each relation record the entries
     * wrote or deleted, once RocksDB holds them: what a node needs to follow friendships written by other nodes.
     *
     * @param relations told after the write, on the calling thread; null for none.
     */
    public void applyReplicated(
        final int shard, final List<ByteBuffer> entries, final long end, final RelationsApplied relations)
    {
        final ShardLogs.ShardLog shardLog = shardLogs.open(shard);
        if (shardLog.log != null)
        {
            throw new IllegalStateException("applyReplicated() is for replicated logs only");
        }
        final long stamp = closeLock.readLock();
        try (EntryApplier applier = new EntryApplier(inbox, dedupe, meta, timeline))
        {
            ensureOpen("apply of the replicated log");
            if (relations != null)
            {
                applier.collectRelations();
            }
            for (int i = 0, size = entries.size(); i < size; i++)
            {
                applier.add(entries.get(i));
            }
            applier.putAppliedPosition(shardLog.appliedKey, end);
            db.write(writeOptions, applier.writeBatch());
            shardLog.applied = end;
            shardLog.appended = end;
            if (relations != null)
            {
                applier.forEachRelation(relations);
            }
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("apply of the replicated log of shard " + shard, ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * @param shard a journal shard.
     * @return the position of the shard's log up to which RocksDB holds it (0 when nothing was applied): a new owner
     * of a replicated log reads it again from here.
     */
    public long appliedPosition(final int shard)
    {
        return readMetaLong(Layout.logAppliedKey(shard), "read the applied position of shard " + shard);
    }

    /** A long value of meta, 0 when the key is missing. Any thread; not on a hot path (it allocates). */
    private long readMetaLong(final byte[] key, final String operation)
    {
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen(operation);
            final byte[] value = db.get(meta, key);
            if (value == null)
            {
                return 0;
            }
            if (Layout.LONG_LENGTH != value.length)
            {
                throw malformed(operation, value.length, Layout.LONG_LENGTH);
            }
            return Layout.getLong(value, 0);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException(operation, ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Applies an appended batch to RocksDB, with the log position it reaches, in one write without RocksDB's own
     * write-ahead log (the message log holds it): readers see it from then on. Clears the batch, also when the write
     * fails. Journal thread of the batch's shard only.
     *
     * @param batch a batch {@linkplain #append(JournalBatch) appended} (an empty one is only cleared).
     * @throws StorageException if the write fails or the store is closed: the entry is still in the log, and the
     *                          next open applies it.
     */
    public void apply(final JournalBatch batch)
    {
        final long end = batch.appendedEnd();
        if (end < 0)
        {
            if (batch.count() > 0)
            {
                batch.clear();
                throw new IllegalStateException("journal batch applied before it was appended");
            }
            return;
        }
        final ShardLogs.ShardLog shardLog = shardLogs.get(batch.shard());
        final EntryApplier applier = batch.applier;
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("journal apply");
            applier.clear();
            applier.add(batch.entry());
            applier.putAppliedPosition(shardLog.appliedKey, end);
            db.write(writeOptions, applier.writeBatch());
            shardLog.applied = end;
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("journal apply", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
            applier.clear();
            batch.clear();
        }
    }

    /**
     * {@link #append(JournalBatch) Appends} the batch and {@link #apply(JournalBatch) applies} it. The batch is
     * cleared afterwards, also when it fails. Journal thread of the batch's shard only.
     *
     * @param batch a batch from this store's {@link #newBatch(int)}.
     * @throws StorageException if the append or the write fails or the store is closed.
     */
    public void write(final JournalBatch batch)
    {
        append(batch);
        apply(batch);
    }

    /**
     * Reads a page of a user's inbox from one consistent snapshot. Any thread.
     *
     * @param userId   owner of the inbox, positive.
     * @param afterSeq return entries with a greater seq; 0 for the start of the inbox.
     * @param limit    the most entries to return, positive.
     * @param maxBytes the most message bytes to return, positive; the first entry is returned even if
     *                 it alone is larger.
     * @return the entries, oldest first, with the head seq and whether more entries follow, all from
     * the same snapshot.
     * @throws StorageException if the read fails or the store is closed.
     */
    public InboxPage readInbox(final long userId, final long afterSeq, final int limit, final int maxBytes)
    {
        Layout.checkId("userId", userId);
        if (afterSeq < 0)
        {
            throw new IllegalArgumentException("afterSeq must not be negative: " + afterSeq);
        }
        if (limit <= 0)
        {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        if (maxBytes <= 0)
        {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }

        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("read inbox");
            awaitApplied();
            return readInboxPage(userId, afterSeq, limit, maxBytes);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read inbox", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Compacts every column family fully, which is when TtlDB drops expired inbox entries and dedupe
     * records. Blocks until done; for tests and operators, not the hot path. Any thread.
     *
     * @throws StorageException if a compaction fails or the store is closed.
     */
    public void compact()
    {
        final long stamp = closeLock.readLock();
        try (CompactRangeOptions compactRangeOptions = new CompactRangeOptions()
            .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce))
        {
            ensureOpen("compact");
            for (final ColumnFamilyHandle handle : List.of(defaultCf, inbox, dedupe, meta, timeline))
            {
                db.compactRange(handle, null, null, compactRangeOptions);
            }
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("compact", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Closes the database and releases every native resource, even if one of them fails to close.
     * Waits for reads, writes and compactions in progress; the journal thread must have stopped
     * adding to its batch, since puts into a batch are not guarded against a concurrent close.
     * Idempotent. Batches from {@link #newBatch()} are the caller's to close. Any thread.
     *
     * @throws StorageException if closing the database failed; everything else is still released.
     */
    public void close()
    {
        // Before the lock: a checkpoint in progress holds it shared.
        stopCheckpointer();
        final long stamp = closeLock.writeLock();
        try
        {
            if (closed)
            {
                return;
            }
            closed = true;
            // The log is needed only for what RocksDB has not flushed; flushed, the next open replays nothing.
            checkpointLogsAtClose();
            settleHeadsMark();
            shardLogs.close();

            final List<AutoCloseable> toClose =
                new ArrayList<>(List.of(defaultReader, defaultCf, inbox, dedupe, meta, timeline));
            toClose.add(db::closeE);
            toClose.addAll(options);
            CloseHelper.closeAll(toClose);
        }
        catch (final Exception ex)
        {
            throw new StorageException("close", ex);
        }
        finally
        {
            closeLock.unlockWrite(stamp);
        }
    }

    /**
     * @return groups, channels and their timelines, in this store.
     */
    public AudienceStore audiences()
    {
        return audiences;
    }

    /**
     * @return contact discovery's registrations (tags, never numbers) in this store.
     */
    public DiscoveryRegistrations discoveryRegistrations()
    {
        return discoveryRegistrations;
    }

    /**
     * @return friends, blocks and privacy settings, in this store.
     */
    public FriendStore friends()
    {
        return friends;
    }

    /**
     * Bytes the database holds now, over every column family: SST files plus memtables. For measuring
     * the storage cost of a write (before and after), not for the hot path. Any thread.
     *
     * @return the sum of {@code rocksdb.total-sst-files-size} and {@code rocksdb.cur-size-all-mem-tables}.
     * @throws StorageException if a property cannot be read or the store is closed.
     */
    public long sizeBytes()
    {
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("size");
            long bytes = 0;
            for (final ColumnFamilyHandle handle : List.of(defaultCf, inbox, dedupe, meta, timeline))
            {
                bytes += db.getLongProperty(handle, "rocksdb.total-sst-files-size");
                bytes += db.getLongProperty(handle, "rocksdb.cur-size-all-mem-tables");
            }
            return bytes;
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("size", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Writes a consistent copy of the open database into {@code dir} while writes go on: a RocksDB checkpoint,
     * its SST files hard-linked when {@code dir} is on the same filesystem (copied otherwise) and its write-ahead
     * log copied up to the moment of the checkpoint. Every write that returned before the call is in the copy,
     * whether in the memtables flushed for it or in the log, so a store opened on the copy holds what this one
     * held at that moment, as after a crash at it: the heads a journal held then are repaired at that open. Any
     * thread; blocks for the flush of the memtables, and {@link #close()} waits for it.
     *
     * @param dir where to write it; must not exist, its parent must.
     * @throws StorageException if the checkpoint fails or the store is closed.
     */
    public void checkpoint(final Path dir)
    {
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("checkpoint");
            awaitApplied();
            try (Checkpoint checkpoint = Checkpoint.create(db))
            {
                checkpoint.createCheckpoint(dir.toString());
            }
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("checkpoint to " + dir, ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Checks the store: every block of every SST file against its checksum (RocksDB's {@code VerifyChecksum}), and
     * every user's recorded head against the last entry of their inbox, which it must not be below once the store
     * is open (the open repairs heads a journal held unwritten). For a restored copy before a switch uses it, not
     * for a running switch: it reads every SST file. Any thread.
     *
     * @return the inboxes checked.
     * @throws StorageException naming the first fault, or if the store is closed.
     */
    public long verify()
    {
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("verify");
            db.verifyChecksum();
            return verifyHeads();
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("verify", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    private long verifyHeads() throws RocksDBException
    {
        long inboxes = 0;
        try (ReadOptions readOptions = new ReadOptions().setFillCache(false).setTotalOrderSeek(true);
            RocksIterator iterator = db.newIterator(inbox, readOptions))
        {
            final byte[] key = new byte[Layout.INBOX_KEY_LENGTH];
            final byte[] headKey = new byte[Layout.META_USER_KEY_LENGTH];
            final byte[] value = new byte[Layout.LONG_LENGTH];
            for (iterator.seekToFirst(); iterator.isValid(); )
            {
                if (Layout.INBOX_KEY_LENGTH != iterator.key(key))
                {
                    throw new StorageException("verify failed: inbox key of unexpected length");
                }
                final long userId = Layout.inboxUserId(key);
                Layout.inboxKey(key, userId, -1L);
                iterator.seekForPrev(key);
                iterator.key(key);
                final long lastSeq = Layout.inboxSeq(key);
                Layout.headKey(headKey, userId);
                final int length = db.get(meta, readOptions, headKey, 0, headKey.length, value, 0, value.length);
                final long recorded = Layout.LONG_LENGTH == length ? Layout.getLong(value, 0) : 0;
                if (recorded < lastSeq)
                {
                    throw new StorageException("verify failed: user " + userId + " has inbox entries up to seq " +
                        lastSeq + " but a recorded head of " + recorded);
                }
                inboxes++;
                if (Long.MAX_VALUE == userId)
                {
                    break;
                }
                iterator.seek(Layout.userPrefix(userId + 1));
            }
            iterator.status();
        }
        return inboxes;
    }

    /**
     * Reads one of RocksDB's integer properties (e.g. {@code rocksdb.total-sst-files-size}), for metrics read
     * when scraped. Any thread; never blocks on the journal.
     *
     * @param property  the property's name.
     * @param summedOverColumnFamilies true for a property RocksDB keeps per column family, summed over them
     *                  all; false for one it keeps per database (e.g. {@code rocksdb.is-write-stopped}).
     * @return its value.
     * @throws StorageException if the property is unknown or the store is closed.
     */
    public long longProperty(final String property, final boolean summedOverColumnFamilies)
    {
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("read property " + property);
            return summedOverColumnFamilies ?
                db.getAggregatedLongProperty(property) : db.getLongProperty(defaultCf, property);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read property " + property, ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /**
     * Reads one figure of a RocksDB map property: summed over the column families for
     * {@code rocksdb.cfstats} (e.g. {@code compaction.Sum.ReadGB}), the database's own for
     * {@code rocksdb.dbstats} (e.g. {@code db.user_write_stall_micros}). For metrics read when scraped. Any
     * thread.
     *
     * @param property {@code rocksdb.cfstats} or {@code rocksdb.dbstats}.
     * @param key      the figure's key in the map.
     * @return its value, 0 if RocksDB does not report it.
     * @throws StorageException if the property is unknown, a value is not a number, or the store is closed.
     */
    public double mapProperty(final String property, final String key)
    {
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("read property " + property);
            final List<ColumnFamilyHandle> handles = "rocksdb.cfstats".equals(property) ?
                List.of(defaultCf, inbox, dedupe, meta, timeline) : List.of(defaultCf);
            double sum = 0;
            for (final ColumnFamilyHandle handle : handles)
            {
                final String value = db.getMapProperty(handle, property).get(key);
                sum += null == value ? 0 : Double.parseDouble(value);
            }
            return sum;
        }
        catch (final RocksDBException | NumberFormatException ex)
        {
            throw new StorageException("read property " + property + " " + key, ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    TtlDB db()
    {
        return db;
    }

    ColumnFamilyHandle metaHandle()
    {
        return meta;
    }

    ColumnFamilyHandle timelineHandle()
    {
        return timeline;
    }

    long lockShared()
    {
        return closeLock.readLock();
    }

    void unlockShared(final long stamp)
    {
        closeLock.unlockRead(stamp);
    }

    @Override
    public String toString()
    {
        return "XinStore{" + config + (closed ? ", closed}" : "}");
    }

    void ensureOpen(final String operation)
    {
        if (closed)
        {
            throw new StorageException(operation + " failed: store is closed");
        }
    }

    private InboxPage readInboxPage(final long userId, final long afterSeq, final int limit, final int maxBytes)
        throws RocksDBException
    {
        final Snapshot snapshot = db.getSnapshot();
        try (ReadOptions readOptions = new ReadOptions();
            Slice lowerBound = new Slice(Layout.userPrefix(userId));
            Slice upperBound = new Slice(Layout.userPrefix(userId + 1)))
        {
            readOptions.setSnapshot(snapshot).setIterateLowerBound(lowerBound).setIterateUpperBound(upperBound)
                .setPrefixSameAsStart(true);

            final byte[] headKey = new byte[Layout.META_USER_KEY_LENGTH];
            Layout.headKey(headKey, userId);
            final long recordedHead = readLong(
                readOptions, headKey, headKey.length, new byte[Layout.LONG_LENGTH], "read inbox");

            try (RocksIterator iterator = db.newIterator(inbox, readOptions))
            {
                final long headSeq = Math.max(
                    recordedHead, lastInboxSeq(iterator, new byte[Layout.INBOX_KEY_LENGTH], userId, recordedHead));

                final List<InboxEntry> entries = new ArrayList<>(Math.min(limit, 64));
                final boolean hasMore = afterSeq < headSeq &&
                    readPage(iterator, userId, afterSeq, limit, maxBytes, entries);
                return new InboxPage(entries, headSeq, hasMore);
            }
        }
        finally
        {
            db.releaseSnapshot(snapshot);
        }
    }

    /**
     * Flushes RocksDB's memtables (every column family at once) and deletes the log segments whose entries are all
     * applied before the flush: what a restart replays is then only what came after. Any thread; the store's own
     * checkpoint thread calls it once {@link StoreConfig#logCheckpointBytes()} of log wait, or
     * {@link StoreConfig#logCheckpointIntervalMs()} after the last checkpoint.
     *
     * @return the log segments deleted.
     * @throws StorageException if the flush fails or the store is closed.
     */
    public int checkpointLogs()
    {
        final long stamp = closeLock.readLock();
        try
        {
            ensureOpen("checkpoint the logs");
            return flushAndTruncate();
        }
        catch (final RocksDBException | LogException ex)
        {
            synchronized (this)
            {
                logCheckpointFailures++;
            }
            throw new StorageException("checkpoint the logs", ex);
        }
        finally
        {
            closeLock.unlockRead(stamp);
        }
    }

    /** Under the close lock, shared or exclusive. */
    private synchronized int flushAndTruncate() throws RocksDBException
    {
        final List<ShardLogs.ShardLog> logs = shardLogs.all();
        final long[] applied = new long[logs.size()];
        for (int i = 0; i < applied.length; i++)
        {
            applied[i] = logs.get(i).applied;
        }
        try (FlushOptions flushOptions = new FlushOptions().setWaitForFlush(true))
        {
            db.flush(flushOptions, List.of(defaultCf, inbox, dedupe, meta, timeline));
        }
        int deleted = 0;
        for (int i = 0; i < applied.length; i++)
        {
            final ShardLogs.ShardLog log = logs.get(i);
            // A replicated log keeps its own retention; RocksDB's flush only shortens what its owner reads again.
            deleted += log.log == null ? 0 : log.log.truncateBefore(applied[i]);
            log.checkpointed = applied[i];
        }
        logCheckpoints++;
        logSegmentsDeleted += deleted;
        return deleted;
    }

    private void checkpointLogsAtClose()
    {
        try
        {
            flushAndTruncate();
        }
        catch (final RocksDBException | RuntimeException ex)
        {
            // The log keeps what RocksDB did not flush; the next open replays it.
            synchronized (this)
            {
                logCheckpointFailures++;
            }
        }
    }

    private void runCheckpoints()
    {
        final long pollNanos = TimeUnit.MILLISECONDS.toNanos(Math.min(100, config.logCheckpointIntervalMs()));
        final long intervalNanos = TimeUnit.MILLISECONDS.toNanos(config.logCheckpointIntervalMs());
        long lastNanos = System.nanoTime();
        while (!checkpointerStopping)
        {
            LockSupport.parkNanos(this, pollNanos);
            final long waiting = shardLogs.uncheckpointedBytes();
            if (checkpointerStopping || waiting == 0 ||
                (waiting < config.logCheckpointBytes() && System.nanoTime() - lastNanos < intervalNanos))
            {
                continue;
            }
            try
            {
                checkpointLogs();
            }
            catch (final StorageException ex)
            {
                // Counted; the log keeps growing until a checkpoint succeeds, and a restart replays it.
            }
            lastNanos = System.nanoTime();
        }
    }

    private void stopCheckpointer()
    {
        checkpointerStopping = true;
        LockSupport.unpark(checkpointer);
        if (Thread.currentThread() != checkpointer)
        {
            try
            {
                // It may be in a flush, which holds the close lock shared: this thread holds it exclusively, so the
                // flush finished before; the thread only has to notice the flag.
                checkpointer.join(TimeUnit.SECONDS.toMillis(5));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits, bounded, until RocksDB holds every entry appended to a log so far (read your writes). */
    void awaitApplied()
    {
        shardLogs.awaitApplied(config.indexWaitMs());
    }

    /** @return log entries applied to RocksDB at open, after a stop that left them unapplied. */
    public long logEntriesReplayedAtOpen()
    {
        return logEntriesReplayedAtOpen;
    }

    /** @return bytes of those entries. */
    public long logBytesReplayedAtOpen()
    {
        return logBytesReplayedAtOpen;
    }

    /** @return how long replaying them took, milliseconds. */
    public long logReplayMillisAtOpen()
    {
        return logReplayMillisAtOpen;
    }

    /** @return bytes held by the message logs' segment files. Any thread. */
    public long logSizeBytes()
    {
        return shardLogs.sizeBytes();
    }

    /** @return bytes appended to the logs since their last checkpoint: what a restart would replay. Any thread. */
    public long logUncheckpointedBytes()
    {
        return shardLogs.uncheckpointedBytes();
    }

    /** @return checkpoints taken. Any thread. */
    public synchronized long logCheckpoints()
    {
        return logCheckpoints;
    }

    /** @return log segments the checkpoints deleted. Any thread. */
    public synchronized long logSegmentsDeleted()
    {
        return logSegmentsDeleted;
    }

    /** @return checkpoints that failed. Any thread. */
    public synchronized long logCheckpointFailures()
    {
        return logCheckpointFailures;
    }

    /**
     * Deletes, synced, the applied position of every shard whose log directory is gone (a copy restored from a
     * backup carries none): its log begins again at 0, and an old position above that would skip its entries.
     */
    private static void forgetPositionsOfMissingLogs(
        final TtlDB db, final ColumnFamilyHandle meta, final List<Integer> shardsWithLogs) throws RocksDBException
    {
        final List<byte[]> stale = new ArrayList<>();
        try (ReadOptions readOptions = new ReadOptions().setTotalOrderSeek(true);
            RocksIterator iterator = db.newIterator(meta, readOptions))
        {
            for (iterator.seek(new byte[]{ Layout.META_LOG_APPLIED_TAG }); iterator.isValid(); iterator.next())
            {
                final byte[] key = iterator.key();
                if (key[0] != Layout.META_LOG_APPLIED_TAG)
                {
                    break;
                }
                if (key.length == Layout.SHARD_KEY_LENGTH &&
                    !shardsWithLogs.contains(Layout.logAppliedShard(key)))
                {
                    stale.add(key);
                }
            }
            iterator.status();
        }
        if (!stale.isEmpty())
        {
            try (WriteOptions syncWrite = new WriteOptions().setSync(true); WriteBatch batch = new WriteBatch())
            {
                for (final byte[] key : stale)
                {
                    batch.delete(meta, key);
                }
                db.write(syncWrite, batch);
            }
        }
    }

    /**
     * Applies to RocksDB what every shard's log holds past the position RocksDB recorded for it, then flushes: after
     * a crash or kill, this restores every entry appended (and so everything acknowledged). Logs of shards the switch
     * no longer runs are replayed too. Before anything else uses the store.
     *
     * @return entries replayed, their bytes, and the milliseconds it took.
     */
    private static long[] replayLogs(
        final TtlDB db,
        final List<ColumnFamilyHandle> handles,
        final WriteOptions writeOptions,
        final ShardLogs shardLogs) throws RocksDBException
    {
        final long startNs = System.nanoTime();
        final long[] replayed = new long[3];
        final byte[] positionValue = new byte[Layout.LONG_LENGTH];
        final ColumnFamilyHandle meta = handles.get(3);
        final List<byte[]> outboxDeletes = new ArrayList<>();
        try (EntryApplier applier = new EntryApplier(handles.get(1), handles.get(2), meta, handles.get(4)))
        {
            applier.collectOutboxDeletes(outboxDeletes);
            final List<Integer> shards = shardLogs.existingShards();
            forgetPositionsOfMissingLogs(db, meta, shards);
            for (final int shard : shards)
            {
                final ShardLogs.ShardLog shardLog = shardLogs.open(shard);
                final long start = shardLog.log.startPosition();
                final long end = shardLog.log.endPosition();
                final byte[] recorded = db.get(meta, shardLog.appliedKey);
                // Nothing applied yet: the log must still hold its first entry, at 0.
                long position = recorded == null ? 0 : Layout.getLong(recorded, 0);
                if (position > end)
                {
                    // A log begun again: RocksDB holds all it ever held. Synced, or a crash before the next flush
                    // would leave the old position above the new log's entries, which would then be skipped.
                    position = end;
                    Layout.putLong(positionValue, 0, end);
                    try (WriteOptions syncWrite = new WriteOptions().setSync(true))
                    {
                        db.put(meta, syncWrite, shardLog.appliedKey, positionValue);
                    }
                }
                if (position < start)
                {
                    throw new StorageException("the message log of journal shard " + shard + " starts at " + start +
                        " but RocksDB holds it only up to " + position + ": entries were deleted before they were " +
                        "applied; restore the data directory from a backup");
                }
                while (position < end)
                {
                    final long from = position;
                    position = shardLog.log.read(from, (entryPosition, entry) ->
                    {
                        replayed[0]++;
                        replayed[1] += entry.remaining();
                        applier.add(entry);
                    }, REPLAY_ENTRIES_PER_READ);
                    if (position == from)
                    {
                        break;
                    }
                    applier.putAppliedPosition(shardLog.appliedKey, position);
                    if (applier.size() >= REPLAY_WRITE_BYTES || position >= end)
                    {
                        db.write(writeOptions, applier.writeBatch());
                        applier.clear();
                        KillPoint.reach(KillPoint.DURING_REPLAY);
                    }
                }
                if (applier.size() > 0)
                {
                    db.write(writeOptions, applier.writeBatch());
                    applier.clear();
                }
                shardLog.applied = position;
                shardLog.appended = position;
            }
            // A hand-off's outbox record is put by the sender's shard and deleted by the recipient's; replayed one
            // log after another, a delete may come before its put. Each record is deleted once ever, so deleting
            // again at the end is right whatever the order.
            for (final byte[] key : outboxDeletes)
            {
                applier.writeBatch().delete(meta, key);
            }
            if (applier.writeBatch().count() > 0)
            {
                db.write(writeOptions, applier.writeBatch());
                applier.clear();
            }
            if (replayed[0] > 0)
            {
                try (FlushOptions flushOptions = new FlushOptions().setWaitForFlush(true))
                {
                    db.flush(flushOptions, handles);
                }
            }
            for (final ShardLogs.ShardLog shardLog : shardLogs.all())
            {
                shardLog.log.truncateBefore(shardLog.applied);
                shardLog.checkpointed = shardLog.applied;
            }
        }
        catch (final LogException ex)
        {
            throw new StorageException("replay the message logs", ex);
        }
        replayed[2] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        return replayed;
    }

    /** At close: every head is written, so the next open need not repair them. */
    private synchronized void settleHeadsMark()
    {
        if (headsMarked && 0 == headHolders && !headsUnwritten)
        {
            try (WriteOptions syncWrite = new WriteOptions().setSync(true))
            {
                db.delete(meta, syncWrite, Layout.headsUnsettledKey());
                headsMarked = false;
            }
            catch (final RocksDBException ex)
            {
                // The mark stays: the next open repairs heads that are already right, which costs only time.
            }
        }
    }

    /**
     * Rewrites the meta head of every user whose inbox holds a later seq: two seeks per user with an inbox,
     * whatever its length, and a synced write per 4,096 heads. Before anything else uses the store.
     *
     * @return the number of heads rewritten.
     */
    private static long repairHeads(final TtlDB db, final ColumnFamilyHandle inbox, final ColumnFamilyHandle meta)
        throws RocksDBException
    {
        long repaired = 0;
        // Across users: total order, which a hash memtable serves by sorting a copy of itself.
        try (ReadOptions readOptions = new ReadOptions().setFillCache(false).setTotalOrderSeek(true);
            WriteOptions syncWrite = new WriteOptions().setSync(true);
            WriteBatch batch = new WriteBatch();
            RocksIterator iterator = db.newIterator(inbox, readOptions))
        {
            final byte[] key = new byte[Layout.INBOX_KEY_LENGTH];
            final byte[] headKey = new byte[Layout.META_USER_KEY_LENGTH];
            final byte[] value = new byte[Layout.LONG_LENGTH];
            for (iterator.seekToFirst(); iterator.isValid(); )
            {
                if (Layout.INBOX_KEY_LENGTH != iterator.key(key))
                {
                    throw new StorageException("repair heads failed: inbox key of unexpected length");
                }
                final long userId = Layout.inboxUserId(key);
                Layout.inboxKey(key, userId, -1L);
                iterator.seekForPrev(key);
                iterator.key(key);
                final long lastSeq = Layout.inboxSeq(key);
                Layout.headKey(headKey, userId);
                final int length = db.get(meta, readOptions, headKey, 0, headKey.length, value, 0, value.length);
                final long recorded = Layout.LONG_LENGTH == length ? Layout.getLong(value, 0) : 0;
                if (lastSeq > recorded)
                {
                    Layout.putLong(value, 0, lastSeq);
                    batch.put(meta, headKey, value);
                    if (++repaired % 4096 == 0)
                    {
                        db.write(syncWrite, batch);
                        batch.clear();
                    }
                }
                if (Long.MAX_VALUE == userId)
                {
                    break;
                }
                iterator.seek(Layout.userPrefix(userId + 1));
            }
            iterator.status();
            if (batch.count() > 0)
            {
                db.write(syncWrite, batch);
            }
        }
        return repaired;
    }

    private long lastInboxSeqForJournal(final JournalReader reader, final long userId, final long afterSeq)
    {
        try (RocksIterator iterator = db.newIterator(inbox, reader.readOptions))
        {
            return lastInboxSeq(iterator, reader.inboxKey, userId, afterSeq);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read head seq", ex);
        }
    }

    /**
     * The last seq of a user's inbox entries after {@code afterSeq} (the recorded head: the journal writes heads
     * seconds after their entries, and an open after a stop that held them first repairs them, so only the
     * entries of those seconds lie beyond it), found by seeking forwards within the user's keys, which every
     * memtable serves, also one hashed by user.
     *
     * @return that seq, 0 if no entry follows {@code afterSeq}.
     */
    private static long lastInboxSeq(final RocksIterator iterator, final byte[] key, final long userId, final long afterSeq)
        throws RocksDBException
    {
        long lastSeq = 0;
        Layout.inboxKey(key, userId, afterSeq + 1);
        for (iterator.seek(key); iterator.isValid(); iterator.next())
        {
            if (Layout.INBOX_KEY_LENGTH != iterator.key(key) || Layout.inboxUserId(key) != userId)
            {
                break;
            }
            lastSeq = Layout.inboxSeq(key);
        }
        iterator.status();
        return lastSeq;
    }

    /**
     * Reads one page of a key range laid out as id(8 BE) | seq(8 BE) (an inbox, a channel timeline)
     * from the seq after {@code afterSeq}: at most {@code limit} entries and {@code maxBytes} of values,
     * the first entry whatever its size. The iterator's bounds must keep it within {@code id}'s keys.
     *
     * @return true when more entries follow the page.
     */
    static boolean readPage(
        final RocksIterator iterator,
        final long id,
        final long afterSeq,
        final int limit,
        final int maxBytes,
        final List<InboxEntry> entries) throws RocksDBException
    {
        final byte[] key = new byte[Layout.INBOX_KEY_LENGTH];
        Layout.inboxKey(key, id, afterSeq + 1);
        iterator.seek(key);
        boolean hasMore = false;
        long bytes = 0;
        while (iterator.isValid())
        {
            if (entries.size() == limit)
            {
                hasMore = true;
                break;
            }
            final byte[] value = iterator.value();
            if (!entries.isEmpty() && bytes + value.length > maxBytes)
            {
                hasMore = true;
                break;
            }
            entries.add(new InboxEntry(inboxSeq(iterator, key), value));
            bytes += value.length;
            iterator.next();
        }
        iterator.status();
        return hasMore;
    }

    private static long inboxSeq(final RocksIterator iterator, final byte[] key)
    {
        final int keyLength = iterator.key(key);
        if (Layout.INBOX_KEY_LENGTH != keyLength)
        {
            throw new StorageException("read page failed: key of " + keyLength + " bytes, expected " +
                Layout.INBOX_KEY_LENGTH);
        }
        return Layout.inboxSeq(key);
    }

    private long readLong(
        final ReadOptions readOptions,
        final byte[] key,
        final int keyLength,
        final byte[] value,
        final String operation) throws RocksDBException
    {
        final int valueLength = db.get(meta, readOptions, key, 0, keyLength, value, 0, value.length);
        if (RocksDB.NOT_FOUND == valueLength)
        {
            return 0;
        }
        if (Layout.LONG_LENGTH != valueLength)
        {
            throw malformed(operation, valueLength, Layout.LONG_LENGTH);
        }
        return Layout.getLong(value, 0);
    }

    private static StorageException malformed(final String operation, final int length, final int expectedLength)
    {
        return new StorageException(
            operation + " failed: stored value of " + length + " bytes, expected " + expectedLength);
    }

    private static ColumnFamilyDescriptor descriptor(final byte[] name, final ColumnFamilyOptions cfOptions)
    {
        return new ColumnFamilyDescriptor(name, cfOptions);
    }

    private static ColumnFamilyDescriptor descriptor(final String name, final ColumnFamilyOptions cfOptions)
    {
        return new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.US_ASCII), cfOptions);
    }

    private static ColumnFamilyOptions cfOptions(
        final StoreConfig config, final LRUCache blockCache, final BloomFilter bloomFilter, final boolean appends)
        throws RocksDBException
    {
        final BlockBasedTableConfig tableConfig = new BlockBasedTableConfig();
        if (null == blockCache)
        {
            tableConfig.setNoBlockCache(true);
        }
        else
        {
            tableConfig.setBlockCache(blockCache);
        }
        if (null != bloomFilter)
        {
            tableConfig.setFilterPolicy(bloomFilter);
        }

        final ColumnFamilyOptions cfOptions = appends && config.memtableInsertHint() ?
            appendsOptions() : new ColumnFamilyOptions();
        cfOptions
            .setWriteBufferSize(config.writeBufferBytes())
            .setTableFormatConfig(tableConfig);
        if (null != bloomFilter && config.memtableBloom())
        {
            // Point lookups that mostly miss (a new send's dedupe record, a new user's head) look in the
            // memtable first: a whole-key bloom filter there answers most misses without a skip-list search.
            // Not optimize_filters_for_hits: it drops the last level's filters, which the misses need.
            cfOptions
                .setMemtablePrefixBloomSizeRatio(MEMTABLE_BLOOM_SIZE_RATIO)
                .setMemtableWholeKeyFiltering(true);
        }
        return cfOptions;
    }

    /**
     * With {@link StoreConfig#hashMemtable()}, the inbox and dedupe memtables become hashes of skip lists keyed by
     * the key's first 8 bytes (the user id, the sender id): an insert or a lookup searches one user's entries only,
     * instead of one list of every entry. Iterators of such a memtable stay within the prefix of the key they
     * seek to and cannot seek backwards, so every read of these column families seeks forwards within one user
     * (see {@link #lastInboxSeq}) and the one read across users, {@link #repairHeads}, asks for total order
     * (which copies the memtable into one sorted list: once, at open). The prefix extractor also adds prefixes to
     * the bloom filters of new dedupe SST files; files written without it keep their whole-key filters, which the
     * point lookups use either way.
     */
    private static ColumnFamilyOptions hashedByUser(final StoreConfig config, final ColumnFamilyOptions cfOptions)
    {
        if (config.hashMemtable())
        {
            cfOptions
                .useFixedLengthPrefixExtractor(Layout.USER_PREFIX_LENGTH)
                .setMemTableConfig(new HashSkipListMemTableConfig()
                    .setBucketCount(HASH_MEMTABLE_BUCKETS)
                    .setHeight(HASH_MEMTABLE_MAX_HEIGHT));
        }
        return cfOptions;
    }

    /**
     * Options for a column family laid out as id(8 BE) | seq(8 BE) and written in seq order per id (inbox,
     * timeline): the memtable keeps, per id, where its last key went in the skip list and starts the next
     * insert there instead of searching from the top (RocksDB's {@code memtable_insert_with_hint_prefix_extractor},
     * which the Java API sets only through an options string). It costs about 250 bytes of memtable per id
     * written in that memtable, and does not change reads: no read-side prefix extractor is set.
     */
    private static ColumnFamilyOptions appendsOptions() throws RocksDBException
    {
        final Properties properties = new Properties();
        properties.setProperty("memtable_insert_with_hint_prefix_extractor", "rocksdb.FixedPrefix." + Layout.USER_PREFIX_LENGTH);
        try (ConfigOptions configOptions = new ConfigOptions())
        {
            final ColumnFamilyOptions cfOptions = ColumnFamilyOptions.getColumnFamilyOptionsFromProps(configOptions, properties);
            if (null == cfOptions)
            {
                throw new RocksDBException("memtable_insert_with_hint_prefix_extractor not accepted");
            }
            return cfOptions;
        }
    }

    private static <T extends AutoCloseable> T add(final List<AutoCloseable> closeables, final T closeable)
    {
        closeables.add(closeable);
        return closeable;
    }

    /** Told of relation records applied from a replicated log (see {@link FriendStore} for their meaning). */
    @FunctionalInterface
    public interface RelationsApplied
    {
        /**
         * @param userId the user whose own view of the peer it is.
         * @param peerId the peer.
         * @param state  the view's state byte as written, 0 when the record was deleted.
         */
        void relationApplied(long userId, long peerId, int state);
    }
}
