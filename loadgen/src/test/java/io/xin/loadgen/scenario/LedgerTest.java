package io.xin.loadgen.scenario;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LedgerTest
{
    @Test
    void shouldCountAnAckedMessageNeverDeliveredAsLost()
    {
        final Ledger ledger = new Ledger();
        ledger.sent(0);
        ledger.sent(1);
        ledger.acked(0);
        ledger.acked(1);
        ledger.delivered(1);

        final Ledger.Tally tally = ledger.tally();

        assertEquals(2, tally.sent);
        assertEquals(2, tally.acked);
        assertEquals(1, tally.delivered);
        assertEquals(1, tally.lost);
    }

    @Test
    void shouldCountEveryDeliveryBeyondTheFirstAsDuplicate()
    {
        final Ledger ledger = new Ledger();
        ledger.sent(0);
        assertEquals(0, ledger.delivered(0));
        assertEquals(1, ledger.delivered(0));
        assertEquals(2, ledger.delivered(0));

        final Ledger.Tally tally = ledger.tally();

        assertEquals(1, tally.delivered);
        assertEquals(2, tally.duplicates);
        assertEquals(1, tally.deliveredUnacked);
        assertEquals(0, tally.lost);
    }

    @Test
    void shouldTellAnUnackedUndeliveredMessageFromALostOne()
    {
        final Ledger ledger = new Ledger();
        ledger.sent(0);

        final Ledger.Tally tally = ledger.tally();

        assertEquals(0, tally.lost);
        assertEquals(1, tally.unackedUndelivered);
        assertTrue(ledger.isOutstanding(0));
    }

    @Test
    void shouldReportOnlyTheFirstAckOfAMessage()
    {
        final Ledger ledger = new Ledger();
        ledger.sent(0);
        assertTrue(ledger.acked(0));
        assertFalse(ledger.acked(0));
        assertEquals(1, ledger.tally().acked);
    }

    @Test
    void shouldGrowAcrossChunksAndRefuseMessagesNeverSent()
    {
        final Ledger ledger = new Ledger();
        for (long index = 0; index < 200_000; index++)
        {
            ledger.sent(index);
        }
        ledger.acked(199_999);
        ledger.delivered(199_999);

        final Ledger.Tally tally = ledger.tally();

        assertEquals(200_000, tally.sent);
        assertEquals(1, tally.delivered);
        assertThrows(IllegalStateException.class, () -> ledger.delivered(1L << 20));
    }
}
