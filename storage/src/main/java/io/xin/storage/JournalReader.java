package io.xin.storage;

import org.rocksdb.ReadOptions;

/**
 * The point reads of one journal thread: inbox heads, dedupe records and device cursors. Each
 * journal shard owns one, because the reads reuse its key and value buffers instead of allocating.
 * Not thread-safe: use it from the thread that owns it only.
 */
public final class JournalReader implements AutoCloseable
{
    private static final int INITIAL_VARIABLE_KEY_LENGTH = 128;

    private final XinStore store;
    /** Inbox iterators stay within the user they seek to, as a memtable hashed by user requires. */
    final ReadOptions readOptions = new ReadOptions().setPrefixSameAsStart(true);
    final byte[] headKey = new byte[Layout.META_USER_KEY_LENGTH];
    final byte[] inboxKey = new byte[Layout.INBOX_KEY_LENGTH];
    final byte[] longValue = new byte[Layout.LONG_LENGTH];
    final byte[] dedupeValue = new byte[Layout.DEDUPE_VALUE_LENGTH];
    /** Grows to the longest dedupe or cursor key seen. */
    private byte[] variableKey = new byte[INITIAL_VARIABLE_KEY_LENGTH];

    JournalReader(final XinStore store)
    {
        this.store = store;
    }

    /** See {@link XinStore#readHeadSeq(long)}. */
    public long readHeadSeq(final long userId)
    {
        return store.readHeadSeq(this, userId);
    }

    /** See {@link XinStore#readDedupe(long, byte[])}. */
    public DedupeRecord readDedupe(final long senderId, final byte[] clientMsgId)
    {
        return store.readDedupe(this, senderId, clientMsgId, clientMsgId.length);
    }

    /** See {@link XinStore#readDedupe(long, byte[], int)}. */
    public DedupeRecord readDedupe(final long senderId, final byte[] clientMsgId, final int clientMsgIdLength)
    {
        return store.readDedupe(this, senderId, clientMsgId, clientMsgIdLength);
    }

    /** See {@link XinStore#readPostDedupe(long, long, byte[], int)}. */
    public DedupeRecord readPostDedupe(
        final long senderId, final long channelId, final byte[] clientMsgId, final int clientMsgIdLength)
    {
        return store.readPostDedupe(this, senderId, channelId, clientMsgId, clientMsgIdLength);
    }

    /** See {@link XinStore#readCursor(long, byte[])}. */
    public long readCursor(final long userId, final byte[] deviceId)
    {
        return store.readCursor(this, userId, deviceId);
    }

    byte[] variableKey(final int length)
    {
        if (variableKey.length < length)
        {
            variableKey = new byte[Math.max(length, 2 * variableKey.length)];
        }
        return variableKey;
    }

    @Override
    public void close()
    {
        readOptions.close();
    }
}
