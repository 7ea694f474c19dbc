package io.xin.bench.social;

import io.xin.core.discovery.StoreRegistrations;
import io.xin.social.discovery.IndexedDiscoveryDirectory;
import io.xin.storage.DiscoveryRegistrations;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * How long a switch takes at start to rebuild the discovery index from its RocksDB: writes {@code count}
 * registrations (default 1,000,000) into a store in a temporary folder the way the directory does, reopens the
 * store, and times the load (a count of the key's records, then a scan into the index), then the bytes on disk.
 * Run it with {@code java -cp bench/target/benchmarks.jar io.xin.bench.social.DirectoryLoadTime [count]}.
 */
public final class DirectoryLoadTime
{
    private DirectoryLoadTime()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final int count = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        final Path dataDir = Files.createTempDirectory("xin-discovery-load");
        try
        {
            final StoreConfig config = new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER);
            long startNs = System.nanoTime();
            try (XinStore store = XinStore.open(config))
            {
                final DiscoveryRegistrations registrations = store.discoveryRegistrations();
                final SplittableRandom random = new SplittableRandom(3);
                final byte[] tag = new byte[16];
                for (int i = 1; i <= count; i++)
                {
                    ByteBuffer.wrap(tag).putLong(random.nextLong()).putLong(random.nextLong());
                    registrations.write(1, i, tag, 0);
                }
                store.compact();
            }
            final long writeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            try (XinStore store = XinStore.open(config))
            {
                startNs = System.nanoTime();
                final IndexedDiscoveryDirectory directory = new IndexedDiscoveryDirectory(
                    new StoreRegistrations(store.discoveryRegistrations()), 1);
                final long loadMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
                System.out.printf("%,d registrations: written in %,d ms (%.1f us each, one write each), " +
                    "store %,d bytes (%.1f B each) after compaction; index loaded at open in %,d ms " +
                    "(%.2f us each), %,d bytes of index%n", directory.size(1), writeMs, writeMs * 1e3 / count,
                    store.sizeBytes(), store.sizeBytes() / (double)count, loadMs, loadMs * 1e3 / count,
                    directory.memoryBytes());
            }
        }
        finally
        {
            try (Stream<Path> paths = Files.walk(dataDir))
            {
                for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.deleteIfExists(path);
                }
            }
        }
    }
}
