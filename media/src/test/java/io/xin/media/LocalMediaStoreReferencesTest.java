package io.xin.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Usage per owner, reference times and the blobs past them: the store's side of quotas and collection. */
class LocalMediaStoreReferencesTest extends LocalStoreTestBase
{
    @Test
    void usageCountsOwnedBlobsAndUploadsInProgress()
    {
        assertEquals(0, store.usage(ALICE));
        final byte[] photo = bytes(1_000, 1);
        final String first = store.createUpload(request(ALICE, photo, "image/png"));
        assertEquals(1_000, store.usage(ALICE), "declared size of an upload in progress");
        store.append(first, 0, ByteBuffer.wrap(photo, 0, 10));
        assertEquals(1_000, store.usage(ALICE), "the declared size, not the bytes received");

        store.append(first, 10, ByteBuffer.wrap(photo, 10, 990));
        assertEquals(1_000, store.usage(ALICE), "the blob now");

        final byte[] voice = bytes(500, 2);
        store.createUpload(request(ALICE, voice, "audio/ogg"));
        assertEquals(1_500, store.usage(ALICE));
        assertEquals(0, store.usage(BOB));

        // Bob stores the same bytes: the blob counts whole for each owner.
        final String bobs = store.createUpload(request(BOB, photo, "image/png"));
        store.append(bobs, 0, ByteBuffer.wrap(photo));
        assertEquals(1_000, store.usage(BOB));
        assertEquals(1_500, store.usage(ALICE));

        // An expired upload is no longer in progress.
        clock.advance(Duration.ofHours(2));
        assertEquals(1_000, store.usage(ALICE));

        // The index is rebuilt from the records on open.
        store.close();
        store = LocalMediaStore.open(root, MediaLimits.DEFAULTS, clock);
        assertEquals(1_000, store.usage(ALICE));
        assertEquals(1_000, store.usage(BOB));

        assertTrue(store.deleteBlob(sha256(photo)));
        assertEquals(0, store.usage(ALICE));
        assertEquals(0, store.usage(BOB));
    }

    @Test
    void touchMovesTheReferenceForwardOnlyAndSurvivesReopen()
    {
        final String blob = store(ALICE, bytes(100, 3));
        assertEquals(List.of(blob), store.unreferencedSince(START.plusMillis(1), 10), "created at START");
        assertEquals(List.of(), store.unreferencedSince(START, 10), "strictly before");

        assertTrue(store.touch(blob, START.plus(Duration.ofDays(10))));
        assertEquals(List.of(), store.unreferencedSince(START.plus(Duration.ofDays(10)), 10));
        assertTrue(store.touch(blob, START.plus(Duration.ofDays(1))), "an earlier reference is no error");
        assertEquals(List.of(), store.unreferencedSince(START.plus(Duration.ofDays(5)), 10), "and moves nothing");

        store.close();
        store = LocalMediaStore.open(root, MediaLimits.DEFAULTS, clock);
        assertEquals(List.of(), store.unreferencedSince(START.plus(Duration.ofDays(10)), 10));
        assertEquals(List.of(blob), store.unreferencedSince(START.plus(Duration.ofDays(10)).plusMillis(1), 10));
        // The record says so, and stat still reads it.
        assertEquals(Set.of(ALICE), store.stat(blob).orElseThrow().owners());

        assertFalse(store.touch("0".repeat(64), START), "no such blob");
        assertEquals(MediaException.Reason.INVALID_ARGUMENT,
            assertThrows(MediaException.class, () -> store.touch("../" + blob, START)).reason());
        assertEquals(MediaException.Reason.INVALID_ARGUMENT,
            assertThrows(MediaException.class, () -> store.touch(blob, null)).reason());
    }

    @Test
    void unreferencedSinceListsOldestFirstUpToTheLimit()
    {
        final String old = store(ALICE, bytes(10, 4));
        clock.advance(Duration.ofDays(1));
        final String middle = store(ALICE, bytes(10, 5));
        clock.advance(Duration.ofDays(1));
        final String young = store(BOB, bytes(10, 6));
        clock.advance(Duration.ofDays(1));

        assertEquals(List.of(old, middle, young), store.unreferencedSince(clock.instant(), 10));
        assertEquals(List.of(old, middle), store.unreferencedSince(clock.instant(), 2));
        assertEquals(List.of(), store.unreferencedSince(clock.instant(), 0));
        assertEquals(List.of(old), store.unreferencedSince(START.plus(Duration.ofDays(1)), 10));

        // A reference makes the oldest the youngest.
        assertTrue(store.touch(old, clock.instant()));
        assertEquals(List.of(middle, young), store.unreferencedSince(clock.instant(), 10));

        store.deleteBlob(middle);
        assertEquals(List.of(young), store.unreferencedSince(clock.instant(), 10));

        assertThrows(MediaException.class, () -> store.unreferencedSince(clock.instant(), -1));
        assertThrows(MediaException.class, () -> store.unreferencedSince(null, 1));
    }

    @Test
    void uploadOfStoredBytesCountsAsAReference()
    {
        final byte[] photo = bytes(2_000, 7);
        final String blob = store(ALICE, photo);
        clock.advance(Duration.ofDays(30));
        assertEquals(List.of(blob), store.unreferencedSince(clock.instant(), 10));

        // Bob uploads the same photo to send it: its age starts again, as a new blob's would.
        assertEquals(blob, store(BOB, photo));
        assertEquals(List.of(), store.unreferencedSince(clock.instant(), 10));
        assertEquals(List.of(blob), store.unreferencedSince(clock.instant().plusMillis(1), 10));
        assertEquals(START, store.stat(blob).orElseThrow().createdAt(), "creation stays the first upload's");
        assertEquals(Set.of(ALICE, BOB), store.stat(blob).orElseThrow().owners());
    }

    @Test
    void openDropsRecordsWhoseBlobIsGone() throws Exception
    {
        final byte[] photo = bytes(300, 8);
        final String blob = store(ALICE, photo);
        store.close();

        // A crash inside deleteBlob: the bytes went first, the record stayed.
        final Path fanOut = root.resolve("blobs").resolve(blob.substring(0, 2));
        Files.delete(fanOut.resolve(blob));
        store = LocalMediaStore.open(root, MediaLimits.DEFAULTS, clock);

        assertFalse(Files.exists(fanOut.resolve(blob + ".meta")));
        assertEquals(Optional.empty(), store.stat(blob));
        assertEquals(0, store.usage(ALICE));
        assertEquals(List.of(), store.unreferencedSince(clock.instant().plusSeconds(1), 10));
        assertFalse(store.touch(blob, clock.instant()));
    }

    @Test
    void readsGoThroughTheMediaServer()
    {
        final String blob = store(ALICE, bytes(10, 9));
        assertEquals(Optional.empty(), store.presignedRead(blob, clock.instant().plusSeconds(60)));
    }

    private String store(final long owner, final byte[] data)
    {
        final String id = store.createUpload(request(owner, data, "image/png"));
        return store.append(id, 0, ByteBuffer.wrap(data)).blob().blobId();
    }
}
