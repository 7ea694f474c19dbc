package io.xin.social.shake;

import io.xin.social.BlockCheck;
import io.xin.social.nearby.Cells;
import io.xin.social.nearby.DistanceBands;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shakes pair only within the window and the distance, never a user twice nor two users of whom one blocked the
 * other, and every unpaired shake expires once, after its window; a randomized run matches a brute-force reference
 * outcome by outcome, and replays the same.
 */
class ShakeMatcherTest
{
    private static final long WINDOW_MS = 3_000;
    private static final long T0 = 1_700_000_000_000L;
    private static final long SHANGHAI = Cells.cellOf(31.2304, 121.4737, 9);
    /** About 0.3 km from {@link #SHANGHAI}. */
    private static final long NEAR_SHANGHAI = Cells.cellOf(31.2334, 121.4737, 9);
    private static final long HANGZHOU = Cells.cellOf(30.2741, 120.1551, 9);

    @Test
    void shouldPairTwoShakesWithinTheWindow()
    {
        final ShakeMatcher matcher = new ShakeMatcher(WINDOW_MS, 0, 9);
        assertFalse(matcher.apply(1, 101, T0, 0).matched());
        assertEquals(1, matcher.waiting());
        final ShakeMatcher.Outcome outcome = matcher.apply(2, 102, T0 + WINDOW_MS, 0);
        assertTrue(outcome.matched());
        assertEquals(1, outcome.partnerUserId());
        assertEquals(101, outcome.partnerShakeId());
        assertEquals(DistanceBands.NONE, outcome.band());
        assertEquals(0, matcher.waiting());
        assertEquals(0, matcher.expire(T0 + 10 * WINDOW_MS, (user, shake) -> { throw new AssertionError(); }));
    }

    @Test
    void shouldNotPairShakesFartherApartThanTheWindowAndExpireThemAfterIt()
    {
        final ShakeMatcher matcher = new ShakeMatcher(WINDOW_MS, 0, 9);
        matcher.apply(1, 101, T0, 0);
        assertEquals(T0 + WINDOW_MS + 1, matcher.nextExpiryMs());
        final List<Long> expired = new ArrayList<>();
        assertEquals(0, matcher.expire(T0 + WINDOW_MS, (user, shake) -> expired.add(shake)));
        assertFalse(matcher.apply(2, 102, T0 + WINDOW_MS + 1, 0).matched());
        assertEquals(1, matcher.expire(T0 + WINDOW_MS + 1, (user, shake) -> expired.add(shake)));
        assertEquals(List.of(101L), expired);
        assertEquals(1, matcher.expire(T0 + 2 * WINDOW_MS + 2, (user, shake) -> expired.add(shake)));
        assertEquals(List.of(101L, 102L), expired);
        assertEquals(Long.MAX_VALUE, matcher.nextExpiryMs());
        assertEquals(0, matcher.expire(T0 + 100 * WINDOW_MS, (user, shake) -> expired.add(shake)));
    }

    @Test
    void shouldPairLocatedShakesOnlyWithinTheDistance()
    {
        final ShakeMatcher matcher = new ShakeMatcher(WINDOW_MS, 1.0, 9);
        assertFalse(matcher.apply(1, 101, T0, HANGZHOU).matched());
        assertFalse(matcher.apply(2, 102, T0 + 1, SHANGHAI).matched(), "165 km from the waiting one");
        final ShakeMatcher.Outcome near = matcher.apply(3, 103, T0 + 2, NEAR_SHANGHAI);
        assertTrue(near.matched());
        assertEquals(2, near.partnerUserId());
        assertEquals(DistanceBands.WITHIN_1_KM, near.band());
        // A shake without a location pairs with anyone: the oldest waiting.
        final ShakeMatcher.Outcome anywhere = matcher.apply(4, 104, T0 + 3, 0);
        assertTrue(anywhere.matched());
        assertEquals(1, anywhere.partnerUserId());
        assertEquals(DistanceBands.NONE, anywhere.band());
    }

    @Test
    void shouldTellTheBandWhenBothHaveACellAndNoDistanceIsSet()
    {
        final ShakeMatcher matcher = new ShakeMatcher(WINDOW_MS, 0, 9);
        matcher.apply(1, 101, T0, SHANGHAI);
        final ShakeMatcher.Outcome outcome = matcher.apply(2, 102, T0, HANGZHOU);
        assertTrue(outcome.matched());
        assertEquals(DistanceBands.NONE, outcome.band(), "farther than the widest band");
        matcher.apply(3, 103, T0, SHANGHAI);
        assertEquals(DistanceBands.WITHIN_1_KM, matcher.apply(4, 104, T0, NEAR_SHANGHAI).band());
    }

    @Test
    void shouldNeverPairAUserTwice()
    {
        final ShakeMatcher matcher = new ShakeMatcher(WINDOW_MS, 0, 9);
        // The same user shaking again replaces its waiting shake instead of pairing with itself.
        matcher.apply(1, 101, T0, 0);
        final ShakeMatcher.Outcome again = matcher.apply(1, 102, T0 + 10, 0);
        assertFalse(again.matched());
        assertEquals(101, again.supersededShakeId());
        assertEquals(1, matcher.waiting());

        assertEquals(102, matcher.apply(2, 201, T0 + 20, 0).partnerShakeId());
        // Both shake on within the window: they are not paired with each other again, but with someone new.
        assertFalse(matcher.apply(1, 103, T0 + 30, 0).matched());
        assertFalse(matcher.apply(2, 202, T0 + 40, 0).matched());
        assertEquals(2, matcher.waiting());
        final ShakeMatcher.Outcome third = matcher.apply(3, 301, T0 + 50, 0);
        assertEquals(1, third.partnerUserId());
        assertEquals(2, matcher.apply(4, 401, T0 + 60, 0).partnerUserId());
        // Once the window after their pairing has passed, 1 and 2 may meet again.
        matcher.apply(1, 104, T0 + 20 + WINDOW_MS + 1, 0);
        assertEquals(1, matcher.apply(2, 203, T0 + 20 + WINDOW_MS + 2, 0).partnerUserId());
    }

    @Test
    void shouldReplayTheSameOutcomesForTheSameEvents()
    {
        final List<String> first = randomRun(new Random(5), 0.5, 3_000);
        final List<String> second = randomRun(new Random(5), 0.5, 3_000);
        assertEquals(first, second);
    }

    @Test
    void shouldMatchABruteForceReference()
    {
        for (final double maxDistanceKm : new double[]{ 0, 0.3, 2, 40, 2_000 })
        {
            for (int seed = 0; seed < 4; seed++)
            {
                randomRun(new Random(seed * 31 + (long)(maxDistanceKm * 10)), maxDistanceKm, 4_000);
            }
        }
    }

    /**
     * Random shakes of a small crowd (so users shake again while waiting and meet again) in a few places, some
     * without a location, at random gaps, with expiry sweeps between them; each outcome checked against the
     * reference, and the pairs against the rules.
     *
     * @return every outcome, for a replay.
     */
    private static List<String> randomRun(final Random random, final double maxDistanceKm, final int events)
    {
        // Some users have blocked some others: they are never paired.
        final BlockCheck blocks = (blocker, blocked) -> (blocker * 7 + blocked) % 13 == 0;
        final ShakeMatcher matcher = new ShakeMatcher(WINDOW_MS, maxDistanceKm, 9, blocks);
        final Reference reference = new Reference(WINDOW_MS, maxDistanceKm, blocks);
        final double[][] places = {
            { 31.2304, 121.4737, 0.02 }, { 31.2304, 121.4737, 0.3 }, { 30.2741, 120.1551, 0.1 } };
        final List<String> log = new ArrayList<>();
        final Map<Long, Long> shakeTimes = new HashMap<>();
        final Map<Long, Long> shakeCells = new HashMap<>();
        final Set<Long> ended = new HashSet<>();
        long nowMs = T0;
        for (long shakeId = 1; shakeId <= events; shakeId++)
        {
            nowMs += random.nextInt(4) == 0 ? random.nextInt(4_000) : random.nextInt(300);
            if (random.nextInt(5) == 0)
            {
                final long sweepMs = nowMs;
                final List<Long> expired = new ArrayList<>();
                matcher.expire(sweepMs, (user, shake) -> expired.add(shake));
                assertEquals(reference.expire(sweepMs), expired, "expired by " + sweepMs);
                for (final long shake : expired)
                {
                    assertTrue(sweepMs > shakeTimes.get(shake) + WINDOW_MS, "expired only after the window");
                    assertTrue(ended.add(shake), "ended once");
                }
                log.add("expired " + expired);
            }
            final long userId = 1 + random.nextInt(40);
            final double[] place = places[random.nextInt(places.length)];
            final long cell = random.nextInt(4) == 0 ? 0 : Cells.cellOf(
                place[0] + place[2] * (2 * random.nextDouble() - 1),
                place[1] + place[2] * (2 * random.nextDouble() - 1), 9);
            shakeTimes.put(shakeId, nowMs);
            shakeCells.put(shakeId, cell);
            final ShakeMatcher.Outcome outcome = matcher.apply(userId, shakeId, nowMs, cell);
            final String actual = outcome.matched() + " " + outcome.partnerUserId() + " " + outcome.partnerShakeId() +
                " " + outcome.band() + " " + outcome.supersededShakeId();
            assertEquals(reference.apply(userId, shakeId, nowMs, cell), actual, "shake " + shakeId);
            if (outcome.supersededShakeId() != 0)
            {
                assertTrue(ended.add(outcome.supersededShakeId()));
            }
            if (outcome.matched())
            {
                final long partner = outcome.partnerShakeId();
                assertTrue(ended.add(partner), "a waiting shake pairs once");
                assertTrue(ended.add(shakeId));
                assertTrue(nowMs - shakeTimes.get(partner) <= WINDOW_MS, "within the window");
                assertFalse(outcome.partnerUserId() == userId, "never with oneself");
                assertFalse(blocks.eitherBlocked(userId, outcome.partnerUserId()), "never with a block");
                if (maxDistanceKm > 0 && cell != 0 && shakeCells.get(partner) != 0)
                {
                    assertTrue(Cells.centreDistanceKm(cell, shakeCells.get(partner)) <= maxDistanceKm);
                }
            }
            log.add(actual);
        }
        final List<Long> expired = new ArrayList<>();
        matcher.expire(nowMs + 2 * WINDOW_MS, (user, shake) -> expired.add(shake));
        assertEquals(reference.expire(nowMs + 2 * WINDOW_MS), expired);
        expired.forEach(shake -> assertTrue(ended.add(shake)));
        assertEquals(events, ended.size(), "every shake ended: paired, superseded or expired");
        assertEquals(0, matcher.waiting());
        return log;
    }

    /** The rules, written the slow and obvious way: every shake in a list, scanned in arrival order. */
    private static final class Reference
    {
        private final long windowMs;
        private final double maxDistanceKm;
        private final BlockCheck blocks;
        private final List<long[]> waiting = new ArrayList<>();
        /** user, partner, until. */
        private final List<long[]> pairs = new ArrayList<>();
        private long lastMs = Long.MIN_VALUE;

        Reference(final long windowMs, final double maxDistanceKm, final BlockCheck blocks)
        {
            this.windowMs = windowMs;
            this.maxDistanceKm = maxDistanceKm;
            this.blocks = blocks;
        }

        String apply(final long userId, final long shakeId, final long timeMs, final long cell)
        {
            lastMs = Math.max(lastMs, timeMs);
            final long now = lastMs;
            long superseded = 0;
            for (int i = 0; i < waiting.size(); i++)
            {
                if (waiting.get(i)[0] == userId)
                {
                    superseded = waiting.remove(i)[1];
                    break;
                }
            }
            for (int i = 0; i < waiting.size(); i++)
            {
                final long[] w = waiting.get(i);
                final boolean inWindow = now - w[2] <= windowMs;
                final boolean recent = pairs.stream().anyMatch(p -> p[0] == userId && p[1] == w[0] && p[2] >= now);
                final boolean near = maxDistanceKm == 0 || cell == 0 || w[3] == 0 ||
                    Cells.centreDistanceKm(cell, w[3]) <= maxDistanceKm;
                final boolean blocked = blocks.blocked(userId, w[0]) || blocks.blocked(w[0], userId);
                if (inWindow && !recent && near && !blocked)
                {
                    waiting.remove(i);
                    pairs.add(new long[]{ userId, w[0], now + windowMs });
                    pairs.add(new long[]{ w[0], userId, now + windowMs });
                    final int band = cell != 0 && w[3] != 0 ?
                        DistanceBands.band(Cells.centreDistanceKm(cell, w[3])) : DistanceBands.NONE;
                    return "true " + w[0] + " " + w[1] + " " + band + " " + superseded;
                }
            }
            waiting.add(new long[]{ userId, shakeId, now, cell });
            return "false 0 0 0 " + superseded;
        }

        List<Long> expire(final long timeMs)
        {
            lastMs = Math.max(lastMs, timeMs);
            final List<Long> expired = new ArrayList<>();
            waiting.removeIf(w ->
            {
                if (w[2] + windowMs < lastMs)
                {
                    expired.add(w[1]);
                    return true;
                }
                return false;
            });
            return expired;
        }
    }
}
