package io.xin.social.nearby;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.LongPredicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The index against a brute force over every entry: the same cell-centre distances and bands, sorted the same way,
 * for thousands of users in a dense city, a wide region, the far north and across the antimeridian; and what it
 * keeps: cells and expiries, no coordinate.
 */
class NearbyIndexTest
{
    private static final long EXPIRY_MS = 30 * 60_000L;
    private static final long T0 = 1_700_000_000_000L;

    /** Where the random users are: centre latitude, longitude, and spread in degrees. */
    private static final double[][] AREAS = {
        { 31.2304, 121.4737, 0.06 },   // a dense city
        { 30.5, 120.5, 1.5 },          // a region around it
        { 64.14, -21.94, 0.4 },        // far north: cells narrow in longitude
        { -17.8, 179.95, 0.3 },        // across the antimeridian
    };

    @Test
    void shouldAnswerAsABruteForceOverEveryEntry()
    {
        final Random random = new Random(42);
        final NearbyIndex index = new NearbyIndex(9, EXPIRY_MS, 1_000);
        final Map<Long, Long> cells = new HashMap<>();
        final Map<Long, Long> expiries = new HashMap<>();
        long nowMs = T0;
        for (long userId = 1; userId <= 6_000; userId++)
        {
            final double[] area = AREAS[random.nextInt(AREAS.length)];
            final long cell = randomCell(random, area);
            // Reports spread over an hour: the older ones have expired by the queries.
            nowMs = T0 + userId * 600;
            assertEquals(NearbyIndex.Report.ACCEPTED, index.report(userId, cell, nowMs));
            cells.put(userId, cell);
            expiries.put(userId, nowMs + EXPIRY_MS);
        }
        // A few users move a little (allowed), and some leave.
        for (int i = 0; i < 300; i++)
        {
            final long userId = 1 + random.nextInt(6_000);
            if (!cells.containsKey(userId))
            {
                continue;
            }
            if (random.nextInt(3) == 0)
            {
                index.leave(userId);
                cells.remove(userId);
                expiries.remove(userId);
                continue;
            }
            final long moved = Cells.cellOf(lat(cells.get(userId)) + 0.001, lng(cells.get(userId)), 9);
            assertEquals(NearbyIndex.Report.ACCEPTED, index.report(userId, moved, nowMs));
            cells.put(userId, moved);
            expiries.put(userId, nowMs + EXPIRY_MS);
        }
        final NearbyPage page = new NearbyPage();
        for (int q = 0; q < 400; q++)
        {
            final long queryMs = nowMs + random.nextInt(5 * 60_000);
            final long requester = 1 + random.nextInt(6_000);
            final long cell = cells.containsKey(requester) && random.nextInt(4) != 0 ?
                cells.get(requester) : randomCell(random, AREAS[random.nextInt(AREAS.length)]);
            final int offset = random.nextInt(4) == 0 ? random.nextInt(600) : 0;
            final int limit = 1 + random.nextInt(random.nextBoolean() ? 20 : 300);
            final int salt = random.nextInt(7);
            final LongPredicate excluded = random.nextBoolean() ? null : user -> (user * 31 + salt) % 7 == 0;
            index.query(requester, cell, offset, limit, excluded, queryMs, page);
            final List<long[]> expected = bruteForce(cells, expiries, requester, cell, excluded, queryMs);
            assertPage(expected, offset, limit, page, "query " + q);
        }
    }

    @Test
    void shouldPageThroughEveryoneInOrder()
    {
        final Random random = new Random(7);
        final NearbyIndex index = new NearbyIndex(9, EXPIRY_MS, 1_000);
        final Map<Long, Long> cells = new HashMap<>();
        final Map<Long, Long> expiries = new HashMap<>();
        for (long userId = 1; userId <= 3_000; userId++)
        {
            final long cell = randomCell(random, AREAS[0]);
            index.report(userId, cell, T0);
            cells.put(userId, cell);
            expiries.put(userId, T0 + EXPIRY_MS);
        }
        final long requester = 17;
        final List<long[]> expected = bruteForce(cells, expiries, requester, cells.get(requester), null, T0);
        final List<long[]> walked = new ArrayList<>();
        final NearbyPage page = new NearbyPage();
        int offset = 0;
        do
        {
            index.query(requester, cells.get(requester), offset, 50, null, T0, page);
            for (int i = 0; i < page.size(); i++)
            {
                walked.add(new long[]{ page.userId(i), page.band(i) });
            }
            offset = page.nextOffset();
        }
        while (offset != 0);
        assertEquals(expected.size(), walked.size());
        assertEquals(2_999, walked.size(), "everyone in the city is within 20 km");
        for (int i = 0; i < expected.size(); i++)
        {
            assertEquals(expected.get(i)[0], walked.get(i)[0]);
            assertEquals(expected.get(i)[1], walked.get(i)[1]);
        }
    }

    @Test
    void shouldSortUsersOfOneCellByIdAndLeaveOutTheRequester()
    {
        final NearbyIndex index = new NearbyIndex(9, EXPIRY_MS, 1_000);
        final long cell = Cells.cellOf(31.2304, 121.4737, 9);
        for (final long userId : new long[]{ 40, 7, 12, 99, 3 })
        {
            index.report(userId, cell, T0);
        }
        final NearbyPage page = new NearbyPage();
        index.query(12, cell, 0, 10, null, T0, page);
        assertEquals("NearbyPage{3:1, 7:1, 40:1, 99:1, next=0}", page.toString());
        index.query(12, cell, 1, 2, null, T0, page);
        assertEquals("NearbyPage{7:1, 40:1, next=3}", page.toString());
        index.query(12, cell, 0, 10, user -> user == 40, T0, page);
        assertEquals("NearbyPage{3:1, 7:1, 99:1, next=0}", page.toString());
    }

    @Test
    void shouldExpireEntries()
    {
        final NearbyIndex index = new NearbyIndex(9, EXPIRY_MS, 1_000);
        final long cell = Cells.cellOf(31.2304, 121.4737, 9);
        index.report(1, cell, T0);
        index.report(2, cell, T0 + 1_000);
        final NearbyPage page = new NearbyPage();

        index.query(3, cell, 0, 10, null, T0 + EXPIRY_MS - 1, page);
        assertEquals(2, page.size());
        // Expired entries are left out of answers before the sweep removes them.
        index.query(3, cell, 0, 10, null, T0 + EXPIRY_MS, page);
        assertEquals("NearbyPage{2:1, next=0}", page.toString());
        assertEquals(0, index.cellOf(1, T0 + EXPIRY_MS));
        assertEquals(cell, index.cellOf(2, T0 + EXPIRY_MS));

        assertEquals(1, index.expire(T0 + EXPIRY_MS));
        assertEquals(1, index.size());
        assertEquals(0, index.expiresAt(1));
        assertEquals(1, index.expire(T0 + 1_000 + EXPIRY_MS));
        assertEquals(0, index.size());
        assertEquals(0, index.shardCount(), "an empty index keeps no shard");
    }

    @Test
    void shouldKeepARefreshedEntryPastItsFirstExpiry()
    {
        final NearbyIndex index = new NearbyIndex(9, EXPIRY_MS, 1_000);
        final long cell = Cells.cellOf(31.2304, 121.4737, 9);
        index.report(1, cell, T0);
        index.report(1, cell, T0 + 60_000);
        assertEquals(T0 + 60_000 + EXPIRY_MS, index.expiresAt(1));
        assertEquals(0, index.expire(T0 + EXPIRY_MS));
        assertEquals(cell, index.cellOf(1, T0 + EXPIRY_MS));
        assertEquals(1, index.expire(T0 + 60_000 + EXPIRY_MS));
        assertEquals(0, index.cellOf(1, T0 + 60_000 + EXPIRY_MS));
    }

    @Test
    void shouldRefuseAnImpossibleJump()
    {
        final NearbyIndex index = new NearbyIndex(9, EXPIRY_MS, 1_000);
        final long shanghai = Cells.cellOf(31.2304, 121.4737, 9);
        final long beijing = Cells.cellOf(39.9042, 116.4074, 9);
        final double km = Cells.centreDistanceKm(shanghai, beijing);
        assertTrue(km > 1_000 && km < 1_100, "Shanghai to Beijing is about 1,070 km: " + km);
        index.report(1, shanghai, T0);

        // Ten minutes later a thousand kilometres away: 6,400 km/h.
        assertEquals(NearbyIndex.Report.IMPOSSIBLE_JUMP, index.report(1, beijing, T0 + 10 * 60_000));
        assertEquals(shanghai, index.cellOf(1, T0 + 10 * 60_000), "a refused report changes nothing");
        assertEquals(T0 + EXPIRY_MS, index.expiresAt(1));

        // A minute short of the time the distance takes at 1,000 km/h: still refused; after it, a flight: taken.
        // (Entries that live three hours here, as an expired entry is no previous location.)
        final long flightMs = (long)Math.ceil((km - NearbyIndex.JUMP_GRACE_KM) / 1_000 * 3_600_000);
        final NearbyIndex longLived = new NearbyIndex(9, 3 * 3_600_000L, 1_000);
        longLived.report(1, shanghai, T0);
        assertEquals(NearbyIndex.Report.IMPOSSIBLE_JUMP, longLived.report(1, beijing, T0 + flightMs - 60_000));
        assertEquals(NearbyIndex.Report.ACCEPTED, longLived.report(1, beijing, T0 + flightMs + 1));
        assertEquals(beijing, longLived.cellOf(1, T0 + flightMs + 1));
    }

    @Test
    void shouldJudgeEveryJumpAsTheDistanceBetweenCentresDoes()
    {
        final Random random = new Random(11);
        final NearbyIndex index = new NearbyIndex(9, EXPIRY_MS, 100);
        int refused = 0;
        for (long userId = 1; userId <= 20_000; userId++)
        {
            final double[] area = AREAS[random.nextInt(AREAS.length)];
            final long from = randomCell(random, area);
            final double[] near = { Cells.centre(from).lat, Cells.centre(from).lng };
            final double km = random.nextBoolean() ? 3 * random.nextDouble() : 60 * random.nextDouble();
            final long to = Cells.cellOf(near[0] + km / 111.2 * (2 * random.nextDouble() - 1),
                wrap(near[1] + km / 111.2 * (2 * random.nextDouble() - 1)), 9);
            final long sinceMs = random.nextInt(20 * 60_000);
            index.report(userId, from, T0);
            final double allowedKm = NearbyIndex.JUMP_GRACE_KM + 100.0 * sinceMs / 3_600_000;
            final NearbyIndex.Report expected = from == to || Cells.centreDistanceKm(from, to) <= allowedKm ?
                NearbyIndex.Report.ACCEPTED : NearbyIndex.Report.IMPOSSIBLE_JUMP;
            assertEquals(expected, index.report(userId, to, T0 + sinceMs), () -> "from " + Long.toHexString(from) +
                " to " + Long.toHexString(to) + " after " + sinceMs + " ms");
            refused += expected == NearbyIndex.Report.IMPOSSIBLE_JUMP ? 1 : 0;
        }
        assertTrue(refused > 1_000 && refused < 19_000, "both outcomes tried: " + refused);
    }

    @Test
    void shouldTakeSmallMovesAtOnceAndAnyMoveAfterALeaveOrExpiry()
    {
        final NearbyIndex index = new NearbyIndex(9, EXPIRY_MS, 1_000);
        final long here = Cells.cellOf(31.2304, 121.4737, 9);
        final long nextDoor = Cells.cellOf(31.2334, 121.4737, 9);
        final long farAway = Cells.cellOf(39.9042, 116.4074, 9);
        assertNotEquals(here, nextDoor);
        index.report(1, here, T0);
        assertEquals(NearbyIndex.Report.ACCEPTED, index.report(1, nextDoor, T0), "within the grace, at once");

        assertTrue(index.leave(1));
        assertFalse(index.leave(1));
        assertEquals(NearbyIndex.Report.ACCEPTED, index.report(1, farAway, T0 + 1));

        index.report(2, here, T0);
        assertEquals(NearbyIndex.Report.ACCEPTED, index.report(2, farAway, T0 + EXPIRY_MS),
            "an expired entry is no previous location");
    }

    @Test
    void shouldRefuseCellsOfAnotherResolution()
    {
        final NearbyIndex index = new NearbyIndex(9, EXPIRY_MS, 1_000);
        final long coarse = Cells.cellOf(31.2304, 121.4737, 8);
        assertThrows(IllegalArgumentException.class, () -> index.report(1, coarse, T0));
        assertThrows(IllegalArgumentException.class, () -> index.query(1, coarse, 0, 1, null, T0, new NearbyPage()));
        assertThrows(IllegalArgumentException.class, () -> new NearbyIndex(5, EXPIRY_MS, 1_000));
    }

    /**
     * The index's whole object graph after thousands of reports and queries holds no reported coordinate: no double
     * or float equal to one, nor its bits in a long or int. What it holds is cells (longs), ids and times, and the
     * distances of its last query's scratch.
     */
    @Test
    void shouldKeepNoCoordinateAnywhere() throws IllegalAccessException
    {
        final Random random = new Random(3);
        final NearbyIndex index = new NearbyIndex(9, EXPIRY_MS, 1_000);
        final Set<Double> coordinates = new java.util.HashSet<>();
        final NearbyPage page = new NearbyPage();
        for (long userId = 1; userId <= 2_000; userId++)
        {
            final double[] area = AREAS[random.nextInt(AREAS.length)];
            final double latitude = area[0] + area[2] * (2 * random.nextDouble() - 1);
            final double longitude = wrap(area[1] + area[2] * (2 * random.nextDouble() - 1));
            coordinates.add(latitude);
            coordinates.add(longitude);
            coordinates.add((double)(float)latitude);
            coordinates.add((double)(float)longitude);
            final long cell = Cells.cellOf(latitude, longitude, 9);
            index.report(userId, cell, T0);
            index.query(userId, cell, 0, 20, null, T0, page);
        }
        final List<String> found = new ArrayList<>();
        walk(index, "index", coordinates, new IdentityHashMap<>(), found);
        walk(page, "page", coordinates, new IdentityHashMap<>(), found);
        assertEquals(List.of(), found);
        for (final Field field : NearbyPage.class.getDeclaredFields())
        {
            assertFalse(field.getType() == double.class || field.getType() == double[].class ||
                field.getType() == float.class || field.getType() == float[].class, field.toString());
        }
    }

    private static void walk(
        final Object object,
        final String path,
        final Set<Double> coordinates,
        final IdentityHashMap<Object, Boolean> seen,
        final List<String> found) throws IllegalAccessException
    {
        if (object == null || seen.put(object, Boolean.TRUE) != null)
        {
            return;
        }
        final Class<?> type = object.getClass();
        if (type.isArray())
        {
            final int length = Array.getLength(object);
            for (int i = 0; i < length; i++)
            {
                final Object element = Array.get(object, i);
                if (type.getComponentType().isPrimitive())
                {
                    check(element, path + "[" + i + "]", coordinates, found);
                }
                else
                {
                    walk(element, path + "[" + i + "]", coordinates, seen, found);
                }
            }
            return;
        }
        if (object instanceof Number || object instanceof Boolean || object instanceof Character)
        {
            check(object, path, coordinates, found);
            return;
        }
        if (!type.getName().startsWith("io.xin.") && !type.getName().startsWith("org.agrona."))
        {
            fail("the index holds an object of an unexpected class at " + path + ": " + type.getName());
        }
        // Agrona's lists extend the JDK's abstract ones, whose fields are counters, not values.
        for (Class<?> c = type; c != null && !c.getName().startsWith("java."); c = c.getSuperclass())
        {
            for (final Field field : c.getDeclaredFields())
            {
                if (Modifier.isStatic(field.getModifiers()))
                {
                    continue;
                }
                field.setAccessible(true);
                final Object value = field.get(object);
                if (field.getType().isPrimitive())
                {
                    check(value, path + "." + field.getName(), coordinates, found);
                }
                else
                {
                    walk(value, path + "." + field.getName(), coordinates, seen, found);
                }
            }
        }
    }

    private static void check(final Object value, final String path, final Set<Double> coordinates,
        final List<String> found)
    {
        if (value instanceof Double d && coordinates.contains(d) ||
            value instanceof Float f && coordinates.contains((double)f) ||
            value instanceof Long l && coordinates.contains(Double.longBitsToDouble(l)) ||
            value instanceof Integer i && coordinates.contains((double)Float.intBitsToFloat(i)))
        {
            found.add(path + " = " + value);
        }
    }

    /** Every live entry but the requester's and the excluded, within 20 km, sorted by band, distance, id. */
    static List<long[]> bruteForce(
        final Map<Long, Long> cells,
        final Map<Long, Long> expiries,
        final long requester,
        final long cell,
        final LongPredicate excluded,
        final long nowMs)
    {
        final List<Object[]> rows = new ArrayList<>();
        for (final Map.Entry<Long, Long> entry : cells.entrySet())
        {
            final long userId = entry.getKey();
            if (userId == requester || expiries.get(userId) <= nowMs || excluded != null && excluded.test(userId))
            {
                continue;
            }
            final double km = Cells.centreDistanceKm(cell, entry.getValue());
            final int band = DistanceBands.band(km);
            if (band != DistanceBands.NONE)
            {
                rows.add(new Object[]{ band, km, userId });
            }
        }
        rows.sort(Comparator.<Object[]>comparingInt(row -> (Integer)row[0])
            .thenComparingDouble(row -> (Double)row[1])
            .thenComparingLong(row -> (Long)row[2]));
        final List<long[]> sorted = new ArrayList<>(rows.size());
        for (final Object[] row : rows)
        {
            sorted.add(new long[]{ (Long)row[2], (Integer)row[0] });
        }
        return sorted;
    }

    private static void assertPage(
        final List<long[]> expected, final int offset, final int limit, final NearbyPage page, final String what)
    {
        final int from = Math.min(offset, expected.size());
        final int to = Math.min(expected.size(), offset + limit);
        final StringBuilder want = new StringBuilder();
        for (int i = from; i < to; i++)
        {
            want.append(expected.get(i)[0]).append(':').append(expected.get(i)[1]).append(' ');
        }
        final StringBuilder got = new StringBuilder();
        for (int i = 0; i < page.size(); i++)
        {
            got.append(page.userId(i)).append(':').append(page.band(i)).append(' ');
        }
        assertEquals(want.toString(), got.toString(), what);
        assertEquals(expected.size() > offset + limit ? offset + limit : 0, page.nextOffset(), what + " next offset");
    }

    private static long randomCell(final Random random, final double[] area)
    {
        return Cells.cellOf(area[0] + area[2] * (2 * random.nextDouble() - 1),
            wrap(area[1] + area[2] * (2 * random.nextDouble() - 1)), 9);
    }

    private static double lat(final long cell)
    {
        return Cells.centre(cell).lat;
    }

    private static double lng(final long cell)
    {
        return Cells.centre(cell).lng;
    }

    private static double wrap(final double longitude)
    {
        return longitude > 180 ? longitude - 360 : longitude < -180 ? longitude + 360 : longitude;
    }
}
