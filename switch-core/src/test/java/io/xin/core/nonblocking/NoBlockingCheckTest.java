package io.xin.core.nonblocking;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The non-blocking check is live: a sleep on a thread named like a switch event loop is caught,
 * one on another thread is not.
 */
class NoBlockingCheckTest
{
    @Test
    void shouldRecordABlockingCallOnASwitchEventLoopOnly() throws InterruptedException
    {
        sleepOn("not-a-switch-loop");
        assertTrue(NoBlockingCheck.violations().isEmpty(), NoBlockingCheck.violations().toString());
        sleepOn("xin-io-probe");
        assertFalse(NoBlockingCheck.violations().isEmpty(), "a sleep on xin-io-probe must be recorded");
        assertTrue(NoBlockingCheck.violations().get(0).contains("sleep"), NoBlockingCheck.violations().get(0));
        NoBlockingCheck.violations().clear();
    }

    private static void sleepOn(final String threadName) throws InterruptedException
    {
        final Thread thread = new Thread(() ->
        {
            try
            {
                Thread.sleep(1);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, threadName);
        thread.start();
        thread.join();
    }
}
