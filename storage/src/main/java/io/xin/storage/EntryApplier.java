package io.xin.storage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Turns message-log entries ({@link EntryFormat}) into one RocksDB {@link WriteBatch}: what the journal appended,
 * applied after the append (live), or replayed from the log at open (recovery). Keys and values are handed to
 * RocksDB as views of the entry's own direct memory, so applying copies nothing and allocates nothing per op.
 * <p>
 * Owned by one thread at a time: a journal shard's, or the thread opening the store.
 */
final class EntryApplier implements AutoCloseable
{
    private final WriteBatch writeBatch = new WriteBatch();
    /** Indexed by {@link EntryFormat}'s column family numbers. */
    private final ColumnFamilyHandle[] handles;
    /** Entries not already in direct memory are copied here first; grown as needed. */
    private ByteBuffer copy = ByteBuffer.allocateDirect(0);
    /** The direct memory the views are of. */
    private ByteBuffer viewed;
    private ByteBuffer keyView;
    private ByteBuffer valueView;
    private final byte[] positionValue = new byte[Layout.LONG_LENGTH];
    /** When set (recovery), the keys of every outbox record an entry deletes are added to it. */
    private List<byte[]> outboxDeletes;
    /** When set (standby copies), each relation record an entry writes or deletes: user, peer, state (0 deleted). */
    private long[] relations;
    private int relationsLength;

    EntryApplier(final ColumnFamilyHandle inbox, final ColumnFamilyHandle dedupe, final ColumnFamilyHandle meta,
        final ColumnFamilyHandle timeline)
    {
        handles = new ColumnFamilyHandle[]{ null, inbox, dedupe, meta, timeline };
    }

    WriteBatch writeBatch()
    {
        return writeBatch;
    }

    void collectOutboxDeletes(final List<byte[]> deletes)
    {
        outboxDeletes = deletes;
    }

    /** From now on keeps the relation records the entries write or delete, for {@link #forEachRelation}. */
    void collectRelations()
    {
        relations = new long[3 * 16];
    }

    /** Tells {@code listener} of every relation record collected, in entry order. */
    void forEachRelation(final XinStore.RelationsApplied listener)
    {
        for (int i = 0; i < relationsLength; i += 3)
        {
            listener.relationApplied(relations[i], relations[i + 1], (int)relations[i + 2]);
        }
    }

    void clear()
    {
        writeBatch.clear();
        relationsLength = 0;
    }

    /** Bytes of the write batch so far. */
    long size()
    {
        return writeBatch.getDataSize();
    }

    /**
     * Adds the ops of one entry to the write batch.
     *
     * @throws StorageException if the entry is malformed.
     */
    void add(final ByteBuffer entry)
    {
        final int length = entry.remaining();
        if (entry.isDirect())
        {
            view(entry);
            decode(entry, entry.position(), length);
        }
        else
        {
            if (copy.capacity() < length)
            {
                copy = ByteBuffer.allocateDirect(Math.max(length, 2 * copy.capacity()));
            }
            copy.clear();
            copy.put(0, entry, entry.position(), length);
            view(copy);
            decode(copy, 0, length);
        }
    }

    /** Records, in the same write, how far this shard's log is applied. */
    void putAppliedPosition(final byte[] key, final long position)
    {
        Layout.putLong(positionValue, 0, position);
        try
        {
            writeBatch.put(handles[EntryFormat.CF_META], key, positionValue);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("apply log position", ex);
        }
    }

    @Override
    public void close()
    {
        writeBatch.close();
    }

    private void view(final ByteBuffer direct)
    {
        if (direct != viewed)
        {
            viewed = direct;
            keyView = direct.duplicate();
            valueView = direct.duplicate();
        }
    }

    /** Reads with absolute, little-endian gets at indexes of {@code buffer}, whose views {@link #view} made. */
    private void decode(final ByteBuffer buffer, final int offset, final int length)
    {
        final int end = offset + length;
        if (length < 1 || buffer.get(offset) != EntryFormat.VERSION)
        {
            throw new StorageException("log entry of unknown version " + (length < 1 ? "(empty)" :
                Byte.toString(buffer.get(offset))));
        }
        int at = offset + 1;
        int payloadAt = -1;
        int payloadLength = 0;
        try
        {
            while (at < end)
            {
                final byte op = buffer.get(at);
                switch (op)
                {
                    case EntryFormat.PUT ->
                    {
                        checkWithin(at + (long)EntryFormat.PUT_HEADER_LENGTH, end, at);
                        final int keyLength = getShort(buffer, at + 2) & 0xFFFF;
                        final int valueLength = getInt(buffer, at + 4);
                        checkLength(valueLength, at);
                        final int keyAt = at + EntryFormat.PUT_HEADER_LENGTH;
                        checkWithin(keyAt + keyLength + (long)valueLength, end, at);
                        writeBatch.put(handle(buffer.get(at + 1), at), key(keyAt, keyLength),
                            value(keyAt + keyLength, valueLength));
                        if (relations != null && isRelation(buffer, at + 1, keyAt, keyLength))
                        {
                            addRelation(buffer, keyAt, valueLength > 0 ? buffer.get(keyAt + keyLength) & 0xFF : 0);
                        }
                        at = keyAt + keyLength + valueLength;
                    }
                    case EntryFormat.PAYLOAD ->
                    {
                        checkWithin(at + (long)EntryFormat.PAYLOAD_HEADER_LENGTH, end, at);
                        payloadLength = getInt(buffer, at + 1);
                        checkLength(payloadLength, at);
                        payloadAt = at + EntryFormat.PAYLOAD_HEADER_LENGTH;
                        checkWithin(payloadAt + (long)payloadLength, end, at);
                        at = payloadAt + payloadLength;
                    }
                    case EntryFormat.PUT_PAYLOAD ->
                    {
                        checkWithin(at + (long)EntryFormat.KEY_HEADER_LENGTH, end, at);
                        final int keyLength = getShort(buffer, at + 2) & 0xFFFF;
                        final int keyAt = at + EntryFormat.KEY_HEADER_LENGTH;
                        checkWithin(keyAt + (long)keyLength, end, at);
                        if (payloadAt < 0)
                        {
                            throw new StorageException("log entry puts a payload before any at offset " + at);
                        }
                        writeBatch.put(handle(buffer.get(at + 1), at), key(keyAt, keyLength),
                            value(payloadAt, payloadLength));
                        at = keyAt + keyLength;
                    }
                    case EntryFormat.DELETE ->
                    {
                        checkWithin(at + (long)EntryFormat.KEY_HEADER_LENGTH, end, at);
                        final byte cf = buffer.get(at + 1);
                        final int keyLength = getShort(buffer, at + 2) & 0xFFFF;
                        final int keyAt = at + EntryFormat.KEY_HEADER_LENGTH;
                        checkWithin(keyAt + (long)keyLength, end, at);
                        writeBatch.delete(handle(cf, at), key(keyAt, keyLength));
                        if (outboxDeletes != null && cf == EntryFormat.CF_META && keyLength > 0 &&
                            buffer.get(keyAt) == Layout.META_OUTBOX_TAG)
                        {
                            final byte[] key = new byte[keyLength];
                            buffer.get(keyAt, key);
                            outboxDeletes.add(key);
                        }
                        if (relations != null && isRelation(buffer, at + 1, keyAt, keyLength))
                        {
                            addRelation(buffer, keyAt, 0);
                        }
                        at = keyAt + keyLength;
                    }
                    default -> throw new StorageException("log entry holds unknown op " + op + " at offset " + at);
                }
            }
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("apply log entry", ex);
        }
    }

    private static boolean isRelation(final ByteBuffer buffer, final int cfAt, final int keyAt, final int keyLength)
    {
        return buffer.get(cfAt) == EntryFormat.CF_META && keyLength == FriendLayout.RELATION_KEY_LENGTH &&
            buffer.get(keyAt) == FriendLayout.RELATION_TAG;
    }

    private void addRelation(final ByteBuffer buffer, final int keyAt, final int state)
    {
        if (relationsLength == relations.length)
        {
            relations = Arrays.copyOf(relations, relationsLength * 2);
        }
        relations[relationsLength++] = getLongBigEndian(buffer, keyAt + 1);
        relations[relationsLength++] = getLongBigEndian(buffer, keyAt + FriendLayout.PEER_OFFSET);
        relations[relationsLength++] = state;
    }

    /** The layouts' keys are big-endian whatever the entry's own byte order. */
    private static long getLongBigEndian(final ByteBuffer buffer, final int index)
    {
        final long value = buffer.getLong(index);
        return buffer.order() == ByteOrder.BIG_ENDIAN ? value : Long.reverseBytes(value);
    }

    private static short getShort(final ByteBuffer buffer, final int index)
    {
        final short value = buffer.getShort(index);
        return buffer.order() == EntryFormat.ORDER ? value : Short.reverseBytes(value);
    }

    private static int getInt(final ByteBuffer buffer, final int index)
    {
        final int value = buffer.getInt(index);
        return buffer.order() == EntryFormat.ORDER ? value : Integer.reverseBytes(value);
    }

    private ByteBuffer key(final int at, final int length)
    {
        final int from = at;
        keyView.clear();
        keyView.position(from);
        keyView.limit(from + length);
        return keyView;
    }

    private ByteBuffer value(final int at, final int length)
    {
        final int from = at;
        valueView.clear();
        valueView.position(from);
        valueView.limit(from + length);
        return valueView;
    }

    private ColumnFamilyHandle handle(final byte cf, final int at)
    {
        if (cf < EntryFormat.CF_INBOX || cf > EntryFormat.CF_TIMELINE)
        {
            throw new StorageException("log entry names unknown column family " + cf + " at offset " + at);
        }
        return handles[cf];
    }

    private static void checkLength(final int length, final int at)
    {
        if (length < 0)
        {
            throw new StorageException("log entry op at offset " + at + " has a negative length " + length);
        }
    }

    private static void checkWithin(final long opEnd, final int entryEnd, final int at)
    {
        if (opEnd > entryEnd)
        {
            throw new StorageException("log entry op at offset " + at + " runs past the entry's end");
        }
    }
}
