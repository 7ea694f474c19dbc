package io.xin.bench.social;

import io.xin.bench.MemoryProbe;
import io.xin.social.discovery.DiscoveryDirectory;
import io.xin.social.discovery.IndexedDiscoveryDirectory;
import io.xin.social.discovery.Registrations;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * MATCH of a 1,000-entry book (as two requests of 500 tags, 200 of them registered) against a directory of
 * {@link #registered} users: the switch's lookup under its read lock. Setup loads the directory the way a switch
 * does at start, from a scan of its registrations (generated here, not read from RocksDB), and prints the index's
 * bytes, the settled heap it added and how long the load took.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xms2g", "-Xmx2g" })
public class MatchBenchmark
{
    private static final int BOOK = 1_000;
    private static final int HITS = 200;
    private static final int KEY_ID = 1;

    @Param({"10000000"})
    int registered;

    private IndexedDiscoveryDirectory directory;
    private List<byte[]> firstHalf;
    private List<byte[]> secondHalf;

    /** Registrations of user i + 1 with the i-th tag of a seeded stream: the same tags every time they are read. */
    private record Generated(int count) implements Registrations
    {
        @Override
        public int[] keyIds()
        {
            return new int[]{ KEY_ID };
        }

        @Override
        public long count(final int keyId)
        {
            return count;
        }

        @Override
        public void forEach(final int keyId, final Visitor visitor)
        {
            final SplittableRandom random = new SplittableRandom(7);
            final byte[] tag = new byte[16];
            for (int i = 0; i < count; i++)
            {
                ByteBuffer.wrap(tag).putLong(random.nextLong()).putLong(random.nextLong());
                visitor.visit(i + 1, tag);
            }
        }

        @Override
        public byte[] read(final int keyId, final long userId)
        {
            return null;
        }

        @Override
        public void write(final int keyId, final long userId, final byte[] tag, final long displacedUserId)
        {
        }

        @Override
        public void delete(final int keyId, final long userId)
        {
        }

        @Override
        public void deleteKey(final int keyId)
        {
        }
    }

    @Setup
    public void setup() throws InterruptedException
    {
        final long heapBefore = MemoryProbe.settledHeapBytes();
        final long startNs = System.nanoTime();
        final Generated registrations = new Generated(registered);
        directory = new IndexedDiscoveryDirectory(registrations, KEY_ID);
        final long loadMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        final long heapAfter = MemoryProbe.settledHeapBytes();

        // The book: 200 registered tags (spread over the stream) and 800 that are not.
        final List<byte[]> book = new ArrayList<>();
        final int stride = registered / HITS;
        registrations.forEach(KEY_ID, (userId, tag) ->
        {
            if (userId % stride == 0 && book.size() < HITS)
            {
                book.add(tag.clone());
            }
        });
        final SplittableRandom misses = new SplittableRandom(11);
        while (book.size() < BOOK)
        {
            book.add(ByteBuffer.allocate(16).putLong(misses.nextLong()).putLong(misses.nextLong()).array());
        }
        firstHalf = book.subList(0, BOOK / 2);
        secondHalf = book.subList(BOOK / 2, BOOK);
        final int[] hits = new int[1];
        directory.match(KEY_ID, book, (index, userId) -> hits[0]++);
        System.out.printf("%n  [index: %d entries, %d bytes of arrays (%.1f B/entry), settled heap +%d bytes " +
            "(%.1f B/entry), loaded in %d ms, %d hits in the book]%n", directory.size(KEY_ID), directory.memoryBytes(),
            directory.memoryBytes() / (double)registered, heapAfter - heapBefore,
            (heapAfter - heapBefore) / (double)registered, loadMs, hits[0]);
    }

    /** The lookups of a 1,000-entry book: two MATCH requests of 500 tags. */
    @Benchmark
    public void matchBook(final Blackhole sink)
    {
        final DiscoveryDirectory.MatchSink matches = (index, userId) -> sink.consume(userId);
        directory.match(KEY_ID, firstHalf, matches);
        directory.match(KEY_ID, secondHalf, matches);
    }
}
