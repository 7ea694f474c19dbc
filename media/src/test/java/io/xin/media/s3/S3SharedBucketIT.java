package io.xin.media.s3;

import static io.xin.media.TestBytes.bytes;
import static io.xin.media.TestBytes.sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.xin.media.BlobInfo;
import io.xin.media.ByteRange;
import io.xin.media.ForwardingMediaStore;
import io.xin.media.MediaCollector;
import io.xin.media.MediaLimits;
import io.xin.media.MutableClock;
import io.xin.media.UploadRequest;

/**
 * Two stores on one bucket, each with its own spool directory, as two switches of a cluster: the records they both
 * change stay whole when their changes race. The server checks If-Match with the write, as S3 does (see
 * {@link S3ProxyServer}).
 */
class S3SharedBucketIT
{
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final int PART = 5 * 1024 * 1024;
    private static final int ROUNDS = 20;
    private static final long TIMEOUT_SECONDS = 60;
    private static final Duration RETENTION = Duration.ofDays(7);
    private static final Duration GRACE = Duration.ofDays(1);

    @TempDir
    static Path serverDir;

    private static S3ProxyServer server;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final ExecutorService threads = Executors.newFixedThreadPool(2);
    private String bucket;
    private S3MediaStore a;
    private S3MediaStore b;

    @BeforeAll
    static void startServer() throws Exception
    {
        server = new S3ProxyServer(serverDir, true);
    }

    @AfterAll
    static void stopServer() throws Exception
    {
        server.close();
    }

    @BeforeEach
    void open()
    {
        bucket = server.newBucket();
        a = new S3MediaStore(config(dir.resolve("a")), MediaLimits.DEFAULTS, clock);
        b = new S3MediaStore(config(dir.resolve("b")), MediaLimits.DEFAULTS, clock);
    }

    @AfterEach
    void close() throws InterruptedException
    {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        a.close();
        b.close();
    }

    @Test
    void sameBytesCompletedOnTwoStoresAtOnceAreOneBlobOwnedByBoth() throws Exception
    {
        long total = 0;
        final List<String> blobs = new ArrayList<>();
        final CyclicBarrier together = new CyclicBarrier(2);
        for (int round = 0; round < ROUNDS; round++)
        {
            final byte[] data = bytes(1_000 + round, 100 + round);
            final String onA = a.createUpload(request(ALICE, data));
            final String onB = b.createUpload(request(BOB, data));
            final Future<BlobInfo> fromA = threads.submit(() ->
            {
                together.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                return a.append(onA, 0, ByteBuffer.wrap(data)).blob();
            });
            final Future<BlobInfo> fromB = threads.submit(() ->
            {
                together.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                return b.append(onB, 0, ByteBuffer.wrap(data)).blob();
            });
            final String hash = sha256(data);
            assertEquals(hash, fromA.get(TIMEOUT_SECONDS, TimeUnit.SECONDS).blobId());
            assertEquals(hash, fromB.get(TIMEOUT_SECONDS, TimeUnit.SECONDS).blobId());
            total += data.length;
            blobs.add(hash);

            assertEquals(Set.of(ALICE, BOB), a.stat(hash).orElseThrow().owners(), "round " + round);
            assertEquals(Set.of(ALICE, BOB), b.stat(hash).orElseThrow().owners(), "round " + round);
            assertEquals(total, a.usage(ALICE), "round " + round);
            assertEquals(total, b.usage(BOB), "round " + round);
            assertArrayEquals(data, read(b, hash, data.length));
        }
        assertEquals(usageRecord(blobs), server.client().getObjectAsBytes(r -> r.bucket(bucket)
            .key("usage/" + ALICE)).asUtf8String());
        assertEquals(usageRecord(blobs), server.client().getObjectAsBytes(r -> r.bucket(bucket)
            .key("usage/" + BOB)).asUtf8String());
        assertEquals(2 * ROUNDS + 2, server.keys(bucket).size());
        assertEquals(List.of(), server.multipartUploads(bucket));
    }

    @Test
    void touchesOnTwoStoresAtOnceKeepTheLatest() throws Exception
    {
        final byte[] data = bytes(2_000, 200);
        final String hash = a.append(a.createUpload(request(ALICE, data)), 0, ByteBuffer.wrap(data)).blob().blobId();
        final Instant base = clock.instant();
        final Random random = new Random(201);
        final int before = server.conditionalPuts();
        long latest = base.toEpochMilli();
        final CyclicBarrier together = new CyclicBarrier(2);
        for (int round = 0; round < ROUNDS; round++)
        {
            // Five times each, in no order: some before the record's time, which must not move it back.
            final long[] fromA = new long[5];
            final long[] fromB = new long[5];
            for (int i = 0; i < fromA.length; i++)
            {
                fromA[i] = base.toEpochMilli() + random.nextInt(1_000_000);
                fromB[i] = base.toEpochMilli() + random.nextInt(1_000_000);
                latest = Math.max(latest, Math.max(fromA[i], fromB[i]));
            }
            final Future<Boolean> onA = threads.submit(touches(a, hash, fromA, together));
            final Future<Boolean> onB = threads.submit(touches(b, hash, fromB, together));
            assertTrue(onA.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            assertTrue(onB.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));

            assertEquals(Long.toString(latest), record(hash).getProperty("lastReferenceAt"), "round " + round);
        }
        assertTrue(server.conditionalPuts() > before, "the touches went through the atomic If-Match");
        assertEquals(List.of(), a.unreferencedSince(Instant.ofEpochMilli(latest), 10));
        assertEquals(List.of(hash), b.unreferencedSince(Instant.ofEpochMilli(latest + 1), 10));
    }

    @Test
    void aTouchOnOneStoreKeepsABlobTheOthersCollectorListed()
    {
        final byte[] data = bytes(3_000, 300);
        final String hash = a.append(a.createUpload(request(ALICE, data)), 0, ByteBuffer.wrap(data)).blob().blobId();
        clock.advance(RETENTION.plus(GRACE).plusSeconds(1));
        final Instant cutoff = clock.instant().minus(RETENTION).minus(GRACE);

        // By hand: listed as unreferenced on A, referenced on B, then A's conditional deletion.
        assertEquals(List.of(hash), a.unreferencedSince(cutoff, 10));
        assertTrue(b.touch(hash, clock.instant()));
        assertFalse(a.deleteIfUnreferencedSince(hash, cutoff));
        assertTrue(a.stat(hash).isPresent());

        // The collector on A, with B's touch between its listing and its deletion.
        clock.advance(RETENTION.plus(GRACE).plusSeconds(1));
        final ForwardingMediaStore touchedMeanwhile = new ForwardingMediaStore(a)
        {
            @Override
            public List<String> unreferencedSince(final Instant before, final int limit)
            {
                final List<String> listed = store.unreferencedSince(before, limit);
                assertTrue(b.touch(hash, clock.instant()));
                return listed;
            }
        };
        assertEquals(0, new MediaCollector(touchedMeanwhile, clock, RETENTION, GRACE).runOnce());
        assertEquals(Set.of(ALICE), b.stat(hash).orElseThrow().owners());
        assertEquals(data.length, b.usage(ALICE));
        assertFalse(record(hash).containsKey("deleting"));

        // Unreferenced for long enough, it goes; a touch after that finds nothing.
        clock.advance(RETENTION.plus(GRACE).plusSeconds(1));
        assertEquals(1, new MediaCollector(a, clock, RETENTION, GRACE).runOnce());
        assertFalse(b.touch(hash, clock.instant()));
        assertTrue(b.stat(hash).isEmpty());
        assertEquals(0, b.usage(ALICE));
        assertEquals(List.of(), server.keys(bucket));
    }

    @Test
    void anUploadOnOneStoreDuringADeletionOnTheOtherEndsAsANewBlob() throws Exception
    {
        final byte[] data = bytes(4_000, 400);
        final String hash = a.append(a.createUpload(request(ALICE, data)), 0, ByteBuffer.wrap(data)).blob().blobId();
        b.append(b.createUpload(request(BOB, data)), 0, ByteBuffer.wrap(data));
        assertEquals(Set.of(ALICE, BOB), a.stat(hash).orElseThrow().owners());
        final String upload = b.createUpload(request(BOB, data));

        // A marks the blob and removes its bytes; before it goes on, B completes an upload of the same bytes: it
        // finishes the deletion and stores the blob anew, Bob its only owner.
        final AtomicReference<Future<BlobInfo>> fromB = new AtomicReference<>();
        server.afterNextDelete(bucket, "blobs/" + hash, () ->
        {
            fromB.set(threads.submit(() -> b.append(upload, 0, ByteBuffer.wrap(data)).blob()));
            try
            {
                fromB.get().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
            catch (final Exception e)
            {
                throw new AssertionError(e);
            }
        });
        assertTrue(a.deleteBlob(hash));

        assertEquals(Set.of(BOB), fromB.get().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).owners());
        // A's deletion went on to remove Bob's usage of the old blob, found the new record, and put it back.
        assertEquals(Set.of(BOB), a.stat(hash).orElseThrow().owners());
        assertEquals(0, a.usage(ALICE));
        assertEquals(data.length, a.usage(BOB));
        assertArrayEquals(data, read(a, hash, data.length));
        assertTrue(a.touch(hash, clock.instant()));
    }

    private Callable<Boolean> touches(final S3MediaStore store, final String hash, final long[] times,
        final CyclicBarrier together)
    {
        return () ->
        {
            together.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            boolean all = true;
            for (final long time : times)
            {
                all &= store.touch(hash, Instant.ofEpochMilli(time));
            }
            return all;
        };
    }

    private Properties record(final String hash)
    {
        final Properties properties = new Properties();
        try
        {
            properties.load(new StringReader(server.client().getObjectAsBytes(r -> r.bucket(bucket)
                .key("meta/" + hash)).asUtf8String()));
        }
        catch (final IOException e)
        {
            throw new AssertionError(e);
        }
        return properties;
    }

    private static String usageRecord(final List<String> blobs)
    {
        final StringBuilder text = new StringBuilder("xin-media-usage=1\n");
        blobs.stream().sorted().forEach(hash -> text.append(hash).append('=').append(
            1_000 + blobs.indexOf(hash)).append('\n'));
        return text.toString();
    }

    private S3StoreConfig config(final Path spool)
    {
        return new S3StoreConfig(server.endpoint(), S3ProxyServer.REGION, bucket, S3ProxyServer.ACCESS_KEY,
            S3ProxyServer.SECRET_KEY, true, spool, PART);
    }

    private UploadRequest request(final long owner, final byte[] data)
    {
        return new UploadRequest(owner, data.length, "image/jpeg", sha256(data), clock.instant().plusSeconds(3600));
    }

    private static byte[] read(final S3MediaStore store, final String hash, final int length) throws IOException
    {
        try (InputStream in = store.read(hash, ByteRange.whole(length)))
        {
            return in.readAllBytes();
        }
    }


}
