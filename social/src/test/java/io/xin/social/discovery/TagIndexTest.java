package io.xin.social.discovery;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

final class TagIndexTest
{
    private record Tag(long hi, long lo)
    {
    }

    @Test
    void shouldAgreeWithAHashMapThroughPutsRemovesAndGrowth()
    {
        final Random random = new Random(42);
        final TagIndex index = new TagIndex(4);
        final Map<Tag, Long> expected = new HashMap<>();
        final List<Tag> known = new ArrayList<>();
        for (int step = 0; step < 200_000; step++)
        {
            final int op = random.nextInt(10);
            if (op < 5 || known.isEmpty())
            {
                final Tag tag = new Tag(random.nextLong(), random.nextLong());
                final long user = 1 + random.nextInt(1_000_000);
                known.add(tag);
                assertEquals(orZero(expected.put(tag, user)), index.put(tag.hi, tag.lo, user));
            }
            else if (op < 8)
            {
                final Tag tag = known.get(random.nextInt(known.size()));
                assertEquals(orZero(expected.remove(tag)), index.remove(tag.hi, tag.lo));
            }
            else
            {
                final Tag tag = known.get(random.nextInt(known.size()));
                final long user = 1 + random.nextInt(1_000_000);
                assertEquals(orZero(expected.put(tag, user)), index.put(tag.hi, tag.lo, user));
            }
            assertEquals(expected.size(), index.size());
        }
        for (final Tag tag : known)
        {
            assertEquals(orZero(expected.get(tag)), index.get(tag.hi, tag.lo));
        }
    }

    @Test
    void shouldKeepRunsReachableWhenTheyWrapAroundTheEnd()
    {
        // Every tag's top bits point at the last slot, so the run wraps to the start; removals shift back across it.
        final TagIndex index = new TagIndex(8);
        final long lastSlot = -1L;
        for (int i = 1; i <= 8; i++)
        {
            index.put(lastSlot, i, i);
        }
        assertEquals(3, index.remove(lastSlot, 3));
        assertEquals(1, index.remove(lastSlot, 1));
        for (int i = 1; i <= 8; i++)
        {
            assertEquals(i == 1 || i == 3 ? 0 : i, index.get(lastSlot, i), "tag " + i);
        }
        assertEquals(6, index.size());
    }

    @Test
    void shouldTakeTwentyFourBytesASlotAndAtMostThirtyTwoAnEntryWhenSized()
    {
        final TagIndex index = new TagIndex(1_000_000);
        assertEquals(24L * index.capacity(), index.memoryBytes());
        assertEquals(true, index.memoryBytes() <= 32L * 1_000_000 + 48, "bytes " + index.memoryBytes());
        final Random random = new Random(7);
        for (int i = 0; i < 1_000_000; i++)
        {
            index.put(random.nextLong(), random.nextLong(), i + 1);
        }
        assertEquals(1_000_000, index.size());
        assertEquals(TagIndex.capacityFor(1_000_000), index.capacity(), "sized for its entries: no growth");
    }

    @Test
    void shouldReadTagHalvesBigEndian()
    {
        final byte[] tag = new byte[16];
        for (int i = 0; i < 16; i++)
        {
            tag[i] = (byte)(i + 1);
        }
        assertEquals(0x0102030405060708L, TagIndex.hi(tag));
        assertEquals(0x090A0B0C0D0E0F10L, TagIndex.lo(tag));
        assertThrows(IllegalArgumentException.class, () -> new TagIndex(1).put(1, 1, 0));
    }

    private static long orZero(final Long value)
    {
        return value == null ? 0 : value;
    }
}
