package io.xin.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiscoveryRegistrationsIT
{
    @TempDir
    Path tempDir;

    @Test
    void shouldKeepRegistrationsPerKeyAcrossAReopen()
    {
        try (XinStore store = XinStore.open(config()))
        {
            final DiscoveryRegistrations registrations = store.discoveryRegistrations();
            registrations.write(1, 10, tag(1), 0);
            registrations.write(1, 20, tag(2), 0);
            registrations.write(1, 30, tag(3), 0);
            // User 40 takes tag 3 from user 30 in one write.
            registrations.write(1, 40, tag(3), 30);
            registrations.write(2, 10, tag(9), 0);
            registrations.write(Integer.MAX_VALUE, 5, tag(5), 0);
            registrations.delete(1, 20);
            assertArrayEquals(tag(1), registrations.read(1, 10));
        }
        try (XinStore store = XinStore.open(config()))
        {
            final DiscoveryRegistrations registrations = store.discoveryRegistrations();
            assertArrayEquals(new int[]{ 1, 2, Integer.MAX_VALUE }, registrations.keyIds());
            assertEquals(2, registrations.count(1));
            assertEquals(Map.of(10L, 1, 40L, 3), scan(registrations, 1));
            assertEquals(Map.of(10L, 9), scan(registrations, 2));
            assertEquals(Map.of(5L, 5), scan(registrations, Integer.MAX_VALUE));
            assertNull(registrations.read(1, 20));
            assertNull(registrations.read(1, 30));
            assertNull(registrations.read(3, 10));

            registrations.deleteKey(1);
            assertArrayEquals(new int[]{ 2, Integer.MAX_VALUE }, registrations.keyIds());
            assertEquals(0, registrations.count(1));
            assertArrayEquals(tag(9), registrations.read(2, 10), "other keys are untouched");
            registrations.deleteKey(Integer.MAX_VALUE);
            assertArrayEquals(new int[]{ 2 }, registrations.keyIds());
            assertThrows(IllegalArgumentException.class, () -> registrations.write(2, 1, new byte[15], 0));
        }
    }

    @Test
    void shouldLeaveTheOtherMetaRecordsAlone()
    {
        try (XinStore store = XinStore.open(config()))
        {
            assertArrayEquals(new int[0], store.discoveryRegistrations().keyIds());
            store.discoveryRegistrations().write(1, 10, tag(1), 0);
            assertEquals(0, store.readLastMsgId());
            assertEquals(0, store.verify());
        }
    }

    private static Map<Long, Integer> scan(final DiscoveryRegistrations registrations, final int keyId)
    {
        final Map<Long, Integer> found = new LinkedHashMap<>();
        registrations.forEach(keyId, (userId, tag) -> found.put(userId, (int)tag[15]));
        return found;
    }

    private static byte[] tag(final int value)
    {
        final byte[] tag = new byte[16];
        Arrays.fill(tag, (byte)0x5a);
        tag[15] = (byte)value;
        return tag;
    }

    private StoreConfig config()
    {
        return new StoreConfig().dataDir(tempDir.resolve("db")).fsyncPolicy(FsyncPolicy.NEVER)
            .blockCacheBytes(8L * 1024 * 1024).writeBufferBytes(1024 * 1024);
    }
}
