package io.xin.media.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.xin.media.ByteRange;

import java.util.List;

import org.junit.jupiter.api.Test;

class RangeSpecTest
{
    @Test
    void resolvesTheThreeFormsAgainstTheSize() throws Refusal
    {
        assertEquals(new ByteRange(0, 9), resolve("bytes=0-9", 100));
        assertEquals(new ByteRange(10, 99), resolve("bytes=10-", 100));
        assertEquals(new ByteRange(90, 99), resolve("bytes=-10", 100));
        assertEquals(new ByteRange(0, 99), resolve("bytes=-1000", 100));
        assertEquals(new ByteRange(50, 99), resolve("bytes=50-1000", 100));
        assertEquals(new ByteRange(99, 99), resolve("bytes=99-99", 100));
        assertEquals(new ByteRange(5, 99), resolve(" Bytes=5-99999999999999999999999 ", 100));
        assertEquals(new ByteRange(0, 0), resolve("bytes= 0-0 ", 1));
    }

    @Test
    void wholeWithoutARangeOrWithSeveral() throws Refusal
    {
        assertNull(resolve(null, 100));
        assertNull(resolve("bytes=0-1,5-6", 100));
        assertNull(resolve("bytes=0-1, -5", 100));
    }

    @Test
    void malformedIs400()
    {
        for (final String header : List.of("", "bytes", "bytes=", "bytes=-", "bytes=a-1", "bytes=1-a", "bytes=2-1",
            "bytes=1", "bytes=1--2", "bytes=-1-2", "bytes=0-1,", "bytes=0-1,x", "lines=0-1", "0-1", "bytes=+1-2",
            "bytes=0x1-2", "bytes=1 -2"))
        {
            final Refusal refusal = assertThrows(Refusal.class, () -> RangeSpec.parse(header), header);
            assertEquals(400, refusal.status().code(), header);
        }
    }

    @Test
    void unsatisfiableIs416()
    {
        for (final String header : List.of("bytes=100-", "bytes=100-200", "bytes=-0", "bytes=9999999999999999999999-"))
        {
            final Refusal refusal = assertThrows(Refusal.class, () -> resolve(header, 100), header);
            assertEquals(416, refusal.status().code(), header);
        }
    }

    private static ByteRange resolve(final String header, final long size) throws Refusal
    {
        return RangeSpec.parse(header).resolve(size);
    }
}
