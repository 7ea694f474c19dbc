package io.xin.core.journal;

/**
 * What the send check last read of the views and privacy flags of this shard's own users, so that a message between
 * friends costs a lookup in memory instead of a RocksDB read. Only this shard's journal writes its users' rows, and
 * it writes each through this cache, so an entry is never stale; it is cleared, like the head cache, when a write
 * fails or the shard changes hands. Users of other shards are never cached (their journals write them).
 * <p>
 * Direct-mapped: each (user, peer) pair has one slot, and a pair that hashes to a taken slot takes it over, so the
 * memory is fixed ({@value #PAIR_SLOTS} pairs and {@value #USER_SLOTS} users, about 5 MiB a shard) and a miss costs
 * the read it would have cost anyway. No allocation, no eviction list.
 * <p>
 * Owned by the journal thread.
 */
final class ViewCache
{
    static final int PAIR_SLOTS = 1 << 18;
    static final int USER_SLOTS = 1 << 16;
    /** Not cached: read the store. */
    static final int MISS = Integer.MIN_VALUE;

    /** 0 for an empty slot: user ids are positive. */
    private final long[] pairUsers = new long[PAIR_SLOTS];
    private final long[] pairPeers = new long[PAIR_SLOTS];
    private final byte[] pairStates = new byte[PAIR_SLOTS];
    private final long[] privacyUsers = new long[USER_SLOTS];
    private final int[] privacyFlags = new int[USER_SLOTS];

    /**
     * @return the user's view of the peer (0 for none), or {@link #MISS}.
     */
    int state(final long userId, final long peerId)
    {
        final int slot = pairSlot(userId, peerId);
        return pairUsers[slot] == userId && pairPeers[slot] == peerId ? pairStates[slot] : MISS;
    }

    void putState(final long userId, final long peerId, final byte state)
    {
        final int slot = pairSlot(userId, peerId);
        pairUsers[slot] = userId;
        pairPeers[slot] = peerId;
        pairStates[slot] = state;
    }

    /**
     * @return the user's privacy flags (or {@code FriendStore.NO_SETTINGS}), or {@link #MISS}.
     */
    int privacy(final long userId)
    {
        final int slot = userSlot(userId);
        return privacyUsers[slot] == userId ? privacyFlags[slot] : MISS;
    }

    void putPrivacy(final long userId, final int flags)
    {
        final int slot = userSlot(userId);
        privacyUsers[slot] = userId;
        privacyFlags[slot] = flags;
    }

    void clear()
    {
        java.util.Arrays.fill(pairUsers, 0);
        java.util.Arrays.fill(privacyUsers, 0);
    }

    private static int pairSlot(final long userId, final long peerId)
    {
        return (int)(mix(userId * 0x9E3779B97F4A7C15L + peerId) & (PAIR_SLOTS - 1));
    }

    private static int userSlot(final long userId)
    {
        return (int)(mix(userId) & (USER_SLOTS - 1));
    }

    /** The finaliser of SplitMix64: every input bit moves every output bit. */
    private static long mix(final long value)
    {
        long z = value;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
