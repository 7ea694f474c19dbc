package io.xin.cluster;

import io.xin.core.journal.Handoff;

import java.nio.ByteBuffer;

/**
 * A hand-off as a record of the hand-off topic: {@code msg_id (8) | recipient (8) | stored message}, big-endian; the
 * partition is the recipient's shard.
 */
final class HandoffRecords
{
    static final int HEADER_LENGTH = 16;

    private HandoffRecords()
    {
    }

    static byte[] encode(final Handoff handoff)
    {
        final byte[] stored = handoff.stored();
        final byte[] value = new byte[HEADER_LENGTH + stored.length];
        final ByteBuffer buffer = ByteBuffer.wrap(value);
        buffer.putLong(handoff.msgId()).putLong(handoff.recipientId()).put(stored);
        return value;
    }

    /**
     * @throws IllegalArgumentException if the record is too short to be one.
     */
    static Handoff decode(final byte[] value, final long offset, final long ownerEpoch)
    {
        if (value == null || value.length <= HEADER_LENGTH)
        {
            throw new IllegalArgumentException("hand-off record at offset " + offset + " is malformed: " +
                (value == null ? "no value" : value.length + " bytes"));
        }
        final ByteBuffer buffer = ByteBuffer.wrap(value);
        final long msgId = buffer.getLong();
        final long recipientId = buffer.getLong();
        final byte[] stored = new byte[value.length - HEADER_LENGTH];
        buffer.get(stored);
        return new Handoff(msgId, recipientId, stored, offset, ownerEpoch);
    }
}
