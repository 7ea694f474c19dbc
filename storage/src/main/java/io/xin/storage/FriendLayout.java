package io.xin.storage;

/**
 * Byte layouts of friends, blocks and privacy settings. Both live in the meta column family (whole-key bloom
 * filters, no TTL), each under its own one-byte tag, so one user's relations are one contiguous key range:
 * <pre>
 *   meta   'R' | user_id(8 BE) | peer_id(8 BE)  -> state(1) | greeting bytes (UTF-8, may be empty)
 *                                                  the user's own view of the peer; no record means none
 *          'S' | user_id(8 BE)                  -> flags(1): bit 0 allows strangers, bit 1 hides presence;
 *                                                  no record means the switch's defaults
 * </pre>
 * The state byte is the caller's (the switch writes its protocol's FriendState numbers); the store only keeps it.
 * A user's view of a peer and the peer's view of the user are two records, each written by its own user's
 * journal shard. The send path reads one relation record, and the settings record only when the relation does
 * not decide (neither friend nor blocked); both are point lookups that a bloom filter answers when the record
 * does not exist.
 */
final class FriendLayout
{
    static final byte RELATION_TAG = 'R';
    static final byte PRIVACY_TAG = 'S';

    static final int RELATION_KEY_LENGTH = 1 + 2 * Layout.LONG_LENGTH;
    static final int PRIVACY_KEY_LENGTH = 1 + Layout.LONG_LENGTH;
    static final int PEER_OFFSET = 1 + Layout.LONG_LENGTH;

    private FriendLayout()
    {
    }

    static void relationKey(final byte[] key, final long userId, final long peerId)
    {
        key[0] = RELATION_TAG;
        Layout.putLong(key, 1, userId);
        Layout.putLong(key, PEER_OFFSET, peerId);
    }

    static long relationPeer(final byte[] key)
    {
        return Layout.getLong(key, PEER_OFFSET);
    }

    /** {@code 'R' | user_id}, 9 bytes: sorts before every {@code 'R' | user_id | peer} of the user. */
    static byte[] relationPrefix(final long userId)
    {
        final byte[] key = new byte[PRIVACY_KEY_LENGTH];
        key[0] = RELATION_TAG;
        Layout.putLong(key, 1, userId);
        return key;
    }

    static void privacyKey(final byte[] key, final long userId)
    {
        key[0] = PRIVACY_TAG;
        Layout.putLong(key, 1, userId);
    }
}
