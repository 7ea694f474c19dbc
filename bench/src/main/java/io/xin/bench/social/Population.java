package io.xin.bench.social;

import io.xin.social.nearby.Cells;

import java.util.Random;

/**
 * Where a benchmark's users are: {@code city}, uniformly over a 40 x 40 km city (every user within reach of most
 * others: the densest case); {@code country}, over a 1,000 x 1,000 km country, four in five users in 60 towns of a
 * few kilometres and the rest in the countryside between them (most queries find their page within a few km, some
 * walk out to 20 km).
 */
final class Population
{
    private static final double CITY_LATITUDE = 31.2304;
    private static final double CITY_LONGITUDE = 121.4737;
    /** Half the city's side in degrees: 20 km. */
    private static final double CITY_HALF_LATITUDE = 0.18;
    private static final double CITY_HALF_LONGITUDE = 0.21;
    private static final double COUNTRY_SOUTH = 25.0;
    private static final double COUNTRY_WEST = 110.0;
    /** The country's side in degrees: about 1,000 km. */
    private static final double COUNTRY_LATITUDES = 9.0;
    private static final double COUNTRY_LONGITUDES = 10.0;
    private static final int TOWNS = 60;
    /** A town's spread (one standard deviation), in degrees: about 3 km. */
    private static final double TOWN_SPREAD = 0.03;

    private final boolean city;
    private final Random random;
    private final double[] townLatitudes = new double[TOWNS];
    private final double[] townLongitudes = new double[TOWNS];

    /**
     * @param area {@code city} or {@code country}.
     */
    Population(final String area, final long seed)
    {
        if (!"city".equals(area) && !"country".equals(area))
        {
            throw new IllegalArgumentException("area must be city or country: " + area);
        }
        this.city = "city".equals(area);
        this.random = new Random(seed);
        for (int i = 0; i < TOWNS; i++)
        {
            townLatitudes[i] = COUNTRY_SOUTH + COUNTRY_LATITUDES * random.nextDouble();
            townLongitudes[i] = COUNTRY_WEST + COUNTRY_LONGITUDES * random.nextDouble();
        }
    }

    /** A random location: its latitude and longitude in {@code out[0]} and {@code out[1]}. */
    void next(final double[] out)
    {
        if (city)
        {
            out[0] = CITY_LATITUDE + CITY_HALF_LATITUDE * (2 * random.nextDouble() - 1);
            out[1] = CITY_LONGITUDE + CITY_HALF_LONGITUDE * (2 * random.nextDouble() - 1);
        }
        else if (random.nextInt(5) != 0)
        {
            final int town = random.nextInt(TOWNS);
            out[0] = townLatitudes[town] + TOWN_SPREAD * random.nextGaussian();
            out[1] = townLongitudes[town] + TOWN_SPREAD * random.nextGaussian();
        }
        else
        {
            out[0] = COUNTRY_SOUTH + COUNTRY_LATITUDES * random.nextDouble();
            out[1] = COUNTRY_WEST + COUNTRY_LONGITUDES * random.nextDouble();
        }
    }

    /** A random location's cell. */
    long nextCell(final int resolution)
    {
        final double[] location = new double[2];
        next(location);
        return Cells.cellOf(location[0], location[1], resolution);
    }

    /** A location within about {@code km} of the given one, in {@code out}. */
    void near(final double latitude, final double longitude, final double km, final double[] out)
    {
        out[0] = latitude + km / 111.2 * (2 * random.nextDouble() - 1);
        out[1] = longitude + km / (111.2 * Math.cos(Math.toRadians(latitude))) * (2 * random.nextDouble() - 1);
    }
}
