package io.xin.storage;

import java.nio.charset.StandardCharsets;

/**
 * Relation and privacy puts added to a {@link JournalBatch}, so a friend change and the FRIEND_EVENT messages
 * around it are written in one atomic write, carried by the shard's log like every other put (a replay, and a
 * cluster standby's apply, rebuild them). Layouts in {@link FriendLayout}.
 * <p>
 * Owned by the journal thread, like its journal batch. Puts copy keys and values; the keys reuse this object's
 * buffers.
 */
public final class FriendBatch
{
    private static final int MAX_VALUE_LENGTH = 1 + 1024;

    private final JournalBatch batch;
    /** Owned by the journal thread. */
    private final byte[] relationKey = new byte[FriendLayout.RELATION_KEY_LENGTH];
    /** Owned by the journal thread. */
    private final byte[] privacyKey = new byte[FriendLayout.PRIVACY_KEY_LENGTH];
    /** Owned by the journal thread. */
    private final byte[] value = new byte[MAX_VALUE_LENGTH];

    FriendBatch(final JournalBatch batch)
    {
        this.batch = batch;
    }

    /**
     * Records a user's view of a peer.
     *
     * @param userId   the user whose view it is, positive.
     * @param peerId   the other user, positive.
     * @param state    the view, not 0 (0 is no record: {@link #deleteRelation}).
     * @param greeting kept with the view (a friend request's greeting); null or empty for none, at most 1024 bytes
     *                 of UTF-8.
     */
    public void putRelation(final long userId, final long peerId, final byte state, final String greeting)
    {
        Layout.checkId("userId", userId);
        Layout.checkId("peerId", peerId);
        if (state == 0)
        {
            throw new IllegalArgumentException("state 0 is no relation: delete it instead");
        }
        final byte[] text = greeting == null || greeting.isEmpty() ? null : greeting.getBytes(StandardCharsets.UTF_8);
        final int length = 1 + (text == null ? 0 : text.length);
        if (length > MAX_VALUE_LENGTH)
        {
            throw new IllegalArgumentException("greeting of " + text.length + " bytes is longer than " +
                (MAX_VALUE_LENGTH - 1));
        }
        value[0] = state;
        if (text != null)
        {
            System.arraycopy(text, 0, value, 1, text.length);
        }
        FriendLayout.relationKey(relationKey, userId, peerId);
        batch.put(EntryFormat.CF_META, relationKey, relationKey.length, value, length, "put relation");
    }

    /**
     * Removes a user's view of a peer (they are strangers again, from this side).
     */
    public void deleteRelation(final long userId, final long peerId)
    {
        Layout.checkId("userId", userId);
        Layout.checkId("peerId", peerId);
        FriendLayout.relationKey(relationKey, userId, peerId);
        batch.delete(EntryFormat.CF_META, relationKey, relationKey.length, "delete relation");
    }

    /**
     * Records a user's privacy settings.
     *
     * @param flags {@link FriendStore#ALLOWS_STRANGERS} and {@link FriendStore#HIDES_PRESENCE}, or'ed.
     */
    public void putPrivacy(final long userId, final byte flags)
    {
        Layout.checkId("userId", userId);
        FriendLayout.privacyKey(privacyKey, userId);
        value[0] = flags;
        batch.put(EntryFormat.CF_META, privacyKey, privacyKey.length, value, 1, "put privacy");
    }
}
