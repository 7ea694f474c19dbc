package io.xin.core;

import io.xin.storage.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A launch that fails part way stops everything it had started: no thread of the switch is left running, and
 * the store is closed (its lock released), so the same data directory can be launched again at once.
 */
@Timeout(60)
class LaunchFailureIT
{
    @TempDir
    Path dataDir;

    @Test
    void shouldStopEveryThreadItStartedAndCloseTheStoreWhenTheListenerCannotBind() throws Exception
    {
        final Set<Thread> before = switchThreads();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final IllegalStateException ex = assertThrows(IllegalStateException.class,
                () -> XinSwitch.launch(context(taken.getLocalPort())));
            assertTrue(ex.getMessage().startsWith("cannot listen on 127.0.0.1 port " + taken.getLocalPort()),
                ex.getMessage());
        }

        // The ring threads are halted, not joined: they end a moment after the launch has returned.
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Set<Thread> left = leftSince(before);
        while (!left.isEmpty() && System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(20);
            left = leftSince(before);
        }
        final Set<Thread> stillRunning = left;
        assertTrue(stillRunning.isEmpty(), () -> "threads left by the failed launch: " +
            stillRunning.stream().map(Thread::getName).collect(Collectors.toList()));

        try (XinSwitch xin = XinSwitch.launch(context(0)))
        {
            assertEquals(true, xin.isReady());
        }
    }

    private XinSwitch.Context context(final int port)
    {
        return new XinSwitch.Context()
            .bindHost("127.0.0.1")
            .port(port)
            .dataDir(dataDir)
            .jwtSecret(TestSwitch.SECRET)
            .fsyncPolicy(FsyncPolicy.NEVER)
            .ioThreads(1)
            .ringSize(1024)
            .journalShards(2)
            .drainTimeoutMs(5_000);
    }

    private static Set<Thread> leftSince(final Set<Thread> before)
    {
        final Set<Thread> now = switchThreads();
        now.removeAll(before);
        return now;
    }

    /** Live threads the switch names: ring, event loops, sync readers, channel pacer. */
    private static Set<Thread> switchThreads()
    {
        final Set<Thread> threads = new HashSet<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (thread.isAlive() && thread.getName().startsWith("xin-") && !thread.getName().startsWith("xin-client"))
            {
                threads.add(thread);
            }
        }
        return threads;
    }
}
