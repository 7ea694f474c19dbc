package io.xin.social.nearby;

import com.uber.h3core.util.LatLng;
import org.agrona.collections.Long2LongCounterMap;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayList;

import java.util.Arrays;
import java.util.function.LongPredicate;

/**
 * Who is where, as people nearby needs it: for each user who reported a location, the H3 cell it fell in (about
 * 0.1 km² at resolution 9) and when the entry expires. Nothing else: no coordinate, no distance, no history. The
 * entries are spread over shards keyed by a coarse ancestor cell ({@link Cells#SHARD_RESOLUTION}), never by user, so
 * a query reads every shard its 20 km reach touches; within a shard, each occupied cell holds its users' ids, and
 * each block (the cell's parent) and each super-block (its grandparent) counts its occupied cells.
 * <p>
 * A query walks grid rings of super-blocks around the requester's, band by band: the rings that can hold a cell of
 * the band ({@link Cells#ringsCovering}). It opens an occupied super-block into its blocks, and a block into its
 * cells, only once the band reaches the nearest a cell inside could be (the centre's distance less the reach of a
 * cell from it), so far-off ones cost one lookup and one distance. Users come out sorted by band, then by the
 * distance between the cell centres, then by user id, and the walk stops once the page (and one more user, to know
 * there are more) is filled: a dense city's first page reads a few dozen blocks, not the city.
 * <p>
 * Single-threaded by design: the one thread that owns the index (the switch's nearby thread) calls every method.
 * Times are the caller's (milliseconds), so the index keeps no clock and replays the same for the same calls;
 * they are expected not to go back.
 */
public final class NearbyIndex
{
    /** What became of a report. */
    public enum Report
    {
        /** The entry now holds the reported cell, until {@link #expiresAt}. */
        ACCEPTED,
        /** Farther from the last accepted report than the maximum speed allows: nothing changed. */
        IMPOSSIBLE_JUMP
    }

    /**
     * A move up to this far is always taken: positions wander (a fix indoors, a cell boundary) and distances are
     * between cell centres.
     */
    public static final double JUMP_GRACE_KM = 1.0;
    private static final double MS_PER_HOUR = 3_600_000.0;
    private static final int CHILDREN = 7;

    private final int cellResolution;
    private final int blockResolution;
    private final int superBlockResolution;
    private final long expiryMs;
    private final double maxSpeedKmh;
    /** How far a cell's centre lies from its block's, and from its super-block's, at most. */
    private final double blockReachKm;
    private final double superBlockReachKm;
    /** By resolution: how far a cell's centre lies from its ancestor's there, at most. */
    private final double[] reachToAncestorKm;
    /** By band: the super-block rings around the requester's super-block that hold every cell of the band. */
    private final int[] ringsForBand = new int[DistanceBands.WITHIN_20_KM + 1];

    /** Each located user's cell; 0 for none. */
    private final Long2LongHashMap cells = new Long2LongHashMap(0);
    /** Each located user's expiry; the last accepted report was {@link #expiryMs} before it. */
    private final Long2LongHashMap expiries = new Long2LongHashMap(0);
    private final Long2ObjectHashMap<Shard> shards = new Long2ObjectHashMap<>();
    /** Accepted reports in order, to expire them. */
    private final ExpiryQueue expiryQueue = new ExpiryQueue();

    // Scratch of a query, reused.
    private final LongArrayList ring = new LongArrayList();
    /** Occupied super-blocks, and blocks, found and not yet opened: each with the nearest a cell inside may be. */
    private final Pending pendingSuperBlocks = new Pending();
    private final Pending pendingBlocks = new Pending();
    /** The shard of the last ring cell looked up: ring neighbours mostly share one. */
    private long lastShardKey;
    private Shard lastShard;
    private long[] candidateCells = new long[256];
    private double[] candidateKm = new double[256];
    private CellUsers[] candidateUsers = new CellUsers[256];
    private int candidateCount;
    private long[] tied = new long[64];
    /** Eligible users walked so far in the current query. */
    private long position;

    /**
     * @param cellResolution the resolution of the cells kept, {@link Cells#SHARD_RESOLUTION} + 2 .. 15.
     * @param expiryMs       how long an entry lives after its report.
     * @param maxSpeedKmh    a report farther from the last one than this speed allows is refused.
     */
    public NearbyIndex(final int cellResolution, final long expiryMs, final double maxSpeedKmh)
    {
        if (cellResolution < Cells.SHARD_RESOLUTION + 2 || cellResolution > Cells.MAX_RESOLUTION)
        {
            throw new IllegalArgumentException("cellResolution must be " + (Cells.SHARD_RESOLUTION + 2) + ".." +
                Cells.MAX_RESOLUTION + ": " + cellResolution);
        }
        if (expiryMs <= 0 || !(maxSpeedKmh > 0))
        {
            throw new IllegalArgumentException("expiryMs and maxSpeedKmh must be positive");
        }
        this.cellResolution = cellResolution;
        this.blockResolution = cellResolution - 1;
        this.superBlockResolution = cellResolution - 2;
        this.expiryMs = expiryMs;
        this.maxSpeedKmh = maxSpeedKmh;
        this.blockReachKm = Cells.ancestorReachKm(cellResolution, blockResolution);
        this.superBlockReachKm = Cells.ancestorReachKm(cellResolution, superBlockResolution);
        this.reachToAncestorKm = new double[cellResolution];
        for (int res = 0; res < cellResolution; res++)
        {
            reachToAncestorKm[res] = Cells.ancestorReachKm(cellResolution, res);
        }
        for (int band = DistanceBands.WITHIN_1_KM; band <= DistanceBands.WITHIN_20_KM; band++)
        {
            ringsForBand[band] =
                Cells.ringsCovering(DistanceBands.limitKm(band), cellResolution, superBlockResolution);
        }
    }

    /**
     * @return the resolution of the cells this index keeps.
     */
    public int cellResolution()
    {
        return cellResolution;
    }

    /**
     * Takes a user's location as its cell: a new entry, or the entry moved or refreshed. A move from the last
     * accepted report (of an entry not expired) faster than the maximum speed is refused, beyond
     * {@link #JUMP_GRACE_KM}.
     *
     * @param cell  a cell at {@link #cellResolution()}.
     * @param nowMs the time of the report.
     */
    public Report report(final long userId, final long cell, final long nowMs)
    {
        if (Cells.resolution(cell) != cellResolution)
        {
            throw new IllegalArgumentException("a cell at resolution " + cellResolution + " was expected");
        }
        final long previous = cells.get(userId);
        if (previous != 0 && previous != cell && expiries.get(userId) > nowMs)
        {
            final long sinceMs = Math.max(0, nowMs - (expiries.get(userId) - expiryMs));
            final double allowedKm = JUMP_GRACE_KM + maxSpeedKmh * sinceMs / MS_PER_HOUR;
            if (!surelyWithin(previous, cell, allowedKm) && Cells.centreDistanceKm(previous, cell) > allowedKm)
            {
                return Report.IMPOSSIBLE_JUMP;
            }
        }
        if (previous != cell)
        {
            if (previous != 0)
            {
                removeFromCell(userId, previous);
            }
            addToCell(userId, cell);
            cells.put(userId, cell);
        }
        final long expiresAt = nowMs + expiryMs;
        expiries.put(userId, expiresAt);
        expiryQueue.add(expiresAt, userId);
        return Report.ACCEPTED;
    }

    /**
     * Whether two cells are surely no farther apart than {@code km}, from their finest common ancestor alone: both
     * centres lie within its reach of the ancestor's centre. Most moves are small, and this spares them the two
     * centres a distance takes.
     */
    private boolean surelyWithin(final long a, final long b, final double km)
    {
        for (int res = cellResolution - 1; res >= 0; res--)
        {
            if (Cells.parent(a, res) == Cells.parent(b, res))
            {
                return 2 * reachToAncestorKm[res] <= km;
            }
        }
        return false;
    }

    /**
     * Removes a user's entry at once.
     *
     * @return true when there was one.
     */
    public boolean leave(final long userId)
    {
        final long cell = cells.remove(userId);
        if (cell == 0)
        {
            return false;
        }
        expiries.remove(userId);
        removeFromCell(userId, cell);
        return true;
    }

    /**
     * Removes the entries that expired by {@code nowMs}.
     *
     * @return how many were removed.
     */
    public int expire(final long nowMs)
    {
        int removed = 0;
        while (!expiryQueue.isEmpty() && expiryQueue.headExpiry() <= nowMs)
        {
            final long expiresAt = expiryQueue.headExpiry();
            final long userId = expiryQueue.headUser();
            expiryQueue.pop();
            // A later report (or a leave) left this record behind: the entry is not its.
            if (expiries.get(userId) == expiresAt && leave(userId))
            {
                removed++;
            }
        }
        return removed;
    }

    /**
     * @return the user's cell, or 0 when it has no entry or the entry expired by {@code nowMs}.
     */
    public long cellOf(final long userId, final long nowMs)
    {
        return expiries.get(userId) > nowMs ? cells.get(userId) : 0;
    }

    /**
     * @return when the user's entry expires, or 0 when it has none.
     */
    public long expiresAt(final long userId)
    {
        return expiries.get(userId);
    }

    /**
     * @return entries held, the expired ones not yet removed by {@link #expire} included.
     */
    public int size()
    {
        return cells.size();
    }

    /**
     * @return shards that hold at least one entry.
     */
    public int shardCount()
    {
        return shards.size();
    }

    /**
     * One page of the users near a cell, sorted by band, then by the distance between cell centres, then by user
     * id; leaves out {@code userId} itself, expired entries, users farther than {@link DistanceBands#MAX_KM} and
     * those {@code excluded} names.
     *
     * @param userId   the requester, left out.
     * @param cell     the cell to search around, at {@link #cellResolution()}.
     * @param offset   users to skip, 0 or more.
     * @param limit    the page size, 1 or more.
     * @param excluded users to leave out (blocks, both ways); null for none. Asked only of the users walked.
     * @param nowMs    entries that expired by then are left out.
     * @param page     filled with the page; its next offset is 0 when there are no more users.
     */
    public void query(
        final long userId,
        final long cell,
        final int offset,
        final int limit,
        final LongPredicate excluded,
        final long nowMs,
        final NearbyPage page)
    {
        page.clear();
        if (offset < 0 || limit <= 0)
        {
            throw new IllegalArgumentException("offset must not be negative and limit must be positive");
        }
        if (Cells.resolution(cell) != cellResolution)
        {
            throw new IllegalArgumentException("a cell at resolution " + cellResolution + " was expected");
        }
        final long pageEnd = (long)offset + limit;
        // One user past the page says whether there are more.
        final long needed = pageEnd + 1;
        final LatLng origin = Cells.centre(cell);
        final long originSuperBlock = Cells.parent(cell, superBlockResolution);
        position = 0;
        candidateCount = 0;
        lastShard = null;
        int candidateStart = 0;
        int ringsDone = -1;
        try
        {
            for (int band = DistanceBands.WITHIN_1_KM; band <= DistanceBands.WITHIN_20_KM && position < needed; band++)
            {
                final double limitKm = DistanceBands.limitKm(band);
                for (int k = ringsDone + 1; k <= ringsForBand[band]; k++)
                {
                    discover(origin, originSuperBlock, k);
                }
                ringsDone = Math.max(ringsDone, ringsForBand[band]);
                openSuperBlocks(origin, limitKm);
                openBlocks(origin, limitKm);
                final int selectedEnd = partition(candidateStart, candidateCount, limitKm);
                sort(candidateStart, selectedEnd - 1);
                walk(candidateStart, selectedEnd, userId, excluded, nowMs, offset, pageEnd, needed, page);
                candidateStart = selectedEnd;
            }
        }
        finally
        {
            // Holds no cell or shard of this query past it.
            Arrays.fill(candidateUsers, 0, candidateCount, null);
            pendingSuperBlocks.clear();
            pendingBlocks.clear();
            lastShard = null;
        }
        page.nextOffset(position > pageEnd ? (int)pageEnd : 0);
    }

    /** The occupied super-blocks of grid ring {@code k} that may hold a cell within the widest band: pending. */
    private void discover(final LatLng origin, final long originSuperBlock, final int k)
    {
        ring.clear();
        Cells.ring(originSuperBlock, k, ring);
        for (int i = 0, size = ring.size(); i < size; i++)
        {
            final long superBlock = ring.getLong(i);
            final Shard shard = shardOf(superBlock);
            if (shard == null || shard.superBlocks.get(superBlock) == 0)
            {
                continue;
            }
            final double lowerKm = Cells.distanceKm(origin, superBlock) - superBlockReachKm;
            if (lowerKm <= DistanceBands.MAX_KM)
            {
                pendingSuperBlocks.add(superBlock, lowerKm, shard);
            }
        }
    }

    /** The pending super-blocks that may hold a cell within {@code limitKm}: their occupied blocks become pending. */
    private void openSuperBlocks(final LatLng origin, final double limitKm)
    {
        final Pending pending = pendingSuperBlocks;
        int i = 0;
        while (i < pending.count)
        {
            if (pending.lowerKm[i] > limitKm)
            {
                i++;
                continue;
            }
            final long superBlock = pending.keys[i];
            final Shard shard = pending.shards[i];
            for (int digit = 0; digit < CHILDREN; digit++)
            {
                final long block = Cells.child(superBlock, digit);
                if (shard.blocks.get(block) != 0)
                {
                    final double lowerKm = Cells.distanceKm(origin, block) - blockReachKm;
                    if (lowerKm <= DistanceBands.MAX_KM)
                    {
                        pendingBlocks.add(block, lowerKm, shard);
                    }
                }
            }
            pending.remove(i);
        }
    }

    /** The pending blocks that may hold a cell within {@code limitKm}: their occupied cells become candidates. */
    private void openBlocks(final LatLng origin, final double limitKm)
    {
        final Pending pending = pendingBlocks;
        int i = 0;
        while (i < pending.count)
        {
            if (pending.lowerKm[i] > limitKm)
            {
                i++;
                continue;
            }
            final long block = pending.keys[i];
            final Shard shard = pending.shards[i];
            for (int digit = 0; digit < CHILDREN; digit++)
            {
                final long cell = Cells.child(block, digit);
                final CellUsers users = shard.cells.get(cell);
                if (users != null)
                {
                    final double km = Cells.distanceKm(origin, cell);
                    if (km <= DistanceBands.MAX_KM)
                    {
                        addCandidate(cell, km, users);
                    }
                }
            }
            pending.remove(i);
        }
    }

    private Shard shardOf(final long ancestor)
    {
        final long shardKey = Cells.parent(ancestor, Cells.SHARD_RESOLUTION);
        if (lastShard == null || shardKey != lastShardKey)
        {
            lastShardKey = shardKey;
            lastShard = shards.get(shardKey);
            if (lastShard == null)
            {
                return null;
            }
        }
        return lastShard;
    }

    /**
     * Walks the candidate cells in {@code [from, to)}, sorted, user by user in id order (users of cells at exactly
     * the same distance merged), counting the eligible ones and putting those of the page on it.
     */
    private void walk(
        final int from,
        final int to,
        final long requester,
        final LongPredicate excluded,
        final long nowMs,
        final long pageStart,
        final long pageEnd,
        final long needed,
        final NearbyPage page)
    {
        int i = from;
        while (i < to && position < needed)
        {
            final double km = candidateKm[i];
            int tieEnd = i + 1;
            while (tieEnd < to && candidateKm[tieEnd] == km)
            {
                tieEnd++;
            }
            final int band = DistanceBands.band(km);
            long[] ids;
            int count;
            if (tieEnd == i + 1)
            {
                ids = candidateUsers[i].ids;
                count = candidateUsers[i].size;
            }
            else
            {
                count = 0;
                for (int j = i; j < tieEnd; j++)
                {
                    count += candidateUsers[j].size;
                }
                if (tied.length < count)
                {
                    tied = new long[Math.max(count, tied.length * 2)];
                }
                count = 0;
                for (int j = i; j < tieEnd; j++)
                {
                    System.arraycopy(candidateUsers[j].ids, 0, tied, count, candidateUsers[j].size);
                    count += candidateUsers[j].size;
                }
                Arrays.sort(tied, 0, count);
                ids = tied;
            }
            for (int u = 0; u < count && position < needed; u++)
            {
                final long candidate = ids[u];
                if (candidate == requester || expiries.get(candidate) <= nowMs ||
                    (excluded != null && excluded.test(candidate)))
                {
                    continue;
                }
                if (position >= pageStart && position < pageEnd)
                {
                    page.add(candidate, band);
                }
                position++;
            }
            i = tieEnd;
        }
    }

    private void addCandidate(final long cell, final double km, final CellUsers users)
    {
        if (candidateCount == candidateCells.length)
        {
            final int capacity = candidateCount * 2;
            candidateCells = Arrays.copyOf(candidateCells, capacity);
            candidateKm = Arrays.copyOf(candidateKm, capacity);
            candidateUsers = Arrays.copyOf(candidateUsers, capacity);
        }
        candidateCells[candidateCount] = cell;
        candidateKm[candidateCount] = km;
        candidateUsers[candidateCount] = users;
        candidateCount++;
    }

    /**
     * Moves the candidates in {@code [from, to)} within {@code limitKm} to the front of the range.
     *
     * @return the end of the moved ones.
     */
    private int partition(final int from, final int to, final double limitKm)
    {
        int end = from;
        for (int i = from; i < to; i++)
        {
            if (candidateKm[i] <= limitKm)
            {
                swap(i, end);
                end++;
            }
        }
        return end;
    }

    /** Sorts the candidates in {@code [low, high]} by distance, then cell: a quicksort, insertion sort when small. */
    private void sort(final int low, final int high)
    {
        int lo = low;
        int hi = high;
        while (hi - lo > 16)
        {
            final int mid = (lo + hi) >>> 1;
            // Median of three as the pivot, moved to hi.
            if (before(mid, lo))
            {
                swap(mid, lo);
            }
            if (before(hi, lo))
            {
                swap(hi, lo);
            }
            if (before(mid, hi))
            {
                swap(mid, hi);
            }
            int store = lo;
            for (int i = lo; i < hi; i++)
            {
                if (before(i, hi))
                {
                    swap(i, store);
                    store++;
                }
            }
            swap(store, hi);
            // Recurse into the smaller side, loop on the larger: the stack stays logarithmic.
            if (store - lo < hi - store)
            {
                sort(lo, store - 1);
                lo = store + 1;
            }
            else
            {
                sort(store + 1, hi);
                hi = store - 1;
            }
        }
        for (int i = lo + 1; i <= hi; i++)
        {
            for (int j = i; j > lo && before(j, j - 1); j--)
            {
                swap(j, j - 1);
            }
        }
    }

    private boolean before(final int a, final int b)
    {
        final int byDistance = Double.compare(candidateKm[a], candidateKm[b]);
        return byDistance < 0 || (byDistance == 0 && candidateCells[a] < candidateCells[b]);
    }

    private void swap(final int a, final int b)
    {
        if (a == b)
        {
            return;
        }
        final long cell = candidateCells[a];
        candidateCells[a] = candidateCells[b];
        candidateCells[b] = cell;
        final double km = candidateKm[a];
        candidateKm[a] = candidateKm[b];
        candidateKm[b] = km;
        final CellUsers users = candidateUsers[a];
        candidateUsers[a] = candidateUsers[b];
        candidateUsers[b] = users;
    }

    private void addToCell(final long userId, final long cell)
    {
        final long shardKey = Cells.parent(cell, Cells.SHARD_RESOLUTION);
        Shard shard = shards.get(shardKey);
        if (shard == null)
        {
            shard = new Shard();
            shards.put(shardKey, shard);
        }
        CellUsers users = shard.cells.get(cell);
        if (users == null)
        {
            users = new CellUsers();
            shard.cells.put(cell, users);
            shard.blocks.incrementAndGet(Cells.parent(cell, blockResolution));
            shard.superBlocks.incrementAndGet(Cells.parent(cell, superBlockResolution));
        }
        users.add(userId);
    }

    private void removeFromCell(final long userId, final long cell)
    {
        final long shardKey = Cells.parent(cell, Cells.SHARD_RESOLUTION);
        final Shard shard = shards.get(shardKey);
        final CellUsers users = shard.cells.get(cell);
        users.remove(userId);
        if (users.size == 0)
        {
            shard.cells.remove(cell);
            shard.blocks.decrementAndGet(Cells.parent(cell, blockResolution));
            shard.superBlocks.decrementAndGet(Cells.parent(cell, superBlockResolution));
            if (shard.cells.isEmpty())
            {
                shards.remove(shardKey);
            }
        }
    }

    /** The entries whose cells share a coarse ancestor. */
    private static final class Shard
    {
        /** Each occupied cell's users. */
        final Long2ObjectHashMap<CellUsers> cells = new Long2ObjectHashMap<>();
        /** Each block's occupied cells, counted; a block with none has no key (the counter map removes it). */
        final Long2LongCounterMap blocks = new Long2LongCounterMap(0);
        /** Each super-block's occupied cells, counted likewise. */
        final Long2LongCounterMap superBlocks = new Long2LongCounterMap(0);
    }

    /** Blocks (or super-blocks) found by a query and not yet opened, in no order. */
    private static final class Pending
    {
        long[] keys = new long[64];
        double[] lowerKm = new double[64];
        Shard[] shards = new Shard[64];
        int count;

        void add(final long key, final double lower, final Shard shard)
        {
            if (count == keys.length)
            {
                keys = Arrays.copyOf(keys, count * 2);
                lowerKm = Arrays.copyOf(lowerKm, count * 2);
                shards = Arrays.copyOf(shards, count * 2);
            }
            keys[count] = key;
            lowerKm[count] = lower;
            shards[count] = shard;
            count++;
        }

        /** Removes entry {@code i}, moving the last into its place. */
        void remove(final int i)
        {
            count--;
            keys[i] = keys[count];
            lowerKm[i] = lowerKm[count];
            shards[i] = shards[count];
            shards[count] = null;
        }

        void clear()
        {
            Arrays.fill(shards, 0, count, null);
            count = 0;
        }
    }

    /** The users of one cell, sorted by id. */
    private static final class CellUsers
    {
        long[] ids = new long[2];
        int size;

        void add(final long userId)
        {
            final int at = Arrays.binarySearch(ids, 0, size, userId);
            if (at >= 0)
            {
                return;
            }
            final int insertion = -at - 1;
            if (size == ids.length)
            {
                ids = Arrays.copyOf(ids, size * 2);
            }
            System.arraycopy(ids, insertion, ids, insertion + 1, size - insertion);
            ids[insertion] = userId;
            size++;
        }

        void remove(final long userId)
        {
            final int at = Arrays.binarySearch(ids, 0, size, userId);
            if (at < 0)
            {
                return;
            }
            System.arraycopy(ids, at + 1, ids, at, size - at - 1);
            size--;
            if (size > 0 && size <= ids.length / 4)
            {
                ids = Arrays.copyOf(ids, ids.length / 2);
            }
        }
    }

    /** (expiry, user) records in the order they were added: a ring of two arrays that grows by doubling. */
    private static final class ExpiryQueue
    {
        private long[] expiries = new long[1024];
        private long[] users = new long[1024];
        private int head;
        private int size;

        boolean isEmpty()
        {
            return size == 0;
        }

        long headExpiry()
        {
            return expiries[head];
        }

        long headUser()
        {
            return users[head];
        }

        void pop()
        {
            head = (head + 1) & (expiries.length - 1);
            size--;
        }

        void add(final long expiresAt, final long userId)
        {
            if (size == expiries.length)
            {
                grow();
            }
            final int tail = (head + size) & (expiries.length - 1);
            expiries[tail] = expiresAt;
            users[tail] = userId;
            size++;
        }

        private void grow()
        {
            final long[] newExpiries = new long[expiries.length * 2];
            final long[] newUsers = new long[users.length * 2];
            for (int i = 0; i < size; i++)
            {
                final int from = (head + i) & (expiries.length - 1);
                newExpiries[i] = expiries[from];
                newUsers[i] = users[from];
            }
            expiries = newExpiries;
            users = newUsers;
            head = 0;
        }
    }
}
