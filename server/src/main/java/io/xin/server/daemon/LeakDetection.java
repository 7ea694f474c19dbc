package io.xin.server.daemon;

import io.netty.util.ResourceLeakDetector;

/**
 * Netty's leak detector in a production process. By default it tracks one buffer in 128 and records a
 * stack trace for each: on the switch's message path about 1% of the CPU, for a check the test suite
 * already makes at {@code PARANOID} on every buffer. A command that serves or generates load turns it
 * off unless the operator chose a level ({@code -Dio.netty.leakDetection.level}, or the older
 * {@code -Dio.netty.leakDetectionLevel}).
 */
public final class LeakDetection
{
    /** Netty's property naming the level. */
    public static final String LEVEL_PROPERTY = "io.netty.leakDetection.level";
    private static final String LEGACY_LEVEL_PROPERTY = "io.netty.leakDetectionLevel";

    private LeakDetection()
    {
    }

    /**
     * Disable leak detection unless a level was set on the command line. Call before the first buffer is
     * allocated.
     *
     * @return the level in force afterwards.
     */
    public static ResourceLeakDetector.Level disableUnlessSet()
    {
        if (System.getProperty(LEVEL_PROPERTY) == null && System.getProperty(LEGACY_LEVEL_PROPERTY) == null)
        {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        return ResourceLeakDetector.getLevel();
    }
}
