package io.xin.social.discovery;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.agrona.collections.LongArrayList;

/**
 * The single-node directory: a {@link TagIndex} in memory per served key id, rebuilt at start from the durable
 * {@link Registrations}, which every change is written to first. Registrations under key ids no longer served (a
 * retired key) are deleted at start.
 * <p>
 * Lookups take a read lock and run in parallel; changes take the write lock, write the record (a RocksDB write
 * without fsync in the switch: a few microseconds), then change the index, so the index never holds a
 * registration the store lacks.
 */
public final class IndexedDiscoveryDirectory implements DiscoveryDirectory
{
    private final Registrations registrations;
    /** The served key ids and their indexes, in the same order. Guarded by {@link #lock}. */
    private final int[] keyIds;
    private final TagIndex[] indexes;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    /**
     * Loads the registrations of the served keys and deletes those of any other key.
     *
     * @param registrations the durable records; the directory is their only user from now on.
     * @param servedKeyIds  the key ids served (the current key's and, in a grace period, the previous one's).
     */
    public IndexedDiscoveryDirectory(final Registrations registrations, final int... servedKeyIds)
    {
        if (servedKeyIds.length == 0)
        {
            throw new IllegalArgumentException("at least one key id is served");
        }
        this.registrations = registrations;
        this.keyIds = servedKeyIds.clone();
        this.indexes = new TagIndex[keyIds.length];
        for (final int stored : registrations.keyIds())
        {
            if (slot(stored) < 0)
            {
                registrations.deleteKey(stored);
            }
        }
        for (int i = 0; i < keyIds.length; i++)
        {
            indexes[i] = load(keyIds[i]);
        }
    }

    private TagIndex load(final int keyId)
    {
        final long count = registrations.count(keyId);
        final TagIndex index = new TagIndex((int)Math.min(Integer.MAX_VALUE / 2, count));
        // Two users with one tag cannot be written (see write's displaced user), but a copy of the data made
        // from two points in time could hold them: the later in scan order keeps the tag, the other is dropped.
        final LongArrayList displaced = new LongArrayList();
        registrations.forEach(keyId, (userId, tag) ->
        {
            final long before = index.put(TagIndex.hi(tag), TagIndex.lo(tag), userId);
            if (before != 0)
            {
                displaced.addLong(before);
            }
        });
        for (int i = 0; i < displaced.size(); i++)
        {
            registrations.delete(keyId, displaced.getLong(i));
        }
        return index;
    }

    @Override
    public void register(final int keyId, final byte[] tag, final long userId)
    {
        checkTag(tag);
        if (userId == 0)
        {
            throw new IllegalArgumentException("user id 0");
        }
        final long hi = TagIndex.hi(tag);
        final long lo = TagIndex.lo(tag);
        lock.writeLock().lock();
        try
        {
            final TagIndex index = index(keyId);
            final byte[] before = registrations.read(keyId, userId);
            if (before != null && Arrays.equals(before, tag))
            {
                return;
            }
            final long holder = index.get(hi, lo);
            registrations.write(keyId, userId, tag, holder);
            if (before != null && index.get(TagIndex.hi(before), TagIndex.lo(before)) == userId)
            {
                index.remove(TagIndex.hi(before), TagIndex.lo(before));
            }
            index.put(hi, lo, userId);
        }
        finally
        {
            lock.writeLock().unlock();
        }
    }

    @Override
    public boolean unregister(final long userId)
    {
        boolean found = false;
        lock.writeLock().lock();
        try
        {
            for (int i = 0; i < keyIds.length; i++)
            {
                final byte[] tag = registrations.read(keyIds[i], userId);
                if (tag == null)
                {
                    continue;
                }
                found = true;
                registrations.delete(keyIds[i], userId);
                if (indexes[i].get(TagIndex.hi(tag), TagIndex.lo(tag)) == userId)
                {
                    indexes[i].remove(TagIndex.hi(tag), TagIndex.lo(tag));
                }
            }
        }
        finally
        {
            lock.writeLock().unlock();
        }
        return found;
    }

    @Override
    public int match(final int keyId, final List<byte[]> tags, final MatchSink sink)
    {
        for (final byte[] tag : tags)
        {
            checkTag(tag);
        }
        int matches = 0;
        lock.readLock().lock();
        try
        {
            final TagIndex index = index(keyId);
            for (int i = 0; i < tags.size(); i++)
            {
                final byte[] tag = tags.get(i);
                final long userId = index.get(TagIndex.hi(tag), TagIndex.lo(tag));
                if (userId != 0)
                {
                    matches++;
                    sink.onMatch(i, userId);
                }
            }
        }
        finally
        {
            lock.readLock().unlock();
        }
        return matches;
    }

    /**
     * @return the registrations under {@code keyId}.
     */
    public int size(final int keyId)
    {
        lock.readLock().lock();
        try
        {
            return index(keyId).size();
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    /**
     * @return the bytes of every index's arrays.
     */
    public long memoryBytes()
    {
        lock.readLock().lock();
        try
        {
            long bytes = 0;
            for (final TagIndex index : indexes)
            {
                bytes += index.memoryBytes();
            }
            return bytes;
        }
        finally
        {
            lock.readLock().unlock();
        }
    }

    private TagIndex index(final int keyId)
    {
        final int slot = slot(keyId);
        if (slot < 0)
        {
            throw new IllegalArgumentException("key id " + keyId + " is not served");
        }
        return indexes[slot];
    }

    private int slot(final int keyId)
    {
        for (int i = 0; i < keyIds.length; i++)
        {
            if (keyIds[i] == keyId)
            {
                return i;
            }
        }
        return -1;
    }

    private static void checkTag(final byte[] tag)
    {
        if (tag.length != Oprf.TAG_LENGTH)
        {
            throw new IllegalArgumentException("a tag is " + Oprf.TAG_LENGTH + " bytes, was " + tag.length);
        }
    }

    @Override
    public String toString()
    {
        return "IndexedDiscoveryDirectory{keyIds=" + Arrays.toString(keyIds) + "}";
    }
}
