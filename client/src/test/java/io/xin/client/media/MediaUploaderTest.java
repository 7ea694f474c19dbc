package io.xin.client.media;

import io.xin.media.BlobInfo;
import io.xin.media.ByteRange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The uploader against a real media server and store on 127.0.0.1, connections cut by a proxy between them.
 */
@Timeout(60)
class MediaUploaderTest
{
    /** Quick retries: the tests wait on failures, not on time. */
    private static final RetryPolicy QUICK = new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5));

    @TempDir
    Path dir;

    private MediaFixture media;
    private CutProxy proxy;
    private final HttpClient http = MediaClient.newHttpClient();
    private final List<long[]> progress = new ArrayList<>();

    @BeforeEach
    void start() throws Exception
    {
        media = new MediaFixture(dir.resolve("store"));
        proxy = new CutProxy(media.port());
    }

    @AfterEach
    void stop() throws Exception
    {
        proxy.close();
        media.close();
    }

    @Test
    void shouldUploadInChunksOfAtMostTheServersLimit() throws Exception
    {
        final byte[] photo = bytes(5 * MediaFixture.MAX_CHUNK_BYTES + 123);

        final MediaUploader.Result result = uploader(Integer.MAX_VALUE).upload(MediaSource.of(photo), "image/png", 0,
            this::recordProgress);

        assertEquals(MediaSource.of(photo).blobKey(), result.blobKey());
        assertEquals(photo.length, result.sizeBytes());
        assertEquals(0, result.resumes());
        assertEquals(1, result.tickets());
        assertEquals(photo.length, result.bytesSent());
        assertFalse(result.alreadyStored());
        assertArrayEquals(photo, stored(result.blobKey()));
        // One report for the ticket's offset, then one per chunk of at most the server's limit.
        assertEquals(1 + 6, progress.size());
        for (int i = 1; i < progress.size(); i++)
        {
            assertTrue(progress.get(i)[0] - progress.get(i - 1)[0] <= MediaFixture.MAX_CHUNK_BYTES);
        }
        assertEquals(photo.length, progress.get(progress.size() - 1)[0]);
    }

    @Test
    void shouldResumeFromTheServersOffsetAfterTheConnectionWasCut() throws Exception
    {
        final byte[] video = bytes(4 * MediaFixture.MAX_CHUNK_BYTES);
        // Cut within the second chunk: the first is stored, part of the second reached the server.
        proxy.cutAfter(MediaFixture.MAX_CHUNK_BYTES + 20_000);

        final MediaUploader.Result result = uploader(Integer.MAX_VALUE)
            .upload(MediaSource.of(video), "video/mp4", 1_500, this::recordProgress);

        assertEquals(1, proxy.cuts.get());
        assertEquals(1, result.resumes());
        assertEquals(1, result.tickets());
        assertArrayEquals(video, stored(result.blobKey()));
        // Only the cut chunk's lost part went twice, never the whole file.
        assertTrue(result.bytesSent() < video.length + MediaFixture.MAX_CHUNK_BYTES, "sent " + result.bytesSent());
        for (int i = 1; i < progress.size(); i++)
        {
            assertTrue(progress.get(i)[0] >= progress.get(i - 1)[0], "progress went back: " + progress);
        }
    }

    @Test
    void shouldAskAgainWhenTheAnswerToTheLastChunkWasLost() throws Exception
    {
        final byte[] voice = bytes(MediaFixture.MAX_CHUNK_BYTES / 2);
        // The only chunk completes the blob on the server; its answer never reaches the client.
        proxy.dropNextAnswer();

        final MediaUploader.Result result = uploader(Integer.MAX_VALUE)
            .upload(MediaSource.of(voice), "audio/ogg", 900, this::recordProgress);

        assertEquals(1, proxy.cuts.get());
        assertArrayEquals(voice, stored(result.blobKey()));
        // The upload is a blob now: HEAD finds no upload, and a fresh ticket says the blob is stored.
        assertEquals(2, result.tickets());
        assertEquals(voice.length, result.bytesSent());
        assertFalse(result.alreadyStored());
        assertEquals(voice.length, progress.get(progress.size() - 1)[0]);
    }

    @Test
    void shouldTakeAFreshTicketWhenTheTokenExpiredAndKeepTheOffset() throws Exception
    {
        final byte[] photo = bytes(3 * MediaFixture.MAX_CHUNK_BYTES);
        final MediaSource source = MediaSource.of(photo);
        // A first attempt that stored one chunk, then stopped (the app was killed).
        proxy.cutAfter(MediaFixture.MAX_CHUNK_BYTES + 1_000);
        final MediaUploader once = new MediaUploader(http, media.tickets(proxy.port()),
            MediaUploader.Options.DEFAULT.withRetry(new RetryPolicy(0, Duration.ofMillis(1), Duration.ofMillis(1))));
        assertThrows(MediaTransferException.class, () -> once.upload(source, "image/png", 0, TransferProgress.NONE));
        media.tickets.set(0);
        media.nextTokenExpired = true;

        final MediaUploader.Result result = uploader(Integer.MAX_VALUE)
            .upload(source, "image/png", 0, this::recordProgress);

        // The first ticket's token was expired (401): the second names the same upload and its offset.
        assertEquals(2, result.tickets());
        for (final long[] report : progress)
        {
            assertTrue(report[0] >= MediaFixture.MAX_CHUNK_BYTES, "started over at " + report[0]);
        }
        assertArrayEquals(photo, stored(result.blobKey()));
    }

    @Test
    void shouldSendNothingForBytesTheUserStoredBefore() throws Exception
    {
        final byte[] photo = bytes(1_000);
        uploader(Integer.MAX_VALUE).upload(MediaSource.of(photo), "image/png", 0, TransferProgress.NONE);

        final MediaUploader.Result again = uploader(Integer.MAX_VALUE)
            .upload(MediaSource.of(photo), "image/png", 0, this::recordProgress);

        assertTrue(again.alreadyStored());
        assertEquals(0, again.bytesSent());
        assertEquals(List.of(1_000L, 1_000L), List.of(progress.get(0)[0], progress.get(0)[1]));
    }

    @Test
    void shouldUploadAFileFromItsPositionAfterACut() throws Exception
    {
        final byte[] video = bytes(3 * MediaFixture.MAX_CHUNK_BYTES + 5);
        final Path file = Files.write(dir.resolve("clip.mp4"), video);
        proxy.cutAfter(2 * MediaFixture.MAX_CHUNK_BYTES + 777);

        final MediaUploader.Result result = uploader(MediaFixture.MAX_CHUNK_BYTES)
            .upload(MediaSource.of(file), "video/mp4", 0, TransferProgress.NONE);

        assertEquals(1, result.resumes());
        assertArrayEquals(video, stored(result.blobKey()));
    }

    @Test
    void shouldGiveUpAfterTheRetriesWhenTheServerIsUnreachable() throws Exception
    {
        proxy.refuseAll();
        final byte[] photo = bytes(10_000);

        final MediaTransferException ex = assertThrows(MediaTransferException.class,
            () -> uploader(Integer.MAX_VALUE).upload(MediaSource.of(photo), "image/png", 0, TransferProgress.NONE));

        assertEquals(0, ex.status());
        // The PATCH, then a HEAD per retry: the budget is failures in a row, 1 + maxRetries of them (the HTTP client
        // may try a HEAD twice on a fresh connection).
        final int attempts = 1 + QUICK.maxRetries();
        assertTrue(proxy.connections.get() >= attempts && proxy.connections.get() <= 2 * attempts,
            "connections: " + proxy.connections.get());
        assertTrue(media.store.stat(MediaSource.of(photo).blobKey()).isEmpty());
    }

    @Test
    void shouldNotRetryARefusal() throws Exception
    {
        final byte[] photo = bytes(2 * MediaFixture.MAX_CHUNK_BYTES);
        // Chunks over the server's limit: a ticket that did not say the limit, and an uploader that trusted it.
        final MediaUploader.Tickets noLimit = (size, type, sha256, duration) -> media.tickets(proxy.port())
            .uploadTicket(size, type, sha256, duration).thenApply(t -> t.toBuilder().clearMaxChunkBytes().build());

        final MediaTransferException ex = assertThrows(MediaTransferException.class,
            () -> new MediaUploader(http, noLimit, MediaUploader.Options.DEFAULT.withRetry(QUICK))
                .upload(MediaSource.of(photo), "image/png", 0, TransferProgress.NONE));

        assertEquals(413, ex.status());
        assertEquals(1, proxy.connections.get());
    }

    @Test
    void shouldRefuseAServerThatStoredOtherBytes() throws Exception
    {
        final byte[] photo = bytes(1_000);
        final MediaSource source = MediaSource.of(photo);
        // Bytes that change after hashing: the server's hash check discards the upload.
        final MediaSource changing = new MediaSource()
        {
            @Override
            public long size()
            {
                return source.size();
            }

            @Override
            public byte[] sha256()
            {
                return source.sha256();
            }

            @Override
            public void read(final long position, final byte[] into, final int length) throws java.io.IOException
            {
                source.read(position, into, length);
                into[0] ^= 1;
            }
        };

        final MediaTransferException ex = assertThrows(MediaTransferException.class,
            () -> uploader(Integer.MAX_VALUE).upload(changing, "image/png", 0, TransferProgress.NONE));

        assertEquals(460, ex.status());
        assertTrue(media.store.stat(source.blobKey()).isEmpty());
    }

    private MediaUploader uploader(final int chunkBytes)
    {
        return new MediaUploader(http, media.tickets(proxy.port()),
            MediaUploader.Options.DEFAULT.withChunkBytes(chunkBytes).withRetry(QUICK));
    }

    private void recordProgress(final long done, final long total)
    {
        progress.add(new long[]{ done, total });
    }

    private byte[] stored(final String blobKey) throws Exception
    {
        final BlobInfo blob = media.store.stat(blobKey).orElseThrow();
        assertTrue(blob.owners().contains(MediaFixture.OWNER));
        try (InputStream in = media.store.read(blobKey, ByteRange.whole(blob.size())))
        {
            return in.readAllBytes();
        }
    }

    private static byte[] bytes(final int length)
    {
        final byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }
}
