package io.xin.social.discovery;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class IndexedDiscoveryDirectoryTest
{
    private static final OprfKey KEY = OprfKey.derive(1, new byte[32]);

    @Test
    void shouldMatchExactlyTheRegisteredNumbersOfABook()
    {
        final Random random = new Random(3);
        final MemoryRegistrations registrations = new MemoryRegistrations();
        final IndexedDiscoveryDirectory directory = new IndexedDiscoveryDirectory(registrations, 1);
        // 300 users with numbers, each registered through the PRF.
        final Map<String, Long> registered = new HashMap<>();
        for (long user = 1; user <= 300; user++)
        {
            final String number = "+86138" + String.format("%08d", random.nextInt(100_000_000));
            registered.put(number, user);
            directory.register(1, tag(number), user);
        }
        // A book of hits and misses.
        final List<String> book = new ArrayList<>();
        final List<String> numbers = new ArrayList<>(registered.keySet());
        for (int i = 0; i < 120; i++)
        {
            book.add(i % 3 == 0 ? "+86139" + String.format("%08d", random.nextInt(100_000_000)) :
                numbers.get(random.nextInt(numbers.size())));
        }
        final List<byte[]> tags = new ArrayList<>();
        book.forEach(number -> tags.add(tag(number)));
        final Map<Integer, Long> found = new HashMap<>();
        final int matches = directory.match(1, tags, found::put);

        final Map<Integer, Long> bruteForce = new HashMap<>();
        for (int i = 0; i < book.size(); i++)
        {
            final Long user = registered.get(book.get(i));
            if (user != null)
            {
                bruteForce.put(i, user);
            }
        }
        assertEquals(bruteForce, found);
        assertEquals(bruteForce.size(), matches);
        assertTrue(matches > 0 && matches < book.size());
    }

    @Test
    void shouldReplaceAUsersTagAndMoveATagToItsNewHolder()
    {
        final MemoryRegistrations registrations = new MemoryRegistrations();
        final IndexedDiscoveryDirectory directory = new IndexedDiscoveryDirectory(registrations, 1);
        directory.register(1, tag("+8613800000001"), 10);
        directory.register(1, tag("+8613800000002"), 10);
        assertEquals(Map.of(1, 10L), match(directory, "+8613800000001", "+8613800000002"));
        assertEquals(1, directory.size(1));
        // The number passes to user 11: user 10 is no longer registered at all.
        directory.register(1, tag("+8613800000002"), 11);
        assertEquals(Map.of(0, 11L), match(directory, "+8613800000002"));
        assertNull(registrations.read(1, 10));
        assertEquals(1, directory.size(1));
        assertTrue(directory.unregister(11));
        assertFalse(directory.unregister(11));
        assertEquals(Map.of(), match(directory, "+8613800000002"));
        assertEquals(0, registrations.count(1));
    }

    @Test
    void shouldRebuildFromItsRegistrationsAndForgetRetiredKeys()
    {
        final MemoryRegistrations registrations = new MemoryRegistrations();
        final IndexedDiscoveryDirectory first = new IndexedDiscoveryDirectory(registrations, 1);
        first.register(1, tag("+8613800000001"), 10);
        first.register(1, tag("+8613800000002"), 20);
        // Restart after a rotation to key 2: key 1 stays served in its grace period.
        final IndexedDiscoveryDirectory second = new IndexedDiscoveryDirectory(registrations, 2, 1);
        assertEquals(Map.of(0, 10L, 1, 20L), match(second, "+8613800000001", "+8613800000002"));
        second.register(2, new byte[16], 10);
        assertEquals(Map.of(0, 10L), matchTags(second, 2, new byte[16]));
        // After the grace period, key 1 is retired: its registrations go.
        final IndexedDiscoveryDirectory third = new IndexedDiscoveryDirectory(registrations, 2);
        assertEquals(0, registrations.count(1));
        assertArrayEquals(new int[]{ 2 }, registrations.keyIds());
        assertThrows(IllegalArgumentException.class, () -> third.match(1, List.of(new byte[16]), (i, u) -> { }));
        assertThrows(IllegalArgumentException.class, () -> third.register(1, new byte[16], 5));
        assertThrows(IllegalArgumentException.class, () -> third.register(2, new byte[15], 5));
        assertEquals(24L * 16, third.memoryBytes());
    }

    @Test
    void shouldDropASecondHolderOfATagFoundAtLoad()
    {
        final MemoryRegistrations registrations = new MemoryRegistrations();
        registrations.write(1, 10, new byte[16], 0);
        registrations.write(1, 20, new byte[16], 0);
        final IndexedDiscoveryDirectory directory = new IndexedDiscoveryDirectory(registrations, 1);
        assertEquals(1, registrations.count(1));
        final Set<Long> users = new HashSet<>(matchTags(directory, 1, new byte[16]).values());
        assertEquals(1, users.size());
        assertTrue(users.contains(registrations.read(1, 10) != null ? 10L : 20L));
    }

    private static Map<Integer, Long> match(final DiscoveryDirectory directory, final String... numbers)
    {
        final byte[][] tags = new byte[numbers.length][];
        for (int i = 0; i < numbers.length; i++)
        {
            tags[i] = tag(numbers[i]);
        }
        return matchTags(directory, 1, tags);
    }

    private static Map<Integer, Long> matchTags(final DiscoveryDirectory directory, final int keyId,
        final byte[]... tags)
    {
        final Map<Integer, Long> found = new HashMap<>();
        directory.match(keyId, List.of(tags), found::put);
        return found;
    }

    private static byte[] tag(final String number)
    {
        return Oprf.tag(KEY.evaluate(number.getBytes(StandardCharsets.UTF_8)));
    }
}
