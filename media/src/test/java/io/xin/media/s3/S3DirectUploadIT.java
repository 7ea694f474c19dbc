package io.xin.media.s3;

import static io.xin.media.TestBytes.bytes;
import static io.xin.media.TestBytes.sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.xin.media.BlobInfo;
import io.xin.media.ByteRange;
import io.xin.media.DirectUpload;
import io.xin.media.MediaException;
import io.xin.media.MediaLimits;
import io.xin.media.UploadRequest;

/**
 * Direct uploads against a real S3 API: S3Proxy on the loopback address. The client's PUT goes through the
 * presigned URL with java.net.http, as a phone's would, and the store completes the upload when asked.
 */
class S3DirectUploadIT extends S3StoreTestBase
{
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void putThroughThePresignedUrlThenCompletionMakesTheBlob() throws Exception
    {
        final byte[] photo = bytes(MIB + 17, 3);
        final String hash = sha256(photo);
        final DirectUpload direct = store.createDirectUpload(request(ALICE, photo)).orElseThrow();
        assertEquals("PUT", direct.method());
        assertEquals(List.of(Map.entry("content-type", "image/jpeg")), direct.headers().stream()
            .filter(h -> h.getKey().equals("content-type")).toList());
        assertTrue(direct.headers().stream().anyMatch(h -> h.getKey().equals("x-amz-checksum-sha256")),
            "the declared hash is signed: " + direct.headers());
        assertEquals(photo.length, store.usage(ALICE), "an upload in progress counts against the quota");
        assertEquals(0, store.upload(direct.uploadId()).orElseThrow().offset());
        assertEquals(MediaException.Reason.INVALID_ARGUMENT, assertThrows(MediaException.class,
            () -> store.append(direct.uploadId(), 0, ByteBuffer.wrap(photo))).reason(), "no bytes by append");

        assertTrue(store.completeDirectUpload(ALICE, hash).isEmpty(), "nothing sent yet");
        assertTrue(store.upload(direct.uploadId()).isPresent());

        assertEquals(200, put(direct, photo).statusCode());
        assertEquals(List.of("incoming/" + direct.uploadId()), server.keys(bucket));
        assertTrue(store.completeDirectUpload(BOB, hash).isEmpty(), "only the uploader completes it");

        final BlobInfo blob = store.completeDirectUpload(ALICE, hash).orElseThrow();
        assertEquals(new BlobInfo(hash, photo.length, "image/jpeg", Set.of(ALICE), clock.instant()), blob);
        assertEquals(blob, store.stat(hash).orElseThrow());
        assertEquals(photo.length, store.usage(ALICE));
        assertEquals(List.of("blobs/" + hash, "meta/" + hash, "usage/" + ALICE), server.keys(bucket));
        assertEquals("image/jpeg",
            server.client().headObject(b -> b.bucket(bucket).key("blobs/" + hash)).contentType());
        try (InputStream in = store.read(hash, ByteRange.whole(photo.length)))
        {
            assertArrayEquals(photo, in.readAllBytes());
        }
        assertTrue(store.upload(direct.uploadId()).isEmpty());
        assertSpoolEmpty();
        assertTrue(store.completeDirectUpload(ALICE, hash).isEmpty(), "completed once");
    }

    @Test
    void secondUploaderOfStoredBytesJoinsTheOwners() throws Exception
    {
        final byte[] photo = bytes(1000, 4);
        final String hash = sha256(photo);
        final DirectUpload first = store.createDirectUpload(request(ALICE, photo)).orElseThrow();
        assertEquals(200, put(first, photo).statusCode());
        store.completeDirectUpload(ALICE, hash).orElseThrow();

        final DirectUpload second = store.createDirectUpload(request(BOB, photo)).orElseThrow();
        assertEquals(200, put(second, photo).statusCode());
        assertEquals(Set.of(ALICE, BOB), store.completeDirectUpload(BOB, hash).orElseThrow().owners());
        assertEquals(photo.length, store.usage(BOB));
        assertEquals(List.of("blobs/" + hash, "meta/" + hash, "usage/" + ALICE, "usage/" + BOB),
            server.keys(bucket));
    }

    @Test
    void bytesThatDoNotMatchTheDeclaredHashNeverBecomeTheBlob() throws Exception
    {
        final byte[] photo = bytes(4096, 5);
        final byte[] other = bytes(4096, 6);
        final String hash = sha256(photo);
        final DirectUpload direct = store.createDirectUpload(request(ALICE, photo)).orElseThrow();

        final int status = put(direct, other).statusCode();
        if (status / 100 == 2)
        {
            // The store took them without checking the signed checksum: completion hashes them and refuses.
            assertEquals(List.of("incoming/" + direct.uploadId()), server.keys(bucket));
            assertTrue(store.completeDirectUpload(ALICE, hash).isEmpty());
            assertTrue(store.upload(direct.uploadId()).isEmpty(), "the upload is discarded");
        }
        else
        {
            assertEquals(400, status, "the store checks the signed checksum");
            assertTrue(store.completeDirectUpload(ALICE, hash).isEmpty());
        }
        assertEquals(List.of(), server.keys(bucket));
        assertTrue(store.stat(hash).isEmpty());
    }

    @Test
    void aBodyOfAnotherLengthIsRefusedByTheSignature() throws Exception
    {
        final byte[] photo = bytes(4096, 7);
        final DirectUpload direct = store.createDirectUpload(request(ALICE, photo)).orElseThrow();

        final HttpResponse<String> longer = put(direct, bytes(8192, 7));
        assertEquals(403, longer.statusCode(), longer.body());
        final HttpResponse<String> shorter = put(direct, bytes(100, 7));
        assertEquals(403, shorter.statusCode(), shorter.body());
        assertEquals(List.of(), server.keys(bucket));
        assertTrue(store.completeDirectUpload(ALICE, sha256(photo)).isEmpty());
        assertTrue(store.upload(direct.uploadId()).isPresent(), "the right bytes may still come");
    }

    @Test
    void expiredUploadIsCollectedWithItsBytes() throws Exception
    {
        final byte[] photo = bytes(2048, 8);
        final DirectUpload direct = store.createDirectUpload(request(ALICE, photo)).orElseThrow();
        assertEquals(200, put(direct, photo).statusCode());

        clock.advance(Duration.ofHours(2));
        assertEquals(List.of(direct.uploadId()), store.expiredUploads(clock.instant()));
        assertTrue(store.deleteUpload(direct.uploadId()));
        assertEquals(List.of(), server.keys(bucket));
        assertEquals(0, store.usage(ALICE));
        assertSpoolEmpty();
    }

    @Test
    void directUploadSurvivesARestartAndIsSignedAgain() throws Exception
    {
        final byte[] photo = bytes(3000, 9);
        final String hash = sha256(photo);
        final DirectUpload direct = store.createDirectUpload(request(ALICE, photo)).orElseThrow();
        store.close();
        store = new S3MediaStore(config(), MediaLimits.DEFAULTS, clock);

        final DirectUpload again = store.directUpload(direct.uploadId()).orElseThrow();
        assertEquals(direct.uploadId(), again.uploadId());
        assertEquals(200, put(again, photo).statusCode());
        assertEquals(photo.length, store.completeDirectUpload(ALICE, hash).orElseThrow().size());
        assertFalse(store.directUpload(direct.uploadId()).isPresent());
        final String tus = store.createUpload(request(BOB, bytes(10, 1)));
        assertTrue(store.directUpload(tus).isEmpty(), "a tus upload is not a direct one");
        assertNotEquals(tus, direct.uploadId());
    }

    /** The PUT a client sends: the signed headers, the body, nothing else. */
    private HttpResponse<String> put(final DirectUpload direct, final byte[] body) throws IOException,
        InterruptedException
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(direct.url())
            .timeout(Duration.ofSeconds(30))
            .method(direct.method(), HttpRequest.BodyPublishers.ofByteArray(body));
        for (final Map.Entry<String, String> header : direct.headers())
        {
            request.header(header.getKey(), header.getValue());
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }


    private UploadRequest request(final long owner, final byte[] data)
    {
        return new UploadRequest(owner, data.length, "image/jpeg", sha256(data), clock.instant().plusSeconds(3600));
    }

    private void assertSpoolEmpty() throws IOException
    {
        try (Stream<Path> files = Files.list(spoolDir))
        {
            assertEquals(List.of("lock"), files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
