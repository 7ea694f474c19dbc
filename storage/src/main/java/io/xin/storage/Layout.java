package io.xin.storage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Byte layouts of the keys and values of every column family. All integers are big-endian so the
 * bytewise comparator orders keys of positive ids and seqs numerically.
 * <pre>
 *   inbox key     user_id(8 BE) | seq(8 BE)                 16 bytes
 *   inbox value   message bytes                             as given
 *
 *   dedupe key    sender_id(8 BE) | client_msg_id bytes                              8 + n bytes   a Send
 *                 sender_id(8 BE) | 0xFE | channel_id(8 BE) | client_msg_id bytes    17 + n bytes  a CHANNEL_POST
 *                 sender_id(8 BE) | 0xFF | client_msg_id bytes                       9 + n bytes   read only: a
 *                                                             CHANNEL_POST written before keys held the channel
 *   dedupe value  msg_id(8 BE) | sender_seq(8 BE) | time_ms(8 BE) | kind(1)   25 bytes
 *                 kind 'S' a Send, 'P' a CHANNEL_POST; a 24-byte value (no kind) was written before
 *                 records carried their kind, and only under a Send's key
 *
 *   +----------------+------+------------------+---------------------+
 *   | sender_id 8 BE | 0xFE | channel_id 8 BE  | client_msg_id n     |   a post: one key per channel
 *   +----------------+------+------------------+---------------------+
 *   | sender_id 8 BE | 0xFF | client_msg_id n  |                         a post, no channel: read only
 *   +----------------+------+------------------+-----+
 *   | sender_id 8 BE | client_msg_id n (UTF-8: no 0xFE, 0xFF)  |         a send
 *   +----------------+-----------------------------------------+
 *
 *   meta keys     'h' | user_id(8 BE)                       9 bytes      -> head seq(8 BE)
 *                 'c' | user_id(8 BE) | device_id bytes     9 + n bytes  -> cursor seq(8 BE)
 *                 'm'                                       1 byte       -> msg_id(8 BE) reserved up to, shard 0
 *                 'm' | shard(4 BE)                         5 bytes      -> msg_id(8 BE) reserved up to, shard 1..
 *                 'u'                                       1 byte       -> (empty): heads may be stale
 *                 'o' | msg_id(8 BE) | recipient_id(8 BE)   17 bytes     -> message bytes (hand-off)
 *                 'l' | shard(4 BE)                         5 bytes      -> position(8 BE) of that shard's message
 *                                                                          log applied up to
 *                 'a' 'G' 'M' 'C' 'T' 'P' 'F' 'f' ...      groups and channels: see AudienceLayout
 *                 'R' 'S' ...                               friends' views and privacy: see FriendLayout
 *                 'd' | key_id(4 BE) | user_id(8 BE)        13 bytes     -> discovery tag(16): see
 *                                                                          DiscoveryRegistrations
 * </pre>
 * A client_msg_id is UTF-8 (protobuf checks it), in which the bytes 0xFE and 0xFF never occur, so the byte
 * after the sender id tells the three key forms apart: no Send's key is a post's, and no post's key of one
 * channel is one of another channel or of the channel-less form (whose id may begin with any 8 bytes of
 * UTF-8, NULs included, and so could spell a channel id if both forms shared 0xFF). Each form parses back
 * unambiguously: the channel id is the 8 bytes after 0xFE, the client_msg_id all bytes after that.
 * <p>
 * TtlDB appends its own 4-byte write time to every stored value and strips it on reads; it is not
 * part of these layouts.
 */
final class Layout
{
    static final int LONG_LENGTH = Long.BYTES;
    static final int USER_PREFIX_LENGTH = LONG_LENGTH;
    static final int INBOX_KEY_LENGTH = USER_PREFIX_LENGTH + LONG_LENGTH;
    static final int SEQ_OFFSET = USER_PREFIX_LENGTH;

    static final int DEDUPE_VALUE_LENGTH = 3 * LONG_LENGTH + 1;
    static final int UNTAGGED_DEDUPE_VALUE_LENGTH = 3 * LONG_LENGTH;
    static final int DEDUPE_MSG_ID_OFFSET = 0;
    static final int DEDUPE_SENDER_SEQ_OFFSET = LONG_LENGTH;
    static final int DEDUPE_TIME_MS_OFFSET = 2 * LONG_LENGTH;
    static final int DEDUPE_KIND_OFFSET = 3 * LONG_LENGTH;
    /** Follows the sender id in a CHANNEL_POST's dedupe key, before the channel id; never a byte of UTF-8. */
    static final byte DEDUPE_POST_TAG = (byte)0xFE;
    /** Follows the sender id in a CHANNEL_POST's dedupe key written before keys held the channel; read only. */
    static final byte DEDUPE_UNSCOPED_POST_TAG = (byte)0xFF;
    static final int DEDUPE_POST_CHANNEL_OFFSET = LONG_LENGTH + 1;

    static final byte META_HEAD_TAG = 'h';
    static final byte META_CURSOR_TAG = 'c';
    static final byte META_LAST_MSG_ID_TAG = 'm';
    static final byte META_OUTBOX_TAG = 'o';
    static final byte META_HEADS_UNSETTLED_TAG = 'u';
    static final byte META_LOG_APPLIED_TAG = 'l';
    static final int META_USER_KEY_LENGTH = 1 + LONG_LENGTH;
    static final int SHARD_KEY_LENGTH = 1 + Integer.BYTES;
    static final int OUTBOX_KEY_LENGTH = 1 + 2 * LONG_LENGTH;

    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private Layout()
    {
    }

    static void putLong(final byte[] buffer, final int offset, final long value)
    {
        LONG_BE.set(buffer, offset, value);
    }

    static long getLong(final byte[] buffer, final int offset)
    {
        return (long)LONG_BE.get(buffer, offset);
    }

    /**
     * The 8-byte prefix shared by all inbox keys of a user. For {@code userId + 1} it is an exclusive
     * upper bound of that user's keys; at {@link Long#MAX_VALUE} the increment wraps to
     * {@code 0x80 00 .. 00}, which still sorts after {@code 0x7F FF .. FF} bytewise.
     */
    static byte[] userPrefix(final long userId)
    {
        final byte[] prefix = new byte[USER_PREFIX_LENGTH];
        putLong(prefix, 0, userId);
        return prefix;
    }

    static void inboxKey(final byte[] key, final long userId, final long seq)
    {
        putLong(key, 0, userId);
        putLong(key, SEQ_OFFSET, seq);
    }

    static long inboxUserId(final byte[] key)
    {
        return getLong(key, 0);
    }

    static long inboxSeq(final byte[] key)
    {
        return getLong(key, SEQ_OFFSET);
    }

    /**
     * @param clientMsgId the id's bytes at {@code [0, length)} of the array.
     * @throws IndexOutOfBoundsException if the array holds fewer than {@code length} bytes or length is negative.
     */
    static int dedupeKeyLength(final byte[] clientMsgId, final int length)
    {
        return dedupeKeyLength(DedupeRecord.Kind.SEND, clientMsgId, length);
    }

    static int dedupeKeyLength(final DedupeRecord.Kind kind, final byte[] clientMsgId, final int length)
    {
        Objects.checkFromIndexSize(0, length, clientMsgId.length);
        return dedupePrefixLength(kind) + length;
    }

    private static int dedupePrefixLength(final DedupeRecord.Kind kind)
    {
        return switch (kind)
        {
            case CHANNEL_POST -> LONG_LENGTH + 1 + LONG_LENGTH;
            case UNSCOPED_POST -> LONG_LENGTH + 1;
            default -> LONG_LENGTH;
        };
    }

    static void dedupeKey(final byte[] key, final long senderId, final byte[] clientMsgId, final int length)
    {
        dedupeKey(key, DedupeRecord.Kind.SEND, senderId, 0, clientMsgId, length);
    }

    /**
     * @param kind      the key's form: {@link DedupeRecord.Kind#SEND}, {@link DedupeRecord.Kind#CHANNEL_POST} or
     *                  {@link DedupeRecord.Kind#UNSCOPED_POST}.
     * @param channelId the post's channel, in a {@link DedupeRecord.Kind#CHANNEL_POST}'s key only.
     */
    static void dedupeKey(
        final byte[] key,
        final DedupeRecord.Kind kind,
        final long senderId,
        final long channelId,
        final byte[] clientMsgId,
        final int length)
    {
        putLong(key, 0, senderId);
        if (kind == DedupeRecord.Kind.CHANNEL_POST)
        {
            key[LONG_LENGTH] = DEDUPE_POST_TAG;
            putLong(key, DEDUPE_POST_CHANNEL_OFFSET, channelId);
        }
        else if (kind == DedupeRecord.Kind.UNSCOPED_POST)
        {
            key[LONG_LENGTH] = DEDUPE_UNSCOPED_POST_TAG;
        }
        System.arraycopy(clientMsgId, 0, key, dedupePrefixLength(kind), length);
    }

    static void dedupeKey(final ByteBuffer key, final long senderId, final byte[] clientMsgId, final int length)
    {
        dedupeKey(key, DedupeRecord.Kind.SEND, senderId, 0, clientMsgId, length);
    }

    static void dedupeKey(
        final ByteBuffer key,
        final DedupeRecord.Kind kind,
        final long senderId,
        final long channelId,
        final byte[] clientMsgId,
        final int length)
    {
        key.putLong(senderId);
        if (kind == DedupeRecord.Kind.CHANNEL_POST)
        {
            key.put(DEDUPE_POST_TAG).putLong(channelId);
        }
        else if (kind == DedupeRecord.Kind.UNSCOPED_POST)
        {
            key.put(DEDUPE_UNSCOPED_POST_TAG);
        }
        key.put(clientMsgId, 0, length).flip();
    }

    /** The channel id of a {@link DedupeRecord.Kind#CHANNEL_POST}'s dedupe key. */
    static long dedupePostChannelId(final byte[] key)
    {
        return getLong(key, DEDUPE_POST_CHANNEL_OFFSET);
    }

    static void headKey(final byte[] key, final long userId)
    {
        key[0] = META_HEAD_TAG;
        putLong(key, 1, userId);
    }

    static int cursorKeyLength(final byte[] deviceId)
    {
        return META_USER_KEY_LENGTH + deviceId.length;
    }

    static void cursorKey(final byte[] key, final long userId, final byte[] deviceId)
    {
        key[0] = META_CURSOR_TAG;
        putLong(key, 1, userId);
        System.arraycopy(deviceId, 0, key, META_USER_KEY_LENGTH, deviceId.length);
    }

    static void cursorKey(final ByteBuffer key, final long userId, final byte[] deviceId)
    {
        key.put(META_CURSOR_TAG).putLong(userId).put(deviceId).flip();
    }

    static byte[] lastMsgIdKey()
    {
        return new byte[]{ META_LAST_MSG_ID_TAG };
    }

    /** Shard 0 keeps the key a single journal always used, so a store written before sharding reads the same. */
    static byte[] lastMsgIdKey(final int shard)
    {
        if (shard == 0)
        {
            return lastMsgIdKey();
        }
        return tagAndShard(META_LAST_MSG_ID_TAG, shard);
    }

    static byte[] logAppliedKey(final int shard)
    {
        return tagAndShard(META_LOG_APPLIED_TAG, shard);
    }

    /** {@code tag | shard(4 BE)}: a meta key per journal shard. */
    private static byte[] tagAndShard(final byte tag, final int shard)
    {
        final byte[] key = new byte[SHARD_KEY_LENGTH];
        key[0] = tag;
        key[1] = (byte)(shard >>> 24);
        key[2] = (byte)(shard >>> 16);
        key[3] = (byte)(shard >>> 8);
        key[4] = (byte)shard;
        return key;
    }

    static int logAppliedShard(final byte[] key)
    {
        return ((key[1] & 0xFF) << 24) | ((key[2] & 0xFF) << 16) | ((key[3] & 0xFF) << 8) | (key[4] & 0xFF);
    }

    static byte[] headsUnsettledKey()
    {
        return new byte[]{ META_HEADS_UNSETTLED_TAG };
    }

    static void outboxKey(final byte[] key, final long msgId, final long recipientId)
    {
        key[0] = META_OUTBOX_TAG;
        putLong(key, 1, msgId);
        putLong(key, 1 + LONG_LENGTH, recipientId);
    }

    static long outboxMsgId(final byte[] key)
    {
        return getLong(key, 1);
    }

    static long outboxRecipientId(final byte[] key)
    {
        return getLong(key, 1 + LONG_LENGTH);
    }

    static void checkId(final String name, final long id)
    {
        if (id <= 0)
        {
            throw new IllegalArgumentException(name + " must be positive: " + id);
        }
    }
}
