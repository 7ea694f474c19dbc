package io.xin.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version and git commit this build was made from, written into {@code build.properties} at build
 * time. A build without a git repository (e.g. from a source tarball) has the commit {@code unknown}; a build
 * from a work tree with uncommitted changes has {@code -dirty} after it.
 */
public final class BuildInfo
{
    /** Used for a value the build could not fill in. */
    public static final String UNKNOWN = "unknown";

    private static final String VERSION;
    private static final String COMMIT;

    static
    {
        final Properties properties = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties"))
        {
            if (in != null)
            {
                properties.load(in);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        VERSION = filled(properties.getProperty("version"));
        final String commit = filled(properties.getProperty("commit"));
        COMMIT = !UNKNOWN.equals(commit) && "true".equals(properties.getProperty("dirty")) ? commit + "-dirty" : commit;
    }

    private BuildInfo()
    {
    }

    /**
     * @return the project version, e.g. {@code 0.1.0}.
     */
    public static String version()
    {
        return VERSION;
    }

    /**
     * @return the abbreviated git commit, or {@code unknown}.
     */
    public static String commit()
    {
        return COMMIT;
    }

    /**
     * @return e.g. {@code Xin 0.1.0 (commit 1a2b3c4d5e6f)}.
     */
    public static String describe()
    {
        return "Xin " + VERSION + " (commit " + COMMIT + ")";
    }

    private static String filled(final String value)
    {
        return value == null || value.isBlank() || value.contains("${") ? UNKNOWN : value.trim();
    }
}
