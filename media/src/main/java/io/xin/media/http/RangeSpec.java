package io.xin.media.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.xin.media.ByteRange;

/**
 * A {@code Range} header, checked for form before the blob's size is known ({@link #parse}) and then for
 * satisfiability against it ({@link #resolve}). One range of bytes is served as 206: {@code bytes=a-b},
 * {@code bytes=a-} or {@code bytes=-n}. Several well-formed ranges are answered with the whole blob (200), as RFC
 * 9110 allows. Anything malformed (another unit, a reversed range, a stray character) is refused with 400;
 * a range that starts past the end, or an empty suffix, with 416.
 *
 * @param first  the first byte, or -1 for a suffix.
 * @param last   the last byte, inclusive, or -1 for "to the end" (and for a suffix).
 * @param suffix the length of a suffix range, or -1.
 */
record RangeSpec(long first, long last, long suffix)
{
    /** Stands for "serve the whole blob": no Range header, or several ranges. */
    static final RangeSpec WHOLE = new RangeSpec(-1, -1, -1);

    private static final String UNIT = "bytes=";

    /**
     * @param header the Range header, or null.
     * @return the range asked for, or {@link #WHOLE}.
     * @throws Refusal 400 if the header is malformed.
     */
    static RangeSpec parse(final String header) throws Refusal
    {
        if (header == null)
        {
            return WHOLE;
        }
        final String value = header.trim();
        if (!value.regionMatches(true, 0, UNIT, 0, UNIT.length()))
        {
            throw malformed();
        }
        final String[] ranges = value.substring(UNIT.length()).split(",", -1);
        RangeSpec single = null;
        for (final String range : ranges)
        {
            single = parseOne(range.trim());
        }
        return ranges.length == 1 ? single : WHOLE;
    }

    /**
     * @param size the blob's size, at least 1.
     * @return the bytes to send, or null for the whole blob as 200.
     * @throws Refusal 416 if the range is not satisfiable.
     */
    ByteRange resolve(final long size) throws Refusal
    {
        if (this.equals(WHOLE))
        {
            return null;
        }
        if (suffix >= 0)
        {
            if (suffix == 0)
            {
                throw unsatisfiable();
            }
            return new ByteRange(Math.max(0, size - suffix), size - 1);
        }
        if (first >= size)
        {
            throw unsatisfiable();
        }
        return new ByteRange(first, last < 0 ? size - 1 : Math.min(last, size - 1));
    }

    private static RangeSpec parseOne(final String range) throws Refusal
    {
        final int dash = range.indexOf('-');
        if (dash < 0 || range.indexOf('-', dash + 1) >= 0)
        {
            throw malformed();
        }
        final String left = range.substring(0, dash);
        final String right = range.substring(dash + 1);
        if (left.isEmpty())
        {
            return new RangeSpec(-1, -1, number(right));
        }
        final long first = number(left);
        if (right.isEmpty())
        {
            return new RangeSpec(first, -1, -1);
        }
        final long last = number(right);
        if (last < first)
        {
            throw malformed();
        }
        return new RangeSpec(first, last, -1);
    }

    /** @return the digits' value, Long.MAX_VALUE if larger (a position that large is past any blob). */
    private static long number(final String digits) throws Refusal
    {
        if (digits.isEmpty())
        {
            throw malformed();
        }
        long value = 0;
        for (int i = 0; i < digits.length(); i++)
        {
            final char c = digits.charAt(i);
            if (c < '0' || c > '9')
            {
                throw malformed();
            }
            value = value > (Long.MAX_VALUE - 9) / 10 ? Long.MAX_VALUE : value * 10 + (c - '0');
        }
        return value;
    }

    private static Refusal malformed()
    {
        return new Refusal(HttpResponseStatus.BAD_REQUEST, "malformed Range: one of bytes=a-b, bytes=a-, bytes=-n");
    }

    private static Refusal unsatisfiable()
    {
        return new Refusal(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "range not satisfiable");
    }
}
