package io.xin.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class LocalMediaStoreTest extends LocalStoreTestBase
{
    @Test
    void uploadInOneChunkBecomesAContentAddressedBlob() throws IOException
    {
        final byte[] photo = bytes(10_000, 1);
        final String id = store.createUpload(request(ALICE, photo, "image/jpeg"));
        assertEquals(0, store.offset(id));

        final AppendResult result = store.append(id, 0, ByteBuffer.wrap(photo));

        assertTrue(result.completed());
        assertEquals(photo.length, result.offset());
        final String hash = sha256(photo);
        assertEquals(hash, result.blob().blobId());
        assertEquals(new BlobInfo(hash, photo.length, "image/jpeg", Set.of(ALICE), clock.instant()),
            store.stat(hash).orElseThrow());
        assertTrue(Files.isRegularFile(root.resolve("blobs").resolve(hash.substring(0, 2)).resolve(hash)));
        assertFalse(Files.exists(root.resolve("uploads").resolve(id)));
        assertTrue(store.upload(id).isEmpty());
        assertThrows(MediaException.class, () -> store.offset(id));
        try (InputStream in = store.read(hash, ByteRange.whole(photo.length)))
        {
            assertArrayEquals(photo, in.readAllBytes());
        }
    }

    @Test
    void resumesAfterADroppedConnectionOnAReopenedStore() throws IOException
    {
        final byte[] video = bytes(300_000, 2);
        final String id = store.createUpload(request(ALICE, video, "video/mp4"));

        // The connection drops after 100,000 bytes of the body: the stream fails mid-read.
        final InputStream cut = new DroppingStream(Arrays.copyOfRange(video, 0, 100_000));
        assertThrows(IOException.class, () -> store.append(id, 0, cut));

        // The process restarts: a new store on the same directory.
        store.close();
        store = LocalMediaStore.open(root, MediaLimits.DEFAULTS, clock);
        final long offset = store.offset(id);
        assertEquals(100_000, offset);
        assertEquals(video.length, store.upload(id).orElseThrow().size());

        final AppendResult result = store.append(id, offset,
            new ByteArrayInputStream(Arrays.copyOfRange(video, (int)offset, video.length)));

        assertTrue(result.completed());
        final String hash = sha256(video);
        assertEquals(hash, result.blob().blobId());
        try (InputStream in = store.read(hash, ByteRange.whole(video.length)))
        {
            assertArrayEquals(video, in.readAllBytes());
        }
    }

    @Test
    void appendAtAWrongOffsetIsRefusedAndWritesNothing()
    {
        final byte[] voice = bytes(1_000, 3);
        final String id = store.createUpload(request(ALICE, voice, "audio/ogg"));
        store.append(id, 0, ByteBuffer.wrap(voice, 0, 400));

        final MediaException behind = assertThrows(MediaException.class,
            () -> store.append(id, 0, ByteBuffer.wrap(voice, 0, 400)));
        assertEquals(MediaException.Reason.WRONG_OFFSET, behind.reason());
        final MediaException ahead = assertThrows(MediaException.class,
            () -> store.append(id, 500, ByteBuffer.wrap(voice, 500, 100)));
        assertEquals(MediaException.Reason.WRONG_OFFSET, ahead.reason());
        assertEquals(400, store.offset(id));

        assertTrue(store.append(id, 400, ByteBuffer.wrap(voice, 400, 600)).completed());
    }

    @Test
    void chunkPastTheDeclaredSizeIsRefused() throws IOException
    {
        final byte[] declared = bytes(1_000, 4);
        final String id = store.createUpload(request(ALICE, declared, "image/png"));
        store.append(id, 0, ByteBuffer.wrap(declared, 0, 600));

        final MediaException buffer = assertThrows(MediaException.class,
            () -> store.append(id, 600, ByteBuffer.wrap(bytes(401, 4))));
        assertEquals(MediaException.Reason.TOO_LARGE, buffer.reason());
        assertEquals(600, store.offset(id));

        final MediaException stream = assertThrows(MediaException.class,
            () -> store.append(id, 600, new ByteArrayInputStream(bytes(100_000, 4))));
        assertEquals(MediaException.Reason.TOO_LARGE, stream.reason());
        assertEquals(600, store.offset(id), "the refused stream's bytes are taken back");

        final AppendResult done = store.append(id, 600,
            new ByteArrayInputStream(Arrays.copyOfRange(declared, 600, 1_000)));
        assertTrue(done.completed());
    }

    @Test
    void wrongHashDiscardsTheUpload()
    {
        final byte[] claimed = bytes(2_000, 5);
        final byte[] sent = bytes(2_000, 6);
        final String id = store.createUpload(request(ALICE, claimed, "image/jpeg"));

        final MediaException e = assertThrows(MediaException.class, () -> store.append(id, 0, ByteBuffer.wrap(sent)));

        assertEquals(MediaException.Reason.HASH_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains(sha256(claimed)) && e.getMessage().contains(sha256(sent)), e.getMessage());
        assertTrue(store.upload(id).isEmpty());
        assertFalse(Files.exists(root.resolve("uploads").resolve(id)));
        assertTrue(store.stat(sha256(sent)).isEmpty());
        assertTrue(store.stat(sha256(claimed)).isEmpty());
    }

    @Test
    void oversizeUploadIsRefusedPerContentTypeFamily()
    {
        final MediaLimits small = new MediaLimits(100, 200, 300, 400, 8, Duration.ofHours(1));
        store.close();
        store = LocalMediaStore.open(root, small, clock);
        final String hash = sha256(new byte[1]);
        final Instant expiry = clock.instant().plusSeconds(60);

        for (final String[] typeAndLimit : new String[][]{
            {"image/jpeg", "100"}, {"video/mp4", "200"}, {"audio/ogg", "300"}, {"application/pdf", "400"}})
        {
            final long limit = Long.parseLong(typeAndLimit[1]);
            final MediaException e = assertThrows(MediaException.class,
                () -> store.createUpload(new UploadRequest(ALICE, limit + 1, typeAndLimit[0], hash, expiry)));
            assertEquals(MediaException.Reason.TOO_LARGE, e.reason(), typeAndLimit[0]);
            final String id = store.createUpload(new UploadRequest(ALICE, limit, typeAndLimit[0], hash, expiry));
            assertTrue(store.deleteUpload(id));
        }
    }

    @Test
    void tooManyUploadsPerOwnerAreRefusedUntilOneEnds()
    {
        final MediaLimits two = new MediaLimits(100, 100, 100, 100, 2, Duration.ofHours(1));
        store.close();
        store = LocalMediaStore.open(root, two, clock);
        final byte[] data = bytes(10, 7);
        final String first = store.createUpload(request(ALICE, data, "image/gif"));
        store.createUpload(request(ALICE, data, "image/gif"));

        final MediaException e = assertThrows(MediaException.class,
            () -> store.createUpload(request(ALICE, data, "image/gif")));
        assertEquals(MediaException.Reason.TOO_MANY_UPLOADS, e.reason());
        store.createUpload(request(BOB, data, "image/gif"));

        store.append(first, 0, ByteBuffer.wrap(data));
        store.createUpload(request(ALICE, data, "image/gif"));
    }

    @Test
    void expiryOutsideItsBoundsIsRefused()
    {
        final byte[] data = bytes(10, 8);
        final String hash = sha256(data);
        final Instant now = clock.instant();
        for (final Instant bad : new Instant[]{
            null, now, now.minusSeconds(1), now.plus(MediaLimits.DEFAULT_MAX_UPLOAD_LIFETIME).plusSeconds(1)})
        {
            final MediaException e = assertThrows(MediaException.class,
                () -> store.createUpload(new UploadRequest(ALICE, 10, "image/png", hash, bad)));
            assertEquals(MediaException.Reason.INVALID_ARGUMENT, e.reason(), String.valueOf(bad));
        }
    }

    @Test
    void malformedRequestsAreRefused()
    {
        final String hash = sha256(new byte[1]);
        final Instant expiry = clock.instant().plusSeconds(60);
        final List<UploadRequest> bad = List.of(
            new UploadRequest(ALICE, 0, "image/png", hash, expiry),
            new UploadRequest(ALICE, -1, "image/png", hash, expiry),
            new UploadRequest(ALICE, 1, "image", hash, expiry),
            new UploadRequest(ALICE, 1, "image/png; charset=x", hash, expiry),
            new UploadRequest(ALICE, 1, "../../etc/passwd", hash, expiry),
            new UploadRequest(ALICE, 1, "image/png", hash.toUpperCase(), expiry),
            new UploadRequest(ALICE, 1, "image/png", hash.substring(1), expiry),
            new UploadRequest(ALICE, 1, "image/png", null, expiry));
        for (final UploadRequest request : bad)
        {
            final MediaException e = assertThrows(MediaException.class, () -> store.createUpload(request));
            assertEquals(MediaException.Reason.INVALID_ARGUMENT, e.reason(), request.toString());
        }
    }

    @Test
    void expiredUploadIsRefusedListedForCleanupAndRemoved()
    {
        final byte[] data = bytes(1_000, 9);
        final String stale = store.createUpload(new UploadRequest(
            ALICE, data.length, "image/jpeg", sha256(data), clock.instant().plus(Duration.ofMinutes(10))));
        store.append(stale, 0, ByteBuffer.wrap(data, 0, 500));
        final String fresh = store.createUpload(new UploadRequest(
            BOB, data.length, "image/jpeg", sha256(data), clock.instant().plus(Duration.ofHours(2))));

        assertEquals(List.of(), store.expiredUploads(clock.instant()));
        clock.advance(Duration.ofMinutes(10));

        final MediaException e = assertThrows(MediaException.class,
            () -> store.append(stale, 500, ByteBuffer.wrap(data, 500, 500)));
        assertEquals(MediaException.Reason.EXPIRED, e.reason());
        assertEquals(List.of(stale), store.expiredUploads(clock.instant()));

        for (final String id : store.expiredUploads(clock.instant()))
        {
            assertTrue(store.deleteUpload(id));
        }
        assertFalse(Files.exists(root.resolve("uploads").resolve(stale)));
        assertTrue(store.upload(stale).isEmpty());
        assertFalse(store.deleteUpload(stale));
        assertEquals(List.of(), store.expiredUploads(clock.instant()));
        assertTrue(store.upload(fresh).isPresent());
    }

    @Test
    void expiredUploadIsStillListedAfterReopen()
    {
        final byte[] data = bytes(100, 10);
        final String id = store.createUpload(new UploadRequest(
            ALICE, data.length, "audio/aac", sha256(data), clock.instant().plusSeconds(30)));
        store.close();
        clock.advance(Duration.ofSeconds(30));
        store = LocalMediaStore.open(root, MediaLimits.DEFAULTS, clock);

        assertEquals(List.of(id), store.expiredUploads(clock.instant()));
    }

    @Test
    void pathTraversalAndMalformedIdsAreRefusedBeforeTouchingFiles() throws IOException
    {
        Files.writeString(root.resolve("secret"), "do not read");
        final List<String> bad = new ArrayList<>(List.of(
            "../secret",
            "../../../../etc/passwd",
            "/etc/passwd",
            root.resolve("secret").toString(),
            "AAAAAAAAAAAAAAAAAAAA/..",
            "AAAAAAAAAAAAAAAAAAAAA\0",
            "AAAAAAAAAAAAAAAAAAAAA.",
            "",
            "A".repeat(23),
            "a".repeat(10_000),
            "..\\..\\secret"));
        final String upperHash = "A".repeat(64);
        for (final String id : bad)
        {
            assertInvalid(() -> store.offset(id), id);
            assertInvalid(() -> store.upload(id), id);
            assertInvalid(() -> store.append(id, 0, ByteBuffer.allocate(1)), id);
            assertInvalid(() -> store.deleteUpload(id), id);
            assertInvalid(() -> store.stat(id), id);
            assertInvalid(() -> store.read(id, new ByteRange(0, 0)), id);
            assertInvalid(() -> store.deleteBlob(id), id);
        }
        final List<String> badHashes =
            List.of(upperHash, "../" + "a".repeat(61), "a".repeat(63) + "\0", "/" + "a".repeat(63));
        for (final String hash : badHashes)
        {
            assertInvalid(() -> store.stat(hash), hash);
            assertInvalid(() -> store.read(hash, new ByteRange(0, 0)), hash);
            assertInvalid(() -> store.deleteBlob(hash), hash);
        }
        assertInvalid(() -> store.offset(null), "null");
        assertTrue(Files.exists(root.resolve("secret")));
    }

    @Test
    void rangeReadsReturnExactlyTheRangeAndRefuseBadOnes() throws IOException
    {
        final byte[] data = bytes(5_000, 11);
        final String id = store.createUpload(request(ALICE, data, "video/webm"));
        final String hash = store.append(id, 0, ByteBuffer.wrap(data)).blob().blobId();

        try (InputStream in = store.read(hash, new ByteRange(1_000, 1_999)))
        {
            assertArrayEquals(Arrays.copyOfRange(data, 1_000, 2_000), in.readAllBytes());
        }
        try (InputStream in = store.read(hash, new ByteRange(4_999, 4_999)))
        {
            assertArrayEquals(new byte[]{data[4_999]}, in.readAllBytes());
        }
        try (InputStream in = store.read(hash, ByteRange.ofLength(10, 5)))
        {
            assertArrayEquals(Arrays.copyOfRange(data, 10, 15), in.readAllBytes());
        }

        assertRange(() -> store.read(hash, new ByteRange(0, 5_000)));
        assertRange(() -> store.read(hash, new ByteRange(5_000, 5_000)));
        assertRange(() -> new ByteRange(-1, 10));
        assertRange(() -> new ByteRange(10, 9));
        assertRange(() -> ByteRange.ofLength(0, 0));
        assertRange(() -> ByteRange.ofLength(Long.MAX_VALUE, 2));
        assertRange(() -> store.read(hash, null));

        final MediaException missing = assertThrows(MediaException.class,
            () -> store.read(sha256(new byte[]{1}), new ByteRange(0, 0)));
        assertEquals(MediaException.Reason.NOT_FOUND, missing.reason());
    }

    @Test
    void deletedBlobIsGone()
    {
        final byte[] data = bytes(100, 12);
        final String id = store.createUpload(request(ALICE, data, "image/png"));
        final String hash = store.append(id, 0, ByteBuffer.wrap(data)).blob().blobId();

        assertTrue(store.deleteBlob(hash));
        assertTrue(store.stat(hash).isEmpty());
        assertFalse(store.deleteBlob(hash));
        assertEquals(MediaException.Reason.NOT_FOUND,
            assertThrows(MediaException.class, () -> store.read(hash, new ByteRange(0, 0))).reason());
    }

    @Test
    void sameContentFromTwoOwnersDedupesToOneBlobWithBothOwners() throws Exception
    {
        final byte[] photo = bytes(200_000, 13);
        final int uploaders = 6;
        final List<String> ids = new ArrayList<>();
        for (int i = 0; i < uploaders; i++)
        {
            ids.add(store.createUpload(request(ALICE + i, photo, "image/jpeg")));
        }
        final ExecutorService pool = Executors.newFixedThreadPool(uploaders);
        try
        {
            final CountDownLatch start = new CountDownLatch(1);
            final List<Future<AppendResult>> results = new ArrayList<>();
            for (final String id : ids)
            {
                final Callable<AppendResult> upload = () ->
                {
                    start.await();
                    store.append(id, 0, ByteBuffer.wrap(photo, 0, 100_000));
                    return store.append(id, 100_000, ByteBuffer.wrap(photo, 100_000, 100_000));
                };
                results.add(pool.submit(upload));
            }
            start.countDown();
            final Set<String> blobIds = new HashSet<>();
            for (final Future<AppendResult> result : results)
            {
                blobIds.add(result.get(30, TimeUnit.SECONDS).blob().blobId());
            }
            assertEquals(Set.of(sha256(photo)), blobIds);
        }
        finally
        {
            pool.shutdownNow();
        }

        final BlobInfo blob = store.stat(sha256(photo)).orElseThrow();
        final Set<Long> owners = new HashSet<>();
        for (int i = 0; i < uploaders; i++)
        {
            owners.add(ALICE + i);
        }
        assertEquals(owners, blob.owners());
        try (Stream<Path> files = Files.walk(root.resolve("blobs")))
        {
            assertEquals(1, files.filter(p -> p.getFileName().toString().equals(sha256(photo))).count());
        }
        try (Stream<Path> left = Files.list(root.resolve("uploads")))
        {
            assertEquals(0, left.count());
        }
        try (InputStream in = store.read(blob.blobId(), ByteRange.whole(blob.size())))
        {
            assertArrayEquals(photo, in.readAllBytes());
        }
    }

    @Test
    void uploadIdsAreRandomAndUrlSafe()
    {
        final Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1_000; i++)
        {
            final String id = MediaIds.newUploadId();
            assertTrue(id.matches("[A-Za-z0-9_-]{22}"), id);
            assertTrue(ids.add(id));
        }
    }

    @Test
    void openRemovesTemporaryLeftoversAndCompletesAFullyReceivedUpload() throws IOException
    {
        final byte[] data = bytes(3_000, 14);
        final String id = store.createUpload(request(ALICE, data, "image/jpeg"));
        store.append(id, 0, ByteBuffer.wrap(data, 0, 1_000));
        store.close();

        // A crash after the last bytes reached the file but before completion, and half-made temporaries.
        Files.write(root.resolve("uploads").resolve(id).resolve("data"), Arrays.copyOfRange(data, 1_000, 3_000),
            java.nio.file.StandardOpenOption.APPEND);
        Files.createDirectories(root.resolve("uploads").resolve("AAAAAAAAAAAAAAAAAAAAAA.tmp"));
        Files.createDirectories(root.resolve("blobs").resolve("ab"));
        final Path halfRecord = root.resolve("blobs").resolve("ab").resolve("ab" + "0".repeat(62) + ".meta.tmp");
        Files.writeString(halfRecord, "size=1");

        store = LocalMediaStore.open(root, MediaLimits.DEFAULTS, clock);

        assertTrue(store.upload(id).isEmpty());
        assertEquals(Set.of(ALICE), store.stat(sha256(data)).orElseThrow().owners());
        assertFalse(Files.exists(halfRecord));
        try (Stream<Path> left = Files.list(root.resolve("uploads")))
        {
            assertEquals(0, left.count());
        }
    }

    @Test
    void secondOpenOfTheSameDirectoryIsRefused()
    {
        final MediaException e = assertThrows(MediaException.class,
            () -> LocalMediaStore.open(root, MediaLimits.DEFAULTS, clock));
        assertEquals(MediaException.Reason.STORAGE, e.reason());
    }

    @Test
    void limitsAreValidated()
    {
        final Duration hour = Duration.ofHours(1);
        assertThrows(IllegalArgumentException.class, () -> new MediaLimits(0, 1, 1, 1, 1, hour));
        assertThrows(IllegalArgumentException.class, () -> new MediaLimits(1, 0, 1, 1, 1, hour));
        assertThrows(IllegalArgumentException.class, () -> new MediaLimits(1, 1, -1, 1, 1, hour));
        assertThrows(IllegalArgumentException.class, () -> new MediaLimits(1, 1, 1, 0, 1, hour));
        assertThrows(IllegalArgumentException.class, () -> new MediaLimits(1, 1, 1, 1, 0, hour));
        assertThrows(IllegalArgumentException.class, () -> new MediaLimits(1, 1, 1, 1, 1, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new MediaLimits(1, 1, 1, 1, 1, hour.negated()));
        assertThrows(IllegalArgumentException.class, () -> new MediaLimits(1, 1, 1, 1, 1, null));
        assertEquals(7, new MediaLimits(5, 6, 7, 8, 1, hour).maxBytesFor("audio/mpeg"));
        assertEquals(8, new MediaLimits(5, 6, 7, 8, 1, hour).maxBytesFor("application/imagex"));
    }

    private void assertInvalid(final org.junit.jupiter.api.function.Executable call, final String what)
    {
        final MediaException e = assertThrows(MediaException.class, call, what);
        assertEquals(MediaException.Reason.INVALID_ARGUMENT, e.reason(), what);
    }

    private static void assertRange(final org.junit.jupiter.api.function.Executable call)
    {
        assertEquals(MediaException.Reason.INVALID_RANGE, assertThrows(MediaException.class, call).reason());
    }
}
