package io.xin.storage;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.agrona.collections.IntArrayList;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Contact discovery's registrations in the store: which user registered which tag (the first 16 bytes of the
 * PRF output of a phone number, never the number) under which PRF key. One meta record each, under its own tag:
 * <pre>
 *   meta  'd' | key_id(4 BE) | user_id(8 BE)  -> tag(16)
 * </pre>
 * so the registrations of one key are one contiguous range: read by a scan at start to rebuild the in-memory index,
 * and deleted as one range when their key is retired. A user's own record is found by its key, for a change.
 * <p>
 * Unlike the journal's writes, these do not go through a shard's message log: they are written with RocksDB's own
 * write-ahead log, without an fsync, so they survive a crash of the process (not always a power cut, which at worst
 * loses a registration the client makes again at its next login). They are not part of the journal, so cluster
 * standbys do not get them (the switch serves discovery on a single node only).
 * <p>
 * Threading: any thread; the discovery directory is the only writer and serialises its writes.
 */
public final class DiscoveryRegistrations
{
    static final byte TAG = 'd';
    /** Bytes of a registered tag. */
    public static final int TAG_LENGTH = 16;
    private static final int KEY_PREFIX_LENGTH = 1 + Integer.BYTES;
    private static final int KEY_LENGTH = KEY_PREFIX_LENGTH + Layout.LONG_LENGTH;

    private final XinStore store;

    DiscoveryRegistrations(final XinStore store)
    {
        this.store = store;
    }

    /** One registration, as a scan reads it. */
    @FunctionalInterface
    public interface Visitor
    {
        /**
         * @param tag 16 bytes; valid during the call only.
         */
        void visit(long userId, byte[] tag);
    }

    /**
     * @return the tag {@code userId} registered under {@code keyId}, or null.
     */
    public byte[] read(final int keyId, final long userId)
    {
        final long stamp = store.lockShared();
        try
        {
            store.ensureOpen("read a discovery registration");
            final byte[] value = store.db().get(store.metaHandle(), key(keyId, userId));
            if (value != null && value.length != TAG_LENGTH)
            {
                throw new StorageException("read a discovery registration failed: value of " + value.length +
                    " bytes");
            }
            return value;
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read a discovery registration", ex);
        }
        finally
        {
            store.unlockShared(stamp);
        }
    }

    /**
     * Records {@code userId}'s tag under {@code keyId} and, in the same write, deletes the registration of
     * {@code displacedUserId} (the tag's earlier holder) under that key.
     *
     * @param displacedUserId 0 when none.
     */
    public void write(final int keyId, final long userId, final byte[] tag, final long displacedUserId)
    {
        if (tag.length != TAG_LENGTH)
        {
            throw new IllegalArgumentException("a tag is 16 bytes, was " + tag.length);
        }
        final long stamp = store.lockShared();
        try (WriteBatch batch = new WriteBatch(); WriteOptions options = new WriteOptions())
        {
            store.ensureOpen("write a discovery registration");
            if (displacedUserId != 0)
            {
                batch.delete(store.metaHandle(), key(keyId, displacedUserId));
            }
            batch.put(store.metaHandle(), key(keyId, userId), tag);
            store.db().write(options, batch);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("write a discovery registration", ex);
        }
        finally
        {
            store.unlockShared(stamp);
        }
    }

    public void delete(final int keyId, final long userId)
    {
        final long stamp = store.lockShared();
        try (WriteOptions options = new WriteOptions())
        {
            store.ensureOpen("delete a discovery registration");
            store.db().delete(store.metaHandle(), options, key(keyId, userId));
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("delete a discovery registration", ex);
        }
        finally
        {
            store.unlockShared(stamp);
        }
    }

    /** Deletes every registration under {@code keyId}, as one range. */
    public void deleteKey(final int keyId)
    {
        final long stamp = store.lockShared();
        try (WriteOptions options = new WriteOptions())
        {
            store.ensureOpen("delete the discovery registrations of a key");
            store.db().deleteRange(store.metaHandle(), options, prefix(keyId), upperBound(keyId));
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("delete the discovery registrations of a key", ex);
        }
        finally
        {
            store.unlockShared(stamp);
        }
    }

    /**
     * @return the number of registrations under {@code keyId}: a scan of its keys.
     */
    public long count(final int keyId)
    {
        final long[] count = new long[1];
        scan(keyId, false, (userId, tag) -> count[0]++);
        return count[0];
    }

    /** Calls {@code visitor} for each registration under {@code keyId}, in user id order (as unsigned). */
    public void forEach(final int keyId, final Visitor visitor)
    {
        scan(keyId, true, visitor);
    }

    /**
     * @return the key ids with at least one registration, ascending (as unsigned): one seek per key id.
     */
    public int[] keyIds()
    {
        final IntArrayList ids = new IntArrayList();
        final long stamp = store.lockShared();
        try (ReadOptions readOptions = new ReadOptions();
            RocksIterator iterator = store.db().newIterator(store.metaHandle(), readOptions))
        {
            store.ensureOpen("read the discovery key ids");
            final byte[] key = new byte[KEY_LENGTH];
            iterator.seek(new byte[]{ TAG });
            while (iterator.isValid())
            {
                final int length = iterator.key(key);
                if (length < KEY_PREFIX_LENGTH || key[0] != TAG)
                {
                    break;
                }
                final int keyId = ByteBuffer.wrap(key, 1, Integer.BYTES).getInt();
                ids.addInt(keyId);
                if (keyId == -1)
                {
                    break;
                }
                iterator.seek(prefix(keyId + 1));
            }
            iterator.status();
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read the discovery key ids", ex);
        }
        finally
        {
            store.unlockShared(stamp);
        }
        return ids.toIntArray();
    }

    private void scan(final int keyId, final boolean values, final Visitor visitor)
    {
        final long stamp = store.lockShared();
        try (ReadOptions readOptions = new ReadOptions();
            Slice lower = new Slice(prefix(keyId));
            Slice upper = new Slice(upperBound(keyId)))
        {
            store.ensureOpen("scan the discovery registrations");
            // A scan at start reads each block once: keep it out of the block cache the switch's reads use.
            readOptions.setIterateLowerBound(lower).setIterateUpperBound(upper).setFillCache(false);
            try (RocksIterator iterator = store.db().newIterator(store.metaHandle(), readOptions))
            {
                final byte[] key = new byte[KEY_LENGTH];
                final byte[] tag = new byte[TAG_LENGTH];
                for (iterator.seekToFirst(); iterator.isValid(); iterator.next())
                {
                    if (iterator.key(key) != KEY_LENGTH)
                    {
                        continue;
                    }
                    if (values && iterator.value(tag) != TAG_LENGTH)
                    {
                        continue;
                    }
                    visitor.visit(Layout.getLong(key, KEY_PREFIX_LENGTH), values ? tag : null);
                }
                iterator.status();
            }
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("scan the discovery registrations", ex);
        }
        finally
        {
            store.unlockShared(stamp);
        }
    }

    private static byte[] key(final int keyId, final long userId)
    {
        final byte[] key = Arrays.copyOf(prefix(keyId), KEY_LENGTH);
        Layout.putLong(key, KEY_PREFIX_LENGTH, userId);
        return key;
    }

    private static byte[] prefix(final int keyId)
    {
        return ByteBuffer.allocate(KEY_PREFIX_LENGTH).put(TAG).putInt(keyId).array();
    }

    /** The first key after every key of {@code keyId}: the next id's prefix, or the next tag after the last id. */
    private static byte[] upperBound(final int keyId)
    {
        return keyId == -1 ? new byte[]{ TAG + 1 } : prefix(keyId + 1);
    }

    @Override
    public String toString()
    {
        return "DiscoveryRegistrations{" + store + "}";
    }
}
