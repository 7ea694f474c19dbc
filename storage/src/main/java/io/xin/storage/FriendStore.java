package io.xin.storage;

import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Friends, blocks and privacy settings in the store: each user's own view of every peer it has a relation with,
 * and its privacy flags; layouts in {@link FriendLayout}. Writes go through a {@link FriendBatch} in the journal's
 * batch. The point reads of the send path are a {@link Reader}'s, which reuses its buffers; the range reads here
 * allocate: they run for a friend list, or once per login for presence, never per message.
 * <p>
 * Threading: every method may be called from any thread; the journal threads are the only writers.
 */
public final class FriendStore
{
    /** Privacy flag: strangers may message the user and add it to groups. */
    public static final byte ALLOWS_STRANGERS = 1;
    /** Privacy flag: friends do not see the user's presence. */
    public static final byte HIDES_PRESENCE = 2;
    /** {@link Reader#readPrivacy(long)} of a user who never set its privacy. */
    public static final int NO_SETTINGS = -1;

    private final XinStore store;

    FriendStore(final XinStore store)
    {
        this.store = store;
    }

    /**
     * @param batch the journal's batch.
     * @return a batch writer of relations and privacy; reuse it with the same journal batch.
     */
    public FriendBatch newBatch(final JournalBatch batch)
    {
        return new FriendBatch(batch);
    }

    /**
     * @return point reads for one thread (they reuse buffers); the caller closes it before the store.
     */
    public Reader newReader()
    {
        store.ensureOpen("new friend reader");
        return new Reader(store);
    }

    /**
     * Every relation of a user, by peer id, as RocksDB holds it now. Does not wait for the logs to be applied: for
     * readers kept up to date by the writers' notifications (presence), not for an answer that must show the
     * requester's own acknowledged changes ({@link #readFriendList(long)}).
     *
     * @param userId the user, positive.
     */
    public List<RelationRecord> readRelations(final long userId)
    {
        Layout.checkId("userId", userId);
        final long stamp = store.lockShared();
        try
        {
            store.ensureOpen("read relations");
            return scan(userId);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read relations", ex);
        }
        finally
        {
            store.unlockShared(stamp);
        }
    }

    /**
     * A user's relations and privacy flags, read once every log is applied up to where it was appended when the read
     * began (as a Sync page is), so the list shows every change the user was already answered for.
     *
     * @param userId the user, positive.
     */
    public FriendList readFriendList(final long userId)
    {
        return readFriendList(userId, 0, Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * One page of {@link #readFriendList(long)}: the relations with peers above {@code afterPeerId}, by peer id, up to
     * {@code maxEntries} of them and up to {@code maxBytes} of keys and values (the first always, whatever its size).
     *
     * @param userId      the user, positive.
     * @param afterPeerId the page starts after this peer (0: from the first).
     * @param maxEntries  at most this many relations, positive.
     * @param maxBytes    at most this many bytes of relation keys and values, positive.
     */
    public FriendList readFriendList(final long userId, final long afterPeerId, final int maxEntries, final int maxBytes)
    {
        Layout.checkId("userId", userId);
        if (afterPeerId < 0 || maxEntries <= 0 || maxBytes <= 0)
        {
            throw new IllegalArgumentException("afterPeerId must not be negative, maxEntries and maxBytes positive");
        }
        final long stamp = store.lockShared();
        try
        {
            store.ensureOpen("read friend list");
            store.awaitApplied();
            final List<RelationRecord> relations = new ArrayList<>();
            final boolean more = scan(userId, afterPeerId, maxEntries, maxBytes, relations);
            final byte[] key = new byte[FriendLayout.PRIVACY_KEY_LENGTH];
            FriendLayout.privacyKey(key, userId);
            final byte[] flags = store.db().get(store.metaHandle(), key);
            return new FriendList(relations, flags == null || flags.length == 0 ? NO_SETTINGS : flags[0], more);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read friend list", ex);
        }
        finally
        {
            store.unlockShared(stamp);
        }
    }

    private List<RelationRecord> scan(final long userId) throws RocksDBException
    {
        final List<RelationRecord> relations = new ArrayList<>();
        scan(userId, 0, Integer.MAX_VALUE, Integer.MAX_VALUE, relations);
        return relations;
    }

    /**
     * Adds the user's relations with peers above {@code afterPeerId} to {@code relations}, within the limits.
     *
     * @return true when a relation is left after the last one added.
     */
    private boolean scan(
        final long userId, final long afterPeerId, final int maxEntries, final int maxBytes,
        final List<RelationRecord> relations) throws RocksDBException
    {
        final byte[] first = new byte[FriendLayout.RELATION_KEY_LENGTH];
        FriendLayout.relationKey(first, userId, afterPeerId + 1);
        try (ReadOptions readOptions = new ReadOptions();
            Slice lower = new Slice(afterPeerId == 0 ? FriendLayout.relationPrefix(userId) : first);
            Slice upper = new Slice(upperBound(userId)))
        {
            readOptions.setIterateLowerBound(lower).setIterateUpperBound(upper);
            try (RocksIterator iterator = store.db().newIterator(store.metaHandle(), readOptions))
            {
                final byte[] key = new byte[FriendLayout.RELATION_KEY_LENGTH];
                long bytes = 0;
                for (iterator.seekToFirst(); iterator.isValid(); iterator.next())
                {
                    if (iterator.key(key) != FriendLayout.RELATION_KEY_LENGTH)
                    {
                        continue;
                    }
                    final byte[] value = iterator.value();
                    if (value.length == 0)
                    {
                        continue;
                    }
                    bytes += key.length + value.length;
                    if (relations.size() == maxEntries || bytes > maxBytes && !relations.isEmpty())
                    {
                        return true;
                    }
                    relations.add(new RelationRecord(FriendLayout.relationPeer(key), value[0],
                        new String(value, 1, value.length - 1, StandardCharsets.UTF_8)));
                }
                iterator.status();
            }
        }
        return false;
    }

    /** {@code 'R' | user_id + 1}: after every key of the user (user ids are positive, so no wrap to worry of). */
    private static byte[] upperBound(final long userId)
    {
        return FriendLayout.relationPrefix(userId + 1);
    }

    @Override
    public String toString()
    {
        return "FriendStore{" + store + "}";
    }

    /**
     * A user's relations and privacy flags.
     *
     * @param relations by peer id.
     * @param privacy   the flags, or {@link #NO_SETTINGS}.
     * @param more      whether relations follow the last of {@code relations} (a page of a longer list).
     */
    public record FriendList(List<RelationRecord> relations, int privacy, boolean more)
    {
    }

    /**
     * The point reads of the send path, on one thread: a relation's state and a user's privacy flags, each one
     * RocksDB get into a reused buffer, nothing allocated. Not thread-safe.
     */
    public static final class Reader implements AutoCloseable
    {
        private final XinStore store;
        private final ReadOptions readOptions = new ReadOptions();
        private final byte[] relationKey = new byte[FriendLayout.RELATION_KEY_LENGTH];
        private final byte[] privacyKey = new byte[FriendLayout.PRIVACY_KEY_LENGTH];
        /** One byte: the state or the flags. A longer value (a greeting after the state) is read in part. */
        private final byte[] value = new byte[1];

        Reader(final XinStore store)
        {
            this.store = store;
        }

        /**
         * @return the user's view of the peer as stored, 0 when there is none.
         */
        public byte readState(final long userId, final long peerId)
        {
            FriendLayout.relationKey(relationKey, userId, peerId);
            final int length = get(relationKey, "read relation");
            return length <= 0 ? 0 : value[0];
        }

        /**
         * @return the user's privacy flags, or {@link #NO_SETTINGS} when it never set them.
         */
        public int readPrivacy(final long userId)
        {
            FriendLayout.privacyKey(privacyKey, userId);
            final int length = get(privacyKey, "read privacy");
            return length <= 0 ? NO_SETTINGS : value[0];
        }

        private int get(final byte[] key, final String operation)
        {
            final long stamp = store.lockShared();
            try
            {
                store.ensureOpen(operation);
                // Returns the whole value's length and copies what fits: the first byte is all these reads need.
                return store.db().get(store.metaHandle(), readOptions, key, 0, key.length, value, 0, value.length);
            }
            catch (final RocksDBException ex)
            {
                throw new StorageException(operation, ex);
            }
            finally
            {
                store.unlockShared(stamp);
            }
        }

        @Override
        public void close()
        {
            readOptions.close();
        }
    }
}
