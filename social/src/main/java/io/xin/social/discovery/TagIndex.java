package io.xin.social.discovery;

/**
 * Registered tags to user ids, in memory: an open-addressing hash table with linear probing over three primitive
 * arrays (a tag's two halves and the user id), 24 bytes a slot, filled to at most three quarters: 32 bytes an
 * entry when sized for its entries, 10,000,000 entries in 320 MB and no object per entry. A user id of 0 marks a
 * free slot.
 * <p>
 * A tag is the first 16 bytes of a PRF output, uniformly distributed, so its top 32 bits pick the slot directly
 * (multiplied down to the table's size, which need not be a power of two); removal shifts the following entries
 * back instead of leaving tombstones, so lookups never slow down with churn. The table grows to twice its entries
 * when full; {@link #TagIndex(int)} sizes it up front for a known count.
 * <p>
 * Not thread-safe: its owner guards it.
 */
public final class TagIndex
{
    /** Entries per slot at most; linear probing stays short below it (about 2.5 probes for a miss). */
    public static final double MAX_LOAD = 0.75;
    private static final int MIN_CAPACITY = 16;
    /** The largest array the JVM allocates, with room for its header. */
    private static final int MAX_CAPACITY = Integer.MAX_VALUE - 8;

    private long[] his;
    private long[] los;
    private long[] users;
    private int capacity;
    private int size;
    private int resizeAt;

    /**
     * @param expectedEntries entries to hold without growing.
     */
    public TagIndex(final int expectedEntries)
    {
        allocate(capacityFor(expectedEntries));
    }

    /** The first 8 bytes of a tag, big-endian. */
    public static long hi(final byte[] tag)
    {
        return longAt(tag, 0);
    }

    /** Bytes 8 to 16 of a tag, big-endian. */
    public static long lo(final byte[] tag)
    {
        return longAt(tag, 8);
    }

    /**
     * @return the user registered with the tag, 0 when none.
     */
    public long get(final long hi, final long lo)
    {
        int i = home(hi);
        while (true)
        {
            final long user = users[i];
            if (user == 0)
            {
                return 0;
            }
            if (his[i] == hi && los[i] == lo)
            {
                return user;
            }
            i = next(i);
        }
    }

    /**
     * @param userId not 0.
     * @return the user the tag was registered with before, 0 when none.
     */
    public long put(final long hi, final long lo, final long userId)
    {
        if (userId == 0)
        {
            throw new IllegalArgumentException("user id 0 marks a free slot");
        }
        if (size >= resizeAt)
        {
            rehash(capacityFor(2L * Math.max(size, MIN_CAPACITY)));
        }
        int i = home(hi);
        while (true)
        {
            final long user = users[i];
            if (user == 0)
            {
                his[i] = hi;
                los[i] = lo;
                users[i] = userId;
                size++;
                return 0;
            }
            if (his[i] == hi && los[i] == lo)
            {
                users[i] = userId;
                return user;
            }
            i = next(i);
        }
    }

    /**
     * @return the user the tag was registered with, 0 when none.
     */
    public long remove(final long hi, final long lo)
    {
        int i = home(hi);
        while (true)
        {
            final long user = users[i];
            if (user == 0)
            {
                return 0;
            }
            if (his[i] == hi && los[i] == lo)
            {
                break;
            }
            i = next(i);
        }
        final long removed = users[i];
        // Backward-shift deletion: move each following entry of the run into the hole unless its home lies in the
        // cyclic range (hole, j], where it would then be unreachable.
        int hole = i;
        int j = i;
        while (true)
        {
            j = next(j);
            if (users[j] == 0)
            {
                break;
            }
            final int home = home(his[j]);
            final boolean movable = hole <= j ? home <= hole || home > j : home <= hole && home > j;
            if (movable)
            {
                his[hole] = his[j];
                los[hole] = los[j];
                users[hole] = users[j];
                hole = j;
            }
        }
        his[hole] = 0;
        los[hole] = 0;
        users[hole] = 0;
        size--;
        return removed;
    }

    public int size()
    {
        return size;
    }

    /** Slots in the table. */
    public int capacity()
    {
        return capacity;
    }

    /** The bytes of the table's arrays: 24 a slot. */
    public long memoryBytes()
    {
        return 3L * Long.BYTES * capacity;
    }

    /** The slots a table of {@code entries} takes: entries / {@link #MAX_LOAD}, at least 16. */
    static int capacityFor(final long entries)
    {
        final long slots = (long)Math.ceil(entries / MAX_LOAD) + 1;
        if (slots > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("too many entries for one table: " + entries);
        }
        return (int)Math.max(MIN_CAPACITY, slots);
    }

    private int home(final long hi)
    {
        // The top 32 bits scaled to [0, capacity): uniform because tags are.
        return (int)(((hi >>> 32) * capacity) >>> 32);
    }

    private int next(final int i)
    {
        final int n = i + 1;
        return n == capacity ? 0 : n;
    }

    private void allocate(final int slots)
    {
        capacity = slots;
        his = new long[slots];
        los = new long[slots];
        users = new long[slots];
        resizeAt = (int)Math.min(slots - 1, (long)(slots * MAX_LOAD));
    }

    private void rehash(final int slots)
    {
        final long[] oldHis = his;
        final long[] oldLos = los;
        final long[] oldUsers = users;
        allocate(slots);
        size = 0;
        for (int i = 0; i < oldUsers.length; i++)
        {
            if (oldUsers[i] != 0)
            {
                put(oldHis[i], oldLos[i], oldUsers[i]);
            }
        }
    }

    private static long longAt(final byte[] bytes, final int offset)
    {
        long value = 0;
        for (int i = 0; i < Long.BYTES; i++)
        {
            value = value << 8 | (bytes[offset + i] & 0xFF);
        }
        return value;
    }
}
