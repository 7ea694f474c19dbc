package io.xin.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The records of the social feed's topics, big-endian.
 * <ul>
 *   <li>{@code <name>.social}, presence: key the user id (8); value {@code kind 1 (1) | flags (1: 1 online, 2 hidden)
 *   | user id (8) | last seen ms (8) | node id length (2) | node id (UTF-8)}. Partition: the user's journal shard.
 *   Or, from a node that starts, {@code kind 2 | node id}, no key, partition 0: every other node publishes its
 *   online users again. Or a people-nearby event: {@code kind 3 | op (1) | user id (8) | cell (8) | event time ms
 *   (8) | token (8) | node id length (2) | node id}, key the coarse cell (8) or none for the fixed key; the cell is
 *   an H3 cell id, the only place an event has. Or, from a node that takes a journal shard, {@code kind 4 | shard
 *   (4) | node id (UTF-8)}, no key, partition the shard: from here on that node serves the shard's users, and what
 *   any other node said of them is over.</li>
 *   <li>{@code <name>.directory}: key {@code key id (4) | user id (8)}; value the 16-byte tag, or none (a tombstone:
 *   the registration was removed).</li>
 * </ul>
 * A record's node id names its sender: the node's id, {@code #}, and a random id of the process, so a node restarted
 * under the same id is a new sender. Nothing else: a record never holds a phone number or a coordinate.
 */
final class SocialRecords
{
    static final byte PRESENCE = 1;
    /** A node started: the others publish their online users again. Value {@code kind 2 | node id (UTF-8)}. */
    static final byte REPUBLISH = 2;
    /** A people-nearby or shake event. */
    static final byte NEARBY = 3;
    private static final int NEARBY_HEADER = 1 + 1 + 8 + 8 + 8 + 8 + 2;
    /** A node took a journal shard: its earlier owner serves none of the shard's users now. */
    static final byte SHARD_SERVED = 4;
    static final int TAG_LENGTH = 16;
    private static final int ONLINE = 1;
    private static final int HIDDEN = 2;
    private static final int PRESENCE_HEADER = 1 + 1 + 8 + 8 + 2;

    private SocialRecords()
    {
    }

    /** A user's presence as published by the node that serves it. */
    record Presence(String nodeId, long userId, boolean online, long lastSeenMs, boolean hidden)
    {
    }

    /** A registration (tag 16 bytes) or its removal (tag null). */
    record Registration(int keyId, long userId, byte[] tag)
    {
    }

    static byte[] userKey(final long userId)
    {
        return ByteBuffer.allocate(8).putLong(userId).array();
    }

    static byte[] encode(final Presence presence)
    {
        final byte[] node = presence.nodeId().getBytes(StandardCharsets.UTF_8);
        if (node.length > Short.MAX_VALUE)
        {
            throw new IllegalArgumentException("node id too long");
        }
        final int flags = (presence.online() ? ONLINE : 0) | (presence.hidden() ? HIDDEN : 0);
        return ByteBuffer.allocate(PRESENCE_HEADER + node.length)
            .put(PRESENCE)
            .put((byte)flags)
            .putLong(presence.userId())
            .putLong(presence.lastSeenMs())
            .putShort((short)node.length)
            .put(node)
            .array();
    }

    /**
     * @return the presence, or null when the record is not one (another kind, or malformed).
     */
    static Presence decodePresence(final byte[] value)
    {
        if (value == null || value.length < PRESENCE_HEADER || value[0] != PRESENCE)
        {
            return null;
        }
        final ByteBuffer buffer = ByteBuffer.wrap(value);
        buffer.get();
        final int flags = buffer.get();
        final long userId = buffer.getLong();
        final long lastSeenMs = buffer.getLong();
        final int nodeLength = buffer.getShort();
        if (nodeLength < 0 || nodeLength != buffer.remaining())
        {
            return null;
        }
        final String node = new String(value, buffer.position(), nodeLength, StandardCharsets.UTF_8);
        return new Presence(node, userId, (flags & ONLINE) != 0, lastSeenMs, (flags & HIDDEN) != 0);
    }

    /** A people-nearby event as published: the cell only, never a coordinate. */
    record Nearby(String nodeId, int op, long userId, long cell, long eventTimeMs, long token)
    {
    }

    static byte[] encode(final Nearby event)
    {
        final byte[] node = event.nodeId().getBytes(StandardCharsets.UTF_8);
        if (node.length > Short.MAX_VALUE)
        {
            throw new IllegalArgumentException("node id too long");
        }
        return ByteBuffer.allocate(NEARBY_HEADER + node.length)
            .put(NEARBY)
            .put((byte)event.op())
            .putLong(event.userId())
            .putLong(event.cell())
            .putLong(event.eventTimeMs())
            .putLong(event.token())
            .putShort((short)node.length)
            .put(node)
            .array();
    }

    /**
     * @return the event, or null when the record is not one.
     */
    static Nearby decodeNearby(final byte[] value)
    {
        if (value == null || value.length < NEARBY_HEADER || value[0] != NEARBY)
        {
            return null;
        }
        final ByteBuffer buffer = ByteBuffer.wrap(value);
        buffer.get();
        final int op = buffer.get();
        final long userId = buffer.getLong();
        final long cell = buffer.getLong();
        final long eventTimeMs = buffer.getLong();
        final long token = buffer.getLong();
        final int nodeLength = buffer.getShort();
        if (nodeLength < 0 || nodeLength != buffer.remaining())
        {
            return null;
        }
        return new Nearby(new String(value, buffer.position(), nodeLength, StandardCharsets.UTF_8), op, userId, cell,
            eventTimeMs, token);
    }

    static byte[] encodeRepublish(final String nodeId)
    {
        final byte[] node = nodeId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + node.length).put(REPUBLISH).put(node).array();
    }

    /**
     * @return the node id of a republish request, or null when the record is not one.
     */
    static String decodeRepublish(final byte[] value)
    {
        if (value == null || value.length < 2 || value[0] != REPUBLISH)
        {
            return null;
        }
        return new String(value, 1, value.length - 1, StandardCharsets.UTF_8);
    }

    /** A journal shard taken by a node. */
    record ShardServed(String nodeId, int shard)
    {
    }

    static byte[] encodeShardServed(final String nodeId, final int shard)
    {
        final byte[] node = nodeId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + 4 + node.length).put(SHARD_SERVED).putInt(shard).put(node).array();
    }

    /**
     * @return the shard taken, or null when the record is not one.
     */
    static ShardServed decodeShardServed(final byte[] value)
    {
        if (value == null || value.length < 1 + 4 + 1 || value[0] != SHARD_SERVED)
        {
            return null;
        }
        final int shard = ByteBuffer.wrap(value, 1, 4).getInt();
        return shard < 0 ? null : new ShardServed(new String(value, 5, value.length - 5, StandardCharsets.UTF_8), shard);
    }

    static byte[] registrationKey(final int keyId, final long userId)
    {
        return ByteBuffer.allocate(12).putInt(keyId).putLong(userId).array();
    }

    /**
     * @return the registration (tag null for a tombstone), or null when the record is malformed.
     */
    static Registration decodeRegistration(final byte[] key, final byte[] value)
    {
        if (key == null || key.length != 12 || value != null && value.length != TAG_LENGTH)
        {
            return null;
        }
        final ByteBuffer buffer = ByteBuffer.wrap(key);
        return new Registration(buffer.getInt(), buffer.getLong(), value);
    }
}
