package io.xin.cluster;

import io.xin.core.journal.Handoff;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HandoffRecordsTest
{
    @Test
    void shouldCarryTheMessageItsIdAndRecipient()
    {
        final byte[] stored = {9, 8, 7, 6};
        final byte[] record = HandoffRecords.encode(new Handoff(1234567L << 10 | 5, 42, stored));

        final Handoff read = HandoffRecords.decode(record, 77, 3);
        assertEquals(1234567L << 10 | 5, read.msgId());
        assertEquals(42, read.recipientId());
        assertArrayEquals(stored, read.stored());
    }

    @Test
    void shouldRefuseARecordTooShortToHoldAMessage()
    {
        assertThrows(IllegalArgumentException.class, () -> HandoffRecords.decode(new byte[16], 1, 1));
        assertThrows(IllegalArgumentException.class, () -> HandoffRecords.decode(null, 1, 1));
    }
}
