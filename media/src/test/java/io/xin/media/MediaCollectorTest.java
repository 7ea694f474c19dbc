package io.xin.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class MediaCollectorTest extends LocalStoreTestBase
{
    private static final Duration RETENTION = Duration.ofDays(7);
    private static final Duration GRACE = Duration.ofDays(1);

    @Test
    void removesUploadsOnlyOnceExpired()
    {
        final byte[] data = bytes(100, 1);
        final String id = store.createUpload(new UploadRequest(ALICE, data.length, "image/png", sha256(data),
            START.plus(Duration.ofHours(1))));
        final MediaCollector collector = new MediaCollector(store, clock, RETENTION, GRACE);

        assertEquals(0, collector.runOnce());
        assertTrue(store.upload(id).isPresent());

        clock.advance(Duration.ofHours(1));
        assertEquals(1, collector.runOnce());
        assertTrue(store.upload(id).isEmpty());
        assertEquals(0, collector.runOnce());
    }

    @Test
    void removesBlobsPastRetentionAndGraceSinceTheirLastReference()
    {
        final String never = store(bytes(100, 2));
        final String referenced = store(bytes(100, 3));
        clock.advance(Duration.ofDays(3));
        assertTrue(store.touch(referenced, clock.instant()));
        final MediaCollector collector = new MediaCollector(store, clock, RETENTION, GRACE);

        // Exactly retention plus grace after creation: not yet older than it.
        clock.advance(Duration.ofDays(5));
        assertEquals(0, collector.runOnce());
        clock.advance(Duration.ofMillis(1));
        assertEquals(1, collector.runOnce());
        assertTrue(store.stat(never).isEmpty());
        assertTrue(store.stat(referenced).isPresent(), "referenced three days later");

        clock.advance(Duration.ofDays(3));
        assertEquals(1, collector.runOnce());
        assertTrue(store.stat(referenced).isEmpty());
    }

    @Test
    void takesEveryPageInOneRun()
    {
        final List<String> blobs = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            blobs.add(store(bytes(50, 10 + i)));
        }
        clock.advance(RETENTION.plus(GRACE).plusSeconds(1));
        final MediaCollector collector = new MediaCollector(store, clock, RETENTION, GRACE, 2);

        assertEquals(5, collector.runOnce());
        for (final String blob : blobs)
        {
            assertTrue(store.stat(blob).isEmpty());
        }
    }

    @Test
    void aFailureStopsNeitherUploadsNorOtherBlobs()
    {
        final String stuck = store(bytes(60, 20));
        final String other = store(bytes(60, 21));
        final byte[] data = bytes(70, 22);
        final String upload = store.createUpload(new UploadRequest(ALICE, data.length, "image/png", sha256(data),
            START.plus(Duration.ofHours(1))));
        clock.advance(RETENTION.plus(GRACE).plusSeconds(1));
        final MediaCollector collector = new MediaCollector(new FailingStore(store, stuck), clock, RETENTION, GRACE);

        final MediaException e = assertThrows(MediaException.class, collector::runOnce);
        assertEquals(MediaException.Reason.STORAGE, e.reason());
        assertTrue(store.stat(stuck).isPresent());
        assertTrue(store.stat(other).isEmpty());
        assertTrue(store.upload(upload).isEmpty());
    }

    @Test
    void argumentsAreChecked()
    {
        assertThrows(IllegalArgumentException.class, () -> new MediaCollector(null, clock, RETENTION, GRACE));
        assertThrows(IllegalArgumentException.class, () -> new MediaCollector(store, null, RETENTION, GRACE));
        assertThrows(IllegalArgumentException.class, () -> new MediaCollector(store, clock, Duration.ZERO, GRACE));
        assertThrows(IllegalArgumentException.class,
            () -> new MediaCollector(store, clock, RETENTION, Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> new MediaCollector(store, clock, RETENTION, null));
        // A retention longer than all time removes no blob rather than failing.
        store(bytes(10, 30));
        assertEquals(0, new MediaCollector(store, clock, Duration.ofSeconds(Long.MAX_VALUE), GRACE).runOnce());
        assertFalse(store.unreferencedSince(clock.instant().plusSeconds(1), 1).isEmpty());
    }

    private String store(final byte[] data)
    {
        final String id = store.createUpload(new UploadRequest(ALICE, data.length, "image/png", sha256(data),
            clock.instant().plusSeconds(60)));
        return store.append(id, 0, ByteBuffer.wrap(data)).blob().blobId();
    }

    /** A store whose deletion of one blob fails, as a disk error would make it. */
    private static final class FailingStore extends ForwardingMediaStore
    {
        private final String failing;

        FailingStore(final MediaStore store, final String failing)
        {
            super(store);
            this.failing = failing;
        }

        @Override
        public boolean deleteIfUnreferencedSince(final String blobId, final Instant before)
        {
            if (blobId.equals(failing))
            {
                throw new MediaException(MediaException.Reason.STORAGE, "disk error");
            }
            return store.deleteIfUnreferencedSince(blobId, before);
        }
    }
}
