package io.xin.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The message log as the truth: what is appended and never applied to RocksDB comes back at the next open, reads wait
 * for the apply, checkpoints delete the log RocksDB no longer needs, and a log that lost entries RocksDB never held
 * is refused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogReplayIT
{
    private static final int MiB = 1024 * 1024;

    @TempDir
    Path tempDir;

    @Test
    void shouldApplyAtOpenWhatWasAppendedAndNeverApplied()
    {
        try (XinStore store = XinStore.open(config()); JournalBatch batch = store.newBatch())
        {
            batch.putInbox(1, 1, bytes("applied"));
            store.write(batch);
            final java.nio.ByteBuffer payload = batch.valueBuffer(bytes("logged only"), 11);
            batch.putInbox(1, 2, payload);
            batch.putInbox(2, 1, payload);
            batch.putDedupe(1, bytes("c-2"), 7, 2, 1_000);
            batch.putHead(1, 2);
            store.append(batch);
            // No apply: as if the process died after the acks went out.
        }

        try (XinStore store = XinStore.open(config()))
        {
            assertEquals(1, store.logEntriesReplayedAtOpen());
            assertTrue(store.logBytesReplayedAtOpen() > 11);
            final InboxPage page = store.readInbox(1, 0, 10, Integer.MAX_VALUE);
            assertEquals(2, page.entries().size());
            assertArrayEquals(bytes("logged only"), page.entries().get(1).message());
            assertArrayEquals(bytes("logged only"), store.readInbox(2, 0, 10, Integer.MAX_VALUE).entries()
                .get(0).message());
            assertEquals(7, store.readDedupe(1, bytes("c-2")).msgId());
            assertEquals(2, store.readHeadSeq(1));
        }

        try (XinStore store = XinStore.open(config()))
        {
            assertEquals(0, store.logEntriesReplayedAtOpen(), "a clean stop leaves nothing to replay");
            assertEquals(2, store.readInbox(1, 0, 10, Integer.MAX_VALUE).entries().size());
        }
    }

    @Test
    void shouldMakeAReadWaitUntilEveryAppendedEntryIsApplied()
    {
        try (XinStore store = XinStore.open(config().indexWaitMs(1)); JournalBatch batch = store.newBatch())
        {
            batch.putInbox(5, 1, bytes("m"));
            store.append(batch);
            final StorageException ex = assertThrows(StorageException.class,
                () -> store.readInbox(5, 0, 10, Integer.MAX_VALUE));
            assertTrue(ex.getMessage().contains("only up to"), ex.getMessage());

            store.apply(batch);
            assertEquals(1, store.readInbox(5, 0, 10, Integer.MAX_VALUE).entries().size());
        }
    }

    @Test
    void shouldDeleteTheSegmentsACheckpointMakesRedundant() throws IOException
    {
        final StoreConfig config = config().logSegmentBytes(MiB).logCheckpointBytes(64L * MiB);
        try (XinStore store = XinStore.open(config); JournalBatch batch = store.newBatch())
        {
            final byte[] message = new byte[64 * 1024];
            for (int seq = 1; seq <= 48; seq++)
            {
                message[0] = (byte)seq;
                batch.putInbox(9, seq, message);
                store.write(batch);
            }
            assertTrue(segments(0).size() >= 3, "segments " + segments(0));
            final long before = store.logSizeBytes();

            assertTrue(store.checkpointLogs() >= 2);
            assertTrue(store.logSizeBytes() < before);
            assertEquals(1, segments(0).size(), "only the segment appends go to is kept");
            assertEquals(0, store.logUncheckpointedBytes());
            assertEquals(1, store.logCheckpoints());
        }
        try (XinStore store = XinStore.open(config))
        {
            assertEquals(0, store.logEntriesReplayedAtOpen());
            final InboxPage page = store.readInbox(9, 0, 100, Integer.MAX_VALUE);
            assertEquals(48, page.entries().size());
            assertEquals(48, page.entries().get(47).message()[0]);
        }
    }

    @Test
    void shouldRefuseToOpenWhenTheLogLostEntriesNeverApplied() throws IOException
    {
        final StoreConfig config = config().logSegmentBytes(MiB).logCheckpointBytes(64L * MiB);
        try (XinStore store = XinStore.open(config); JournalBatch batch = store.newBatch())
        {
            final byte[] message = new byte[300 * 1024];
            for (int seq = 1; seq <= 8; seq++)
            {
                batch.putInbox(3, seq, message);
                store.append(batch);
                // Never applied: the close keeps the whole log.
                batch.clear();
            }
        }
        final List<Path> segments = segments(0);
        assertTrue(segments.size() >= 2, "segments " + segments);
        Files.delete(segments.get(0));

        final StorageException ex = assertThrows(StorageException.class, () -> XinStore.open(config).close());
        assertTrue(ex.getMessage().contains("entries were deleted before they were applied"), ex.getMessage());
    }

    @Test
    void shouldDeleteAHandOffWhoseDeleteIsReplayedBeforeItsPut()
    {
        final long msgId = 41;
        final long recipient = 8;
        try (XinStore store = XinStore.open(config());
            JournalBatch recipientShard = store.newBatch(0);
            JournalBatch senderShard = store.newBatch(1))
        {
            // Shard 1 holds the sender: it stores the hand-off; shard 0 appends it to the recipient's inbox.
            senderShard.putInbox(7, 1, bytes("to 8"));
            senderShard.putOutbox(msgId, recipient, bytes("to 8"));
            store.append(senderShard);
            recipientShard.putInbox(recipient, 1, bytes("to 8"));
            recipientShard.deleteOutbox(msgId, recipient);
            store.append(recipientShard);
            // Neither applied; the next open replays shard 0 (the delete) before shard 1 (the put).
        }
        try (XinStore store = XinStore.open(config()))
        {
            assertEquals(2, store.logEntriesReplayedAtOpen());
            assertEquals(List.of(), store.readOutbox(), "a hand-off already appended is not handed over again");
            assertEquals(1, store.readInbox(recipient, 0, 10, Integer.MAX_VALUE).entries().size());
        }
    }

    @Test
    void shouldStartALogAgainWhenACopyWithoutOneIsOpened()
    {
        final Path copy = tempDir.resolve("copy");
        try (XinStore store = XinStore.open(config()); JournalBatch batch = store.newBatch())
        {
            for (int seq = 1; seq <= 3; seq++)
            {
                batch.putInbox(4, seq, bytes("m" + seq));
                store.write(batch);
            }
            store.checkpoint(copy);
        }
        try (XinStore restored = XinStore.open(config().dataDir(copy)); JournalBatch batch = restored.newBatch())
        {
            assertEquals(3, restored.readInbox(4, 0, 10, Integer.MAX_VALUE).entries().size());
            batch.putInbox(4, 4, bytes("m4"));
            restored.append(batch);
        }
        try (XinStore restored = XinStore.open(config().dataDir(copy)))
        {
            assertEquals(1, restored.logEntriesReplayedAtOpen(), "the new log's entry, from its new start");
            assertEquals(4, restored.readInbox(4, 0, 10, Integer.MAX_VALUE).entries().size());
        }
    }

    private List<Path> segments(final int shard) throws IOException
    {
        try (Stream<Path> files = Files.list(tempDir.resolve("db").resolve("log").resolve("shard-" + shard)))
        {
            return files.filter(file -> file.getFileName().toString().endsWith(".log")).sorted().toList();
        }
    }

    private StoreConfig config()
    {
        return new StoreConfig()
            .dataDir(tempDir.resolve("db"))
            .fsyncPolicy(FsyncPolicy.NEVER)
            .blockCacheBytes(8L * MiB)
            .writeBufferBytes(MiB);
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(UTF_8);
    }
}
