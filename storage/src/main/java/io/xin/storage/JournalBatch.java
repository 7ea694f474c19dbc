package io.xin.storage;

import java.nio.ByteBuffer;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The puts of one journal batch, collected in a reused RocksDB {@link WriteBatch} and written by
 * {@link XinStore#write(JournalBatch)} as one atomic write. Key and value layouts are in
 * {@link XinStore}.
 * <p>
 * Owned by the journal thread: it creates one with {@link XinStore#newBatch()}, fills it during a
 * Disruptor batch, writes it at {@code endOfBatch} and reuses it. Puts copy the key and value bytes
 * into the batch, so callers may reuse their arrays at once. Nothing is allocated per put except
 * when a client message id or device id is longer than any seen before.
 */
public final class JournalBatch implements AutoCloseable
{
    private static final int INITIAL_VARIABLE_KEY_CAPACITY = 128;
    private static final int INITIAL_VALUE_CAPACITY = 4096;

    private final XinStore store;
    private final ColumnFamilyHandle inbox;
    private final ColumnFamilyHandle dedupe;
    private final ColumnFamilyHandle meta;
    private final WriteBatch writeBatch = new WriteBatch();

    /** Owned by the journal thread. */
    private final byte[] inboxKey = new byte[Layout.INBOX_KEY_LENGTH];
    /** Owned by the journal thread. */
    private final byte[] headKey = new byte[Layout.META_USER_KEY_LENGTH];
    /** Owned by the journal thread. */
    private byte[] lastMsgIdKey = Layout.lastMsgIdKey();
    /** Owned by the journal thread: the shard {@link #lastMsgIdKey} is for. */
    private int lastMsgIdShard;
    /** Owned by the journal thread. */
    private final byte[] outboxKey = new byte[Layout.OUTBOX_KEY_LENGTH];
    /** Owned by the journal thread. */
    private final byte[] longValue = new byte[Layout.LONG_LENGTH];
    /** Owned by the journal thread; direct because variable-length keys are passed as buffers. */
    private ByteBuffer variableKey = ByteBuffer.allocateDirect(INITIAL_VARIABLE_KEY_CAPACITY);
    /** Owned by the journal thread. */
    private final ByteBuffer dedupeValue = ByteBuffer.allocateDirect(Layout.DEDUPE_VALUE_LENGTH);
    /** Owned by the journal thread. */
    private final ByteBuffer cursorValue = ByteBuffer.allocateDirect(Layout.LONG_LENGTH);
    /** Owned by the journal thread; direct, for the puts of a message given as a buffer. */
    private final ByteBuffer inboxKeyBuffer = ByteBuffer.allocateDirect(Layout.INBOX_KEY_LENGTH);
    /** Owned by the journal thread: the value of {@link #valueBuffer(byte[], int)}, grown as needed. */
    private ByteBuffer value = ByteBuffer.allocateDirect(INITIAL_VALUE_CAPACITY);
    /** Owned by the journal thread. */
    private int count;
    /** Owned by the journal thread. */
    private boolean closed;

    JournalBatch(
        final XinStore store,
        final ColumnFamilyHandle inbox,
        final ColumnFamilyHandle dedupe,
        final ColumnFamilyHandle meta)
    {
        this.store = store;
        this.inbox = inbox;
        this.dedupe = dedupe;
        this.meta = meta;
    }

    /**
     * Adds an inbox entry.
     *
     * @param userId  owner of the inbox, positive.
     * @param seq     position in that inbox, positive.
     * @param message the message bytes to store; copied.
     */
    public void putInbox(final long userId, final long seq, final byte[] message)
    {
        Layout.checkId("userId", userId);
        Layout.checkId("seq", seq);
        ensureUsable("journal batch put inbox");
        Layout.inboxKey(inboxKey, userId, seq);
        try
        {
            writeBatch.put(inbox, inboxKey, message);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("journal batch put inbox", ex);
        }
        count++;
    }

    /**
     * Copies {@code length} bytes of {@code bytes} into this batch's reused direct buffer, for
     * {@link #putInbox(long, long, ByteBuffer)}: RocksDB takes a whole array or a direct buffer, and one copy
     * into a buffer kept for the purpose costs no array per message. Valid until the next call.
     *
     * @return the buffer, positioned at 0, limited at {@code length}.
     */
    public ByteBuffer valueBuffer(final byte[] bytes, final int length)
    {
        if (value.capacity() < length)
        {
            value = ByteBuffer.allocateDirect(Math.max(length, 2 * value.capacity()));
        }
        value.clear();
        value.put(bytes, 0, length).flip();
        return value;
    }

    /**
     * Adds an inbox entry whose message is the remaining bytes of a direct buffer (for example from
     * {@link #valueBuffer(byte[], int)}). The buffer's position is left as it was, so the same bytes can be
     * put again (the sender's copy and the recipient's).
     *
     * @param userId  owner of the inbox, positive.
     * @param seq     position in that inbox, positive.
     * @param message a direct buffer holding the message bytes; copied.
     */
    public void putInbox(final long userId, final long seq, final ByteBuffer message)
    {
        Layout.checkId("userId", userId);
        Layout.checkId("seq", seq);
        ensureUsable("journal batch put inbox");
        inboxKeyBuffer.clear();
        inboxKeyBuffer.putLong(0, userId).putLong(Layout.SEQ_OFFSET, seq);
        final int position = message.position();
        try
        {
            writeBatch.put(inbox, inboxKeyBuffer, message);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("journal batch put inbox", ex);
        }
        finally
        {
            message.position(position);
        }
        count++;
    }

    /**
     * Records the head seq of a user's inbox, which never expires, so a seq is never reused even after
     * retention removed every entry. It may come in a later batch than the entries it counts (a head is
     * read as the larger of this record and the last inbox key), if it comes before they can expire and
     * the writer {@linkplain XinStore#holdHeads() holds} the heads meanwhile.
     *
     * @param userId  owner of the inbox, positive.
     * @param headSeq the highest seq assigned in that inbox.
     */
    public void putHead(final long userId, final long headSeq)
    {
        Layout.checkId("userId", userId);
        ensureUsable("journal batch put head");
        Layout.headKey(headKey, userId);
        Layout.putLong(longValue, 0, headSeq);
        try
        {
            writeBatch.put(meta, headKey, longValue);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("journal batch put head", ex);
        }
        count++;
    }

    /**
     * Remembers a (sender, client message id) so a resend is answered with the original ids. Expires
     * after the configured dedupe retention.
     *
     * @param senderId     the sending user, positive.
     * @param clientMsgId  the sender's id of the message; copied.
     * @param msgId        the server-wide message id assigned.
     * @param senderSeq    seq of the copy in the sender's own inbox.
     * @param serverTimeMs when the switch stored it, epoch milliseconds.
     */
    public void putDedupe(
        final long senderId, final byte[] clientMsgId, final long msgId, final long senderSeq, final long serverTimeMs)
    {
        putDedupe(senderId, clientMsgId, clientMsgId.length, msgId, senderSeq, serverTimeMs);
    }

    /**
     * {@link #putDedupe(long, byte[], long, long, long)} of an id held in the first bytes of a reused array, so
     * the caller need not make an array of the id's exact length. The key is the same.
     *
     * @param senderId          the sending user, positive.
     * @param clientMsgId       holds the sender's id of the message at {@code [0, clientMsgIdLength)}; copied.
     * @param clientMsgIdLength bytes of the id.
     * @param msgId             the server-wide message id assigned.
     * @param senderSeq         seq of the copy in the sender's own inbox.
     * @param serverTimeMs      when the switch stored it, epoch milliseconds.
     */
    public void putDedupe(
        final long senderId,
        final byte[] clientMsgId,
        final int clientMsgIdLength,
        final long msgId,
        final long senderSeq,
        final long serverTimeMs)
    {
        putDedupe(DedupeRecord.Kind.SEND, senderId, 0, clientMsgId, clientMsgIdLength, msgId, senderSeq, serverTimeMs);
    }

    /**
     * Remembers a (sender, channel, client message id) of a {@code CHANNEL_POST} so a repost to that channel is
     * answered with the original ids; a Send, or a post to another channel, with the same id never finds it.
     *
     * @param senderId          the posting user, positive.
     * @param channelId         the channel posted to, positive.
     * @param clientMsgId       holds the sender's id of the post at {@code [0, clientMsgIdLength)}; copied.
     * @param clientMsgIdLength bytes of the id.
     * @param msgId             the server-wide message id assigned.
     * @param channelSeq        seq of the post in its channel.
     * @param serverTimeMs      when the switch stored it, epoch milliseconds.
     */
    public void putPostDedupe(
        final long senderId,
        final long channelId,
        final byte[] clientMsgId,
        final int clientMsgIdLength,
        final long msgId,
        final long channelSeq,
        final long serverTimeMs)
    {
        Layout.checkId("channelId", channelId);
        putDedupe(
            DedupeRecord.Kind.CHANNEL_POST, senderId, channelId, clientMsgId, clientMsgIdLength, msgId, channelSeq,
            serverTimeMs);
    }

    private void putDedupe(
        final DedupeRecord.Kind kind,
        final long senderId,
        final long channelId,
        final byte[] clientMsgId,
        final int clientMsgIdLength,
        final long msgId,
        final long senderSeq,
        final long serverTimeMs)
    {
        Layout.checkId("senderId", senderId);
        final int keyLength = Layout.dedupeKeyLength(kind, clientMsgId, clientMsgIdLength);
        ensureUsable("journal batch put dedupe");
        final ByteBuffer key = variableKey(keyLength);
        Layout.dedupeKey(key, kind, senderId, channelId, clientMsgId, clientMsgIdLength);
        dedupeValue.clear();
        dedupeValue.putLong(msgId).putLong(senderSeq).putLong(serverTimeMs).put(kind.tag).flip();
        try
        {
            writeBatch.put(dedupe, key, dedupeValue);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("journal batch put dedupe", ex);
        }
        count++;
    }

    /**
     * Records how far a device has acknowledged its user's inbox.
     *
     * @param userId   owner of the inbox, positive.
     * @param deviceId the device; copied.
     * @param seq      the highest seq the device acknowledged.
     */
    public void putCursor(final long userId, final byte[] deviceId, final long seq)
    {
        Layout.checkId("userId", userId);
        ensureUsable("journal batch put cursor");
        final ByteBuffer key = variableKey(Layout.cursorKeyLength(deviceId));
        Layout.cursorKey(key, userId, deviceId);
        cursorValue.clear();
        cursorValue.putLong(seq).flip();
        try
        {
            writeBatch.put(meta, key, cursorValue);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("journal batch put cursor", ex);
        }
        count++;
    }

    /**
     * Records the highest server-wide message id that may have been assigned (shard 0): a restart resumes
     * after it. Written with the first message of each block of ids reserved, and exactly at a clean stop.
     *
     * @param msgId the highest message id reserved (or assigned) so far.
     */
    public void putLastMsgId(final long msgId)
    {
        ensureUsable("journal batch put last msg id");
        Layout.putLong(longValue, 0, msgId);
        try
        {
            writeBatch.put(meta, lastMsgIdKey, longValue);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("journal batch put last msg id", ex);
        }
        count++;
    }

    /**
     * Records the highest message id one journal shard may have assigned (see {@link #putLastMsgId(long)}).
     *
     * @param shard the journal shard, 0 for a single journal.
     * @param msgId the highest message id that shard reserved (or assigned) so far.
     */
    public void putLastMsgId(final int shard, final long msgId)
    {
        if (shard < 0)
        {
            throw new IllegalArgumentException("shard must not be negative: " + shard);
        }
        if (lastMsgIdShard != shard)
        {
            lastMsgIdKey = Layout.lastMsgIdKey(shard);
            lastMsgIdShard = shard;
        }
        putLastMsgId(msgId);
    }

    /**
     * Adds a hand-off: a message stored by the sender's journal shard for a recipient of another shard,
     * kept until that shard appends it with {@link #deleteOutbox(long, long)} in its own batch.
     *
     * @param msgId       the message id, positive.
     * @param recipientId the recipient, positive.
     * @param message     the stored message bytes; copied.
     */
    public void putOutbox(final long msgId, final long recipientId, final byte[] message)
    {
        Layout.checkId("msgId", msgId);
        Layout.checkId("recipientId", recipientId);
        ensureUsable("journal batch put outbox");
        Layout.outboxKey(outboxKey, msgId, recipientId);
        try
        {
            writeBatch.put(meta, outboxKey, message);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("journal batch put outbox", ex);
        }
        count++;
    }

    /**
     * Removes a hand-off once its recipient's inbox entry is in the same batch.
     *
     * @param msgId       the message id, positive.
     * @param recipientId the recipient, positive.
     */
    public void deleteOutbox(final long msgId, final long recipientId)
    {
        Layout.checkId("msgId", msgId);
        Layout.checkId("recipientId", recipientId);
        ensureUsable("journal batch delete outbox");
        Layout.outboxKey(outboxKey, msgId, recipientId);
        try
        {
            writeBatch.delete(meta, outboxKey);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("journal batch delete outbox", ex);
        }
        count++;
    }

    /**
     * @return the number of puts since the batch was last cleared.
     */
    public int count()
    {
        return count;
    }

    /**
     * @return the size of the batch's serialised representation in bytes, before the 4-byte write
     * time TtlDB appends to each value.
     */
    public long dataSizeBytes()
    {
        return closed ? 0 : writeBatch.getDataSize();
    }

    /**
     * Drops every put, keeping the allocated buffers for reuse. A no-op once closed.
     */
    public void clear()
    {
        if (!closed)
        {
            writeBatch.clear();
        }
        count = 0;
    }

    /**
     * Releases the native batch. Idempotent; the batch cannot be used afterwards.
     */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            count = 0;
            writeBatch.close();
        }
    }

    WriteBatch writeBatch()
    {
        return writeBatch;
    }

    XinStore store()
    {
        return store;
    }

    boolean isClosed()
    {
        return closed;
    }

    /** Counts a put made into {@link #writeBatch()} by {@link AudienceBatch}. */
    void counted()
    {
        count++;
    }

    void ensureUsable(final String operation)
    {
        if (closed)
        {
            throw new IllegalStateException("journal batch is closed");
        }
        store.ensureOpen(operation);
    }

    private ByteBuffer variableKey(final int length)
    {
        if (variableKey.capacity() < length)
        {
            variableKey = ByteBuffer.allocateDirect(Math.max(length, 2 * variableKey.capacity()));
        }
        variableKey.clear();
        return variableKey;
    }
}
