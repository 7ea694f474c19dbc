package io.xin.social.nearby;

/**
 * How far another user is, as people nearby and shake tell it: a band, never a distance. The band comes from the
 * great-circle distance between the centres of the two users' cells, so it says no more than the cells do (see
 * docs/security.md, "People nearby and shake"). The band numbers are those of {@code DistanceBand} on the wire.
 */
public final class DistanceBands
{
    /** Farther than {@link #MAX_KM}, or not known (a shake without a location). */
    public static final int NONE = 0;
    public static final int WITHIN_1_KM = 1;
    public static final int WITHIN_2_KM = 2;
    public static final int WITHIN_5_KM = 3;
    public static final int WITHIN_10_KM = 4;
    public static final int WITHIN_20_KM = 5;
    /** The widest band: people nearby shows no one farther. */
    public static final double MAX_KM = 20.0;
    /** Mean Earth radius (IUGG), as H3 uses it. */
    public static final double EARTH_RADIUS_KM = 6371.0088;

    /** The outer limit of each band, by band number; index 0 unused. */
    private static final double[] LIMITS_KM = { 0.0, 1.0, 2.0, 5.0, 10.0, MAX_KM };

    private DistanceBands()
    {
    }

    /**
     * @param distanceKm a distance, not negative.
     * @return the narrowest band that holds it (a distance on a limit is inside it), or {@link #NONE} past
     * {@link #MAX_KM}.
     */
    public static int band(final double distanceKm)
    {
        for (int band = WITHIN_1_KM; band <= WITHIN_20_KM; band++)
        {
            if (distanceKm <= LIMITS_KM[band])
            {
                return band;
            }
        }
        return NONE;
    }

    /**
     * @param band {@link #WITHIN_1_KM} .. {@link #WITHIN_20_KM}.
     * @return the band's outer limit in kilometres.
     */
    public static double limitKm(final int band)
    {
        if (band < WITHIN_1_KM || band > WITHIN_20_KM)
        {
            throw new IllegalArgumentException("no such band: " + band);
        }
        return LIMITS_KM[band];
    }

    /**
     * The great-circle distance (haversine) between two points given in degrees.
     */
    public static double distanceKm(final double lat1, final double lng1, final double lat2, final double lng2)
    {
        final double phi1 = Math.toRadians(lat1);
        final double phi2 = Math.toRadians(lat2);
        final double sinHalfDPhi = Math.sin((phi2 - phi1) * 0.5);
        final double sinHalfDLambda = Math.sin(Math.toRadians(lng2 - lng1) * 0.5);
        final double h = sinHalfDPhi * sinHalfDPhi + Math.cos(phi1) * Math.cos(phi2) * sinHalfDLambda * sinHalfDLambda;
        return 2.0 * EARTH_RADIUS_KM * Math.asin(Math.min(1.0, Math.sqrt(h)));
    }
}
