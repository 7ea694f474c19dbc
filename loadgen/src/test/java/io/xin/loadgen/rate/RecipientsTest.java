package io.xin.loadgen.rate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecipientsTest
{
    private static final int USERS = 100;
    private static final int DRAWS = 100_000;

    @Test
    void shouldNeverPickTheSenderAsRecipient()
    {
        final Recipients recipients = new Recipients(2, 0, 1);
        for (int i = 0; i < 1_000; i++)
        {
            final int sender = recipients.nextSender();
            assertNotEquals(sender, recipients.nextRecipient(sender));
        }
    }

    @Test
    void shouldSpreadUniformRecipientsEvenly()
    {
        final int[] counts = draw(new Recipients(USERS, 0, 7));
        for (final int count : counts)
        {
            assertTrue(count > DRAWS / USERS * 0.8 && count < DRAWS / USERS * 1.2, "count " + count);
        }
    }

    @Test
    void shouldSkewZipfRecipientsTowardsTheFirstRanks()
    {
        final int[] counts = draw(new Recipients(USERS, 1.0, 7));
        // Zipf s=1 over 100 ranks: rank 0 takes 1/H(100) ~ 19% of draws, rank 99 about 0.2%.
        assertTrue(counts[0] > DRAWS * 0.15, "rank 0: " + counts[0]);
        assertTrue(counts[0] > 20 * counts[USERS - 1], "rank 0: " + counts[0] + ", last: " + counts[USERS - 1]);
    }

    @Test
    void shouldRejectAChatOfOne()
    {
        assertThrows(IllegalArgumentException.class, () -> new Recipients(1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Recipients(10, -1, 1));
    }

    private static int[] draw(final Recipients recipients)
    {
        final int[] counts = new int[USERS];
        for (int i = 0; i < DRAWS; i++)
        {
            counts[recipients.nextRecipient(-1)]++;
        }
        return counts;
    }
}
