package io.xin.core;

import io.xin.storage.FsyncPolicy;
import io.xin.storage.StoreConfig;
import io.xin.storage.XinStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static io.xin.core.TestDevices.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A graceful stop leaves a clean store: the journal's last head write runs on its ring thread as that thread ends,
 * and the store closes only after it, so the next start has no head to repair. The journal's writer is slowed once
 * the stop begins, so a store that closed without waiting for the ring's threads would fail that write every time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class GracefulStopIT
{
    private static final int ROUNDS = 3;
    private static final long SLOW_WRITE_MS = 300;
    private static final long ALICE = 1001;
    private static final long BOB = 1002;

    @TempDir
    Path dataDir;

    @Test
    void shouldWriteEveryHeadBeforeTheStoreClosesAtAGracefulStop() throws Exception
    {
        for (int round = 0; round < ROUNDS; round++)
        {
            final XinSwitch xin;
            final AtomicBoolean stopping = new AtomicBoolean();
            // Heads wait in memory between writes; the stop must write them.
            try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.headWriteIntervalMs(60_000)
                .journalWriter(store -> batch ->
                {
                    if (stopping.get())
                    {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SLOW_WRITE_MS));
                    }
                    store.append(batch);
                }));
                TestDevices devices = new TestDevices(server))
            {
                xin = server.xin();
                final TestDevices.Device alice = devices.connect(ALICE, "phone");
                for (int i = 0; i < 20; i++)
                {
                    alice.client.send(BOB, "r" + round + "-" + i, text("m" + i)).get(10, TimeUnit.SECONDS);
                }
                stopping.set(true);
            }
            assertFalse(xin.status().isStorageFailed(), "round " + round + ": a journal write failed at the stop");

            try (XinStore store = XinStore.open(new StoreConfig().dataDir(dataDir).fsyncPolicy(FsyncPolicy.NEVER)))
            {
                assertEquals(0, store.headsRepairedAtOpen(), "round " + round + ": heads left unwritten at the stop");
                assertEquals(20L * (round + 1), store.readHeadSeq(BOB), "round " + round);
            }
        }
    }
}
