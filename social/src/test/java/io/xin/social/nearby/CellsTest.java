package io.xin.social.nearby;

import com.uber.h3core.H3Core;
import com.uber.h3core.H3CoreLoader;
import com.uber.h3core.exceptions.H3Exception;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cell arithmetic the index relies on, checked against H3 itself: parents and children from the index bits, and
 * the ring bounds (every cell within a distance has its ancestor within the rings {@link Cells#ringsCovering} says).
 */
class CellsTest
{
    private static H3Core h3;

    @BeforeAll
    static void loadH3() throws IOException
    {
        h3 = H3Core.newInstance();
    }

    @Test
    void shouldComputeParentsAndChildrenAsH3Does()
    {
        final Random random = new Random(1);
        for (int i = 0; i < 2_000; i++)
        {
            final long cell = Cells.cellOf(randomLatitude(random), randomLongitude(random), 9);
            for (int res = 0; res <= 9; res++)
            {
                assertEquals(h3.cellToParent(cell, res), Cells.parent(cell, res));
            }
            final long block = Cells.parent(cell, 8);
            final Set<Long> children = new HashSet<>();
            for (int digit = 0; digit < 7; digit++)
            {
                final long child = Cells.child(block, digit);
                if (h3.isValidCell(child))
                {
                    children.add(child);
                }
            }
            assertEquals(new HashSet<>(h3.cellToChildren(block, 9)), children);
        }
    }

    @Test
    void shouldFindTheChildrenOfPentagonsWithoutTheDeletedOne()
    {
        for (final long pentagon : h3.getPentagons(8))
        {
            final Set<Long> children = new HashSet<>();
            for (int digit = 0; digit < 7; digit++)
            {
                final long child = Cells.child(pentagon, digit);
                if (h3.isValidCell(child))
                {
                    children.add(child);
                }
            }
            assertEquals(new HashSet<>(h3.cellToChildren(pentagon, 9)), children);
            assertEquals(6, children.size());
        }
    }

    @Test
    void shouldCoverEveryCellWithinADistanceByTheRingsOfItsAncestor()
    {
        final Random random = new Random(2);
        final double[] distancesKm = { 0.5, 1, 2, 5, 10, 20 };
        for (int i = 0; i < 20_000; i++)
        {
            final double latitude = randomLatitude(random) * 0.98;
            final double longitude = randomLongitude(random);
            final long cell = Cells.cellOf(latitude, longitude, 9);
            final double km = 22 * random.nextDouble();
            final double bearing = 2 * Math.PI * random.nextDouble();
            final double otherLatitude = latitude + km / 111.2 * Math.cos(bearing);
            final double otherLongitude = wrap(longitude +
                km / (111.2 * Math.cos(Math.toRadians(latitude))) * Math.sin(bearing));
            final long other = Cells.cellOf(otherLatitude, otherLongitude, 9);
            if (other == 0)
            {
                continue;
            }
            final double centresKm = Cells.centreDistanceKm(cell, other);
            for (final int ancestor : new int[]{ 8, 7, 6 })
            {
                final long gridSteps;
                try
                {
                    gridSteps = h3.gridDistance(Cells.parent(cell, ancestor), Cells.parent(other, ancestor));
                }
                catch (final H3Exception ex)
                {
                    // Across a pentagon H3 gives no grid distance; the rings there are walked all the same.
                    continue;
                }
                for (final double distanceKm : distancesKm)
                {
                    if (centresKm <= distanceKm)
                    {
                        assertTrue(gridSteps <= Cells.ringsCovering(distanceKm, 9, ancestor),
                            () -> "cells " + Long.toHexString(cell) + " and " + Long.toHexString(other) + " " +
                                centresKm + " km apart, " + gridSteps + " steps at resolution " + ancestor);
                    }
                }
            }
        }
    }

    @Test
    void shouldRefuseCoordinatesOffTheGlobe()
    {
        assertEquals(0, Cells.cellOf(Double.NaN, 0, 9));
        assertEquals(0, Cells.cellOf(0, Double.POSITIVE_INFINITY, 9));
        assertEquals(0, Cells.cellOf(90.5, 0, 9));
        assertEquals(0, Cells.cellOf(0, -180.5, 9));
        assertTrue(Cells.isCell(Cells.cellOf(-90, 180, 9)));
        assertFalse(Cells.isCell(0));
    }

    @Test
    void shouldWalkRingsAroundPentagons()
    {
        for (final long pentagon : h3.getPentagons(8))
        {
            final List<Long> disk = Cells.disk(pentagon, 3);
            final org.agrona.collections.LongArrayList rings = new org.agrona.collections.LongArrayList();
            for (int k = 0; k <= 3; k++)
            {
                Cells.ring(pentagon, k, rings);
            }
            assertEquals(new HashSet<>(disk), new HashSet<>(rings));
            assertEquals(disk.size(), rings.size());
        }
    }

    @Test
    void shouldLeaveNoUnpackedLibraryBehind() throws ReflectiveOperationException
    {
        assertTrue(Cells.isCell(Cells.cellOf(0, 0, 9)));
        final Field field = H3CoreLoader.class.getDeclaredField("libraryFile");
        field.setAccessible(true);
        final File unpacked = (File)field.get(null);
        assertNotNull(unpacked);
        assertFalse(unpacked.exists(), "deleted once loaded: " + unpacked);
    }

    private static double randomLatitude(final Random random)
    {
        return Math.toDegrees(Math.asin(2 * random.nextDouble() - 1));
    }

    private static double randomLongitude(final Random random)
    {
        return 360 * random.nextDouble() - 180;
    }

    private static double wrap(final double longitude)
    {
        return longitude > 180 ? longitude - 360 : longitude < -180 ? longitude + 360 : longitude;
    }
}
