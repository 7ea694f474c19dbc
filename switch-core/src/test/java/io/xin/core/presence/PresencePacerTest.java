package io.xin.core.presence;

import io.xin.protocol.pb.Presence;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pacer on plain time values: the first push at once, then at most one per interval per receiver, each
 * holding the latest entry of every friend that changed; a receiver that cannot take a push keeps it.
 */
class PresencePacerTest
{
    private static final long INTERVAL_MS = 2_000;
    private final PresencePacer<String> pacer = new PresencePacer<>(INTERVAL_MS);
    private final List<String> receivers = new ArrayList<>();
    private final List<List<Presence>> pushes = new ArrayList<>();

    private int poll(final long nowMs)
    {
        return pacer.poll(nowMs, (receiver, entries) ->
        {
            receivers.add(receiver);
            pushes.add(entries);
            return true;
        });
    }

    private static Presence online(final long userId)
    {
        return Presence.newBuilder().setUserId(userId).setOnline(true).build();
    }

    private static Presence offline(final long userId, final long lastSeenMs)
    {
        return Presence.newBuilder().setUserId(userId).setLastSeenMs(lastSeenMs).build();
    }

    @Test
    void shouldPushTheFirstEntriesAtOnce()
    {
        pacer.offer("alice-phone", online(2));
        pacer.offer("alice-phone", online(3));
        assertEquals(0, pacer.msUntilDue(0));

        assertEquals(1, poll(0));
        assertEquals(List.of("alice-phone"), receivers);
        assertEquals(List.of(online(2), online(3)), pushes.get(0));
        assertEquals(Long.MAX_VALUE, pacer.msUntilDue(0), "nothing waits");
        assertEquals(0, poll(10));
    }

    @Test
    void shouldCoalesceAFlappingFriendIntoItsLatestStateOncePerInterval()
    {
        pacer.offer("alice-phone", online(2));
        poll(1_000);

        // Bob flaps three times and Carol comes online within one interval.
        pacer.offer("alice-phone", offline(2, 60_000));
        pacer.offer("alice-phone", online(2));
        pacer.offer("alice-phone", online(4));
        pacer.offer("alice-phone", offline(2, 120_000));
        assertEquals(0, poll(2_999), "one interval has not passed since the last push");
        assertEquals(1, pacer.msUntilDue(2_999));

        assertEquals(1, poll(3_000));
        assertEquals(List.of(offline(2, 120_000), online(4)), pushes.get(1), "the latest of each, by user id");
        assertEquals(2, pushes.size());
    }

    @Test
    void shouldPaceEachReceiverOnItsOwn()
    {
        pacer.offer("alice-phone", online(2));
        poll(0);
        pacer.offer("alice-phone", online(3));
        pacer.offer("alice-tablet", online(3));

        assertEquals(1, poll(500), "the tablet's first push goes at once, the phone waits");
        assertEquals("alice-tablet", receivers.get(1));
        assertEquals(1, poll(2_000));
        assertEquals("alice-phone", receivers.get(2));
    }

    @Test
    void shouldKeepWhatAReceiverCannotTakeAndForgetARemovedOne()
    {
        pacer.offer("slow", online(2));
        assertEquals(0, pacer.poll(0, (receiver, entries) -> false));
        pacer.offer("slow", offline(2, 60_000));
        assertEquals(1, poll(1));
        assertEquals(List.of(offline(2, 60_000)), pushes.get(0));

        pacer.offer("gone", online(5));
        pacer.remove("gone");
        assertEquals(0, poll(10_000));
        assertEquals(1, pacer.receivers());
    }

    @Test
    void shouldPushEveryPollWithoutAnInterval()
    {
        final PresencePacer<String> unpaced = new PresencePacer<>(0);
        final List<List<Presence>> sent = new ArrayList<>();
        unpaced.offer("a", online(1));
        unpaced.poll(5, (receiver, entries) -> sent.add(entries));
        unpaced.offer("a", offline(1, 60_000));
        unpaced.poll(5, (receiver, entries) -> sent.add(entries));
        assertEquals(2, sent.size());
        assertTrue(sent.get(1).get(0).getLastSeenMs() > 0);
        assertThrows(IllegalArgumentException.class, () -> new PresencePacer<String>(-1));
    }
}
