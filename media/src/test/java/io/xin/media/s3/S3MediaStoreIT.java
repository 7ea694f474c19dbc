package io.xin.media.s3;

import static io.xin.media.TestBytes.bytes;
import static io.xin.media.TestBytes.sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

import io.xin.media.AppendResult;
import io.xin.media.BlobInfo;
import io.xin.media.ByteRange;
import io.xin.media.DroppingStream;
import io.xin.media.MediaException;
import io.xin.media.MediaIds;
import io.xin.media.MediaLimits;
import io.xin.media.UploadRequest;

/**
 * The object storage store against a real S3 API: S3Proxy on the loopback address, over files in a temporary
 * directory. Parts are 5 MiB, S3's least, so a few uploads of 6 to 12 MiB cross part boundaries.
 */
class S3MediaStoreIT extends S3StoreTestBase
{
    @Test
    void uploadInSeveralPartsIsReadBackWholeAndByRanges() throws IOException
    {
        final byte[] video = bytes(2 * PART + MIB + 123, 1);
        final String id = store.createUpload(request(ALICE, video, "video/mp4"));
        assertEquals(0, store.offset(id));

        // Chunks that do not line up with the parts: 1 MiB + 7 bytes each.
        final int chunk = MIB + 7;
        AppendResult result = null;
        for (int at = 0; at < video.length; at += chunk)
        {
            final int n = Math.min(chunk, video.length - at);
            result = store.append(id, at, ByteBuffer.wrap(video, at, n));
            assertEquals(at + n, result.offset());
            if (at + n < video.length)
            {
                assertFalse(result.completed());
                assertEquals(at + n, store.offset(id));
                assertEquals(at + n, store.upload(id).orElseThrow().offset());
            }
            if (at + n > PART && at + n < video.length)
            {
                assertEquals(List.of("blobs/" + sha256(video)), server.multipartUploads(bucket),
                    "the first full part went to a multipart upload");
            }
        }

        assertTrue(result.completed());
        final String hash = sha256(video);
        assertEquals(new BlobInfo(hash, video.length, "video/mp4", Set.of(ALICE), clock.instant()), result.blob());
        assertEquals(result.blob(), store.stat(hash).orElseThrow());
        assertEquals(List.of("blobs/" + hash, "meta/" + hash, "usage/" + ALICE), server.keys(bucket));
        assertEquals(List.of(), server.multipartUploads(bucket));
        assertEquals("video/mp4",
            server.client().headObject(b -> b.bucket(bucket).key("blobs/" + hash)).contentType());
        assertTrue(store.upload(id).isEmpty());
        assertThrows(MediaException.class, () -> store.offset(id));
        assertSpoolEmpty();

        assertArrayEquals(video, read(hash, ByteRange.whole(video.length)));
        assertArrayEquals(Arrays.copyOfRange(video, 0, 10), read(hash, new ByteRange(0, 9)));
        // Across the boundary of the first two parts.
        assertArrayEquals(Arrays.copyOfRange(video, PART - 5, PART + 5), read(hash, new ByteRange(PART - 5, PART + 4)));
        assertArrayEquals(Arrays.copyOfRange(video, video.length - 1, video.length),
            read(hash, new ByteRange(video.length - 1, video.length - 1)));
        assertEquals(MediaException.Reason.INVALID_RANGE, assertThrows(MediaException.class,
            () -> store.read(hash, new ByteRange(video.length - 10, video.length))).reason());
        assertEquals(MediaException.Reason.INVALID_RANGE, assertThrows(MediaException.class,
            () -> store.read(hash, new ByteRange(video.length, video.length + 10))).reason());
        // A reader that stops early: the rest of the range is not fetched, and the store goes on serving.
        try (InputStream in = store.read(hash, ByteRange.whole(video.length)))
        {
            assertArrayEquals(Arrays.copyOf(video, 10), in.readNBytes(10));
        }
        assertArrayEquals(Arrays.copyOfRange(video, 7, 9), read(hash, new ByteRange(7, 8)));
        final String unknown = sha256(bytes(10, 99));
        assertEquals(MediaException.Reason.NOT_FOUND,
            assertThrows(MediaException.class, () -> store.read(unknown, new ByteRange(0, 0))).reason());
        assertTrue(store.stat(unknown).isEmpty());
    }

    @Test
    void uploadOfOnePartOrLessIsOnePut() throws IOException
    {
        final byte[] voice = bytes(200_000, 2);
        final String id = store.createUpload(request(ALICE, voice, "audio/ogg"));
        store.append(id, 0, ByteBuffer.wrap(voice, 0, 50_000));
        assertEquals(List.of(), server.multipartUploads(bucket));

        final AppendResult result = store.append(id, 50_000, new ByteArrayInputStream(voice, 50_000, 150_000));

        assertTrue(result.completed());
        assertArrayEquals(voice, read(sha256(voice), ByteRange.whole(voice.length)));
        assertEquals(List.of(), server.multipartUploads(bucket));
    }

    @Test
    void resumesAfterAStreamFailsMidPartAndAfterReopening() throws IOException
    {
        final byte[] video = bytes(2 * PART + 4321, 3);
        final String id = store.createUpload(request(ALICE, video, "video/mp4"));

        // The connection drops 100 bytes into the second part: the first part was sent, the rest is spooled.
        final int cut = PART + 100;
        assertThrows(IOException.class, () -> store.append(id, 0, new DroppingStream(Arrays.copyOf(video, cut))));
        assertEquals(cut, store.offset(id));

        // The process restarts: a new store on the same spool directory and bucket.
        store.close();
        store = new S3MediaStore(config(), MediaLimits.DEFAULTS, clock);
        assertEquals(cut, store.offset(id));
        assertEquals(video.length, store.upload(id).orElseThrow().size());
        assertEquals(MediaException.Reason.WRONG_OFFSET, assertThrows(MediaException.class,
            () -> store.append(id, 0, ByteBuffer.wrap(video))).reason());

        // Drops again, mid-way through the second part, then resumes to the end.
        final int cut2 = PART + 2 * MIB;
        assertThrows(IOException.class,
            () -> store.append(id, cut, new DroppingStream(Arrays.copyOfRange(video, cut, cut2))));
        assertEquals(cut2, store.offset(id));
        final AppendResult result = store.append(id, cut2,
            new ByteArrayInputStream(Arrays.copyOfRange(video, cut2, video.length)));

        assertTrue(result.completed());
        final String hash = sha256(video);
        assertEquals(hash, result.blob().blobId());
        assertArrayEquals(video, read(hash, ByteRange.whole(video.length)));
        assertEquals(List.of(), server.multipartUploads(bucket));
        assertSpoolEmpty();
    }

    @Test
    void reopeningCompletesAnUploadWhoseBytesAllArrivedBeforeACrash() throws IOException
    {
        final byte[] video = bytes(PART + 500, 20);
        final String id = store.createUpload(request(ALICE, video, "video/mp4"));
        store.append(id, 0, ByteBuffer.wrap(video, 0, video.length - 1));
        store.close();
        // The last byte reached the spool; the process died before completing.
        final Path spool = spoolDir.resolve(id).resolve("spool-" + PART);
        Files.write(spool, Arrays.copyOfRange(video, video.length - 1, video.length), StandardOpenOption.APPEND);

        store = new S3MediaStore(config(), MediaLimits.DEFAULTS, clock);

        final String hash = sha256(video);
        assertTrue(store.upload(id).isEmpty());
        assertEquals(Set.of(ALICE), store.stat(hash).orElseThrow().owners());
        assertArrayEquals(video, read(hash, ByteRange.whole(video.length)));
        assertEquals(video.length, store.usage(ALICE));
        assertEquals(List.of(), server.multipartUploads(bucket));
        assertSpoolEmpty();
    }

    @Test
    void uploadWhosePartsLeftTheBucketIsDiscarded() throws IOException
    {
        final byte[] video = bytes(PART + 500, 21);
        final String id = store.createUpload(request(ALICE, video, "video/mp4"));
        store.append(id, 0, ByteBuffer.wrap(video, 0, PART + 1));
        // A lifecycle rule, or a hand, aborts the multipart upload.
        final String uploadId = server.client().listMultipartUploads(b -> b.bucket(bucket)).uploads().get(0)
            .uploadId();
        server.client().abortMultipartUpload(b -> b.bucket(bucket).key("blobs/" + sha256(video)).uploadId(uploadId));

        final MediaException e = assertThrows(MediaException.class,
            () -> store.append(id, PART + 1, ByteBuffer.wrap(video, PART + 1, video.length - PART - 1)));

        assertEquals(MediaException.Reason.NOT_FOUND, e.reason());
        assertTrue(store.upload(id).isEmpty());
        assertEquals(List.of(), server.keys(bucket));
        assertEquals(0, store.usage(ALICE));
        assertSpoolEmpty();
    }

    @Test
    void wrongHashIsRefusedAndLeavesNothing() throws IOException
    {
        final byte[] photo = bytes(PART + MIB, 4);
        final UploadRequest lie = new UploadRequest(ALICE, photo.length, "image/jpeg", sha256(bytes(10, 5)),
            clock.instant().plusSeconds(3600));
        final String id = store.createUpload(lie);
        store.append(id, 0, ByteBuffer.wrap(photo, 0, PART + 10));
        assertEquals(1, server.multipartUploads(bucket).size());

        final MediaException e = assertThrows(MediaException.class,
            () -> store.append(id, PART + 10, ByteBuffer.wrap(photo, PART + 10, photo.length - PART - 10)));

        assertEquals(MediaException.Reason.HASH_MISMATCH, e.reason());
        assertTrue(store.upload(id).isEmpty());
        assertEquals(List.of(), server.keys(bucket));
        assertEquals(List.of(), server.multipartUploads(bucket));
        assertEquals(0, store.usage(ALICE));
        assertSpoolEmpty();
    }

    @Test
    void oversizeIsRefused() throws IOException
    {
        final MediaLimits small = new MediaLimits(1_000, 20 * MIB, 1_000, 1_000, 8, Duration.ofHours(24));
        store.close();
        store = new S3MediaStore(config(), small, clock);

        final MediaException tooBig = assertThrows(MediaException.class,
            () -> store.createUpload(request(ALICE, bytes(1_001, 6), "image/png")));
        assertEquals(MediaException.Reason.TOO_LARGE, tooBig.reason());

        // A chunk past the declared size is refused whole.
        final byte[] video = bytes(PART + MIB, 7);
        final String id = store.createUpload(request(ALICE, video, "video/mp4"));
        final byte[] longer = Arrays.copyOf(video, video.length + 1);
        assertEquals(MediaException.Reason.TOO_LARGE, assertThrows(MediaException.class,
            () -> store.append(id, 0, ByteBuffer.wrap(longer))).reason());
        assertEquals(0, store.offset(id));

        // A body that runs past it is taken back, though it filled and sent a part on the way.
        assertEquals(MediaException.Reason.TOO_LARGE, assertThrows(MediaException.class,
            () -> store.append(id, 0, new ByteArrayInputStream(longer))).reason());
        assertEquals(0, store.offset(id));

        final AppendResult result = store.append(id, 0, new ByteArrayInputStream(video));
        assertTrue(result.completed());
        assertArrayEquals(video, read(sha256(video), ByteRange.whole(video.length)));
    }

    @Test
    void sameBytesFromTwoOwnersAreOneBlobOwnedByBoth() throws IOException
    {
        final byte[] video = bytes(PART + 1000, 8);
        final String hash = sha256(video);
        final String first = store.createUpload(request(ALICE, video, "video/mp4"));
        final String second = store.createUpload(request(BOB, video, "video/quicktime"));
        store.append(second, 0, ByteBuffer.wrap(video, 0, PART + 1));
        assertEquals(List.of("blobs/" + hash), server.multipartUploads(bucket));
        final BlobInfo alices = store.append(first, 0, ByteBuffer.wrap(video)).blob();
        clock.advance(Duration.ofMinutes(1));

        final BlobInfo both = store.append(second, PART + 1, ByteBuffer.wrap(video, PART + 1, 999)).blob();

        assertEquals(Set.of(ALICE, BOB), both.owners());
        assertEquals("video/mp4", both.contentType());
        assertEquals(alices.createdAt(), both.createdAt());
        assertEquals(both, store.stat(hash).orElseThrow());
        assertEquals(List.of("blobs/" + hash, "meta/" + hash, "usage/" + ALICE, "usage/" + BOB), server.keys(bucket));
        assertEquals(List.of(), server.multipartUploads(bucket), "the duplicate's parts were dropped");
        assertEquals(video.length, store.usage(ALICE));
        assertEquals(video.length, store.usage(BOB));
        assertArrayEquals(video, read(hash, ByteRange.whole(video.length)));
    }

    @Test
    void usageCountsOwnedBlobsAndUploadsInProgress() throws IOException
    {
        assertEquals(0, store.usage(ALICE));
        final byte[] photo = bytes(30_000, 9);
        final String done = store.createUpload(request(ALICE, photo, "image/jpeg"));
        store.append(done, 0, ByteBuffer.wrap(photo));
        final byte[] video = bytes(70_000, 10);
        final String inProgress = store.createUpload(request(ALICE, video, "video/mp4"));
        store.append(inProgress, 0, ByteBuffer.wrap(video, 0, 100));

        assertEquals(100_000, store.usage(ALICE));
        assertEquals(0, store.usage(BOB));

        // The record outlives the store: a reopened one reads the same.
        store.close();
        store = new S3MediaStore(config(), MediaLimits.DEFAULTS, clock);
        assertEquals(100_000, store.usage(ALICE));

        assertTrue(store.deleteUpload(inProgress));
        assertFalse(store.deleteUpload(inProgress));
        assertEquals(30_000, store.usage(ALICE));

        // An expired upload no longer counts.
        final String expiring = store.createUpload(request(ALICE, video, "video/mp4"));
        clock.advance(Duration.ofHours(2));
        assertEquals(30_000, store.usage(ALICE));
        assertEquals(List.of(expiring), store.expiredUploads(clock.instant()));
        assertEquals(MediaException.Reason.EXPIRED, assertThrows(MediaException.class,
            () -> store.append(expiring, 0, ByteBuffer.wrap(video))).reason());
    }

    @Test
    void touchMovesTheLastReferenceThatUnreferencedSinceReads() throws IOException
    {
        final Instant t0 = clock.instant();
        final String early = store(ALICE, bytes(1_000, 11));
        clock.advance(Duration.ofHours(1));
        final String late = store(ALICE, bytes(1_000, 12));

        assertTrue(store.touch(early, t0.plus(Duration.ofHours(2))));
        // An older reference does not move it back.
        assertTrue(store.touch(early, t0));
        assertFalse(store.touch(sha256(bytes(1_000, 13)), t0));

        assertEquals(List.of(late), store.unreferencedSince(t0.plus(Duration.ofMinutes(90)), 10));
        assertEquals(List.of(), store.unreferencedSince(t0.plus(Duration.ofMinutes(30)), 10));
        final List<String> both = store.unreferencedSince(t0.plus(Duration.ofHours(3)), 10);
        assertEquals(Stream.of(early, late).sorted().toList(), both);
        assertEquals(both.subList(0, 1), store.unreferencedSince(t0.plus(Duration.ofHours(3)), 1));
        assertEquals(List.of(), store.unreferencedSince(t0.plus(Duration.ofHours(3)), 0));
    }

    @Test
    void deleteBlobRemovesBytesRecordAndUsage() throws IOException
    {
        final byte[] photo = bytes(5_000, 14);
        final String hash = store(ALICE, photo);
        final String other = store(BOB, bytes(6_000, 15));

        assertTrue(store.deleteBlob(hash));

        assertTrue(store.stat(hash).isEmpty());
        assertEquals(MediaException.Reason.NOT_FOUND,
            assertThrows(MediaException.class, () -> store.read(hash, new ByteRange(0, 0))).reason());
        assertEquals(0, store.usage(ALICE));
        assertFalse(store.touch(hash, clock.instant()));
        assertFalse(store.deleteBlob(hash));
        assertEquals(List.of("blobs/" + other, "meta/" + other, "usage/" + BOB), server.keys(bucket));
        assertEquals(6_000, store.usage(BOB));
    }

    @Test
    void deletionInterruptedAfterMarkingIsFinishedByTheCollectorOrANewUpload() throws IOException
    {
        final byte[] photo = bytes(5_000, 16);
        final String hash = store(ALICE, photo);
        // What a crash leaves after deleteBlob marked the record: the mark, the bytes and the usage.
        final String record = server.client().getObjectAsBytes(b -> b.bucket(bucket).key("meta/" + hash))
            .asUtf8String();
        server.client().putObject(b -> b.bucket(bucket).key("meta/" + hash),
            RequestBody.fromString(record + "deleting=true\n"));

        assertTrue(store.stat(hash).isEmpty());
        assertFalse(store.touch(hash, clock.instant()));
        // Listed whatever the time, so the collector deletes it again.
        assertEquals(List.of(hash), store.unreferencedSince(Instant.EPOCH, 10));

        // Bob uploads the same bytes: the deletion is finished, and the blob is his alone.
        final BlobInfo blob = store.append(store.createUpload(request(BOB, photo, "image/jpeg")), 0,
            ByteBuffer.wrap(photo)).blob();
        assertEquals(Set.of(BOB), blob.owners());
        assertEquals(0, store.usage(ALICE));
        assertEquals(photo.length, store.usage(BOB));
        assertArrayEquals(photo, read(hash, ByteRange.whole(photo.length)));

        // And a mark the collector finds is finished by deleting it again.
        server.client().putObject(b -> b.bucket(bucket).key("meta/" + hash),
            RequestBody.fromString(readRecord(hash) + "deleting=true\n"));
        for (final String id : store.unreferencedSince(clock.instant(), 10))
        {
            assertFalse(store.deleteBlob(id));
        }
        assertEquals(List.of(), server.keys(bucket));
    }

    @Test
    void theServerRefusesWritesAndDeletesOnAStaleETag()
    {
        final String key = "meta/" + sha256(bytes(10, 23));
        final String first = server.client().putObject(b -> b.bucket(bucket).key(key).ifNoneMatch("*"),
            RequestBody.fromString("one")).eTag();
        final String second = server.client().putObject(b -> b.bucket(bucket).key(key).ifMatch(first),
            RequestBody.fromString("two")).eTag();

        assertEquals(412, assertThrows(S3Exception.class, () -> server.client().putObject(
            b -> b.bucket(bucket).key(key).ifMatch(first), RequestBody.fromString("three"))).statusCode());
        assertEquals(412, assertThrows(S3Exception.class, () -> server.client().putObject(
            b -> b.bucket(bucket).key(key).ifNoneMatch("*"), RequestBody.fromString("three"))).statusCode());
        assertEquals(412, assertThrows(S3Exception.class,
            () -> server.client().deleteObject(b -> b.bucket(bucket).key(key).ifMatch(first))).statusCode());
        assertEquals("two", server.client().getObjectAsBytes(b -> b.bucket(bucket).key(key)).asUtf8String());

        server.client().deleteObject(b -> b.bucket(bucket).key(key).ifMatch(second));
        assertEquals(List.of(), server.keys(bucket));
        // If-Match on an object removed since it was read: 404, which the store takes as a lost race too.
        assertEquals(404, assertThrows(S3Exception.class, () -> server.client().putObject(
            b -> b.bucket(bucket).key(key).ifMatch(second), RequestBody.fromString("four"))).statusCode());
    }

    @Test
    void presignedGetServesTheBytesAndATamperedSignatureIsRefused() throws Exception
    {
        final byte[] photo = bytes(40_000, 17);
        final String hash = store(ALICE, photo);
        final URI url = store.presignedRead(hash, clock.instant().plus(Duration.ofMinutes(10))).orElseThrow();
        assertEquals(server.endpoint().getAuthority(), url.getAuthority());
        assertTrue(url.getPath().equals("/" + bucket + "/blobs/" + hash), "path-style: " + url);
        assertTrue(url.getRawQuery().contains("X-Amz-Expires=600"), url.toString());

        final HttpClient http = HttpClient.newHttpClient();
        final HttpResponse<byte[]> ok = http.send(HttpRequest.newBuilder(url).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, ok.statusCode());
        assertArrayEquals(photo, ok.body());
        assertEquals("image/jpeg", ok.headers().firstValue("Content-Type").orElseThrow());

        final HttpResponse<byte[]> ranged = http.send(HttpRequest.newBuilder(url).header("Range", "bytes=100-199")
            .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(206, ranged.statusCode());
        assertArrayEquals(Arrays.copyOfRange(photo, 100, 200), ranged.body());

        final String query = url.getRawQuery();
        final int at = query.indexOf("X-Amz-Signature=") + "X-Amz-Signature=".length();
        final char flipped = query.charAt(at) == '0' ? '1' : '0';
        final URI tampered = URI.create(url.toString().replace(query,
            query.substring(0, at) + flipped + query.substring(at + 1)));
        final HttpResponse<String> refused = http.send(HttpRequest.newBuilder(tampered).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(403, refused.statusCode());

        // A URL for another blob's key with this signature is refused too.
        final String otherKey = sha256(bytes(10, 18));
        final URI moved = URI.create(url.toString().replace(hash, otherKey));
        assertEquals(403, http.send(HttpRequest.newBuilder(moved).GET().build(),
            HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void presignedExpiryIsClampedToSevenDaysAndMustBeAhead()
    {
        final String hash = sha256(bytes(10, 19));
        final URI url = store.presignedRead(hash, clock.instant().plus(Duration.ofDays(30))).orElseThrow();
        assertTrue(url.getRawQuery().contains("X-Amz-Expires=604800"), url.toString());
        assertEquals(MediaException.Reason.INVALID_ARGUMENT, assertThrows(MediaException.class,
            () -> store.presignedRead(hash, clock.instant())).reason());
        assertEquals(MediaException.Reason.INVALID_ARGUMENT, assertThrows(MediaException.class,
            () -> store.presignedRead("../etc/passwd", clock.instant().plusSeconds(60))).reason());
    }

    @Test
    void malformedIdsAreRefusedBeforeAnyRequest()
    {
        assertEquals(MediaException.Reason.INVALID_ARGUMENT,
            assertThrows(MediaException.class, () -> store.stat("ABC")).reason());
        assertEquals(MediaException.Reason.INVALID_ARGUMENT,
            assertThrows(MediaException.class, () -> store.offset("../../x")).reason());
        assertEquals(MediaException.Reason.INVALID_ARGUMENT,
            assertThrows(MediaException.class, () -> store.deleteBlob("blobs/x")).reason());
        assertEquals(MediaException.Reason.NOT_FOUND,
            assertThrows(MediaException.class, () -> store.offset(MediaIds.newUploadId())).reason());
    }

    @Test
    void secondStoreOnTheSameSpoolAndAMissingBucketAreRefused()
    {
        assertEquals(MediaException.Reason.STORAGE, assertThrows(MediaException.class,
            () -> new S3MediaStore(config(), MediaLimits.DEFAULTS, clock)).reason());
        final S3StoreConfig missing = new S3StoreConfig(server.endpoint(), S3ProxyServer.REGION, "no-such-bucket",
            S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, true, spoolDir.resolve("other"), PART);
        assertEquals(MediaException.Reason.STORAGE, assertThrows(MediaException.class,
            () -> new S3MediaStore(missing, MediaLimits.DEFAULTS, clock)).reason());
        final S3StoreConfig badKey = new S3StoreConfig(server.endpoint(), S3ProxyServer.REGION, bucket,
            S3ProxyServer.ACCESS_KEY, "wrong-secret", true, spoolDir.resolve("third"), PART);
        assertEquals(MediaException.Reason.STORAGE, assertThrows(MediaException.class,
            () -> new S3MediaStore(badKey, MediaLimits.DEFAULTS, clock)).reason());
    }

    @Test
    void endpointWithATrailingSlashReachesTheSameBucket() throws IOException
    {
        final byte[] photo = bytes(3_000, 22);
        final String hash = store(ALICE, photo);
        final S3StoreConfig slash = new S3StoreConfig(URI.create(server.endpoint() + "/"), S3ProxyServer.REGION,
            bucket, S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY, true, spoolDir.resolve("slash"), PART);
        try (S3MediaStore other = new S3MediaStore(slash, MediaLimits.DEFAULTS, clock))
        {
            assertEquals(Set.of(ALICE), other.stat(hash).orElseThrow().owners());
            try (InputStream in = other.read(hash, ByteRange.whole(photo.length)))
            {
                assertArrayEquals(photo, in.readAllBytes());
            }
            assertEquals("/" + bucket + "/blobs/" + hash,
                other.presignedRead(hash, clock.instant().plusSeconds(60)).orElseThrow().getPath());
        }
    }

    @Test
    void configHidesTheSecretAndChecksItsValues()
    {
        assertFalse(config().toString().contains(S3ProxyServer.SECRET_KEY));
        assertThrows(IllegalArgumentException.class, () -> new S3StoreConfig(server.endpoint(), "r", bucket,
            "a", "s", true, spoolDir, PART - 1));
        assertThrows(IllegalArgumentException.class, () -> new S3StoreConfig(URI.create("ftp://h"), "r", bucket,
            "a", "s", true, spoolDir, PART));
        assertThrows(IllegalArgumentException.class, () -> new S3StoreConfig(server.endpoint(), "r", "Bad_Bucket",
            "a", "s", true, spoolDir, PART));
        assertThrows(IllegalArgumentException.class, () -> new S3StoreConfig(URI.create("http://a:s@h"), "r", bucket,
            "a", "s", true, spoolDir, PART));
        assertThrows(IllegalArgumentException.class, () -> new S3StoreConfig(URI.create("http://h/base"), "r",
            bucket, "a", "s", true, spoolDir, PART));
        final S3StoreConfig defaults = new S3StoreConfig(server.endpoint(), "r", bucket, "a", "s", spoolDir);
        assertTrue(defaults.pathStyle());
        assertEquals(S3StoreConfig.DEFAULT_PART_SIZE_BYTES, defaults.partSizeBytes());
    }


    /** Uploads bytes in one chunk. */
    private String store(final long owner, final byte[] data)
    {
        final String id = store.createUpload(request(owner, data, "image/jpeg"));
        return store.append(id, 0, ByteBuffer.wrap(data)).blob().blobId();
    }

    private byte[] read(final String hash, final ByteRange range) throws IOException
    {
        try (InputStream in = store.read(hash, range))
        {
            return in.readAllBytes();
        }
    }

    private String readRecord(final String hash)
    {
        final ResponseBytes<GetObjectResponse> bytes =
            server.client().getObjectAsBytes(b -> b.bucket(bucket).key("meta/" + hash));
        return new String(bytes.asByteArray(), StandardCharsets.UTF_8);
    }

    private void assertSpoolEmpty() throws IOException
    {
        try (Stream<Path> files = Files.list(spoolDir))
        {
            assertEquals(List.of("lock"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    private UploadRequest request(final long owner, final byte[] data, final String contentType)
    {
        return new UploadRequest(owner, data.length, contentType, sha256(data), clock.instant().plusSeconds(3600));
    }


}
