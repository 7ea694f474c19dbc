package io.xin.storage;

import java.nio.charset.StandardCharsets;


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

    AudienceBatch(final JournalBatch batch)
    {
        this.batch = batch;
    }

    /**
     * @param id the last group or channel id handed out; once per batch that created any.
     */
    public void putLastId(final long id)
    {
        put(EntryFormat.CF_META, new byte[]{ AudienceLayout.LAST_ID_TAG }, longValue(id), "put last audience id");
    }

    public void putGroup(final long groupId, final long ownerId, final boolean open, final String name)
    {
        AudienceLayout.idKey(idKey, AudienceLayout.GROUP_TAG, groupId);
        put(EntryFormat.CF_META, idKey, AudienceLayout.ownerAndName(ownerId, open ? AudienceLayout.FLAG_OPEN : 0,
            name.getBytes(StandardCharsets.UTF_8), true), "put group");
    }

    /**
     * @param role 0 member, 1 admin, 2 owner.
     */
    public void putMember(final long groupId, final long userId, final byte role)
    {
        AudienceLayout.pairKey(pairKey, AudienceLayout.MEMBER_TAG, groupId, userId);
        byteValue[0] = role;
        put(EntryFormat.CF_META, pairKey, byteValue, "put member");
    }

    public void deleteMember(final long groupId, final long userId)
    {
        AudienceLayout.pairKey(pairKey, AudienceLayout.MEMBER_TAG, groupId, userId);
        delete(EntryFormat.CF_META, pairKey, "delete member");
    }

    public void putChannel(final long channelId, final long ownerId, final String name)
    {
        AudienceLayout.idKey(idKey, AudienceLayout.CHANNEL_TAG, channelId);
        put(EntryFormat.CF_META, idKey, AudienceLayout.ownerAndName(ownerId, (byte)0, name.getBytes(StandardCharsets.UTF_8), false),
            "put channel");
    }

    public void putPublisher(final long channelId, final long userId)
    {
        AudienceLayout.pairKey(pairKey, AudienceLayout.PUBLISHER_TAG, channelId, userId);
        put(EntryFormat.CF_META, pairKey, EMPTY, "put publisher");
    }

    public void deletePublisher(final long channelId, final long userId)
    {
        AudienceLayout.pairKey(pairKey, AudienceLayout.PUBLISHER_TAG, channelId, userId);
        delete(EntryFormat.CF_META, pairKey, "delete publisher");
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
        put(EntryFormat.CF_META, pairKey, value, "put follow");
        AudienceLayout.pairKey(pairKey, AudienceLayout.FOLLOWING_TAG, userId, channelId);
        put(EntryFormat.CF_META, pairKey, value, "put follow");
    }

    public void deleteFollow(final long channelId, final long userId)
    {
        AudienceLayout.pairKey(pairKey, AudienceLayout.FOLLOWER_TAG, channelId, userId);
        delete(EntryFormat.CF_META, pairKey, "delete follow");
        AudienceLayout.pairKey(pairKey, AudienceLayout.FOLLOWING_TAG, userId, channelId);
        delete(EntryFormat.CF_META, pairKey, "delete follow");
    }

    /**
     * Stores a post once in the channel's timeline and moves the channel's head to it.
     */
    public void putPost(final long channelId, final long seq, final byte[] post)
    {
        Layout.checkId("seq", seq);
        AudienceLayout.timelineKey(timelineKey, channelId, seq);
        put(EntryFormat.CF_TIMELINE, timelineKey, post, "put post");
        AudienceLayout.idKey(idKey, AudienceLayout.CHANNEL_HEAD_TAG, channelId);
        put(EntryFormat.CF_META, idKey, longValue(seq), "put channel head");
    }

    private byte[] longValue(final long value)
    {
        Layout.putLong(longValue, 0, value);
        return longValue;
    }

    private void put(final byte cf, final byte[] key, final byte[] value, final String operation)
    {
        batch.put(cf, key, key.length, value, value.length, operation);
    }

    private void delete(final byte cf, final byte[] key, final String operation)
    {
        batch.delete(cf, key, key.length, operation);
    }
}
