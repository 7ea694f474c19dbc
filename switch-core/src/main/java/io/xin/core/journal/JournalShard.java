package io.xin.core.journal;

import org.agrona.collections.Hashing;

/**
 * Which journal shard owns a user: the single writer of that user's inbox head, cursors and the
 * dedupe records of what the user sends. Users are spread by a hash of the id, so consecutive ids
 * land on different shards.
 */
public final class JournalShard
{
    private JournalShard()
    {
    }

    /**
     * @param userId     the user.
     * @param shardCount the number of journal shards, positive.
     * @return the owning shard, in {@code [0, shardCount)}.
     */
    public static int of(final long userId, final int shardCount)
    {
        return shardCount == 1 ? 0 : Math.floorMod(Hashing.hash(userId), shardCount);
    }
}
