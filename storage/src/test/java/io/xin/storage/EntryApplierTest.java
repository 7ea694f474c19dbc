package io.xin.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * A log entry that is not one the journal wrote (a bug, or bytes damaged past their CRC) is refused with what is
 * wrong and where, before anything reaches RocksDB; a well-formed one becomes exactly its ops.
 */
class EntryApplierTest
{
    @BeforeAll
    static void loadRocksDb()
    {
        NativeLibraries.loadRocksDb();
    }

    @Test
    void shouldRefuseAnEntryOfAnotherVersion()
    {
        assertRefused("unknown version 9", 9);
        assertRefused("unknown version (empty)");
    }

    @Test
    void shouldRefuseAnUnknownOp()
    {
        assertRefused("unknown op 9 at offset 1", EntryFormat.VERSION, 9);
    }

    @Test
    void shouldRefuseAnOpThatRunsPastTheEntry()
    {
        // A PUT of a 5-byte key and a 100-byte value, with 2 bytes of key present.
        assertRefused("runs past the entry's end", EntryFormat.VERSION, EntryFormat.PUT, EntryFormat.CF_INBOX,
            5, 0, 100, 0, 0, 0, 'a', 'b');
        assertRefused("runs past the entry's end", EntryFormat.VERSION, EntryFormat.PAYLOAD, 10, 0, 0, 0, 'x');
        // Cut inside an op's own header.
        assertRefused("runs past the entry's end", EntryFormat.VERSION, EntryFormat.PUT, EntryFormat.CF_INBOX);
        assertRefused("negative length", EntryFormat.VERSION, EntryFormat.PAYLOAD, 0xFF, 0xFF, 0xFF, 0xFF);
    }

    @Test
    void shouldRefuseAPayloadPutBeforeAnyPayload()
    {
        assertRefused("puts a payload before any", EntryFormat.VERSION, EntryFormat.PUT_PAYLOAD,
            EntryFormat.CF_INBOX, 1, 0, 'k');
    }

    @Test
    void shouldRefuseAnUnknownColumnFamily()
    {
        assertRefused("unknown column family 7", EntryFormat.VERSION, EntryFormat.DELETE, 7, 1, 0, 'k');
    }

    @Test
    void shouldTurnAPayloadPutUnderTwoKeysIntoTwoPutsOfTheSameBytes(@TempDir final Path dir) throws Exception
    {
        final byte[] entry = bytes(EntryFormat.VERSION,
            EntryFormat.PAYLOAD, 3, 0, 0, 0, 'm', 's', 'g',
            EntryFormat.PUT_PAYLOAD, EntryFormat.CF_INBOX, 1, 0, 'a',
            EntryFormat.PUT_PAYLOAD, EntryFormat.CF_INBOX, 1, 0, 'b');
        try (Options options = new Options().setCreateIfMissing(true);
            RocksDB db = RocksDB.open(options, dir.toString()))
        {
            final ColumnFamilyHandle cf = db.getDefaultColumnFamily();
            final EntryApplier heap = new EntryApplier(cf, cf, cf, cf);
            final EntryApplier direct = new EntryApplier(cf, cf, cf, cf);
            heap.add(ByteBuffer.wrap(entry));
            final ByteBuffer directEntry = ByteBuffer.allocateDirect(entry.length + 3);
            directEntry.position(3);
            directEntry.put(entry).position(3);
            direct.add(directEntry);

            assertEquals(2, heap.writeBatch().count());
            // The same writes whether the entry was in the heap (copied first) or in direct memory at an offset.
            assertArrayEquals(heap.writeBatch().data(), direct.writeBatch().data());
            heap.close();
            direct.close();
        }
    }

    private static void assertRefused(final String expected, final int... entry)
    {
        try (EntryApplier applier = new EntryApplier(null, null, null, null))
        {
            final StorageException ex = assertThrows(StorageException.class,
                () -> applier.add(ByteBuffer.wrap(bytes(entry))));
            assertTrue(ex.getMessage().contains(expected), ex.getMessage());
            assertEquals(0, applier.writeBatch().count(), "nothing of a refused entry is written");
        }
    }

    private static byte[] bytes(final int... values)
    {
        final byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++)
        {
            bytes[i] = (byte)values[i];
        }
        return bytes;
    }
}
