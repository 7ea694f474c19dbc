package io.xin.core.journal;

/**
 * Told of every relation and privacy change a journal shard wrote, once RocksDB holds it: what presence follows
 * (the friend rows are its subscriptions). Owned by the layer above the journal, which implements it; called on
 * the journal thread of the shard that wrote the change, after the batch that holds it is applied, so a reader
 * of the store that is told of a change finds it there. Implementations hand the work to a thread of their own and
 * return at once.
 */
public interface FriendChanges
{
    /**
     * A user's own view of a peer changed.
     *
     * @param oldState the view before, a {@code FriendState} number (0 for none).
     * @param newState the view after.
     */
    void relationChanged(long userId, long peerId, int oldState, int newState);

    /**
     * A user's privacy settings changed.
     *
     * @param flags {@code FriendStore.ALLOWS_STRANGERS} and {@code FriendStore.HIDES_PRESENCE}, or'ed.
     */
    void privacyChanged(long userId, int flags);
}
