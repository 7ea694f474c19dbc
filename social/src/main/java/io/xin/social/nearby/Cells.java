package io.xin.social.nearby;

import com.uber.h3core.H3Core;
import com.uber.h3core.H3CoreLoader;
import com.uber.h3core.LengthUnit;
import com.uber.h3core.util.LatLng;
import org.agrona.collections.LongArrayList;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.util.List;

/**
 * H3 cells as people nearby and shake use them: a location becomes a cell at once and only the cell is kept;
 * distances are between cell centres. Also the bounds that let a search walk grid rings of coarser cells instead of
 * every entry: how far a cell's centre can lie from its ancestor's, and how far apart cells one grid step apart
 * are at least.
 * <p>
 * One H3 instance (its native library loaded once) serves the process; H3's functions keep no state, so any thread
 * may call these. Parents and children are computed here from the index bits (no native call).
 */
public final class Cells
{
    /** The resolution of the index's shards: cells of about 1,770 km² (edges about 26 km). */
    public static final int SHARD_RESOLUTION = 4;
    /** The finest resolution H3 has. */
    public static final int MAX_RESOLUTION = 15;

    private static final H3Core H3 = load();
    private static final double[] EDGE_KM = new double[MAX_RESOLUTION + 1];
    /**
     * Margins on the measured H3 geometry (a cell's centre lies at most 1.91 average edges of its resolution from its
     * parent's centre; centres k grid steps apart are at least 1.05 k average edges of their resolution apart),
     * for the distortion near the icosahedron's vertices that random samples do not reach.
     */
    private static final double REACH_PER_EDGE = 2.5;
    private static final double STEP_PER_EDGE = 0.8;

    private static final int RESOLUTION_SHIFT = 52;
    private static final long RESOLUTION_MASK = 0xFL << RESOLUTION_SHIFT;
    private static final int DIGIT_BITS = 3;
    private static final long DIGIT_MASK = 7L;

    static
    {
        for (int res = 0; res <= MAX_RESOLUTION; res++)
        {
            EDGE_KM[res] = H3.getHexagonEdgeLengthAvg(res, LengthUnit.km);
        }
    }

    private Cells()
    {
    }

    private static H3Core load()
    {
        final H3Core h3;
        try
        {
            h3 = H3Core.newInstance();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot load the H3 native library", ex);
        }
        deleteUnpackedLibrary();
        return h3;
    }

    /**
     * H3 unpacks its native library into {@code java.io.tmpdir} (or {@code -Dh3.native.dir}) and deletes it only at
     * a normal exit. Loaded, the file is no longer needed on Linux, which keeps the mapping: it is deleted at once
     * (as Netty does with its own), so a forced exit leaves nothing behind. Where that fails, the exit deletes it.
     */
    private static void deleteUnpackedLibrary()
    {
        try
        {
            final Field field = H3CoreLoader.class.getDeclaredField("libraryFile");
            field.setAccessible(true);
            final File file = (File)field.get(null);
            if (file != null)
            {
                Files.deleteIfExists(file.toPath());
            }
        }
        catch (final ReflectiveOperationException | RuntimeException | IOException ex)
        {
            // A newer H3 without the field, or a system that keeps loaded files: deleted at exit.
        }
    }

    /**
     * @return true for a latitude in [-90, 90] and a longitude in [-180, 180], both finite.
     */
    public static boolean validCoordinates(final double latitude, final double longitude)
    {
        return latitude >= -90.0 && latitude <= 90.0 && longitude >= -180.0 && longitude <= 180.0;
    }

    /**
     * The cell of a location. The coordinates are not kept: callers keep only the cell.
     *
     * @return the cell at {@code resolution}, or 0 when the coordinates are not valid.
     */
    public static long cellOf(final double latitude, final double longitude, final int resolution)
    {
        if (!validCoordinates(latitude, longitude))
        {
            return 0;
        }
        return H3.latLngToCell(latitude, longitude, resolution);
    }

    /**
     * @return true when {@code cell} is a valid H3 cell.
     */
    public static boolean isCell(final long cell)
    {
        return cell != 0 && H3.isValidCell(cell);
    }

    /**
     * @return the resolution of a cell, from its index bits.
     */
    public static int resolution(final long cell)
    {
        return (int)((cell & RESOLUTION_MASK) >>> RESOLUTION_SHIFT);
    }

    /**
     * The ancestor of a cell, from its index bits: the resolution set and the finer digits unused (7).
     *
     * @param resolution at most the cell's.
     */
    public static long parent(final long cell, final int resolution)
    {
        final int cellResolution = resolution(cell);
        long parent = (cell & ~RESOLUTION_MASK) | ((long)resolution << RESOLUTION_SHIFT);
        for (int res = resolution + 1; res <= cellResolution; res++)
        {
            parent |= DIGIT_MASK << digitShift(res);
        }
        return parent;
    }

    /**
     * A child one resolution finer, from its index bits. Digit 1 of a pentagon names no cell (H3 deletes that
     * child): the index returned is then not a valid cell, and lookups simply miss it.
     *
     * @param digit 0..6.
     */
    public static long child(final long cell, final int digit)
    {
        final int childResolution = resolution(cell) + 1;
        final int shift = digitShift(childResolution);
        return (cell & ~RESOLUTION_MASK & ~(DIGIT_MASK << shift)) |
            ((long)childResolution << RESOLUTION_SHIFT) | ((long)digit << shift);
    }

    private static int digitShift(final int resolution)
    {
        return (MAX_RESOLUTION - resolution) * DIGIT_BITS;
    }

    /** The centre of a cell, for distances computed at once and not kept. */
    public static LatLng centre(final long cell)
    {
        return H3.cellToLatLng(cell);
    }

    /**
     * @return the great-circle distance between the centre {@code from} and the centre of {@code cell}.
     */
    public static double distanceKm(final LatLng from, final long cell)
    {
        final LatLng to = H3.cellToLatLng(cell);
        return DistanceBands.distanceKm(from.lat, from.lng, to.lat, to.lng);
    }

    /**
     * @return the great-circle distance between the centres of two cells, in kilometres.
     */
    public static double centreDistanceKm(final long a, final long b)
    {
        return distanceKm(H3.cellToLatLng(a), b);
    }

    /**
     * The cells exactly {@code k} grid steps from {@code origin}, added to {@code out}.
     */
    static void ring(final long origin, final int k, final LongArrayList out)
    {
        final List<Long> cells = H3.gridRing(origin, k);
        for (int i = 0, size = cells.size(); i < size; i++)
        {
            out.addLong(cells.get(i));
        }
    }

    /**
     * @return the cells within {@code k} grid steps of {@code origin}.
     */
    public static List<Long> disk(final long origin, final int k)
    {
        return H3.gridDisk(origin, k);
    }

    /**
     * @return H3's average edge length at a resolution, in kilometres.
     */
    public static double edgeKm(final int resolution)
    {
        return EDGE_KM[resolution];
    }

    /**
     * An upper bound on the distance between the centre of a cell at {@code cellResolution} and the centre of its
     * ancestor at {@code ancestorResolution}: the sum of the bound for each step up.
     */
    public static double ancestorReachKm(final int cellResolution, final int ancestorResolution)
    {
        double reach = 0;
        for (int res = ancestorResolution + 1; res <= cellResolution; res++)
        {
            reach += REACH_PER_EDGE * EDGE_KM[res];
        }
        return reach;
    }

    /**
     * A lower bound on the distance between the centres of two cells at {@code resolution} per grid step between
     * them.
     */
    public static double minStepKm(final int resolution)
    {
        return STEP_PER_EDGE * EDGE_KM[resolution];
    }

    /**
     * How many grid rings around a cell's ancestor hold the ancestors of every cell whose centre lies within
     * {@code km} of that cell's centre. Two such cells' ancestors' centres are at most {@code km + 2 reach} apart,
     * and so at most that over {@link #minStepKm} grid steps.
     */
    public static int ringsCovering(final double km, final int cellResolution, final int ancestorResolution)
    {
        return (int)Math.ceil(
            (km + 2 * ancestorReachKm(cellResolution, ancestorResolution)) / minStepKm(ancestorResolution));
    }
}
