package io.xin.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** File helpers of the benchmarks. */
public final class Directories
{
    private Directories()
    {
    }

    /** Deletes {@code dir} and everything under it (a benchmark's temporary RocksDB folder). */
    public static void deleteTree(final Path dir) throws IOException
    {
        final List<Path> all;
        try (Stream<Path> paths = Files.walk(dir))
        {
            all = paths.sorted(Comparator.reverseOrder()).toList();
        }
        for (final Path path : all)
        {
            Files.deleteIfExists(path);
        }
    }
}
