package io.xin.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Where RocksDB's native library is unpacked and when it is written again: once per version and content,
 * to one stable file, never to a new temporary name per process.
 */
final class NativeLibrariesTest
{
    private static final byte[] LIBRARY = "not really a shared object, but bytes to compare".getBytes();

    @TempDir
    Path dir;

    private final AtomicInteger opened = new AtomicInteger();

    private NativeLibraries.ResourceSource source(final byte[] bytes)
    {
        return () ->
        {
            opened.incrementAndGet();
            return new ByteArrayInputStream(bytes);
        };
    }

    @Test
    void shouldUnpackOnceAndLeaveAnIdenticalFileAlone() throws Exception
    {
        final Path folder = dir.resolve("cache/xin/rocksdbjni-1.2.3");
        final Path library = NativeLibraries.install(source(LIBRARY), folder, "librocksdbjni.so");
        assertEquals(folder.resolve("librocksdbjni.so"), library);
        assertArrayEquals(LIBRARY, Files.readAllBytes(library));
        final Object inode = Files.getAttribute(library, "unix:ino");
        final FileTime old = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(library, old);

        assertEquals(library, NativeLibraries.install(source(LIBRARY), folder, "librocksdbjni.so"));

        assertEquals(inode, Files.getAttribute(library, "unix:ino"), "the same file, not written again");
        assertEquals(old, Files.getLastModifiedTime(library));
        try (var files = Files.list(folder))
        {
            assertEquals(List.of(library), files.toList(), "no temporary file left beside it");
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(folder)));
    }

    @Test
    void shouldReplaceADifferentFileByRenamingANewOneOverIt() throws Exception
    {
        final Path folder = dir.resolve("rocksdbjni-1.2.3");
        final Path library = NativeLibraries.install(source("truncated".getBytes()), folder, "librocksdbjni.so");
        final Object inode = Files.getAttribute(library, "unix:ino");

        NativeLibraries.install(source(LIBRARY), folder, "librocksdbjni.so");

        assertArrayEquals(LIBRARY, Files.readAllBytes(library));
        assertNotEquals(inode, Files.getAttribute(library, "unix:ino"),
            "a new file renamed into place: a process that mapped the old one keeps it whole");
        try (var files = Files.list(folder))
        {
            assertEquals(1, files.count());
        }
    }

    @Test
    void shouldRemoveATemporaryFileLeftByAProcessKilledWhileUnpacking() throws Exception
    {
        final Path folder = Files.createDirectories(dir.resolve("rocksdbjni-1.2.3"));
        final Path left = Files.write(folder.resolve("librocksdbjni.so.123.tmp"), "partial".getBytes());
        Files.setLastModifiedTime(left, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000L));

        NativeLibraries.install(source(LIBRARY), folder, "librocksdbjni.so");

        assertEquals(false, Files.exists(left));
    }

    @Test
    void shouldRefuseAFolderOthersCanWriteTo() throws Exception
    {
        final Path folder = Files.createDirectories(dir.resolve("shared/rocksdbjni-1.2.3"));
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxrwxrwx"));

        assertThrows(java.io.IOException.class,
            () -> NativeLibraries.install(source(LIBRARY), folder, "librocksdbjni.so"));
    }

    @Test
    void shouldPreferTheGivenFolderThenTheUsersCacheThenAPrivateFolderInTmp()
    {
        final Properties properties = new Properties();
        properties.setProperty("user.home", "/home/ann");
        properties.setProperty("user.name", "ann");
        properties.setProperty("java.io.tmpdir", "/tmp");

        assertEquals(List.of(Path.of("/home/ann/.cache/xin"), Path.of("/tmp/xin-ann")),
            NativeLibraries.candidateDirs(properties, Map.of()));
        assertEquals(List.of(Path.of("/var/cache/ann/xin"), Path.of("/tmp/xin-ann")),
            NativeLibraries.candidateDirs(properties, Map.of("XDG_CACHE_HOME", "/var/cache/ann")));
        assertEquals(List.of(Path.of("/var/cache/xin")),
            NativeLibraries.candidateDirs(properties, Map.of(NativeLibraries.DIR_ENV, "/var/cache/xin")));
        properties.setProperty(NativeLibraries.DIR_PROPERTY, "/srv/native");
        assertEquals(List.of(Path.of("/srv/native")),
            NativeLibraries.candidateDirs(properties, Map.of(NativeLibraries.DIR_ENV, "/var/cache/xin")));
    }

    @Test
    void shouldNameTheFolderAfterTheRocksDbVersionOfTheBuild()
    {
        assertEquals(true, NativeLibraries.rocksDbVersion().matches("\\d+\\.\\d+\\.\\d+"), NativeLibraries.rocksDbVersion());
    }
}
