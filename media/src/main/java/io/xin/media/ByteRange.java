package io.xin.media;

/**
 * A range of bytes of a blob, first and last inclusive (as in HTTP's {@code Range: bytes=first-last}).
 * Construction refuses a negative or reversed range; a read refuses one that goes past the blob's end.
 *
 * @param first the first byte, 0 or more.
 * @param last  the last byte, inclusive, at least {@code first}.
 */
public record ByteRange(long first, long last)
{
    /**
     * @throws MediaException ({@link MediaException.Reason#INVALID_RANGE}) if first is negative or last is
     *                        before first.
     */
    public ByteRange
    {
        if (first < 0)
        {
            throw new MediaException(MediaException.Reason.INVALID_RANGE, "range starts before 0: " + first);
        }
        if (last < first)
        {
            throw new MediaException(MediaException.Reason.INVALID_RANGE,
                "range is reversed: " + first + "-" + last);
        }
    }

    /**
     * @param size a blob's size, at least 1.
     * @return the whole blob.
     */
    public static ByteRange whole(final long size)
    {
        return new ByteRange(0, size - 1);
    }

    /**
     * @param offset the first byte.
     * @param length how many bytes, at least 1.
     * @return that range.
     * @throws MediaException ({@link MediaException.Reason#INVALID_RANGE}) if the offset is negative, the length
     *                        below 1, or the end overflows.
     */
    public static ByteRange ofLength(final long offset, final long length)
    {
        if (length < 1 || offset > Long.MAX_VALUE - length)
        {
            throw new MediaException(MediaException.Reason.INVALID_RANGE,
                "range length must be at least 1 and end within a long: " + offset + "+" + length);
        }
        return new ByteRange(offset, offset + length - 1);
    }

    /**
     * @return the number of bytes in the range.
     */
    public long length()
    {
        return last - first + 1;
    }
}
