package io.xin.loadgen.media;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SizeMixTest
{
    @Test
    void shouldDrawSizesByWeight()
    {
        final SizeMix mix = SizeMix.parse("48k:50, 400k:35,3m:12,16m:3");
        final Map<Long, Integer> drawn = new HashMap<>();
        final SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 100_000; i++)
        {
            drawn.merge(mix.pick(random), 1, Integer::sum);
        }

        assertEquals(4, drawn.size());
        assertEquals(0.50, drawn.get(48L * 1024) / 100_000.0, 0.01);
        assertEquals(0.35, drawn.get(400L * 1024) / 100_000.0, 0.01);
        assertEquals(0.12, drawn.get(3L * 1024 * 1024) / 100_000.0, 0.01);
        assertEquals(0.03, drawn.get(16L * 1024 * 1024) / 100_000.0, 0.005);
        assertEquals(0.5 * 48 * 1024 + 0.35 * 400 * 1024 + 0.12 * 3 * 1048576 + 0.03 * 16 * 1048576,
            mix.meanBytes(), 1);
        assertEquals(16L * 1024 * 1024, mix.maxBytes());
    }

    @Test
    void shouldTypeFilesBySize()
    {
        assertEquals("audio/ogg", SizeMix.contentType(48 * 1024));
        assertEquals("image/jpeg", SizeMix.contentType(400 * 1024));
        assertEquals("video/mp4", SizeMix.contentType(16 * 1024 * 1024));
    }

    @Test
    void shouldRefuseAMalformedMix()
    {
        for (final String bad : new String[]{ "", "10k", "10k:0", "10x:1", "-1:1", "10k:a", "3000m:1" })
        {
            assertThrows(IllegalArgumentException.class, () -> SizeMix.parse(bad), bad);
        }
        assertTrue(SizeMix.parse("100:1").meanBytes() == 100);
    }
}
