package io.xin.media.http;

import static io.xin.media.http.MediaFixture.assertStatus;
import static io.xin.media.http.MediaFixture.bytes;
import static io.xin.media.http.MediaFixture.read;
import static io.xin.media.http.MediaFixture.send;
import static io.xin.media.http.MediaFixture.sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.xin.media.ByteRange;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Uploads and downloads through the media server on real sockets, against a store in a temporary directory. */
class MediaHttpServerIT
{
    @TempDir
    Path root;

    private MediaFixture media;

    @BeforeEach
    void start()
    {
        media = new MediaFixture(root.resolve("store"), b -> b.maxChunkBytes(4 * 1024 * 1024)
            .connectionBufferBytes(256 * 1024).fileThreads(1));
    }

    @AfterEach
    void stop()
    {
        media.close();
    }

    @Test
    void optionsAnnouncesTheTusSubset() throws Exception
    {
        final HttpResponse<String> response = media.client.send(HttpRequest.newBuilder(
            URI.create(media.base + "/media/v1/uploads")).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
            .build(), HttpResponse.BodyHandlers.ofString());

        assertStatus(204, response);
        assertEquals("1.0.0", response.headers().firstValue("Tus-Resumable").orElseThrow());
        assertEquals("1.0.0", response.headers().firstValue("Tus-Version").orElseThrow());
        assertEquals("expiration,termination", response.headers().firstValue("Tus-Extension").orElseThrow());
        assertEquals(Long.toString(512L * 1024 * 1024), response.headers().firstValue("Tus-Max-Size").orElseThrow());
    }

    @Test
    void uploadInChunksThenDownloadWholeAndInRanges() throws Exception
    {
        final byte[] video = bytes(3 * 1024 * 1024 + 17, 1);
        final String id = media.createUpload(video, "video/mp4");
        final String token = media.uploadToken(id);

        final HttpResponse<Void> fresh = media.head(id, token);
        assertStatus(200, fresh);
        assertEquals("0", fresh.headers().firstValue("Upload-Offset").orElseThrow());
        assertEquals(Integer.toString(video.length), fresh.headers().firstValue("Upload-Length").orElseThrow());
        assertEquals("Tue, 01 Jan 2030 01:00:00 GMT", fresh.headers().firstValue("Upload-Expires").orElseThrow());
        assertEquals("no-store", fresh.headers().firstValue("Cache-Control").orElseThrow());
        assertEquals("1.0.0", fresh.headers().firstValue("Tus-Resumable").orElseThrow());

        final int half = 1_000_001;
        final HttpResponse<String> first = media.patch(id, token, 0, Arrays.copyOfRange(video, 0, half));
        assertStatus(204, first);
        assertEquals(Integer.toString(half), first.headers().firstValue("Upload-Offset").orElseThrow());
        assertTrue(first.headers().firstValue("Xin-Blob-Key").isEmpty());
        assertEquals("Tue, 01 Jan 2030 01:00:00 GMT", first.headers().firstValue("Upload-Expires").orElseThrow());
        assertEquals(Integer.toString(half), media.head(id, token).headers().firstValue("Upload-Offset").orElseThrow());

        final HttpResponse<String> last = media.patch(id, token, half, Arrays.copyOfRange(video, half, video.length));
        assertStatus(204, last);
        assertEquals(Integer.toString(video.length), last.headers().firstValue("Upload-Offset").orElseThrow());
        final String blobId = sha256(video);
        assertEquals(blobId, last.headers().firstValue("Xin-Blob-Key").orElseThrow());
        assertStatus(404, media.head(id, token));

        final HttpResponse<byte[]> whole = media.get(media.blobUri(blobId));
        assertStatus(200, whole);
        assertArrayEquals(video, whole.body());
        assertEquals("\"" + blobId + "\"", whole.headers().firstValue("ETag").orElseThrow());
        assertEquals("video/mp4", whole.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("bytes", whole.headers().firstValue("Accept-Ranges").orElseThrow());
        assertEquals("private, max-age=86400", whole.headers().firstValue("Cache-Control").orElseThrow());
        assertTrue(whole.headers().firstValue("Content-Range").isEmpty());

        assertRange(video, blobId, "bytes=0-0", 0, 0);
        assertRange(video, blobId, "bytes=1000-1999", 1000, 1999);
        assertRange(video, blobId, "bytes=3000000-", 3_000_000, video.length - 1);
        assertRange(video, blobId, "bytes=-100", video.length - 100, video.length - 1);
        assertRange(video, blobId, "bytes=" + (video.length - 5) + "-99999999999", video.length - 5, video.length - 1);
        assertRange(video, blobId, "bytes=-99999999", 0, video.length - 1);
    }

    @Test
    void rangesThatCannotBeServedAreRefused() throws Exception
    {
        final byte[] photo = bytes(1_000, 2);
        final String blobId = storeBlob(photo, "image/jpeg");
        final URI uri = media.blobUri(blobId);

        for (final String malformed : List.of("bytes=5-2", "bytes=x-1", "items=0-1", "bytes=", "bytes=1", "bytes=--1",
            "bytes=1-2-3", "bytes=0-1,", "0-1"))
        {
            assertStatus(400, media.get(uri, "Range", malformed));
        }
        for (final String unsatisfiable : List.of("bytes=1000-", "bytes=1000-2000", "bytes=-0",
            "bytes=99999999999999999999999-"))
        {
            final HttpResponse<byte[]> response = media.get(uri, "Range", unsatisfiable);
            assertStatus(416, response);
            assertEquals("bytes */1000", response.headers().firstValue("Content-Range").orElseThrow(), unsatisfiable);
        }
        // Several ranges, or a validator that is not the blob's: the whole blob.
        for (final String[] headers : List.of(new String[] {"Range", "bytes=0-1,5-6"},
            new String[] {"Range", "bytes=0-1", "If-Range", "\"other\""}))
        {
            final HttpResponse<byte[]> response = media.get(uri, headers);
            assertStatus(200, response);
            assertArrayEquals(photo, response.body());
        }
        final HttpResponse<byte[]> matching = media.get(uri, "Range", "bytes=0-1", "If-Range", "\"" + blobId + "\"");
        assertStatus(206, matching);

        final HttpResponse<Void> head = media.client.send(HttpRequest.newBuilder(uri).header("Range", "bytes=10-19")
            .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertStatus(206, head);
        assertEquals("10", head.headers().firstValue("Content-Length").orElseThrow());
        assertEquals("bytes 10-19/1000", head.headers().firstValue("Content-Range").orElseThrow());
    }

    @Test
    void downloadTokensAreChecked() throws Exception
    {
        final byte[] photo = bytes(500, 3);
        final String blobId = storeBlob(photo, "image/png");
        final String other = storeBlob(bytes(500, 4), "image/png");
        final String path = media.base + "/media/v1/blobs/" + blobId;

        assertStatus(200, media.get(media.blobUri(blobId)));
        assertStatus(403, media.get(URI.create(path)));
        assertStatus(403, media.get(URI.create(path + "?token=")));
        assertStatus(403, media.get(URI.create(path + "?token=garbage")));
        final String otherToken = media.blobUri(other).getQuery();
        assertStatus(403, media.get(URI.create(path + "?" + otherToken)));
        final String putToken = media.urls.sign("PUT", "/media/v1/blobs/" + blobId, media.clock.instant()
            .plusSeconds(60));
        assertStatus(403, media.get(URI.create(path + "?token=" + putToken)));
        assertStatus(400, media.get(URI.create(path + "?token=a&token=b")));

        // A token over the bare id is as good as one over the path.
        final String bare = media.urls.sign("GET", blobId, media.clock.instant().plusSeconds(60));
        assertArrayEquals(photo, media.get(URI.create(path + "?token=" + bare)).body());

        final URI expiring = media.blobUri(blobId);
        media.clock.advance(Duration.ofMinutes(10));
        final HttpResponse<byte[]> expired = media.get(expiring);
        assertStatus(403, expired);
        assertEquals("token expired\n", new String(expired.body(), StandardCharsets.UTF_8));

        final String unknown = "ab".repeat(32);
        assertStatus(404, media.get(media.blobUri(unknown)));
    }

    @Test
    void uploadRequestsAreCheckedInTheContractsOrder() throws Exception
    {
        final byte[] photo = bytes(2_000, 5);
        final String id = media.createUpload(photo, "image/jpeg");
        final String token = media.uploadToken(id);
        final URI uri = media.uploadUri(id);

        // Tus-Resumable missing or wrong: 412, whatever else is wrong.
        final HttpResponse<String> noTus = media.client.send(HttpRequest.newBuilder(uri)
            .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertStatus(412, noTus);
        assertEquals("1.0.0", noTus.headers().firstValue("Tus-Version").orElseThrow());
        assertStatus(412, media.client.send(HttpRequest.newBuilder(uri).header("Tus-Resumable", "0.2.2")
            .header("Authorization", "Bearer " + token).method("HEAD", HttpRequest.BodyPublishers.noBody())
            .build(), HttpResponse.BodyHandlers.ofString()));

        // Tokens.
        final HttpResponse<String> noToken = media.client.send(HttpRequest.newBuilder(uri)
            .header("Tus-Resumable", "1.0.0").method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
        assertStatus(401, noToken);
        assertEquals("Bearer", noToken.headers().firstValue("WWW-Authenticate").orElseThrow());
        assertStatus(401, media.head(id, "not-a-token"));
        final String otherUpload = media.createUpload(bytes(10, 6), "image/jpeg");
        assertStatus(403, media.head(id, media.uploadToken(otherUpload)));
        assertStatus(403, media.patch(id, media.uploadToken(otherUpload), 0, photo));
        final String getToken = media.urls.sign("GET", "/media/v1/uploads/" + id, media.clock.instant()
            .plusSeconds(60));
        assertStatus(403, media.head(id, getToken));

        // The body's headers.
        assertStatus(415, media.client.send(media.tus(uri, token).header("Content-Type", "application/json")
            .header("Upload-Offset", "0").method("PATCH", HttpRequest.BodyPublishers.ofByteArray(photo)).build(),
            HttpResponse.BodyHandlers.ofString()));
        for (final String offset : List.of("-1", "+1", "1.0", "", "x", "9999999999999999999"))
        {
            assertStatus(400, media.client.send(media.tus(uri, token)
                .header("Content-Type", "application/offset+octet-stream").header("Upload-Offset", offset)
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(photo)).build(),
                HttpResponse.BodyHandlers.ofString()));
        }
        final HttpResponse<String> conflict = media.patch(id, token, 5, Arrays.copyOf(photo, 10));
        assertStatus(409, conflict);
        assertEquals("Upload-Offset 5 is not the upload's offset 0\n", conflict.body());

        // Methods.
        final HttpResponse<String> get = media.client.send(media.tus(uri, token).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertStatus(405, get);
        assertEquals("HEAD, PATCH, DELETE", get.headers().firstValue("Allow").orElseThrow());

        // An unknown upload with a token for it (the switch signed one, then the upload went).
        final String gone = "A".repeat(22);
        assertStatus(404, media.head(gone, media.uploadToken(gone)));

        // Nothing of the refused requests was kept.
        assertEquals(0, media.store.offset(id));

        // An empty PATCH changes nothing.
        final HttpResponse<String> empty = media.patch(id, token, 0, new byte[0]);
        assertStatus(204, empty);
        assertEquals("0", empty.headers().firstValue("Upload-Offset").orElseThrow());

        // One that waits for 100 Continue is refused before its body is sent, or told to send it.
        final String expecting = "PATCH /media/v1/uploads/" + id + " HTTP/1.1\r\nHost: media\r\n" +
            "Tus-Resumable: 1.0.0\r\nAuthorization: Bearer " + token + "\r\n" +
            "Content-Type: application/offset+octet-stream\r\nExpect: 100-continue\r\n" +
            "Content-Length: " + photo.length + "\r\n";
        try (Socket socket = media.connect())
        {
            send(socket, expecting + "Upload-Offset: 7\r\n\r\n");
            final MediaFixture.RawResponse refused = read(socket.getInputStream(), false);
            assertEquals(409, refused.status());
            assertEquals("close", refused.header("Connection"));
        }
        try (Socket socket = media.connect())
        {
            send(socket, expecting + "Upload-Offset: 0\r\n\r\n");
            final InputStream in = socket.getInputStream();
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n",
                new String(in.readNBytes(25), StandardCharsets.ISO_8859_1));
            socket.getOutputStream().write(photo);
            final MediaFixture.RawResponse taken = read(in, false);
            assertEquals(204, taken.status());
            assertEquals(sha256(photo), taken.header("Xin-Blob-Key"));
        }
    }

    @Test
    void mismatchedHashIsRefusedWith460AndTheUploadIsGone() throws Exception
    {
        final byte[] declared = bytes(5_000, 7);
        final String id = media.createUpload(declared, "audio/ogg");
        final String token = media.uploadToken(id);
        final byte[] sent = declared.clone();
        sent[4_999] ^= 1;

        final HttpResponse<String> response = media.patch(id, token, 0, sent);

        assertStatus(460, response);
        assertEquals("bytes do not match the SHA-256; upload discarded\n", response.body());
        assertStatus(404, media.head(id, token));
        assertTrue(media.store.stat(sha256(sent)).isEmpty());
        assertTrue(media.store.stat(sha256(declared)).isEmpty());
    }

    @Test
    void bodiesPastTheLimitsAreRefusedWith413() throws Exception
    {
        final byte[] small = bytes(1_000, 8);
        final String id = media.createUpload(small, "image/png");
        final String token = media.uploadToken(id);

        // Past the declared length: refused before a byte is written.
        assertStatus(413, media.patch(id, token, 0, bytes(1_001, 8)));
        assertEquals(0, media.store.offset(id));
        // Over the largest chunk (4 MiB here), refused from its Content-Length.
        final byte[] big = bytes(6 * 1024 * 1024, 9);
        final String bigId = media.createUpload(big, "video/mp4");
        final HttpResponse<String> tooBig = media.patch(bigId, media.uploadToken(bigId), 0, big);
        assertStatus(413, tooBig);
        assertEquals("close", tooBig.headers().firstValue("Connection").orElseThrow());
        assertEquals(0, media.store.offset(bigId));

        // Both uploads still take what fits.
        assertStatus(204, media.patch(id, token, 0, small));
        assertStatus(204, media.patch(bigId, media.uploadToken(bigId), 0, Arrays.copyOf(big, 4 * 1024 * 1024)));
    }

    @Test
    void expiredTokensAndUploadsAreGone() throws Exception
    {
        final byte[] photo = bytes(100, 10);
        final String id = media.createUpload(photo, "image/png");
        final String shortToken = media.urls.sign("PATCH", "/media/v1/uploads/" + id,
            media.clock.instant().plusSeconds(30));
        final String longToken = media.urls.sign("PATCH", "/media/v1/uploads/" + id,
            media.clock.instant().plus(Duration.ofHours(5)));

        media.clock.advance(Duration.ofSeconds(30));
        assertStatus(410, media.head(id, shortToken));
        assertStatus(410, media.patch(id, shortToken, 0, photo));

        // The token outlives the upload (its expiry is an hour): the upload is gone anyway.
        assertStatus(200, media.head(id, longToken));
        media.clock.advance(Duration.ofHours(1));
        assertStatus(410, media.head(id, longToken));
        assertStatus(410, media.patch(id, longToken, 0, photo));
        assertEquals(0, media.store.offset(id));
    }

    @Test
    void deleteEndsAnUpload() throws Exception
    {
        final byte[] photo = bytes(100, 11);
        final String id = media.createUpload(photo, "image/png");
        final String token = media.uploadToken(id);
        final HttpRequest delete = HttpRequest.newBuilder(media.uploadUri(id))
            .header("Authorization", "Bearer " + token).DELETE().build();

        assertStatus(204, media.client.send(delete, HttpResponse.BodyHandlers.ofString()));
        assertTrue(media.store.upload(id).isEmpty());
        assertStatus(404, media.client.send(delete, HttpResponse.BodyHandlers.ofString()));
        assertStatus(404, media.head(id, token));
    }

    @Test
    void aPatchCutMidBodyKeepsItsBytesAndResumes() throws Exception
    {
        final byte[] video = bytes(600_000, 12);
        final String id = media.createUpload(video, "video/mp4");
        final String token = media.uploadToken(id);
        final int cut = 300_001;

        try (Socket socket = media.connect())
        {
            send(socket, "PATCH /media/v1/uploads/" + id + " HTTP/1.1\r\nHost: media\r\nTus-Resumable: 1.0.0\r\n" +
                "Authorization: Bearer " + token + "\r\nContent-Type: application/offset+octet-stream\r\n" +
                "Upload-Offset: 0\r\nContent-Length: " + video.length + "\r\n\r\n");
            final OutputStream out = socket.getOutputStream();
            out.write(video, 0, cut);
            out.flush();
        }
        // The store has the bytes once the server has seen the connection go and written what it held.
        MediaFixture.await(() -> media.server.openConnections() == 0 && media.store.offset(id) == cut,
            "the cut body's bytes in the store");

        final HttpResponse<Void> head = media.head(id, token);
        assertStatus(200, head);
        assertEquals(Integer.toString(cut), head.headers().firstValue("Upload-Offset").orElseThrow());
        final HttpResponse<String> rest = media.patch(id, token, cut, Arrays.copyOfRange(video, cut, video.length));
        assertStatus(204, rest);
        assertEquals(sha256(video), rest.headers().firstValue("Xin-Blob-Key").orElseThrow());
        assertArrayEquals(video, media.get(media.blobUri(sha256(video))).body());
    }

    @Test
    void pathTraversalAndMalformedIdsAreRefused() throws Exception
    {
        Files.writeString(root.resolve("secret"), "do not serve");
        final String blobId = storeBlob(bytes(10, 13), "image/png");
        final String token = "?token=" + media.blobUri(blobId).getQuery().substring("token=".length());
        final List<String> refused = List.of(
            "/media/v1/uploads/../../etc/passwd",
            "/media/v1/uploads/..%2F..%2Fetc%2Fpasswd",
            "/media/v1/uploads/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/media/v1/uploads/AAAAAAAAAAAAAAAAAAAAA%41",
            "/media/v1/uploads/AAAAAAAAAAAAAAAAAAAAAA/..",
            "/media/v1/uploads/AAAAAAAAAAAAAAAAAAAAAA/",
            "/media/v1/uploads/AAAAAAAAAAAAAAAAAAAAA",
            "/media/v1/uploads//AAAAAAAAAAAAAAAAAAAAAA",
            "/media/v1/blobs/../../secret" + token,
            "/media/v1/blobs/..%2f..%2fsecret" + token,
            "/media/v1/blobs/" + blobId + "/../" + blobId + token,
            "/media/v1/blobs/" + blobId.toUpperCase(java.util.Locale.ROOT) + token,
            "/media/v1/blobs/" + blobId.substring(1) + token,
            "/media/v1/blobs/" + blobId + "%00" + token,
            "/media/v1/./blobs/" + blobId + token,
            "/media/v1/../v1/blobs/" + blobId + token,
            "/media\\v1\\blobs\\" + blobId + token);
        for (final String target : refused)
        {
            try (Socket socket = media.connect())
            {
                send(socket, "GET " + target + " HTTP/1.1\r\nHost: media\r\nTus-Resumable: 1.0.0\r\n" +
                    "Authorization: Bearer x\r\nConnection: close\r\n\r\n");
                final MediaFixture.RawResponse response = read(socket.getInputStream(), false);
                assertEquals(400, response.status(), target + ": " + response.text());
                assertFalse(response.text().contains("do not serve"));
            }
        }
        for (final String target : List.of("/etc/passwd", "/media/v1/blobs", "/media/v2/blobs/" + blobId + token,
            "/"))
        {
            try (Socket socket = media.connect())
            {
                send(socket, "GET " + target + " HTTP/1.1\r\nHost: media\r\nConnection: close\r\n\r\n");
                assertEquals(404, read(socket.getInputStream(), false).status(), target);
            }
        }
        // The absolute form names the same resource.
        try (Socket socket = media.connect())
        {
            send(socket, "GET http://media/media/v1/blobs/" + blobId + token + " HTTP/1.1\r\nHost: media\r\n" +
                "Connection: close\r\n\r\n");
            assertEquals(200, read(socket.getInputStream(), false).status());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws Exception
    {
        final byte[] photo = bytes(3_000, 14);
        final String blobId = storeBlob(photo, "image/png");
        final String get = media.blobUri(blobId).toString().substring(media.base.length());
        final String unknown = media.blobUri("cd".repeat(32)).toString().substring(media.base.length());
        try (Socket socket = media.connect())
        {
            send(socket,
                "HEAD " + unknown + " HTTP/1.1\r\nHost: media\r\n\r\n" +
                    "GET " + get + " HTTP/1.1\r\nHost: media\r\nRange: bytes=0-9\r\n\r\n" +
                    "OPTIONS /media/v1/uploads HTTP/1.1\r\nHost: media\r\n\r\n" +
                    "GET " + get + " HTTP/1.1\r\nHost: media\r\n\r\n");
            final InputStream in = socket.getInputStream();
            assertEquals(404, read(in, true).status());
            final MediaFixture.RawResponse range = read(in, false);
            assertEquals(206, range.status());
            assertArrayEquals(Arrays.copyOf(photo, 10), range.body());
            assertEquals(204, read(in, false).status());
            final MediaFixture.RawResponse whole = read(in, false);
            assertEquals(200, whole.status());
            assertArrayEquals(photo, whole.body());
        }
    }

    private void assertRange(final byte[] data, final String blobId, final String range, final int first,
        final int last) throws Exception
    {
        final HttpResponse<byte[]> response = media.get(media.blobUri(blobId), "Range", range);
        assertStatus(206, response);
        assertArrayEquals(Arrays.copyOfRange(data, first, last + 1), response.body(), range);
        assertEquals("bytes " + first + "-" + last + "/" + data.length,
            response.headers().firstValue("Content-Range").orElseThrow(), range);
        assertEquals(new ByteRange(first, last).length(), response.body().length);
    }

    private String storeBlob(final byte[] data, final String contentType) throws Exception
    {
        final String id = media.createUpload(data, contentType);
        final HttpResponse<String> response = media.patch(id, media.uploadToken(id), 0, data);
        assertStatus(204, response);
        return response.headers().firstValue("Xin-Blob-Key").orElseThrow();
    }
}
