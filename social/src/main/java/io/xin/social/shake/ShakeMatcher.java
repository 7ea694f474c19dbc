package io.xin.social.shake;

import com.uber.h3core.util.LatLng;
import io.xin.social.BlockCheck;
import io.xin.social.nearby.Cells;
import io.xin.social.nearby.DistanceBands;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayList;

import java.util.List;

/**
 * Pairs users who shake at about the same time: two shakes pair when they are at most {@code windowMs} apart, neither
 * user has blocked the other and, when both carry a cell and a maximum distance is set, their cell centres are at
 * most that far apart. A shake pairs
 * with the oldest waiting shake it may pair with; one that finds none waits until its window has passed and then
 * expires. Nobody is paired twice: a shake pairs at most once, a user has at most one waiting shake (a new one
 * supersedes it), and two users who were just paired are not paired with each other again within the window.
 * <p>
 * Event-sourced: {@link #apply} takes a shake with its own timestamp and {@link #expire} a time; the outcomes
 * depend on nothing else, so every node fed the same sequence of calls pairs the same shakes. A time earlier than
 * one already seen counts as that one (time does not go back). The cells and a waiting shake live only for its
 * window.
 * <p>
 * Single-threaded by design: the one thread that owns the matcher (the switch's nearby thread) calls every method,
 * and the {@link Outcome} it returns is reused by the next call.
 */
public final class ShakeMatcher
{
    /** Told of each shake that expired. */
    @FunctionalInterface
    public interface Expired
    {
        void expired(long userId, long shakeId);
    }

    /** What {@link #apply} did with a shake. Reused: read it before the next call. */
    public static final class Outcome
    {
        private boolean matched;
        private long partnerUserId;
        private long partnerShakeId;
        private int band;
        private long supersededShakeId;

        private void reset()
        {
            matched = false;
            partnerUserId = 0;
            partnerShakeId = 0;
            band = DistanceBands.NONE;
            supersededShakeId = 0;
        }

        /**
         * @return true when the shake was paired at once; false when it waits.
         */
        public boolean matched()
        {
            return matched;
        }

        /**
         * @return the partner's user id, when matched.
         */
        public long partnerUserId()
        {
            return partnerUserId;
        }

        /**
         * @return the partner's waiting shake, now paired, when matched.
         */
        public long partnerShakeId()
        {
            return partnerShakeId;
        }

        /**
         * @return the band between the two cells when matched and both shakes had one; else
         * {@link DistanceBands#NONE}.
         */
        public int band()
        {
            return band;
        }

        /**
         * @return the user's earlier waiting shake that this one replaced (it ends unpaired), or 0.
         */
        public long supersededShakeId()
        {
            return supersededShakeId;
        }
    }

    private final long windowMs;
    private final double maxDistanceKm;
    /** The resolution of the buckets of located shakes; -1 when they share one (no distance, or a vast one). */
    private final int bucketResolution;
    /** Bucket rings around a shake's bucket that hold every bucket of a shake within the distance. */
    private final int bucketRings;
    private final BlockCheck blocks;
    private final Outcome outcome = new Outcome();

    /** Every waiting shake, oldest first. */
    private Shake oldest;
    private Shake newest;
    /** The waiting shakes that any shake may pair with: without a cell, or all of them when there is no distance. */
    private final ShakeList anywhere = new ShakeList();
    /** The waiting shakes with a cell, by bucket, when there is a distance. */
    private final Long2ObjectHashMap<ShakeList> buckets = new Long2ObjectHashMap<>();
    private final Long2ObjectHashMap<Shake> waitingByUser = new Long2ObjectHashMap<>();
    /** Each user's recent partners: (partner, until) pairs. */
    private final Long2ObjectHashMap<LongArrayList> recentPartners = new Long2ObjectHashMap<>();
    /** (until, user) in the order pairs were made, to forget them. */
    private final LongArrayList recentQueue = new LongArrayList();
    private int recentQueueHead;
    private long lastTimeMs = Long.MIN_VALUE;
    private long nextSeq;

    /**
     * @param windowMs       two shakes pair when at most this far apart in time, positive.
     * @param maxDistanceKm  and, when both have a cell, when their centres are at most this far apart; 0 = anywhere.
     * @param cellResolution the resolution of the cells shakes carry.
     */
    public ShakeMatcher(final long windowMs, final double maxDistanceKm, final int cellResolution)
    {
        this(windowMs, maxDistanceKm, cellResolution, BlockCheck.NEVER);
    }

    /**
     * @param windowMs       two shakes pair when at most this far apart in time, positive.
     * @param maxDistanceKm  and, when both have a cell, when their centres are at most this far apart; 0 = anywhere.
     * @param cellResolution the resolution of the cells shakes carry.
     * @param blocks         and when neither user has blocked the other. For the outcomes to replay, it must answer
     *                       the same at the same point of the sequence.
     */
    public ShakeMatcher(
        final long windowMs, final double maxDistanceKm, final int cellResolution, final BlockCheck blocks)
    {
        if (windowMs <= 0 || !(maxDistanceKm >= 0) || cellResolution < 1 || cellResolution > Cells.MAX_RESOLUTION)
        {
            throw new IllegalArgumentException("windowMs must be positive, maxDistanceKm not negative, and " +
                "cellResolution 1.." + Cells.MAX_RESOLUTION);
        }
        this.windowMs = windowMs;
        this.maxDistanceKm = maxDistanceKm;
        this.blocks = blocks;
        int resolution = -1;
        if (maxDistanceKm > 0)
        {
            // The finest buckets at least as wide as the distance: a few rings of them cover it.
            for (int res = cellResolution - 1; res >= 2 && resolution < 0; res--)
            {
                if (Cells.edgeKm(res) >= maxDistanceKm)
                {
                    resolution = res;
                }
            }
        }
        this.bucketResolution = resolution;
        this.bucketRings = resolution < 0 ? 0 : Cells.ringsCovering(maxDistanceKm, cellResolution, resolution);
    }

    /**
     * A shake: paired with the oldest waiting shake it may pair with, or left waiting.
     *
     * @param userId      who shook.
     * @param shakeId     this shake's id, unique and not 0, named again when it pairs or expires.
     * @param timestampMs when.
     * @param cell        where (an H3 cell), or 0 for anywhere.
     * @return the outcome, reused by the next call.
     */
    public Outcome apply(final long userId, final long shakeId, final long timestampMs, final long cell)
    {
        final long nowMs = advance(timestampMs);
        outcome.reset();
        final Shake previous = waitingByUser.get(userId);
        if (previous != null)
        {
            outcome.supersededShakeId = previous.shakeId;
            remove(previous);
        }
        final Shake partner = partnerFor(userId, nowMs, cell);
        if (partner != null)
        {
            remove(partner);
            outcome.matched = true;
            outcome.partnerUserId = partner.userId;
            outcome.partnerShakeId = partner.shakeId;
            outcome.band = cell != 0 && partner.cell != 0 ?
                DistanceBands.band(Cells.centreDistanceKm(cell, partner.cell)) : DistanceBands.NONE;
            rememberPair(userId, partner.userId, nowMs + windowMs);
            return outcome;
        }
        final Shake shake = new Shake(userId, shakeId, nowMs, cell, nextSeq++);
        add(shake);
        return outcome;
    }

    /**
     * Ends the shakes whose window passed before {@code nowMs} without a partner, oldest first.
     *
     * @return how many expired.
     */
    public int expire(final long nowMs, final Expired expired)
    {
        final long now = advance(nowMs);
        int count = 0;
        while (oldest != null && oldest.timestampMs + windowMs < now)
        {
            final Shake shake = oldest;
            remove(shake);
            expired.expired(shake.userId, shake.shakeId);
            count++;
        }
        forgetPairs(now);
        return count;
    }

    /**
     * @return when the oldest waiting shake expires ({@link #expire} at that time ends it), or
     * {@link Long#MAX_VALUE} when none waits.
     */
    public long nextExpiryMs()
    {
        return oldest == null ? Long.MAX_VALUE : oldest.timestampMs + windowMs + 1;
    }

    /**
     * @return shakes waiting.
     */
    public int waiting()
    {
        return waitingByUser.size();
    }

    private long advance(final long timeMs)
    {
        if (timeMs > lastTimeMs)
        {
            lastTimeMs = timeMs;
        }
        return lastTimeMs;
    }

    private Shake partnerFor(final long userId, final long nowMs, final long cell)
    {
        if (cell == 0 || maxDistanceKm == 0)
        {
            // Any waiting shake will do: the oldest one in time.
            for (Shake w = oldest; w != null; w = w.next)
            {
                if (mayPair(userId, nowMs, w))
                {
                    return w;
                }
            }
            return null;
        }
        Shake best = null;
        for (Shake w = anywhere.head; w != null; w = w.groupNext)
        {
            if (mayPair(userId, nowMs, w))
            {
                best = w;
                break;
            }
        }
        final LatLng centre = Cells.centre(cell);
        if (bucketResolution < 0)
        {
            return older(best, nearest(buckets.get(0L), userId, nowMs, centre, best));
        }
        final List<Long> near = Cells.disk(Cells.parent(cell, bucketResolution), bucketRings);
        for (int i = 0, size = near.size(); i < size; i++)
        {
            best = older(best, nearest(buckets.get(near.get(i)), userId, nowMs, centre, best));
        }
        return best;
    }

    /** The oldest shake of a bucket that may pair and is within the distance, if older than {@code best}. */
    private Shake nearest(
        final ShakeList bucket, final long userId, final long nowMs, final LatLng centre, final Shake best)
    {
        if (bucket == null)
        {
            return null;
        }
        for (Shake w = bucket.head; w != null && (best == null || w.seq < best.seq); w = w.groupNext)
        {
            if (mayPair(userId, nowMs, w) && Cells.distanceKm(centre, w.cell) <= maxDistanceKm)
            {
                return w;
            }
        }
        return null;
    }

    private static Shake older(final Shake a, final Shake b)
    {
        if (a == null)
        {
            return b;
        }
        return b == null || a.seq < b.seq ? a : b;
    }

    private boolean mayPair(final long userId, final long nowMs, final Shake waiting)
    {
        return waiting.userId != userId && nowMs - waiting.timestampMs <= windowMs &&
            !recentlyPaired(userId, waiting.userId, nowMs) && !blocks.eitherBlocked(userId, waiting.userId);
    }

    private boolean recentlyPaired(final long userId, final long otherId, final long nowMs)
    {
        final LongArrayList partners = recentPartners.get(userId);
        if (partners == null)
        {
            return false;
        }
        for (int i = 0, size = partners.size(); i < size; i += 2)
        {
            if (partners.getLong(i) == otherId && partners.getLong(i + 1) >= nowMs)
            {
                return true;
            }
        }
        return false;
    }

    private void rememberPair(final long a, final long b, final long untilMs)
    {
        rememberPartner(a, b, untilMs);
        rememberPartner(b, a, untilMs);
    }

    private void rememberPartner(final long userId, final long partnerId, final long untilMs)
    {
        LongArrayList partners = recentPartners.get(userId);
        if (partners == null)
        {
            partners = new LongArrayList(2, Long.MIN_VALUE);
            recentPartners.put(userId, partners);
        }
        partners.addLong(partnerId);
        partners.addLong(untilMs);
        recentQueue.addLong(untilMs);
        recentQueue.addLong(userId);
    }

    /** Forgets the pairs whose time is over. */
    private void forgetPairs(final long nowMs)
    {
        while (recentQueueHead < recentQueue.size() && recentQueue.getLong(recentQueueHead) < nowMs)
        {
            final long userId = recentQueue.getLong(recentQueueHead + 1);
            recentQueueHead += 2;
            final LongArrayList partners = recentPartners.get(userId);
            if (partners == null)
            {
                continue;
            }
            for (int i = partners.size() - 2; i >= 0; i -= 2)
            {
                if (partners.getLong(i + 1) < nowMs)
                {
                    partners.remove(i + 1);
                    partners.remove(i);
                }
            }
            if (partners.isEmpty())
            {
                recentPartners.remove(userId);
            }
        }
        if (recentQueueHead == recentQueue.size())
        {
            recentQueue.clear();
            recentQueueHead = 0;
        }
        else if (recentQueueHead > 4096 && recentQueueHead * 2 > recentQueue.size())
        {
            // Drop the forgotten front now and then, so the queue does not grow while pairs keep coming.
            final LongArrayList rest = new LongArrayList(recentQueue.size() - recentQueueHead, Long.MIN_VALUE);
            for (int i = recentQueueHead; i < recentQueue.size(); i++)
            {
                rest.addLong(recentQueue.getLong(i));
            }
            recentQueue.clear();
            for (int i = 0; i < rest.size(); i++)
            {
                recentQueue.addLong(rest.getLong(i));
            }
            recentQueueHead = 0;
        }
    }

    private void add(final Shake shake)
    {
        shake.prev = newest;
        if (newest == null)
        {
            oldest = shake;
        }
        else
        {
            newest.next = shake;
        }
        newest = shake;
        if (shake.cell == 0 || maxDistanceKm == 0)
        {
            shake.group = anywhere;
        }
        else
        {
            final long key = bucketResolution < 0 ? 0L : Cells.parent(shake.cell, bucketResolution);
            ShakeList bucket = buckets.get(key);
            if (bucket == null)
            {
                bucket = new ShakeList();
                bucket.key = key;
                buckets.put(key, bucket);
            }
            shake.group = bucket;
        }
        shake.group.append(shake);
        waitingByUser.put(shake.userId, shake);
    }

    private void remove(final Shake shake)
    {
        if (shake.prev == null)
        {
            oldest = shake.next;
        }
        else
        {
            shake.prev.next = shake.next;
        }
        if (shake.next == null)
        {
            newest = shake.prev;
        }
        else
        {
            shake.next.prev = shake.prev;
        }
        shake.prev = null;
        shake.next = null;
        final ShakeList group = shake.group;
        group.unlink(shake);
        if (group != anywhere && group.head == null)
        {
            buckets.remove(group.key);
        }
        waitingByUser.remove(shake.userId);
    }

    /** A waiting shake: in the list of all, oldest first, and in its group's. */
    private static final class Shake
    {
        final long userId;
        final long shakeId;
        final long timestampMs;
        final long cell;
        /** Arrival order: the oldest is the smallest. */
        final long seq;
        Shake prev;
        Shake next;
        ShakeList group;
        Shake groupPrev;
        Shake groupNext;

        Shake(final long userId, final long shakeId, final long timestampMs, final long cell, final long seq)
        {
            this.userId = userId;
            this.shakeId = shakeId;
            this.timestampMs = timestampMs;
            this.cell = cell;
            this.seq = seq;
        }
    }

    /** Waiting shakes of one group, oldest first. */
    private static final class ShakeList
    {
        long key;
        Shake head;
        Shake tail;

        void append(final Shake shake)
        {
            shake.groupPrev = tail;
            if (tail == null)
            {
                head = shake;
            }
            else
            {
                tail.groupNext = shake;
            }
            tail = shake;
        }

        void unlink(final Shake shake)
        {
            if (shake.groupPrev == null)
            {
                head = shake.groupNext;
            }
            else
            {
                shake.groupPrev.groupNext = shake.groupNext;
            }
            if (shake.groupNext == null)
            {
                tail = shake.groupPrev;
            }
            else
            {
                shake.groupNext.groupPrev = shake.groupPrev;
            }
            shake.groupPrev = null;
            shake.groupNext = null;
        }
    }
}
