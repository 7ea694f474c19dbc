package io.xin.social.discovery;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class KeyRingTest
{
    private static final byte[] SEED_1 = seed(1);
    private static final byte[] SEED_2 = seed(2);
    private static final byte[] INPUT = "+8613800138000".getBytes(StandardCharsets.UTF_8);

    @Test
    void shouldServeTheCurrentAndPreviousKeys()
    {
        final KeyRing ring = KeyRing.parse(KeyRing.file(2, SEED_2, 1, SEED_1));
        assertEquals(2, ring.current().id());
        assertEquals(1, ring.previous().id());
        assertSame(ring.current(), ring.served(2));
        assertSame(ring.previous(), ring.served(1));
        assertNull(ring.served(3));
        assertNull(ring.served(0));
        assertArrayEquals(new int[]{ 2, 1 }, ring.servedIds());
        assertEquals("KeyRing{current=2, previous=1}", ring.toString());
    }

    @Test
    void shouldDeriveTheSameKeyFromTheSameSeedAndId()
    {
        final KeyRing first = KeyRing.parse(KeyRing.file(1, SEED_1, 0, null));
        final KeyRing again = KeyRing.parse(KeyRing.file(1, SEED_1, 0, null));
        assertArrayEquals(first.current().evaluate(INPUT), again.current().evaluate(INPUT));
        assertNull(first.previous());
        assertArrayEquals(new int[]{ 1 }, first.servedIds());
    }

    @Test
    void shouldMakeANewFileWithAFreshSeed()
    {
        final KeyRing first = KeyRing.parse(KeyRing.newFile(4, new java.security.SecureRandom()));
        final KeyRing second = KeyRing.parse(KeyRing.newFile(4, new java.security.SecureRandom()));
        assertEquals(4, first.current().id());
        assertNull(first.previous());
        assertFalse(Arrays.equals(first.current().evaluate(INPUT), second.current().evaluate(INPUT)));
    }

    @Test
    void shouldRotateTheCurrentKeyIntoThePreviousOne()
    {
        final String file = KeyRing.file(1, SEED_1, 0, null);
        final KeyRing before = KeyRing.parse(file);
        final KeyRing after = KeyRing.parse(KeyRing.rotatedFile(file, 2, SEED_2));
        assertEquals(2, after.current().id());
        assertEquals(1, after.previous().id());
        assertArrayEquals(before.current().evaluate(INPUT), after.previous().evaluate(INPUT));
        assertFalse(Arrays.equals(before.current().evaluate(INPUT), after.current().evaluate(INPUT)));
        final KeyRing rotated = before.rotate(OprfKey.derive(5, SEED_2));
        assertEquals(5, rotated.current().id());
        assertSame(before.current(), rotated.previous());
        assertThrows(IllegalArgumentException.class, () -> KeyRing.rotatedFile(file, 1, SEED_2));
    }

    @Test
    void shouldRefuseABadFileWithoutPrintingTheSeed()
    {
        final String seedHex = "00".repeat(31) + "ab";
        for (final String text : new String[]{ "", "current.id = 1\n", "current.seed = " + seedHex + "\n",
            "current.id = 0\ncurrent.seed = " + seedHex + "\n", "current.id = x\ncurrent.seed = " + seedHex + "\n",
            "current.id = 1\ncurrent.seed = " + seedHex.substring(2) + "\n",
            "current.id = 1\ncurrent.seed = zz" + seedHex.substring(2) + "\n",
            "current.id = 1\ncurrent.seed = " + seedHex + "\nprevious.id = 1\nprevious.seed = " + seedHex + "\n",
            "current.id = 1\ncurrent.seed = " + seedHex + "\nprevious.id = 2\n" })
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> KeyRing.parse(text), text);
            assertFalse(ex.getMessage().contains("ab"), ex.getMessage());
        }
        assertTrue(KeyRing.file(1, SEED_1, 0, null).startsWith("#"));
    }

    private static byte[] seed(final int value)
    {
        final byte[] seed = new byte[32];
        Arrays.fill(seed, (byte)value);
        return seed;
    }
}
