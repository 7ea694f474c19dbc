package io.xin.storage;

import java.nio.ByteBuffer;


/**
 * The writes of one journal batch, encoded as one message-log entry ({@link EntryFormat}): the journal fills it
 * during a Disruptor batch, {@linkplain XinStore#append(JournalBatch) appends} it to its shard's log (the durable
 * step, after which the batch may be acknowledged), then {@linkplain XinStore#apply(JournalBatch) applies} it to
 * RocksDB, and reuses it. A message's bytes are written once into the entry, however many inboxes hold it.
 * <p>
 * Owned by the journal thread of one shard: it creates one with {@link XinStore#newBatch(int)}. Puts copy the key
 * and value bytes, so callers may reuse their arrays at once. Nothing is allocated per put once the entry buffer
 * has grown to the largest batch seen.
 */
public final class JournalBatch implements AutoCloseable
{
    private static final int INITIAL_ENTRY_CAPACITY = 64 * 1024;
    private static final int INITIAL_VALUE_CAPACITY = 4096;

    private final XinStore store;
    private final int shard;
    /** Owned by the journal thread: the entry being built, from index 0 to {@link #length}; direct, grown as needed. */
    private ByteBuffer entry = ByteBuffer.allocateDirect(INITIAL_ENTRY_CAPACITY).order(EntryFormat.ORDER);
    /** Owned by the journal thread. */
    private int length;
    /** Owned by the journal thread: ops in the entry. */
    private int count;
    /** Owned by the journal thread: the buffer {@link #valueBuffer} returned last, while it is the entry's payload. */
    private ByteBuffer payloadBuffer;
    /** Owned by the journal thread: the last entry appended ends here in the log; -1 while not appended. */
    private long appendedEnd = -1;

    /** Owned by the journal thread. */
    private final byte[] inboxKey = new byte[Layout.INBOX_KEY_LENGTH];
    /** Owned by the journal thread. */
    private final byte[] headKey = new byte[Layout.META_USER_KEY_LENGTH];
    /** Owned by the journal thread: the key of {@link #lastMsgIdShard}'s reservation, made once. */
    private byte[] lastMsgIdKey;
    /** Owned by the journal thread. */
    private int lastMsgIdShard;
    /** Owned by the journal thread. */
    private final byte[] outboxKey = new byte[Layout.OUTBOX_KEY_LENGTH];
    /** Owned by the journal thread. */
    private final byte[] longValue = new byte[Layout.LONG_LENGTH];
    /** Owned by the journal thread. */
    private final byte[] dedupeValue = new byte[Layout.DEDUPE_VALUE_LENGTH];
    /** Owned by the journal thread: variable-length keys, grown as needed. */
    private byte[] variableKey = new byte[128];
    /** Owned by the journal thread: the payload of {@link #valueBuffer(byte[], int)}, grown as needed. */
    private ByteBuffer value = ByteBuffer.allocateDirect(INITIAL_VALUE_CAPACITY);
    /** Owned by the journal thread. */
    private boolean closed;
    /** Owned by the journal thread: turns the entry into RocksDB writes; set by the store. */
    EntryApplier applier;

    JournalBatch(final XinStore store, final int shard)
    {
        this.store = store;
        this.shard = shard;
    }

    /** The journal shard whose log this batch is appended to. */
    public int shard()
    {
        return shard;
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
        payload(message, message.length);
        putInboxPayload(userId, seq);
    }

    /**
     * Makes {@code length} bytes of {@code bytes} the payload of the {@link #putInboxPayload} and
     * {@link #putOutboxPayload} that follow: written into the entry once, however many keys then take it.
     */
    public void payload(final byte[] bytes, final int length)
    {
        ensureUsable("journal batch payload");
        final int at = reserve(EntryFormat.PAYLOAD_HEADER_LENGTH + length);
        entry.put(at, EntryFormat.PAYLOAD);
        entry.putInt(at + 1, length);
        entry.put(at + EntryFormat.PAYLOAD_HEADER_LENGTH, bytes, 0, length);
        payloadBuffer = null;
    }

    /**
     * Adds an inbox entry holding the current {@linkplain #payload payload}.
     *
     * @param userId owner of the inbox, positive.
     * @param seq    position in that inbox, positive.
     */
    public void putInboxPayload(final long userId, final long seq)
    {
        Layout.checkId("userId", userId);
        Layout.checkId("seq", seq);
        Layout.inboxKey(inboxKey, userId, seq);
        putPayloadKey(EntryFormat.CF_INBOX, inboxKey, inboxKey.length, "journal batch put inbox");
    }

    /**
     * Copies {@code length} bytes of {@code bytes} into this batch as its payload ({@link #payload}) and into a
     * reused direct buffer, returned for {@link #putInbox(long, long, ByteBuffer)}: puts of that buffer take the
     * payload without copying the bytes again. Valid until the next call; the buffer must not be written to.
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
        payload(bytes, length);
        payloadBuffer = value;
        return value;
    }

    /**
     * Adds an inbox entry whose message is the remaining bytes of a buffer: the payload, when it is the buffer
     * {@link #valueBuffer(byte[], int)} returned last (the sender's copy and the recipient's share its bytes),
     * otherwise a copy. The buffer's position is left as it was.
     *
     * @param userId  owner of the inbox, positive.
     * @param seq     position in that inbox, positive.
     * @param message the message bytes.
     */
    public void putInbox(final long userId, final long seq, final ByteBuffer message)
    {
        if (message != payloadBuffer)
        {
            final byte[] bytes = new byte[message.remaining()];
            message.duplicate().get(bytes);
            payload(bytes, bytes.length);
        }
        putInboxPayload(userId, seq);
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
        Layout.headKey(headKey, userId);
        Layout.putLong(longValue, 0, headSeq);
        put(EntryFormat.CF_META, headKey, headKey.length, longValue, longValue.length, "journal batch put head");
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
        final byte[] key = variableKey(keyLength);
        Layout.dedupeKey(key, kind, senderId, channelId, clientMsgId, clientMsgIdLength);
        Layout.putLong(dedupeValue, Layout.DEDUPE_MSG_ID_OFFSET, msgId);
        Layout.putLong(dedupeValue, Layout.DEDUPE_SENDER_SEQ_OFFSET, senderSeq);
        Layout.putLong(dedupeValue, Layout.DEDUPE_TIME_MS_OFFSET, serverTimeMs);
        dedupeValue[Layout.DEDUPE_KIND_OFFSET] = kind.tag;
        put(EntryFormat.CF_DEDUPE, key, keyLength, dedupeValue, dedupeValue.length, "journal batch put dedupe");
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
        final int keyLength = Layout.cursorKeyLength(deviceId);
        final byte[] key = variableKey(keyLength);
        Layout.cursorKey(key, userId, deviceId);
        Layout.putLong(longValue, 0, seq);
        put(EntryFormat.CF_META, key, keyLength, longValue, longValue.length, "journal batch put cursor");
    }

    /**
     * Records the highest server-wide message id that may have been assigned (shard 0): a restart resumes
     * after it. Written with the first message of each block of ids reserved, and exactly at a clean stop.
     *
     * @param msgId the highest message id reserved (or assigned) so far.
     */
    public void putLastMsgId(final long msgId)
    {
        putLastMsgId(0, msgId);
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
        if (lastMsgIdKey == null || lastMsgIdShard != shard)
        {
            lastMsgIdKey = Layout.lastMsgIdKey(shard);
            lastMsgIdShard = shard;
        }
        Layout.putLong(longValue, 0, msgId);
        put(EntryFormat.CF_META, lastMsgIdKey, lastMsgIdKey.length, longValue, longValue.length,
            "journal batch put last msg id");
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
        payload(message, message.length);
        putOutboxPayload(msgId, recipientId);
    }

    /**
     * {@link #putOutbox(long, long, byte[])} of the current {@linkplain #payload payload}.
     *
     * @param msgId       the message id, positive.
     * @param recipientId the recipient, positive.
     */
    public void putOutboxPayload(final long msgId, final long recipientId)
    {
        Layout.checkId("msgId", msgId);
        Layout.checkId("recipientId", recipientId);
        Layout.outboxKey(outboxKey, msgId, recipientId);
        putPayloadKey(EntryFormat.CF_META, outboxKey, outboxKey.length, "journal batch put outbox");
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
        Layout.outboxKey(outboxKey, msgId, recipientId);
        delete(EntryFormat.CF_META, outboxKey, outboxKey.length, "journal batch delete outbox");
    }

    /**
     * @return the number of puts and deletes since the batch was last cleared.
     */
    public int count()
    {
        return count;
    }

    /**
     * @return the bytes of the log entry so far.
     */
    public long dataSizeBytes()
    {
        return length;
    }

    /**
     * Drops every put, keeping the allocated buffers for reuse. A no-op once closed.
     */
    public void clear()
    {
        length = 0;
        count = 0;
        payloadBuffer = null;
        appendedEnd = -1;
    }

    /**
     * Makes the batch unusable. Idempotent.
     */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            clear();
            if (applier != null)
            {
                applier.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ for the store

    void put(
        final byte cf,
        final byte[] key,
        final int keyLength,
        final byte[] valueBytes,
        final int valueLength,
        final String operation)
    {
        ensureUsable(operation);
        checkKeyLength(keyLength);
        final int at = reserve(EntryFormat.PUT_HEADER_LENGTH + keyLength + valueLength);
        entry.put(at, EntryFormat.PUT);
        entry.put(at + 1, cf);
        entry.putShort(at + 2, (short)keyLength);
        entry.putInt(at + 4, valueLength);
        entry.put(at + EntryFormat.PUT_HEADER_LENGTH, key, 0, keyLength);
        entry.put(at + EntryFormat.PUT_HEADER_LENGTH + keyLength, valueBytes, 0, valueLength);
        count++;
    }

    void delete(final byte cf, final byte[] key, final int keyLength, final String operation)
    {
        keyOnly(EntryFormat.DELETE, cf, key, keyLength, operation);
    }

    private void putPayloadKey(final byte cf, final byte[] key, final int keyLength, final String operation)
    {
        keyOnly(EntryFormat.PUT_PAYLOAD, cf, key, keyLength, operation);
    }

    /** An op of a key and no value of its own: a DELETE, or a PUT_PAYLOAD of the current payload. */
    private void keyOnly(final byte op, final byte cf, final byte[] key, final int keyLength, final String operation)
    {
        ensureUsable(operation);
        checkKeyLength(keyLength);
        final int at = reserve(EntryFormat.KEY_HEADER_LENGTH + keyLength);
        entry.put(at, op);
        entry.put(at + 1, cf);
        entry.putShort(at + 2, (short)keyLength);
        entry.put(at + EntryFormat.KEY_HEADER_LENGTH, key, 0, keyLength);
        count++;
    }

    /** Grows the entry by {@code bytes}, starting it with its version byte if empty, and returns where they go. */
    private int reserve(final int bytes)
    {
        entry.limit(entry.capacity());
        if (length == 0)
        {
            entry.put(0, EntryFormat.VERSION);
            length = 1;
        }
        final int at = length;
        if (at + bytes > entry.capacity())
        {
            final ByteBuffer grown = ByteBuffer.allocateDirect(Math.max(at + bytes, 2 * entry.capacity()))
                .order(EntryFormat.ORDER);
            grown.put(0, entry, 0, at);
            entry = grown;
        }
        length = at + bytes;
        return at;
    }

    /**
     * The entry's bytes: a view of the batch's buffer from 0 to the entry's length, valid until the batch is cleared.
     * What a replicated log (cluster mode) appends.
     */
    public ByteBuffer entry()
    {
        return entry.limit(length).position(0);
    }

    int length()
    {
        return length;
    }

    long appendedEnd()
    {
        return appendedEnd;
    }

    void appendedEnd(final long position)
    {
        appendedEnd = position;
    }

    XinStore store()
    {
        return store;
    }

    boolean isClosed()
    {
        return closed;
    }

    void ensureUsable(final String operation)
    {
        if (closed)
        {
            throw new IllegalStateException("journal batch is closed");
        }
        if (appendedEnd >= 0)
        {
            throw new IllegalStateException("journal batch is appended and not yet applied: " + operation);
        }
        store.ensureOpen(operation);
    }

    private static void checkKeyLength(final int keyLength)
    {
        if (keyLength > EntryFormat.MAX_KEY_LENGTH)
        {
            throw new IllegalArgumentException("key of " + keyLength + " bytes is longer than " +
                EntryFormat.MAX_KEY_LENGTH);
        }
    }

    private byte[] variableKey(final int keyLength)
    {
        if (variableKey.length < keyLength)
        {
            variableKey = new byte[Math.max(keyLength, 2 * variableKey.length)];
        }
        return variableKey;
    }
}
