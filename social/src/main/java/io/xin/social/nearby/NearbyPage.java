package io.xin.social.nearby;

import java.util.Arrays;

/**
 * One page of people nearby: user ids with their distance bands, closest first, and where the next page starts. All
 * an answer carries: no distance, cell or coordinate. Filled by {@link NearbyIndex#query} and reused from query to
 * query by the thread that owns the index.
 */
public final class NearbyPage
{
    private long[] userIds = new long[16];
    private int[] bands = new int[16];
    private int size;
    private int nextOffset;

    /** Empties the page for the next query. */
    public void clear()
    {
        size = 0;
        nextOffset = 0;
    }

    void add(final long userId, final int band)
    {
        if (size == userIds.length)
        {
            userIds = Arrays.copyOf(userIds, size * 2);
            bands = Arrays.copyOf(bands, size * 2);
        }
        userIds[size] = userId;
        bands[size] = band;
        size++;
    }

    void nextOffset(final int nextOffset)
    {
        this.nextOffset = nextOffset;
    }

    /**
     * @return users on this page.
     */
    public int size()
    {
        return size;
    }

    /**
     * @param i 0 .. {@link #size()} - 1.
     */
    public long userId(final int i)
    {
        return userIds[check(i)];
    }

    /**
     * @param i 0 .. {@link #size()} - 1.
     * @return the user's band, {@link DistanceBands#WITHIN_1_KM} .. {@link DistanceBands#WITHIN_20_KM}.
     */
    public int band(final int i)
    {
        return bands[check(i)];
    }

    /**
     * @return the offset of the next page, or 0 when there are no more users.
     */
    public int nextOffset()
    {
        return nextOffset;
    }

    private int check(final int i)
    {
        if (i < 0 || i >= size)
        {
            throw new IndexOutOfBoundsException(i);
        }
        return i;
    }

    @Override
    public String toString()
    {
        final StringBuilder out = new StringBuilder("NearbyPage{");
        for (int i = 0; i < size; i++)
        {
            out.append(i == 0 ? "" : ", ").append(userIds[i]).append(':').append(bands[i]);
        }
        return out.append(", next=").append(nextOffset).append('}').toString();
    }
}
