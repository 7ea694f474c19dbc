package io.xin.core.journal;

import java.nio.charset.StandardCharsets;

/** Fills ring slots as the translators do, for tests that drive the journal or the dispatcher with events. */
final class RingSlots
{
    private RingSlots()
    {
    }

    /** Copies the id into the slot's own array and sets its length. */
    static void clientMsgId(final SwitchEvent event, final String clientMsgId)
    {
        final byte[] bytes = clientMsgId.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(bytes, 0, event.clientMsgIdArray(bytes.length), 0, bytes.length);
    }
}
