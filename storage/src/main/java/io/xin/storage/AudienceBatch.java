package io.xin.storage;

import java.nio.charset.StandardCharsets;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;

/**
 * Group and channel puts added to a {@link JournalBatch}, so a membership change, a post and the
 * inbox entries around them are written in one atomic write. Layouts in {@link AudienceLayout}.
 * <p>
 * Owned by the journal thread, like its journal batch. Puts copy keys and values; the fixed-size
 * keys reuse this object's buffers.
 */
public final class AudienceBatch
{
    private static final byte[] EMPTY = new byte[0];

    private final JournalBatch batch;
    private final ColumnFamilyHandle meta;
    private final ColumnFamilyHandle timeline;
    /** Owned by the journal thread. */
    private final byte[] idKey = new byte[AudienceLayout.ID_KEY_LENGTH];
    /** Owned by the journal thread. */
    private final byte[] pairKey = new byte[AudienceLayout.PAIR_KEY_LENGTH];
    /** Owned by the journal thread. */
    private final byte[] timelineKey = new byte[AudienceLayout.TIMELINE_KEY_LENGTH];
    /** Owned by the journal thread. */
    private final byte[] longValue = new byte[Layout.LONG_LENGTH];
    /** Owned by the journal thread. */
    private final byte[] byteValue = new byte[1];

    AudienceBatch(final JournalBatch batch, final ColumnFamilyHandle meta, final ColumnFamilyHandle timeline)
    {
        this.batch = batch;
        this.meta = meta;
        this.timeline = timeline;
    }

    /**
     * @param id the last group or channel id handed out; once per batch that created any.
     */
    public void putLastId(final long id)
    {
        put(meta, new byte[]{ AudienceLayout.LAST_ID_TAG }, longValue(id), "put last audience id");
    }

    public void putGroup(final long groupId, final long ownerId, final boolean open, final String name)
    {
        AudienceLayout.idKey(idKey, AudienceLayout.GROUP_TAG, groupId);
        put(meta, idKey, AudienceLayout.ownerAndName(ownerId, open ? AudienceLayout.FLAG_OPEN : 0,
            name.getBytes(StandardCharsets.UTF_8), true), "put group");
    }

    /**
     * @param role 0 member, 1 admin, 2 owner.
     */
    public void putMember(final long groupId, final long userId, final byte role)
    {
        AudienceLayout.pairKey(pairKey, AudienceLayout.MEMBER_TAG, groupId, userId);
        byteValue[0] = role;
        put(meta, pairKey, byteValue, "put member");
    }

    public void deleteMember(final long groupId, final long userId)
    {
        AudienceLayout.pairKey(pairKey, AudienceLayout.MEMBER_TAG, groupId, userId);
        delete(meta, pairKey, "delete member");
    }

    public void putChannel(final long channelId, final long ownerId, final String name)
    {
        AudienceLayout.idKey(idKey, AudienceLayout.CHANNEL_TAG, channelId);
        put(meta, idKey, AudienceLayout.ownerAndName(ownerId, (byte)0, name.getBytes(StandardCharsets.UTF_8), false),
            "put channel");
    }

    public void putPublisher(final long channelId, final long userId)
    {
        AudienceLayout.pairKey(pairKey, AudienceLayout.PUBLISHER_TAG, channelId, userId);
        put(meta, pairKey, EMPTY, "put publisher");
    }

    public void deletePublisher(final long channelId, final long userId)
    {
        AudienceLayout.pairKey(pairKey, AudienceLayout.PUBLISHER_TAG, channelId, userId);
        delete(meta, pairKey, "delete publisher");
    }

    /**
     * Records a follow under both the channel and the user.
     *
     * @param followSeq the channel's head when the follow started.
     */
    public void putFollow(final long channelId, final long userId, final long followSeq)
    {
        final byte[] value = longValue(followSeq);
        AudienceLayout.pairKey(pairKey, AudienceLayout.FOLLOWER_TAG, channelId, userId);
        put(meta, pairKey, value, "put follow");
        AudienceLayout.pairKey(pairKey, AudienceLayout.FOLLOWING_TAG, userId, channelId);
        put(meta, pairKey, value, "put follow");
    }

    public void deleteFollow(final long channelId, final long userId)
    {
        AudienceLayout.pairKey(pairKey, AudienceLayout.FOLLOWER_TAG, channelId, userId);
        delete(meta, pairKey, "delete follow");
        AudienceLayout.pairKey(pairKey, AudienceLayout.FOLLOWING_TAG, userId, channelId);
        delete(meta, pairKey, "delete follow");
    }

    /**
     * Stores a post once in the channel's timeline and moves the channel's head to it.
     */
    public void putPost(final long channelId, final long seq, final byte[] post)
    {
        Layout.checkId("seq", seq);
        AudienceLayout.timelineKey(timelineKey, channelId, seq);
        put(timeline, timelineKey, post, "put post");
        AudienceLayout.idKey(idKey, AudienceLayout.CHANNEL_HEAD_TAG, channelId);
        put(meta, idKey, longValue(seq), "put channel head");
    }

    private byte[] longValue(final long value)
    {
        Layout.putLong(longValue, 0, value);
        return longValue;
    }

    private void put(final ColumnFamilyHandle handle, final byte[] key, final byte[] value, final String operation)
    {
        batch.ensureUsable(operation);
        try
        {
            batch.writeBatch().put(handle, key, value);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("journal batch " + operation, ex);
        }
        batch.counted();
    }

    private void delete(final ColumnFamilyHandle handle, final byte[] key, final String operation)
    {
        batch.ensureUsable(operation);
        try
        {
            batch.writeBatch().delete(handle, key);
        }
        catch (final RocksDBException ex)
        {
            throw new StorageException("journal batch " + operation, ex);
        }
        batch.counted();
    }
}
