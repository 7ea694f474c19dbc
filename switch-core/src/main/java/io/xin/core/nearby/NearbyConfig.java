package io.xin.core.nearby;

/**
 * The settings of people nearby and shake, as {@code io.xin.core.Setting} defines them (the defaults are here).
 *
 * @param cellResolution     H3 resolution of the cell kept for a location (9: about 0.1 km²).
 * @param expirySeconds      how long a location lives after its report.
 * @param maxSpeedKmh        a report farther from the last one than this speed allows is refused.
 * @param reportsPerMinute   location reports and leaves per user per minute; 0 = no limit.
 * @param queriesPerMinute   queries and shakes per user per minute; 0 = no limit.
 * @param pageLimit          the largest page of a query.
 * @param shakeWindowMs      shakes this close in time pair.
 * @param shakeMaxDistanceM  and, when both give a location, when this close; 0 = anywhere.
 * @param queueCapacity      requests waiting for the nearby thread before BUSY.
 * @param busyRetryAfterMs   retry_after_ms of a BUSY answer.
 */
public record NearbyConfig(
    int cellResolution,
    long expirySeconds,
    int maxSpeedKmh,
    int reportsPerMinute,
    int queriesPerMinute,
    int pageLimit,
    long shakeWindowMs,
    int shakeMaxDistanceM,
    int queueCapacity,
    int busyRetryAfterMs)
{
    public static final int DEFAULT_CELL_RESOLUTION = 9;
    public static final long DEFAULT_EXPIRY_SECONDS = 30 * 60;
    public static final int DEFAULT_MAX_SPEED_KMH = 1_000;
    public static final int DEFAULT_REPORTS_PER_MINUTE = 10;
    public static final int DEFAULT_QUERIES_PER_MINUTE = 30;
    public static final int DEFAULT_PAGE_LIMIT = 50;
    public static final long DEFAULT_SHAKE_WINDOW_MS = 3_000;
    public static final int DEFAULT_SHAKE_MAX_DISTANCE_M = 0;
    /** Requests queued for the nearby thread: at a few microseconds each, a few milliseconds of work. */
    public static final int DEFAULT_QUEUE_CAPACITY = 4_096;
    /** A query pages at most this many pages deep: deeper offsets would make the walk long for nothing. */
    public static final int MAX_PAGES = 100;

    /**
     * @return the largest offset a query may ask for.
     */
    public int maxOffset()
    {
        return MAX_PAGES * pageLimit;
    }
}
