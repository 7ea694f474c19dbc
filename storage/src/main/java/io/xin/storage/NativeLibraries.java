package io.xin.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

/**
 * Loads RocksDB's native library from a stable, versioned path instead of a new temporary file per
 * process. rocksdbjni's own loader copies its 17 MB library to {@code java.io.tmpdir} under a random
 * name at every start and deletes it only at a clean exit: every process killed, crashed or halted
 * left one behind. Here it is unpacked once into
 * <pre>
 *   DIR/rocksdbjni-VERSION/FILE
 * </pre>
 * where FILE is the name {@link RocksDB#loadLibrary(List)} looks for ({@code librocksdbjnijni-linux64.so} on
 * x86-64 Linux) and DIR is, first that is set, the {@code xin.native.dir} system property, the {@code XIN_NATIVE_DIR}
 * environment variable, {@code $XDG_CACHE_HOME/xin}, {@code ~/.cache/xin}; when DIR is not given explicitly
 * and cannot be used, {@code java.io.tmpdir/xin-USER} (kept only if owned by the user and writable by
 * nobody else). The file is written to a temporary name in the same folder and renamed into place, so a
 * process never loads a partly written library, and only when missing or different from the jar's. A
 * process that loaded the file before a replacement keeps its own copy (the old inode). With
 * {@code ROCKSDB_SHAREDLIB_DIR} set, rocksdbjni's own loader is used, as that variable asks.
 * <p>
 * Threading: {@link #loadRocksDb()} may be called from any thread; the first call loads, later ones return.
 */
public final class NativeLibraries
{
    /** System property naming the folder native libraries are unpacked to. */
    public static final String DIR_PROPERTY = "xin.native.dir";
    /** Environment variable naming the folder, when the property is not set. */
    public static final String DIR_ENV = "XIN_NATIVE_DIR";
    private static final String ROCKSDB_SHAREDLIB_DIR = "ROCKSDB_SHAREDLIB_DIR";
    /** Temporary files older than this are left by a process that died while unpacking. */
    private static final long STALE_TEMP_MS = 10 * 60 * 1000L;

    private static Path rocksDbLibrary;
    private static boolean rocksDbLoaded;

    private NativeLibraries()
    {
    }

    /**
     * Loads RocksDB's native library, once per process, before anything else touches RocksDB.
     *
     * @return the file loaded, or null when rocksdbjni's own loader was used ({@code ROCKSDB_SHAREDLIB_DIR},
     * or a platform whose library the jar does not hold).
     * @throws UnsatisfiedLinkError when no folder could hold and load it; the message names each one tried.
     */
    public static synchronized Path loadRocksDb()
    {
        if (rocksDbLoaded)
        {
            return rocksDbLibrary;
        }
        final String resource = rocksDbResource();
        if (System.getenv(ROCKSDB_SHAREDLIB_DIR) != null || resource == null)
        {
            RocksDB.loadLibrary();
            rocksDbLoaded = true;
            return null;
        }
        final String fileName = Environment.getJniLibraryFileName("rocksdbjni");
        final String folder = "rocksdbjni-" + rocksDbVersion();
        final StringBuilder failures = new StringBuilder();
        for (final Path dir : candidateDirs(System.getProperties(), System.getenv()))
        {
            try
            {
                final Path library = install(() -> RocksDB.class.getClassLoader().getResourceAsStream(resource),
                    dir.resolve(folder), fileName);
                // RocksDB.loadLibrary(paths) loads FILE from the first folder that has it and marks the library
                // loaded, so RocksDB's classes do not unpack it again.
                RocksDB.loadLibrary(List.of(library.getParent().toString()));
                rocksDbLibrary = library;
                rocksDbLoaded = true;
                return library;
            }
            catch (final IOException | UncheckedIOException | UnsatisfiedLinkError | SecurityException ex)
            {
                failures.append(failures.length() == 0 ? "" : "; ").append(dir).append(": ").append(ex);
            }
        }
        throw new UnsatisfiedLinkError("cannot unpack and load RocksDB's native library (set -D" + DIR_PROPERTY +
            " or " + DIR_ENV + " to a writable folder on a file system that allows executable mappings): " + failures);
    }

    /**
     * The folders to try, in order: the one given, else the user's cache folder and then a folder of the
     * user's own under {@code java.io.tmpdir}.
     */
    static List<Path> candidateDirs(final Properties properties, final Map<String, String> env)
    {
        final String given = nonBlank(properties.getProperty(DIR_PROPERTY), env.get(DIR_ENV));
        if (given != null)
        {
            return List.of(Path.of(given));
        }
        final List<Path> dirs = new ArrayList<>(2);
        final String xdgCache = env.get("XDG_CACHE_HOME");
        final String home = properties.getProperty("user.home");
        if (xdgCache != null && Path.of(xdgCache).isAbsolute())
        {
            dirs.add(Path.of(xdgCache, "xin"));
        }
        else if (home != null && !home.isBlank() && !"?".equals(home))
        {
            dirs.add(Path.of(home, ".cache", "xin"));
        }
        final String tmp = properties.getProperty("java.io.tmpdir");
        if (tmp != null && !tmp.isBlank())
        {
            dirs.add(Path.of(tmp, "xin-" + properties.getProperty("user.name", "user")));
        }
        return dirs;
    }

    /**
     * Puts the library in {@code dir/fileName} unless that file already holds the same bytes: written to a
     * temporary file in {@code dir} and renamed over it, so a reader sees either the old file or the whole new one.
     *
     * @return the file.
     */
    static Path install(final ResourceSource source, final Path dir, final String fileName) throws IOException
    {
        createPrivateDirectories(dir);
        final Path target = dir.resolve(fileName);
        if (Files.isRegularFile(target) && sameContent(source, target))
        {
            return target;
        }
        removeStaleTemps(dir, fileName);
        final Path temp = Files.createTempFile(dir, fileName + ".", ".tmp");
        try
        {
            try (InputStream in = open(source))
            {
                Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            }
            try
            {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            catch (final AtomicMoveNotSupportedException ex)
            {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        finally
        {
            Files.deleteIfExists(temp);
        }
        return target;
    }

    /** Opens the library's bytes, e.g. a class path resource. */
    @FunctionalInterface
    interface ResourceSource
    {
        InputStream open() throws IOException;
    }

    private static InputStream open(final ResourceSource source) throws IOException
    {
        final InputStream in = source.open();
        if (in == null)
        {
            throw new IOException("the native library is not on the class path");
        }
        return in;
    }

    private static boolean sameContent(final ResourceSource source, final Path file) throws IOException
    {
        try (InputStream expected = open(source); InputStream actual = Files.newInputStream(file))
        {
            final byte[] a = new byte[64 * 1024];
            final byte[] b = new byte[64 * 1024];
            while (true)
            {
                final int n = expected.readNBytes(a, 0, a.length);
                final int m = actual.readNBytes(b, 0, n == 0 ? 1 : n);
                if (n != m || !java.util.Arrays.equals(a, 0, n, b, 0, m))
                {
                    return false;
                }
                if (n == 0)
                {
                    return true;
                }
            }
        }
    }

    /**
     * Creates the folders (those it creates private to the user), then refuses the folder and its parent when
     * someone else owns them or can write to them: a library planted there would run in this process.
     */
    private static void createPrivateDirectories(final Path dir) throws IOException
    {
        final boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        if (!posix)
        {
            Files.createDirectories(dir);
            return;
        }
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        checkPrivate(dir, false);
        if (dir.getParent() != null)
        {
            checkPrivate(dir.getParent(), true);
        }
    }

    /** @param shared a world-writable folder with the sticky bit (like /tmp) is allowed: no one renames in it. */
    private static void checkPrivate(final Path dir, final boolean shared) throws IOException
    {
        final int mode = (Integer)Files.getAttribute(dir, "unix:mode");
        if (shared && (mode & 01002) == 01002)
        {
            return;
        }
        if ((mode & 022) != 0)
        {
            throw new IOException(dir + " is writable by other users");
        }
        final Path self = Path.of("/proc/self");
        if (Files.exists(self) && !Files.getAttribute(dir, "unix:uid").equals(Files.getAttribute(self, "unix:uid")))
        {
            throw new IOException(dir + " is owned by another user");
        }
    }

    private static void removeStaleTemps(final Path dir, final String fileName)
    {
        final long staleBefore = System.currentTimeMillis() - STALE_TEMP_MS;
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, fileName + ".*.tmp"))
        {
            for (final Path temp : temps)
            {
                final FileTime modified = Files.getLastModifiedTime(temp);
                if (modified.toMillis() < staleBefore)
                {
                    Files.deleteIfExists(temp);
                }
            }
        }
        catch (final IOException ignored)
        {
            // a stale temporary file costs disk space only
        }
    }

    private static String rocksDbResource()
    {
        final ClassLoader loader = RocksDB.class.getClassLoader();
        final String name = Environment.getJniLibraryFileName("rocksdb");
        if (loader.getResource(name) != null)
        {
            return name;
        }
        final String fallback = Environment.getFallbackJniLibraryFileName("rocksdb");
        return fallback != null && loader.getResource(fallback) != null ? fallback : null;
    }

    /** The RocksDB version of the rocksdbjni jar the build used, from native.properties. */
    static String rocksDbVersion()
    {
        try (InputStream in = NativeLibraries.class.getResourceAsStream("native.properties"))
        {
            final Properties properties = new Properties();
            if (in != null)
            {
                properties.load(in);
            }
            final String version = properties.getProperty("rocksdb.version", "");
            return version.isBlank() || version.startsWith("$") ? "unknown" : version.trim();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static String nonBlank(final String first, final String second)
    {
        if (first != null && !first.isBlank())
        {
            return first.trim();
        }
        return second != null && !second.isBlank() ? second.trim() : null;
    }
}
