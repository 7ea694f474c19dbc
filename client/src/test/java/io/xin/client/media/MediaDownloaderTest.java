package io.xin.client.media;

import io.xin.protocol.pb.MediaRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The downloader against a real media server and store on 127.0.0.1, connections cut by a proxy between them.
 */
@Timeout(60)
class MediaDownloaderTest
{
    private static final RetryPolicy QUICK = new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5));
    private static final int SIZE = 300_000;

    @TempDir
    Path dir;

    private MediaFixture media;
    private CutProxy proxy;
    private final HttpClient http = MediaClient.newHttpClient();
    private byte[] blob;
    private MediaRef ref;

    @BeforeEach
    void start() throws Exception
    {
        media = new MediaFixture(dir.resolve("store"));
        proxy = new CutProxy(media.port());
        blob = new byte[SIZE];
        new Random(5).nextBytes(blob);
        final MediaUploader.Result stored = new MediaUploader(http, media.tickets(media.port()))
            .upload(MediaSource.of(blob), "image/png", 0, TransferProgress.NONE);
        ref = MediaFixture.ref(stored.blobKey(), SIZE);
    }

    @AfterEach
    void stop() throws Exception
    {
        proxy.close();
        media.close();
    }

    @Test
    void shouldDownloadAndCheckAWholeBlob() throws Exception
    {
        assertArrayEquals(blob, downloader().download(ref));
        assertEquals(1, media.mediaUrls.get());
    }

    @Test
    void shouldResumeWithARangeAfterTheConnectionWasCut() throws Exception
    {
        // The answer's first bytes reach the client, then the connection drops.
        proxy.dropNextAnswerAfter(100_000);

        assertArrayEquals(blob, downloader().download(ref));

        assertEquals(1, proxy.cuts.get());
        assertEquals(2, proxy.connections.get());
    }

    @Test
    void shouldAskForAFreshUrlWhenItExpired() throws Exception
    {
        media.nextUrlExpired = true;

        assertArrayEquals(blob, downloader().download(ref));

        assertEquals(2, media.mediaUrls.get());
    }

    @Test
    void shouldRefuseBytesThatAreNotTheBlobKeys() throws Exception
    {
        final MediaRef wrongSize = ref.toBuilder().setSizeBytes(SIZE + 1).build();
        assertThrows(MediaIntegrityException.class, () -> downloader().download(wrongSize));

        // A reference that names one blob while the URL serves another.
        final byte[] other = Arrays.copyOf(blob, SIZE);
        other[0] ^= 1;
        final String otherKey = new MediaUploader(http, media.tickets(media.port()))
            .upload(MediaSource.of(other), "image/png", 0, TransferProgress.NONE).blobKey();
        final MediaDownloader swapped = new MediaDownloader(http, (key, token) ->
            media.mediaUrls(proxy.port()).mediaUrl(otherKey, token), new MediaDownloader.Options(QUICK, 4,
            Duration.ofSeconds(5), Duration.ofSeconds(5)));
        assertThrows(MediaIntegrityException.class, () -> swapped.download(ref));
    }

    @Test
    void shouldDownloadARange() throws Exception
    {
        assertArrayEquals(Arrays.copyOfRange(blob, 1_000, 2_001), downloader().download(ref, 1_000, 2_000));
        assertArrayEquals(Arrays.copyOfRange(blob, SIZE - 10, SIZE), downloader().download(ref, SIZE - 10, SIZE - 1));

        final MediaTransferException past = assertThrows(MediaTransferException.class,
            () -> downloader().download(ref, SIZE, SIZE + 5));
        assertEquals(416, past.status());
    }

    @Test
    void shouldWriteAFileOnlyOnceItCheckedOut() throws Exception
    {
        final Path file = dir.resolve("photo.png");
        proxy.dropNextAnswerAfter(50_000);

        downloader().download(ref, file, TransferProgress.NONE);

        assertArrayEquals(blob, Files.readAllBytes(file));
        final Path bad = dir.resolve("bad.png");
        // A reference that claims other bytes than the URL serves.
        final MediaDownloader lying = new MediaDownloader(http, (key, token) ->
            media.mediaUrls(proxy.port()).mediaUrl(ref.getBlobKey(), token));
        assertThrows(MediaIntegrityException.class,
            () -> lying.download(ref.toBuilder().setBlobKey("0".repeat(64)).build(), bad, TransferProgress.NONE));
        assertFalse(Files.exists(bad));
        try (var files = Files.list(dir))
        {
            assertEquals(0, files.filter(path -> path.toString().endsWith(".part")).count(), "a partial file stayed");
        }
    }

    private MediaDownloader downloader()
    {
        return new MediaDownloader(http, media.mediaUrls(proxy.port()),
            new MediaDownloader.Options(QUICK, 4, Duration.ofSeconds(5), Duration.ofSeconds(5)));
    }
}
