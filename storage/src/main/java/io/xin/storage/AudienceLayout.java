package io.xin.storage;

import java.nio.ByteBuffer;

/**
 * Byte layouts of groups and channels (official accounts). Everything but posts lives in the meta
 * column family under its own one-byte tag, so one id's records are one contiguous key range:
 * <pre>
 *   meta      'a'                                   -> last group or channel id(8 BE)
 *             'G' | group_id(8 BE)                  -> owner_id(8 BE) | flags(1) | name bytes
 *             'M' | group_id(8 BE) | user_id(8 BE)  -> role(1)
 *             'C' | channel_id(8 BE)                -> owner_id(8 BE) | name bytes
 *             'T' | channel_id(8 BE)                -> head seq(8 BE)
 *             'P' | channel_id(8 BE) | user_id(8 BE)-> (empty)              a publisher
 *             'F' | channel_id(8 BE) | user_id(8 BE)-> follow seq(8 BE)     followers of a channel
 *             'f' | user_id(8 BE) | channel_id(8 BE)-> follow seq(8 BE)     channels a user follows
 *
 *   timeline  channel_id(8 BE) | seq(8 BE)          -> post bytes (a Message without seq)
 * </pre>
 * Groups and channels draw their ids from one counter, so an id names one or the other. A post is
 * stored once, whatever the number of followers; a follow costs two small meta records.
 */
final class AudienceLayout
{
    static final byte LAST_ID_TAG = 'a';
    static final byte GROUP_TAG = 'G';
    static final byte MEMBER_TAG = 'M';
    static final byte CHANNEL_TAG = 'C';
    static final byte CHANNEL_HEAD_TAG = 'T';
    static final byte PUBLISHER_TAG = 'P';
    static final byte FOLLOWER_TAG = 'F';
    static final byte FOLLOWING_TAG = 'f';

    static final int ID_KEY_LENGTH = 1 + Layout.LONG_LENGTH;
    static final int PAIR_KEY_LENGTH = 1 + 2 * Layout.LONG_LENGTH;
    static final int SECOND_ID_OFFSET = 1 + Layout.LONG_LENGTH;
    static final int TIMELINE_KEY_LENGTH = 2 * Layout.LONG_LENGTH;

    static final byte FLAG_OPEN = 1;

    private AudienceLayout()
    {
    }

    static void idKey(final byte[] key, final byte tag, final long id)
    {
        key[0] = tag;
        Layout.putLong(key, 1, id);
    }

    static byte[] idKey(final byte tag, final long id)
    {
        final byte[] key = new byte[ID_KEY_LENGTH];
        idKey(key, tag, id);
        return key;
    }

    static void pairKey(final byte[] key, final byte tag, final long first, final long second)
    {
        key[0] = tag;
        Layout.putLong(key, 1, first);
        Layout.putLong(key, SECOND_ID_OFFSET, second);
    }

    static byte[] pairKey(final byte tag, final long first, final long second)
    {
        final byte[] key = new byte[PAIR_KEY_LENGTH];
        pairKey(key, tag, first, second);
        return key;
    }

    static long second(final byte[] pairKey)
    {
        return Layout.getLong(pairKey, SECOND_ID_OFFSET);
    }

    static void timelineKey(final byte[] key, final long channelId, final long seq)
    {
        Layout.putLong(key, 0, channelId);
        Layout.putLong(key, Layout.LONG_LENGTH, seq);
    }

    static byte[] ownerAndName(final long ownerId, final byte flags, final byte[] name, final boolean withFlags)
    {
        final ByteBuffer value = ByteBuffer.allocate(Layout.LONG_LENGTH + (withFlags ? 1 : 0) + name.length);
        value.putLong(ownerId);
        if (withFlags)
        {
            value.put(flags);
        }
        return value.put(name).array();
    }
}
