package io.xin.storage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.agrona.collections.LongArrayList;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;

/**
 * Groups and channels (official accounts) in the store: membership, publishers, follows and each
 * channel's timeline; layouts in {@link AudienceLayout}. Writes go through an {@link AudienceBatch}
 * in the journal's batch. Reads here allocate: they run once per group or channel the journal loads,
 * once per login for the user's follows, and once per channel sync page, never per message.
 * <p>
 * Threading: every method may be called from any thread; the journal thread is the only writer.
 */
public final class AudienceStore
{
    private final XinStore store;

    AudienceStore(final XinStore store)
    {
        this.store = store;
    }

    /**
     * Creates a batch that adds group and channel puts to the journal's batch.
     *
     * @param batch the journal's batch.
     * @return a batch writer; reuse it with the same journal batch.
     */
    public AudienceBatch newBatch(final JournalBatch batch)
    {
        return new AudienceBatch(batch);
    }

    /**
     * @return the last group or channel id handed out, 0 if none.
     */
    public long readLastId()
    {
        final byte[] value = get(store.metaHandle(), new byte[]{ AudienceLayout.LAST_ID_TAG }, "read last audience id");
        return value == null ? 0 : Layout.getLong(value, 0);
    }

    /**
     * Reads a group and all its members.
     *
     * @param groupId the group, positive.
     * @return the group, or null when no group has this id.
     */
    public GroupRecord readGroup(final long groupId)
    {
        Layout.checkId("groupId", groupId);
        final byte[] value = get(store.metaHandle(), AudienceLayout.idKey(AudienceLayout.GROUP_TAG, groupId), "read group");
        if (value == null)
        {
            return null;
        }
        if (value.length < Layout.LONG_LENGTH + 1)
        {
            throw new StorageException("read group failed: record of " + value.length + " bytes");
        }
        final long ownerId = Layout.getLong(value, 0);
        final boolean open = (value[Layout.LONG_LENGTH] & AudienceLayout.FLAG_OPEN) != 0;
        final String name = new String(value, Layout.LONG_LENGTH + 1, value.length - Layout.LONG_LENGTH - 1,
            StandardCharsets.UTF_8);
        final LongArrayList members = new LongArrayList();
        final List<byte[]> values = new ArrayList<>();
        scan(AudienceLayout.MEMBER_TAG, groupId, members, values, "read group members");
        final byte[] roles = new byte[values.size()];
        for (int i = 0; i < roles.length; i++)
        {
            final byte[] role = values.get(i);
            roles[i] = role.length > 0 ? role[0] : 0;
        }
        return new GroupRecord(groupId, ownerId, open, name, members.toLongArray(), roles);
    }

    /**
     * Reads a channel and its publishers.
     *
     * @param channelId the channel, positive.
     * @return the channel, or null when no channel has this id.
     */
    public ChannelRecord readChannel(final long channelId)
    {
        Layout.checkId("channelId", channelId);
        final byte[] value = get(
            store.metaHandle(), AudienceLayout.idKey(AudienceLayout.CHANNEL_TAG, channelId), "read channel");
        if (value == null)
        {
            return null;
        }
        if (value.length < Layout.LONG_LENGTH)
        {
            throw new StorageException("read channel failed: record of " + value.length + " bytes");
        }
        final long ownerId = Layout.getLong(value, 0);
        final String name = new String(value, Layout.LONG_LENGTH, value.length - Layout.LONG_LENGTH,
            StandardCharsets.UTF_8);
        final LongArrayList publishers = new LongArrayList();
        scan(AudienceLayout.PUBLISHER_TAG, channelId, publishers, null, "read channel publishers");
        return new ChannelRecord(channelId, ownerId, name, readChannelHead(channelId), publishers.toLongArray());
    }

    /**
     * @return the seq of a channel's latest post, 0 before the first (or for no channel).
     */
    public long readChannelHead(final long channelId)
    {
        Layout.checkId("channelId", channelId);
        final byte[] value = get(
            store.metaHandle(), AudienceLayout.idKey(AudienceLayout.CHANNEL_HEAD_TAG, channelId), "read channel head");
        return value == null ? 0 : Layout.getLong(value, 0);
    }

    /**
     * @return the seq a user's follow of a channel started after, or -1 when the user does not follow it.
     */
    public long readFollowSeq(final long channelId, final long userId)
    {
        Layout.checkId("channelId", channelId);
        Layout.checkId("userId", userId);
        final byte[] value = get(store.metaHandle(),
            AudienceLayout.pairKey(AudienceLayout.FOLLOWER_TAG, channelId, userId), "read follow");
        return value == null ? -1 : Layout.getLong(value, 0);
    }

    /**
     * Reads every channel a user follows.
     *
     * @param userId the user, positive.
     * @return pairs {@code channel_id, follow_seq}, by channel id; empty when none.
     */
    public long[] readFollows(final long userId)
    {
        Layout.checkId("userId", userId);
        final LongArrayList channels = new LongArrayList();
        final List<byte[]> values = new ArrayList<>();
        scan(AudienceLayout.FOLLOWING_TAG, userId, channels, values, "read follows");
        final long[] pairs = new long[2 * channels.size()];
        for (int i = 0; i < channels.size(); i++)
        {
            pairs[2 * i] = channels.getLong(i);
            pairs[2 * i + 1] = Layout.getLong(values.get(i), 0);
        }
        return pairs;
    }

    /**
     * Reads every follower of a channel; for tests and tools, not the hot path (a channel may have
     * hundreds of thousands).
     *
     * @return follower user ids, ascending.
     */
    public long[] readFollowers(final long channelId)
    {
        Layout.checkId("channelId", channelId);
        final LongArrayList followers = new LongArrayList();
        scan(AudienceLayout.FOLLOWER_TAG, channelId, followers, null, "read followers");
        return followers.toLongArray();
    }

    /**
     * Reads a page of a channel's timeline from one snapshot.
     *
     * @param channelId the channel, positive.
     * @param afterSeq  return posts with a greater seq.
     * @param limit     the most posts, positive.
     * @param maxBytes  the most post bytes; the first post is returned even if larger.
     * @return the posts, oldest first, with the channel's head and whether more follow.
     */
    public InboxPage readTimeline(final long channelId, final long afterSeq, final int limit, final int maxBytes)
    {
        Layout.checkId("channelId", channelId);
        if (afterSeq < 0 || limit <= 0 || maxBytes <= 0)
        {
            throw new IllegalArgumentException(
                "afterSeq must not be negative, limit and maxBytes positive: " + afterSeq + ", " + limit + ", " + maxBytes);
        }
        final long stamp = store.lockShared();
        final Snapshot snapshot;
        try
        {
            store.ensureOpen("read timeline");
            store.awaitApplied();
            snapshot = store.db().getSnapshot();
        }
        catch (final RuntimeException ex)
        {
            store.unlockShared(stamp);
            throw ex;
        }
        try (ReadOptions readOptions = new ReadOptions().setSnapshot(snapshot);
            Slice lower = new Slice(Layout.userPrefix(channelId));
            Slice upper = new Slice(Layout.userPrefix(channelId + 1)))
        {
            final byte[] headValue = store.db().get(store.metaHandle(), readOptions,
                AudienceLayout.idKey(AudienceLayout.CHANNEL_HEAD_TAG, channelId));
            final long headSeq = headValue == null ? 0 : Layout.getLong(headValue, 0);
            readOptions.setIterateLowerBound(lower).setIterateUpperBound(upper);
            final List<InboxEntry> entries = new ArrayList<>(Math.min(limit, 64));
            boolean hasMore = false;
            if (afterSeq < headSeq)
            {
                try (RocksIterator iterator = store.db().newIterator(store.timelineHandle(), readOptions))
                {
                    hasMore = XinStore.readPage(iterator, channelId, afterSeq, limit, maxBytes, entries);
                }
            }
            return new InboxPage(entries, headSeq, hasMore);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("read timeline", ex);
        }
        finally
        {
            store.db().releaseSnapshot(snapshot);
            store.unlockShared(stamp);
        }
    }

    private byte[] get(final ColumnFamilyHandle handle, final byte[] key, final String operation)
    {
        final long stamp = store.lockShared();
        try
        {
            store.ensureOpen(operation);
            return store.db().get(handle, key);
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

    /** Every meta key {@code tag | id | second}: collects the seconds and, when asked, the values. */
    private void scan(
        final byte tag, final long id, final LongArrayList seconds, final List<byte[]> values, final String operation)
    {
        final long stamp = store.lockShared();
        try (ReadOptions readOptions = new ReadOptions();
            Slice lower = new Slice(AudienceLayout.idKey(tag, id));
            Slice upper = new Slice(AudienceLayout.idKey(tag, id + 1)))
        {
            store.ensureOpen(operation);
            readOptions.setIterateLowerBound(lower).setIterateUpperBound(upper);
            try (RocksIterator iterator = store.db().newIterator(store.metaHandle(), readOptions))
            {
                final byte[] key = new byte[AudienceLayout.PAIR_KEY_LENGTH];
                for (iterator.seekToFirst(); iterator.isValid(); iterator.next())
                {
                    if (iterator.key(key) != AudienceLayout.PAIR_KEY_LENGTH)
                    {
                        continue;
                    }
                    seconds.addLong(AudienceLayout.second(key));
                    if (values != null)
                    {
                        values.add(iterator.value());
                    }
                }
                iterator.status();
            }
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
    public String toString()
    {
        return "AudienceStore{" + store + "}";
    }
}
